"""The web application: ``create_app(settings)`` with one blueprint per area."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from caikg.config import Settings
from caikg.store.base import Executor, KnowledgeStore
from caikg.store.factory import open_backend
from caikg.web import filters
from caikg.web.caching import install as install_caching
from caikg.web.pages import base as views
from caikg.web.routes import api, cite, discovery, feeds, home, pages, record, sparql

YASGUI_STYLE_HASH = "sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk="
"""The one fixed <style> element YASGUI 4.6.2's results table injects (web/vendor.sh prints
it; tests/test_app.py checks it against the vendored bundle)."""

CSP = ("default-src 'self'; img-src 'self' data:; "
       f"style-src 'self' '{YASGUI_STYLE_HASH}'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")

MAX_REQUEST_TARGET = 8192
"""Longest request target (path and query string, as sent) in bytes; longer: 414. Long SPARQL
queries go in a POST body (up to ``CAIKG_MAX_BODY``). ``caikg serve`` sets waitress's
``max_request_header_size`` above this, so that the app, not waitress, answers."""


class URITooLong(HTTPException):
    code = 414
    description = (f"The request target is longer than {MAX_REQUEST_TARGET} bytes. Send long "
                   "SPARQL queries with POST.")


def create_app(settings: Settings, store: KnowledgeStore | None = None,
               executor: Executor | None = None) -> Flask:
    """An app over the current store of ``settings.home``.

    ``store`` (in memory, for pages) and ``executor`` (worker processes, for user queries)
    are opened from ``settings`` unless given.
    """
    app = Flask(
        __name__,
        template_folder=str(settings.web_dir / "templates"),
        static_folder=str(settings.web_dir / "static"),
    )
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.url_map.merge_slashes = False  # no redirects built from the request's Host header
    app.extensions["caikg_settings"] = settings
    if store is None or executor is None:
        backend = open_backend(settings)  # the app itself holds no copy of the data
        store = store if store is not None else backend.store
        executor = executor if executor is not None else backend.executor
    app.extensions["caikg_store"] = store
    app.extensions["caikg_executor"] = executor
    app.extensions["caikg_data_version"] = lambda: executor.version

    views.load_all()
    filters.install(app, settings.base_iri)
    app.register_blueprint(home.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    # before pages: /paper/<slug>/cite must match before /<kind>/<path:rest> does
    app.register_blueprint(cite.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(record.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(discovery.bp)

    @app.before_request
    def request_limits() -> None:
        # Before routing errors (404, 405), so that every route answers 413 and 414 alike.
        target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        if target is None:
            target = request.full_path
        if len(target) > MAX_REQUEST_TARGET:
            raise URITooLong()
        length = request.content_length
        if length is not None and length > settings.max_body:
            raise RequestEntityTooLarge(f"The request body is larger than {settings.max_body} "
                                        "bytes (CAIKG_MAX_BODY).")

    @app.errorhandler(404)
    def not_found(_error: Exception) -> Response:
        return pages.not_found(request.path)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    install_caching(app, settings)  # last: after the request limits
    return app
