"""``caikg serve``: the web application under waitress, a production WSGI server."""

from __future__ import annotations

import logging
import sys
import threading
import time

import waitress

from caikg.config import Settings
from caikg.store.base import KnowledgeStore
from caikg.web.app import MAX_REQUEST_TARGET, create_app
from caikg.web.pages.browse import load_papers

log = logging.getLogger(__name__)

WARM_INTERVAL = 10.0
"""Seconds between two checks that the paper list of the current data version is loaded."""

THREADS = 8
"""waitress's worker threads: requests beyond them wait in waitress's task queue (which logs
"Task queue depth is N"); SPARQL queries beyond ``CAIKG_WORKERS`` wait for a worker process
up to ``CAIKG_QUEUE_TIMEOUT`` and are then refused with 503 and ``Retry-After``."""


def limits(settings: Settings) -> dict[str, int]:
    """waitress's own request limits, as a backstop behind the app's 413 and 414.

    The app answers (with its headers) a request target over ``MAX_REQUEST_TARGET`` with 414
    and a body over ``CAIKG_MAX_BODY`` with 413; waitress refuses header blocks over 64 KiB
    (431) and bodies over four times ``CAIKG_MAX_BODY`` (413) itself, before reading them,
    instead of its defaults of 256 KiB and 1 GiB (buffered to disk).
    """
    return {"max_request_header_size": max(64 * 1024, 2 * MAX_REQUEST_TARGET),
            "max_request_body_size": 4 * settings.max_body}


def keep_warm(store: KnowledgeStore, interval: float = WARM_INTERVAL) -> threading.Thread:
    """Load the paper list (browse, search) of each new data version in the background, so
    that no visitor waits for it (at 1M triples it takes seconds)."""

    def run() -> None:
        while True:
            try:
                load_papers(store)
            except Exception as exc:  # the store may be down for a while: try again later
                log.warning("cannot load the paper list: %s", exc)
            time.sleep(interval)

    thread = threading.Thread(target=run, name="caikg-warm", daemon=True)
    thread.start()
    return thread


def serve(settings: Settings) -> None:
    app = create_app(settings)
    keep_warm(app.extensions["caikg_store"])
    print(f"caikg: serving http://{settings.host}:{settings.port}/ (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    waitress.serve(app, host=settings.host, port=settings.port, threads=THREADS, ident="caikg",
                   **limits(settings))
