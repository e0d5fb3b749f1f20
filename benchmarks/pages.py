"""Page latency benchmark: how long ``caikg serve`` takes to answer each type of page.

For each data set — the shipped data (``data/``) and a large synthetic graph made by
``benchmarks/generate.py`` and built with ``data/techniques.ttl`` and ``data/venues.ttl`` —
this script:

1. builds a store (``caikg build``, timed) in its own ``CAIKG_HOME`` under ``--workdir``;
2. starts a real ``caikg serve`` on 127.0.0.1;
3. picks one URL per page type from the data through the server's ``/sparql`` endpoint (the
   entity with the most links of its kind: the heaviest page of that type);
4. for each page type, after a few untimed warm-up requests, sends ``--requests`` GET requests
   one after the other (never longer than ``--time-cap`` seconds per page type) and records
   p50/p99/max latency, the body size and any non-2xx answer;
5. writes ``benchmarks/results/pages-<size>.md`` (``pages-shipped.md``, ``pages-100k.md``, …).

Only 127.0.0.1 is used; every loop is bounded in count and time; progress goes to stderr.

    .venv/bin/python benchmarks/pages.py                     # shipped data + 100k synthetic
    .venv/bin/python benchmarks/pages.py --triples 0         # shipped data only
    .venv/bin/python benchmarks/pages.py --quick             # 10 requests, 3 s cap
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.endpoint import (  # noqa: E402
    fmt,
    free_port,
    log,
    percentile,
    run_timed,
    serving,
    size_label,
)
from benchmarks.machine import machine_info  # noqa: E402

BIN = Path(sys.executable).parent
CAIKG = str(BIN / "caikg")
RESULTS = REPO / "benchmarks" / "results"
GENERATOR = REPO / "benchmarks" / "generate.py"
REQUEST_TIMEOUT = 60.0
SELECT_JSON = "application/sparql-results+json"

PICK_QUERIES: dict[str, str] = {
    "paper": """
        SELECT ?x (COUNT(DISTINCT ?a) AS ?n) WHERE { ?x schema:author ?a }
        GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1""",
    "person": """
        SELECT ?x (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w schema:author ?x }
        GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1""",
    "venue-edition": """
        SELECT ?x (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w caikg:venue ?x . ?x a caikg:VenueEdition }
        GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1""",
    "venue-series": """
        SELECT ?x (COUNT(DISTINCT ?w) AS ?n) WHERE {
          ?w caikg:venue ?e . ?e dcterms:isPartOf ?x }
        GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1""",
    "technique": """
        SELECT ?x (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w dcterms:subject ?x }
        GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1""",
    "section": """
        SELECT ?x (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w caikg:section ?x }
        GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1""",
    "reading-list": """
        SELECT ?x (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?c skos:inScheme ?x . ?x a skos:ConceptScheme
          FILTER (!STRENDS(STR(?x), "scheme/techniques")) }
        GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1""",
}
PREFIXES = """\
PREFIX schema: <https://schema.org/>
PREFIX caikg: <https://w3id.org/caikg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@dataclass
class Target:
    page_type: str
    path: str
    accept: str = "text/html"


@dataclass
class Result:
    target: Target
    requests: int
    errors: int
    statuses: dict[int, int]
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bytes: int
    capped: bool


# -- data and server -------------------------------------------------------------------------


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIKG_")}
    env["CAIKG_HOME"] = str(home)
    return env


def build_shipped(workdir: Path) -> tuple[Path, float, str]:
    home = workdir / "shipped-home"
    seconds = run_timed([CAIKG, "build"], clean_env(home), "caikg build (shipped data)")
    return home, seconds, "the shipped data (`data/*.ttl`)"


def build_synthetic(workdir: Path, triples: int, seed: int) -> tuple[Path, float, str]:
    data = workdir / "data" / f"syn-{size_label(triples)}-s{seed}.nt"
    if not data.exists():
        run_timed([sys.executable, str(GENERATOR), "--triples", str(triples), "--seed",
                   str(seed), "-o", str(data)], clean_env(workdir), "generate synthetic data")
    else:
        log(f"reusing {data}")
    home = workdir / f"syn-{size_label(triples)}-home"
    seconds = run_timed([CAIKG, "build", "--data", str(data),
                         str(REPO / "data" / "techniques.ttl"), str(REPO / "data" / "venues.ttl")],
                        clean_env(home),
                        f"caikg build ({size_label(triples)} synthetic triples)")
    return home, seconds, (f"`{data}` (benchmarks/generate.py, seed {seed}) + "
                           "data/techniques.ttl + data/venues.ttl")


