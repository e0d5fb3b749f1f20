"""The query side of the store layer: SPARQL in worker processes that can be stopped.

Neither pyoxigraph nor rdflib can cancel a running query, so every query runs in a worker
*process*. A query that passes its deadline is stopped by killing its worker (``SIGKILL``); a
fresh worker replaces it in the background while the other workers keep answering. Results are
serialised in the worker, capped at a number of rows or triples, and sent back as bytes.

Every query passes :func:`caikg.guard.check_query` in the calling process before any worker
sees it (Oxigraph runs ``SERVICE`` by making HTTP requests).

The workers are forked from a *zygote*: one process, started with the ``spawn`` method (the web
server is multi-threaded, so it must not fork itself), that loads the current build once — in
memory, or on disk read-only (``CAIKG_STORE_MEMORY``, ``CAIKG_MEMORY_LIMIT``) — and then forks a
worker whenever the executor asks for one. The workers share the zygote's copy of the store
copy-on-write, so N workers cost about one copy, and replacing a killed worker takes
milliseconds. Each worker gets its own socket to the executor (passed as a file descriptor
through the zygote) and sends back a pidfd of itself, through which the executor watches and
kills it. When the ``store`` symlink points at a new build, a new zygote loads it and workers of
the old build are retired as they become idle. The zygote and the workers ignore ``SIGINT``
(Ctrl-C is the parent's business); the zygote dies with the parent, a worker when its socket
closes. :class:`PooledStore` answers the application's own queries (the pages) with workers of
the same zygote, so the web application holds no copy of the data either.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import gc
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
import socket
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyoxigraph as ox

from caikg import queries
from caikg.config import Settings
from caikg.rdf.namespaces import PREFIXES, Instances
from caikg.rdf.xmltext import NOT_XML, xml_safe
from caikg.sparql.guard import QueryRefused, check_request
from caikg.store.embedded import (
    BuildInfo,
    EmbeddedStore,
    NoStoreError,
    Row,
    StoreError,
    Term,
    current_store_dir,
)

__all__ = [
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "Overloaded",
    "PooledStore",
    "QueryError",
    "QueryExecutor",
    "QueryRefused",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeout",
    "estimated_memory",
    "serialize_solutions",
    "serialize_triples",
    "store_mode",
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
    if isinstance(term, ox.Literal) and NOT_XML.search(term.value):
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


# -- the store a worker answers from ---------------------------------------------------------

BYTES_PER_TRIPLE = 620
"""Peak memory of loading a store into memory, per triple: pyoxigraph 0.5 copying a 1M-triple
store from disk into memory reaches 656 MiB (``VmHWM``; 420 MiB after the load and
``malloc_trim``, of which 39 MiB are the interpreter), i.e. ~620 bytes per triple at the peak
and ~400 after it. ``CAIKG_STORE_MEMORY=auto`` keeps the store in memory while
``triples × BYTES_PER_TRIPLE`` fits in ``CAIKG_MEMORY_LIMIT``."""

_MIB = 1024 * 1024


def estimated_memory(info: BuildInfo) -> int:
    """Bytes needed (at the peak, while loading) to hold the store of ``info`` in memory."""
    return info.triples * BYTES_PER_TRIPLE


def store_mode(settings: Settings, info: BuildInfo) -> str:
    """``"memory"`` or ``"disk"``: where the zygote keeps the store described by ``info``
    (``CAIKG_STORE_MEMORY``; ``auto`` is memory when :func:`estimated_memory` fits in
    ``CAIKG_MEMORY_LIMIT``)."""
    if settings.store_memory in {"memory", "disk"}:
        return settings.store_memory
    return "memory" if estimated_memory(info) <= settings.memory_limit * _MIB else "disk"


def _open_store(path: Path, in_memory: bool) -> EmbeddedStore:
    """The store in ``path`` (not the ``store`` link: a zygote serves one build), read-only on
    disk or copied into memory."""
    return EmbeddedStore.open_path(path, in_memory=in_memory)


def _malloc_trim() -> None:
    """Give the C heap's free pages back to the system (glibc only; elsewhere nothing)."""
    global _TRIM
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM: Any = None


