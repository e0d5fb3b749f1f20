"""The SPARQL SHACL engine (caikg.validation.sparql_engine) against pySHACL, the reference.

Both engines must give the same verdict and the same results, compared as a multiset of
normalised keys ``(focus, severity, shape, constraint, path, value, message)``: shapes and
paths are rendered by the same code (validation._read_report) for both engines, so named
shapes are prefixed names and an inverse path is ``^prefix:name``.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
from benchmarks import generate
from rdflib import Graph
from rdflib.namespace import RDF, SH

from caikg.config import Settings, load_settings
from caikg.rdf.sources import SourceSet, read_sources, to_rdflib
from caikg.validation import sparql_engine as shacl_sparql
from caikg.validation.report import ValidationReport, load_shapes, validate_graph, validate_sources
from tests.helpers.project import REPO, TESTS, make_settings

EXAMPLES = sorted((TESTS / "shapes").glob("*.ttl"))
Key = tuple[str, str, str, str, str | None, str | None, str]


def keys(report: ValidationReport) -> Counter[Key]:
    return Counter((r.focus, r.severity, r.shape, r.constraint, r.path, r.value, r.message)
                   for r in report.results)


def both(sources: SourceSet, settings: Settings) -> tuple[ValidationReport, ValidationReport]:
    reference = validate_sources(sources, settings, engine="pyshacl")
    fast = validate_sources(sources, settings, engine="sparql")
    assert reference.engine == "pyshacl"
    assert fast.engine == "sparql", fast.note
    return reference, fast


def assert_same(reference: ValidationReport, fast: ValidationReport) -> None:
    assert fast.conforms == reference.conforms
    only_ref, only_fast = keys(reference) - keys(fast), keys(fast) - keys(reference)
    assert not only_ref and not only_fast, (
        f"only pyshacl: {sorted(only_ref.elements())}\nonly sparql: {sorted(only_fast.elements())}")


def test_the_shapes_compile(settings: Settings) -> None:
    compiled = shacl_sparql.compile_shapes(load_shapes(settings))
    assert len(compiled.checks) > 50


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_give_the_same_results(path: Path, settings: Settings) -> None:
    reference, fast = both(read_sources([path]), settings)
    assert_same(reference, fast)
    if path.stem.endswith("-invalid"):
        assert not fast.conforms


def test_shipped_data_gives_the_same_results(settings: Settings) -> None:
    reference, fast = both(read_sources([settings.data_dir]), settings)
    assert_same(reference, fast)
    assert fast.conforms


def test_the_default_engine_is_the_setting(settings: Settings) -> None:
    sources = read_sources([EXAMPLES[0]])
    assert validate_sources(sources, settings).engine == settings.shacl_engine == "sparql"
    other = make_settings(settings.home, shacl_engine="pyshacl")
    assert validate_sources(sources, other).engine == "pyshacl"
    with pytest.raises(ValueError):
        validate_sources(sources, settings, engine="jena")


def test_the_report_graph_is_a_shacl_report(settings: Settings) -> None:
    report = validate_sources(read_sources([TESTS / "shapes" / "work-invalid.ttl"]),
                              settings, engine="sparql")
    text = report.graph.serialize(format="turtle")
    again = Graph().parse(data=text, format="turtle")
    reports = list(again.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert len(list(again.objects(reports[0], SH.result))) == len(report.results)
    assert (reports[0], SH.conforms, None) in again


# -- generated data with injected errors of every constraint kind ----------------------------

B = "https://w3id.org/caikg/"
INJECTED = f"""
@prefix caikg: <https://w3id.org/caikg/ontology#> .
@prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

