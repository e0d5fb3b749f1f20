"""The query side of the store layer: SPARQL in worker processes that can be stopped.

Neither pyoxigraph nor rdflib can cancel a running query, so every query runs in a worker
*process* with its own in-memory copy of the current store. A query that passes its deadline is
stopped by killing its worker (``SIGKILL``); a fresh worker replaces it in the background while
the other workers keep answering. Results are serialised in the worker, capped at a number of
rows or triples, and sent back as bytes.

Every query passes :func:`caikg.guard.check_query` in the calling process before any worker
sees it (Oxigraph runs ``SERVICE`` by making HTTP requests).

Workers are started with the ``spawn`` method (the web server is multi-threaded, so it must not
fork), ignore ``SIGINT`` (Ctrl-C is the parent's business) and die with the parent. Before each
job a worker checks where the ``store`` symlink points and reloads the store after a rebuild.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import itertools
import json
import logging
import math
import multiprocessing
import os
import pickle
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

import pyoxigraph as ox

from .config import Settings
from .guard import QueryRefused, check_query
from .namespaces import PREFIXES
from .store import BuildInfo, EmbeddedStore, NoStoreError, StoreError, Term, current_store_dir

__all__ = [
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "Overloaded",
    "QueryError",
    "QueryExecutor",
    "QueryRefused",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeout",
    "serialize_solutions",
    "serialize_triples",
]

log = logging.getLogger(__name__)

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
"""Formats for SELECT and ASK results, by the names :meth:`QueryExecutor.execute` takes."""

GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
}
"""Formats for CONSTRUCT and DESCRIBE results."""

_PREFIXED_FORMATS = {"ttl", "trig", "rdfxml"}
_START_TIMEOUT = 60.0
_RESPAWN_DELAY_MAX = 30.0


# -- errors and results ----------------------------------------------------------------------

class QueryError(Exception):
    """The query could not be answered (HTTP 500 unless a subclass says otherwise)."""


class QuerySyntaxError(QueryError):
    """The query does not parse; the message has the parser's line and column (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QueryTimeout(QueryError):
    """The query was stopped at its time limit (HTTP 503)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"the query timed out: it was stopped after {timeout:g} s (its time "
                         "limit); make it more selective or add a LIMIT")
        self.timeout = timeout


class Overloaded(QueryError):
    """No worker became free in time (HTTP 503 with ``Retry-After: retry_after``)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class QueryResult:
    kind: str
    """``"select"``, ``"ask"`` or ``"graph"`` (CONSTRUCT and DESCRIBE)."""
    body: bytes
    media_type: str
    count: int
    """Rows (select), distinct triples (graph) or 1 (ask)."""
    truncated: bool
    """True when the row/triple cap cut the result."""
    version: str
    """Data version of the store that answered."""
    elapsed: float
    """Seconds spent in :meth:`QueryExecutor.execute`, waiting for a worker included."""


# -- serialisation (runs in the workers; pure functions, so they are tested directly) -------

_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
_ITS = "http://www.w3.org/2005/11/its"
_SPARQL_RESULTS = "http://www.w3.org/2005/sparql-results#"

# Characters XML 1.0 cannot carry at all, not even as character references.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                           "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})

# Turtle's shorthand for numbers and booleans, used in TSV as the SPARQL spec allows.
_TURTLE_SHORTHAND = {
    _XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    _XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    _XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+)"),
    _XSD + "boolean": re.compile(r"true|false"),
}

Solution = Sequence[Any]
"""One row: a term (or None when unbound) per variable, in the order of the variables."""


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot represent replaced by U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _xml_text(text: str) -> str:
    return xml_safe(text).translate(_XML_TEXT)


def _xml_attr(text: str) -> str:
    return xml_safe(text).translate(_XML_ATTR)


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = str(term.direction)
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        attrs = ""
        if term.language:
            attrs = f' xml:lang="{_xml_attr(term.language)}"'
            if term.direction is not None:
                attrs += f' xmlns:its="{_ITS}" its:dir="{_xml_attr(str(term.direction))}"'
        elif term.datatype.value != _XSD_STRING:
            attrs = f' datatype="{_xml_attr(term.datatype.value)}"'
        return f"<literal{attrs}>{_xml_text(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
                f"<predicate>{_xml_term(term.predicate)}</predicate>"
                f"<object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_value(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return _tsv_term(term)


