"""A query worker: the store it answers from, and the loop that runs each job in a thread with
a large stack."""

from __future__ import annotations

import io
import itertools
import logging
import os
import re
import threading
import time
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, TypedDict

import pyoxigraph as ox

from caikg.config import Settings
from caikg.rdf.formats import GRAPH_BY_KEY, RESULT_BY_KEY
from caikg.sparql.results import (
    serialize_solutions,
    serialize_triples,
)
from caikg.store.base import Term
from caikg.store.embedded import EmbeddedStore
from caikg.store.pool.memory import (
    RECYCLE_AFTER,
    SCAN_SECONDS,
    TRIM_AFTER,
    malloc_trim,
    private_dirty,
    rss,
)

log = logging.getLogger(__name__)


def open_build(path: Path, in_memory: bool) -> EmbeddedStore:
    """The store in ``path`` (not the ``store`` link: a zygote serves one build), read-only on
    disk or copied into memory."""
    return EmbeddedStore.open_path(path, in_memory=in_memory)


class Job(TypedDict, total=False):
    """One message from the executor to a worker: what each ``kind`` reads.

    ``query`` (a user's query, answered serialised and capped): ``query``, ``bindings``,
    ``default_graphs``, ``named_graphs``, ``result_format``, ``graph_format``, ``limit``.
    ``rows``/``triples`` (the application's own queries, answered as terms): ``query``,
    ``bindings``, ``default_graphs``, ``named_graphs``. ``run``: ``query``. ``stats``: nothing.
    ``quads``: ``graph``. ``dump``: ``media_type``, ``graphs``, ``prefixes``. Every kind may
    carry ``recycle_after`` (:func:`caikg.store.pool.memory.recycle_threshold`)."""

    kind: str
    query: str
    bindings: dict[str, Term]
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    result_format: str
    graph_format: str
    limit: int
    graph: str | None
    media_type: str
    graphs: list[str] | None
    prefixes: dict[str, str]
    recycle_after: int


class WorkerStore:
    """The store a worker answers from, and the jobs it runs on it."""

    def __init__(self, settings: Settings, store: EmbeddedStore | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else EmbeddedStore.open(settings, in_memory=True)

    @property
    def version(self) -> str:
        return self.store.info.version if self.store.info else ""

    def run(self, job: Job) -> dict[str, Any]:
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
            rfmt = RESULT_BY_KEY[job["result_format"]]
            kind, count, media_type = "ask", 1, rfmt.content_type
            body = result.serialize(format=rfmt.results_format)
        elif isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows = [tuple(s) for s in itertools.islice(result, limit + 1)]
            truncated = len(rows) > limit
            del rows[limit:]
            kind, count = "select", len(rows)
            media_type = RESULT_BY_KEY[job["result_format"]].content_type
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
            media_type = GRAPH_BY_KEY[job["graph_format"]].media_type
            body = serialize_triples(triples, job["graph_format"])
        assert body is not None
        return {"kind": kind, "body": body, "media_type": media_type, "count": count,
                "truncated": truncated, "version": self.version}

    def _trusted(self, kind: str, job: Job) -> dict[str, Any]:
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
        elif kind == "run":
            out["answer"] = store.run(job["query"])
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


def worker_main(conn: Connection, store: EmbeddedStore | None, path: Path,
                 version: str) -> None:
    """A forked worker: answer jobs from ``conn`` until EOF (the executor closed it or died)."""
    try:
        if store is None:
            store = open_build(path, in_memory=False)
        pidfd = os.pidfd_open(os.getpid())
    except Exception as exc:
        conn.send(("failed", type(exc).__name__, str(exc)))
        return
    conn.send(("ready", os.getpid(), version, str(path)))
    reduction.send_handle(conn, pidfd, 0)  # the executor's handle to kill and watch us
    os.close(pidfd)
    state = WorkerStore(Settings(), store)
    done_r, done_w = os.pipe()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        before, started = rss(), time.monotonic()
        reply = _answer(state, job, conn, done_r, done_w)
        if reply is None:
            return  # the executor went away while the job ran
        # Reading smaps_rollup walks the page tables (milliseconds for a large store): only
        # after jobs long enough to have scanned much of the store.
        if reply[0] == "ok" and time.monotonic() - started > SCAN_SECONDS \
                and private_dirty() > job.get("recycle_after", RECYCLE_AFTER):
            reply[1]["recycle"] = True
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        del reply
        if rss() - before > TRIM_AFTER:
            malloc_trim()


JOB_STACK = 256 * 1024 * 1024
"""Stack of the thread that runs a query: Oxigraph's parser and evaluator recurse over the
query's structure, and crash a process's 8 MiB main-thread stack with queries of some ten
thousand tokens (long ``+`` or ``UNION`` chains); :func:`caikg.guard.check_query` bounds the
tokens and the nesting so that this stack is enough. Only the pages touched count."""


def _answer(state: WorkerStore, job: Job, conn: Connection, done_r: int,
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
