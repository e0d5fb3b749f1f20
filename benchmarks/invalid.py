"""How fast caikg refuses a large graph that breaks its shapes everywhere.

The graph is not in caikg's model: another vocabulary whose classes are declared subclasses of
``schema:ScholarlyArticle`` and ``schema:Person``, so nearly every node is a focus node of
several shapes (hundreds of thousands of SHACL results at 1M triples). ``caikg build --data``
must exit 1 with a report of a screenful, leave no store, and stay within bounded time and
memory. The anchor, measured in the same run, is the time Oxigraph takes to parse the same file.

    python -m benchmarks.invalid --triples 1000000 [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from benchmarks.machine import machine_info

AUTHORS_PER_ARTICLE = (1, 2, 3, 4, 5, 8, 15)


def generate(path: Path, triples: int, seed: int = 7) -> int:
    """Write the invalid graph of about ``triples`` triples to ``path``; return its size."""
    rng = random.Random(seed)
    people = max(10, triples // 18)
    articles = max(10, triples // 11)
    written = 2
    with path.open("w", encoding="utf-8") as out:
        out.write("@prefix ex: <http://example.org/vocab#> .\n"
                  "@prefix d: <http://example.org/data/> .\n"
                  "@prefix schema: <https://schema.org/> .\n"
                  "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                  "ex:Article rdfs:subClassOf schema:ScholarlyArticle .\n"
                  "ex:Researcher rdfs:subClassOf schema:Person .\n")
        for i in range(people):
            out.write(f'd:r{i} a ex:Researcher ; ex:fullName "Researcher {i}" ; '
                      f"ex:affiliation d:org{i % 500} .\n")
            written += 3
        for i in range(articles):
            authors = [f"d:r{rng.randrange(people)}"
                       for _ in range(rng.choice(AUTHORS_PER_ARTICLE))]
            out.write(f'd:a{i} a ex:Article ; ex:heading "Article {i}" ; '
                      f'ex:year "{2015 + i % 10}" ; ex:writtenBy {" , ".join(authors)} ; '
                      f"ex:cites d:a{rng.randrange(articles)} .\n")
            written += 4 + len(authors)  # as written (a repeated author is parsed twice)
    return written


def measure(path: Path, home: Path) -> dict[str, object]:
    """Refuse ``path`` with ``caikg build`` in a child process: wall time, the child's peak
    RSS, exit code, report length; and the anchor, Oxigraph parsing the same file here."""
    start = time.perf_counter()
    parsed = sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "caikg.cli", "--home", str(home), "build",
                           "--data", str(path)], capture_output=True, text=True, check=False)
    build_s = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = [line for line in proc.stderr.splitlines() if not line.startswith(("[", "      "))]
    return {
        "triples": parsed,
        "exit_code": proc.returncode,
        "refusal_s": round(build_s, 2),
        "parse_s": round(parse_s, 2),
        "refusal_over_parse": round(build_s / parse_s, 1) if parse_s else None,
        "peak_rss_mib": round(peak_kib / 1024),
        "report_lines": len(report),
        "store_created": (home / "store").exists(),
        "summary": report[:8],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=int, default=1_000_000,
                        help="size of the invalid graph (default 1,000,000)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write invalid-<size>.json and .md here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "invalid.ttl"
        generate(path, args.triples)
        result = measure(path, Path(tmp) / "home")
    result["machine"] = machine_info()
    print(json.dumps(result, indent=2))
    if args.out is not None:
        label = f"{args.triples // 1_000_000}M" if args.triples >= 1_000_000 \
            else f"{args.triples // 1000}k"
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"invalid-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
        machine, summary = result["machine"], result["summary"]
        assert isinstance(machine, dict) and isinstance(summary, list)
        (args.out / f"invalid-{label}.md").write_text(
            f"# Refusing an invalid graph of {result['triples']:,} triples\n\n"
            f"{machine['date']}, {machine['nproc']} cores, {machine['cpu']}, "
            f"pyoxigraph {machine['pyoxigraph']}\n\n"
            "| measure | value |\n|---|---:|\n"
            f"| `caikg build` exit code | {result['exit_code']} |\n"
            f"| refusal, wall | {result['refusal_s']} s |\n"
            f"| Oxigraph parsing the same file (anchor) | {result['parse_s']} s |\n"
            f"| refusal / parse | {result['refusal_over_parse']}× |\n"
            f"| peak RSS of `caikg build` | {result['peak_rss_mib']} MiB |\n"
            f"| report lines | {result['report_lines']} |\n"
            f"| store created | {result['store_created']} |\n\n"
            "```\n" + "\n".join(map(str, summary)) + "\n```\n",
            encoding="utf-8")
    return 0 if result["exit_code"] == 1 and not result["store_created"] else 1


if __name__ == "__main__":
    sys.exit(main())
