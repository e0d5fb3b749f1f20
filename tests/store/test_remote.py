"""The store backends behind one interface: embedded Oxigraph, ``oxigraph serve`` and Virtuoso 7.

The same contract runs against each backend; the remote servers are real, started by the tests
on 127.0.0.1 (tests/remote_servers.py), and the shipped data is loaded into them by
``caikg build`` itself. The embedded store is the reference.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from caikg import queries
from caikg.build.pipeline import BuildError, build
from caikg.config import Settings
from caikg.sparql.guard import tokens
from caikg.store.base import KnowledgeStore, Term
from caikg.store.embedded import EmbeddedStore
from caikg.store.remote import publish as remote_publish
from caikg.store.remote import store as remote
from caikg.store.remote.client import RemoteClient, RemoteError
from caikg.store.remote.store import RemoteStore
from caikg.store.remote.substitution import substitute
from caikg.web.app import create_app
from tests.helpers.project import make_settings
from tests.helpers.remote_servers import SERVERS, RemoteEndpoint, available, missing
from tests.helpers.servers import free_port

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

BACKENDS = ["embedded", "oxigraph", "virtuoso"]


def remote_settings(home: Path, endpoint: RemoteEndpoint, **overrides: object) -> Settings:
    return make_settings(home, store_query_url=endpoint.query_url,
                         store_update_url=endpoint.update_url, store_gsp_url=endpoint.gsp_url,
                         store_user=endpoint.user or None, store_password=endpoint.password or None,
                         store_auth=endpoint.auth or None, version_ttl=0.0, **overrides)


# -- bindings without a bindings API -----------------------------------------------------------

def _sample_bindings(store: EmbeddedStore) -> dict[str, Term]:
    """One real value per parameter name used by the app's queries."""

    def first(query: str) -> Term:
        rows = list(store.query(query))
        assert rows, query
        value = rows[0][0]
        assert value is not None
        return value

    inst = store.instances
    person = first("SELECT ?p WHERE { ?w <https://schema.org/author> ?p } GROUP BY ?p "
                   "ORDER BY DESC(COUNT(?w)) ?p LIMIT 1")
    paper = first(f"SELECT ?w WHERE {{ ?w <https://schema.org/author> <{person.value}> }} "
                  "ORDER BY ?w LIMIT 1")
    return {
        "paper": paper, "person": person, "work": paper,
        "related": first(f"SELECT ?r WHERE {{ <{paper.value}> <https://schema.org/author> ?a . "
                         f"?r <https://schema.org/author> ?a FILTER (?r != <{paper.value}>) }} "
                         "ORDER BY ?r LIMIT 1"),
        "technique": first("SELECT ?t WHERE { ?w <http://purl.org/dc/terms/subject> ?t } "
                           "ORDER BY ?t LIMIT 1"),
        "venue": first("SELECT ?v WHERE { ?w <https://w3id.org/caikg/ontology#venue> ?v } "
                       "ORDER BY ?v LIMIT 1"),
        "section": ox.NamedNode(queries.load("section_works").defaults["section"]),
        "scheme": ox.NamedNode(str(inst.techniques_scheme)),
        "graph": ox.NamedNode(str(inst.enrichment_graph)),
        "void": ox.NamedNode(str(inst.void_graph)),
        "dataset": ox.NamedNode(str(inst.dataset)),
        "prefix": ox.Literal(f"{inst.base}graph/"),
        "base": ox.Literal(inst.base),
        "year": ox.Literal("2024", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")),
        "system": first("SELECT ?s WHERE { ?c <https://w3id.org/caikg/ontology#system> ?s } "
                        "ORDER BY ?s LIMIT 1"),
        "baseline": first("SELECT ?b WHERE { ?c <https://w3id.org/caikg/ontology#baseline> ?b "
                          "} ORDER BY ?b LIMIT 1"),
        "metric": first("SELECT ?m WHERE { ?c <https://w3id.org/caikg/ontology#metric> ?m } "
                        "ORDER BY ?m LIMIT 1"),
    }


APP_CALLS: dict[str, tuple[str, ...]] = {
    "paper_alternative_titles": ("paper",), "paper_authors": ("paper",),
    "paper_enrichment_facts": ("paper", "graph"), "paper_enrichment_links": ("paper", "graph"),
    "paper_facts": ("paper",), "paper_related": ("paper", "related"),
    "paper_related_ranked": ("paper",), "paper_techniques": ("paper",),
    "person_coauthor_counts": ("person",), "person_coauthor_links": ("person",),
    "person_enrichment_ids": ("person", "graph"), "person_names": ("person",),
    "person_papers": ("person",), "person_venues": ("person",),
    "scheme_concepts": ("scheme",), "scheme_description": ("scheme",),
    "section_concept": ("section",), "section_works": ("section",),
    "technique_concept": ("technique",), "technique_works": ("technique",),
    "venue_description": ("venue",), "venue_works": ("venue",),
    "technique_paper_counts": ("scheme",),
    "dataset_version": ("void", "dataset"), "dataset_staging_graphs": ("prefix",),
    "entity_pages": ("base",),
    "work_statements": ("paper",), "paper_systems": ("paper",), "paper_submissions": ("paper",),
    "system_facts": ("system",), "claim_comparison": ("baseline",),
}
"""The app's queries that take bindings, and what the views (src/caikg/views) and the remote
store (src/caikg/store/remote/) bind."""

BOUND_QUERIES = sorted({*APP_CALLS, *(q.name for q in queries.examples() if q.params)})


@pytest.mark.parametrize("name", BOUND_QUERIES)
def test_substitution_gives_the_rows_bindings_give(store: EmbeddedStore, name: str) -> None:
    """:func:`substitute` (for servers without a bindings API) = SEP-0007 substitution."""
    samples = _sample_bindings(store)
    query = queries.load(name)
    text = query.text
    names = APP_CALLS.get(name) or tuple(p.name for p in query.params)
    chosen = {p: samples[p] if p in samples else _default(query, p) for p in names}
    expected = store.query(text, bindings=chosen)
    substituted = substitute(text, chosen)
    actual = store.query(substituted)
    if isinstance(expected, ox.QueryTriples):
        assert set(expected) == set(actual)
        return
    if isinstance(expected, ox.QueryBoolean):
        assert bool(expected) == bool(actual)
        return
    columns = [v.value for v in expected.variables]
    exp = Counter(tuple(str(row[v]) for v in columns) for row in expected)
    act_rows = list(actual)
    got = Counter(tuple(str(chosen[v]) if v in chosen else str(row[v]) for v in columns)
                  for row in act_rows)
    assert got == exp
    assert sum(exp.values()) > 0 or name in {  # the sample entities have none of these
        "paper_enrichment_facts", "paper_enrichment_links", "person_enrichment_ids",
        "paper_alternative_titles", "work_related_by_technique", "paper_systems"}


def _default(query: queries.Query, param: str) -> Term:
    value = query.defaults[param]
    kind = next(p.kind for p in query.params if p.name == param)
    if kind == "iri":
        return ox.NamedNode(value)
    if kind in {"integer", "year"}:
        return ox.Literal(value, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    return ox.Literal(value)


def test_substitution_writes_terms_not_text() -> None:
    hostile = ox.Literal('x" } ; DROP ALL ; #', language="en")
    text = substitute('SELECT ?t WHERE { ?s ?p ?t FILTER (?t = ?v) }', {"v": hostile})
    assert [t.text for t in tokens(text) if t.kind == "word"] == ["SELECT", "WHERE", "FILTER", "en"]
    data = ox.Store()
    data.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), hostile))
    solutions = data.query(text, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    assert [row[0] for row in solutions] == [hostile]
    with pytest.raises(ValueError, match="only IRIs and literals"):
        substitute("SELECT * WHERE { ?s ?p ?o }", {"s": ox.BlankNode()})


# -- the contract, per backend ---------------------------------------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            built_settings: Settings) -> Iterator[tuple[str, Settings]]:
    name: str = request.param
    if name == "embedded":
        yield name, built_settings
        return
    if not available(name):
        pytest.skip(missing(name))
    workdir = tmp_path_factory.mktemp(name)
    with SERVERS[name](workdir / "server") as endpoint:
        settings = remote_settings(workdir / "home", endpoint)
        build(settings)
        yield name, settings


@pytest.fixture(scope="module")
def backend_store(backend: tuple[str, Settings]) -> KnowledgeStore:
    name, settings = backend
    return EmbeddedStore.open(settings) if name == "embedded" else RemoteStore(settings)


@pytest.fixture(scope="module")
def backend_client(backend: tuple[str, Settings], backend_store: KnowledgeStore
                   ) -> Iterator[FlaskClient]:
    name, settings = backend
    # the embedded backend: the session's in-memory store; a remote one: what settings name
    app = create_app(settings, store=backend_store if name == "embedded" else None)
    yield app.test_client()
    app.extensions["caikg_executor"].close()


def test_build_loads_the_same_dataset(backend_store: KnowledgeStore, store: EmbeddedStore
                                      ) -> None:
    info, ref = backend_store.info, store.info
    assert info is not None and ref is not None
    assert info.version == ref.version
    assert info.graphs == ref.graphs
    assert backend_store.named_graphs() == store.named_graphs()
    assert len(backend_store) == len(store)


def _canonical(quads: Any) -> set[str]:
    """Quads with canonical blank nodes, without the build time (builds differ in it)."""
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) if isinstance(q, ox.Triple)
                         else q for q in quads if q.predicate.value != remote.DCTERMS_MODIFIED)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def test_quads_and_dump_round_trip(backend_store: KnowledgeStore, store: EmbeddedStore) -> None:
    graph = str(store.instances.curated_graph)
    assert _canonical(backend_store.quads(graph)) == _canonical(store.quads(graph))
    out = io.BytesIO()
    backend_store.dump(out, ox.RdfFormat.N_QUADS)
    assert _canonical(ox.parse(out.getvalue(), format=ox.RdfFormat.N_QUADS)) == _canonical(
        store.quads())


