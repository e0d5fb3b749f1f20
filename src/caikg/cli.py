"""The ``caikg`` command line."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from caikg import __version__
from caikg.config import Settings, SettingsError, load_settings
from caikg.rdf.sources import SourceError
from caikg.sparql.guard import QueryRefused, check_query

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    print(f"caikg: error: {message}", file=sys.stderr)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- commands ---------------------------------------------------------------------------------
def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.build.pipeline import BuildError, build

    try:
        result = build(settings, args.data, progress=_progress)
    except BuildError as exc:
        if exc.report is not None:
            print(exc.report.to_text(), file=sys.stderr)
        _err(str(exc))
        return EXIT_FAIL
    warnings = len(result.report.warnings)
    where = result.store_dir or f"at {settings.store_query_url}"
    print(f"built store {where} (data version {result.info.version}, "
          f"{result.info.triples} triples; {warnings} SHACL warning(s), "
          f"see 'caikg validate')")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.build.record import read_curated
    from caikg.validation.report import MAX_FOCUS_NODES, validate_sources

    sources = read_curated(args.data or [settings.data_dir], settings.base_iri)
    report = validate_sources(sources, settings, engine=args.engine)
    if args.format == "ttl":
        sys.stdout.write(report.graph.serialize(format="turtle"))
    else:
        print(report.to_text(limit=None if args.all else MAX_FOCUS_NODES))
    return EXIT_OK if report.conforms else EXIT_FAIL


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.export.dumps import EXPORT_FORMATS, export
    from caikg.store.factory import open_store

    store = open_store(settings)
    if args.format == "quickstatements":
        from caikg.enrich.quickstatements import quickstatements
        from caikg.files import write_atomically

        data = quickstatements(store).encode("utf-8")
        if args.output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            try:
                write_atomically(args.output, data)
            except OSError as exc:
                _err(f"cannot write {args.output}: {exc.strerror or exc}; the previous file "
                     f"was kept")
                return EXIT_FAIL
            print(f"wrote {args.output} ({len(data)} bytes, quickstatements)", file=sys.stderr)
        return EXIT_OK
    try:
        size = export(store, EXPORT_FORMATS[args.format], args.output, settings.exports_dir)
    except OSError as exc:  # e.g. a full disk: write_atomically kept the previous file
        _err(f"cannot write {args.output}: {exc.strerror or exc}; "
             f"{'the previous file was kept' if args.output else 'output incomplete'}")
        return EXIT_FAIL
    if args.output is not None:
        print(f"wrote {args.output} ({size} bytes, {args.format})", file=sys.stderr)
    return EXIT_OK


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return str(term)


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.store.base import StoreError
    from caikg.store.factory import open_store

    text = args.query
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            _err(f"{path}: {exc.strerror}")
            return EXIT_USAGE
    store = open_store(settings)
    try:
        check_query(text, store.named_graphs())
        result = store.run(text)
    except QueryRefused as exc:
        _err(f"query refused: {exc}")
        return EXIT_USAGE
    except (SyntaxError, StoreError) as exc:
        _err(f"query: {exc}")
        return EXIT_USAGE
    if isinstance(result, bool):
        print("true" if result else "false")
        return EXIT_OK
    if isinstance(result, list):
        fmt = ox.RdfFormat.N_TRIPLES if args.format != "json" else ox.RdfFormat.JSON_LD
        sys.stdout.buffer.write(ox.serialize(result, format=fmt) or b"")
        return EXIT_OK
    if args.format == "json":
        from caikg.sparql.results import serialize_solutions

        sys.stdout.buffer.write(serialize_solutions(result.variables, result.rows, "json"))
        print()
        return EXIT_OK
    variables = result.variables
    rows = [[_cell(term) for term in row] for row in result.rows]
    if args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(rows)
        sys.stdout.write(out.getvalue())
        return EXIT_OK
    widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(variables)]
    print("  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return EXIT_OK


def _months(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 600:
        raise argparse.ArgumentTypeError("--months takes a whole number from 1 to 600")
    return int(raw)


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.reports.coverage import coverage
    from caikg.reports.stats import collect_stats
    from caikg.store.factory import open_store

    store = open_store(settings)
    stats = collect_stats(store, top=args.top)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    cov = coverage(store, today, args.months)
    stats["coverage"] = {"works": cov["works"], "stale_months": args.months,
                         "fields": [{"field": f["key"], "label": f["label"],
                                     "count": f["count"],
                                     "missing": [w["work"] for w in f["missing"]]}
                                    for f in cov["fields"]],
                         "not_checked_since": {"date": cov["cutoff"],
                                               "works": [w["work"] for w in cov["stale"]]}}
    if args.format == "json":
        print(json.dumps(stats, indent=2))
        return EXIT_OK
    print(f"data version {stats['version']}, {stats['triples']} triples")
    for title, key, label in [("Entities per class", "classes", "class"),
                              (f"Top {args.top} authors", "top_authors", "name"),
                              ("Papers per technique", "techniques", "label")]:
        print(f"\n{title}:")
        for row in stats[key]:
            print(f"  {row['count']:>5}  {row[label]}")
    print(f"\nCuration coverage (works with each field, of {cov['works']}):")
    for f in cov["fields"]:
        print(f"  {f['count']:>5}  {f['label']}")
    print(f"  {cov['works'] - len(cov['stale']):>5}  checked within {args.months} months")
    print("\nGaps (works without the field):")
    for f in cov["fields"]:
        if f["missing"]:
            print(f"  {f['label']}: " + ", ".join(w["work"].rsplit("/", 1)[-1]
                                               for w in f["missing"]))
    return EXIT_OK


def cmd_import_list(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.importer.reading_list import ListImportError, import_list

    try:
        report = import_list(args.file, settings, target=args.into, list_id=args.list_id,
                             dry_run=args.dry_run)
    except ListImportError as exc:
        _err(str(exc))
        return EXIT_FAIL
    print(report.to_text())
    return EXIT_FAIL if report.skipped else EXIT_OK


def cmd_enrich(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.enrich.client import SourceError
    from caikg.enrich.enricher import EnrichError
    from caikg.enrich.literature import last_report
    from caikg.enrich.run import parse_sources, run

    if args.report:
        report = last_report(settings)
        if report is None:
            _err(f"no drift report in {settings.enrichment_dir}: run 'caikg enrich' first")
            return EXIT_FAIL
        print(report.to_text())
        return EXIT_OK
    try:
        sources = parse_sources(args.source)
        result = run(settings, sources, offline=args.offline, dry_run=args.dry_run,
                     limit=args.limit, progress=_progress)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except (EnrichError, SourceError) as exc:
        _err(str(exc))
        return EXIT_FAIL
    print(result.to_text())
    if args.dry_run:
        print("dry run: nothing was written")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.build.backup import BackupError, backup

    try:
        info = backup(settings, args.output)
    except BackupError as exc:
        _err(str(exc))
        return EXIT_FAIL
    print(f"wrote {info.path} (data version {info.version}, {info.quads} quads"
          f"{', enrichment file' if info.enrichment else ''}; {info.size} bytes)")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.build.backup import BackupError, restore

    try:
        store_dir = restore(args.file, settings, progress=_progress)
    except BackupError as exc:
        if exc.report is not None:
            print(exc.report.to_text(), file=sys.stderr)
        _err(str(exc))
        return EXIT_FAIL
    print(f"restored {args.file} into {store_dir}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from caikg.web.server import serve

    serve(settings)
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caikg",
        description="The Compound AI Knowledge Graph: build, validate, query, export and "
                    "serve a linked-data knowledge base of research on systems for compound AI.",
        epilog="Settings can also be given as CAIKG_* environment variables (see README.md).",
    )
    parser.add_argument("--version", action="version", version=f"caikg {__version__}")
    parser.add_argument("--home", type=Path, help="directory for the store, caches and exports "
                        "(CAIKG_HOME; default ~/.local/share/caikg)")
    parser.add_argument("--base-iri", help="base IRI of instance data (CAIKG_BASE_IRI; "
                        "default https://w3id.org/caikg/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="validate the ontology and data and load a new store",
                       description="Parse the ontology and data, validate them with SHACL and, "
                       "only if they conform, load them into a new store that replaces the "
                       "current one atomically.")
    p.add_argument("--data", type=Path, nargs="+", metavar="PATH",
                   help="RDF files or directories to build from (default: the shipped data/)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="check the data against the SHACL shapes",
                       description="Validate data files against ontology/shapes.ttl; print a "
                       "report grouped by focus node (with more than 50 focus nodes: the "
                       "number of results per rule and the first of each, with file and line); "
                       "exit 1 when there are violations.")
    p.add_argument("--data", type=Path, nargs="+", metavar="PATH",
                   help="RDF files or directories to validate (default: the shipped data/)")
    p.add_argument("--format", choices=["text", "ttl"], default="text",
                   help="'text' (default) or 'ttl' for the SHACL validation report graph")
    p.add_argument("--all", action="store_true",
                   help="list every result, however many (the text report is otherwise "
                   "summarised per rule above 50 focus nodes)")
    p.add_argument("--engine", choices=["sparql", "pyshacl"], default=None,
                   help="SHACL engine: 'sparql' (fast, compiled to SPARQL over Oxigraph) or "
                   "'pyshacl' (the reference); default CAIKG_SHACL_ENGINE, else sparql")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="write the knowledge graph in an RDF format",
                       description="Export the store deterministically, with prefixes bound "
                       "and the VoID description included.")
    p.add_argument("--format", choices=["ttl", "nt", "nq", "trig", "jsonld", "rdfxml",
                                        "quickstatements"],
                   default="ttl", help="output format (default ttl); 'quickstatements' writes "
                   "QuickStatements V1 creating the papers Wikidata lacks, for review")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write to FILE (atomically) instead of standard output")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("query", help="run a SPARQL query against the store",
                       description="Run a SPARQL query; the default graph is the union of all "
                       "graphs. Give the query text, or @FILE to read it from a file.")
    p.add_argument("query", help="SPARQL query text, or @FILE")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="result format (default table)")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("stats", help="counts per class, top authors, papers per technique, "
                       "curation coverage",
                       description="Summary statistics of the current store, and the coverage "
                       "of curation: how many works have authors, DOI, arXiv id, OpenReview id, "
                       "a system, its code, claims and a summary, which lack them, and which "
                       "were not checked against the public record for --months months.")
    p.add_argument("--top", type=int, default=10, help="how many top authors (default 10)")
    p.add_argument("--months", type=_months, default=12, metavar="N",
                   help="a work whose oldest check is older than N months is listed as a gap "
                   "(default 12)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("import-list", help="merge a markdown reading list into the data",
                       description="Read a reading list in the awesome-list markdown format "
                       "and merge its new entries into the curated data in data/. Malformed "
                       "entries are reported with their line number and skipped (exit 1).")
    p.add_argument("file", type=Path, metavar="FILE.md")
    p.add_argument("--into", type=Path, metavar="FILE",
                   help="data file to add to (default data/survey.ttl)")
    p.add_argument("--list-id", help="identifier of the list (default: an existing list with "
                   "the same title, else the file name)")
    p.add_argument("--dry-run", action="store_true", help="report what would be added only")
    p.set_defaults(func=cmd_import_list)

    p = sub.add_parser("enrich", help="link the works to Wikidata and the literature around "
                       "them (OpenAlex, Crossref, OpenReview, arXiv)",
                       description="Match papers, people and venues by exact identifiers to "
                       "Wikidata and to the records of OpenAlex, Crossref, OpenReview and arXiv; "
                       "write what they say (links, identifiers, citations, abstracts, "
                       "affiliations, decisions, versions) into enrichment graphs "
                       "($CAIKG_HOME/enrichment/, never data/) with their provenance, report "
                       "conflicts, candidates and drift from the curated record, and rebuild "
                       "the store. Nothing curated is changed.")
    p.add_argument("--source", metavar="LIST",
                   help="comma-separated sources to ask: wikidata,openalex,crossref,openreview,"
                        "arxiv (default: all)")
    p.add_argument("--report", action="store_true",
                   help="print the drift report of the last run again, ask nothing")
    p.add_argument("--offline", action="store_true",
                   help="answer from the response cache only (misses are reported)")
    p.add_argument("--dry-run", action="store_true",
                   help="report what would be linked; write nothing, do not rebuild")
    p.add_argument("--limit", type=int, metavar="N",
                   help="look up only the first N papers (by IRI)")
    p.set_defaults(func=cmd_enrich)

    p = sub.add_parser("backup", help="write a consistent backup of the current store",
                       description="Write the current store (every named graph as N-Quads), "
                       "its build-info.json and the enrichment file, with checksums, to a "
                       ".tar.gz file, atomically.")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="backup file (default $CAIKG_HOME/backups/caikg-<version>-<time>"
                   ".tar.gz)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="check a backup and install it as the current store",
                       description="Check a backup made by 'caikg backup' (checksums, data "
                       "version, SHACL on the curated graph) and install it as a new store "
                       "that replaces the current one atomically; a refused or failed restore "
                       "leaves the current store.")
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("serve", help="serve the knowledge graph over HTTP",
                       description="Start the web application (waitress) over the store built "
                       "by 'caikg build'.")
    p.add_argument("--host", help="interface to listen on (CAIKG_HOST; default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (CAIKG_PORT; default 8080)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from caikg.store.base import StoreError

    try:
        settings = load_settings(home=args.home, base_iri=args.base_iri,
                                 host=getattr(args, "host", None),
                                 port=getattr(args, "port", None))
        return int(args.func(args, settings))
    except SettingsError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except SourceError as exc:
        _err(str(exc))
        return EXIT_FAIL
    except StoreError as exc:
        _err(str(exc))
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
