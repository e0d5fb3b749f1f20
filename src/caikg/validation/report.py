"""SHACL validation of data against ``ontology/shapes.ttl`` (pySHACL is the reference engine).

Results are grouped by focus node and, when the data came from files, located in them.
Severities are used on purpose: ``sh:Violation`` fails a build, ``sh:Warning`` and ``sh:Info``
are reported but do not.

Two engines give the same results: ``sparql`` (the default, ``CAIKG_SHACL_ENGINE``; see
:mod:`caikg.validation.sparql_engine`) compiles the shapes into SPARQL run over an in-memory
Oxigraph store, many times faster; ``pyshacl`` runs pySHACL on an rdflib copy of the data. When the
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from caikg.config import Settings
from caikg.rdf.namespaces import bind_prefixes
from caikg.rdf.sources import SourceSet, read_sources, to_rdflib
from caikg.validation import sparql_engine as shacl_sparql
from caikg.validation.sparql_engine import Unsupported

log = logging.getLogger(__name__)
ENGINES = ("sparql", "pyshacl")
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
MAX_FOCUS_NODES = 50
"""A text report with more focus nodes than this is summarised per rule (a screenful)."""
FIRST_PER_RULE = 3
"""How many focus nodes of each rule a summarised report shows."""


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
    report_graph: Graph | Callable[[], Graph] = field(default_factory=Graph)
    """The sh:ValidationReport graph, or how to build it when first asked for (building it
    costs more than validating when there are hundreds of thousands of results)."""
    engine: str = "pyshacl"
    """The engine that produced the results ("sparql" or "pyshacl")."""
    note: str | None = None
    """Why the requested engine was not used (unsupported shape feature), if it was not."""

    @property
    def graph(self) -> Graph:
        if not isinstance(self.report_graph, Graph):
            self.report_graph = self.report_graph()
        return self.report_graph

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

    def to_text(self, limit: int | None = MAX_FOCUS_NODES) -> str:
        """The human-readable report: one block per focus node, naming file and rule.

        With more than ``limit`` focus nodes (``None``: no limit) the report stays a
        screenful: the number of results of each rule, then the first
        :data:`FIRST_PER_RULE` focus nodes of each rule with their file and line."""
        grouped = self.by_focus()
        if limit is not None and len(grouped) > limit:
            return self._summary()
        lines: list[str] = []
        for focus, results in grouped.items():
            lines.append(f"{focus}  [{results[0].location}]")
            for r in results:
                lines.extend(_describe(r))
        lines.append(self._verdict())
        return "\n".join(lines)

    def _summary(self) -> str:
        per_rule: dict[tuple[str, str, str], list[ValidationResult]] = defaultdict(list)
        for r in self.results:
            per_rule[(r.severity, r.shape, r.constraint)].append(r)
        order = sorted(per_rule, key=lambda k: (SEVERITY_ORDER.get(k[0], 9), -len(per_rule[k]),
                                                 k[1]))
        lines = [f"{len(self.results)} results on {len(self.by_focus())} focus nodes "
                 f"from {len(per_rule)} rules:"]
        for key in order:
            severity, shape, constraint = key
            lines.append(f"  {len(per_rule[key]):>8}  {severity:<9} {shape} ({constraint})")
        lines.append(f"First {FIRST_PER_RULE} of each rule ('caikg validate --all' lists every "
                     "result, '--format ttl' gives the SHACL report graph):")
        for key in order:
            shown = sorted(per_rule[key], key=lambda r: r.focus)[:FIRST_PER_RULE]
            for r in shown:
                lines.append(f"{r.focus}  [{r.location}]")
                lines.extend(_describe(r))
            rest = len(per_rule[key]) - len(shown)
            if rest > 0:
                lines.append(f"  … and {rest} more of {key[1]}")
        lines.append(self._verdict())
        return "\n".join(lines)

    def _verdict(self) -> str:
        n_v, n_w = len(self.violations), len(self.warnings)
        n_i = len(self.results) - n_v - n_w
        verdict = "conforms" if self.conforms else "does NOT conform"
        return f"Data {verdict}: {n_v} violation(s), {n_w} warning(s), {n_i} info(s)."


def _describe(r: ValidationResult) -> list[str]:
    on = f" on {r.path}" if r.path else ""
    value = f" (value: {r.value})" if r.value is not None else ""
    return [f"  {r.severity}{on}: {r.message}{value}", f"    rule: {r.shape} ({r.constraint})"]


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
    return ValidationReport(results=results, report_graph=report_graph, engine=engine)


def validate_sparql(sources: SourceSet, shapes: Graph) -> ValidationReport:
    """Validate with the SPARQL engine; raise ``shacl_sparql.Unsupported`` if it cannot."""
    start = time.perf_counter()
    store = shacl_sparql.load_store(sources.triples)
    compiled = shacl_sparql.compile_shapes(
        shapes, subclasses=shacl_sparql.has_subclass_triples(store))
    loaded = time.perf_counter()
    try:
        raw = shacl_sparql.evaluate(compiled, store)
    except (OSError, SyntaxError, ValueError) as exc:  # e.g. a regex Oxigraph rejects
        raise shacl_sparql.Unsupported(f"a compiled query failed: {exc}") from exc
    log.debug("SPARQL SHACL engine: %d queries, load %.2f s, queries %.2f s",
              len(compiled.checks), loaded - start, time.perf_counter() - loaded)
    # Results are read from the engine's records, as _read_report reads a report graph: the
    # shape, rule and path of each check are named once, each focus node located once.
    names = bind_prefixes(Graph())
    compiled.shapes.namespace_manager = names.namespace_manager
    named: dict[int, tuple[str, str | None]] = {}
    located: dict[str, tuple[Path | None, int | None]] = {}
    results: list[ValidationResult] = []
    for r in raw:
        key = id(r.check)
        if key not in named:
            named[key] = (_short(r.check.shape, compiled.shapes) or "?",
                          _short(r.check.path, names, compiled.shapes))
        shape, path = named[key]
        focus = str(shacl_sparql.result_term(r.focus))
        if focus not in located:
            located[focus] = sources.locate(focus)
        file, line = located[focus]
        results.append(ValidationResult(
            focus=focus,
            severity=str(r.check.severity).rsplit("#", 1)[-1],
            message=str(r.messages[0]) if r.messages else "constraint not met",
            shape=shape,
            constraint=(_short(r.component, names) or "?").replace("sh:", ""),
            path=path,
            value=str(shacl_sparql.result_term(r.value)) if r.value is not None else None,
            file=file,
            line=line,
        ))
    return ValidationReport(results=results, engine="sparql",
                            report_graph=lambda: bind_prefixes(
                                shacl_sparql.report_graph(compiled, raw)))


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
        try:
            return validate_sparql(sources, shapes)
        except Unsupported as exc:
            note = (f"SPARQL SHACL engine cannot validate these shapes ({exc}); "
                    f"validating with pySHACL instead")
            log.warning(note)
    report = validate_graph(to_rdflib(sources.triples), shapes, sources)
    report.note = note
    return report
