"""The query executor: SPARQL in worker processes, with time limits, caps and formats."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from caikg.build.pipeline import BuildResult, build
from caikg.config import Settings
from caikg.rdf.formats import GRAPH_BY_KEY
from caikg.sparql.guard import QueryRefused
from caikg.sparql.results import serialize_solutions
from caikg.store.base import (
    NoStoreError,
    Overloaded,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
)
from caikg.store.embedded import EmbeddedStore
from caikg.store.pool import zygote as zygote_module
from caikg.store.pool.executor import QueryExecutor
from tests.helpers.pool import HEAVY, LIGHT, PEOPLE, assert_gone, person_file, run, solutions
from tests.helpers.project import make_settings

PEOPLE_GRAPH = """CONSTRUCT { ?p a schema:Person ; schema:name ?name ;
                                 schema:knows [ schema:name ?name ] }
                  WHERE { ?p a schema:Person ; schema:name ?name }"""
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml",
                  "trig": "trig", "nq": "nquads"}
WEIRD = "A\u0001B\u0007C\nD\tE\rF\"G\\H<&>I é"


@pytest.fixture(scope="module", autouse=True)
def no_workers_left_behind() -> Iterator[None]:
    """Set up first and torn down last: every worker of every executor has been reaped."""
    yield
    deadline = time.monotonic() + 10
    while workers_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers_alive() == []


def workers_alive() -> list[BaseProcess]:
    """Zygotes (the workers are their children) that no executor uses any more."""
    wanted = {z.pid for z in zygote_module.ZYGOTES.values()}
    return [p for p in multiprocessing.active_children()
            if p.name == "caikg-query-zygote" and p.pid not in wanted]


@pytest.fixture(scope="module")
def executor(built_settings: Settings) -> Iterator[QueryExecutor]:
    with QueryExecutor(built_settings, workers=2) as ex:
        pids = ex.worker_pids
        yield ex
        pids += ex.worker_pids
    assert_gone(ex, pids)


def rdflib_graph(body: bytes, fmt: str) -> rdflib.Graph:
    if fmt in {"trig", "nq"}:
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=RDFLIB_FORMATS[fmt])
        graph = rdflib.Graph()
        for s, p, o, _g in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return rdflib.Graph().parse(data=body, format=RDFLIB_FORMATS[fmt])


def expected_graph(store: EmbeddedStore, query: str) -> rdflib.Graph:
    nt = ox.serialize(list(store.query(query)), format=ox.RdfFormat.N_TRIPLES)
    assert nt is not None
    return rdflib.Graph().parse(data=nt, format="nt")


def csv_rows(body: bytes, fmt: str) -> list[list[str]]:
    text = body.decode("utf-8")
    if fmt == "csv":
        return list(csv.reader(io.StringIO(text, newline="")))
    return list(csv.reader(io.StringIO(text, newline=""), delimiter="\t",
                           quoting=csv.QUOTE_NONE))


# -- formats ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_in_each_format(executor: QueryExecutor, store: EmbeddedStore,
                               fmt: str) -> None:
    expected = [(row["p"], row["name"]) for row in store.query(PEOPLE)]
    assert len(expected) > 50
    result = run(executor, PEOPLE, result_format=fmt)
    assert (result.kind, result.count, result.truncated) == ("select", len(expected), False)
    assert result.version == store.info.version if store.info else False
    assert result.media_type == ox.QueryResultsFormat.__dict__[fmt.upper()].media_type
    if fmt == "json":
        doc = json.loads(result.body)
        assert doc["head"]["vars"] == ["p", "name"]
        got = [(b["p"]["value"], b["name"]["value"]) for b in doc["results"]["bindings"]]
        assert got == [(p.value, n.value) for p, n in expected]
    elif fmt == "xml":
        root = ET.fromstring(result.body)
        names = [v.get("name") for v in root.iter(f"{RESULTS_NS}variable")]
        assert names == ["p", "name"]
        texts = [tuple(b[0].text for b in r) for r in root.iter(f"{RESULTS_NS}result")]
        assert texts == [(p.value, n.value) for p, n in expected]
    else:
        rows = csv_rows(result.body, fmt)
        header = ["p", "name"] if fmt == "csv" else ["?p", "?name"]
        assert rows[0] == header
        assert len(rows) == len(expected) + 1
        if fmt == "csv":
            assert rows[1:] == [[p.value, n.value] for p, n in expected]
    if fmt != "csv":  # CSV is lossy by design; the others round-trip exactly
        assert solutions(result.body, fmt) == expected


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_ask(executor: QueryExecutor, fmt: str) -> None:
    yes = run(executor, LIGHT, result_format=fmt)
    no = run(executor, "ASK { ?s a schema:Unicorn }", result_format=fmt)
    assert (yes.kind, yes.count, yes.truncated) == ("ask", 1, False)
    if fmt in {"json", "xml"}:
        rfmt = getattr(ox.QueryResultsFormat, fmt.upper())
        assert bool(ox.parse_query_results(yes.body, format=rfmt)) is True
        assert bool(ox.parse_query_results(no.body, format=rfmt)) is False
    if fmt == "json":
        assert json.loads(yes.body)["boolean"] is True
        assert json.loads(no.body)["boolean"] is False
    elif fmt == "xml":
        assert ET.fromstring(no.body).find(f"{RESULTS_NS}boolean").text == "false"  # type: ignore[union-attr]
    else:
        assert yes.body.strip() == b"true" and no.body.strip() == b"false"


@pytest.mark.parametrize("fmt", list(GRAPH_BY_KEY))
def test_construct_in_each_format(executor: QueryExecutor, store: EmbeddedStore,
                                  fmt: str) -> None:
    expected = expected_graph(store, PEOPLE_GRAPH)
    result = run(executor, PEOPLE_GRAPH, graph_format=fmt)
    assert (result.kind, result.truncated) == ("graph", False)
    assert result.media_type == GRAPH_BY_KEY[fmt].media_type
    got = rdflib_graph(result.body, fmt)
    assert result.count == len(got) == len(expected)
    assert isomorphic(got, expected)


def test_describe_is_a_graph(executor: QueryExecutor, store: EmbeddedStore) -> None:
    person = next(iter(store.query(PEOPLE)))["p"]
    query = f"DESCRIBE <{person.value}>"
    result = run(executor, query, graph_format="ttl")
    assert result.kind == "graph" and result.count > 0
    assert isomorphic(rdflib_graph(result.body, "ttl"), expected_graph(store, query))


# -- parameters ------------------------------------------------------------------------------

def test_bindings_are_substituted(executor: QueryExecutor, store: EmbeddedStore) -> None:
    person, name = next((r["p"], r["name"]) for r in store.query(PEOPLE))
    query = "SELECT ?p ?name WHERE { ?p schema:name ?name }"  # bound variables are projected
    result = run(executor, query, bindings={"p": person})
    assert solutions(result.body, "json") == [(person, name)]
    evil = ox.Literal('x" } UNION { ?p ?q ?name } #')
    assert run(executor, query, bindings={"p": evil}).count == 0


def test_graph_selection(executor: QueryExecutor, built: BuildResult) -> None:
    graphs = built.info.graphs
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = solutions(run(executor, count).body, "json")
    assert union[0][0].value == str(sum(graphs.values()))
    for g, n in graphs.items():
        only = solutions(run(executor, count, default_graphs=[g]).body, "json")
        assert only[0][0].value == str(n)
    void = next(g for g in graphs if g.endswith("/void"))
    named = run(executor, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                named_graphs=[void])
    assert solutions(named.body, "json") == [(ox.NamedNode(void),)]
    with pytest.raises(QueryRefused, match="does not have"):
        run(executor, count, default_graphs=["http://example.org/elsewhere"])


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_row_cap(executor: QueryExecutor, fmt: str) -> None:
    result = run(executor, "SELECT * WHERE { ?s ?p ?o }", result_format=fmt, limit=7)
    assert (result.count, result.truncated) == (7, True)
    if fmt == "csv":
        assert len(csv_rows(result.body, fmt)) == 8
    else:
        assert len(solutions(result.body, fmt)) == 7
    exact = run(executor, "SELECT * WHERE { ?s ?p ?o } LIMIT 7", result_format=fmt, limit=7)
    assert (exact.count, exact.truncated) == (7, False)


def test_triple_cap(executor: QueryExecutor) -> None:
    result = run(executor, "CONSTRUCT WHERE { ?s ?p ?o }", graph_format="ttl", limit=5)
    assert (result.count, result.truncated) == (5, True)
    assert len(rdflib_graph(result.body, "ttl")) == 5


def test_default_cap_is_the_result_limit(built_settings: Settings) -> None:
    assert built_settings.result_limit == 10000  # the shipped data has fewer triples
    small = make_settings(built_settings.home, result_limit=3)
    with QueryExecutor(small, workers=1) as ex:
        result = run(ex, "SELECT * WHERE { ?s ?p ?o }")
        assert (result.count, result.truncated) == (3, True)
        pids = ex.worker_pids
    assert_gone(ex, pids)


# -- refusals and errors ---------------------------------------------------------------------

def test_syntax_error_has_line_and_column(executor: QueryExecutor) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        run(executor, "SELECT * WHERE {\n  ?s ?p\n}")
    assert re.search(r"line 3, column \d+", info.value.message), info.value.message


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERV\\u0049CE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "SELECT * FROM <http://example.org/other> WHERE { ?s ?p ?o }",
])
def test_refused_before_any_worker_runs(executor: QueryExecutor, query: str) -> None:
    jobs = executor.jobs
    with pytest.raises(QueryRefused):
        run(executor, query)
    assert executor.jobs == jobs


# -- workers ---------------------------------------------------------------------------------

def test_timeout_kills_only_the_runaway_query(executor: QueryExecutor) -> None:
    before = executor.worker_pids
    assert len(before) == 2
    outcome: dict[str, Any] = {}

    def heavy() -> None:
        start = time.monotonic()
        try:
            run(executor, HEAVY, timeout=1.0)
        except QueryTimeout as exc:
            outcome["error"] = exc
        outcome["elapsed"] = time.monotonic() - start
        outcome["stopped_at"] = time.monotonic()

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.3)
    light = run(executor, LIGHT)
    light_done = time.monotonic()
    thread.join(10)
    assert isinstance(outcome.get("error"), QueryTimeout)
    assert "1 s" in str(outcome["error"])
    assert outcome["elapsed"] < 1.0 + 2.0
    assert light.kind == "ask" and light_done < outcome["stopped_at"]

    deadline = time.monotonic() + 15
    while len(executor.worker_pids) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    after = executor.worker_pids
    assert len(after) == 2 and after != before
    assert len(set(after) & set(before)) == 1  # one replaced, the other kept
    for _ in range(4):  # both workers answer
        assert run(executor, PEOPLE).count > 50


def test_crashed_worker_is_replaced(built_settings: Settings) -> None:
    with QueryExecutor(built_settings, workers=1) as ex:
        [pid] = ex.worker_pids
        os.kill(pid, 9)
        time.sleep(0.1)
        assert run(ex, LIGHT).kind == "ask"  # the dead idle worker was noticed and replaced
        [busy] = ex.worker_pids
        assert busy != pid
        threading.Timer(0.3, os.kill, (busy, 9)).start()  # "OOM-killed" while it works
        start = time.monotonic()
        with pytest.raises(QueryError, match="stopped unexpectedly") as info:
            run(ex, HEAVY, timeout=20)
        assert not isinstance(info.value, QueryTimeout)
        assert time.monotonic() - start < 2
        assert run(ex, LIGHT).kind == "ask"  # waits for the replacement
        pids = ex.worker_pids
        assert len(pids) == 1 and pids[0] not in {pid, busy}
    assert_gone(ex, pids)


def test_many_threads(executor: QueryExecutor, store: EmbeddedStore) -> None:
    count = len(list(store.query(PEOPLE)))
    formats = ["json", "xml", "csv", "tsv"]

    def client(i: int) -> list[int]:
        return [run(executor, PEOPLE, result_format=formats[(i + j) % 4]).count
                for j in range(5)]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(client, range(20)))
    assert results == [[count] * 5] * 20


def test_overloaded_when_every_worker_is_busy(built_settings: Settings) -> None:
    with QueryExecutor(built_settings, workers=1, queue_timeout=0.2) as ex:
        errors: list[Exception] = []

        def heavy() -> None:
            try:
                run(ex, HEAVY, timeout=2.0)
            except QueryTimeout as exc:
                errors.append(exc)

        thread = threading.Thread(target=heavy)
        thread.start()
        time.sleep(0.3)
        start = time.monotonic()
        with pytest.raises(Overloaded) as info:
            run(ex, LIGHT)
        assert time.monotonic() - start < 1.0
        assert 1 <= info.value.retry_after <= 2
        thread.join(10)
        assert len(errors) == 1
        ex.queue_timeout = 10.0
        assert run(ex, LIGHT).kind == "ask"  # waits for the replacement
        pids = ex.worker_pids
    assert_gone(ex, pids)


def test_rebuild_is_picked_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    build(settings, [person_file(tmp_path / "a.ttl", "ada", "Ada Lovelace")])
    query = "SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name }"
    with QueryExecutor(settings, workers=2) as ex:
        first = run(ex, query)
        assert [r[0].value for r in solutions(first.body, "json")] == ["Ada Lovelace"]
        assert first.version == ex.version
        build(settings, [person_file(tmp_path / "b.ttl", "grace", "Grace Hopper")])
        assert ex.version != first.version
        for _ in range(4):  # every worker reloads
            again = run(ex, query)
            assert [r[0].value for r in solutions(again.body, "json")] == ["Grace Hopper"]
            assert again.version == ex.version
        pids = ex.worker_pids
    assert_gone(ex, pids)


# -- control characters ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def weird_executor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueryExecutor]:
    tmp = tmp_path_factory.mktemp("weird")
    settings = make_settings(tmp / "home")
    build(settings, [person_file(tmp / "weird.ttl", "weird", WEIRD)])
    with QueryExecutor(settings, workers=1) as ex:
        pids = ex.worker_pids
        yield ex
        pids += ex.worker_pids
    assert_gone(ex, pids)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_control_characters_stay_well_formed(weird_executor: QueryExecutor, fmt: str) -> None:
    result = run(weird_executor, "SELECT ?name ?p WHERE { ?p schema:name ?name }",
                 result_format=fmt)
    assert result.count == 1
    if fmt == "json":
        binding = json.loads(result.body)["results"]["bindings"][0]
        assert binding["name"]["value"] == WEIRD
    elif fmt == "xml":
        root = ET.fromstring(result.body)
        literal = next(root.iter(f"{RESULTS_NS}literal"))
        # XML 1.0 cannot carry U+0001 or U+0007, not even escaped: they become U+FFFD
        assert literal.text == WEIRD.replace("\u0001", "\ufffd").replace("\u0007", "\ufffd")
    else:
        rows = csv_rows(result.body, fmt)
        assert len(rows) == 2 and len(rows[1]) == 2
        if fmt == "csv":
            assert rows[1][0] == WEIRD
        else:
            assert result.body.count(b"\n") == 2  # one line per row: nothing raw inside
    if fmt in {"json", "tsv"}:
        assert solutions(result.body, fmt)[0][0] == ox.Literal(WEIRD)


@pytest.mark.parametrize("fmt", list(GRAPH_BY_KEY))
def test_control_characters_in_graphs(weird_executor: QueryExecutor, fmt: str) -> None:
    result = run(weird_executor, "CONSTRUCT WHERE { ?p schema:name ?name }", graph_format=fmt)
    graph = rdflib_graph(result.body, fmt)
    [name] = list(graph.objects())
    expected = WEIRD if fmt != "rdfxml" else WEIRD.translate({1: "\ufffd", 7: "\ufffd"})
    assert str(name) == expected


def test_serialize_solutions_round_trips() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    rows = [
        (ox.NamedNode("http://example.org/a"), ox.Literal("chat", language="fr"),
         ox.Literal("42", datatype=ox.NamedNode(xsd + "integer"))),
        (ox.BlankNode("b0"), None, ox.Literal("1.5e3", datatype=ox.NamedNode(xsd + "double"))),
        (None, ox.Literal("x y", datatype=ox.NamedNode("http://example.org/dt")),
         ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean"))),
    ]
    for fmt in ["json", "xml", "tsv"]:
        body = serialize_solutions(["s", "l", "n"], rows, fmt)
        assert solutions(body, fmt) == rows, fmt
    body = serialize_solutions(["s", "l", "n"], rows, "csv")
    assert csv_rows(body, "csv")[1:] == [["http://example.org/a", "chat", "42"],
                                        ["_:b0", "", "1.5e3"], ["", "x y", "true"]]
    assert serialize_solutions(["s"], [], "tsv") == b"?s\n"


def test_no_store_is_named(tmp_path: Path) -> None:
    with pytest.raises(NoStoreError, match="caikg build"):
        QueryExecutor(make_settings(tmp_path / "empty"), workers=1)
