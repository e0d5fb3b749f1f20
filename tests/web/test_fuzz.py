"""Hostile input against a real ``caikg serve``: Hypothesis fuzzing of ``/sparql`` and
``/api/*``, and schemathesis against ``/api/openapi.json``.

Every case must be answered in time (the query timeout plus 5 s) with a status below 500, or
503 saying the query timed out or (with ``Retry-After``) that the workers are busy; the server
must answer ``/healthz`` after every case; and a canary HTTP server on 127.0.0.1, named in
``SERVICE``, ``LOAD``, ``FROM`` and graph parameters, must receive no request at all.

The default run is 200 derandomised examples per property (CI-stable); the ``slow`` variants
run 2000.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from caikg.build.pipeline import BuildResult
from caikg.sparql import guard
from tests.helpers.project import SRC
from tests.helpers.servers import Canary, caikg_server

QUERY_TIMEOUT = 2.0
CLIENT_TIMEOUT = QUERY_TIMEOUT + 5
MAX_BODY = 1_000_000
QUERY_DIR = SRC / "queries"
EXAMPLES = sorted(p.read_text() for p in QUERY_DIR.glob("*.rq"))

pytestmark = [pytest.mark.system, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), print_blob=True)
SLOW = settings(FAST, max_examples=2000)


@dataclass
class Live:
    base: str
    canary: Canary
    session: requests.Session
    api: dict[str, list[str]]
    """API name → its declared parameters."""


@pytest.fixture(scope="module")
def live(built: BuildResult) -> Iterator[Live]:
    assert built.store_dir is not None
    home = built.store_dir.parent.parent
    with Canary() as canary, caikg_server(
            home, CAIKG_QUERY_TIMEOUT=str(QUERY_TIMEOUT), CAIKG_QUEUE_TIMEOUT="3",
            CAIKG_MAX_BODY=str(MAX_BODY)) as base, requests.Session() as session:
        doc = session.get(base + "/api/openapi.json", timeout=10).json()
        api = {path.rsplit("/", 1)[1]: [p["name"] for p in item["get"]["parameters"]]
               for path, item in doc["paths"].items()}
        yield Live(base, canary, session, api)
        assert canary.requests == [], "the server made requests on a query's behalf"


# -- strategies ------------------------------------------------------------------------------

def hostile_snippets(canary: str) -> list[str]:
    return [
        f"SERVICE <{canary}> {{ ?s ?p ?o }}", f"SERVICE SILENT <{canary}> {{ ?s ?p ?o }}",
        f"LOAD <{canary}>", f"LOAD SILENT <{canary}> INTO GRAPH <{canary}g>",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DELETE WHERE { ?s ?p ?o }",
        "CLEAR ALL", "DROP SILENT ALL", f"CREATE GRAPH <{canary}>", f"FROM <{canary}>",
        f"FROM NAMED <{canary}>", f"GRAPH <{canary}> {{ ?s ?p ?o }}", "SERV\\u0049CE",
        f"\\u0053ERVICE <{canary}> {{}}", f"\\U0000004cOAD <{canary}>", f"<{canary}>",
        "SELECT", "WHERE", "{", "}", "(", ")", ".", ";", ",", "*", "?s", "$o", "a", "OPTIONAL",
        "UNION", "FILTER", "BIND", "VALUES", "MINUS", "GROUP BY", "ORDER BY", "LIMIT",
        "OFFSET 1000000000000000000000", "LIMIT -1", "COUNT(*)", "REGEX(?o, '(a+)+$')",
        "\"\"\"", "'''", "\"", "'", "<", ">", "#", "\\", "^^", "@en", "_:b", "[]", "PREFIX x:",
        "BASE <http://127.0.0.1:1/>", "\x00", "\u2028", "\ufeff", "\\u0000", "\\uD800",
        "?s ?p ?o . ?a ?b ?c . ?d ?e ?f . ?g ?h ?i", "DESCRIBE *", "CONSTRUCT WHERE",
    ]


TOKEN = re.compile(r"\s+|[^\s]+")
ANY_CHAR = st.characters(exclude_categories=())
"""Any code point: control characters and lone surrogates included."""


@st.composite
def mutated(draw: st.DrawFn, canary: str) -> str:
    """An example query with tokens deleted, duplicated, inserted or escaped."""
    text = draw(st.sampled_from(EXAMPLES))
    toks = TOKEN.findall(text)
    snippets = hostile_snippets(canary)
    for _ in range(draw(st.integers(1, 6))):
        if not toks:
            toks = [""]
        i = draw(st.integers(0, len(toks) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "unicode", "escape",
                                   "repeat"]))
        if op == "delete":
            del toks[i]
        elif op == "duplicate":
            toks.insert(i, toks[i])
        elif op == "insert":
            toks.insert(i, " " + draw(st.sampled_from(snippets)) + " ")
        elif op == "unicode":
            toks.insert(i, draw(st.text(ANY_CHAR, max_size=20)))
        elif op == "escape":  # spell a token with \u escapes, as the SPARQL grammar allows
            toks[i] = "".join(f"\\u{ord(c):04X}" if ord(c) < 0x10000 else f"\\U{ord(c):08X}"
                              for c in toks[i])
        else:  # the same token many times (bounded: a repeated repetition could take GBs)
            toks.insert(i, (toks[i] * draw(st.sampled_from([10, 1000, 20000])))[:MAX_BODY])
        if sum(map(len, toks)) > MAX_BODY:
            break
    return "".join(toks)[:MAX_BODY + 100]  # a little over the limit: 413 too


def nested(depth: int, kind: str) -> str:
    if kind == "braces":
        return "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth
    if kind == "parens":
        return "SELECT (" + "(" * depth + "1" + ")" * depth + " AS ?x) WHERE {}"
    if kind == "optional":
        return "SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o " * depth + "}" * depth + " }"
    if kind == "union":
        return "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * depth) + " }"
    if kind == "path":
        return "SELECT * WHERE { ?s " + "/".join(["(<urn:p>|^<urn:q>)*"] * depth) + " ?o }"
    return "SELECT * WHERE { FILTER(" + "!" * depth + "true) }"


def huge_literal(size: int, quote: str) -> str:
    return f"SELECT * WHERE {{ BIND({quote}{'x' * size}{quote} AS ?x) }}"


def long_query(size: int) -> str:
    """A valid query padded to ``size`` characters with triple patterns and a comment."""
    head = "SELECT ?s WHERE { "
    body = "?s ?p ?o . " * max(0, (size - 40) // 11)
    return (head + body + "} LIMIT 1 #" + "c" * size)[:size]


def queries(canary: str) -> st.SearchStrategy[str]:
    return st.one_of(
        mutated(canary),
        mutated(canary),
        st.text(ANY_CHAR, max_size=200),
        st.builds(nested, st.sampled_from([1, 10, 100, 1000, 5000, 20000, 100000]),
                  st.sampled_from(["braces", "parens", "optional", "union", "path", "not"])),
        st.builds(huge_literal, st.sampled_from([1000, 100_000, MAX_BODY - 100]),
                  st.sampled_from(['"', "'", '"""', "'''"])),
        st.builds(long_query, st.sampled_from([10_000, 500_000, MAX_BODY - 200, MAX_BODY])),
    )


