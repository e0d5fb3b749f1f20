"""Smoke tests of the real SPARQL servers the remote store backend talks to.

Each server (tests/remote_servers.py) is started once for this module and spoken to over
plain HTTP: the Graph Store Protocol, SPARQL Update and the SPARQL Query protocol.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests

from tests.helpers.remote_servers import SERVERS, RemoteEndpoint, available, missing

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

EX = "urn:caikg:test:"
NT = "application/n-triples"
JSON = "application/sparql-results+json"
XSD = "http://www.w3.org/2001/XMLSchema#"
Dataset = dict[str, list[str]]


class Client:
    """Just enough of a SPARQL client to check the servers (not the backend's client)."""

    def __init__(self, ep: RemoteEndpoint) -> None:
        self.ep = ep
        self.http = requests.Session()
        self.http.auth = ep.requests_auth()

    def put(self, graph: str, body: str, ctype: str = NT) -> requests.Response:
        return self._gsp("PUT", graph, body, ctype)

    def post(self, graph: str, body: str, ctype: str = NT) -> requests.Response:
        return self._gsp("POST", graph, body, ctype)

    def _gsp(self, method: str, graph: str, body: str, ctype: str) -> requests.Response:
        r = self.http.request(method, self.ep.gsp_url, params={self.ep.gsp_graph_param: graph},
                              data=body.encode(), headers={"Content-Type": ctype}, timeout=60)
        assert r.status_code in (200, 201, 204), r.text
        return r

    def get(self, graph: str) -> set[ox.Triple]:
        r = self.http.get(self.ep.gsp_url, params={self.ep.gsp_graph_param: graph},
                          headers={"Accept": NT}, timeout=60)
        assert r.status_code == 200, r.text
        return triples(r.content)

    def update(self, text: str) -> None:
        r = self.http.post(self.ep.update_url, data={"update": text}, timeout=60)
        assert r.status_code in (200, 204), r.text

    def query(self, text: str, accept: str = JSON, method: str = "POST",
              dataset: Dataset | None = None) -> requests.Response:
        """``dataset``: {"default-graph-uri": [...], "named-graph-uri": [...]}."""
        # Form-encoded only: Virtuoso 7.2.5 never answers a POST of application/sparql-query.
        params: dict[str, Any] = {**(dataset or {}), "query": text}
        if method == "GET":
            r = self.http.get(self.ep.query_url, params=params, headers={"Accept": accept},
                              timeout=60)
        else:
            r = self.http.post(self.ep.query_url, data=params, headers={"Accept": accept},
                               timeout=60)
        assert r.status_code == 200, r.text
        return r

    def select(self, text: str, method: str = "POST",
               dataset: Dataset | None = None) -> list[dict]:
        """Rows of ``{var: value}`` (lexical values only)."""
        r = self.query(text, JSON, method, dataset)
        bindings = r.json()["results"]["bindings"]
        return [{k: v["value"] for k, v in b.items()} for b in bindings]

    def values(self, text: str, dataset: Dataset | None = None) -> list[str]:
        return sorted(v for row in self.select(text, dataset=dataset) for v in row.values())

    def ask(self, text: str, method: str = "POST") -> bool:
        body = self.query(text, method=method).json()
        if "boolean" in body:
            return bool(body["boolean"])
        # Virtuoso 7.2.5 answers ASK as a table: one row ?__ASK_RETVAL = 1, or no row.
        rows = body["results"]["bindings"]
        return bool(rows) and rows[0]["__ASK_RETVAL"]["value"] == "1"

    def count(self, graph: str) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"])


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    name: str = request.param
    if not available(name):
        pytest.skip(missing(name))
    with SERVERS[name](tmp_path_factory.mktemp(name)) as ep:
        yield Client(ep)


def triples(nt: bytes) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)}


def t(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(EX + s), ox.NamedNode(EX + p), o)


def test_graph_store_put_post_get(server: Client) -> None:
    g = EX + "gsp"
    server.put(g, f'<{EX}a> <{EX}name> "Alpha" .\n<{EX}a> <{EX}next> <{EX}b> .\n')
    server.post(g, f'@prefix x: <{EX}> .\nx:b x:name "Beta"@en ; x:n 42 .\n', "text/turtle")
    assert server.get(g) == {
        t("a", "name", ox.Literal("Alpha")),
        t("a", "next", ox.NamedNode(EX + "b")),
        t("b", "name", ox.Literal("Beta", language="en")),
        t("b", "n", ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))),
    }
    server.put(g, f'@prefix x: <{EX}> .\nx:c x:name "Gamma" .\n', "text/turtle")  # replaces
    assert server.get(g) == {t("c", "name", ox.Literal("Gamma"))}