PAGE_KINDS = {"paper": "https://schema.org/ScholarlyArticle", "person": "https://schema.org/Person",
              "technique": "http://www.w3.org/2004/02/skos/core#Concept",
              "venue": "https://w3id.org/caikg/ontology#VenueSeries"}


@pytest.fixture(scope="module")
def reference_client(app: Flask) -> FlaskClient:
    return app.test_client()


def _entities(store: EmbeddedStore) -> list[str]:
    out: list[str] = []
    for cls in PAGE_KINDS.values():
        rows = store.query(f"SELECT DISTINCT ?e WHERE {{ ?e a <{cls}> }} ORDER BY ?e")
        out += [row[0].value for row in rows if "#" not in row[0].value][:25]
    return out


def test_entity_pages_are_identical(backend_client: FlaskClient, reference_client: FlaskClient,
                                    store: EmbeddedStore) -> None:
    """Every page kind, rendered from the backend, equals the embedded store's page."""
    base = store.instances.base
    entities = _entities(store)
    assert len(entities) > 60
    for iri in entities:
        path = "/" + iri.removeprefix(base)
        want = reference_client.get(path, headers={"Accept": "text/html"})
        got = backend_client.get(path, headers={"Accept": "text/html"})
        assert want.status_code == got.status_code == 200, path
        assert got.get_data(as_text=True) == want.get_data(as_text=True), path
        ttl = backend_client.get(path + ".ttl")
        ref = reference_client.get(path + ".ttl")
        assert ttl.status_code == ref.status_code == 200, (path, ttl.data[:200], ref.data[:200])
        assert set(ox.parse(ttl.data, format=ox.RdfFormat.TURTLE)) == set(
            ox.parse(ref.data, format=ox.RdfFormat.TURTLE)), path


