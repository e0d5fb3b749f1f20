"""Data-driven tests of ontology/shapes.ttl: one example file per case in tests/shapes/.

Each example states what validating it must give in header lines:

    # expect: conforms                          no sh:Violation at all
    # expect: violation caikgsh:WorkShape       at least one violation from that node shape
    # expect: warning caikgsh:ScholarlyArticleShape
    # expect: info caikgsh:TechniqueShape

A result "comes from" a node shape when its source shape is the node shape itself or one of
its property shapes (``sh:property``). Every node shape ``caikgsh:FooShape`` must have a
``foo-valid.ttl`` and a ``foo-invalid.ttl`` example.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from caikg.config import load_settings
from caikg.rdf.namespaces import CAIKGSH
from caikg.rdf.sources import read_sources, to_rdflib
from caikg.validation.report import ValidationReport, load_shapes, validate_graph
from tests.helpers.project import REPO, TESTS

EXAMPLES = TESTS / "shapes"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ttl"))
EXPECT = re.compile(r"^#\s*expect:\s*(\S+)(?:\s+(\S+))?\s*$")
SEVERITIES = {"violation": "Violation", "warning": "Warning", "info": "Info"}


@cache
def shapes_graph() -> Graph:
    settings = load_settings(environ={}, ontology_dir=REPO / "ontology", data_dir=REPO / "data")
    return load_shapes(settings)


def node_shapes(shapes: Graph) -> set[URIRef]:
    return {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


def expand(shape: str) -> str:
    return str(CAIKGSH) + shape[len("caikgsh:"):] if shape.startswith("caikgsh:") else shape


def owner(shape: str, shapes: Graph) -> str:
    """The node shape a reported shape belongs to.

    That is the shape itself if it is a node shape, else the node shape that has it as
    ``sh:property``, else (standalone SPARQL-targeted rules) the node shape its IRI is named
    after: ``caikgsh:WorkShape-ordinal-gap`` belongs to ``caikgsh:WorkShape``.
    """
    iri = URIRef(expand(shape))
    if (iri, RDF.type, SH.NodeShape) in shapes:
        return str(iri)
    parents = [str(p) for p in shapes.subjects(SH.property, iri)]
    if parents:
        return parents[0]
    if str(iri).startswith(str(CAIKGSH)) and "-" in str(iri):
        return str(iri).split("-", 1)[0]
    return str(iri)


def expectations(path: Path) -> list[tuple[str, str | None]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT.match(line)
        if m:
            found.append((m.group(1), m.group(2)))
    return found


def validate_file(path: Path) -> ValidationReport:
    sources = read_sources([path])
    return validate_graph(to_rdflib(sources.triples), shapes_graph(), sources)


def test_examples_exist() -> None:
    assert EXAMPLE_FILES, f"no examples in {EXAMPLES}"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_example(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    report = validate_file(path)
    shapes = shapes_graph()
    for kind, shape in expected:
        if kind == "conforms":
            assert report.conforms, f"{path.name} should conform:\n{report.to_text()}"
            continue
        assert kind in SEVERITIES, f"{path.name}: unknown expectation {kind!r}"
        assert shape is not None, f"{path.name}: '{kind}' needs a shape"
        wanted = expand(shape)
        assert (URIRef(wanted), RDF.type, SH.NodeShape) in shapes, f"no node shape {shape}"
        hits = [r for r in report.results
                if r.severity == SEVERITIES[kind] and owner(r.shape, shapes) == wanted]
        assert hits, f"{path.name}: expected a {kind} from {shape}, got:\n{report.to_text()}"
    if path.stem.endswith("-invalid"):
        assert not any(kind == "conforms" for kind, _ in expected), path.name


def example_stem(shape: URIRef) -> str:
    local = str(shape)[len(str(CAIKGSH)):]
    return local.removesuffix("Shape").lower()


def test_every_node_shape_has_valid_and_invalid_examples() -> None:
    names = {p.name for p in EXAMPLE_FILES}
    missing = []
    for shape in sorted(node_shapes(shapes_graph())):
        assert str(shape).startswith(str(CAIKGSH)), f"node shape outside caikgsh: {shape}"
        stem = example_stem(shape)
        for suffix in ("valid", "invalid"):
            if f"{stem}-{suffix}.ttl" not in names:
                missing.append(f"{stem}-{suffix}.ttl")
    assert not missing, f"node shapes without examples: {missing}"


def test_invalid_examples_hit_their_own_shape() -> None:
    """``foo-invalid.ttl`` must get a result from ``caikgsh:FooShape`` itself."""
    shapes = shapes_graph()
    by_stem = {example_stem(s): str(s) for s in node_shapes(shapes)}
    for stem, shape in by_stem.items():
        report = validate_file(EXAMPLES / f"{stem}-invalid.ttl")
        assert any(owner(r.shape, shapes) == shape for r in report.results), (
            f"{stem}-invalid.ttl gets no result from {shape}:\n{report.to_text()}")


def test_shapes_are_named_labelled_and_worded() -> None:
    """Node shapes have a label and a message; each rule has an IRI named after its node
    shape and exactly one message (on the shape, or on its SPARQL constraints)."""
    shapes = shapes_graph()
    nodes = node_shapes(shapes)
    for shape in nodes:
        assert shapes.value(shape, SH.message) is not None, f"{shape} has no sh:message"
        assert shapes.value(shape, RDFS.label) is not None, f"{shape} has no rdfs:label"
        for prop in shapes.objects(shape, SH.property):
            assert isinstance(prop, URIRef), f"{shape} has an anonymous property shape"
            assert str(prop).startswith(f"{shape}-"), f"{prop} is not named after {shape}"
    rules = {s for s in shapes.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}
    for rule in rules:
        assert URIRef(owner(str(rule), shapes)) in nodes, f"{rule} belongs to no node shape"
        own = shapes.value(rule, SH.message)
        sparql_messages = [shapes.value(c, SH.message) for c in shapes.objects(rule, SH.sparql)]
        if own is None:
            assert sparql_messages and all(sparql_messages), f"{rule} has no message"
        else:
            assert not any(sparql_messages), f"{rule} has two messages (shape and SPARQL)"


def test_ontology_conforms() -> None:
    """The ontology's own individuals (status scheme) do not trip any shape."""
    sources = read_sources([REPO / "ontology" / "caikg.ttl"])
    report = validate_graph(to_rdflib(sources.triples), shapes_graph(), sources)
    assert report.conforms, report.to_text()
    assert not report.warnings, report.to_text()
