"""Benchmark ``caikg serve`` against ``oxigraph serve`` on the same synthetic data.

One run, on one data set:

1. generate the data (``benchmarks/generate.py``) unless it is cached;
2. ``caikg build`` it (timed) together with data/techniques.ttl and data/venues.ttl;
3. ``caikg export --format nq`` the store and ``oxigraph load`` the same quads (timed);
4. for each server in turn (``caikg serve``, ``oxigraph serve --union-default-graph``,
   ``oxigraph serve-read-only --union-default-graph``) and each query of the mix
   (``benchmarks/queries``): check the number of results, warm up, then send a fixed number of
   requests (fewer for heavy queries, and never for longer than a time cap) with 1 and with 4
   client threads, measuring throughput and p50/p99 latency;
5. measure where the time of light queries goes inside caikg (query, worker job, executor,
   Flask) in this process;
6. write ``benchmarks/results/endpoint-<size>.md`` (tables), ``.json`` (raw numbers) and
   ``.svg`` (throughput ratios caikg/oxigraph).

Only 127.0.0.1 is used. Every loop is bounded in count and in time. Progress goes to stderr.

    .venv/bin/python benchmarks/endpoint.py --triples 100000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import generate, machine, mix  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = REPO / "benchmarks" / "results"
SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "application/n-triples"
SERVERS = ("caikg", "oxigraph", "oxigraph-ro")
SERVER_LABELS = {"caikg": "caikg serve", "oxigraph": "oxigraph serve",
                 "oxigraph-ro": "oxigraph serve-read-only",
                 "oxigraph-mem": "oxigraph serve (in memory, loaded over HTTP)",
                 "caikg-cached": "caikg serve (default settings: result cache on)",
                 "caikg-timed": "caikg serve with a WSGI timer (benchmarks/timed_server.py)"}
START_TIMEOUT = 300.0
REQUEST_TIMEOUT = 120.0
RESULT_LIMIT = 1_000_000

_t0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _t0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def ensure_data(cache: Path, triples: int, seed: int, shape: str = "systems"
                ) -> tuple[Path, float | None]:
    """The generated data file of this size, seed and shape under ``cache/data`` (generated
    unless it is there already) and the seconds the generation took (None when cached)."""
    name = f"syn-{size_label(triples)}-s{seed}" + ("" if shape == "systems" else f"-{shape}")
    data = cache / "data" / f"{name}.nt"
    if data.exists():
        log(f"using cached data {data}")
        return data, None
    log(f"generating {data}")
    start = time.perf_counter()
    generate.generate(triples, data, seed, progress=log, shape=shape)
    return data, time.perf_counter() - start


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_command(cmd: Sequence[Any], env: dict[str, str], what: str,
                timeout: float = 1800.0) -> tuple[float, str]:
    """Run ``cmd``; return its wall time in seconds and its output (stdout and stderr)."""
    log(f"{what}: {' '.join(str(c) for c in cmd)}")
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-5000:])
        raise SystemExit(f"{what} failed (exit code {proc.returncode})")
    log(f"{what}: {elapsed:.1f} s")
    return elapsed, proc.stdout


def run_timed(cmd: Sequence[Any], env: dict[str, str], what: str,
              timeout: float = 1800.0) -> float:
    return run_command(cmd, env, what, timeout)[0]


# -- servers ---------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                found.extend(int(x) for x in text.split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        """Stop the server (SIGINT, then SIGTERM, then SIGKILL) and the workers it started."""
        children = _children(self.proc.pid)
        for sig, wait_s in ((signal.SIGINT, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            self.proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(wait_s)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        for c in children:  # workers of ours that outlived the server: end them by id
            if _alive(c):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(c, signal.SIGKILL)


@contextlib.contextmanager
def serving(name: str, cmd: Sequence[str], env: dict[str, str], port: int,
            workdir: Path) -> Iterator[Server]:
    log_path = workdir / f"{name}.log"
    log(f"starting {SERVER_LABELS[name]}: {' '.join(str(c) for c in cmd)}")
    with open(log_path, "wb") as fh:
        proc = subprocess.Popen([str(c) for c in cmd], env=env, stdout=fh,
                                stderr=subprocess.STDOUT)
    server = Server(name, f"http://127.0.0.1:{port}/sparql" if name.startswith("caikg")
                    else f"http://127.0.0.1:{port}/query", proc, log_path)
    try:
        started = time.perf_counter()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with code {proc.returncode}; see {log_path}")
            with contextlib.suppress(requests.RequestException):
                r = requests.post(server.url, data="ASK {}", timeout=5, headers={
                    "Content-Type": "application/sparql-query", "Accept": SELECT_TYPE})
                if r.status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not answer within {START_TIMEOUT:g} s; "
                                 f"see {log_path}")
            time.sleep(0.2)
        if name.startswith("caikg"):
            # caikg serve loads the paper list (browse, search) in the background after it
            # starts: wait for it, so that no measurement shares the CPU with that load.
            while time.monotonic() < deadline:
                with contextlib.suppress(requests.RequestException):
                    t0 = time.perf_counter()
                    r = requests.get(server.url.rsplit("/", 1)[0] + "/browse", timeout=60)
                    if r.status_code == 200 and time.perf_counter() - t0 < 1.0:
                        break
                time.sleep(0.5)
        log(f"{SERVER_LABELS[name]} ready after {time.perf_counter() - started:.1f} s")
        yield server
    finally:
        server.stop()
        log(f"stopped {SERVER_LABELS[name]}")


# -- measuring -------------------------------------------------------------------------------

def post(session: requests.Session, url: str, query: str, accept: str) -> requests.Response:
    return session.post(url, data=query.encode("utf-8"), timeout=REQUEST_TIMEOUT, headers={
        "Content-Type": "application/sparql-query", "Accept": accept})


def count_results(resp: requests.Response, form: str) -> int:
    if form == "CONSTRUCT":
        return len({line for line in resp.text.splitlines() if line.strip()})
    return len(resp.json()["results"]["bindings"])


@dataclass
class Cell:
    requests: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    capped: bool


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def measure(url: str, query: str, accept: str, n: int, concurrency: int,
            cap_s: float) -> Cell:
    """Send ``n`` requests from ``concurrency`` threads (each with its own session), stopping
    early at ``cap_s`` seconds."""
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    errors = [0]
    sessions = [requests.Session() for _ in range(concurrency)]
    # one untimed request per session to open its connection
    for s in sessions:
        post(s, url, query, accept).content  # noqa: B018
    barrier = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker(session: requests.Session) -> None:
        barrier.wait()
        while True:
            with lock:
                if issued[0] >= n or time.perf_counter() > deadline[0]:
                    return
                issued[0] += 1
            t = time.perf_counter()
            try:
                r = post(session, url, query, accept)
                _ = r.content
                ok = r.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - t
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in sessions]
    for th in threads:
        th.start()
    deadline[0] = time.perf_counter() + cap_s
    start = time.perf_counter()
    barrier.wait()
    for th in threads:
        th.join(cap_s + REQUEST_TIMEOUT + 5)
    wall = time.perf_counter() - start
    for s in sessions:
        s.close()
    done = len(latencies)
    return Cell(requests=done, errors=errors[0], seconds=wall,
                throughput=done / wall if wall > 0 else 0.0,
                p50_ms=percentile(latencies, 0.5) * 1000, p99_ms=percentile(latencies, 0.99) * 1000,
                capped=done + errors[0] < n)


@dataclass
class QueryResultRow:
    name: str
    weight: str
    form: str
    counts: dict[str, int] = field(default_factory=dict)
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)  # server -> "c1"/"c4"


def bench_server(server: Server, queries: list[tuple[mix.BenchQuery, str]],
                 rows: dict[str, QueryResultRow], args: argparse.Namespace) -> None:
    session = requests.Session()
    for q, text in queries:
        accept = GRAPH_TYPE if q.form == "CONSTRUCT" else SELECT_TYPE
        r = post(session, server.url, text, accept)
        if r.status_code != 200:
            raise SystemExit(f"{server.name}: {q.name} answered {r.status_code}: {r.text[:500]}")
        if r.headers.get("X-CAIKG-Result-Truncated"):
            raise SystemExit(f"{server.name}: {q.name} was truncated (CAIKG_RESULT_LIMIT)")
        row = rows[q.name]
        count = count_results(r, q.form)
        if row.counts.setdefault(server.name, count) != count:
            raise SystemExit(f"{server.name}: {q.name} gave {count} results, before "
                             f"{row.counts[server.name]}")
        warm = 3 if q.weight == "light" else 1
        for _ in range(warm):
            post(session, server.url, text, accept).content  # noqa: B018
        n = args.light_requests if q.weight == "light" else args.heavy_requests
        for c in args.concurrency:
            cell = measure(server.url, text, accept, n, c, args.cell_seconds)
            best = row.cells.setdefault(server.name, {}).get(f"c{c}")
            if best is None or cell.throughput > best.throughput:  # best of the rounds
                row.cells[server.name][f"c{c}"] = cell
            log(f"  {server.name:<12} {q.name:<22} c={c}: {cell.throughput:8.1f} req/s  "
                f"p50 {cell.p50_ms:7.2f} ms  p99 {cell.p99_ms:7.2f} ms  "
                f"({cell.requests} req{', capped' if cell.capped else ''}"
                f"{f', {cell.errors} errors' if cell.errors else ''})")
    session.close()


# -- where the time goes (in this process) -------------------------------------------------

def timeit(fn: Callable[[], object], n: int, cap_s: float) -> float:
    """Median milliseconds of ``fn`` over at most ``n`` calls or ``cap_s`` seconds."""
    fn()
    samples: list[float] = []
    end = time.perf_counter() + cap_s
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
        if time.perf_counter() > end:
            break
    return statistics.median(samples) * 1000


def breakdown(home: Path, queries: list[tuple[mix.BenchQuery, str]], n: int,
              cap_s: float) -> dict[str, dict[str, float]]:
    """Median ms per layer for each light query, plus the fixed cost of ``ASK {}``."""
    from caikg.config import load_settings
    from caikg.sparql.guard import check_query
    from caikg.store.pool.executor import QueryExecutor
    from caikg.store.pool.worker import Job, WorkerStore
    from caikg.web.app import create_app

    settings = load_settings(environ={}, home=home, workers=1)
    log("breakdown: loading the store in this process and starting one worker")
    worker_store = WorkerStore(settings)
    assert worker_store.store.info is not None, "the store has no build info"
    allowed = worker_store.store.info.graphs.keys()
    out: dict[str, dict[str, float]] = {}
    with QueryExecutor(settings, workers=1) as ex:
        app = create_app(settings, executor=ex)
        client = app.test_client()
        cases = [(q.name, text, q.form) for q, text in queries if q.weight == "light"]
        cases.append(("ASK {} (fixed cost)", "ASK {}", "ASK"))
        for name, text, form in cases:
            gfmt = "nt"
            job: Job = {"query": text, "result_format": "json", "graph_format": gfmt,
                   "default_graphs": None, "named_graphs": None, "bindings": {},
                   "limit": settings.result_limit}
            store = worker_store.store

            def query_only(text: str = text, form: str = form,
                           store: Any = store) -> object:
                result = store.query(text)
                return list(result) if form != "ASK" else bool(result)

            accept = GRAPH_TYPE if form == "CONSTRUCT" else SELECT_TYPE

            def guard(text: str = text) -> None:
                check_query(text, allowed)

            def worker_job(job: Job = job) -> object:
                return worker_store.run(job)

            def executor(text: str = text, gfmt: str = gfmt) -> object:
                return ex.execute(text, result_format="json", graph_format=gfmt)

            def flask(text: str = text, accept: str = accept) -> object:
                return client.post("/sparql", data=text, headers={
                    "Content-Type": "application/sparql-query", "Accept": accept})

            out[name] = {
                "guard": timeit(guard, n, cap_s),
                "query": timeit(query_only, n, cap_s),
                "worker_job": timeit(worker_job, n, cap_s),
                "executor": timeit(executor, n, cap_s),
                "flask": timeit(flask, n, cap_s),
            }
            log(f"  breakdown {name}: " + ", ".join(f"{k} {v:.3f} ms"
                                                    for k, v in out[name].items()))
    return out


# -- reporting -------------------------------------------------------------------------------

def fmt(x: float, digits: int = 1) -> str:
    return "–" if x != x else f"{x:,.{digits}f}"  # NaN → dash


def ratio(a: float, b: float) -> float:
    return a / b if b and a == a and b == b else float("nan")


def machine_info() -> dict[str, str]:
    oxi = subprocess.run([str(BIN / "oxigraph"), "--version"], capture_output=True, text=True)
    return {**machine.machine_info(), "oxigraph CLI": oxi.stdout.strip()}


def write_markdown(path: Path, info: dict[str, Any], rows: list[QueryResultRow],
                   setup: dict[str, float], parts: dict[str, dict[str, float]],
                   args: argparse.Namespace, servers: list[str]) -> None:
    lines = [f"# caikg endpoint benchmark: {info['dataset']['label']} triples", ""]
    lines.append("Generated by `benchmarks/endpoint.py`; reproduce with the commands at the end.")
    lines.append("")
    lines.append("## Machine and data")
    lines.append("")
    for k, v in info["machine"].items():
        lines.append(f"- {k}: {v}")
    d = info["dataset"]
    lines.append(f"- data: `{d['file']}` (seed {d['seed']}): {d['generated_triples']:,} "
                 f"generated triples; the store holds {d['store_triples']:,} quads "
                 "(generated data + techniques + venues + ontology + VoID)")
    lines.append(f"- caikg: CAIKG_WORKERS={args.workers} (waitress, 8 threads), default "
                 f"CAIKG_QUERY_TIMEOUT, CAIKG_RESULT_LIMIT={RESULT_LIMIT} (so that results are "
                 "complete, as oxigraph's are); oxigraph: RocksDB store loaded with "
                 "`oxigraph load`, `--union-default-graph`")
    lines.append(f"- parameters: author `{info['params'].get('author')}` (most prolific), paper "
                 f"`{info['params'].get('paper')}` (their most recent)")
    lines.append(f"- requests per cell: {args.light_requests} (light) / {args.heavy_requests} "
                 f"(heavy), capped at {args.cell_seconds:g} s; client: Python `requests`, one "
                 "session per thread, POST `application/sparql-query`, on the same 2 cores as "
                 "the server; servers run one at a time")
    lines.append(f"- rounds: {args.rounds} (servers alternate; each cell is the round with the "
                 "best throughput)")
    lines.append("- 1-minute load average before → after each server (2 = both cores busy; "
                 "anything well above what the benchmark itself uses means other processes "
                 "competed for the CPU): " + "; ".join(info.get("load", [])))
    lines.append("")
    lines.append("## Setup")
    lines.append("")
    lines.append("| step | seconds |")
    lines.append("|---|---:|")
    for k, v in setup.items():
        lines.append(f"| {k} | {v:.1f} |")
    lines.append("")
    for c in args.concurrency:
        lines.append(f"## Concurrency {c}")
        lines.append("")
        head = ["query", "class"]
        for s in servers:
            head += [f"{s} req/s", f"{s} p50 ms", f"{s} p99 ms"]
        head += ["**thr. ratio caikg/oxigraph**", "**p50 ratio caikg/oxigraph**"]
        if "oxigraph-ro" in servers:
            head += ["thr. ratio caikg/oxigraph-ro"]
        head += ["results"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 3) + ["---"]) + "|")
        for row in rows:
            cells = [f"`{row.name}`", row.weight]
            for s in servers:
                cell = row.cells.get(s, {}).get(f"c{c}")
                if cell is None:
                    cells += ["–"] * 3
                    continue
                mark = "*" if cell.capped else ""
                cells += [fmt(cell.throughput) + mark, fmt(cell.p50_ms, 2), fmt(cell.p99_ms, 2)]
            ck = row.cells.get("caikg", {}).get(f"c{c}")
            ox = row.cells.get("oxigraph", {}).get(f"c{c}")
            ro = row.cells.get("oxigraph-ro", {}).get(f"c{c}")
            cells.append("**" + fmt(ratio(ck.throughput, ox.throughput) if ck and ox
                                    else float("nan"), 2) + "**")
            cells.append("**" + fmt(ratio(ck.p50_ms, ox.p50_ms) if ck and ox
                                    else float("nan"), 2) + "**")
            if "oxigraph-ro" in servers:
                cells.append(fmt(ratio(ck.throughput, ro.throughput) if ck and ro
                                 else float("nan"), 2))
            counts = sorted(set(row.counts.values()))
            cells.append(f"{counts[0]} (same)" if len(counts) == 1 else "**differ**: " + ", ".join(
                f"{s} {n}" for s, n in row.counts.items()))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Throughput ratio > 1 means caikg is faster; p50 ratio < 1 means caikg is "
                 "faster. `*` = stopped by the time cap before all requests were sent. "
                 "`results` = rows (SELECT) or distinct triples (CONSTRUCT) returned, checked "
                 "to be equal on every server. With few requests p99 is close to the maximum.")
    lines.append("")
    if parts:
        lines.append("## Where the time goes (light queries, caikg, median ms)")
        lines.append("")
        lines.append("In-process layers (each includes the ones to its left), then the same app "
                     "behind waitress as `caikg serve` runs it, with a WSGI timer around the "
                     "Flask app (`benchmarks/timed_server.py`), then the plain servers.")
        lines.append("")
        lines.append("| query | query only | + materialise & serialise (worker job) | "
                     "+ guard, pickle, pipe IPC (executor.execute) | + Flask, protocol, "
                     "negotiation (test client) | WSGI app time inside caikg serve | "
                     "HTTP p50 of that server | caikg serve HTTP p50 (c=1) | oxigraph serve "
                     "HTTP p50 (c=1) | guard alone |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        by_name = {r.name: r for r in rows}
        nan = float("nan")
        for name, p in parts.items():
            found = by_name.get(name)
            http_ck = found.cells.get("caikg", {}).get("c1") if found else None
            http_ox = found.cells.get("oxigraph", {}).get("c1") if found else None
            fixed = info.get("ask_http", {})
            ck_http = http_ck.p50_ms if http_ck else fixed.get("caikg", nan)
            ox_http = http_ox.p50_ms if http_ox else fixed.get("oxigraph", nan)
            vals = [p.get(k, nan) for k in ("query", "worker_job", "executor", "flask", "wsgi",
                                            "timed_http")] + [ck_http, ox_http, p.get("guard", nan)]
            lines.append(f"| `{name}` | " + " | ".join(fmt(v, 3) for v in vals) + " |")
        lines.append("")
        lines.append("The difference between two adjacent in-process columns is the cost of "
                     "that layer. HTTP p50 minus WSGI app time is waitress, the TCP round trip "
                     "on loopback and the Python client; oxigraph's p50 for `ASK {}` bounds "
                     "what the client and TCP cost.")
        lines.append("")
    lines.append("## Reproduce")
    lines.append("")
    lines.append("```sh")
    lines.extend(info["commands"])
    lines.append("```")
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_svg(path: Path, rows: list[QueryResultRow], concurrency: Sequence[int],
              title: str) -> None:
    """Horizontal bars: throughput ratio caikg/oxigraph serve per query and concurrency."""
    colours = ["#4878a8", "#e08a3c", "#5aa05a", "#a05aa0"]
    data = []
    for row in rows:
        for c in concurrency:
            ck = row.cells.get("caikg", {}).get(f"c{c}")
            ox = row.cells.get("oxigraph", {}).get(f"c{c}")
            data.append((row, c, ratio(ck.throughput, ox.throughput) if ck and ox else 0.0))
    vmax = max([1.2] + [v for _, _, v in data if v == v])
    vmax = float(int(vmax * 5 + 1)) / 5
    left, width, bar_h, gap = 200, 460, 14, 10
    group_h = bar_h * len(concurrency) + gap
    top = 50
    height = top + group_h * len(rows) + 60
    total_w = left + width + 80

    def x(v: float) -> float:
        return left + width * max(0.0, v) / vmax

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height}" '
           f'viewBox="0 0 {total_w} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{total_w}" height="{height}" fill="white"/>',
           f'<text x="{total_w / 2}" y="20" text-anchor="middle" font-size="14" '
           f'font-weight="bold">{title}</text>']
    ticks = [i / 5 * vmax for i in range(6)]
    for tv in ticks:
        svg.append(f'<line x1="{x(tv):.1f}" y1="{top - 5}" x2="{x(tv):.1f}" '
                   f'y2="{height - 50}" stroke="#ddd"/>')
        svg.append(f'<text x="{x(tv):.1f}" y="{height - 36}" text-anchor="middle">'
                   f'{tv:.2f}</text>')
    for ref, dash in ((1.0, ""), (0.9, ' stroke-dasharray="4 3"')):
        svg.append(f'<line x1="{x(ref):.1f}" y1="{top - 5}" x2="{x(ref):.1f}" '
                   f'y2="{height - 50}" stroke="#c33"{dash}/>')
    svg.append(f'<text x="{x(1.0) + 3:.1f}" y="{top - 8}" fill="#c33">1.0 (parity)</text>')
    svg.append(f'<text x="{x(0.9) - 3:.1f}" y="{top - 8}" fill="#c33" text-anchor="end">'
               '0.9</text>')
    for i, row in enumerate(rows):
        y0 = top + i * group_h
        svg.append(f'<text x="{left - 8}" y="{y0 + bar_h * len(concurrency) / 2 + 4:.1f}" '
                   f'text-anchor="end">{row.name} ({row.weight})</text>')
        for j, c in enumerate(concurrency):
            v = next(val for r, cc, val in data if r is row and cc == c)
            y = y0 + j * bar_h
            svg.append(f'<rect x="{left}" y="{y}" width="{x(v) - left:.1f}" '
                       f'height="{bar_h - 2}" fill="{colours[j % len(colours)]}"/>')
            svg.append(f'<text x="{x(v) + 4:.1f}" y="{y + bar_h - 4}">{fmt(v, 2)}</text>')
    ly = height - 18
    for j, c in enumerate(concurrency):
        lx = left + j * 120
        svg.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
                   f'fill="{colours[j % len(colours)]}"/>')
        svg.append(f'<text x="{lx + 16}" y="{ly}">concurrency {c}</text>')
    svg.append(f'<text x="8" y="{ly}" fill="#555">throughput caikg / oxigraph serve</text>')
    svg.append("</svg>")
    path.write_text("\n".join(svg) + "\n", encoding="utf-8")


# -- main ------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark 'caikg serve' against 'oxigraph serve' (and serve-read-only) "
                    "on the same synthetic data: build times, then throughput and p50/p99 "
                    "latency per query at concurrency 1 and 4, and where caikg spends the time "
                    "of light queries. Results go to benchmarks/results/endpoint-<size>.md/"
                    ".json/.svg.")
    p.add_argument("--triples", type=int, default=100_000,
                   help="size of the generated data (default 100000)")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    p.add_argument("--quick", action="store_true",
                   help="few requests and short caps (a smoke run; writes *-quick.* files)")
    default_cache = (Path(os.environ["CAIKG_HOME"]) / "bench" if os.environ.get("CAIKG_HOME")
                     else Path("/tmp/caikg-bench"))
    p.add_argument("--cache", type=Path, default=default_cache,
                   help=f"where data, stores and logs go (default {default_cache})")
    p.add_argument("--workers", type=int, default=2, help="CAIKG_WORKERS (default 2)")
    p.add_argument("--light-requests", type=int, help="requests per light cell (default 400)")
    p.add_argument("--heavy-requests", type=int, help="requests per heavy cell (default 60)")
    p.add_argument("--cell-seconds", type=float, help="time cap per cell (default 20)")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 4],
                   help="client threads (default 1 4)")
    p.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS),
                   help="servers to measure (default all)")
    p.add_argument("--rounds", type=int, default=2,
                   help="measure every server this many times, alternating, and keep the best "
                        "throughput of each cell (default 2; 1 with --quick)")
    p.add_argument("--reuse", action="store_true",
                   help="reuse the caikg and oxigraph stores of an earlier run of the same size "
                        "and seed (the setup times shown are that run's)")
    p.add_argument("--no-breakdown", action="store_true",
                   help="skip the in-process breakdown of light queries")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = p.parse_args(argv)
    quick = args.quick
    args.light_requests = args.light_requests or (40 if quick else 400)
    args.heavy_requests = args.heavy_requests or (5 if quick else 60)
    args.cell_seconds = args.cell_seconds or (5.0 if quick else 20.0)
    if quick:
        args.rounds = 1
    args.rounds = max(1, min(args.rounds, 5))
    if "caikg" not in args.servers:
        p.error("--servers must include caikg")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    label = size_label(args.triples)
    suffix = f"{label}-quick" if args.quick else label
    cache: Path = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / f"run-{label}-s{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    setup: dict[str, float] = {}

    # 1. data
    data, seconds = ensure_data(cache, args.triples, args.seed)
    if seconds is not None:
        setup["generate data (benchmarks/generate.py)"] = seconds
    with open(data, "rb") as fh:
        generated = sum(1 for _ in fh)

    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIKG_")}
    home = work / "caikg-home"

    env.update({"CAIKG_HOME": str(home), "CAIKG_HOST": "127.0.0.1",
                "CAIKG_WORKERS": str(args.workers),
                # complete results, as oxigraph gives (the default 10000 would cut the
                # neighbourhood of the most prolific author at 1M triples)
                "CAIKG_RESULT_LIMIT": str(RESULT_LIMIT)})
    nq = work / "store.nq"
    oxdir = work / "oxigraph-store"
    setup_file = work / "setup.json"
    if args.reuse and setup_file.exists() and (home / "store").exists() and oxdir.exists():
        log(f"reusing the stores of an earlier run in {work}")
        setup.update({f"{k} (earlier run, reused)": v
                      for k, v in json.loads(setup_file.read_text()).items()})
    else:
        # 2. caikg build
        data_args = [data, REPO / "data" / "techniques.ttl", REPO / "data" / "venues.ttl"]
        built = {"caikg build (parse + SHACL + load)": run_timed(
            [BIN / "caikg", "build", "--data", *data_args], env, "caikg build")}
        # 3. the same quads into oxigraph
        built["caikg export --format nq"] = run_timed(
            [BIN / "caikg", "export", "--format", "nq", "-o", nq], env, "caikg export")
        shutil.rmtree(oxdir, ignore_errors=True)
        built["oxigraph load (same quads)"] = run_timed(
            [BIN / "oxigraph", "load", "--location", oxdir, "--file", nq], env, "oxigraph load")
        setup_file.write_text(json.dumps(built, indent=2) + "\n")
        setup.update(built)

    # parameters and the query mix
    from caikg.config import load_settings
    from caikg.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(load_settings(environ={}, home=home))
    params = mix.resolve_params(mix.store_select_first(store))
    store_triples = len(store)
    del store
    log(f"parameters: {params}")
    queries = [(q, q.render(params)) for q in mix.load_mix()]
    rows = {q.name: QueryResultRow(q.name, q.weight, q.form) for q, _ in queries}

    # 4. the servers, one at a time
    ask_http: dict[str, float] = {}
    loads: list[str] = []
    for round_no, name in ((r, s) for r in range(1, args.rounds + 1) for s in args.servers):
        log(f"round {round_no}/{args.rounds}: {name}")
        port = free_port()
        if name == "caikg":
            cmd: list[Any] = [BIN / "caikg", "serve", "--port", port]
            server_env = dict(env, CAIKG_PORT=str(port))
        else:
            sub = "serve" if name == "oxigraph" else "serve-read-only"
            cmd = [BIN / "oxigraph", sub, "--location", oxdir, "--bind", f"127.0.0.1:{port}",
                   "--union-default-graph"]
            server_env = env
        with serving(name, cmd, server_env, port, work) as server:
            before = os.getloadavg()[0]
            bench_server(server, queries, rows, args)
            cell = measure(server.url, "ASK {}", SELECT_TYPE, args.light_requests, 1,
                           args.cell_seconds)
            ask_http[name] = min(cell.p50_ms, ask_http.get(name, cell.p50_ms))
            loads.append(f"{name} round {round_no}: {before:.2f} → {os.getloadavg()[0]:.2f}")
            log(f"  {name:<12} ASK {{}} c=1: p50 {cell.p50_ms:.3f} ms")

    # 5. where the time goes
    parts: dict[str, dict[str, float]] = {}
    if not args.no_breakdown:
        parts = breakdown(home, queries, n=args.light_requests, cap_s=args.cell_seconds)

    if not args.no_breakdown:
        port = free_port()
        cmd = [sys.executable, REPO / "benchmarks" / "timed_server.py"]
        with serving("caikg-timed", cmd, dict(env, CAIKG_PORT=str(port)), port, work) as server:
            cases = [(q.name, text, q.form) for q, text in queries if q.weight == "light"]
            cases.append(("ASK {} (fixed cost)", "ASK {}", "ASK"))
            for name, text, form in cases:
                accept = GRAPH_TYPE if form == "CONSTRUCT" else SELECT_TYPE
                requests.get(server.url.rsplit("/", 1)[0] + "/__timings", timeout=10)
                cell = measure(server.url, text, accept, args.light_requests, 1,
                               args.cell_seconds)
                wsgi = requests.get(server.url.rsplit("/", 1)[0] + "/__timings",
                                    timeout=10).json()[-cell.requests:]
                parts.setdefault(name, {})["wsgi"] = statistics.median(wsgi) * 1000
                parts[name]["timed_http"] = cell.p50_ms
                log(f"  timed {name}: WSGI app {parts[name]['wsgi']:.3f} ms, "
                    f"HTTP p50 {cell.p50_ms:.3f} ms")

    # 6. report
    ordered = [rows[q.name] for q, _ in queries]
    mismatched = [r.name for r in ordered if len(set(r.counts.values())) > 1]
    script = "benchmarks/endpoint.py"
    extra = "".join(f" {opt}" for opt in (["--quick"] if args.quick else []))
    commands = [
        "cd /path/to/caikg && python3.11 -m venv .venv && .venv/bin/pip install -e '.[dev]'",
        ".venv/bin/pip install oxigraph   # the oxigraph CLI (also in the dev extra)",
        f".venv/bin/python {script} --triples {args.triples} --seed {args.seed} "
        f"--rounds {args.rounds}{extra}",
        "# or step by step:",
        f".venv/bin/python benchmarks/generate.py --triples {args.triples} --seed {args.seed} "
        "-o /tmp/syn.nt",
        "CAIKG_HOME=/tmp/bench-home .venv/bin/caikg build --data /tmp/syn.nt "
        "data/techniques.ttl data/venues.ttl",
        "CAIKG_HOME=/tmp/bench-home .venv/bin/caikg export --format nq -o /tmp/store.nq",
        ".venv/bin/oxigraph load --location /tmp/oxi --file /tmp/store.nq",
        "CAIKG_HOME=/tmp/bench-home CAIKG_PORT=8080 .venv/bin/caikg serve",
        ".venv/bin/oxigraph serve --location /tmp/oxi --bind 127.0.0.1:7878 "
        "--union-default-graph",
    ]
    info: dict[str, Any] = {
        "machine": machine_info(),
        "dataset": {"label": label, "file": str(data), "seed": args.seed,
                    "generated_triples": generated, "store_triples": store_triples},
        "params": params,
        "ask_http": ask_http,
        "load": loads,
        "commands": commands,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    md = args.out / f"endpoint-{suffix}.md"
    write_markdown(md, info, ordered, setup, parts, args, list(args.servers))
    write_svg(args.out / f"endpoint-{suffix}.svg", ordered, args.concurrency,
              f"caikg / oxigraph serve throughput, {label} triples")
    raw = {"info": info, "setup_seconds": setup, "breakdown_ms": parts,
           "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
           "rows": [{"name": r.name, "weight": r.weight, "form": r.form, "counts": r.counts,
                     "cells": {s: {c: asdict(cell) for c, cell in cs.items()}
                               for s, cs in r.cells.items()}} for r in ordered]}
    (args.out / f"endpoint-{suffix}.json").write_text(json.dumps(raw, indent=2) + "\n",
                                                      encoding="utf-8")
    log(f"wrote {md} (and .svg, .json) in {time.monotonic() - _t0:.0f} s")
    if mismatched:
        log(f"RESULT COUNTS DIFFER for: {', '.join(mismatched)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
