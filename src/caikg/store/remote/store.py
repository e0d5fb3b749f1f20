"""A remote store: any SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki, GraphDB, …).

Selected by ``CAIKG_STORE_QUERY_URL`` (and ``CAIKG_STORE_UPDATE_URL``/``CAIKG_STORE_GSP_URL``
for ``caikg build``). The server holds all the data; ``caikg serve`` holds none, so any number
of app processes or hosts can answer from one store.

- **Reads** use the SPARQL 1.1 Protocol. Every request names its dataset
  (``default-graph-uri``/``named-graph-uri`` = the live graphs), so graphs being loaded by a
  build are never seen, whatever the server's default graph is.
- **Bindings** of the app's own queries cannot be sent as bindings over the protocol, so
  :func:`substitute` replaces the bound variables by RDF terms token by token (what SEP-0007
  substitution does in Oxigraph): terms are written by pyoxigraph, never formatted from text.
- **Builds** (:func:`publish`) upload each graph into a fresh staging graph with the Graph
  Store Protocol (or ``INSERT DATA`` without a GSP URL), check the triple counts, then switch
  with one SPARQL Update request (``MOVE`` staging → live for every graph). Until that request
  the live graphs are untouched; a failed upload only leaves staging graphs, which the next
  build removes.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import pyoxigraph as ox
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from caikg import queries
from caikg.config import Settings
from caikg.rdf.namespaces import PREFIXES, Instances
from caikg.sparql import json_terms as sparql_json
from caikg.sparql.guard import TOKEN, check_request, query_form
from caikg.store.embedded import BuildInfo, EmbeddedStore, KnowledgeStore, Row, StoreError, Term

log = logging.getLogger(__name__)

OWL_VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"
DCTERMS_MODIFIED = "http://purl.org/dc/terms/modified"
STAGING = "graph/staging/"
"""Staging graphs live under ``{base}graph/staging/<build>/<name>``."""

UPLOAD_CHUNK = 50_000
"""Triples per upload request (servers limit request sizes)."""

JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


class RemoteError(StoreError):
    """The remote store answered with an error or could not be reached."""


class RemoteSyntaxError(RemoteError):
    """The remote store rejected the query as malformed (HTTP 400)."""


class RemoteTimeout(RemoteError):
    """The remote store did not answer in time."""


# -- substitution --------------------------------------------------------------------------

_CLAUSE_END = frozenset({"WHERE", "FROM", "{"})
_MODIFIER_END = frozenset({"HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES", "}", "GROUP"})


_EMPTY_MODIFIER = re.compile(
    r"\b(?:GROUP|ORDER)\s+BY\s*(?=\}|\)|$|(?:ORDER|LIMIT|OFFSET|HAVING|VALUES)\b)",
    re.IGNORECASE)
"""A GROUP BY/ORDER BY whose only variables were bound (and dropped)."""


def _ends(clause: str, word: str) -> bool:
    if clause == "select":
        return word in _CLAUSE_END
    return clause in {"group", "order"} and word in _MODIFIER_END - {clause.upper()}


def substitute(text: str, bindings: Mapping[str, Term]) -> str:
    """``text`` with the variables of ``bindings`` replaced by their terms.

    Inside expressions and triple patterns a variable becomes its term; the outermost
    projection keeps it as ``(term AS ?var)``; a bare variable in a subquery's projection or a
    ``GROUP BY``/``ORDER BY`` list is dropped (it is a constant now).
    """
    if not bindings:
        return text
    values = {name.lstrip("?$"): term for name, term in bindings.items()}
    for name, term in values.items():
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ValueError(f"?{name}: only IRIs and literals can be bound, not {term!r}")
    out: list[str] = []
    clause = ""  # "select", "group", "order" or "" (patterns and expressions)
    depth = 0  # brackets opened inside the current clause
    braces = 0  # curly brackets: 0 = the outermost query
    outer = False  # the current SELECT clause is the outermost query's
    for m in TOKEN.finditer(text):
        kind, tok = m.lastgroup or "other", m.group(0)
        word = tok.upper() if kind in {"run", "word"} else tok
        if kind in {"run", "word"} or (kind == "other" and tok in "{}"):
            if word == "SELECT":
                clause, depth, outer = "select", 0, braces == 0
            elif word in {"GROUP", "ORDER"}:
                clause, depth = word.lower(), 0
            elif depth == 0 and _ends(clause, word):
                clause = ""
        if kind == "other" and tok in "([":
            depth += 1
        elif kind == "other" and tok in ")]":
            depth -= 1
        elif kind == "other" and tok == "{":
            braces += 1
        elif kind == "other" and tok == "}":
            braces -= 1
        if kind == "var" and tok[1:] in values:
            if clause == "select" and depth == 0 and outer:
                out.append(f"({values[tok[1:]]} AS {tok})")  # constant now, still projected
            elif clause in {"select", "group", "order"} and depth == 0:
                continue  # a bare variable of a subquery's projection or a modifier: dropped
            else:
                out.append(str(values[tok[1:]]))
            continue
        out.append(tok)
    result = _EMPTY_MODIFIER.sub(" ", "".join(out))
    return re.sub(r"\bSELECT(\s+(?:DISTINCT|REDUCED))?\s+(WHERE|\{)",
                  lambda m: f"SELECT{m.group(1) or ''} * {m.group(2)}", result,
                  flags=re.IGNORECASE)


def split_dataset(text: str) -> tuple[str, list[str], list[str]]:
    """``text`` without its ``FROM``/``FROM NAMED`` clauses, and their graphs.

    The graphs are then sent as protocol parameters, which every server reads the same way
    (Virtuoso merges ``FROM`` with ``default-graph-uri`` instead of letting one win).
    """
    prefixes: dict[str, str] = {}
    toks = [(m.lastgroup or "other", m.group(0)) for m in TOKEN.finditer(text)]
    out: list[str] = []
    froms: list[str] = []
    named: list[str] = []
    significant = [i for i, (kind, _) in enumerate(toks) if kind not in {"ws", "comment"}]
    skip: set[int] = set()
    for n, i in enumerate(significant):
        kind, tok = toks[i]
        if kind in {"word", "run"} and tok.upper() == "PREFIX" and n + 2 < len(significant):
            name, iri = toks[significant[n + 1]][1], toks[significant[n + 2]]
            if iri[0] == "iri":
                prefixes[name.rstrip(":")] = iri[1][1:-1]
        if kind in {"word", "run"} and tok.upper() == "FROM" and n + 1 < len(significant):
            j = n + 1
            is_named = toks[significant[j]][1].upper() == "NAMED"
            if is_named:
                j += 1
            if j >= len(significant):
                continue
            target_kind, target = toks[significant[j]]
            if target_kind == "iri":
                graph = target[1:-1]
            elif target_kind == "pname" and target.partition(":")[0] in prefixes:
                prefix, _, local = target.partition(":")
                graph = prefixes[prefix] + local
            else:
                continue
            (named if is_named else froms).append(graph)
            skip.update(significant[n:j + 1])
    for i, (_kind, tok) in enumerate(toks):
        if i not in skip:
            out.append(tok)
    return "".join(out), froms, named


# -- the HTTP client -----------------------------------------------------------------------

def _term(value: Mapping[str, Any]) -> Term:
    """A term of the store's SPARQL JSON results (:func:`caikg.sparql_json.term`)."""
    try:
        return sparql_json.term(value)
    except ValueError as exc:
        raise RemoteError(f"{exc} in the store's results") from None


