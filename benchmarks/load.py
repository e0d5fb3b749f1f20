"""Load test: many concurrent clients against a real ``caikg serve`` on the shipped data.

1. builds the shipped data into a store in its own ``CAIKG_HOME`` under ``--workdir`` (or uses
   ``--home``) and starts ``caikg serve`` on 127.0.0.1 with the default settings;
2. picks its URLs from the server itself: pages (home, papers, people, techniques, browse with
   a search, the query editor), SPARQL queries (light and medium; GET, form POST and direct
   POST), every ``/api/<name>`` whose parameters have examples in ``/api/openapi.json``, and
   the Turtle download;
3. runs ``--clients`` threads (each with its own ``requests.Session``) that send a weighted
   random mix for ``--warmup`` seconds (not counted), then for ``--duration`` seconds;
4. samples the resident memory (``VmRSS`` in ``/proc/<pid>/status``) of the server process and
   of all its descendants (the query workers) after the warm-up, every second during the run,
   and at the end;
5. checks: no 5xx other than 503 with ``Retry-After`` (overload), no failed or timed-out
   request, memory at the end within ``--max-growth`` of the start;
6. then the overload check: a server with one worker and ``CAIKG_QUEUE_TIMEOUT=0.5`` gets more
   concurrent heavy queries than it has workers and waitress has threads; every one must get
   an answer (200, or 503 with its reason: ``Retry-After`` when no worker was free) and
   ``/healthz`` must answer right after;
7. writes ``benchmarks/results/load.md`` (or ``--out``).

Only 127.0.0.1 is used; every loop is bounded in count and time, and the run stops by itself.

    .venv/bin/python benchmarks/load.py                    # 50 clients, 60 s warm-up, 60 s run
    .venv/bin/python benchmarks/load.py --quick            # 50 clients, 3 s + 8 s, no file
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
START_TIMEOUT = 90.0
QUEUE_DEPTH = re.compile(r"Task queue depth is (\d+)")

PREFIXES = ("PREFIX schema: <https://schema.org/> PREFIX dcterms: <http://purl.org/dc/terms/> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            "PREFIX fabio: <http://purl.org/spar/fabio/> ")
LIGHT_SELECT = PREFIXES + ("SELECT ?work ?title WHERE { ?work a schema:ScholarlyArticle ; "
                           "dcterms:title ?title } ORDER BY ?title LIMIT 20")
LIGHT_ASK = PREFIXES + "ASK { ?work a schema:ScholarlyArticle ; schema:author ?someone }"
MEDIUM_SELECT = PREFIXES + (
    "SELECT ?person (COUNT(DISTINCT ?other) AS ?coauthors) (COUNT(DISTINCT ?work) AS ?works) "
    "WHERE { ?work schema:author ?person , ?other FILTER(?person != ?other) } "
    "GROUP BY ?person ORDER BY DESC(?coauthors) ?person LIMIT 50")
MEDIUM_CONSTRUCT = PREFIXES + (
    "CONSTRUCT { ?work dcterms:title ?title ; schema:author ?person . ?person schema:name ?n } "
    "WHERE { ?work dcterms:title ?title ; schema:author ?person . ?person schema:name ?n }")
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
"""A cross product of the store with itself four times: runs until its time limit."""

SPARQL_JSON = "application/sparql-results+json"


def log(msg: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- the server and its memory -----------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def serving(home: Path, log_path: Path, **env_overrides: str) -> Iterator[Server]:
    """``caikg serve`` (the real command, waitress and all) over the store in ``home``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIKG_")}
    env.update({"CAIKG_HOME": str(home), "CAIKG_HOST": "127.0.0.1", "CAIKG_PORT": str(port)})
    env.update(env_overrides)
    with open(log_path, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "caikg.cli", "serve"], env=env,
                                stdout=fh, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", proc, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"caikg serve exited with {proc.returncode}:\n"
                                   f"{server.log_text()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(server.base + "/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"caikg serve did not come up within {START_TIMEOUT:g} s")
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(root: int) -> list[int]:
    """``root`` and all its live descendants (from the parent ids in ``/proc/*/stat``)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _ppid(int(entry.name))
            if parent is not None:
                children[parent].append(int(entry.name))
    tree: list[int] = []
    todo = [root]
    while todo and len(tree) < 1000:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def rss_kib(pid: int) -> int:
    """``VmRSS`` of one process in KiB (0 if it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemorySample:
    at: float
    total_kib: int
    by_pid: dict[int, int]


def sample_memory(root: int) -> MemorySample:
    by_pid = {pid: rss_kib(pid) for pid in process_tree(root)}
    return MemorySample(time.monotonic(), sum(by_pid.values()), by_pid)


# -- what the clients send ---------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # page, sparql, api, download
    method: str
    path: str
    weight: int
    params: tuple[tuple[str, str], ...] = ()
    data: bytes | tuple[tuple[str, str], ...] | None = None
    headers: tuple[tuple[str, str], ...] = ()


def _select_paths(base: str, query: str, marker: str, n: int) -> list[str]:
    r = requests.get(base + "/sparql", params={"query": query},
                     headers={"Accept": SPARQL_JSON}, timeout=30)
    r.raise_for_status()
    paths = []
    for b in r.json()["results"]["bindings"]:
        iri = b["x"]["value"]
        at = iri.rfind(marker)
        if at >= 0:
            paths.append(iri[at:])
    if not paths:
        raise RuntimeError(f"no {marker} entity found")
    return paths[:n]


def targets(base: str, per_kind: int = 5) -> list[Target]:
    """The request mix, with entities and API parameters taken from the server itself."""
    papers = _select_paths(base, PREFIXES + "SELECT ?x WHERE { ?x a schema:ScholarlyArticle } "
                           "ORDER BY ?x", "/paper/", per_kind)
    people = _select_paths(base, PREFIXES + "SELECT ?x (COUNT(?w) AS ?n) WHERE { ?w "
                           "schema:author ?x } GROUP BY ?x ORDER BY DESC(?n) ?x", "/person/",
                           per_kind)
    techniques = _select_paths(base, PREFIXES + "SELECT ?x WHERE { ?x a skos:Concept } "
                               "ORDER BY ?x", "/technique/", per_kind)
    html = (("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),)
    mix: list[Target] = [
        Target("home", "page", "GET", "/", 4, headers=html),
        Target("browse?q=", "page", "GET", "/browse", 3, params=(("q", "cache"),),
               headers=html),
        Target("editor", "page", "GET", "/sparql", 2, headers=html),
        Target("download ttl", "download", "GET", "/downloads/caikg.ttl", 1),
        Target("healthz", "page", "GET", "/healthz", 1),
    ]
    mix += [Target("paper", "page", "GET", p, 2, headers=html) for p in papers]
    mix += [Target("person", "page", "GET", p, 2, headers=html) for p in people]
    mix += [Target("technique", "page", "GET", p, 2, headers=html) for p in techniques]
    mix += [Target("paper.ttl", "page", "GET", papers[0] + ".ttl", 1)]
    mix += [
        Target("sparql light GET", "sparql", "GET", "/sparql", 4,
               params=(("query", LIGHT_SELECT),), headers=(("Accept", SPARQL_JSON),)),
        Target("sparql light POST form", "sparql", "POST", "/sparql", 2,
               data=(("query", LIGHT_ASK),), headers=(("Accept", SPARQL_JSON),)),
        Target("sparql medium POST", "sparql", "POST", "/sparql", 2,
               data=MEDIUM_SELECT.encode(),
               headers=(("Content-Type", "application/sparql-query"),
                        ("Accept", "text/csv"))),
        Target("sparql medium CONSTRUCT GET", "sparql", "GET", "/sparql", 1,
               params=(("query", MEDIUM_CONSTRUCT),), headers=(("Accept", "text/turtle"),)),
    ]
    doc = requests.get(base + "/api/openapi.json", timeout=30).json()
    for path, item in sorted(doc["paths"].items()):
        params = []
        for p in item["get"]["parameters"]:
            if p["name"] != "format" and p["required"]:
                if "example" not in p:
                    break
                params.append((p["name"], str(p["example"])))
        else:
            mix.append(Target("api " + path.rsplit("/", 1)[1], "api", "GET", path, 1,
                              params=tuple(params)))
    mix.append(Target("api csv", "api", "GET", "/api/venue_paper_counts", 1,
                      params=(("format", "csv"),)))
    return mix


# -- the clients -------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[str, str] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    overloaded: int = 0
    """503 answers with Retry-After (declared overload)."""
    errors: list[str] = field(default_factory=list)
    """5xx other than 503 with Retry-After, other unexpected statuses, failed requests."""
    error_count: int = 0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def served(self) -> int:
        return sum(self.statuses.values())

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]

    def error(self, message: str) -> None:
        with self.lock:
            self.error_count += 1
            if len(self.errors) < 50:
                self.errors.append(message)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def _send(session: requests.Session, base: str, t: Target, timeout: float
          ) -> requests.Response:
    return session.request(t.method, base + t.path, params=list(t.params) or None,
                           data=t.data, headers=dict(t.headers), timeout=timeout)


def run_clients(base: str, mix: Sequence[Target], clients: int, duration: float,
                request_timeout: float = 60.0, seed: int = 0,
                max_requests_per_client: int = 1_000_000) -> Stats:
    """``clients`` threads sending weighted random requests from ``mix`` for ``duration``
    seconds (each stops at the deadline or after ``max_requests_per_client``)."""
    stats = Stats()
    weights = [t.weight for t in mix]
    deadline = time.monotonic() + duration

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with requests.Session() as session:
            for _ in range(max_requests_per_client):
                if time.monotonic() >= deadline:
                    return
                t = rng.choices(mix, weights)[0]
                started = time.perf_counter()
                try:
                    resp = _send(session, base, t, request_timeout)
                    _ = resp.content
                except requests.RequestException as exc:
                    stats.error(f"{t.name} {t.path}: {type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - started
                with stats.lock:
                    stats.statuses[resp.status_code] += 1
                    stats.latencies[t.name].append(elapsed)
                    stats.kinds[t.name] = t.kind
                if resp.status_code == 503 and resp.headers.get("Retry-After", "").isdigit():
                    with stats.lock:
                        stats.overloaded += 1
                elif resp.status_code != 200:
                    stats.error(f"{t.name} {t.path}: {resp.status_code} "
                                f"{resp.text[:200]!r}")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="load-client") as pool:
        futures = [pool.submit(client, i) for i in range(clients)]
        for f in futures:
            f.result(timeout=duration + request_timeout + 30)
    stats.elapsed = time.monotonic() - started
    return stats


# -- the load run ------------------------------------------------------------------------------

@dataclass
class LoadReport:
    clients: int
    warmup: float
    duration: float
    stats: Stats
    warmup_stats: Stats
    memory_start: MemorySample
    memory_end: MemorySample
    memory_peak_kib: int
    queue_depth_warnings: int
    max_queue_depth: int
    server_settings: dict[str, str]

    @property
    def growth(self) -> float:
        return self.memory_end.total_kib / self.memory_start.total_kib - 1.0

    def problems(self, max_growth: float) -> list[str]:
        found = []
        if self.stats.error_count:
            found.append(f"{self.stats.error_count} failed requests, e.g. "
                         f"{self.stats.errors[:3]}")
        if self.warmup_stats.error_count:
            found.append(f"{self.warmup_stats.error_count} failed requests during the warm-up, "
                         f"e.g. {self.warmup_stats.errors[:3]}")
        if self.growth > max_growth:
            found.append(f"server memory grew by {self.growth:.1%} (from "
                         f"{self.memory_start.total_kib} KiB to {self.memory_end.total_kib} "
                         f"KiB; limit {max_growth:.0%})")
        return found


def load_run(server: Server, clients: int, warmup: float, duration: float,
             settings: dict[str, str], request_timeout: float = 60.0) -> LoadReport:
    mix = targets(server.base)
    log(f"{len(mix)} targets; warm-up: {clients} clients for {warmup:g} s")
    warm = run_clients(server.base, mix, clients, warmup, request_timeout, seed=1)
    start = sample_memory(server.pid)
    log(f"warm-up: {warm.served} requests; server RSS {start.total_kib / 1024:.1f} MiB over "
        f"{len(start.by_pid)} processes; run: {clients} clients for {duration:g} s")
    peak = start.total_kib
    stop = threading.Event()

    def sampler() -> None:
        nonlocal peak
        while not stop.wait(1.0):
            peak = max(peak, sample_memory(server.pid).total_kib)

    watcher = threading.Thread(target=sampler, name="rss-sampler", daemon=True)
    watcher.start()
    try:
        stats = run_clients(server.base, mix, clients, duration, request_timeout, seed=2)
    finally:
        stop.set()
        watcher.join(5)
    end = sample_memory(server.pid)
    peak = max(peak, end.total_kib)
    depths = [int(m) for m in QUEUE_DEPTH.findall(server.log_text())]
    log(f"run: {stats.served} requests in {stats.elapsed:.1f} s, {stats.error_count} errors, "
        f"{stats.overloaded} overloaded; RSS {start.total_kib / 1024:.1f} → "
        f"{end.total_kib / 1024:.1f} MiB; {len(depths)} 'Task queue depth' warnings")
    return LoadReport(clients, warmup, duration, stats, warm, start, end, peak, len(depths),
                      max(depths, default=0), settings)


# -- overload ----------------------------------------------------------------------------------

@dataclass
class OverloadReport:
    concurrent: int
    settings: dict[str, str]
    answers: list[tuple[int, str | None, float, str]]
    """(status, Retry-After, seconds, first line of the body) per heavy query."""
    healthz_status: int
    healthz_seconds: float
    recovered_seconds: float | None
    """Seconds until a light query was answered again (None: it never was)."""
    queue_depth_warnings: int
    max_queue_depth: int

    def problems(self, query_timeout: float, queue_timeout: float) -> list[str]:
        found = []
        limit = query_timeout + queue_timeout + 5
        for status, retry, seconds, text in self.answers:
            if status == 200:
                continue
            if status != 503:
                found.append(f"heavy query answered {status}: {text}")
            elif retry is None and "timed out" not in text:
                found.append(f"503 without Retry-After nor a timeout message: {text}")
            elif retry is not None and not retry.isdigit():
                found.append(f"bad Retry-After {retry!r}")
            if seconds > limit:
                found.append(f"a heavy query took {seconds:.1f} s (> {limit:g} s)")
        if not any(s == 503 and r for s, r, _, _ in self.answers):
            found.append("no 503 with Retry-After although the queries outnumber the workers")
        if self.healthz_status != 200 or self.healthz_seconds > 5:
            found.append(f"/healthz answered {self.healthz_status} after "
                         f"{self.healthz_seconds:.1f} s")
        if self.recovered_seconds is None:
            found.append("the endpoint did not answer a light query again")
        return found


def overload_run(server: Server, concurrent: int, settings: dict[str, str],
                 client_timeout: float) -> OverloadReport:
    """``concurrent`` heavy queries at once, then /healthz and a light query (retried after
    Retry-After, for at most 60 s)."""

    def heavy(_: int) -> tuple[int, str | None, float, str]:
        started = time.perf_counter()
        r = requests.post(server.base + "/sparql", data={"query": HEAVY},
                          headers={"Accept": SPARQL_JSON}, timeout=client_timeout)
        return (r.status_code, r.headers.get("Retry-After"), time.perf_counter() - started,
                r.text.splitlines()[0] if r.text else "")

    with ThreadPoolExecutor(max_workers=concurrent) as pool:
        answers = list(pool.map(heavy, range(concurrent), timeout=client_timeout + 10))
    started = time.perf_counter()
    health = requests.get(server.base + "/healthz", timeout=client_timeout)
    health_seconds = time.perf_counter() - started
    recovered: float | None = None
    for _ in range(60):
        r = requests.get(server.base + "/sparql", params={"query": LIGHT_ASK},
                         headers={"Accept": SPARQL_JSON}, timeout=client_timeout)
        if r.status_code == 200:
            recovered = time.perf_counter() - started
            break
        if time.perf_counter() - started > 60:
            break
        time.sleep(min(5.0, float(r.headers.get("Retry-After", "1") or 1)))
    depths = [int(m) for m in QUEUE_DEPTH.findall(server.log_text())]
    return OverloadReport(concurrent, settings, answers, health.status_code, health_seconds,
                          recovered, len(depths), max(depths, default=0))


OVERLOAD_SETTINGS = {"CAIKG_WORKERS": "1", "CAIKG_QUEUE_TIMEOUT": "0.5",
                     "CAIKG_QUERY_TIMEOUT": "3"}
OVERLOAD_CONCURRENT = 12
"""More than the one worker, and more than waitress's 8 threads."""


# -- the report --------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}" if seconds == seconds else "–"


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def machine() -> str:
    return (f"{platform.platform()}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs")


def markdown(load: LoadReport, overload: OverloadReport | None, max_growth: float) -> str:
    s = load.stats
    lat = s.all_latencies()
    lines = [
        "# Load test: `caikg serve` on the shipped data",
        "",
        f"Generated by `benchmarks/load.py` on {dt.date.today().isoformat()} ({machine()}). "
        f"Client and server share this machine.",
        "",
        f"{load.clients} concurrent clients (threads with a `requests.Session` each, "
        f"keep-alive) sent a weighted random mix for {load.warmup:g} s of warm-up (not "
        f"counted: {load.warmup_stats.served} requests, {load.warmup_stats.error_count} "
        f"errors) and then for {load.duration:g} s. Server: `caikg serve` with waitress' 8 "
        f"threads and the default settings"
        + (f" ({', '.join(f'`{k}={v}`' for k, v in load.server_settings.items())})"
           if load.server_settings else "") + ".",
        "",
        "| figure | value |",
        "|---|---|",
        f"| requests served | {s.served} ({s.served / s.elapsed:.0f}/s) |",
        f"| errors (5xx other than 503 + `Retry-After`, other non-200, failed requests) | "
        f"{s.error_count} |",
        f"| 503 with `Retry-After` (overload) | {s.overloaded} |",
        f"| statuses | {', '.join(f'{k}: {v}' for k, v in sorted(s.statuses.items()))} |",
        f"| latency p50 / p99 / max (ms) | {ms(percentile(lat, 0.5))} / "
        f"{ms(percentile(lat, 0.99))} / {ms(max(lat, default=float('nan')))} |",
        f"| server RSS after warm-up (server + {len(load.memory_start.by_pid) - 1} child "
        f"processes) | {mib(load.memory_start.total_kib)} MiB |",
        f"| server RSS at the end | {mib(load.memory_end.total_kib)} MiB "
        f"({load.growth:+.1%}; limit {max_growth:+.0%}) |",
        f"| server RSS peak during the run | {mib(load.memory_peak_kib)} MiB |",
        f"| waitress \"Task queue depth\" warnings (whole run) | {load.queue_depth_warnings} "
        f"(deepest: {load.max_queue_depth}) |",
        "",
        "| request | kind | count | p50 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, values in sorted(s.latencies.items(), key=lambda kv: (s.kinds[kv[0]], kv[0])):
        lines.append(f"| {name} | {s.kinds[name]} | {len(values)} | "
                     f"{ms(percentile(values, 0.5))} | {ms(percentile(values, 0.99))} | "
                     f"{ms(max(values))} |")
    lines += ["", "RSS per process (KiB) after the warm-up and at the end:", "",
              "| pid | start | end |", "|---:|---:|---:|"]
    for pid in sorted(set(load.memory_start.by_pid) | set(load.memory_end.by_pid)):
        lines.append(f"| {pid}{' (server)' if pid == min(load.memory_start.by_pid) else ''} | "
                     f"{load.memory_start.by_pid.get(pid, '–')} | "
                     f"{load.memory_end.by_pid.get(pid, '–')} |")
    if s.errors:
        lines += ["", "First errors:", ""] + [f"- `{e}`" for e in s.errors[:10]]
    if overload is not None:
        o = overload
        statuses = Counter((st, "with Retry-After" if r else text.removeprefix(f"{st} ")[:60])
                           for st, r, _, text in o.answers)
        lines += [
            "", "## Overload", "",
            f"{o.concurrent} heavy queries at once (a four-way cross product that runs until "
            f"its time limit) against a server with "
            f"{', '.join(f'`{k}={v}`' for k, v in o.settings.items())}:", "",
            "| answer | count |", "|---|---:|",
            *(f"| {st} {why} | {n} |" for (st, why), n in sorted(statuses.items())),
            "",
            f"Slowest answer {max(sec for _, _, sec, _ in o.answers):.1f} s; `/healthz` "
            f"answered {o.healthz_status} {o.healthz_seconds * 1000:.0f} ms after the burst; a "
            f"light query was answered again after "
            + (f"{o.recovered_seconds:.1f} s" if o.recovered_seconds is not None else "never")
            + f" (the killed worker is replaced); waitress logged {o.queue_depth_warnings} "
            f"\"Task queue depth\" warnings (deepest {o.max_queue_depth}).",
        ]
    return "\n".join(lines) + "\n"


def build_home(workdir: Path) -> Path:
    home = workdir / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIKG_")}
    env["CAIKG_HOME"] = str(home)
    subprocess.run([sys.executable, "-m", "caikg.cli", "build"], env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    return home


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    p.add_argument("--warmup", type=float, default=60.0, help="uncounted seconds first")
    p.add_argument("--max-growth", type=float, default=0.10,
                   help="allowed growth of the server's RSS over the run (fraction)")
    p.add_argument("--home", type=Path, help="an existing CAIKG_HOME (default: build one)")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/caikg-load"))
    p.add_argument("--out", type=Path, default=RESULTS / "load.md")
    p.add_argument("--no-overload", action="store_true", help="skip the overload check")
    p.add_argument("--quick", action="store_true",
                   help="3 s warm-up, 8 s run, print the report instead of writing it")
    args = p.parse_args(argv)
    if args.quick:
        args.warmup, args.duration, args.out = 3.0, 8.0, None
    if not 1 <= args.clients <= 500 or not 0 < args.duration <= 3600 or args.warmup < 0:
        p.error("--clients must be 1..500, --duration 0..3600 s, --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    home = args.home or build_home(args.workdir)
    with serving(home, args.workdir / "serve.log") as server:
        load = load_run(server, args.clients, args.warmup, args.duration, {})
    overload = None
    if not args.no_overload:
        with serving(home, args.workdir / "serve-overload.log", **OVERLOAD_SETTINGS) as server:
            overload = overload_run(server, OVERLOAD_CONCURRENT, OVERLOAD_SETTINGS, 30.0)
    text = markdown(load, overload, args.max_growth)
    if args.out is None:
        print(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        log(f"wrote {args.out}")
    problems = load.problems(args.max_growth)
    if overload is not None:
        problems += overload.problems(float(OVERLOAD_SETTINGS["CAIKG_QUERY_TIMEOUT"]),
                                      float(OVERLOAD_SETTINGS["CAIKG_QUEUE_TIMEOUT"]))
    for problem in problems:
        log(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