def test_update_insert_copy_move_drop(server: Client) -> None:
    a, b, c = EX + "ua", EX + "ub", EX + "uc"
    server.update(f'INSERT DATA {{ GRAPH <{a}> {{ <{EX}s> <{EX}p> "one", "two" }} }}')
    server.update(f"COPY GRAPH <{a}> TO <{b}>")
    assert (server.count(a), server.count(b)) == (2, 2)
    server.update(f"MOVE GRAPH <{b}> TO <{c}>")
    assert (server.count(b), server.count(c)) == (0, 2)
    server.update(f'INSERT DATA {{ GRAPH <{b}> {{ <{EX}s> <{EX}p> "three" }} }}')
    server.update(f"ADD GRAPH <{b}> TO <{c}>")
    assert server.values(f"SELECT ?o WHERE {{ GRAPH <{c}> {{ ?s ?p ?o }} }}") == \
        ["one", "three", "two"]
    server.update(f"DROP SILENT GRAPH <{c}>")
    server.update(f"DROP SILENT GRAPH <{EX}never-existed>")
    assert server.count(c) == 0


def test_update_several_operations_in_one_request(server: Client) -> None:
    live, staging, meta = EX + "live", EX + "staging", EX + "meta"
    server.put(live, f'<{EX}s> <{EX}p> "old" .\n')
    server.put(staging, f'<{EX}s> <{EX}p> "new" .\n')
    server.update(f"DROP SILENT GRAPH <{live}> ;\n"
                  f"MOVE SILENT GRAPH <{staging}> TO <{live}> ;\n"
                  f'INSERT DATA {{ GRAPH <{meta}> {{ <{EX}s> <{EX}version> "2" }} }}')
    assert server.values(f"SELECT ?o WHERE {{ GRAPH <{live}> {{ ?s ?p ?o }} }}") == ["new"]
    assert server.count(staging) == 0
    assert server.count(meta) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_ask_construct(server: Client, method: str) -> None:
    g = EX + "q"
    server.put(g, f'<{EX}a> <{EX}n> 3 .\n<{EX}b> <{EX}n> 10 .\n<{EX}b> <{EX}label> "B"@en .\n',
               "text/turtle")
    rows = server.select(f"SELECT ?s ?n WHERE {{ GRAPH <{g}> {{ ?s <{EX}n> ?n }} }} "
                         "ORDER BY DESC(?n)", method=method)
    assert rows == [{"s": EX + "b", "n": "10"}, {"s": EX + "a", "n": "3"}]
    assert server.ask(f"ASK {{ GRAPH <{g}> {{ <{EX}a> <{EX}n> 3 }} }}", method=method)
    assert not server.ask(f"ASK {{ GRAPH <{g}> {{ <{EX}a> <{EX}n> 4 }} }}", method=method)
    r = server.query(f"CONSTRUCT {{ ?s <{EX}seen> ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}",
                     accept=NT, method=method)
    assert r.headers["Content-Type"].startswith(NT)
    got = triples(r.content)
    assert t("b", "seen", ox.Literal("B", language="en")) in got
    assert len(got) == 3


def test_dataset_selection(server: Client) -> None:
    for name in "xyz":
        server.put(EX + name, f'<{EX}s> <{EX}p> "{name}" .\n')
    q = f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }}"
    assert server.values(q, {"default-graph-uri": [EX + "x", EX + "y"]}) == ["x", "y"]
    named = f"SELECT ?g ?o WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}"
    rows = server.select(named, dataset={"named-graph-uri": [EX + "x", EX + "z"],
                                         "default-graph-uri": [EX + "y"]})
    assert sorted((r["g"], r["o"]) for r in rows) == [(EX + "x", "x"), (EX + "z", "z")]


def test_literals_in_json_results(server: Client) -> None:
    g = EX + "lit"
    server.put(g, f'@prefix x: <{EX}> .\n@prefix xsd: <{XSD}> .\n'
                  'x:s x:int 7 ; x:lang "Hallo"@DE ; x:plain "p" ; x:year "2024"^^xsd:gYear .\n',
               "text/turtle")
    body = server.query(f"SELECT ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}").json()
    terms = {b["p"]["value"][len(EX):]: b["o"] for b in body["results"]["bindings"]}
    # Virtuoso says "typed-literal" (SPARQL 1.0 JSON), Oxigraph "literal"
    assert terms["int"]["type"] in ("literal", "typed-literal")
    assert (terms["int"]["value"], terms["int"]["datatype"]) == ("7", XSD + "integer")
    assert terms["year"]["datatype"] == XSD + "gYear"
    assert (terms["lang"]["value"], terms["lang"]["xml:lang"]) == ("Hallo", "de")  # lower-cased
    assert terms["plain"] == {"type": "literal", "value": "p"}


def test_computed_booleans(server: Client) -> None:
    """Virtuoso 7 returns computed booleans (EXISTS, comparisons, true) as xsd:integer 1/0."""
    body = server.query("SELECT (1 < 2 AS ?b) WHERE {}").json()
    b = body["results"]["bindings"][0]["b"]
    if server.ep.name == "virtuoso":
        assert (b["value"], b["datatype"]) == ("1", XSD + "integer")
    else:
        assert (b["value"], b["datatype"]) == ("true", XSD + "boolean")


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_start_and_stop(name: str, tmp_path: Path) -> None:
    if not available(name):
        pytest.skip(missing(name))
    started = time.monotonic()
    with SERVERS[name](tmp_path) as ep:
        assert time.monotonic() - started < 30
        assert Client(ep).ask("ASK {}")
        probe = ep.query_url
    with pytest.raises(requests.ConnectionError):
        requests.get(probe, params={"query": "ASK {}"}, timeout=5)