def _rows(rows: list[dict[str, Any]]) -> Counter[str]:
    """Rows as a multiset; GROUP_CONCAT lists (", ") compared as sets, since SPARQL leaves
    their order to the engine."""
    def norm(value: Any) -> Any:
        return sorted(value.split(", ")) if isinstance(value, str) and ", " in value else value

    return Counter(json.dumps({k: norm(v) for k, v in r.items()}, sort_keys=True) for r in rows)


def _solutions(body: bytes) -> Counter[str]:
    doc = json.loads(body)
    return Counter(json.dumps({k: (v["type"], v["value"], v.get("xml:lang"))
                               for k, v in b.items()}, sort_keys=True)
                   for b in doc["results"]["bindings"])


@pytest.mark.parametrize("example", [q.name for q in queries.examples()])
def test_example_queries_answer_alike(backend_client: FlaskClient,
                                      reference_client: FlaskClient, example: str) -> None:
    query = queries.load(example)
    want = reference_client.get(f"/api/{example}", query_string=query.defaults)
    got = backend_client.get(f"/api/{example}", query_string=query.defaults)
    assert want.status_code == got.status_code == 200, got.data[:300]
    if got.mimetype == "application/ld+json":  # a CONSTRUCT: compare the graphs
        assert _canonical(ox.parse(got.data, format=ox.RdfFormat.JSON_LD)) == _canonical(
            ox.parse(want.data, format=ox.RdfFormat.JSON_LD)), query.title
        return
    doc, ref = got.get_json(), want.get_json()
    assert doc["columns"] == ref["columns"]
    assert _rows(doc["rows"]) == _rows(ref["rows"]), query.title
    assert ref["rows"], query.title


