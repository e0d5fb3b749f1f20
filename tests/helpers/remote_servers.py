"""Real SPARQL servers for testing the remote store backend: Oxigraph and Virtuoso 7.

Both are started on 127.0.0.1 free ports with their data in a given directory and are
stopped (terminate, then kill, the whole process group) when the context manager exits; on
Linux they also get SIGTERM if the Python process dies. ``make test`` installs both (oxigraph
from the dev extras, virtuoso-t from Debian's ``virtuoso-opensource-7-bin``); where one is
missing, tests skip with ``missing(name)`` as the reason.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from tests.helpers.servers import free_port


@dataclass(frozen=True)
class RemoteEndpoint:
    """Where and how to reach one SPARQL 1.1 server (Query, Update, Graph Store Protocol)."""

    name: str
    query_url: str
    update_url: str
    gsp_url: str
    user: str = ""
    password: str = ""
    auth: str = ""  # "", "basic" or "digest"
    gsp_graph_param: str = "graph"  # Virtuoso also accepts its own "graph-uri"
    union_default_graph: bool = False  # the default graph is the union of all graphs

    def requests_auth(self) -> AuthBase | None:
        """An auth object for ``requests``; keep one per session so digest is preemptive."""
        if self.auth == "digest":
            return HTTPDigestAuth(self.user, self.password)
        if self.auth == "basic":
            return HTTPBasicAuth(self.user, self.password)
        return None

    def graph_url(self, graph: str) -> str:
        """The GSP URL of one named graph (indirect identification)."""
        return f"{self.gsp_url}?{urlencode({self.gsp_graph_param: graph})}"


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` CLI of this venv (pip package ``oxigraph``), else one on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.exists() else shutil.which("oxigraph")


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


BINARIES = {"oxigraph": oxigraph_binary, "virtuoso": virtuoso_binary}
INSTALL_HINTS = {
    "oxigraph": "pip install oxigraph (in the dev extras)",
    "virtuoso": "apt-get install virtuoso-opensource-7-bin (make system-deps does)",
}


def available(name: str) -> bool:
    return BINARIES[name]() is not None


def missing(name: str) -> str:
    """The skip reason for a server whose binary is not installed."""
    return f"{name} binary not found: {INSTALL_HINTS[name]}"


@contextmanager
def _process(argv: list[str], workdir: Path, probe: str, timeout: float = 60) -> Iterator[None]:
    """Run ``argv`` in its own process group until ``probe`` answers 200; stop it after."""
    log = (workdir / "server.out").open("wb")
    proc = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=_die_with_parent)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode}:\n"
                                   + (workdir / "server.out").read_text(errors="replace"))
            try:
                if requests.get(probe, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not answer {probe} within {timeout} s")
            time.sleep(0.05)
        yield
    finally:
        _stop(proc)
        log.close()


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the thread that started it dies, even by SIGKILL."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(proc: subprocess.Popen[bytes], grace: float = 15) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def oxigraph_server(workdir: Path, union_default_graph: bool = False) -> Iterator[RemoteEndpoint]:
    """``oxigraph serve`` over a store in ``workdir``; no auth.

    Without ``--union-default-graph`` the default graph is Oxigraph's own (separate)
    default graph, as in pyoxigraph; explicit default-graph-uri/named-graph-uri work
    either way.
    """
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError(missing("oxigraph"))
    workdir.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{free_port()}"
    argv = [binary, "serve", "--location", str(workdir / "store"), "--bind", base[7:]]
    if union_default_graph:
        argv.append("--union-default-graph")
    with _process(argv, workdir, base + "/query?query=ASK%7B%7D"):
        yield RemoteEndpoint(name="oxigraph", query_url=base + "/query",
                             update_url=base + "/update", gsp_url=base + "/store",
                             union_default_graph=union_default_graph)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = ., {dir}
MaxQueryMem = 500M
TransactionAfterImageLimit = 1000000000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10
KeepAliveTimeout = 10
MaxKeepAlives = 10

[SPARQL]
; 0 = no limit: results are never silently cut at ResultSetMaxRows and queries are not
; refused by the cost estimator or cut by the "anytime query" timeout.
ResultSetMaxRows = 10000000
MaxSortedTopRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
"""


@contextmanager
def virtuoso_server(workdir: Path) -> Iterator[RemoteEndpoint]:
    """A fresh Virtuoso 7 database in ``workdir``, with its ini file there too.

    Reads need no auth; updates and GSP writes go to the ``-auth`` endpoints with HTTP
    digest auth as dba/dba (the password of a fresh database).
    """
    binary = virtuoso_binary()
    if binary is None:
        raise RuntimeError(missing("virtuoso"))
    workdir.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = workdir / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=workdir.resolve(), sql_port=sql_port,
                                       http_port=http_port))
    base = f"http://127.0.0.1:{http_port}"
    argv = [binary, "+foreground", "+configfile", str(ini)]
    with _process(argv, workdir, base + "/sparql?query=ASK%7B%7D"):
        yield RemoteEndpoint(name="virtuoso", query_url=base + "/sparql",
                             update_url=base + "/sparql-auth",
                             gsp_url=base + "/sparql-graph-crud-auth",
                             user="dba", password="dba", auth="digest",
                             union_default_graph=True)


SERVERS = {"oxigraph": oxigraph_server, "virtuoso": virtuoso_server}