def _rss() -> int:
    """Resident bytes of this process (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _private_dirty() -> int:
    """Bytes this process has written to since the fork (0 where /proc is missing)."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


_RECYCLE_AFTER = 64 * _MIB
"""A worker whose private memory grew past this is replaced by a fresh fork after its job.
Reading pyoxigraph's in-memory store *writes* to it (reference counts of the quads it walks),
so a query that scans the store copies the pages it touched out of the zygote's shared copy:
a ``COUNT(*)`` over 1M triples leaves a worker with ~310 MiB of private pages, for good. A
fresh fork shares them again, and costs milliseconds."""

_SCAN_SECONDS = 0.02
"""Jobs shorter than this are not checked for copied memory (a lookup copies little)."""

APP_MEMORY = 150 * _MIB
"""What the web application process itself takes, for :func:`recycle_threshold`."""


def recycle_threshold(settings: Settings, info: BuildInfo) -> int:
    """Private bytes a worker may keep after a job before it is replaced by a fresh fork.

    ``CAIKG_MEMORY_LIMIT`` less the store (as the zygote holds it) and the app, shared by every
    worker (``CAIKG_WORKERS`` and the pages' pool); at least :data:`_RECYCLE_AFTER`. A fresh
    fork costs milliseconds, but its first scan of the store runs ~3× slower (it copies the
    pages it touches again): with room in the budget (small stores, or a higher limit) workers
    stay warm; with none they give memory back after each scan."""
    workers = settings.workers + PAGE_WORKERS
    room = settings.memory_limit * _MIB - estimated_memory(info) * 2 // 3 - APP_MEMORY
    return max(_RECYCLE_AFTER, room // workers)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TRIM_AFTER = 32 * _MIB
"""A worker calls malloc_trim(0) after a job that grew it by more than this (a few ms)."""


class _WorkerStore:
    """The store a worker answers from, and the jobs it runs on it."""

    def __init__(self, settings: Settings, store: EmbeddedStore | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else EmbeddedStore.open(settings, in_memory=True)

    @property
    def version(self) -> str:
        return self.store.info.version if self.store.info else ""

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        kind = job.get("kind", "query")
        if kind != "query":
            return self._trusted(kind, job)
        store = self.store
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
                "truncated": truncated, "version": self.version}

    def _trusted(self, kind: str, job: dict[str, Any]) -> dict[str, Any]:
        """The application's own jobs (:class:`PooledStore`): terms, not serialised results."""
        store = self.store
        out: dict[str, Any] = {"version": self.version}
        if kind in {"rows", "triples"}:
            result = store.query(job["query"], bindings=job["bindings"],
                                 default_graphs=job["default_graphs"],
                                 named_graphs=job["named_graphs"])
            if kind == "rows":
                if not isinstance(result, ox.QuerySolutions):
                    raise TypeError("not a SELECT query")
                out["variables"] = [v.value for v in result.variables]
                out["rows"] = [tuple(s) for s in result]
            else:
                if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
                    raise TypeError("not a CONSTRUCT or DESCRIBE query")
                out["triples"] = list(result)
        elif kind == "stats":
            out["named_graphs"] = store.named_graphs()
            out["len"] = len(store)
        elif kind == "quads":
            out["quads"] = list(store.quads(job["graph"]))
        elif kind == "dump":
            buffer = io.BytesIO()
            store.dump(buffer, ox.RdfFormat.from_media_type(job["media_type"]),  # type: ignore[arg-type]
                       job["graphs"], job["prefixes"])
            out["body"] = buffer.getvalue()
        else:
            raise ValueError(f"unknown job kind {kind!r}")
        return out


# -- the zygote and the workers it forks -----------------------------------------------------

def _die_with_parent(parent_pid: int) -> None:
    if os.getppid() != parent_pid:
        os._exit(0)
    if sys.platform.startswith("linux"):
        # The kernel kills us when the thread that started us ends (the zygote's own starter
        # thread, which lives as long as the zygote is wanted) or the whole parent dies.
        try:
            if ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0:
                if os.getppid() == parent_pid:
                    return  # no thread: the zygote must stay single-threaded to fork safely
                os._exit(0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:  # elsewhere: poll
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _zygote_main(control: Connection, path: str, mode: str, parent_pid: int) -> None:
    """Entry point of the zygote: load the store in ``path`` once, then fork a worker for each
    socket the executor sends over ``control``, until EOF or ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with_parent(parent_pid)
    try:
        # On disk, every worker opens the store itself after the fork: RocksDB has threads
        # and locks that a fork does not carry over, so the zygote never touches it.
        store = _open_store(Path(path), in_memory=True) if mode == "memory" else None
        version = store.info.version if store and store.info else BuildInfo.read(
            Path(path)).version
    except Exception as exc:
        control.send(("failed", type(exc).__name__, str(exc)))
        return
    _malloc_trim()
    gc.collect()
    gc.freeze()  # the collector would otherwise write to (and so copy) every shared page
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    threading.stack_size(_JOB_STACK)
    control.send(("ready", os.getpid(), version))
    while True:
        try:
            request = control.recv()
            if request is None:
                return
            fd = reduction.recv_handle(control)
        except (EOFError, OSError):
            return
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(fd)
            control.send(("failed", "OSError", f"cannot fork a query worker: {exc}"))
            continue
        if pid == 0:  # the worker: never returns into this loop
            code = 1
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker_main(Connection(fd), store, Path(path), version)
                code = 0
            finally:
                os._exit(code)
        os.close(fd)
        control.send(("forked", pid))


def _worker_main(conn: Connection, store: EmbeddedStore | None, path: Path,
                 version: str) -> None:
    """A forked worker: answer jobs from ``conn`` until EOF (the executor closed it or died)."""
    try:
        if store is None:
            store = _open_store(path, in_memory=False)
        pidfd = os.pidfd_open(os.getpid())
    except Exception as exc:
        conn.send(("failed", type(exc).__name__, str(exc)))
        return
    conn.send(("ready", os.getpid(), version, str(path)))
    reduction.send_handle(conn, pidfd, 0)  # the executor's handle to kill and watch us
    os.close(pidfd)
    state = _WorkerStore(Settings(), store)
    done_r, done_w = os.pipe()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        before, started = _rss(), time.monotonic()
        reply = _answer(state, job, conn, done_r, done_w)
        if reply is None:
            return  # the executor went away while the job ran
        # Reading smaps_rollup walks the page tables (milliseconds for a large store): only
        # after jobs long enough to have scanned much of the store.
        if reply[0] == "ok" and time.monotonic() - started > _SCAN_SECONDS \
                and _private_dirty() > job.get("recycle_after", _RECYCLE_AFTER):
            reply[1]["recycle"] = True
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        del reply
        if _rss() - before > _TRIM_AFTER:
            _malloc_trim()


_JOB_STACK = 256 * 1024 * 1024
"""Stack of the thread that runs a query: Oxigraph's parser and evaluator recurse over the
query's structure, and crash a process's 8 MiB main-thread stack with queries of some ten
thousand tokens (long ``+`` or ``UNION`` chains); :func:`caikg.guard.check_query` bounds the
tokens and the nesting so that this stack is enough. Only the pages touched count."""


def _answer(state: _WorkerStore, job: dict[str, Any], conn: Connection, done_r: int,
            done_w: int) -> tuple[Any, ...] | None:
    """Run ``job`` in a thread with a large stack (one thread per job, so that the stack a
    deep query touched is given back); None when ``conn`` closes meanwhile (the executor
    never sends while a job runs, so a readable ``conn`` means EOF)."""
    box: list[tuple[Any, ...]] = []

    def run() -> None:
        try:
            box.append(("ok", state.run(job)))
        except SyntaxError as exc:
            box.append(("syntax", _position(str(exc))))
        except Exception as exc:
            box.append(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            os.write(done_w, b"x")

    thread = threading.Thread(target=run, name="caikg-query", daemon=True)
    thread.start()
    if done_r not in wait([done_r, conn]):
        return None
    os.read(done_r, 1)
    thread.join()
    return box[0] if box else ("error", "the query thread ended without an answer")


_AT = re.compile(r"^error at (\d+):(\d+): ")


def _position(message: str) -> str:
    """Oxigraph's "error at L:C: …" as "line L, column C: …"."""
    return _AT.sub(lambda m: f"line {m.group(1)}, column {m.group(2)}: ", message, count=1)


def _block_sigint() -> None:
    # Inherited by the zygote this thread starts, so that Ctrl-C cannot reach it before it has
    # set SIGINT to "ignore".
    with contextlib.suppress(AttributeError, ValueError, OSError):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


class _Zygote:
    """The executor side of a zygote: one process holding the current build, from which
    workers are forked. Shared by every executor of one ``CAIKG_HOME`` in this process (see
    :func:`_zygote_for`); replaced by a new process when the ``store`` link points at a new
    build (the old one exits; the workers it forked live on until they are retired)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.refs = 0
        self._ctx = multiprocessing.get_context("spawn")
        # One long-lived thread starts the zygote (on Linux it dies with that thread) and
        # sends it every request, one at a time.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="caikg-zygote",
                                          initializer=_block_sigint)
        self._proc: BaseProcess | None = None
        self._control: Connection | None = None
        self.path: Path | None = None
        self.mode = ""
        self.closed = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def fork(self, sock: socket.socket) -> int:
        """Fork a worker that answers on ``sock`` (the other end stays with the caller);
        return its pid. Starts or replaces the zygote first when needed."""
        return self._thread.submit(self._fork, sock).result()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(RuntimeError):
            self._thread.submit(self._stop).result()
        self._thread.shutdown(wait=True)

    def _fork(self, sock: socket.socket) -> int:
        if self.closed:
            raise QueryError("the query executor is closed")
        for attempt in (1, 2):
            current = current_store_dir(self.settings)
            if current is None and self.path is None:
                raise NoStoreError(f"no store in {self.settings.home}: run 'caikg build' first")
            proc, control = self._proc, self._control
            if (proc is None or control is None or not proc.is_alive()
                    or (current is not None and current != self.path)):
                self._stop()
                proc, control = self._start(current or self.path)  # type: ignore[arg-type]
            try:
                control.send("fork")
                reduction.send_handle(control, sock.fileno(), proc.pid or 0)
                if not wait([control, proc.sentinel], _START_TIMEOUT):
                    raise OSError("no answer")
                reply = control.recv()
            except (EOFError, OSError) as exc:
                log.error("the query zygote %s stopped (%s); starting another", proc.pid, exc)
                self._stop()
                if attempt == 2:
                    raise StoreError("cannot fork a query worker: the zygote stopped") from None
                continue
            if reply[0] != "forked":
                raise StoreError(reply[2])
            pid: int = reply[1]
            return pid
        raise AssertionError("unreachable")

    def _start(self, path: Path) -> tuple[BaseProcess, Connection]:
        info = BuildInfo.read(path)
        mode = store_mode(self.settings, info)
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_zygote_main, name="caikg-query-zygote", daemon=True,
                                 args=(child_conn, str(path), mode, os.getpid()))
        try:
            proc.start()
        finally:
            child_conn.close()
        timeout = max(_START_TIMEOUT, estimated_memory(info) / (20 * _MIB))  # ~14 s for 1M
        try:
            if not wait([parent_conn, proc.sentinel], timeout):
                raise StoreError(f"the query zygote did not load {path} within {timeout:g} s")
            try:
                msg = parent_conn.recv()
            except (EOFError, OSError):
                raise StoreError("the query zygote stopped while loading the store (exit code "
                                 f"{proc.exitcode}; out of memory? see CAIKG_STORE_MEMORY)"
                                 ) from None
            if msg[0] == "failed":
                error = NoStoreError if msg[1] == "NoStoreError" else StoreError
                raise error(msg[2])
        except BaseException:
            proc.kill()
            proc.join(5)
            parent_conn.close()
            raise
        log.info("query zygote %d holds %s (%s, %d triples)", proc.pid, path.name, mode,
                 info.triples)
        self._proc, self._control, self.path, self.mode = proc, parent_conn, path, mode
        return proc, parent_conn

    def _stop(self) -> None:
        """Let the zygote exit (its workers live on until their executor retires them)."""
        proc, control = self._proc, self._control
        self._proc = self._control = None
        if control is not None:
            with contextlib.suppress(OSError, ValueError):
                control.send(None)
            control.close()
        if proc is not None:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)


_ZYGOTES: dict[tuple[Path, str, int], _Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


def _zygote_for(settings: Settings) -> _Zygote:
    """The zygote of ``settings.home`` in this process (one for all its executors)."""
    key = (settings.home.resolve(), settings.store_memory, settings.memory_limit)
    with _ZYGOTES_LOCK:
        zygote = _ZYGOTES.get(key)
        if zygote is None or zygote.closed:
            zygote = _ZYGOTES[key] = _Zygote(settings)
        zygote.refs += 1
        return zygote


def _release_zygote(zygote: _Zygote) -> None:
    with _ZYGOTES_LOCK:
        zygote.refs -= 1
        if zygote.refs > 0:
            return
        for key, value in list(_ZYGOTES.items()):
            if value is zygote:
                del _ZYGOTES[key]
    zygote.close()


# -- the pool, in the server process ---------------------------------------------------------

@dataclass(eq=False)
class _Worker:
    conn: Connection
    pid: int
    pidfd: int = -1
    """Becomes readable when the worker has exited; -1 until it is ready."""
    path: Path | None = None
    """The build it answers from."""
    version: str = ""
    deadline: float = field(default=0.0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def alive(self) -> bool:
        with self._lock:
            return self.pidfd >= 0 and not wait([self.pidfd], 0)

    def kill(self) -> None:
        with self._lock:
            if self.pidfd >= 0:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            else:  # still starting: the zygote has not reaped it, so the pid is still its own
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)

    def reap(self, timeout: float) -> None:
        """Wait until the worker has exited and been reaped (by the zygote or the kernel);
        then close the pidfd."""
        with self._lock:
            pidfd, self.pidfd = self.pidfd, -1
        if pidfd < 0:
            return
        try:
            deadline = time.monotonic() + timeout
            wait([pidfd], timeout)
            while time.monotonic() < deadline:  # exited; reaped a moment later
                try:
                    signal.pidfd_send_signal(pidfd, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.001)
        finally:
            os.close(pidfd)


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
        self._cond = threading.Condition()
        self._idle: deque[_Worker] = deque()
        self._workers: set[_Worker] = set()  # every live worker: starting, idle or busy
        self._busy: set[_Worker] = set()
        self._closed = False
        self._jobs = 0
        self._info: tuple[Path, BuildInfo] | None = None
        self._current_info()  # NoStoreError now rather than from every worker
        self._zygote = _zygote_for(settings)
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
        check_request(query, self._current_info().graphs.keys(), default_graphs, named_graphs)
        job = {"kind": "query", "query": query, "result_format": result_format,
               "graph_format": graph_format, "default_graphs": default_graphs,
               "named_graphs": named_graphs,
               "bindings": {k.lstrip("?$"): v for k, v in (bindings or {}).items()},
               "limit": limit}
        payload = self._run(job, start, timeout, query)
        return QueryResult(elapsed=time.monotonic() - start, **payload)

    def rows(self, query_text: str, *, bindings: Mapping[str, Term] | None = None,
             default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
             timeout: float | None = None) -> tuple[list[str], list[tuple[Term | None, ...]]]:
        """The application's own SELECT query (trusted: no guard, no row cap, but a
        deadline): its variables and rows of terms (None when unbound)."""
        payload = self._trusted("rows", query_text, bindings, default_graphs, named_graphs,
                                timeout)
        return payload["variables"], payload["rows"]

    def triples(self, query_text: str, *, bindings: Mapping[str, Term] | None = None,
                default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                timeout: float | None = None) -> list[ox.Triple]:
        """The application's own CONSTRUCT or DESCRIBE query (trusted, as :meth:`rows`)."""
        payload = self._trusted("triples", query_text, bindings, default_graphs,
                                named_graphs, timeout)
        triples: list[ox.Triple] = payload["triples"]
        return triples

    def job(self, kind: str, timeout: float | None = None, **fields: Any) -> dict[str, Any]:
        """Run one of the workers' other trusted jobs (``stats``, ``quads``, ``dump``) and
        return its payload."""
        start = time.monotonic()
        timeout = self.settings.query_timeout if timeout is None else timeout
        return self._run({"kind": kind, **fields}, start, timeout, kind)

    def _trusted(self, kind: str, query: str, bindings: Mapping[str, Term] | None,
                 default_graphs: list[str] | None, named_graphs: list[str] | None,
                 timeout: float | None) -> dict[str, Any]:
        return self.job(kind, timeout, query=query, default_graphs=default_graphs,
                        named_graphs=named_graphs,
                        bindings={k.lstrip("?$"): v for k, v in (bindings or {}).items()})

    def _run(self, job: dict[str, Any], start: float, timeout: float,
             query: str) -> dict[str, Any]:
        """Send ``job`` to a free worker and return the payload of its "ok" reply."""
        job["recycle_after"] = recycle_threshold(self.settings, self._current_info())
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
        if reply[0] == "ok" and reply[1].pop("recycle", False):
            self._retire(worker)  # it copied much of the store: a fresh fork shares it again
        else:
            self._release(worker)
        status = reply[0]
        if status == "syntax":
            raise QuerySyntaxError(f"invalid SPARQL query: {reply[1]}")
        if status == "error":
            raise QueryError(reply[1])
        payload: dict[str, Any] = reply[1]
        return payload

    def _exchange(self, worker: _Worker, message: bytes, deadline: float, timeout: float,
                  query: str) -> tuple[Any, ...]:
        """Send a job to ``worker`` and wait for its reply until ``deadline``."""
        try:
            worker.conn.send_bytes(message)
        except (OSError, ValueError):
            raise QueryError("the query worker had stopped; please retry") from None
        if not wait([worker.conn, worker.pidfd], max(0.0, deadline - time.monotonic())):
            log.warning("query stopped after %g s (worker %d killed): %.200r",
                        timeout, worker.pid, query)
            raise QueryTimeout(timeout)
        try:
            reply: tuple[Any, ...] = worker.conn.recv()
        except (EOFError, OSError):
            log.error("query worker %d died running %.200r", worker.pid, query)
            raise QueryError("the query worker stopped unexpectedly (out of memory?) while "
                             "running the query") from None
        return reply

    @property
    def version(self) -> str:
        """Data version of the current store (the one the next query will be answered from)."""
        return self._current_info().version

    @property
    def store_mode(self) -> str:
        """Where the zygote holds the current build: ``"memory"`` or ``"disk"``."""
        return self._zygote.mode

    @property
    def zygote_pid(self) -> int | None:
        """Process id of the zygote the workers are forked from."""
        return self._zygote.pid

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
            w.kill()
        for w in workers:
            if w not in busy:  # a busy worker is reaped and closed by its execute() call
                w.reap(5)
                w.conn.close()
        if hasattr(self, "_zygote"):
            _release_zygote(self._zygote)

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
        """Fork a worker from the zygote; it is not ready yet."""
        with self._cond:
            if self._closed:
                raise QueryError("the query executor is closed")
        mine, theirs = socket.socketpair()
        try:
            pid = self._zygote.fork(theirs)
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        worker = _Worker(Connection(mine.detach()), pid)
        with self._cond:
            closed = self._closed
            if not closed:
                self._workers.add(worker)
        if closed:
            worker.kill()
            worker.conn.close()
            raise QueryError("the query executor is closed")
        return worker

    def _await_ready(self, worker: _Worker, timeout: float) -> None:
        """Wait for the worker's "ready" message; kill it and raise if none comes."""
        try:
            if not wait([worker.conn], timeout):
                raise StoreError(f"a query worker did not start within {timeout:g} s")
            try:
                msg = worker.conn.recv()
                if msg[0] == "ready":
                    pidfd = reduction.recv_handle(worker.conn)
            except (EOFError, OSError):
                raise StoreError("a query worker stopped while starting") from None
            if msg[0] == "failed":
                error = NoStoreError if msg[1] == "NoStoreError" else StoreError
                raise error(msg[2])
        except BaseException:
            self._retire(worker, replace=False)
            raise
        with worker._lock:
            worker.pidfd = pidfd
        worker.version, worker.path = msg[2], Path(msg[3])

    def _acquire(self, wait_until: float) -> _Worker:
        current = current_store_dir(self.settings)
        with self._cond:
            while True:
                if self._closed:
                    raise QueryError("the query executor is closed")
                while self._idle:
                    worker = self._idle.popleft()
                    if not worker.alive():
                        log.error("query worker %d died while idle", worker.pid)
                        self._retire(worker)
                    elif current is not None and worker.path != current:
                        self._retire(worker)  # a rebuild: a fresh worker forks from it
                    else:
                        return worker
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
        worker.kill()
        worker.conn.close()
        threading.Thread(target=self._reap_and_replace, args=(worker, replace),
                         name="caikg-worker-replace", daemon=True).start()

    def _reap_and_replace(self, dead: _Worker, replace: bool) -> None:
        dead.reap(10)
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


# -- the application's store, answered by workers --------------------------------------------

PAGE_WORKERS = 2
"""Workers of a :class:`PooledStore`: its own, so that user queries holding every
``CAIKG_WORKERS`` worker cannot starve the pages."""

DUMP_TIMEOUT = 600.0
"""Deadline of a whole-store dump (the downloads) in a worker."""


class PooledStore:
    """The :class:`caikg.store.KnowledgeStore` of the web application: every query runs in a
    worker forked from the same zygote as the SPARQL endpoint's, so the application process
    holds no copy of the data. It has its own small pool of workers (``workers``), and its
    queries get ``timeout`` seconds (default ``CAIKG_QUERY_TIMEOUT``)."""

    def __init__(self, settings: Settings, workers: int = PAGE_WORKERS,
                 timeout: float | None = None) -> None:
        self.settings = settings
        self.timeout = settings.query_timeout if timeout is None else timeout
        self.executor = QueryExecutor(settings, workers=workers,
                                      queue_timeout=max(settings.queue_timeout, self.timeout))
        self._finalizer = weakref.finalize(self, self.executor.close)
        info = self.executor._current_info()
        self.instances = Instances(info.base_iri)
        self._stats: tuple[str, list[str], int] | None = None

    @property
    def info(self) -> BuildInfo | None:
        try:
            return self.executor._current_info()
        except StoreError:
            return None

    def close(self) -> None:
        self._finalizer()

    def rows(self, query_text: str, *, bindings: Mapping[str, Term] | None = None,
             default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
             ) -> tuple[list[str], list[tuple[Term | None, ...]]]:
        return self.executor.rows(query_text, bindings=bindings, default_graphs=default_graphs,
                                  named_graphs=named_graphs, timeout=self.timeout)

    def triples(self, query_text: str, *, bindings: Mapping[str, Term] | None = None,
                default_graphs: list[str] | None = None,
                named_graphs: list[str] | None = None) -> list[ox.Triple]:
        return self.executor.triples(query_text, bindings=bindings,
                                     default_graphs=default_graphs, named_graphs=named_graphs,
                                     timeout=self.timeout)

    def select(self, name: str, default_graphs: list[str] | None = None,
               **bindings: Term) -> list[Row]:
        variables, rows = self.rows(queries.load(name).text, bindings=bindings,
                                    default_graphs=default_graphs)
        return [dict(zip(variables, row, strict=True)) for row in rows]

    def construct(self, name: str, **bindings: Term) -> list[ox.Triple]:
        return self.triples(queries.load(name).text, bindings=bindings)

    def _stats_now(self) -> tuple[list[str], int]:
        """Graphs and size of the current build (asked once per build: it is read-only)."""
        version = self.executor.version
        cached = self._stats
        if cached is None or cached[0] != version:
            payload = self.executor.job("stats", self.timeout)
            cached = self._stats = (payload["version"], payload["named_graphs"], payload["len"])
        return cached[1], cached[2]

    def named_graphs(self) -> list[str]:
        return list(self._stats_now()[0])

    def data_graphs(self) -> list[str]:
        return [g for g in self.named_graphs() if g != str(self.instances.ontology_graph)]

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        payload = self.executor.job("quads", DUMP_TIMEOUT, graph=graph)
        return iter(payload["quads"])

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat, graphs: list[str] | None = None,
             prefixes: Mapping[str, str] | None = None) -> None:
        payload = self.executor.job("dump", DUMP_TIMEOUT, media_type=fmt.media_type,
                                    graphs=graphs, prefixes=dict(prefixes or {}))
        output.write(payload["body"])

    def __len__(self) -> int:
        return self._stats_now()[1]
