"""The web application's home page, health check and downloads (Flask test client)."""

from __future__ import annotations

from flask.testing import FlaskClient
from rdflib import Graph
from rdflib.compare import isomorphic

from caikg.config import Settings
from caikg.export.dumps import EXPORT_FORMATS, export_bytes
from caikg.store.embedded import EmbeddedStore
from caikg.web.app import create_app


def test_home(client: FlaskClient, store: EmbeddedStore) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert store.info is not None and store.info.version in html
    assert "https://schema.org/ScholarlyArticle" in html
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_healthz(client: FlaskClient, store: EmbeddedStore) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["triples"] == len(store)


def test_downloads(client: FlaskClient, store: EmbeddedStore) -> None:
    resp = client.get("/downloads/caikg.ttl")
    assert resp.status_code == 200
    assert resp.mimetype == "text/turtle"
    parsed = Graph().parse(data=resp.get_data(), format="turtle")
    expected = Graph().parse(data=export_bytes(store, EXPORT_FORMATS["ttl"]), format="turtle")
    assert isomorphic(parsed, expected)
    assert client.get("/downloads/caikg.exe").status_code == 404


def test_app_opens_current_store(built_settings: Settings, store: EmbeddedStore) -> None:
    app = create_app(built_settings)
    try:
        assert app.test_client().get("/healthz").get_json()["triples"] == len(store)
    finally:
        app.extensions["caikg_executor"].close()
