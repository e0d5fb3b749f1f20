"""Every namespace caikg uses, in one place.

Our own vocabulary is a :class:`rdflib.namespace.DefinedNamespace` with ``_fail = True``, so a
misspelt term is an error at import time rather than a silent new IRI. ``tests/test_vocabulary.py``
checks that each term here is declared in ``ontology/caikg.ttl`` and that every class and
predicate used in ``data/`` is declared in the ontology or in a reused vocabulary.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    FOAF,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    VOID,
    XSD,
    DefinedNamespace,
)

from caikg.config import CANONICAL_BASE_IRI


class CAIKG(DefinedNamespace):
    """The caikg ontology: only what the reused vocabularies lack."""

    _NS = Namespace("https://w3id.org/caikg/ontology#")
    _fail = True

    # classes
    Authorship: URIRef
    VenueSeries: URIRef
    VenueEdition: URIRef
    Repository: URIRef
    # properties
    arxivId: URIRef
    openReviewId: URIRef
    acronym: URIRef
    venue: URIRef
    ordinal: URIRef
    statedName: URIRef
    section: URIRef
    # publication status individuals and their scheme
    PublicationStatusScheme: URIRef
    Published: URIRef
    Preprint: URIRef
    UnderReview: URIRef
    InSubmission: URIRef
    Unpublished: URIRef
    # the curated record: facts with their sources
    SourceRecord: URIRef
    Statement: URIRef
    checkedOn: URIRef
    rank: URIRef
    StatementRankScheme: URIRef
    CurrentRank: URIRef
    HistoricalRank: URIRef
    Submission: URIRef
    submission: URIRef
    decision: URIRef
    presentationType: URIRef
    DecisionScheme: URIRef
    Accepted: URIRef
    Rejected: URIRef
    Withdrawn: URIRef
    DeskRejected: URIRef
    Pending: URIRef
    # systems and evaluation claims
    introducedIn: URIRef
    comparedWith: URIRef
    PerformanceClaim: URIRef
    system: URIRef
    baseline: URIRef
    metric: URIRef
    factor: URIRef
    percent: URIRef
    qualifier: URIRef
    setting: URIRef
    MetricScheme: URIRef
    anonymousBecause: URIRef
    # the literature around the works (caikg enrich --source …)
    literatureRecord: URIRef
    sourceName: URIRef
    ExternalWork: URIRef
    openAlexId: URIRef
    venueName: URIRef
    workType: URIRef
    journalRef: URIRef
    citedByCount: URIRef
    citedByInYear: URIRef
    version: URIRef
    versionLabel: URIRef
    decisionText: URIRef
    authorRecord: URIRef


SCHEMA = Namespace("https://schema.org/")
FABIO = Namespace("http://purl.org/spar/fabio/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
CITO = Namespace("http://purl.org/spar/cito/")
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
CAIKGSH = Namespace("https://w3id.org/caikg/shapes#")
DOAP = Namespace("http://usefulinc.com/ns/doap#")

PREFIXES: dict[str, str] = {
    "caikg": str(CAIKG._NS),
    "caikgsh": str(CAIKGSH),
    "schema": str(SCHEMA),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "skos": str(SKOS),
    "prov": str(PROV),
    "fabio": str(FABIO),
    "bibo": str(BIBO),
    "cito": str(CITO),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
    "void": str(VOID),
    "wd": str(WD),
    "wdt": str(WDT),
    "doap": str(DOAP),
}
"""Prefixes bound in every serialisation and offered to SPARQL users."""

ENTITY_SEGMENTS: tuple[str, ...] = (
    "paper/",
    "person/",
    "venue/",
    "technique/",
    "section/",
    "scheme/",
    "graph/",
    "system/",
    "claim/",
    "metric/",
    "record/",
    "statement/",
    "cited/",
    "institution/",
    "dataset",
)
"""Path segments under the base IRI that name instance data (see docs/MODEL.md)."""


class Instances:
    """IRIs of instance data under one base IRI (``CAIKG_BASE_IRI``)."""

    def __init__(self, base: str = CANONICAL_BASE_IRI) -> None:
        self.base = base
        self.ns = Namespace(base)

    def paper(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}paper/{slug}")

    def authorship(self, paper: URIRef, ordinal: int) -> URIRef:
        return URIRef(f"{paper}#author-{ordinal}")

    def person(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}person/{slug}")

    def venue(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}venue/{slug}")

    def technique(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}technique/{slug}")

    def scheme(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}scheme/{slug}")

    def section(self, list_id: str, slug: str) -> URIRef:
        return URIRef(f"{self.base}section/{list_id}/{slug}")

    def system(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}system/{slug}")

    def statement(self, key: str) -> URIRef:
        return URIRef(f"{self.base}statement/{key}")

    def graph(self, name: str) -> URIRef:
        return URIRef(f"{self.base}graph/{name}")

    @property
    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}dataset")

    @property
    def techniques_scheme(self) -> URIRef:
        return self.scheme("techniques")

    @property
    def ontology_graph(self) -> URIRef:
        return self.graph("ontology")

    @property
    def curated_graph(self) -> URIRef:
        return self.graph("curated")

    @property
    def enrichment_graph(self) -> URIRef:
        return self.graph("enrichment")

    @property
    def void_graph(self) -> URIRef:
        return self.graph("void")

    def is_instance(self, iri: str) -> bool:
        return iri.startswith(self.base) and iri[len(self.base) :].startswith(ENTITY_SEGMENTS)

    def rebase(self, iri: str, new_base: str) -> str:
        """``iri`` moved from this base to ``new_base`` if it names instance data."""
        if self.is_instance(iri):
            return new_base + iri[len(self.base) :]
        return iri


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph
