"""Every class and predicate used in data/ and in the valid shape examples is a real term.

A term is accepted when it is declared in ontology/caikg.ttl, or when it belongs to a reused
vocabulary and is a term of it: rdflib's DefinedNamespace classes for schema.org, DCTERMS,
FOAF, SKOS, PROV, OWL, RDF, RDFS and VoID; tests/vocabularies.py for FaBiO and BIBO. A term of
any other namespace is rejected, so a misspelt or invented term fails here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as rns
from rdflib.namespace import DCTERMS, PROV, RDF, DefinedNamespaceMeta

from caikg.build.record import read_record
from caikg.rdf.namespaces import CAIKG
from caikg.rdf.sources import read_sources, to_rdflib
from tests.helpers.project import REPO, TESTS
from tests.helpers.vocabularies import in_extra_vocabulary

ONTOLOGY_FILE = REPO / "ontology" / "caikg.ttl"
DATA_FILES = sorted((REPO / "data").glob("*.ttl")) + sorted((REPO / "data").glob("record/*.trig"))
VALID_EXAMPLES = sorted((TESTS / "shapes").glob("*-valid.ttl"))

# Kept in a tuple rather than as module globals: pytest would probe SDO's attributes.
REUSED: tuple[DefinedNamespaceMeta, ...] = (
    rns.SDO, rns.DCTERMS, rns.FOAF, rns.SKOS, rns.PROV, rns.OWL, rns.RDF, rns.RDFS, rns.VOID)


@cache
def declared_terms() -> frozenset[URIRef]:
    """Subjects typed in ontology/caikg.ttl (our terms, and any reused term declared there)."""
    g = to_rdflib(read_sources([ONTOLOGY_FILE]).triples)
    return frozenset(s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef))


def is_known(term: URIRef, declared: frozenset[URIRef]) -> bool:
    if term in declared:
        return True
    if str(term).startswith(str(CAIKG._NS)):
        return False  # ours, but not declared in the ontology
    extra = in_extra_vocabulary(term)
    if extra is not None:
        return extra
    for ns in REUSED:
        base = str(ns._NS)
        if str(term).startswith(base):
            local = str(term)[len(base):]
            return bool(local) and local in ns
    return False


def unknown_terms(graph: Graph, declared: frozenset[URIRef]) -> list[str]:
    """Predicates and rdf:type objects of ``graph`` that are not real terms, described."""
    problems: set[str] = set()
    for _s, p, o in graph:
        if isinstance(p, URIRef) and not is_known(p, declared):
            problems.add(f"predicate {p}")
        if p == RDF.type:
            if not isinstance(o, URIRef):
                problems.add(f"rdf:type value {o!r} is not an IRI")
            elif not is_known(o, declared):
                problems.add(f"class {o}")
    return sorted(problems)


def load(path: Path) -> Graph:
    if path.suffix == ".trig":  # a record file: the facts of every source graph
        return to_rdflib(t for t, _ in read_record([path]).facts)
    return to_rdflib(read_sources([path]).triples)


@pytest.mark.parametrize("path", DATA_FILES + VALID_EXAMPLES,
                         ids=[p.relative_to(REPO).as_posix() for p in DATA_FILES + VALID_EXAMPLES])
def test_file_uses_only_real_terms(path: Path) -> None:
    problems = unknown_terms(load(path), declared_terms())
    assert not problems, f"{path.relative_to(REPO)} uses unknown terms:\n  " + "\n  ".join(problems)


def test_valid_examples_exist() -> None:
    assert VALID_EXAMPLES, "tests/shapes/*-valid.ttl are missing"


def test_rdflib_membership_works_as_assumed() -> None:
    """``local in rns.SDO`` is how rdflib's DefinedNamespace answers membership."""
    assert "ScholarlyArticle" in rns.SDO
    assert "ScholarlyArtikel" not in rns.SDO
    assert "title" in DCTERMS and "titel" not in DCTERMS


def test_checker_accepts_good_terms() -> None:
    g = Graph()
    paper = URIRef("https://w3id.org/caikg/paper/x")
    g.add((paper, RDF.type, rns.SDO.ScholarlyArticle))
    g.add((paper, RDF.type, URIRef("http://purl.org/spar/fabio/ResearchPaper")))
    g.add((paper, DCTERMS.title, Literal("X")))
    g.add((paper, CAIKG.arxivId, Literal("2407.16831")))
    g.add((paper, URIRef("http://purl.org/ontology/bibo/status"), CAIKG.Preprint))
    g.add((paper, PROV.qualifiedAttribution, URIRef(f"{paper}#author-1")))
    g.add((URIRef(f"{paper}#author-1"), RDF.type, CAIKG.Authorship))
    assert unknown_terms(g, declared_terms()) == []


@pytest.mark.parametrize("predicate, cls", [
    (URIRef("https://schema.org/titel"), None),                       # misspelt schema.org
    (URIRef("http://schema.org/name"), None),                         # http, not https
    (URIRef("https://w3id.org/caikg/ontology#arxivID"), None),        # not declared by us
    (URIRef("http://purl.org/spar/fabio/hasPublicationDate"), None),  # not a FaBiO term
    (URIRef("http://example.org/vocab#foo"), None),                   # unknown vocabulary
    (None, URIRef("http://purl.org/spar/fabio/ResearchArticle")),     # not a FaBiO class
    (None, URIRef("https://w3id.org/caikg/ontology#Paper")),          # not declared by us
    (None, URIRef("http://xmlns.com/foaf/0.1/Persons")),              # misspelt FOAF
])
def test_checker_rejects_unknown_terms(predicate: URIRef | None, cls: URIRef | None) -> None:
    g = Graph()
    s = URIRef("https://w3id.org/caikg/paper/x")
    g.add((s, DCTERMS.title, Literal("X")))
    if predicate is not None:
        g.add((s, predicate, Literal("v")))
    if cls is not None:
        g.add((s, RDF.type, cls))
    problems = unknown_terms(g, declared_terms())
    assert problems == [f"predicate {predicate}" if predicate is not None else f"class {cls}"]