def test_sparql_endpoint_on_every_backend(backend_client: FlaskClient,
                                          reference_client: FlaskClient) -> None:
    select = ("SELECT ?w ?t WHERE { ?w a <https://schema.org/ScholarlyArticle> ; "
              "<http://purl.org/dc/terms/title> ?t }")
    for client in (backend_client, reference_client):
        resp = client.post("/sparql", data=select, content_type="application/sparql-query",
                           headers={"Accept": "application/sparql-results+json"})
        assert resp.status_code == 200, resp.data
    a = _solutions(backend_client.post("/sparql", data=select,
                                       content_type="application/sparql-query").data)
    b = _solutions(reference_client.post("/sparql", data=select,
                                         content_type="application/sparql-query").data)
    assert a == b and len(a) >= 38
    ask = backend_client.get("/sparql", query_string={
        "query": "ASK { ?s a <https://schema.org/Person> }"},
        headers={"Accept": "application/sparql-results+json"})
    assert ask.get_json() == {"head": {}, "boolean": True}
    graphs = backend_client.get("/sparql", query_string={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "text/csv"})
    assert sorted(graphs.get_data(as_text=True).split()[1:]) == sorted(
        reference_client.get("/sparql", query_string={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "text/csv"}).get_data(as_text=True).split()[1:])
    construct = backend_client.get("/sparql", query_string={
        "query": "CONSTRUCT { ?p a <https://schema.org/Person> } WHERE { ?p a "
                 "<https://schema.org/Person> }"}, headers={"Accept": "application/n-triples"})
    assert construct.status_code == 200
    assert len(set(ox.parse(construct.data, format=ox.RdfFormat.N_TRIPLES))) >= 200
    refused = backend_client.get("/sparql", query_string={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert refused.status_code == 400 and b"SERVICE" in refused.data
    bad = backend_client.get("/sparql", query_string={"query": "SELECT WHERE {"})
    assert bad.status_code == 400


def test_healthz_reports_store_and_version(backend_client: FlaskClient,
                                           store: EmbeddedStore) -> None:
    resp = backend_client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok" and body["store_reachable"] is True
    assert store.info is not None and body["version"] == store.info.version
    assert resp.headers["Cache-Control"] == "no-store"


# -- remote only: atomic switch, staging, statelessness ----------------------------------------

OLD_TITLE = "A Survey of Resource-efficient LLM and Multimodal Foundation Models"
CHANGED_PAPER = "/paper/a-survey-of-resource-efficient-llm-and"


def changed_data(settings: Settings, directory: Path, title: str) -> Path:
    """A copy of the shipped data with one paper's title changed."""
    directory.mkdir()
    for f in settings.data_dir.glob("*.ttl"):
        text = f.read_text(encoding="utf-8")
        assert f.name != "survey.ttl" or OLD_TITLE in text
        (directory / f.name).write_text(text.replace(OLD_TITLE, title), encoding="utf-8")
    return directory

REMOTES = ["oxigraph", "virtuoso"]


@pytest.fixture(params=REMOTES)
def fresh_remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    name: str = request.param
    if not available(name):
        pytest.skip(missing(name))
    with SERVERS[name](tmp_path / "server") as endpoint:
        yield remote_settings(tmp_path / "home", endpoint)


def _graphs_on_server(settings: Settings) -> set[str]:
    sol = RemoteClient(settings).select_text("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {row[0].value for row in sol.rows if row[0] is not None
            and row[0].value.startswith(settings.base_iri)}


def test_failed_upload_keeps_the_live_graphs(fresh_remote: Settings, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    settings = fresh_remote
    first = build(settings)
    before = _graphs_on_server(settings)
    served = RemoteStore(settings)
    assert served.info is not None and served.info.version == first.info.version

    # the second build has different data, and its upload fails half-way
    data = changed_data(settings, tmp_path / "data", "Retitled By The Second Build")
    calls = {"n": 0}
    real_upload = RemoteClient.upload

    def flaky(self: RemoteClient, graph: str, triples: Any, timeout: float | None = None
              ) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RemoteError("connection reset (injected)")
        real_upload(self, graph, triples, timeout)

    monkeypatch.setattr(RemoteClient, "upload", flaky)
    with pytest.raises(BuildError, match="previous build"):
        build(settings, [data])
    assert calls["n"] == 2
    assert _graphs_on_server(settings) == before  # no staging graph left, live unchanged
    assert RemoteStore(settings).version == first.info.version

    monkeypatch.setattr(RemoteClient, "upload", real_upload)
    second = build(settings, [data])
    assert second.info.version != first.info.version
    assert served.version == second.info.version  # version_ttl=0: seen at once
    app = create_app(settings)
    try:
        page = app.test_client().get(CHANGED_PAPER)
        assert page.status_code == 200 and b"Retitled By The Second Build" in page.data
    finally:
        app.extensions["caikg_executor"].close()


def test_staging_graphs_are_invisible_and_leftovers_removed(fresh_remote: Settings) -> None:
    settings = fresh_remote
    build(settings)
    client = RemoteClient(settings)
    leftover = f"{settings.base_iri}{remote_publish.STAGING}killed-build/curated"
    client.update(f"INSERT DATA {{ GRAPH <{leftover}> {{ <https://w3id.org/caikg/person/ghost> "
                  "a <https://schema.org/Person> } }")
    app = create_app(settings)
    try:
        web = app.test_client()
        resp = web.get("/sparql", query_string={
            "query": "SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/caikg/person/ghost> ?p ?o "
                     "} }"}, headers={"Accept": "application/sparql-results+json"})
        assert resp.status_code == 200 and resp.get_json()["results"]["bindings"] == []
        resp = web.get("/sparql", query_string={
            "query": "ASK { <https://w3id.org/caikg/person/ghost> ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"})
        assert resp.get_json()["boolean"] is False
        assert web.get("/person/ghost").status_code == 404
    finally:
        app.extensions["caikg_executor"].close()
    build(settings)
    assert leftover not in _graphs_on_server(settings)


def test_two_app_processes_share_one_store(fresh_remote: Settings, tmp_path: Path) -> None:
    """Stateless apps: any instance answers the same, and all see a rebuild."""
    settings = fresh_remote
    first = build(settings)
    apps = [create_app(settings) for _ in range(2)]
    try:
        clients = [a.test_client() for a in apps]
        bodies = {c.get("/healthz").get_json()["version"] for c in clients}
        assert bodies == {first.info.version}
        data = changed_data(settings, tmp_path / "data2", "Retitled For Both Apps")
        second = build(settings, [data])
        assert {c.get("/healthz").get_json()["version"] for c in clients} == {
            second.info.version}
        pages = [c.get(CHANGED_PAPER) for c in clients]
        assert [p.status_code for p in pages] == [200, 200]
        assert pages[0].data == pages[1].data and b"Retitled For Both Apps" in pages[0].data
    finally:
        for a in apps:
            a.extensions["caikg_executor"].close()


def test_unreachable_store_is_reported(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path / "home", store_query_url=dead + "/query",
                             store_update_url=dead + "/update")
    app = create_app(settings)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["store_reachable"] is False and "cannot reach" in body["error"]
    with pytest.raises(BuildError, match="cannot reach"):
        build(settings)
    with pytest.raises(requests.ConnectionError):
        requests.get(dead, timeout=2)


def test_basic_auth_is_sent_only_when_a_user_is_set(tmp_path: Path) -> None:
    """CAIKG_STORE_AUTH=basic (the default) sends the credentials with every request;
    without CAIKG_STORE_USER nothing is sent. (Digest is exercised against Virtuoso.)"""
    import base64
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.headers.get("Authorization"))
            body = b'{"head": {}, "boolean": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/query"
    try:
        with_user = make_settings(tmp_path / "a", store_query_url=url, store_user="reader",
                                  store_password="s3cret")
        assert RemoteClient(with_user).ask_text("ASK {}") is True
        assert RemoteClient(make_settings(tmp_path / "b", store_query_url=url)).ask_text("ASK {}")
    finally:
        server.shutdown()
    assert seen == ["Basic " + base64.b64encode(b"reader:s3cret").decode(), None]
