""""""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import TracebackType
from typing import Any

import pyoxigraph as ox

from caikg.config import Settings
from caikg.rdf.formats import GRAPH_BY_KEY, RESULT_BY_KEY
from caikg.sparql.guard import CheckedQuery, check_request
from caikg.store.base import (
    BuildInfo,
    NoStoreError,
    Overloaded,
    QueryError,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    Term,
)
from caikg.store.embedded import current_store_dir
from caikg.store.pool.memory import recycle_threshold
from caikg.store.pool.worker import Job
from caikg.store.pool.zygote import START_TIMEOUT, release_zygote, zygote_for

log = logging.getLogger(__name__)
_RESPAWN_DELAY_MAX = 30.0


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
        self.current_info()  # NoStoreError now rather than from every worker
        self._zygote = zygote_for(settings)
        try:
            started = [self._launch() for _ in range(workers)]
            for worker in started:
                self._await_ready(worker, START_TIMEOUT)
        except BaseException:
            self.close()
            raise
        with self._cond:
            self._idle.extend(started)

    # -- public ------------------------------------------------------------------------------
    def prepare(self, query: str, default_graphs: list[str] | None = None,
                named_graphs: list[str] | None = None) -> CheckedQuery:
        """The guard's verdict on a user's query against the graphs of the build served now
        (raises :class:`QueryRefused`)."""
        return check_request(query, self.current_info().graphs.keys(), default_graphs,
                             named_graphs)

    def execute(self, query: str | CheckedQuery, *, result_format: str, graph_format: str,
                default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                bindings: Mapping[str, Term] | None = None, timeout: float | None = None,
                limit: int | None = None) -> QueryResult:
        """Run ``query`` in a worker and return its serialised result.

        Raises :class:`QueryRefused` (the guard said no; no worker is used),
        :class:`QuerySyntaxError`, :class:`QueryTimeout`, :class:`Overloaded` or
        :class:`QueryError`.
        """
        start = time.monotonic()
        if result_format not in RESULT_BY_KEY:
            raise ValueError(f"unknown result format {result_format!r}")
        if graph_format not in GRAPH_BY_KEY:
            raise ValueError(f"unknown graph format {graph_format!r}")
        timeout = self.settings.query_timeout if timeout is None else timeout
        limit = self.settings.result_limit if limit is None else limit
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if limit < 0:
            raise ValueError("limit must not be negative")
        checked = (query if isinstance(query, CheckedQuery)
                   else self.prepare(query, default_graphs, named_graphs))
        job: Job = {"kind": "query", "query": checked.text, "result_format": result_format,
               "graph_format": graph_format, "default_graphs": checked.default_graphs,
               "named_graphs": checked.named_graphs,
               "bindings": {k.lstrip("?$"): v for k, v in (bindings or {}).items()},
               "limit": limit}
        payload = self._run(job, start, timeout, checked.text)
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
        job: Job = {"kind": kind, **fields}  # type: ignore[typeddict-item]
        return self._run(job, start, timeout, kind)

    def _trusted(self, kind: str, query: str, bindings: Mapping[str, Term] | None,
                 default_graphs: list[str] | None, named_graphs: list[str] | None,
                 timeout: float | None) -> dict[str, Any]:
        return self.job(kind, timeout, query=query, default_graphs=default_graphs,
                        named_graphs=named_graphs,
                        bindings={k.lstrip("?$"): v for k, v in (bindings or {}).items()})

    def _run(self, job: Job, start: float, timeout: float,
             query: str) -> dict[str, Any]:
        """Send ``job`` to a free worker and return the payload of its "ok" reply."""
        job["recycle_after"] = recycle_threshold(self.settings, self.current_info())
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
        return self.current_info().version

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
            release_zygote(self._zygote)

    def __enter__(self) -> QueryExecutor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the store's metadata, read in this process --------------------------------------------
    def current_info(self) -> BuildInfo:
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
                self._await_ready(worker, START_TIMEOUT)
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
