"""The zygote: one spawned process that loads a build once and forks the query workers, which
share its copy of the store copy-on-write."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from caikg.config import Settings
from caikg.store.base import BuildInfo, NoStoreError, QueryError, StoreError
from caikg.store.embedded import current_store_dir
from caikg.store.pool.memory import MIB, estimated_memory, malloc_trim, store_mode
from caikg.store.pool.worker import JOB_STACK, open_build, worker_main

log = logging.getLogger(__name__)
START_TIMEOUT = 60.0


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
        store = open_build(Path(path), in_memory=True) if mode == "memory" else None
        version = store.info.version if store and store.info else BuildInfo.read(
            Path(path)).version
    except Exception as exc:
        control.send(("failed", type(exc).__name__, str(exc)))
        return
    malloc_trim()
    gc.collect()
    gc.freeze()  # the collector would otherwise write to (and so copy) every shared page
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    threading.stack_size(JOB_STACK)
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
                worker_main(Connection(fd), store, Path(path), version)
                code = 0
            finally:
                os._exit(code)
        os.close(fd)
        control.send(("forked", pid))


def _block_sigint() -> None:
    # Inherited by the zygote this thread starts, so that Ctrl-C cannot reach it before it has
    # set SIGINT to "ignore".
    with contextlib.suppress(AttributeError, ValueError, OSError):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


class Zygote:
    """The executor side of a zygote: one process holding the current build, from which
    workers are forked. Shared by every executor of one ``CAIKG_HOME`` in this process (see
    :func:`zygote_for`); replaced by a new process when the ``store`` link points at a new
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
                if not wait([control, proc.sentinel], START_TIMEOUT):
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
        timeout = max(START_TIMEOUT, estimated_memory(info) / (20 * MIB))  # ~14 s for 1M
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


ZYGOTES: dict[tuple[Path, str, int], Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


def zygote_for(settings: Settings) -> Zygote:
    """The zygote of ``settings.home`` in this process (one for all its executors)."""
    key = (settings.home.resolve(), settings.store_memory, settings.memory_limit)
    with _ZYGOTES_LOCK:
        zygote = ZYGOTES.get(key)
        if zygote is None or zygote.closed:
            zygote = ZYGOTES[key] = Zygote(settings)
        zygote.refs += 1
        return zygote


def release_zygote(zygote: Zygote) -> None:
    with _ZYGOTES_LOCK:
        zygote.refs -= 1
        if zygote.refs > 0:
            return
        for key, value in list(ZYGOTES.items()):
            if value is zygote:
                del ZYGOTES[key]
    zygote.close()