# minCount, maxCount, or/datatype, pattern, nodeKind, in, datatype gYear, class, hasValue,
# qualifiedMinCount, SPARQL constraints (ordinal gap/duplicate, agent not author, author
# without attribution, subject outside the scheme, authorship IRI), inverse-path counts
<{B}paper/bad-1> a schema:ScholarlyArticle , fabio:Expression ;
    dcterms:title "One" , "Two" ;
    dcterms:alternative "  " ;
    schema:url "https://example.org/not-an-iri" ;
    fabio:hasPublicationYear "2020" , "1800"^^xsd:gYear ;
    bibo:status caikg:Lost ;
    bibo:doi "doi:10.1/x" ;
    caikg:arxivId "arXiv:2401.00001" ;
    caikg:openReviewId "x" ;
    caikg:venue <{B}person/somebody> ;
    dcterms:subject <{B}person/somebody> ;
    caikg:section <{B}person/somebody> ;
    schema:author <{B}person/somebody> , <{B}person/nobody> ;
    prov:qualifiedAttribution <{B}paper/bad-1#author-1> , <{B}paper/bad-1#author-3> ,
        <{B}paper/bad-1#author-9> , _:anon .
<{B}paper/bad-1#author-1> a caikg:Authorship ;
    prov:agent <{B}person/somebody> ; caikg:ordinal 1 ; caikg:statedName "S." .
<{B}paper/bad-1#author-3> a caikg:Authorship , prov:Attribution ;
    prov:agent <{B}person/other> ; caikg:ordinal 3 , 4 ; caikg:statedName "" .
<{B}paper/bad-1#author-9> a caikg:Authorship , prov:Attribution ;
    prov:agent "a string" ; caikg:ordinal 0 , "x" .
_:anon a caikg:Authorship , prov:Attribution ;
    prov:agent <{B}person/other> ; caikg:ordinal 1 ; caikg:statedName "O." .
<{B}paper/bad-2> a schema:ScholarlyArticle , fabio:ResearchPaper ;
    dcterms:title 42 ;
    schema:url <https://example.org/2> ;
    fabio:hasPublicationYear "2021"^^xsd:gYear ;
    dcterms:issued "yesterday"^^xsd:date ;
    bibo:status caikg:Published ;
    prov:qualifiedAttribution <{B}paper/bad-1#author-1> .
# literals the Oxigraph store would change (an integer subtype, a non-canonical decimal)
<{B}paper/bad-4> a schema:ScholarlyArticle , fabio:ReviewArticle ;
    dcterms:title "Four" ; schema:url <https://example.org/4> ;
    fabio:hasPublicationYear "2022"^^xsd:gYear ; bibo:status caikg:Preprint ;
    schema:author <{B}person/other> ;
    prov:qualifiedAttribution <{B}paper/bad-4#author-1> , <{B}paper/bad-4#author-2> .
<{B}paper/bad-4#author-1> a caikg:Authorship , prov:Attribution ;
    prov:agent <{B}person/other> ; caikg:ordinal "01"^^xsd:positiveInteger ;
    caikg:statedName "O." .
<{B}paper/bad-4#author-2> a caikg:Authorship , prov:Attribution ;
    prov:agent <{B}person/other> ; caikg:ordinal "2.0"^^xsd:decimal , "-3"^^xsd:int ;
    caikg:statedName "O." .
<{B}paper/bad-3> a schema:BlogPosting ;
    dcterms:title "Post"@en ;
    schema:url <ftp://example.org/3> .

# disjoint, hasValue, maxCount, nodeKind/pattern on people
<{B}person/somebody> a schema:Person ; schema:name "Somebody" , "Somebody Else" ;
    schema:alternateName "Somebody" , "" .
<{B}person/other> a schema:Person , foaf:Person ; schema:name "Other" .

# languageIn, datatype langString, cycle, broader outside the scheme, one-way links
<{B}technique/bad-a> a skos:Concept ;
    skos:prefLabel "Bad A"@de ; skos:definition "Definition" ;
    skos:inScheme <{B}scheme/techniques> ;
    skos:broader <{B}technique/bad-b> , <{B}section/elsewhere> .
<{B}technique/bad-b> skos:prefLabel "Bad B"@en , "Schlecht B"@de ;
    skos:inScheme <{B}scheme/techniques> ;
    skos:broader <{B}technique/bad-a> .

# sections and venues
<{B}section/elsewhere> a skos:Concept ; skos:inScheme <{B}scheme/other-list> , <{B}scheme/x> ;
    skos:notation "1.a" , "2" ; skos:broader <{B}technique/bad-a> .