@dataclass
class Case:
    query: str
    transport: str  # get, form, direct
    accept: str | None
    extra: list[tuple[str, str]]


def cases(canary: str) -> st.SearchStrategy[Case]:
    accepts = st.sampled_from([None, "*/*", "application/sparql-results+json",
                               "application/sparql-results+xml", "text/csv", "text/turtle",
                               "application/ld+json", "application/rdf+xml", "image/png",
                               "text/html", "text/*;q=0.1, garbage;;q=x"])
    extras = st.lists(st.tuples(
        st.sampled_from(["default-graph-uri", "named-graph-uri", "format", "output",
                         "query", "update", "timeout", "\x00"]),
        st.sampled_from([canary, "https://w3id.org/caikg/graph/curated", "json", "xml",
                         "SELECT * {}", "", "\ud800"])), max_size=2)
    return st.builds(Case, queries(canary), st.sampled_from(["get", "form", "direct"]),
                     accepts, extras)


# -- sending ---------------------------------------------------------------------------------

def encode(text: str) -> bytes:
    """UTF-8; lone surrogates are written as their (invalid) 3-byte sequences."""
    return text.encode("utf-8", "surrogatepass")


def form(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote_from_bytes(encode(k), safe='')}={quote_from_bytes(encode(v), safe='')}"
                    for k, v in pairs)


def send_query(live: Live, case: Case) -> requests.Response:
    headers = {} if case.accept is None else {"Accept": case.accept}
    url = live.base + "/sparql"
    if case.transport == "get":
        return live.session.get(url + "?" + form([("query", case.query), *case.extra]),
                                headers=headers, timeout=CLIENT_TIMEOUT)
    if case.transport == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return live.session.post(url, data=form([("query", case.query), *case.extra]),
                                 headers=headers, timeout=CLIENT_TIMEOUT)
    headers["Content-Type"] = "application/sparql-query"
    query = ("?" + form(case.extra)) if case.extra else ""
    return live.session.post(url + query, data=encode(case.query), headers=headers,
                             timeout=CLIENT_TIMEOUT)


