"""/sparql against a real ``caikg serve`` process, with SPARQLWrapper as the client."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.dom.minidom import Document

import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from caikg.build.pipeline import BuildResult
from caikg.rdf.sources import to_rdflib
from caikg.store.embedded import EmbeddedStore
from tests.helpers.servers import Canary, caikg_server

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

TIMEOUT = 3
LIMIT = 1000
SELECT = ("PREFIX schema: <https://schema.org/> PREFIX dcterms: <http://purl.org/dc/terms/> "
          "SELECT ?work ?title WHERE { ?work a schema:ScholarlyArticle ; dcterms:title ?title } "
          "ORDER BY ?work")
CONSTRUCT = ("PREFIX schema: <https://schema.org/> CONSTRUCT { ?w schema:author ?p } "
             "WHERE { ?w schema:author ?p }")
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CURATED = "https://w3id.org/caikg/graph/curated"
ONTOLOGY = "https://w3id.org/caikg/graph/ontology"


@pytest.fixture(scope="module")
def server(built: BuildResult) -> Iterator[str]:
    assert built.store_dir is not None
    home = built.store_dir.parent.parent
    with caikg_server(home, CAIKG_QUERY_TIMEOUT=str(TIMEOUT), CAIKG_RESULT_LIMIT=str(LIMIT),
                      CAIKG_WORKERS="2") as base:
        yield base


@pytest.fixture(scope="module")
def expected_titles(store: EmbeddedStore) -> list[tuple[str, str]]:
    return [(r["work"].value, r["title"].value) for r in store.query(SELECT)]


def client(server: str, query: str, fmt: str, method: str, request_method: str
           ) -> SPARQLWrapper:
    sw = SPARQLWrapper(server + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    sw.setRequestMethod(request_method)
    sw.setTimeout(30)
    return sw


METHODS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


@pytest.mark.parametrize("method, request_method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select_every_format_and_method(server: str, expected_titles: list[tuple[str, str]],
                                        fmt: str, method: str, request_method: str) -> None:
    raw = client(server, SELECT, fmt, method, request_method).query()
    body = raw.response.read()
    content_type = raw.response.headers["Content-Type"]
    if fmt == JSON:
        assert content_type.startswith("application/sparql-results+json")
        rows = [(b["work"]["value"], b["title"]["value"])
                for b in json.loads(body)["results"]["bindings"]]
    elif fmt == XML:
        assert content_type.startswith("application/sparql-results+xml")
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        rows = [(r.find("r:binding[@name='work']/r:uri", ns).text,  # type: ignore[union-attr]
                 r.find("r:binding[@name='title']/r:literal", ns).text)  # type: ignore[union-attr]
                for r in ET.fromstring(body).iterfind(".//r:result", ns)]
    elif fmt == CSV:
        assert content_type.startswith("text/csv")
        rows = [tuple(r) for r in list(csv.reader(io.StringIO(body.decode())))[1:]]  # type: ignore[misc]
    else:
        assert content_type.startswith("text/tab-separated-values")
        lines = body.decode().splitlines()[1:]
        rows = [(a.strip("<>"), b.split('"')[1]) for a, b in (ln.split("\t") for ln in lines)]
    assert rows == expected_titles


@pytest.mark.parametrize("method, request_method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(server: str, fmt: str, method: str, request_method: str) -> None:
    sw = client(server, "ASK { ?s a <https://schema.org/Person> }", fmt, method, request_method)
    result = sw.query().convert()
    if fmt == JSON:
        assert isinstance(result, dict)
        assert result["boolean"] is True
    else:
        assert isinstance(result, Document)
        assert "true" in result.toxml()


@pytest.mark.parametrize("method, request_method", METHODS)
@pytest.mark.parametrize("fmt, rdflib_format", [(TURTLE, "turtle"), (N3, "turtle"),
                                                (JSONLD, "json-ld"), (RDFXML, "xml"),
                                                (XML, "xml")])
def test_construct_every_format_and_method(server: str, store: EmbeddedStore, fmt: str,
                                           rdflib_format: str, method: str,
                                           request_method: str) -> None:
    body = client(server, CONSTRUCT, fmt, method, request_method).query().response.read()
    got = Graph().parse(data=body, format=rdflib_format)
    expected = to_rdflib(store.query(CONSTRUCT))
    assert len(got) > 200
    assert isomorphic(got, expected)


@pytest.mark.parametrize("accept, ctype", [
    ("application/n-triples", "application/n-triples"),
    ("application/trig", "application/trig"),
    ("application/n-quads", "application/n-quads"),
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
])
def test_construct_negotiation(server: str, accept: str, ctype: str) -> None:
    resp = requests.get(server + "/sparql", params={"query": CONSTRUCT},
                        headers={"Accept": accept}, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith(ctype)
    assert resp.headers["Vary"] == "Accept"


def test_graph_selection(server: str) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://www.w3.org/2002/07/owl#Class> }"

    def count(**params: str) -> int:
        resp = requests.get(server + "/sparql", params={"query": q, **params},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert resp.status_code == 200, resp.text
        return int(resp.json()["results"]["bindings"][0]["n"]["value"])

    assert count(**{"default-graph-uri": ONTOLOGY}) >= 4
    assert count(**{"default-graph-uri": CURATED}) == 0
    assert count() == count(**{"default-graph-uri": ONTOLOGY})  # default = union
    named = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    resp = requests.post(server + "/sparql", data={"query": named, "named-graph-uri": CURATED},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
    graphs = [b["g"]["value"] for b in resp.json()["results"]["bindings"]]
    assert graphs == [CURATED]


@pytest.mark.parametrize("kwargs, status, words", [
    ({"method": "POST", "data": {}}, 400, "missing 'query'"),
    ({"method": "GET", "params": [("query", SELECT), ("query", SELECT)]}, 400, "duplicate"),
    ({"method": "GET", "params": {"query": "SELECT ?x WHERE { ?x"}}, 400, "line 1"),
    ({"method": "GET", "params": {"query": SELECT, "format": "json", "output": "xml"}}, 400,
     "conflicting"),
    ({"method": "GET", "params": {"query": SELECT, "format": "png"}}, 400, "unsupported format"),
    ({"method": "GET", "params": {"query": SELECT, "default-graph-uri": "http://x.org/g"}},
     400, "does not have"),
    ({"method": "GET", "params": {"query": SELECT, "foo": "bar"}}, 400, "unknown parameter"),
    ({"method": "POST", "data": "CLEAR ALL",
      "headers": {"Content-Type": "application/sparql-update"}}, 400, "read-only"),
    ({"method": "POST", "data": {"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 400,
     "read-only"),
    ({"method": "GET", "params": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 400,
     "read-only"),
    ({"method": "POST", "data": SELECT, "headers": {"Content-Type": "text/plain"}}, 415,
     "Content-Type"),
    ({"method": "PUT", "data": SELECT}, 405, ""),
    ({"method": "DELETE"}, 405, ""),
    ({"method": "GET", "params": {"query": SELECT}, "headers": {"Accept": "image/png"}}, 406,
     "acceptable"),
    ({"method": "POST", "data": "x" * 2_000_000,
      "headers": {"Content-Type": "application/sparql-query"}}, 413, ""),
])
def test_protocol_errors(server: str, kwargs: dict[str, object], status: int,
                         words: str) -> None:
    resp = requests.request(url=server + "/sparql", timeout=30, **kwargs)  # type: ignore[arg-type]
    assert resp.status_code == status, resp.text
    assert words in resp.text


def test_syntax_error_through_sparqlwrapper(server: str) -> None:
    with pytest.raises(QueryBadFormed):
        client(server, "SELECT * WHERE { ?s ?p }", JSON, GET, URLENCODED).query()


def test_service_description_and_editor(server: str) -> None:
    resp = requests.get(server + "/sparql", headers={"Accept": "text/turtle"}, timeout=30)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/turtle")
    sd = Graph().parse(data=resp.text, format="turtle")
    assert (None, None, None) in sd
    assert "sd:Service" in resp.text or "sparql-service-description#Service" in resp.text
    assert CURATED in resp.text
    html = requests.get(server + "/sparql", headers={"Accept": "text/html,*/*;q=0.8"},
                        timeout=30)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert 'id="yasgui"' in html.text
    assert "yasgui.min.js" in html.text
    assert requests.get(server + "/static/vendor/yasgui/yasgui.min.js",
                        timeout=30).status_code == 200


def test_cors(server: str) -> None:
    pre = requests.options(server + "/sparql", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST"}, timeout=30)
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    get = requests.get(server + "/sparql", params={"query": "ASK {}"}, timeout=30)
    assert get.headers["Access-Control-Allow-Origin"] == "*"


def test_row_cap_is_reported(server: str) -> None:
    resp = requests.get(server + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"},
                        headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert resp.status_code == 200
    assert len(resp.json()["results"]["bindings"]) == LIMIT
    assert resp.headers["X-CAIKG-Result-Count"] == str(LIMIT)
    assert resp.headers["X-CAIKG-Result-Truncated"].startswith("true")
    small = requests.get(server + "/sparql", params={"query": SELECT}, timeout=30)
    assert "X-CAIKG-Result-Truncated" not in small.headers


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}a> {{ SERVICE <{url}b> {{ ?s ?p ?o }}"
    " }} }} }}",
    "SELECT * WHERE {{ SERV\\u0049CE <{url}sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE SILENT <{url}x> {{ ?s ?p ?o }} }}",
    "SELECT * FROM <{url}data.nt> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}data.nt> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "LOAD <{url}data.nt>",
    "LOAD SILENT <{url}data.nt> INTO GRAPH <http://g>",
])
def test_no_outbound_requests(server: str, template: str) -> None:
    with Canary() as canary:
        query = template.format(url=canary.url)
        for method in ("GET", "POST"):
            if method == "GET":
                resp = requests.get(server + "/sparql", params={"query": query}, timeout=30)
            else:
                resp = requests.post(server + "/sparql", data=query.encode(), timeout=30,
                                     headers={"Content-Type": "application/sparql-query"})
            assert resp.status_code == 400, resp.text
        time.sleep(0.2)
        assert canary.requests == []


def test_timeout_stops_query_and_others_are_answered(server: str) -> None:
    outcome: dict[str, tuple[int, str, float, float]] = {}

    def heavy() -> None:
        start = time.monotonic()
        resp = requests.get(server + "/sparql", params={"query": HEAVY}, timeout=60)
        outcome["heavy"] = (resp.status_code, resp.text, time.monotonic() - start,
                            time.monotonic())

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.5)
    light_done = None
    for _ in range(3):
        resp = requests.get(server + "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert resp.status_code == 200 and resp.json()["boolean"] is True
        light_done = time.monotonic()
    thread.join()
    status, text, elapsed, finished = outcome["heavy"]
    assert status == 503, text
    assert "timed out" in text or "timeout" in text.lower()
    assert elapsed < TIMEOUT + 2
    assert light_done is not None and light_done < finished
    # the endpoint still answers after the runaway query was killed
    after = requests.get(server + "/sparql", params={"query": SELECT}, timeout=30)
    assert after.status_code == 200


def test_twenty_concurrent_clients(server: str, expected_titles: list[tuple[str, str]]) -> None:
    def one(i: int) -> int:
        method, request_method = METHODS[i % len(METHODS)]
        result = client(server, SELECT, JSON, method, request_method).query().convert()
        assert isinstance(result, dict)
        return len(result["results"]["bindings"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        counts = list(pool.map(one, range(100)))
    assert counts == [len(expected_titles)] * 100


def test_control_characters_stay_well_formed(tmp_path: Path) -> None:
    from caikg.build.pipeline import build
    from tests.helpers.project import make_settings

    data = tmp_path / "odd.ttl"
    data.write_text(
        "@prefix schema: <https://schema.org/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "<https://w3id.org/caikg/person/odd> a schema:Person, foaf:Person ;\n"
        '    schema:name "bell\\u0007 nul-ish\\u0001 tab\\t nl\\n quote\\" lt< amp&" .\n',
        encoding="utf-8")
    settings = make_settings(tmp_path / "home")
    build(settings, [data])
    with caikg_server(settings.home) as base:
        q = "SELECT ?n WHERE { ?p <https://schema.org/name> ?n }"
        for accept in ("application/sparql-results+json", "application/sparql-results+xml",
                       "text/csv", "text/tab-separated-values"):
            resp = requests.get(base + "/sparql", params={"query": q},
                                headers={"Accept": accept}, timeout=30)
            assert resp.status_code == 200
            if "json" in accept:
                assert "bell\u0007" in resp.json()["results"]["bindings"][0]["n"]["value"]
            elif "xml" in accept:
                ET.fromstring(resp.content)
            elif accept == "text/csv":
                assert len(list(csv.reader(io.StringIO(resp.text)))) == 2
            else:
                assert len(resp.text.strip("\n").split("\n")) == 2
        for fmt in ("text/turtle", "application/n-triples", "application/ld+json",
                    "application/rdf+xml"):
            resp = requests.get(base + "/sparql", params={
                "query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": fmt}, timeout=30)
            assert resp.status_code == 200
            rdflib_fmt = {"text/turtle": "turtle", "application/n-triples": "nt",
                          "application/ld+json": "json-ld", "application/rdf+xml": "xml"}[fmt]
            g = Graph().parse(data=resp.content, format=rdflib_fmt)
            # XML 1.0 cannot carry U+0001-U+001F (but tab, newline, CR) even escaped:
            # RDF/XML gets U+FFFD for them; the other formats keep them exactly
            kept = "bell\ufffd" if fmt == "application/rdf+xml" else "bell\u0007"
            assert any(kept in str(o) for o in g.objects())