def _tsv_term(term: Any) -> str:
    """The term in Turtle syntax; ``str()`` of a pyoxigraph term is N-Triples, which escapes
    tabs, line breaks and the other control characters, so a term never spans a field."""
    if isinstance(term, ox.Literal):
        pattern = _TURTLE_SHORTHAND.get(term.datatype.value)
        if pattern is not None and pattern.fullmatch(term.value):
            return term.value
        return str(term)
    if isinstance(term, ox.Triple):
        return (f"<<( {_tsv_term(term.subject)} {_tsv_term(term.predicate)} "
                f"{_tsv_term(term.object)} )>>")
    return str(term)


def serialize_solutions(variables: Sequence[str], rows: Iterable[Solution], fmt: str) -> bytes:
    """SELECT results as a SPARQL results document (``fmt`` is a key of RESULT_FORMATS).

    Written here rather than by pyoxigraph because a capped result is a list of rows, not a
    ``QuerySolutions``, and because pyoxigraph's XML writer emits control characters that
    make the document ill-formed; XML 1.0 cannot carry them at all, so they become U+FFFD in
    XML (and only there).
    """
    if fmt == "json":
        bindings = [{v: _json_term(t) for v, t in zip(variables, row, strict=True)
                     if t is not None} for row in rows]
        doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt == "xml":
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="{_SPARQL_RESULTS}">'
                 "<head>"]
        parts.extend(f'<variable name="{_xml_attr(v)}"/>' for v in variables)
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts.extend(f'<binding name="{_xml_attr(v)}">{_xml_term(t)}</binding>'
                         for v, t in zip(variables, row, strict=True) if t is not None)
            parts.append("</result>")
        parts.append("</results></sparql>\n")
        return "".join(parts).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(variables)
        writer.writerows([_csv_value(t) for t in row] for row in rows)
        return buf.getvalue().encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines.extend("\t".join("" if t is None else _tsv_term(t) for t in row) for row in rows)
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"unknown result format {fmt!r} (one of {', '.join(RESULT_FORMATS)})")


def _xml_safe_term(term: Any) -> Any:
    if isinstance(term, ox.Literal) and _XML_ILLEGAL.search(term.value):
        value = xml_safe(term.value)
        if term.language:
            return ox.Literal(value, language=term.language, direction=term.direction)
        return ox.Literal(value, datatype=term.datatype)
    if isinstance(term, ox.Triple):
        return ox.Triple(term.subject, term.predicate, _xml_safe_term(term.object))
    return term


def serialize_triples(triples: Sequence[ox.Triple], fmt: str) -> bytes:
    """CONSTRUCT/DESCRIBE results (``fmt`` is a key of GRAPH_FORMATS); in the dataset formats
    (TriG, N-Quads) the triples are in the default graph."""
    rdf_format = GRAPH_FORMATS.get(fmt)
    if rdf_format is None:
        raise ValueError(f"unknown graph format {fmt!r} (one of {', '.join(GRAPH_FORMATS)})")
    if fmt == "rdfxml":
        triples = [ox.Triple(t.subject, t.predicate, _xml_safe_term(t.object)) for t in triples]
    prefixes = PREFIXES if fmt in _PREFIXED_FORMATS else None
    out = ox.serialize(triples, format=rdf_format, prefixes=prefixes)
    assert out is not None
    if fmt == "rdfxml":
        # pyoxigraph writes carriage returns raw, and XML parsers turn them into line feeds
        out = out.replace(b"\r", b"&#13;")
    return out


# -- the worker process ----------------------------------------------------------------------

