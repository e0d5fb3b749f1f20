"""``caikg serve``: the web application under waitress, a production WSGI server."""

from __future__ import annotations

import sys

from .config import Settings

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
    from .app import MAX_REQUEST_TARGET

    return {"max_request_header_size": max(64 * 1024, 2 * MAX_REQUEST_TARGET),
            "max_request_body_size": 4 * settings.max_body}


def serve(settings: Settings) -> None:
    import waitress

    from .app import create_app

    app = create_app(settings)
    print(f"caikg: serving http://{settings.host}:{settings.port}/ (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    waitress.serve(app, host=settings.host, port=settings.port, threads=THREADS, ident="caikg",
                   **limits(settings))
