"""ontology/caikg.ttl: it parses, has its metadata, and declares exactly the terms of CAIKG."""

from __future__ import annotations

from functools import cache

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, VANN

from caikg.rdf.namespaces import BIBO, CAIKG, WDT
from caikg.rdf.sources import read_sources, to_rdflib
from tests.helpers.project import REPO

ONTOLOGY_FILE = REPO / "ontology" / "caikg.ttl"
ONTOLOGY_IRI = URIRef("https://w3id.org/caikg/ontology")
NS = str(CAIKG._NS)

DECLARATION_TYPES = {
    OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
    RDF.Property, OWL.NamedIndividual, SKOS.ConceptScheme, SKOS.Concept,
}
STATUSES = (CAIKG.Published, CAIKG.Preprint, CAIKG.UnderReview, CAIKG.InSubmission)


@cache
def ontology() -> Graph:
    return to_rdflib(read_sources([ONTOLOGY_FILE]).triples)


def caikg_terms() -> set[URIRef]:
    """Every term of the CAIKG DefinedNamespace."""
    names = [n for n in CAIKG.__annotations__ if not n.startswith("_")]
    return {URIRef(NS + n) for n in names}


def declared_in_namespace(graph: Graph) -> set[URIRef]:
    return {s for s, t in graph.subject_objects(RDF.type)
            if isinstance(s, URIRef) and str(s).startswith(NS) and t in DECLARATION_TYPES}


def used_in_namespace(graph: Graph) -> set[URIRef]:
    return {n for triple in graph for n in triple
            if isinstance(n, URIRef) and str(n).startswith(NS)}


def test_parses_and_is_an_ontology() -> None:
    g = ontology()
    assert len(g) > 50
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g


def test_metadata() -> None:
    g = ontology()
    assert g.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert str(g.value(ONTOLOGY_IRI, OWL.versionIRI)).endswith("0.1.0")
    assert g.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    assert g.value(ONTOLOGY_IRI, DCTERMS.creator) is not None
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.created, DCTERMS.modified):
        assert g.value(ONTOLOGY_IRI, prop) is not None, prop
    assert g.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("caikg")
    assert str(g.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri)) == NS


@pytest.mark.parametrize("term", sorted(caikg_terms()), ids=lambda t: t[len(NS):])
def test_every_caikg_term_is_declared(term: URIRef) -> None:
    g = ontology()
    types = set(g.objects(term, RDF.type))
    assert types & DECLARATION_TYPES, f"{term} is not declared"
    labels = [o for o in g.objects(term, RDFS.label) if isinstance(o, Literal)]
    assert any(label.language == "en" for label in labels), f"{term} has no rdfs:label@en"
    definitions = [o for o in g.objects(term, SKOS.definition) if isinstance(o, Literal)]
    assert any(d.language == "en" and str(d).strip() for d in definitions), (
        f"{term} has no skos:definition@en")
    assert g.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI


def test_nothing_in_the_namespace_beyond_caikg() -> None:
    g = ontology()
    extra = (declared_in_namespace(g) | used_in_namespace(g)) - caikg_terms()
    assert not extra, f"in ontology/caikg.ttl but not in caikg.namespaces.CAIKG: {sorted(extra)}"


def test_classes_and_properties_are_typed_as_such() -> None:
    g = ontology()
    for cls in (CAIKG.Authorship, CAIKG.VenueSeries, CAIKG.VenueEdition, CAIKG.Repository):
        assert (cls, RDF.type, OWL.Class) in g
    for prop in (CAIKG.venue, CAIKG.section):
        assert (prop, RDF.type, OWL.ObjectProperty) in g
    for prop in (CAIKG.arxivId, CAIKG.openReviewId, CAIKG.acronym, CAIKG.ordinal,
                 CAIKG.statedName):
        assert (prop, RDF.type, OWL.DatatypeProperty) in g
    assert (CAIKG.Authorship, RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Attribution")) in g
    assert (CAIKG.arxivId, RDFS.subPropertyOf, DCTERMS.identifier) in g


def test_status_individuals() -> None:
    g = ontology()
    assert (CAIKG.PublicationStatusScheme, RDF.type, SKOS.ConceptScheme) in g
    for status in STATUSES:
        for cls in (BIBO.DocumentStatus, SKOS.Concept, OWL.NamedIndividual):
            assert (status, RDF.type, cls) in g, (status, cls)
        assert (status, SKOS.inScheme, CAIKG.PublicationStatusScheme) in g
        assert (CAIKG.PublicationStatusScheme, SKOS.hasTopConcept, status) in g
        label = g.value(status, SKOS.prefLabel)
        assert isinstance(label, Literal), (status, label)
        assert label.language == "en"
        matches = set(g.objects(status, SKOS.exactMatch)) | set(g.objects(status, SKOS.closeMatch))
        assert any(str(m).startswith(str(BIBO) + "status/") for m in matches), status
    assert (CAIKG.Published, SKOS.exactMatch, URIRef(str(BIBO) + "status/published")) in g


def test_wikidata_alignments() -> None:
    g = ontology()
    expected = {
        CAIKG.arxivId: WDT.P818, CAIKG.openReviewId: WDT.P8968, CAIKG.acronym: WDT.P1813,
        CAIKG.venue: WDT.P1433,
    }
    for ours, theirs in expected.items():
        assert (ours, OWL.equivalentProperty, theirs) in g, ours
    assert (CAIKG.ordinal, OWL.equivalentProperty,
            URIRef("http://www.wikidata.org/prop/qualifier/P1545")) in g
    assert (BIBO.doi, SKOS.closeMatch, WDT.P356) in g
    assert (URIRef("https://schema.org/author"), SKOS.closeMatch, WDT.P50) in g
    assert (URIRef("http://purl.org/spar/fabio/hasPublicationYear"), SKOS.closeMatch,
            WDT.P577) in g
    assert (DCTERMS.subject, SKOS.closeMatch, WDT.P921) in g
