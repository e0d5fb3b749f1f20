"""SHACL validation of data against ``ontology/shapes.ttl`` (pySHACL is the reference engine).

Results are grouped by focus node and, when the data came from files, located in them.
Severities are used on purpose: ``sh:Violation`` fails a build, ``sh:Warning`` and ``sh:Info``
are reported but do not.

Two engines give the same results: ``sparql`` (the default, ``CAIKG_SHACL_ENGINE``; see
:mod:`caikg.shacl_sparql`) compiles the shapes into SPARQL run over an in-memory Oxigraph
store, many times faster; ``pyshacl`` runs pySHACL on an rdflib copy of the data. When the
shapes use a feature the SPARQL compiler does not support, :func:`validate_sources` logs a
note and uses pySHACL. :func:`validate_graph` is always pySHACL. Both engines' report graphs
are read by the same code (:func:`_read_report`), so shapes, paths and values are rendered
alike: IRIs as prefixed names, a blank-node shape by its blank node label in the shapes
graph, an inverse path as ``^prefix:name``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .config import Settings
from .namespaces import bind_prefixes
from .sources import SourceSet, read_sources, to_rdflib

log = logging.getLogger(__name__)
ENGINES = ("sparql", "pyshacl")
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class ValidationResult:
    focus: str
    severity: str
    message: str
    shape: str
    constraint: str
    path: str | None = None
    value: str | None = None
    file: Path | None = None
    line: int | None = None

    @property
    def location(self) -> str:
        if self.file is None:
            return "(not in a source file)"
        return f"{self.file}:{self.line}" if self.line else str(self.file)


@dataclass
class ValidationReport:
    results: list[ValidationResult] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)
    engine: str = "pyshacl"
    """The engine that produced the results ("sparql" or "pyshacl")."""
    note: str | None = None
    """Why the requested engine was not used (unsupported shape feature), if it was not."""

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        """True when there is no result of severity ``sh:Violation``."""
        return not self.violations

    def by_focus(self) -> dict[str, list[ValidationResult]]:
        grouped: dict[str, list[ValidationResult]] = defaultdict(list)
        for result in sorted(self.results, key=lambda r: (r.focus, SEVERITY_ORDER.get(
                r.severity, 9), r.path or "", r.message)):
            grouped[result.focus].append(result)
        return dict(grouped)

    def to_text(self) -> str:
        """The human-readable report: one block per focus node, naming file and rule."""
        lines: list[str] = []
        for focus, results in self.by_focus().items():
            lines.append(f"{focus}  [{results[0].location}]")
            for r in results:
                on = f" on {r.path}" if r.path else ""
                value = f" (value: {r.value})" if r.value is not None else ""
                lines.append(f"  {r.severity}{on}: {r.message}{value}")
                lines.append(f"    rule: {r.shape} ({r.constraint})")
        n_v, n_w = len(self.violations), len(self.warnings)
        n_i = len(self.results) - n_v - n_w
        verdict = "conforms" if self.conforms else "does NOT conform"
        lines.append(f"Data {verdict}: {n_v} violation(s), {n_w} warning(s), {n_i} info(s).")
        return "\n".join(lines)


def shapes_path(settings: Settings) -> Path:
    return settings.ontology_dir / "shapes.ttl"


def load_shapes(settings: Settings) -> Graph:
    return to_rdflib(read_sources([shapes_path(settings)]).triples)


def _short(node: Node | None, graph: Graph, paths: Graph | None = None) -> str | None:
    """A prefixed name for an IRI when a prefix is bound; ``^p`` for an inverse path."""
    if node is None:
        return None
    if isinstance(node, URIRef):
        return graph.namespace_manager.normalizeUri(node)
    if paths is not None:
        inverse = paths.value(node, SH.inversePath)
        if inverse is not None:
            return "^" + (_short(inverse, graph) or "?")
    return str(node)


def validate_graph(data: Graph, shapes: Graph, sources: SourceSet | None = None
                   ) -> ValidationReport:
    """Validate ``data`` against ``shapes``; ``sources`` (if given) locates focus nodes."""
    _conforms, report_graph, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        advanced=True,
    )
    assert isinstance(report_graph, Graph)
    bind_prefixes(data)
    return _read_report(report_graph, data, sources, engine="pyshacl")


def _read_report(report_graph: Graph, data_ns: Graph, sources: SourceSet | None,
                 engine: str) -> ValidationReport:
    """The results of an ``sh:ValidationReport`` graph; ``data_ns`` names the paths."""
    bind_prefixes(report_graph)
    results: list[ValidationResult] = []
    top_level = [r for report in report_graph.subjects(RDF.type, SH.ValidationReport)
                 for r in report_graph.objects(report, SH.result)]
    for node in top_level:
        focus = report_graph.value(node, SH.focusNode)
        severity = report_graph.value(node, SH.resultSeverity)
        message = report_graph.value(node, SH.resultMessage)
        shape = report_graph.value(node, SH.sourceShape)
        constraint = report_graph.value(node, SH.sourceConstraintComponent)
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        file = line = None
        if sources is not None and focus is not None:
            file, line = sources.locate(str(focus))
        results.append(ValidationResult(
            focus=str(focus),
            severity=str(severity).rsplit("#", 1)[-1],
            message=str(message) if message is not None else "constraint not met",
            shape=_short(shape, report_graph) or "?",
            constraint=(_short(constraint, report_graph) or "?").replace("sh:", ""),
            path=_short(path, data_ns, report_graph),
            value=str(value) if value is not None else None,
            file=file,
            line=line,
        ))
    return ValidationReport(results=results, graph=report_graph, engine=engine)


def validate_sparql(sources: SourceSet, shapes: Graph) -> ValidationReport:
    """Validate with the SPARQL engine; raise ``shacl_sparql.Unsupported`` if it cannot."""
    from . import shacl_sparql

    start = time.perf_counter()
    store = shacl_sparql.load_store(sources.triples)
    compiled = shacl_sparql.compile_shapes(
        shapes, subclasses=shacl_sparql.has_subclass_triples(store))
    loaded = time.perf_counter()
    try:
        report_graph = shacl_sparql.run(compiled, store)
    except (OSError, SyntaxError, ValueError) as exc:  # e.g. a regex Oxigraph rejects
        raise shacl_sparql.Unsupported(f"a compiled query failed: {exc}") from exc
    log.debug("SPARQL SHACL engine: %d queries, load %.2f s, queries %.2f s",
              len(compiled.checks), loaded - start, time.perf_counter() - loaded)
    return _read_report(report_graph, bind_prefixes(Graph()), sources, engine="sparql")


def validate_sources(sources: SourceSet, settings: Settings, engine: str | None = None
                     ) -> ValidationReport:
    """Validate ``sources`` against the shapes with ``engine`` (default: the setting
    ``CAIKG_SHACL_ENGINE``); the SPARQL engine falls back to pySHACL, with a logged note,
    when the shapes use a feature it does not support."""
    engine = engine or settings.shacl_engine
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r} (use one of {', '.join(ENGINES)})")
    shapes = load_shapes(settings)
    note = None
    if engine == "sparql":
        from .shacl_sparql import Unsupported

        try:
            return validate_sparql(sources, shapes)
        except Unsupported as exc:
            note = (f"SPARQL SHACL engine cannot validate these shapes ({exc}); "
                    f"validating with pySHACL instead")
            log.warning(note)
    report = validate_graph(to_rdflib(sources.triples), shapes, sources)
    report.note = note
    return report