class _WorkerStore:
    """The worker's in-memory copy of the current store, reloaded after a rebuild."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = EmbeddedStore.open(settings, in_memory=True)

    def current(self) -> EmbeddedStore:
        try:
            target = self.settings.store_link.resolve(strict=True)
        except OSError:
            return self.store  # the link vanished for a moment: keep answering from memory
        if target != self.store.path:
            self.store = EmbeddedStore.open(self.settings, in_memory=True)
        return self.store

    @property
    def version(self) -> str:
        return self.store.info.version if self.store.info else ""

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        store = self.current()
        limit: int = job["limit"]
        result = store.query(job["query"], bindings=job["bindings"],
                             default_graphs=job["default_graphs"],
                             named_graphs=job["named_graphs"])
        truncated = False
        if isinstance(result, ox.QueryBoolean):
            rfmt = RESULT_FORMATS[job["result_format"]]
            kind, count, media_type = "ask", 1, rfmt.media_type
            body = result.serialize(format=rfmt)
        elif isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows = [tuple(s) for s in itertools.islice(result, limit + 1)]
            truncated = len(rows) > limit
            del rows[limit:]
            kind, count = "select", len(rows)
            media_type = RESULT_FORMATS[job["result_format"]].media_type
            body = serialize_solutions(variables, rows, job["result_format"])
        else:
            distinct: dict[ox.Triple, None] = {}
            for triple in result:
                distinct[triple] = None
                if len(distinct) > limit:
                    break
            triples = list(distinct)
            truncated = len(triples) > limit
            del triples[limit:]
            kind, count = "graph", len(triples)
            media_type = GRAPH_FORMATS[job["graph_format"]].media_type
            body = serialize_triples(triples, job["graph_format"])
        assert body is not None
        return {"kind": kind, "body": body, "media_type": media_type, "count": count,
                "truncated": truncated, "version": store.info.version if store.info else ""}


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        # The kernel kills us when the thread that started us ends (the executor's spawner
        # thread, which lives as long as the executor) or the whole parent dies.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)

    def watch() -> None:  # elsewhere (and as a second line of defence): poll
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    if os.getppid() != parent_pid:
        os._exit(0)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_main(conn: Connection, settings: Settings, parent_pid: int) -> None:
    """Entry point of a worker process: answer jobs from ``conn`` until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with_parent(parent_pid)
    try:
        state = _WorkerStore(settings)
    except Exception as exc:
        conn.send(("failed", type(exc).__name__, str(exc)))
        return
    conn.send(("ready", os.getpid(), state.version))
    threading.stack_size(_JOB_STACK)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(_answer(state, job))


_JOB_STACK = 256 * 1024 * 1024
"""Stack of the thread that runs a query: Oxigraph's parser and evaluator recurse over the
query's structure, and crash a process's 8 MiB main-thread stack with queries of some ten
thousand tokens (long ``+`` or ``UNION`` chains); :func:`caikg.guard.check_query` bounds the
tokens and the nesting so that this stack is enough. Only the pages touched count."""


def _answer(state: _WorkerStore, job: dict[str, Any]) -> tuple[Any, ...]:
    """Run ``job`` in a thread with a large stack (one thread per job, so that the stack a
    deep query touched is given back)."""
    box: list[tuple[Any, ...]] = []

    def run() -> None:
        try:
            box.append(("ok", state.run(job)))
        except SyntaxError as exc:
            box.append(("syntax", _position(str(exc))))
        except Exception as exc:
            box.append(("error", f"{type(exc).__name__}: {exc}"))

    thread = threading.Thread(target=run, name="caikg-query", daemon=True)
    thread.start()
    thread.join()
    return box[0] if box else ("error", "the query thread ended without an answer")


_AT = re.compile(r"^error at (\d+):(\d+): ")


def _position(message: str) -> str:
    """Oxigraph's "error at L:C: …" as "line L, column C: …"."""
    return _AT.sub(lambda m: f"line {m.group(1)}, column {m.group(2)}: ", message, count=1)


# -- the pool, in the server process ---------------------------------------------------------

@dataclass(eq=False)
class _Worker:
    proc: BaseProcess
    conn: Connection
    pid: int
    version: str = ""
    deadline: float = field(default=0.0)


def _block_sigint() -> None:
    # Inherited by the workers this thread starts, so that Ctrl-C cannot reach a worker
    # before it has set SIGINT to "ignore".
    with contextlib.suppress(AttributeError, ValueError, OSError):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


