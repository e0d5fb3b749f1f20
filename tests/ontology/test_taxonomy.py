"""The technique taxonomy (data/techniques.ttl) and the classification of works
(data/classification.ttl).

Every check is a small function that returns a list of problems; each is run on the real data
(expecting none) and on a tiny hand-made graph that breaks it (expecting the problem to be found),
so that no check can pass vacuously.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Identifier, Node

from caikg.config import CANONICAL_BASE_IRI
from caikg.rdf.iris import slugify
from caikg.rdf.sources import read_sources, to_rdflib
from tests.helpers.project import REPO

ROOT = REPO
DATA = ROOT / "data"
CLASSIFICATION = DATA / "classification.ttl"
SCHEMA = "https://schema.org/"
SCHEME = URIRef(f"{CANONICAL_BASE_IRI}scheme/techniques")
TECHNIQUE_NS = f"{CANONICAL_BASE_IRI}technique/"
WORK_TYPES = (URIRef(f"{SCHEMA}ScholarlyArticle"), URIRef(f"{SCHEMA}BlogPosting"))
MIN_CONCEPTS = 15
MAX_DEPTH = 3


# --- the checks -----------------------------------------------------------------------------

def concepts(g: Graph, scheme: URIRef = SCHEME) -> set[URIRef]:
    return {c for c in g.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef)}


def terms(nodes: Iterable[Node]) -> list[Identifier]:
    """``nodes`` as RDF terms, which can be sorted (every subject and object of a graph parsed
    from RDF is an :class:`~rdflib.term.Identifier`)."""
    out: list[Identifier] = []
    for node in nodes:
        assert isinstance(node, Identifier), node
        out.append(node)
    return out


def label_problems(g: Graph, scheme: URIRef = SCHEME) -> list[str]:
    """Each concept: one English prefLabel and definition, its IRI minted from the prefLabel,
    prefLabels unique in the scheme and no altLabel repeating a prefLabel."""
    problems = []
    seen: dict[str, URIRef] = {}
    for c in sorted(concepts(g, scheme)):
        for prop in (SKOS.prefLabel, SKOS.definition):
            values = list(g.objects(c, prop))
            english = [v for v in values if isinstance(v, Literal) and v.language == "en"]
            if len(values) != 1 or len(english) != 1 or not str(english[0]).strip():
                problems.append(f"{c}: {len(values)} {prop.n3(g.namespace_manager)} "
                                f"({len(english)} English), expected exactly one English one")
        if (c, RDF.type, SKOS.Concept) not in g:
            problems.append(f"{c}: not typed skos:Concept")
        for label in g.objects(c, SKOS.prefLabel):
            key = str(label).casefold()
            if key in seen and seen[key] != c:
                problems.append(f"{c}: prefLabel {label!r} also used by {seen[key]}")
            seen[key] = c
            if scheme == SCHEME and str(c) != TECHNIQUE_NS + slugify(str(label)):
                problems.append(f"{c}: IRI is not technique/{slugify(str(label))}")
        prefs = {str(x).casefold() for x in g.objects(c, SKOS.prefLabel)}
        alts = {str(x).casefold() for x in g.objects(c, SKOS.altLabel)}
        if prefs & alts:
            problems.append(f"{c}: altLabel repeats the prefLabel {sorted(prefs & alts)}")
    return problems


def inverse_problems(g: Graph) -> list[str]:
    """skos:broader and skos:narrower must each be stated wherever the other is."""
    problems = []
    for child, parent in g.subject_objects(SKOS.broader):
        if (parent, SKOS.narrower, child) not in g:
            problems.append(f"{child} broader {parent} without the narrower link")
    for parent, child in g.subject_objects(SKOS.narrower):
        if (child, SKOS.broader, parent) not in g:
            problems.append(f"{parent} narrower {child} without the broader link")
    return problems


def scheme_problems(g: Graph, scheme: URIRef = SCHEME) -> list[str]:
    """Every broader/narrower link from a concept of the scheme stays in the scheme."""
    members = concepts(g, scheme)
    return [f"{c} {prop.n3(g.namespace_manager)} {o}, which is not in {scheme}"
            for c in sorted(members) for prop in (SKOS.broader, SKOS.narrower)
            for o in g.objects(c, prop) if o not in members]


def find_cycles(g: Graph) -> list[list[Identifier]]:
    """Cycles of skos:broader (a concept that is its own ancestor), each as a path."""
    cycles: list[list[Identifier]] = []
    state: dict[Identifier, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: Identifier, path: list[Identifier]) -> None:
        state[node] = 1
        for parent in sorted(terms(g.objects(node, SKOS.broader))):
            if state.get(parent) == 1:
                cycles.append([*path[path.index(parent):], parent])
            elif parent not in state:
                visit(parent, [*path, parent])
        state[node] = 2

    for node in sorted(set(terms(g.subjects(SKOS.broader)))):
        if node not in state:
            visit(node, [node])
    return cycles


def depth_problems(g: Graph, scheme: URIRef = SCHEME, max_depth: int = MAX_DEPTH) -> list[str]:
    """No concept more than ``max_depth`` levels deep (top concepts are level 1)."""
    def depth(c: Identifier, seen: frozenset[Identifier] = frozenset()) -> int:
        parents = [p for p in terms(g.objects(c, SKOS.broader)) if p not in seen]
        return 1 + max((depth(p, seen | {c}) for p in parents), default=0)

    return [f"{c} is at depth {depth(c)}" for c in sorted(concepts(g, scheme))
            if depth(c) > max_depth]


def top_concept_problems(g: Graph, scheme: URIRef = SCHEME) -> list[str]:
    """topConceptOf and hasTopConcept agree, and the top concepts are exactly the roots."""
    problems = []
    declared = set(g.subjects(SKOS.topConceptOf, scheme))
    listed = set(g.objects(scheme, SKOS.hasTopConcept))
    problems += [f"{c} topConceptOf the scheme, not in its hasTopConcept"
                 for c in declared - listed]
    problems += [f"{c} in hasTopConcept, without topConceptOf" for c in listed - declared]
    for c in sorted(terms(declared | listed)):
        if (c, SKOS.inScheme, scheme) not in g:
            problems.append(f"top concept {c} is not inScheme the scheme")
        if (c, SKOS.broader, None) in g:
            problems.append(f"top concept {c} has a broader concept")
    for c in sorted(concepts(g, scheme)):
        if (c, SKOS.broader, None) not in g and c not in declared:
            problems.append(f"{c} has no broader concept but is not a top concept")
    if not declared:
        problems.append(f"{scheme} has no top concepts")
    return problems


def works(g: Graph) -> set[URIRef]:
    return {w for t in WORK_TYPES for w in g.subjects(RDF.type, t) if isinstance(w, URIRef)}


def untagged_works(g: Graph, scheme: URIRef = SCHEME) -> list[URIRef]:
    """Works without a dcterms:subject in the technique scheme."""
    members = concepts(g, scheme)
    return sorted(w for w in works(g) if not set(g.objects(w, DCTERMS.subject)) & members)


def classification_problems(classified: Graph, rest: Graph,
                            scheme: URIRef = SCHEME) -> list[str]:
    """Each subject of the classification is a work described elsewhere, with 1-4 subjects,
    all of them concepts of the technique scheme."""
    problems = []
    known_works = works(rest)
    members = concepts(rest, scheme) | concepts(classified, scheme)
    for s in sorted(set(terms(classified.subjects()))):
        if s not in known_works:
            problems.append(f"{s} is classified but is not a work in the rest of the data")
        subjects = set(classified.objects(s, DCTERMS.subject))
        if not 1 <= len(subjects) <= 4:
            problems.append(f"{s} has {len(subjects)} subjects (expected 1 to 4)")
        problems += [f"{s} subject {o} is not a technique" for o in subjects if o not in members]
    return problems


# --- fixtures ---------------------------------------------------------------------------------

def _graph(paths: Iterable[Path]) -> Graph:
    return to_rdflib(read_sources(list(paths)).triples)


@pytest.fixture(scope="module")
def data() -> Graph:
    return _graph([DATA])


@pytest.fixture(scope="module")
def classified() -> Graph:
    return _graph([CLASSIFICATION])


@pytest.fixture(scope="module")
def rest() -> Graph:
    return _graph(p for p in sorted(DATA.glob("*.ttl")) if p.name != CLASSIFICATION.name)


def _t(slug: str) -> URIRef:
    return URIRef(TECHNIQUE_NS + slug)


def _toy(*links: tuple[str, str], inverse: bool = True) -> Graph:
    """A small valid-looking scheme; ``links`` are (child, parent) slugs."""
    g = Graph()
    slugs = {s for link in links for s in link}
    for s in slugs:
        c = _t(s)
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.inScheme, SCHEME))
        g.add((c, SKOS.prefLabel, Literal(s, lang="en")))
        g.add((c, SKOS.definition, Literal(f"About {s}.", lang="en")))
    for child, parent in links:
        g.add((_t(child), SKOS.broader, _t(parent)))
        if inverse:
            g.add((_t(parent), SKOS.narrower, _t(child)))
    for s in slugs:
        if (_t(s), SKOS.broader, None) not in g:
            g.add((_t(s), SKOS.topConceptOf, SCHEME))
            g.add((SCHEME, SKOS.hasTopConcept, _t(s)))
    return g


# --- tests on the real data ---------------------------------------------------------------------

def test_scheme_is_described(data: Graph) -> None:
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in data
    for prop in (DCTERMS.title, SKOS.prefLabel, DCTERMS.description):
        assert list(data.objects(SCHEME, prop)), f"scheme lacks {prop}"


def test_enough_concepts_with_labels_and_definitions(data: Graph) -> None:
    assert len(concepts(data)) >= MIN_CONCEPTS
    assert label_problems(data) == []


def test_broader_and_narrower_are_inverses(data: Graph) -> None:
    assert inverse_problems(data) == []


def test_links_stay_in_the_scheme(data: Graph) -> None:
    assert scheme_problems(data) == []


def test_no_cycles_and_shallow(data: Graph) -> None:
    assert find_cycles(data) == []
    assert depth_problems(data) == []


def test_top_concepts_consistent(data: Graph) -> None:
    assert top_concept_problems(data) == []


def test_every_work_has_a_technique(data: Graph) -> None:
    assert works(data), "no works (schema:ScholarlyArticle / schema:BlogPosting) in data/"
    assert untagged_works(data) == []


def test_classification_names_known_works(classified: Graph, rest: Graph) -> None:
    assert len(set(classified.subjects())) >= 1
    assert classification_problems(classified, rest) == []


# --- the checks catch what they should ------------------------------------------------------

def test_label_check_catches_problems() -> None:
    g = _toy(("b", "a"))
    g.remove((_t("a"), SKOS.definition, None))
    g.add((_t("b"), SKOS.prefLabel, Literal("second", lang="en")))
    g.add((_t("c"), SKOS.inScheme, SCHEME))
    g.add((_t("c"), RDF.type, SKOS.Concept))
    g.add((_t("c"), SKOS.prefLabel, Literal("Not C")))  # no language, wrong slug
    g.add((_t("c"), SKOS.definition, Literal("C.", lang="en")))
    g.add((_t("c"), SKOS.altLabel, Literal("not c", lang="en")))
    found = "\n".join(label_problems(g))
    assert f"{_t('a')}: 0 skos:definition" in found
    assert f"{_t('b')}: 2 skos:prefLabel" in found
    assert f"{_t('c')}: 1 skos:prefLabel (0 English)" in found
    assert f"{_t('c')}: IRI is not technique/not-c" in found
    assert f"{_t('c')}: altLabel repeats" in found
    assert label_problems(_toy(("b", "a"))) == []


def test_inverse_check_catches_one_sided_links() -> None:
    assert inverse_problems(_toy(("b", "a"))) == []
    g = _toy(("b", "a"), inverse=False)
    g.add((_t("a"), SKOS.narrower, _t("c")))
    found = inverse_problems(g)
    assert len(found) == 2
    assert any("without the narrower link" in p for p in found)
    assert any("without the broader link" in p for p in found)


def test_scheme_check_catches_links_out_of_the_scheme() -> None:
    g = _toy(("b", "a"))
    g.add((_t("b"), SKOS.broader, _t("elsewhere")))
    assert scheme_problems(g) == [
        f"{_t('b')} skos:broader {_t('elsewhere')}, which is not in {SCHEME}"]


def test_cycle_detector_finds_cycles() -> None:
    assert find_cycles(_toy(("b", "a"), ("c", "b"), ("d", "a"))) == []
    cycles = find_cycles(_toy(("b", "a"), ("c", "b"), ("a", "c")))
    assert len(cycles) == 1
    assert set(cycles[0]) == {_t("a"), _t("b"), _t("c")}
    assert cycles[0][0] == cycles[0][-1]
    assert find_cycles(_toy(("a", "a"))) == [[_t("a"), _t("a")]]


def test_depth_check_finds_deep_concepts() -> None:
    assert depth_problems(_toy(("b", "a"), ("c", "b"))) == []
    assert depth_problems(_toy(("b", "a"), ("c", "b"), ("d", "c"))) == [f"{_t('d')} is at depth 4"]


def test_top_concept_check_catches_mismatches() -> None:
    assert top_concept_problems(_toy(("b", "a"))) == []
    g = _toy(("b", "a"), ("d", "c"))
    g.remove((SCHEME, SKOS.hasTopConcept, _t("a")))      # only topConceptOf
    g.remove((_t("c"), SKOS.topConceptOf, SCHEME))       # only hasTopConcept
    g.add((_t("b"), SKOS.topConceptOf, SCHEME))          # has a broader
    g.add((SCHEME, SKOS.hasTopConcept, _t("b")))
    found = "\n".join(top_concept_problems(g))
    assert f"{_t('a')} topConceptOf the scheme, not in its hasTopConcept" in found
    assert f"{_t('c')} in hasTopConcept, without topConceptOf" in found
    assert f"top concept {_t('b')} has a broader concept" in found
    g2 = _toy(("b", "a"))
    g2.remove((_t("a"), SKOS.topConceptOf, SCHEME))
    g2.remove((SCHEME, SKOS.hasTopConcept, _t("a")))
    assert f"{_t('a')} has no broader concept but is not a top concept" in top_concept_problems(g2)


def test_untagged_work_is_reported() -> None:
    g = _toy(("b", "a"))
    tagged = URIRef(f"{CANONICAL_BASE_IRI}paper/tagged")
    untagged = URIRef(f"{CANONICAL_BASE_IRI}paper/untagged")
    post = URIRef(f"{CANONICAL_BASE_IRI}paper/post")
    g.add((tagged, RDF.type, WORK_TYPES[0]))
    g.add((tagged, DCTERMS.subject, _t("b")))
    g.add((untagged, RDF.type, WORK_TYPES[0]))
    g.add((untagged, DCTERMS.subject, URIRef("https://example.org/not-a-technique")))
    g.add((post, RDF.type, WORK_TYPES[1]))
    assert untagged_works(g) == [post, untagged]


def test_classification_of_unknown_work_is_reported() -> None:
    rest = _toy(("b", "a"))
    known = URIRef(f"{CANONICAL_BASE_IRI}paper/known")
    ghost = URIRef(f"{CANONICAL_BASE_IRI}paper/ghost")
    rest.add((known, RDF.type, WORK_TYPES[1]))
    classified = Graph()
    classified.add((known, DCTERMS.subject, _t("b")))
    assert classification_problems(classified, rest) == []
    classified.add((ghost, DCTERMS.subject, _t("nope")))
    found = classification_problems(classified, rest)
    assert f"{ghost} is classified but is not a work in the rest of the data" in found
    assert f"{ghost} subject {_t('nope')} is not a technique" in found
    for n in range(5):
        classified.add((known, DCTERMS.subject, _t(f"x{n}")))
    assert f"{known} has 6 subjects (expected 1 to 4)" in classification_problems(classified, rest)