<{B}scheme/other-list> a skos:ConceptScheme .
<{B}venue/bad> a caikg:VenueSeries ; caikg:acronym "A" , "B" .
<{B}venue/bad/1899> a caikg:VenueEdition ; dcterms:isPartOf <{B}venue/bad> , <{B}venue/x> ;
    dcterms:date "1899"^^xsd:gYear ; schema:name "Bad 1899" .
<{B}venue/repo> a caikg:Repository ; caikg:acronym "" .
<{B}blog/b> a schema:Blog ; schema:url "http://not-an-iri" .
"""


def generated_file(tmp: Path) -> Path:
    out = tmp / "syn.nt"
    generate.generate(3_000, out, seed=11)
    return out


def test_generated_data_with_injected_errors(tmp_path: Path, settings: Settings) -> None:
    injected = tmp_path / "injected.ttl"
    injected.write_text(INJECTED, encoding="utf-8")
    files = [generated_file(tmp_path), REPO / "data" / "techniques.ttl",
             REPO / "data" / "venues.ttl", injected]
    reference, fast = both(read_sources(files), settings)
    assert_same(reference, fast)
    assert not fast.conforms
    components = {r.constraint for r in fast.results}
    for kind in ("MinCountConstraintComponent", "MaxCountConstraintComponent",
                 "DatatypeConstraintComponent", "ClassConstraintComponent",
                 "NodeKindConstraintComponent", "PatternConstraintComponent",
                 "InConstraintComponent", "HasValueConstraintComponent",
                 "LanguageInConstraintComponent", "MinInclusiveConstraintComponent",
                 "OrConstraintComponent", "DisjointConstraintComponent",
                 "QualifiedMinCountConstraintComponent", "SPARQLConstraintComponent"):
        assert kind in components, f"no {kind} injected: {sorted(components)}"
    assert {"Violation", "Warning", "Info"} <= {r.severity for r in fast.results}
    assert any(r.path and r.path.startswith("^") for r in fast.results)


def test_generated_data_conforms_with_both(tmp_path: Path, settings: Settings) -> None:
    files = [generated_file(tmp_path), REPO / "data" / "techniques.ttl",
             REPO / "data" / "venues.ttl"]
    reference, fast = both(read_sources(files), settings)
    assert_same(reference, fast)
    assert fast.conforms


# -- unsupported features fall back to pySHACL ---------------------------------------------

TINY_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:ThingShape a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:message "A thing is a cat or a dog, not both."@en ;
    sh:xone ( [ sh:class ex:Cat ] [ sh:class ex:Dog ] ) .
"""
TINY_DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:Thing , ex:Cat , ex:Dog .
ex:b a ex:Thing , ex:Cat .
"""


def test_unsupported_feature_falls_back_to_pyshacl(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ontology = tmp_path / "ontology"
    ontology.mkdir()
    (ontology / "shapes.ttl").write_text(TINY_SHAPES, encoding="utf-8")
    data = tmp_path / "data.ttl"
    data.write_text(TINY_DATA, encoding="utf-8")
    settings = load_settings(environ={}, home=tmp_path / "home", ontology_dir=ontology,
                             data_dir=REPO / "data")
    with pytest.raises(shacl_sparql.Unsupported, match="xone"):
        shacl_sparql.compile_shapes(load_shapes(settings))
    sources = read_sources([data])
    with caplog.at_level(logging.WARNING, logger="caikg.validation"):
        report = validate_sources(sources, settings, engine="sparql")
    assert report.engine == "pyshacl"
    assert report.note is not None and "xone" in report.note
    assert any("pySHACL instead" in r.getMessage() for r in caplog.records)
    reference = validate_graph(to_rdflib(sources.triples), load_shapes(settings), sources)
    assert keys(report) == keys(reference)
    assert [r.focus for r in report.violations] == ["http://example.org/a"]


@pytest.mark.parametrize("feature", [
    "sh:closed true",
    "sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ]",
    "sh:property [ sh:path ex:p ; sh:minCount 1 ]",  # no sh:message: pySHACL words one
])
def test_other_unsupported_features(tmp_path: Path, feature: str) -> None:
    shapes = Graph().parse(data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; {feature} .""", format="turtle")
    with pytest.raises(shacl_sparql.Unsupported):
        shacl_sparql.compile_shapes(shapes)