class QueryExecutor:
    """A pool of worker processes that answer SPARQL queries with a time limit.

    Thread-safe: any number of threads may call :meth:`execute` at once; each call uses one
    worker, waiting up to ``queue_timeout`` seconds for one to be free.
    """

    def __init__(self, settings: Settings, workers: int = 2, queue_timeout: float = 10.0) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.settings = settings
        self.size = workers
        self.queue_timeout = queue_timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._idle: deque[_Worker] = deque()
        self._workers: set[_Worker] = set()  # every live worker: starting, idle or busy
        self._busy: set[_Worker] = set()
        self._closed = False
        self._jobs = 0
        self._info: tuple[Path, BuildInfo] | None = None
        self._current_info()  # NoStoreError now rather than from every worker
        # One long-lived thread starts every worker: on Linux a worker dies with that thread.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="caikg-spawner",
                                           initializer=_block_sigint)
        try:
            started = [self._launch() for _ in range(workers)]
            for worker in started:
                self._await_ready(worker, _START_TIMEOUT)
        except BaseException:
            self.close()
            raise
        with self._cond:
            self._idle.extend(started)

    # -- public ------------------------------------------------------------------------------
    def execute(self, query: str, *, result_format: str, graph_format: str,
                default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                bindings: Mapping[str, Term] | None = None, timeout: float | None = None,
                limit: int | None = None) -> QueryResult:
        """Run ``query`` in a worker and return its serialised result.

        Raises :class:`QueryRefused` (the guard said no; no worker is used),
        :class:`QuerySyntaxError`, :class:`QueryTimeout`, :class:`Overloaded` or
        :class:`QueryError`.
        """
        start = time.monotonic()
        if result_format not in RESULT_FORMATS:
            raise ValueError(f"unknown result format {result_format!r}")
        if graph_format not in GRAPH_FORMATS:
            raise ValueError(f"unknown graph format {graph_format!r}")
        timeout = self.settings.query_timeout if timeout is None else timeout
        limit = self.settings.result_limit if limit is None else limit
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if limit < 0:
            raise ValueError("limit must not be negative")
        allowed = self._current_info().graphs.keys()
        check_query(query, allowed_graphs=allowed)
        for g in [*(default_graphs or []), *(named_graphs or [])]:
            if g not in allowed:
                raise QueryRefused(f"graph <{g}> is not in this dataset: only its graphs can "
                                   f"be selected ({', '.join(sorted(allowed))})")
        job = {"query": query, "result_format": result_format, "graph_format": graph_format,
               "default_graphs": default_graphs, "named_graphs": named_graphs,
               "bindings": {k.lstrip("?$"): v for k, v in (bindings or {}).items()},
               "limit": limit}
        message = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)  # fails here, not later

        worker = self._acquire(start + self.queue_timeout)
        deadline = time.monotonic() + timeout
        with self._cond:
            worker.deadline = deadline
            self._busy.add(worker)
            self._jobs += 1
        try:
            reply = self._exchange(worker, message, deadline, timeout, query)
        except BaseException:
            self._retire(worker)  # also on KeyboardInterrupt: its answer would come too late
            raise
        if reply[0] == "ok":
            worker.version = reply[1]["version"]
        self._release(worker)
        status = reply[0]
        if status == "syntax":
            raise QuerySyntaxError(f"invalid SPARQL query: {reply[1]}")
        if status == "error":
            raise QueryError(reply[1])
        payload: dict[str, Any] = reply[1]
        return QueryResult(elapsed=time.monotonic() - start, **payload)

    def _exchange(self, worker: _Worker, message: bytes, deadline: float, timeout: float,
                  query: str) -> tuple[Any, ...]:
        """Send a job to ``worker`` and wait for its reply until ``deadline``."""
        try:
            worker.conn.send_bytes(message)
        except (OSError, ValueError):
            raise QueryError("the query worker had stopped; please retry") from None
        if not wait([worker.conn, worker.proc.sentinel], max(0.0, deadline - time.monotonic())):
            log.warning("query stopped after %g s (worker %d killed): %.200r",
                        timeout, worker.pid, query)
            raise QueryTimeout(timeout)
        try:
            reply: tuple[Any, ...] = worker.conn.recv()
        except (EOFError, OSError):
            worker.proc.join(0.5)
            code = worker.proc.exitcode
            log.error("query worker %d died (exit code %s) running %.200r",
                      worker.pid, code, query)
            raise QueryError("the query worker stopped unexpectedly (out of memory?) while "
                             f"running the query (exit code {code})") from None
        return reply

    @property
    def version(self) -> str:
        """Data version of the current store (the one the next query will be answered from)."""
        return self._current_info().version

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (those still starting included)."""
        with self._cond:
            return sorted(w.pid for w in self._workers)

    @property
    def jobs(self) -> int:
        """How many jobs have been sent to workers."""
        with self._cond:
            return self._jobs

    def close(self) -> None:
        """Kill every worker; later calls to :meth:`execute` raise :class:`QueryError`."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
            busy = set(self._busy)
            self._workers.clear()
            self._idle.clear()
            self._cond.notify_all()
        for w in workers:
            w.proc.kill()
        for w in workers:
            w.proc.join(5)
            if w not in busy:  # a busy worker's connection is closed by its execute() call
                w.conn.close()
        self._spawner.shutdown(wait=True)

    def __enter__(self) -> QueryExecutor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the store's metadata, read in this process --------------------------------------------
    def _current_info(self) -> BuildInfo:
        path = current_store_dir(self.settings)
        if path is None:
            raise NoStoreError(f"no store in {self.settings.home}: run 'caikg build' first")
        cached = self._info
        if cached is not None and cached[0] == path:
            return cached[1]
        info = BuildInfo.read(path)
        self._info = (path, info)
        return info

    # -- the pool ------------------------------------------------------------------------------
    def _launch(self) -> _Worker:
        """Start a worker process (from the spawner thread); it is not ready yet."""
        return self._spawner.submit(self._start_process).result()

    def _start_process(self) -> _Worker:
        with self._cond:
            if self._closed:
                raise QueryError("the query executor is closed")
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, name="caikg-query-worker", daemon=True,
                                 args=(child_conn, self.settings, os.getpid()))
        try:
            proc.start()
        finally:
            child_conn.close()
        assert proc.pid is not None
        worker = _Worker(proc, parent_conn, proc.pid)
        with self._cond:
            closed = self._closed
            if not closed:
                self._workers.add(worker)
        if closed:
            proc.kill()
            proc.join(5)
            parent_conn.close()
            raise QueryError("the query executor is closed")
        return worker

    def _await_ready(self, worker: _Worker, timeout: float) -> None:
        """Wait for the worker's "ready" message; kill it and raise if none comes."""
        try:
            if not wait([worker.conn, worker.proc.sentinel], timeout):
                raise StoreError(f"a query worker did not start within {timeout:g} s")
            try:
                msg = worker.conn.recv()
            except (EOFError, OSError):
                raise StoreError("a query worker stopped while starting (exit code "
                                 f"{worker.proc.exitcode})") from None
            if msg[0] == "failed":
                error = NoStoreError if msg[1] == "NoStoreError" else StoreError
                raise error(msg[2])
        except BaseException:
            self._retire(worker, replace=False)
            raise
        worker.version = msg[2]

    def _acquire(self, wait_until: float) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise QueryError("the query executor is closed")
                while self._idle:
                    worker = self._idle.popleft()
                    if worker.proc.is_alive():
                        return worker
                    log.error("query worker %d died while idle (exit code %s)",
                              worker.pid, worker.proc.exitcode)
                    self._retire(worker)
                remaining = wait_until - time.monotonic()
                if remaining <= 0:
                    raise Overloaded(f"all {self.size} query workers are busy; try again "
                                     "later", retry_after=self._retry_after())
                self._cond.wait(remaining)

    def _retry_after(self) -> int:
        """Seconds until a worker is surely free: the soonest deadline of a busy worker (or a
        second, for a worker that is being replaced)."""
        now = time.monotonic()
        soonest = min((w.deadline for w in self._busy), default=now + 1.0)
        return max(1, math.ceil(min(soonest - now, self.settings.query_timeout)))

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            self._busy.discard(worker)
            if self._closed or worker not in self._workers:
                worker.conn.close()
                return
            self._idle.append(worker)
            self._cond.notify()

    def _retire(self, worker: _Worker, *, replace: bool = True) -> None:
        """Kill ``worker`` now; reap it and start a replacement in the background."""
        with self._cond:
            self._busy.discard(worker)
            replace = replace and worker in self._workers and not self._closed  # only once
            self._workers.discard(worker)
        worker.proc.kill()
        worker.conn.close()
        threading.Thread(target=self._reap_and_replace, args=(worker, replace),
                         name="caikg-worker-replace", daemon=True).start()

    def _reap_and_replace(self, dead: _Worker, replace: bool) -> None:
        dead.proc.join(10)
        if not replace:
            return
        delay = 0.5
        while True:
            with self._cond:
                if self._closed:
                    return
            try:
                worker = self._launch()
                self._await_ready(worker, _START_TIMEOUT)
            except Exception as exc:
                with self._cond:
                    if self._closed or isinstance(exc, QueryError | RuntimeError):
                        return  # closed meanwhile
                log.error("cannot start a query worker (retrying in %g s): %s", delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, _RESPAWN_DELAY_MAX)
                continue
            log.info("query worker %d replaced by %d", dead.pid, worker.pid)
            self._release(worker)
            return