@dataclass
class Solutions:
    variables: list[str]
    rows: list[tuple[Term | None, ...]]


class RemoteClient:
    """SPARQL 1.1 Protocol, Update and Graph Store Protocol requests to one server."""

    def __init__(self, settings: Settings, *, timeout: float | None = None) -> None:
        self.settings = settings
        self.query_url = settings.store_query_url
        self.update_url = settings.store_update_url
        self.gsp_url = settings.store_gsp_url
        self.timeout = settings.query_timeout if timeout is None else timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        """This thread's session (digest auth is stateful: nonce counts, one per thread)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "caikg (remote store client)"
            if self.settings.store_user:
                auth = HTTPDigestAuth if self.settings.store_auth == "digest" else HTTPBasicAuth
                session.auth = auth(self.settings.store_user, self.settings.store_password)
            self._local.session = session
        return session

    def _request(self, method: str, url: str, *, timeout: float | None = None,
                 **kwargs: Any) -> requests.Response:
        session = self._session()
        wait = self.timeout if timeout is None else timeout
        try:
            resp = session.request(method, url, timeout=(min(10.0, wait), wait),
                                   **kwargs)
        except requests.Timeout:
            raise RemoteTimeout(f"the store at {url} did not answer within {wait:g} s") from None
        except requests.RequestException as exc:
            raise RemoteError(f"cannot reach the store at {url}: {exc}") from None
        if resp.status_code >= 400:
            message = resp.text.strip()[:2000] or resp.reason
            if resp.status_code == 400:
                raise RemoteSyntaxError(f"the store refused the request: {message}")
            if resp.status_code in {408, 504} or "timeout" in message.lower()[:300]:
                raise RemoteTimeout(f"the store stopped the query: {message}")
            raise RemoteError(f"the store at {url} answered HTTP {resp.status_code}: {message}")
        return resp

    def _dataset(self, default_graphs: Sequence[str] | None,
                 named_graphs: Sequence[str] | None) -> list[tuple[str, str]]:
        params = [("default-graph-uri", g) for g in default_graphs or []]
        params += [("named-graph-uri", g) for g in named_graphs or []]
        return params

    def query(self, text: str, accept: str, *, default_graphs: Sequence[str] | None = None,
              named_graphs: Sequence[str] | None = None,
              timeout: float | None = None) -> requests.Response:
        """POST ``text`` as a form (``query=`` and the dataset's graphs): every server takes
        that form (Virtuoso 7 never answers a ``application/sparql-query`` body)."""
        form = [("query", text), *self._dataset(default_graphs, named_graphs)]
        resp = self._request("POST", self.query_url, timeout=timeout, data=form,
                             headers={"Accept": accept})
        if resp.headers.get("X-SQL-State") == "S1TAT":  # Virtuoso's "anytime" partial answer
            raise RemoteTimeout("the store cut the query short and returned incomplete "
                                f"results: {resp.headers.get('X-SQL-Message', '')}")
        return resp

    def select(self, text: str, **kwargs: Any) -> Solutions:
        resp = self.query(text, JSON_RESULTS, **kwargs)
        try:
            doc = resp.json()
            variables = list(doc["head"].get("vars", []))
            if variables == ["__ASK_RETVAL"]:  # Virtuoso 7's ASK
                doc = {"boolean": bool(doc["results"]["bindings"])}
            if "boolean" in doc:
                return Solutions(["boolean"], [(ox.Literal(str(doc["boolean"]).lower(),
                                                datatype=ox.NamedNode(
                                                    "http://www.w3.org/2001/XMLSchema#boolean")),)])
            rows = [tuple(_term(b[v]) if v in b else None for v in variables)
                    for b in doc["results"]["bindings"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteError(f"the store's results could not be read: {exc}") from None
        return Solutions(variables, rows)

    def ask(self, text: str, **kwargs: Any) -> bool:
        resp = self.query(text, JSON_RESULTS, **kwargs)
        try:
            doc = resp.json()
            if "boolean" in doc:
                return bool(doc["boolean"])
            # Virtuoso 7 answers ASK with a table: one row ("1") for true, none for false
            rows = doc["results"]["bindings"]
            return bool(rows) and all(v.get("value") in {"1", "true"} for v in rows[0].values())
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteError(f"the store's answer could not be read: {exc}") from None

    def construct(self, text: str, **kwargs: Any) -> list[ox.Triple]:
        resp = self.query(text, f"{N_TRIPLES}, text/plain;q=0.5", **kwargs)
        try:
            return list(ox.parse(resp.content, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as exc:
            raise RemoteError(f"the store's triples could not be read: {exc}") from None

    def update(self, text: str, timeout: float | None = None) -> None:
        if not self.update_url:
            raise RemoteError("CAIKG_STORE_UPDATE_URL is not set: caikg cannot write to the "
                              "remote store")
        self._request("POST", self.update_url, timeout=timeout, data=text.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update"})

    def upload(self, graph: str, triples: Sequence[ox.Triple],
               timeout: float | None = None) -> None:
        """Add ``triples`` to ``graph`` (GSP POST, or INSERT DATA without a GSP URL)."""
        for start in range(0, len(triples), UPLOAD_CHUNK):
            chunk = triples[start:start + UPLOAD_CHUNK]
            body = ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES) or b""
            if self.gsp_url:
                self._request("POST", self.gsp_url, timeout=timeout, params={"graph": graph},
                              data=body, headers={"Content-Type": N_TRIPLES})
            else:
                self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode()}\n}} }}",
                            timeout=timeout)


# -- the store -----------------------------------------------------------------------------

@dataclass
class _Snapshot:
    info: BuildInfo | None
    checked: float


class RemoteStore:
    """The :class:`caikg.store.KnowledgeStore` of a remote SPARQL server."""

    def __init__(self, settings: Settings, client: RemoteClient | None = None) -> None:
        self.settings = settings
        self.client = client or RemoteClient(settings)
        self.instances = Instances(settings.base_iri)
        self.live_graphs = [str(self.instances.ontology_graph), str(self.instances.curated_graph),
                            str(self.instances.enrichment_graph), str(self.instances.void_graph)]
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._graphs: tuple[str, dict[str, int]] | None = None

    # -- what is being served --------------------------------------------------------------
    def _read_info(self) -> BuildInfo | None:
        rows = graph_rows(self.client, "dataset_version", timeout=min(self.client.timeout, 10.0),
                                void=ox.NamedNode(str(self.instances.void_graph)),
                                dataset=ox.NamedNode(str(self.instances.dataset)))
        if not rows:
            return None
        version, modified = rows[0]["version"], rows[0]["modified"]
        graphs = self._graph_counts(version.value if version else "")
        return BuildInfo(version=version.value if version else "",
                         built_at=modified.value if modified else "",
                         base_iri=self.settings.base_iri, graphs=graphs)

    def _graph_counts(self, version: str) -> dict[str, int]:
        cached = self._graphs
        if cached is not None and cached[0] == version:
            return cached[1]
        sizes = graph_sizes(self.client)
        counts = {g: sizes[g] for g in self.live_graphs if g in sizes}
        self._graphs = (version, counts)
        return counts

    @property
    def info(self) -> BuildInfo | None:
        """The build being served, re-read at most every ``CAIKG_VERSION_TTL`` seconds."""
        now = time.monotonic()
        snap = self._snapshot
        if snap is None or now - snap.checked >= self.settings.version_ttl:
            with self._lock:
                snap = self._snapshot
                if snap is None or now - snap.checked >= self.settings.version_ttl:
                    snap = _Snapshot(self._read_info(), time.monotonic())
                    self._snapshot = snap
        return snap.info

    def version(self) -> str:
        info = self.info
        return info.version if info else ""

    def ping(self) -> float:
        """Seconds an ``ASK`` took; raises :class:`RemoteError` when the store is down."""
        start = time.perf_counter()
        self.client.ask("ASK {}", timeout=5.0)
        return time.perf_counter() - start

    # -- queries -----------------------------------------------------------------------------
    def named_graphs(self) -> list[str]:
        info = self.info
        return sorted(info.graphs) if info else []

    def data_graphs(self) -> list[str]:
        return [g for g in self.named_graphs() if g != str(self.instances.ontology_graph)]

    def _dataset(self, default_graphs: list[str] | None) -> dict[str, list[str]]:
        graphs = self.named_graphs() or self.live_graphs
        return {"default_graphs": default_graphs if default_graphs is not None else graphs,
                "named_graphs": graphs}

    def select(self, name: str, default_graphs: list[str] | None = None,
               **bindings: Term) -> list[Row]:
        query = queries.load(name)
        sol = self.client.select(_with_prefixes(substitute(query.text, bindings)),
                                 **self._dataset(default_graphs))
        rows: list[Row] = []
        for values in sol.rows:
            row: Row = dict(zip(sol.variables, values, strict=True))
            for var, term in bindings.items():
                row.setdefault(var.lstrip("?$"), term)
            rows.append(row)
        return rows

    def construct(self, name: str, **bindings: Term) -> list[ox.Triple]:
        text = _with_prefixes(substitute(queries.load(name).text, bindings))
        return self.client.construct(text, **self._dataset(None))

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        graphs = [graph] if graph else self.named_graphs()
        for g in graphs:
            triples = self.client.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                            default_graphs=[g], named_graphs=[])
            node = ox.NamedNode(g)
            for t in triples:
                yield ox.Quad(t.subject, t.predicate, t.object, node)

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat, graphs: list[str] | None = None,
             prefixes: Mapping[str, str] | None = None) -> None:
        memory = ox.Store()
        chosen = graphs if graphs is not None else self.named_graphs()
        for g in chosen:
            memory.bulk_extend(self.quads(g))
        EmbeddedStore(memory, self.info).dump(output, fmt, chosen, prefixes)

    def __len__(self) -> int:
        info = self.info
        return info.triples if info else 0

    def run(self, text: str) -> bool | list[ox.Triple] | Solutions:
        """``text`` over the live graphs: a boolean (ASK), triples or solutions."""
        form = query_form(text)
        dataset = self._dataset(None)
        if form in {"CONSTRUCT", "DESCRIBE"}:
            return self.client.construct(text, **dataset)
        if form == "ASK":
            return self.client.ask(text, **dataset)
        return self.client.select(text, **dataset)


def open_store(settings: Settings) -> KnowledgeStore:
    """The store ``settings`` name: remote (``CAIKG_STORE_QUERY_URL``) or embedded."""
    if settings.remote:
        return RemoteStore(settings)
    return EmbeddedStore.open(settings)


def _with_prefixes(text: str) -> str:
    """Our ``.rq`` files may use the standard prefixes without declaring them (Oxigraph is
    given them as defaults); a remote server needs them declared."""
    declared = {m.group(1) for m in re.finditer(r"PREFIX\s+([\w\-]*):", text, re.IGNORECASE)}
    missing = [f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p not in declared]
    return "\n".join([*missing, text]) if missing else text


# -- publishing a build --------------------------------------------------------------------

def publish(settings: Settings, graphs: Mapping[str, Sequence[ox.Triple]], info: BuildInfo,
            progress: Any = lambda _msg: None, client: RemoteClient | None = None) -> None:
    """Load ``graphs`` into the remote store and switch to them atomically.

    The live graphs are untouched until the final update request; if anything before it
    fails, :class:`RemoteError` is raised and the staging graphs are dropped.
    """
    client = client or RemoteClient(settings, timeout=max(settings.query_timeout, 600.0))
    inst = Instances(settings.base_iri)
    build_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    prefix = f"{inst.base}{STAGING}"
    staging = {g: f"{prefix}{build_id}/{g.rsplit('/', 1)[-1]}" for g in graphs}
    _drop_leftovers(client, prefix)
    try:
        for g, triples in graphs.items():
            progress(f"      uploading {len(triples)} triples into {staging[g]}")
            client.update(f"DROP SILENT GRAPH <{staging[g]}>")
            client.upload(staging[g], list(triples))
        loaded = graph_sizes(client)
        sizes = {g: len(set(t)) for g, t in graphs.items()}
        expected = {staging[g]: n for g, n in sizes.items()}
        for g, n in expected.items():
            if loaded.get(g, 0) != n:
                raise RemoteError(f"the store holds {loaded.get(g, 0)} triples in {g} "
                                  f"after the upload, expected {n}")
        live = RemoteStore(settings, client).live_graphs
        void_graph = str(inst.void_graph)
        operations = [f"DROP SILENT GRAPH <{g}>" for g in live if g not in graphs]
        # the VoID graph (which carries the data version) goes last
        operations += [f"MOVE SILENT GRAPH <{staging[g]}> TO <{g}>"
                       for g in sorted(graphs, key=lambda g: g == void_graph)]
        progress("      switching to the new graphs (one update request)")
        client.update(" ;\n".join(operations))
        served = RemoteStore(settings, client).version()
        if served != info.version:
            raise RemoteError(f"after the switch the store serves data version {served!r}, "
                              f"not {info.version!r}: run the build again")
    except BaseException:
        with contextlib.suppress(Exception):
            client.update(" ;\n".join(f"DROP SILENT GRAPH <{s}>" for s in staging.values()))
        raise
    info.graphs = sizes


def _drop_leftovers(client: RemoteClient, prefix: str) -> None:
    """Drop staging graphs of builds that were killed."""
    rows = graph_rows(client, "dataset_staging_graphs", prefix=ox.Literal(prefix))
    stale = [row["graph"].value for row in rows if row["graph"] is not None]
    if stale:
        client.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in stale))


def graph_rows(client: RemoteClient, name: str, timeout: float | None = None,
               **bindings: Term) -> list[Row]:
    """Rows of ``queries/<name>.rq`` over the server's whole dataset (staging graphs too)."""
    sol = client.select(_with_prefixes(substitute(queries.load(name).text, bindings)),
                        timeout=timeout)
    return [dict(zip(sol.variables, values, strict=True)) for values in sol.rows]


def graph_sizes(client: RemoteClient) -> dict[str, int]:
    """Triples per named graph of the server."""
    return {row["graph"].value: int(row["triples"].value)
            for row in graph_rows(client, "dataset_graph_sizes")
            if row["graph"] is not None and row["triples"] is not None}


# -- the query endpoint's executor ---------------------------------------------------------

class RemoteExecutor:
    """:class:`caikg.executor.QueryExecutor`'s interface, answered by the remote store.

    At most ``CAIKG_WORKERS`` queries run at once per app process (others wait up to
    ``CAIKG_QUEUE_TIMEOUT``); the deadline is the HTTP read timeout. The store keeps running a
    query caikg stopped waiting for: set the server's own limit too (README, "Deployment").
    """

    def __init__(self, settings: Settings, store: RemoteStore) -> None:
        self.settings = settings
        self.store = store
        self.size = settings.workers
        self._slots = threading.BoundedSemaphore(settings.workers)
        self._jobs = 0
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.store.version()

    @property
    def jobs(self) -> int:
        with self._lock:
            return self._jobs

    @property
    def worker_pids(self) -> list[int]:
        return []

    def close(self) -> None:
        pass

    def execute(self, query: str, *, result_format: str, graph_format: str,
                default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                bindings: Mapping[str, Term] | None = None, timeout: float | None = None,
                limit: int | None = None) -> Any:
        from caikg.store.pool.executor import (
            GRAPH_FORMATS,
            RESULT_FORMATS,
            Overloaded,
            QueryError,
            QueryResult,
            QuerySyntaxError,
            QueryTimeout,
            serialize_solutions,
            serialize_triples,
        )

        start = time.monotonic()
        timeout = self.settings.query_timeout if timeout is None else timeout
        limit = self.settings.result_limit if limit is None else limit
        info = self.store.info
        allowed = sorted(info.graphs) if info else self.store.live_graphs
        check_request(query, allowed, default_graphs, named_graphs)
        text = substitute(query, bindings) if bindings else query
        text, froms, from_named = split_dataset(text)
        empty = [f"{self.settings.base_iri}graph/empty"]  # no graph of that name is made
        if default_graphs or named_graphs:  # the protocol's dataset wins over the query's
            dataset = {"default_graphs": default_graphs or empty,
                       "named_graphs": named_graphs or empty}
        elif froms or from_named:
            dataset = {"default_graphs": froms or empty, "named_graphs": from_named or empty}
        else:  # the default graph is the union of the live graphs, as embedded
            dataset = {"default_graphs": allowed, "named_graphs": allowed}
        if not self._slots.acquire(timeout=self.settings.queue_timeout):
            raise Overloaded(f"all {self.size} store connections are busy; try again later",
                             retry_after=max(1, int(min(timeout, 30))))
        with self._lock:
            self._jobs += 1
        try:
            form = query_form(text)
            if form in {"CONSTRUCT", "DESCRIBE"}:
                triples = list(dict.fromkeys(self.store.client.construct(
                    text, timeout=timeout, **dataset)))
                truncated = len(triples) > limit
                del triples[limit:]
                body = serialize_triples(triples, graph_format)
                kind, count = "graph", len(triples)
                media_type = GRAPH_FORMATS[graph_format].media_type
            else:
                sol = self.store.client.select(text, timeout=timeout, **dataset)
                media_type = RESULT_FORMATS[result_format].media_type
                if form == "ASK":
                    value = sol.rows[0][0]
                    answer = ox.Store().query("ASK {}" if value is not None and value.value
                                              == "true" else "ASK { FILTER (false) }")
                    assert isinstance(answer, ox.QueryBoolean)
                    body = answer.serialize(format=RESULT_FORMATS[result_format]) or b""
                    kind, count, truncated = "ask", 1, False
                else:
                    rows = sol.rows
                    truncated = len(rows) > limit
                    rows = rows[:limit]
                    body = serialize_solutions(sol.variables, rows, result_format)
                    kind, count = "select", len(rows)
        except RemoteSyntaxError as exc:
            raise QuerySyntaxError(f"invalid SPARQL query: {exc}") from None
        except RemoteTimeout:
            raise QueryTimeout(timeout) from None
        except RemoteError as exc:
            raise QueryError(str(exc)) from None
        finally:
            self._slots.release()
        return QueryResult(kind=kind, body=body or b"", media_type=media_type, count=count,
                           truncated=truncated, version=info.version if info else "",
                           elapsed=time.monotonic() - start)

