"""``caikg serve`` as ``src/caikg/server.py`` runs it (waitress, 8 threads), with a WSGI
middleware that records how long the Flask app takes per request, so that a benchmark can tell
the time inside the app from the time in waitress, TCP and the client.

``GET /__timings`` returns the recorded durations (seconds, in order) as JSON and clears them.
Used by ``benchmarks/endpoint.py``; settings come from the ``CAIKG_*`` environment as usual.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any


class Timing:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.samples: list[float] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/__timings":
            with self.lock:
                body = json.dumps(self.samples).encode()
                self.samples = []
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        start = time.perf_counter()
        # the body is materialised here so that its production is inside the measurement
        chunks = list(self.app(environ, start_response))
        elapsed = time.perf_counter() - start
        with self.lock:
            if len(self.samples) < 100_000:
                self.samples.append(elapsed)
        return chunks


def main() -> int:
    import waitress

    from caikg.config import load_settings
    from caikg.web.app import create_app

    settings = load_settings()
    app = Timing(create_app(settings))
    print(f"timed caikg: serving http://{settings.host}:{settings.port}/", file=sys.stderr,
          flush=True)
    waitress.serve(app, host=settings.host, port=settings.port, threads=8, ident="caikg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