STATUSES: Counter[int] = Counter()
"""Statuses of every fuzz case of this run (printed at the end)."""


def check(live: Live, resp: requests.Response, what: str) -> None:
    status = resp.status_code
    STATUSES[status] += 1
    assert status < 500 or (status == 503 and (
        "timed out" in resp.text or resp.headers.get("Retry-After", "").isdigit())), (
        f"{what}: {status} {resp.text[:500]!r}")
    if "(generated by caikg)" not in resp.text:  # waitress's own 431 and 413 lack them
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", what
    health = requests.get(live.base + "/healthz", timeout=5)
    assert health.status_code == 200, f"after {what}: /healthz {health.status_code}"


def sparql_case(live: Live, case: Case) -> None:
    resp = send_query(live, case)
    check(live, resp, f"{case.transport} {case.query[:300]!r} extra={case.extra!r}")


# -- /sparql ---------------------------------------------------------------------------------

CANARY_PLACEHOLDER = "http://127.0.0.1:9/canary/"
"""Strategies are built before the canary's port is known: this IRI is swapped for it."""


def with_canary(case: Case, live: Live) -> Case:
    url = live.canary.url

    def swap(s: str) -> str:
        return s.replace(CANARY_PLACEHOLDER, url)

    return Case(swap(case.query), case.transport, case.accept,
                [(swap(k), swap(v)) for k, v in case.extra])


@FAST
@given(case=cases(CANARY_PLACEHOLDER))
def test_sparql_fuzz(live: Live, case: Case) -> None:
    sparql_case(live, with_canary(case, live))


@pytest.mark.slow
@SLOW
@given(case=cases(CANARY_PLACEHOLDER))
def test_sparql_fuzz_long(live: Live, case: Case) -> None:
    sparql_case(live, with_canary(case, live))


# -- /api/<name> -----------------------------------------------------------------------------

API_VALUES = st.one_of(
    st.sampled_from(["https://w3id.org/caikg/person/ion-stoica",
                     "https://w3id.org/caikg/paper/flexgen", CANARY_PLACEHOLDER, "2024",
                     "-1", "99999999999999999999999", "json", "csv", "", "\\", "%00",
                     "https://w3id.org/caikg/paper/> } SERVICE <" + CANARY_PLACEHOLDER + "> {",
                     "x" * 10_000]),
    st.text(ANY_CHAR, max_size=50),
)


@st.composite
def api_cases(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str | None]:
    name = draw(st.one_of(st.sampled_from([
        "person_works", "work_authors", "technique_papers_per_year", "venue_paper_counts",
        "section_works", "work_related_by_technique", "person_coauthor_graph"]),
        st.text(ANY_CHAR, max_size=20)))
    names = st.one_of(st.sampled_from(["person", "work", "technique", "section", "format",
                                       "venue", "query"]),
                      st.text(ANY_CHAR, max_size=10))
    params = draw(st.lists(st.tuples(names, API_VALUES), max_size=4))
    accept = draw(st.sampled_from([None, "text/csv", "application/json", "image/png", "*/*",
                                   "text/csv;q=0, application/json;q=0"]))
    return name, params, accept


def api_case(live: Live, name: str, params: list[tuple[str, str]], accept: str | None) -> None:
    url = live.canary.url
    params = [(k, v.replace(CANARY_PLACEHOLDER, url)) for k, v in params]
    target = (f"{live.base}/api/{quote_from_bytes(encode(name), safe='')}"
              f"?{form(params)}")
    resp = live.session.get(target, headers={} if accept is None else {"Accept": accept},
                            timeout=CLIENT_TIMEOUT)
    check(live, resp, f"/api/{name!r} {params!r}")
    if resp.status_code == 200:
        kind = resp.headers.get("Content-Type", "")
        doc = resp.json() if "json" in kind else None
        if kind.startswith("application/json"):
            assert isinstance(doc, dict) and set(doc) >= {"columns", "rows", "truncated"}
        elif kind.startswith("application/ld+json"):  # a CONSTRUCT example
            assert isinstance(doc, list)
        else:
            assert kind.startswith("text/csv"), kind


@FAST
@given(case=api_cases())
def test_api_fuzz(live: Live, case: tuple[str, list[tuple[str, str]], str | None]) -> None:
    api_case(live, *case)