def build_info(home: Path) -> dict[str, object]:
    return dict(json.loads((home / "store" / "build-info.json").read_text(encoding="utf-8")))


def select_one(session: requests.Session, endpoint: str, query: str) -> str | None:
    resp = session.post(endpoint, data=(PREFIXES + query).encode(), timeout=REQUEST_TIMEOUT,
                        headers={"Content-Type": "application/sparql-query",
                                 "Accept": SELECT_JSON})
    resp.raise_for_status()
    rows = resp.json()["results"]["bindings"]
    return rows[0]["x"]["value"] if rows else None


def pick_targets(base_url: str, base_iri: str) -> list[Target]:
    """One URL per page type; entities are the most linked of their kind."""
    targets = [Target("home", "/"), Target("browse", "/browse"),
               Target("search", "/browse?q=cache")]
    with requests.Session() as session:
        for page_type, query in PICK_QUERIES.items():
            iri = select_one(session, base_url + "/sparql", query)
            if iri is None or not iri.startswith(base_iri):
                log(f"no {page_type} in this data: skipped")
                continue
            path = "/" + iri[len(base_iri):]
            targets.append(Target(page_type, path))
            if page_type == "paper":
                targets.append(Target("paper .ttl twin", path + ".ttl", "*/*"))
                targets.append(Target("paper JSON-LD (Accept)", path, "application/ld+json"))
                targets.append(Target("paper .bib", path + ".bib", "*/*"))
    targets += [Target("technique scheme", "/scheme/techniques"),
                Target("ontology", "/ontology"), Target("downloads", "/downloads"),
                Target("examples", "/examples"), Target("query editor", "/sparql"),
                Target("404", "/paper/does-not-exist")]
    return targets


# -- measuring ---------------------------------------------------------------------------------


def measure(session: requests.Session, base_url: str, target: Target, n: int, warmup: int,
            cap_s: float) -> Result:
    url = base_url + target.path
    headers = {"Accept": target.accept}
    for _ in range(warmup):
        with contextlib.suppress(requests.RequestException):
            session.get(url, headers=headers, timeout=REQUEST_TIMEOUT).content  # noqa: B018
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    size = 0
    expected = 404 if target.page_type == "404" else 200
    start = time.perf_counter()
    deadline = start + cap_s
    while len(latencies) + errors < n and time.perf_counter() < deadline:
        t = time.perf_counter()
        try:
            resp = session.get(url, headers=headers, timeout=REQUEST_TIMEOUT)
            body = resp.content
        except requests.RequestException:
            errors += 1
            continue
        elapsed = time.perf_counter() - t
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        if resp.status_code == expected:
            latencies.append(elapsed)
            size = len(body)
        else:
            errors += 1
    wall = time.perf_counter() - start
    return Result(target, len(latencies), errors, statuses, wall,
                  percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000,
                  (max(latencies) if latencies else float("nan")) * 1000, size,
                  capped=len(latencies) + errors < n)


def bench_home(home: Path, workdir: Path, label: str, n: int, warmup: int,
               cap_s: float) -> tuple[list[Result], dict[str, object]]:
    port = free_port()
    env = clean_env(home)
    env.update({"CAIKG_PORT": str(port), "CAIKG_HOST": "127.0.0.1"})
    info = build_info(home)
    base_url = f"http://127.0.0.1:{port}"
    results: list[Result] = []
    with serving("caikg", [CAIKG, "serve"], env, port, workdir):
        targets = pick_targets(base_url, str(info["base_iri"]))
        with requests.Session() as session:
            for i, target in enumerate(targets, 1):
                r = measure(session, base_url, target, n, warmup, cap_s)
                results.append(r)
                log(f"[{label}] {i}/{len(targets)} {target.page_type:<24} {target.path}: "
                    f"p50 {fmt(r.p50_ms)} ms, p99 {fmt(r.p99_ms)} ms, {r.requests} ok, "
                    f"{r.errors} errors {dict(r.statuses)}")
    return results, info


# -- report ------------------------------------------------------------------------------------


def describe_errors(r: Result) -> str:
    if not r.errors:
        return ""
    expected = 404 if r.target.page_type == "404" else 200
    bad = [f"{c}× HTTP {s}" for s, c in sorted(r.statuses.items()) if s != expected]
    return f"{r.errors} ({', '.join(bad) or 'connection errors'})"


