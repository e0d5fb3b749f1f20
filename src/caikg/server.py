"""``caikg serve``: the web application under waitress, a production WSGI server."""

from __future__ import annotations

import sys

from .config import Settings


def serve(settings: Settings) -> None:
    import waitress

    from .app import create_app

    app = create_app(settings)
    print(f"caikg: serving http://{settings.host}:{settings.port}/ (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    waitress.serve(app, host=settings.host, port=settings.port, threads=8, ident="caikg")
