"""A fake Wikidata on 127.0.0.1 that speaks the real protocols.

- ``/sparql`` (main graph) and ``/scholarly/sparql`` (scholarly articles) execute the received
  SPARQL query with pyoxigraph over a small Wikidata-shaped fixture dataset
  (``tests/fixtures/wikidata``) and answer SPARQL 1.1 JSON results;
- ``/w/api.php`` answers ``action=wbgetentities`` and ``action=query&list=search`` with
  ``haswbstatement:`` in the API's JSON shapes (formatversion 2);
- like Wikimedia's servers it refuses a missing or generic User-Agent with 403;
- faults can be queued per path: ``429`` (with Retry-After), ``timeout`` (500 with Blazegraph's
  TimeoutException text), ``503``, ``truncated`` (a 200 with a cut-off body),
  ``no-bindings`` (a 200 SPARQL JSON without ``results.bindings``), ``maxlag`` (an API error in
  a 200) and ``403``.

Every QID in the fixtures is fake (``Q9000000xx``).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from tests.helpers.project import TESTS

FIXTURES = TESTS / "fixtures" / "wikidata"
WD = "http://www.wikidata.org/entity/"
WDS = "http://www.wikidata.org/entity/statement/"
WDT = "http://www.wikidata.org/prop/direct/"
P = "http://www.wikidata.org/prop/"
PS = "http://www.wikidata.org/prop/statement/"
PQ = "http://www.wikidata.org/prop/qualifier/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"

TIMEOUT_BODY = (b"SPARQL-QUERY: queryStr=SELECT ...\njava.util.concurrent.TimeoutException\n"
                b"\tat java.util.concurrent.FutureTask.get(FutureTask.java:205)\n")
_VALUES = re.compile(r"VALUES\s+\?\w+\s*\{([^}]*)\}", re.S)
_TERM = re.compile(r'<[^>]*>|"(?:[^"\\]|\\.)*"(?:@[\w-]+|\^\^<[^>]*>)?')


def with_statements(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Add the full statement form (``p:``/``ps:``) of every truthy ``wdt:`` triple that has
    none, and the truthy form of every statement, as Wikidata's RDF dump has both."""
    out = list(triples)
    stated = {(t.subject, t.predicate.value[len(P):]) for t in triples
              if t.predicate.value.startswith(P) and not t.predicate.value.startswith(
                  (WDT, PS, PQ))}
    values: dict[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
                 list[tuple[str, Any]]] = defaultdict(list)
    for t in triples:
        if t.predicate.value.startswith(PS):
            values[t.subject].append((t.predicate.value[len(PS):], t.object))
    for t in triples:
        if t.predicate.value.startswith(P) and not t.predicate.value.startswith(
                (WDT, PS, PQ)):
            for prop, value in values.get(t.object, []):
                out.append(ox.Triple(t.subject, ox.NamedNode(WDT + prop), value))
    for n, t in enumerate(triples):
        if t.predicate.value.startswith(WDT):
            prop = t.predicate.value[len(WDT):]
            if (t.subject, prop) in stated:
                continue
            assert not isinstance(t.subject, ox.Triple)
            node = ox.NamedNode(f"{WDS}{t.subject.value[len(WD):]}-s{n}")
            out.append(ox.Triple(t.subject, ox.NamedNode(P + prop), node))
            out.append(ox.Triple(node, ox.NamedNode(PS + prop), t.object))
    return out


def load(paths: list[Path], extra: str = "") -> ox.Store:
    triples: list[ox.Triple] = []
    for path in paths:
        triples += [q.triple for q in ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE)]
    if extra:
        triples += [q.triple for q in ox.parse(extra.encode(), format=ox.RdfFormat.TURTLE)]
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                 for t in with_statements(triples))
    return store


@dataclass
class Request:
    path: str
    method: str
    user_agent: str
    params: dict[str, str]
    values: int = 0
    """How many terms the query's VALUES block (or the API's ids) held."""


