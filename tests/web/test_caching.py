"""HTTP caching (issue #6): ETags from the data version and the request, 304s answered before
any query runs, Cache-Control, the per-process result cache and the per-version export files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from caikg.build.pipeline import build
from caikg.config import Settings
from caikg.export.dumps import BUILD_EXPORTS, EXPORT_FORMATS, export_bytes
from caikg.store.base import QueryTimeout
from caikg.store.embedded import EmbeddedStore
from caikg.store.pool.executor import QueryExecutor
from caikg.web import caching
from caikg.web.app import create_app
from caikg.web.caching import CachedResponse, ResultCache
from caikg.web.pages import entity as entities
from tests.helpers.project import make_settings

SELECT = ("PREFIX schema: <https://schema.org/> PREFIX dcterms: <http://purl.org/dc/terms/> "
          "SELECT ?work ?title WHERE { ?work a schema:ScholarlyArticle ; dcterms:title ?title } "
          "ORDER BY ?work")
PAPER = "/paper/metagpt"
DATA_URLS = [
    "/",
    PAPER,
    PAPER + ".ttl",
    PAPER + ".jsonld",
    PAPER + ".bib",
    "/browse?q=agent",
    "/ontology",
    "/downloads",
    "/examples",
    "/sparql",
    "/sparql?" + "query=" + SELECT.replace(" ", "+").replace("?", "%3F").replace("#", "%23")
    .replace("<", "%3C").replace(">", "%3E").replace("{", "%7B").replace("}", "%7D"),
    "/api/openapi.json",
    "/api/technique_papers_per_year",
    "/downloads/caikg.ttl",
]


def jobs(app: Flask) -> int:
    ex = app.extensions["caikg_executor"]
    assert isinstance(ex, QueryExecutor)
    return ex.jobs


def cache_of(app: Flask) -> ResultCache:
    cache = app.extensions["caikg_cache"]
    assert isinstance(cache, ResultCache)
    return cache


def sparql(client: FlaskClient, query: str = SELECT, **headers: str) -> TestResponse:
    return client.get("/sparql", query_string={"query": query}, headers=headers)


def is_not_modified(resp: TestResponse, etag: str) -> None:
    assert resp.status_code == 304, resp.get_data(as_text=True)
    assert resp.get_data() == b""
    assert resp.headers["ETag"] == etag
    assert resp.headers["Cache-Control"] == caching.DATA_CACHE_CONTROL
    assert "Content-Type" not in resp.headers


@pytest.fixture(scope="module")
def other_app(built_settings: Settings, store: EmbeddedStore) -> Iterator[Flask]:
    """A second, independent app (own executor, own result cache) over the same store: a
    second ``caikg serve`` process or host."""
    app = create_app(built_settings.with_overrides(workers=1), store=store)
    yield app
    app.extensions["caikg_executor"].close()


@pytest.fixture
def small_home(tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    """A home over a one-person dataset that a test can rebuild with other data."""
    settings = make_settings(tmp_path / "home", workers=1, cache_size=1)
    data = tmp_path / "person.ttl"
    write_person(data, "Ada Lovelace")
    build(settings, [data])
    yield settings, data


def write_person(path: Path, name: str) -> None:
    path.write_text(
        "@prefix schema: <https://schema.org/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "<https://w3id.org/caikg/person/someone> a schema:Person, foaf:Person ;\n"
        f'    schema:name "{name}" .\n', encoding="utf-8")


@pytest.fixture
def small_app(small_home: tuple[Settings, Path]) -> Iterator[Flask]:
    settings, _ = small_home
    app = create_app(settings, store=EmbeddedStore.open(settings, in_memory=True))
    yield app
    app.extensions["caikg_executor"].close()


# -- ETags -----------------------------------------------------------------------------------

def test_etags_are_the_same_in_every_process(client: FlaskClient, other_app: Flask) -> None:
    other = other_app.test_client()
    for url in DATA_URLS:
        first, again, elsewhere = client.get(url), client.get(url), other.get(url)
        assert first.status_code == 200, url
        etag = first.headers.get("ETag")
        assert etag and etag.startswith('"') and not etag.startswith("W/"), url
        assert again.headers["ETag"] == etag and elsewhere.headers["ETag"] == etag, url
        assert elsewhere.get_data() == first.get_data(), url
        assert first.headers["Cache-Control"] == "public, max-age=60", url
        assert client.head(url).headers["ETag"] == etag, url


@pytest.mark.parametrize("url", DATA_URLS)
def test_if_none_match_gives_304(client: FlaskClient, url: str) -> None:
    resp = client.get(url)
    etag = resp.headers["ETag"]
    is_not_modified(client.get(url, headers={"If-None-Match": etag}), etag)
    is_not_modified(client.head(url, headers={"If-None-Match": etag}), etag)
    is_not_modified(client.get(url, headers={"If-None-Match": f'"nope", W/{etag}'}), etag)
    is_not_modified(client.get(url, headers={"If-None-Match": "*"}), etag)
    assert client.get(url, headers={"If-None-Match": '"nope"'}).status_code == 200
    assert client.get(url, headers={"If-None-Match": etag[:-2] + '"'}).status_code == 200


def test_negotiated_representations_have_their_own_etags(client: FlaskClient) -> None:
    etags: dict[str, str] = {}
    for accept in ("text/html", "text/turtle", "application/ld+json", "application/n-triples",
                   "application/rdf+xml"):
        resp = client.get(PAPER, headers={"Accept": accept})
        assert resp.status_code == 200 and resp.mimetype == accept
        assert "Accept" in resp.headers["Vary"]
        etags[accept] = resp.headers["ETag"]
        not_modified = client.get(PAPER, headers={"Accept": accept,
                                                  "If-None-Match": etags[accept]})
        is_not_modified(not_modified, etags[accept])
        assert not_modified.headers["Vary"] == resp.headers["Vary"]
        assert not_modified.headers.get("Content-Location") == resp.headers["Content-Location"]
    assert len(set(etags.values())) == len(etags)
    # the HTML page's validator does not validate the Turtle twin
    other = client.get(PAPER, headers={"Accept": "text/turtle",
                                       "If-None-Match": etags["text/html"]})
    assert other.status_code == 200 and other.mimetype == "text/turtle"
    json_api = client.get("/api/technique_papers_per_year")
    csv_api = client.get("/api/technique_papers_per_year", headers={"Accept": "text/csv"})
    assert csv_api.mimetype == "text/csv" and json_api.mimetype == "application/json"
    assert json_api.headers["ETag"] != csv_api.headers["ETag"]
    assert "Accept" in csv_api.headers["Vary"]


def test_query_string_order_does_not_matter(client: FlaskClient) -> None:
    a = client.get("/browse?q=agent&year=2023")
    b = client.get("/browse?year=2023&q=agent")
    assert a.headers["ETag"] == b.headers["ETag"]
    assert client.get("/browse?q=agents").headers["ETag"] != a.headers["ETag"]


def test_the_host_is_part_of_the_key(client: FlaskClient) -> None:
    one = client.get("/api/openapi.json", headers={"Host": "one.example"})
    two = client.get("/api/openapi.json", headers={"Host": "two.example"})
    assert one.get_json()["servers"] == [{"url": "http://one.example"}]
    assert two.get_json()["servers"] == [{"url": "http://two.example"}]
    assert one.headers["ETag"] != two.headers["ETag"]


def test_304_is_answered_without_running_the_query(built_settings: Settings,
                                                   store: EmbeddedStore) -> None:
    """With the result cache off, a matching If-None-Match still never reaches a worker."""
    app = create_app(built_settings.with_overrides(workers=1, cache_size=0), store=store)
    try:
        client = app.test_client()
        etag = sparql(client).headers["ETag"]
        before = jobs(app)
        for _ in range(3):
            is_not_modified(sparql(client, **{"If-None-Match": etag}), etag)
        assert jobs(app) == before
        sparql(client)
        assert jobs(app) == before + 1
    finally:
        app.extensions["caikg_executor"].close()


def test_a_rebuild_changes_every_etag(small_home: tuple[Settings, Path],
                                      small_app: Flask) -> None:
    settings, data = small_home
    client = small_app.test_client()
    query = "SELECT ?n WHERE { ?p <https://schema.org/name> ?n }"
    urls = ["/person/someone", "/person/someone.ttl", "/downloads/caikg.nt"]
    old = {u: client.get(u).headers["ETag"] for u in urls}
    answer = sparql(client, query)
    old["sparql"] = answer.headers["ETag"]
    assert "Ada Lovelace" in answer.get_data(as_text=True)
    old_version = caching_version(small_app)
    assert old["sparql"].startswith(f'"{old_version}-')
    assert len(cache_of(small_app)) == len(urls)  # the download is a file, not an entry

    write_person(data, "Grace Hopper")
    build(settings, [data])
    version = caching_version(small_app)
    assert version != old_version
    # The queries see the new version at once: nothing of the old one is served or validated.
    resp = sparql(client, query, **{"If-None-Match": old["sparql"]})
    assert resp.status_code == 200 and resp.headers["X-CAIKG-Cache"] == "miss"
    assert "Grace Hopper" in resp.get_data(as_text=True)
    assert resp.headers["X-CAIKG-Data-Version"] == version
    # This app's pages come from the store it loaded at start (old data): they get no
    # validator that would claim the new version, and the old ETags no longer match.
    for url in urls:
        resp = client.get(url, headers={"If-None-Match": old[url]})
        assert resp.status_code == 200 and "ETag" not in resp.headers, url
    assert len(cache_of(small_app)) == 0  # the old version's entries were dropped
    # A process started after the rebuild (or another host) validates the new version only.
    fresh = create_app(settings, store=EmbeddedStore.open(settings, in_memory=True))
    try:
        fresh_client = fresh.test_client()
        for url, etag in old.items():
            target = url if url != "sparql" else "/sparql?" + urlencode({"query": query})
            resp = fresh_client.get(target, headers={"If-None-Match": etag})
            assert resp.status_code == 200, url
            assert resp.headers["ETag"].startswith(f'"{version}-') and resp.headers["ETag"] != etag
        assert "Grace Hopper" in fresh_client.get("/person/someone.ttl").get_data(as_text=True)
    finally:
        fresh.extensions["caikg_executor"].close()
    assert not (settings.exports_dir / old_version).exists()
    assert (settings.exports_dir / version / "caikg.nt").is_file()


def caching_version(app: Flask) -> str:
    with app.test_request_context("/"):
        return caching.current_version()


def test_the_version_function_can_be_replaced(small_app: Flask,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    client = small_app.test_client()
    etag = client.get("/person/someone").headers["ETag"]
    real = caching_version(small_app)
    calls: list[str] = []

    def version() -> str:
        calls.append("called")
        return real

    monkeypatch.setitem(small_app.extensions, "caikg_data_version", version)
    assert client.get("/person/someone").headers["ETag"] == etag
    assert calls
    # A version the app's store does not hold: never claimed by a validator.
    monkeypatch.setitem(small_app.extensions, "caikg_data_version", lambda: "0123456789abcdef")
    changed = client.get("/person/someone", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "ETag" not in changed.headers


# -- Cache-Control on what must not be cached --------------------------------------------------

def test_healthz_and_errors_are_never_cached(client: FlaskClient, app: Flask) -> None:
    health = client.get("/healthz")
    assert health.headers["Cache-Control"] == "no-store" and "ETag" not in health.headers
    assert "X-CAIKG-Cache" not in health.headers
    for url in ("/paper/no-such-paper", "/nope", "/api/no_such_query",
                "/api/technique_papers_per_year?bogus=1", "/downloads/caikg.exe"):
        resp = client.get(url)
        assert 400 <= resp.status_code < 500, url
        assert resp.headers["Cache-Control"] == "no-store", url
        assert "ETag" not in resp.headers, url
        assert client.get(url, headers={"If-None-Match": "*"}).status_code == resp.status_code
    before = jobs(app)
    bad = "SELECT ?x WHERE { ?x ?y }"
    for _ in range(2):
        resp = sparql(client, bad)
        assert resp.status_code == 400 and resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-CAIKG-Cache"] == "miss" and "ETag" not in resp.headers
    assert jobs(app) == before + 2  # each one went to a worker: errors are not kept


def test_503_is_not_cached(client: FlaskClient, app: Flask,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    query = SELECT + " LIMIT 3"
    ex = app.extensions["caikg_executor"]

    def timeout(*_args: Any, **_kwargs: Any) -> Any:
        raise QueryTimeout(1.0)

    with monkeypatch.context() as m:
        m.setattr(ex, "execute", timeout)
        failed = sparql(client, query)
    assert failed.status_code == 503
    assert failed.headers["Cache-Control"] == "no-store" and "ETag" not in failed.headers
    ok = sparql(client, query)
    assert ok.status_code == 200 and ok.headers["X-CAIKG-Cache"] == "miss"
    assert sparql(client, query).headers["X-CAIKG-Cache"] == "hit"


def test_options_and_static_files_are_left_alone(client: FlaskClient) -> None:
    options = client.options("/sparql")
    assert options.status_code == 204 and "ETag" not in options.headers
    assert "If-None-Match" in options.headers["Access-Control-Allow-Headers"]


# -- the result cache --------------------------------------------------------------------------

def test_a_repeated_query_does_not_reach_the_store(client: FlaskClient, app: Flask) -> None:
    query = SELECT + " LIMIT 7"
    first = sparql(client, query, Accept="text/csv")
    assert first.status_code == 200 and first.headers["X-CAIKG-Cache"] == "miss"
    before = jobs(app)
    for _ in range(3):
        again = sparql(client, query, Accept="text/csv")
        assert again.headers["X-CAIKG-Cache"] == "hit"
        assert again.get_data() == first.get_data()
        assert again.headers["Content-Type"] == first.headers["Content-Type"]
        assert again.headers["X-CAIKG-Result-Count"] == first.headers["X-CAIKG-Result-Count"]
        assert again.headers["X-Content-Type-Options"] == "nosniff"
    assert jobs(app) == before
    other_format = sparql(client, query, Accept="application/sparql-results+json")
    assert other_format.headers["X-CAIKG-Cache"] == "miss" and jobs(app) == before + 1


def test_a_repeated_page_does_not_reach_the_store(client: FlaskClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = entities.document

    def counting(store: Any, iri: str) -> Any:
        calls.append(iri)
        return real(store, iri)

    monkeypatch.setattr(entities, "document", counting)
    url = "/person/sirui-hong.nt"
    first = client.get(url)
    assert first.status_code == 200
    seen = len(calls)
    again = client.get(url)
    assert again.headers["X-CAIKG-Cache"] == "hit" and again.get_data() == first.get_data()
    assert len(calls) == seen
    head = client.head(url)
    assert head.headers["X-CAIKG-Cache"] == "hit" and head.get_data() == b""
    assert len(calls) == seen


def test_post_is_cached_by_body_and_never_304(client: FlaskClient, app: Flask) -> None:
    query = SELECT + " LIMIT 5"
    headers = {"Content-Type": "application/sparql-query", "Accept": "text/csv"}
    first = client.post("/sparql", data=query, headers=headers)
    assert first.status_code == 200 and first.headers["X-CAIKG-Cache"] == "miss"
    assert "ETag" not in first.headers
    before = jobs(app)
    again = client.post("/sparql", data=query, headers={**headers, "If-None-Match": "*"})
    assert again.status_code == 200 and again.headers["X-CAIKG-Cache"] == "hit"
    assert again.get_data() == first.get_data() and jobs(app) == before
    form = client.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert form.headers["X-CAIKG-Cache"] == "miss" and form.get_data() == first.get_data()
    other = client.post("/sparql", data=query + " OFFSET 1", headers=headers)
    assert other.headers["X-CAIKG-Cache"] == "miss" and jobs(app) == before + 2
    assert client.post("/sparql", data=query, headers=headers).headers["X-CAIKG-Cache"] == "hit"
    assert jobs(app) == before + 2


def test_cache_size_zero_turns_the_cache_off(built_settings: Settings,
                                             store: EmbeddedStore) -> None:
    app = create_app(built_settings.with_overrides(workers=1, cache_size=0), store=store)
    try:
        client = app.test_client()
        before = jobs(app)
        answers = [sparql(client) for _ in range(3)]
        assert [a.headers["X-CAIKG-Cache"] for a in answers] == ["miss"] * 3
        assert jobs(app) == before + 3
        assert len({a.headers["ETag"] for a in answers}) == 1  # ETags still work
        assert client.get(PAPER).headers["X-CAIKG-Cache"] == "miss"
        assert client.get(PAPER).headers["X-CAIKG-Cache"] == "miss"
        assert len(cache_of(app)) == 0
    finally:
        app.extensions["caikg_executor"].close()


def entry(size: int) -> CachedResponse:
    return CachedResponse(200, (), b"x" * (size - caching.ENTRY_OVERHEAD))


def test_lru_bound() -> None:
    cache = ResultCache(8000)
    assert not cache.put("v1", "huge", entry(1001))  # over an eighth of the budget
    for i in range(10):
        assert cache.put("v1", f"k{i}", entry(1000))
        assert cache.size <= 8000
    assert len(cache) == 8 and cache.get("v1", "k0") is None and cache.get("v1", "k1") is None
    assert cache.get("v1", "k2") is not None  # now the most recently used
    cache.put("v1", "k10", entry(1000))
    assert cache.get("v1", "k2") is not None and cache.get("v1", "k3") is None
    assert cache.get("v2", "k2") is None  # another version: the old entries are dropped
    assert len(cache) == 0 and cache.size == 0
    off = ResultCache(0)
    assert not off.put("v1", "k", entry(300)) and off.get("v1", "k") is None


def test_the_app_respects_the_budget(built_settings: Settings, store: EmbeddedStore) -> None:
    app = create_app(built_settings.with_overrides(workers=1, cache_size=1), store=store)
    try:
        client = app.test_client()
        cache = cache_of(app)
        assert cache.max_bytes == 1024 * 1024  # CAIKG_CACHE_SIZE=1 (MiB)
        everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
        sizes = []
        for i in range(30):  # about 90 KiB each: the cache cannot hold them all
            resp = sparql(client, f"{everything} LIMIT 700 OFFSET {i}", Accept="text/csv")
            assert resp.status_code == 200
            sizes.append(len(resp.get_data()))
            assert cache.size <= cache.max_bytes
        assert min(sizes) > 64 * 1024 and max(sizes) < cache.max_entry
        assert 8 <= len(cache) < 30
        first = sparql(client, f"{everything} LIMIT 700 OFFSET 0", Accept="text/csv")
        assert first.headers["X-CAIKG-Cache"] == "miss"  # least recently used: evicted
        last = sparql(client, f"{everything} LIMIT 700 OFFSET 29", Accept="text/csv")
        assert last.headers["X-CAIKG-Cache"] == "hit"
        whole = sparql(client, everything, Accept="text/csv")  # over an eighth of the budget
        assert len(whole.get_data()) > cache.max_entry
        assert sparql(client, everything, Accept="text/csv").headers["X-CAIKG-Cache"] == "miss"
        assert "ETag" in whole.headers  # still validated
    finally:
        app.extensions["caikg_executor"].close()


# -- downloads ---------------------------------------------------------------------------------

def _triples(data: bytes, fmt: Any) -> set[str]:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object)
                         for t in ox.parse(data, format=fmt.rdf_format))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def test_downloads_are_written_once_per_version(small_home: tuple[Settings, Path],
                                                small_app: Flask,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _ = small_home
    stale = settings.exports_dir / "00000000deadbeef"
    stale.mkdir(parents=True)
    (stale / "caikg.ttl").write_bytes(b"old")
    foreign = settings.exports_dir / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")

    calls: list[str] = []
    real = caching.export_bytes

    def counting(store: Any, fmt: Any) -> bytes:
        calls.append(fmt.key)
        return real(store, fmt)

    monkeypatch.setattr(caching, "export_bytes", counting)
    client = small_app.test_client()
    store = small_app.extensions["caikg_store"]
    for fmt in EXPORT_FORMATS.values():
        url = f"/downloads/caikg.{fmt.extension}"
        first = client.get(url)
        assert first.status_code == 200
        if fmt.key in BUILD_EXPORTS:  # written by the build, from its in-memory data
            assert _triples(first.get_data(), fmt) == _triples(export_bytes(store, fmt), fmt)
        else:
            assert first.get_data() == export_bytes(store, fmt)
        assert first.headers["Content-Disposition"] == \
            f'attachment; filename="caikg.{fmt.extension}"'
        assert first.mimetype == fmt.media_type
        assert int(first.headers["Content-Length"]) == len(first.get_data())
        again = client.get(url)
        assert again.get_data() == first.get_data()
        assert again.headers["ETag"] == first.headers["ETag"]
        is_not_modified(client.get(url, headers={"If-None-Match": first.headers["ETag"]}),
                        first.headers["ETag"])
        assert client.head(url).get_data() == b""
    assert sorted(calls) == sorted(f.key for f in EXPORT_FORMATS.values()
                                   if f.key not in BUILD_EXPORTS)
    version = store.info.version
    files = sorted(p.name for p in (settings.exports_dir / version).iterdir())
    assert files == sorted(f"caikg.{f.extension}" for f in EXPORT_FORMATS.values())
    assert not stale.exists() and (foreign / "notes.txt").exists()


def test_downloads_without_a_writable_home_still_work(small_home: tuple[Settings, Path],
                                                      small_app: Flask,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_path: Path, _data: bytes) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(caching, "write_atomically", refuse)
    resp = small_app.test_client().get("/downloads/caikg.nt")
    store = small_app.extensions["caikg_store"]
    assert resp.status_code == 200
    assert resp.get_data() == export_bytes(store, EXPORT_FORMATS["nt"])
    assert "ETag" in resp.headers