@pytest.mark.slow
@SLOW
@given(case=api_cases())
def test_api_fuzz_long(live: Live, case: tuple[str, list[tuple[str, str]], str | None]
                       ) -> None:
    api_case(live, *case)


# -- schemathesis against /api/openapi.json ----------------------------------------------------

SCHEMATHESIS_CASES: Counter[str] = Counter()
SCHEMATHESIS_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                                 database=None, suppress_health_check=list(HealthCheck))
"""Per operation: 15 operations, 375 cases. (schemathesis's pytest plugin does not run
under pytest 9 — it reads ``Function._nodeid`` — so its strategies are driven here.)"""


def test_openapi_conformance(live: Live) -> None:
    """Every operation of the OpenAPI document, with schemathesis's generated parameters
    (valid and invalid): no 5xx, and status, content type, headers and body as documented."""
    api = schemathesis.openapi.from_url(live.base + "/api/openapi.json")
    operations = []
    for result in api.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    assert len(operations) == len(live.api)
    for operation in operations:

        @SCHEMATHESIS_SETTINGS
        @given(case=operation.as_strategy())
        def conforms(case: schemathesis.Case) -> None:
            SCHEMATHESIS_CASES[case.operation.label] += 1
            case.call_and_validate(session=live.session, timeout=CLIENT_TIMEOUT)

        conforms()


# -- the guard's tokenizer stays linear --------------------------------------------------------

HOSTILE_RUNS = ["a-", "a.", "é", "?a-", '"\\', "'\\", "'''\\'", "<a", "'a", '"""a',
                "{", "(", "!", "1+", "?s ?p ?o . ", "_:b", "#", "\\u0041"]


@pytest.mark.parametrize("unit", HOSTILE_RUNS)
def test_guard_is_linear_on_hostile_repetitions(unit: str) -> None:
    """One request of CAIKG_MAX_BODY bytes must not keep the server (the guard runs in the
    web process, holding the GIL) busy for long: tokenizing was quadratic on runs such as
    ``a-a-a-…`` or ``"\\"\\…`` (a 1 MB query took hours)."""
    text = "SELECT * WHERE { } " + unit * (MAX_BODY // len(unit))
    started = time.perf_counter()
    with contextlib.suppress(guard.QueryRefused):  # too long, or an unterminated string
        guard.check_query(text, [])
    guard.query_form(text)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 501 + "}" * 501,
    "SELECT * WHERE { FILTER(" + "(" * 600 + "1" + ")" * 600 + ") }",
    "SELECT * WHERE { " + "?s ?p ?o . " * 30_000 + "}",
    "SELECT * WHERE { BIND('unterminated AS ?x) }",
    'SELECT * WHERE { BIND("""unterminated AS ?x) }',
])
def test_guard_refuses_what_could_crash_the_parser(query: str) -> None:
    with pytest.raises(guard.QueryRefused, match="nested too deeply|too long|unterminated"):
        guard.check_query(query, [])


def test_deep_and_long_queries_are_answered_without_crashing_a_worker(live: Live) -> None:
    """Within the guard's bounds, Oxigraph's recursion fits the query thread's stack (with
    the 8 MiB main-thread stack these crashed the worker: 500)."""
    for query in ["SELECT * WHERE " + "{" * 500 + "}" * 500,
                  "SELECT * WHERE { FILTER(" + "1+" * 40_000 + "1) }",
                  "SELECT * WHERE { FILTER(" + "!" * 90_000 + "true) }",
                  "SELECT * WHERE { " + "OPTIONAL{}" * 30_000 + "}"]:
        resp = live.session.post(live.base + "/sparql", data=query.encode(),
                                 timeout=CLIENT_TIMEOUT,
                                 headers={"Content-Type": "application/sparql-query"})
        check(live, resp, query[:80])
        assert resp.status_code in {200, 503}, resp.text[:300]


def test_a_huge_hostile_query_does_not_stall_the_server(live: Live) -> None:
    body = ("SELECT * WHERE { } # \n" + "a-" * (MAX_BODY // 2 - 20)).encode()
    started = time.perf_counter()
    resp = live.session.post(live.base + "/sparql", data=body, timeout=CLIENT_TIMEOUT,
                             headers={"Content-Type": "application/sparql-query"})
    check(live, resp, "a-a-a-…")
    assert time.perf_counter() - started < 5


def test_canary_heard_nothing(live: Live) -> None:
    print(f"fuzz statuses: {dict(sorted(STATUSES.items()))}; schemathesis cases: "
          f"{sum(SCHEMATHESIS_CASES.values())} over {len(SCHEMATHESIS_CASES)} operations")
    assert live.canary.requests == []