@dataclass
class FakeWikidata:
    extra_scholarly: str = ""
    extra_main: str = ""
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """path → faults, each used by one request, in order; path ``*`` matches any."""
    always: dict[str, str] = field(default_factory=dict)
    """path → a fault every request gets."""
    retry_after: int = 7

    def __post_init__(self) -> None:
        self.scholarly = load([FIXTURES / "scholarly.ttl"], self.extra_scholarly)
        self.main = load([FIXTURES / "main.ttl"], self.extra_main)
        self.index = load([FIXTURES / "scholarly.ttl", FIXTURES / "main.ttl",
                           FIXTURES / "search-only.ttl"],
                          self.extra_scholarly + "\n" + self.extra_main)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def endpoints(self) -> dict[str, str]:
        return {"CAIKG_WIKIDATA_SPARQL": f"{self.url}/sparql",
                "CAIKG_WIKIDATA_SCHOLARLY_SPARQL": f"{self.url}/scholarly/sparql",
                "CAIKG_WIKIDATA_API": f"{self.url}/w/api.php"}

    def fail(self, path: str, *kinds: str) -> None:
        self.faults[path].extend(kinds)

    # -- dispatch ----------------------------------------------------------------------------
    def _handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if h.command == "POST":
            length = int(h.headers.get("Content-Length") or 0)
            form = h.rfile.read(length).decode()
            params.update({k: v[-1] for k, v in parse_qs(form).items()})
        ua = h.headers.get("User-Agent", "")
        req = Request(parts.path, h.command, ua, params)
        self.requests.append(req)
        if not ua or ua.startswith(("python-requests", "Python-urllib")):
            return self._send(h, 403, b"Please set a user-agent and respect our robot policy "
                              b"https://w.wiki/4wJS.", "text/plain")
        fault = self._fault(parts.path)
        if fault == "403":
            return self._send(h, 403, b"Forbidden", "text/plain")
        if fault == "429":
            return self._send(h, 429, b"Too Many Requests", "text/plain",
                              {"Retry-After": str(self.retry_after)})
        if fault == "503":
            return self._send(h, 503, b"Service Unavailable", "text/plain")
        if fault == "timeout":
            return self._send(h, 500, TIMEOUT_BODY, "text/plain")
        if parts.path in {"/sparql", "/scholarly/sparql"}:
            status, body, ctype = self._sparql(req, parts.path)
        elif parts.path == "/w/api.php":
            status, body, ctype = self._api(req)
        else:
            status, body, ctype = 404, b"not found", "text/plain"
        if fault == "truncated":
            body = body[: max(1, len(body) // 2)]
        elif fault == "no-bindings":
            body = b'{"head": {"vars": ["item"]}}'
        elif fault == "maxlag":
            body = json.dumps({"error": {"code": "maxlag", "info": "Waiting for all: 6 "
                               "seconds lagged.", "host": "db1", "lag": 6}}).encode()
            return self._send(h, 200, body, "application/json", {"Retry-After": "6"})
        self._send(h, status, body, ctype)

    def _fault(self, path: str) -> str | None:
        if path in self.always:
            return self.always[path]
        for key in (path, "*"):
            if self.faults.get(key):
                return self.faults[key].pop(0)
        return None

    @staticmethod
    def _send(h: http.server.BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    # -- the query services ------------------------------------------------------------------
    def _sparql(self, req: Request, path: str) -> tuple[int, bytes, str]:
        query = req.params.get("query", "")
        block = _VALUES.search(query)
        req.values = len(_TERM.findall(block.group(1))) if block else 0
        store = self.scholarly if path.startswith("/scholarly") else self.main
        try:
            result = store.query(query)
        except SyntaxError as exc:
            return 400, f"MalformedQueryException: {exc}".encode(), "text/plain"
        assert not isinstance(result, ox.QueryTriples), "only SELECT and ASK are served"
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        return 200, body or b"", "application/sparql-results+json;charset=utf-8"

    # -- the action API ----------------------------------------------------------------------
    def _api(self, req: Request) -> tuple[int, bytes, str]:
        action = req.params.get("action")
        if action == "wbgetentities":
            ids = [i for i in req.params.get("ids", "").split("|") if i]
            req.values = len(ids)
            if len(ids) > 50:
                return self._api_error("toomanyvalues", "Too many values supplied")
            entities = {qid: self._entity(qid) for qid in ids}
            return 200, json.dumps({"entities": entities, "success": 1}).encode(), \
                "application/json; charset=utf-8"
        if action == "query" and req.params.get("list") == "search":
            text = req.params.get("srsearch", "")
            hits = self._search(text)
            req.values = text.count("|") + 1
            data = {"batchcomplete": True, "query": {
                "searchinfo": {"totalhits": len(hits)},
                "search": [{"ns": 0, "title": q, "pageid": int(q[1:]) % 100000,
                            "snippet": ""} for q in hits]}}
            return 200, json.dumps(data).encode(), "application/json; charset=utf-8"
        return self._api_error("badvalue", f"Unrecognized value for parameter action: "
                               f"{action}")

    @staticmethod
    def _api_error(code: str, info: str) -> tuple[int, bytes, str]:
        return 200, json.dumps({"error": {"code": code, "info": info}}).encode(), \
            "application/json; charset=utf-8"

    def _search(self, text: str) -> list[str]:
        m = re.fullmatch(r"haswbstatement:(.+)", text.strip())
        if not m:
            return []
        found: set[str] = set()
        for term in m.group(1).split("|"):
            prop, _, value = term.partition("=")
            for q in self.index.quads_for_pattern(None, ox.NamedNode(WDT + prop), None):
                if isinstance(q.object, ox.Literal) and q.object.value.lower() == value.lower():
                    assert not isinstance(q.subject, ox.Triple)
                    found.add(q.subject.value[len(WD):])
        return sorted(found)

    def _entity(self, qid: str) -> dict[str, Any]:
        node = ox.NamedNode(WD + qid)
        quads = list(self.index.quads_for_pattern(node, None, None))
        if not quads:
            return {"id": qid, "missing": ""}
        labels: dict[str, Any] = {}
        aliases: dict[str, list[Any]] = defaultdict(list)
        claims: dict[str, list[Any]] = defaultdict(list)
        for q in quads:
            p, o = q.predicate.value, q.object
            if p == RDFS_LABEL and isinstance(o, ox.Literal) and o.language:
                labels[o.language] = {"language": o.language, "value": o.value}
            elif p == SKOS_ALT and isinstance(o, ox.Literal) and o.language:
                aliases[o.language].append({"language": o.language, "value": o.value})
            elif p.startswith(P) and not p.startswith((WDT, PS, PQ)):
                prop = p[len(P):]
                assert isinstance(o, ox.NamedNode | ox.BlankNode)
                statement: dict[str, Any] = {"mainsnak": {}, "type": "statement",
                                             "rank": "normal", "id": o.value}
                qualifiers: dict[str, list[Any]] = defaultdict(list)
                for sq in self.index.quads_for_pattern(o, None, None):
                    sp = sq.predicate.value
                    if sp == PS + prop:
                        statement["mainsnak"] = _snak(prop, sq.object)
                    elif sp.startswith(PQ):
                        qp = sp[len(PQ):]
                        qualifiers[qp].append(_snak(qp, sq.object))
                if qualifiers:
                    statement["qualifiers"] = dict(qualifiers)
                claims[prop].append(statement)
        return {"type": "item", "id": qid, "labels": labels, "aliases": dict(aliases),
                "claims": dict(claims)}


def _snak(prop: str, value: Any) -> dict[str, Any]:
    if isinstance(value, ox.NamedNode) and value.value.startswith(WD):
        qid = value.value[len(WD):]
        datavalue: dict[str, Any] = {"type": "wikibase-entityid", "value": {
            "entity-type": "item", "numeric-id": int(qid[1:]), "id": qid}}
    elif isinstance(value, ox.Literal) and value.datatype.value == XSD_DATETIME:
        datavalue = {"type": "time", "value": {
            "time": "+" + value.value, "timezone": 0, "before": 0, "after": 0,
            "precision": 11, "calendarmodel": WD + "Q900000999"}}
    elif isinstance(value, ox.Literal) and value.language:
        datavalue = {"type": "monolingualtext",
                     "value": {"text": value.value, "language": value.language}}
    else:
        datavalue = {"type": "string", "value": value.value}
    return {"snaktype": "value", "property": prop, "datavalue": datavalue}