def write_markdown(path: Path, label: str, data: str, build_s: float,
                   info: dict[str, object], results: list[Result], args: argparse.Namespace,
                   command: str) -> None:
    graphs = info.get("graphs") or {}
    triples = sum(int(v) for v in graphs.values()) if isinstance(graphs, dict) else 0
    lines = [
        f"# caikg page latency: {label}",
        "",
        "Generated by `benchmarks/pages.py`; reproduce with the command at the end.",
        "",
        "## Machine and data",
        "",
        *(f"- {k}: {v}" for k, v in machine_info().items()),
        f"- data: {data}; the store holds {triples:,} quads (data version "
        f"`{info.get('version')}`)",
        f"- `caikg build`: {build_s:.1f} s",
        "- server: `caikg serve` (waitress), default settings; client: Python `requests`, "
        "one session, one request at a time, on the same machine",
        f"- per page type: {args.warmup} untimed warm-up requests, then up to {args.requests} "
        f"timed requests, capped at {args.time_cap:g} s; with fewer than 100 requests the "
        "p99 is the slowest request",
        "- entity pages are the most linked entity of their kind (the paper with the most "
        "authors, the person with the most papers, …): the heaviest page of that type",
        "",
        "## Latency",
        "",
        "| page type | path | Accept | requests | p50 ms | p99 ms | max ms | KiB | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        errors = describe_errors(r)
        lines.append(
            f"| {r.target.page_type} | `{r.target.path}` | `{r.target.accept}` | "
            f"{r.requests}{' (capped)' if r.capped else ''} | {fmt(r.p50_ms)} | "
            f"{fmt(r.p99_ms)} | {fmt(r.max_ms)} | {fmt(r.bytes / 1024)} | {errors} |")
    failing = [r for r in results if r.errors]
    lines += ["", "## Notes", ""]
    if failing:
        lines.append("Page types that did not answer as expected (their latency covers only "
                     "the successful requests, if any): "
                     + ", ".join(f"{r.target.page_type} (`{r.target.path}`)" for r in failing)
                     + ".")
    else:
        lines.append("Every request answered with the expected status.")
    lines += ["", "## Reproduce", "", "```sh", command, "```", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(path)
    log(f"wrote {path}")


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure p50/p99 latency of every page type of a real 'caikg serve', on "
                    "the shipped data and on a synthetic graph; writes "
                    "benchmarks/results/pages-<size>.md. Progress goes to stderr.")
    parser.add_argument("--triples", type=int, default=100_000,
                        help="size of the synthetic graph (default 100000; 0: shipped data "
                             "only)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--requests", type=int, default=50,
                        help="timed requests per page type (default 50)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed requests per page type first (default 3)")
    parser.add_argument("--time-cap", type=float, default=10.0,
                        help="seconds at most per page type (default 10)")
    parser.add_argument("--quick", action="store_true",
                        help="10 requests, 1 warm-up, 3 s cap (a smoke run)")
    parser.add_argument("--skip-shipped", action="store_true",
                        help="only the synthetic graph")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/caikg-bench-pages"),
                        help="stores, generated data and server logs (default "
                             "/tmp/caikg-bench-pages)")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="where pages-<size>.md is written (default benchmarks/results)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.warmup, args.time_cap = 10, 1, 3.0
    if args.requests < 1 or args.warmup < 0 or args.time_cap <= 0:
        parser.error("--requests must be ≥ 1, --warmup ≥ 0 and --time-cap > 0")
    if args.triples and args.triples < 100:
        parser.error("--triples must be 0 or at least 100")
    if args.skip_shipped and not args.triples:
        parser.error("--skip-shipped needs --triples")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/pages.py " + " ".join(
        sys.argv[1:] if argv is None else list(argv))
    runs: list[tuple[str, Path, float, str]] = []
    if not args.skip_shipped:
        home, build_s, data = build_shipped(args.workdir)
        runs.append(("shipped", home, build_s, data))
    if args.triples:
        if not GENERATOR.exists():
            log("TODO: benchmarks/generate.py is missing: the synthetic part is skipped")
        else:
            home, build_s, data = build_synthetic(args.workdir, args.triples, args.seed)
            runs.append((size_label(args.triples), home, build_s, data))
    for label, home, build_s, data in runs:
        results, info = bench_home(home, args.workdir, label, args.requests, args.warmup,
                                   args.time_cap)
        write_markdown(args.results / f"pages-{label}.md", label, data, build_s, info,
                       results, args, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
