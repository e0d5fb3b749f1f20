"""The rules of the literature enrichment, without a server: which record is the same work,
what is drift, what a literature graph may hold, which sources ``--source`` names."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from caikg.build import literature_graph as lg
from caikg.enrich import literature
from caikg.enrich.enricher import Curated, Work
from caikg.enrich.run import parse_sources
from caikg.enrich.sources.base import (
    AuthorRecord,
    Decision,
    Institution,
    Lookup,
    ReferencedWork,
    SourceRecord,
)
from caikg.rdf.namespaces import Instances

BASE = "https://w3id.org/caikg/"
PAPER = BASE + "paper/"
STATUS = "https://w3id.org/caikg/ontology#"


def work(slug: str = "alpha", **kw: str | None) -> Work:
    fields: dict[str, str | None] = {"title": "Serving many adapters at once on one GPU",
                                     "year": "2024", "status": STATUS + "Preprint",
                                     "arxiv": "2401.00001"}
    fields.update(kw)
    return Work(PAPER + slug, True, fields["title"] or "", fields["year"], fields["arxiv"],
                fields.get("doi"), fields.get("openreview"), None, fields["status"])


def record(w: Work, source: str = "openalex", **kw: object) -> SourceRecord:
    r = SourceRecord(source, Lookup(w.iri, w.doi, w.arxiv, w.openreview), "https://x/W1",
                     "https://x/W1", title=w.title, year=2024)
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def curated(*works: Work, names: dict[str, set[str]] | None = None) -> Curated:
    authors = {w.iri: {1: BASE + "person/ada", 2: BASE + "person/bo"} for w in works}
    return Curated(list(works), authors, names or {BASE + "person/ada": {"Ada Lovelace"},
                                                   BASE + "person/bo": {"Bo Li"}},
                   {}, {}, {w.iri for w in works} | {BASE + "person/ada", BASE + "person/bo"})


# -- the same work ---------------------------------------------------------------------------
@pytest.mark.parametrize(("theirs", "same"), [
    ("Serving Many Adapters at Once on One GPU", True),  # case
    ("Serving many adapters at once on one GPU: a study", True),  # a subtitle added
    ("Quantum error correction with surface codes", False),  # another paper
    (None, True),  # nothing to contradict the identifier
])
def test_same_work_by_title_words(theirs: str | None, same: bool) -> None:
    assert literature.same_work("Serving many adapters at once on one GPU", theirs) is same


def test_a_record_of_another_work_is_drift_and_nothing_else() -> None:
    w = work(doi="10.1/alpha")
    r = record(w, title="Quantum error correction with surface codes", doi="10.1/alpha")
    found = literature.drift_of(w, r, "data/survey.ttl")
    assert [d.property for d in found] == ["identifier"]
    assert "DOI 10.1/alpha" in found[0].curated
    assert "nothing from this record was linked" in found[0].suggestion


# -- drift -----------------------------------------------------------------------------------
def test_a_published_preprint_is_drift_with_a_suggested_edit() -> None:
    w = work()
    r = record(w, "crossref", preprint_of=["10.5555/published.1"])
    (d,) = [d for d in literature.drift_of(w, r, "data/survey.ttl")
            if d.property == "bibo:status"]
    assert d.curated == "Preprint" and "10.5555/published.1" in d.found
    assert "caikg:Published" in d.suggestion and '"10.5555/published.1"' in d.suggestion
    assert d.source == "crossref" and d.source_url == r.url


def test_an_arxiv_doi_of_a_journal_version_is_drift() -> None:
    w = work()
    r = record(w, "arxiv", doi="10.1145/1234.5678", journal_ref="Proc. Somewhere 2025")
    props = {d.property for d in literature.drift_of(w, r, "data/x.ttl")}
    assert props == {"bibo:doi", "bibo:status"}


@pytest.mark.parametrize(("outcome", "status", "expected"), [
    ("withdrawn", "Published", True),
    ("withdrawn", "Preprint", False),  # a withdrawn submission of a preprint: still a preprint
    ("accepted-poster", "UnderReview", True),
    ("accepted-poster", "Published", False),
    ("rejected", "UnderReview", True),
    ("under-review", "UnderReview", False),
])
def test_decisions_against_the_curated_status(outcome: str, status: str,
                                              expected: bool) -> None:
    w = work(status=STATUS + status, openreview="abcdEFGH12")
    r = record(w, "openreview", decision=Decision(outcome, "x", "2025-01-22", "ICLR 2025"))
    found = [d for d in literature.drift_of(w, r, "data/x.ttl") if d.property == "bibo:status"]
    assert bool(found) is expected


def test_an_author_whose_name_disagrees_is_drift_and_not_linked() -> None:
    w = work()
    c = curated(w)
    r = record(w, authors=[
        AuthorRecord(1, "A. Lovelace", "0000-0001-2345-6789", [Institution("U", "https://ror.org/0abcdef12")]),
        AuthorRecord(2, "Carla Mendes", "0000-0002-1825-0097"),
    ])
    (d,) = literature.author_drift(w, r, c, "data/x.ttl")
    assert "positions 2 differ" in d.suggestion
    writer = literature.Writer(Instances(BASE))
    literature.record_triples(writer, w, r, c, {}, "2026-12-06")
    agents = {(str(t.subject), str(t.object)) for t in writer.out if t.predicate.value == lg.AGENT}
    assert agents == {(f"<{w.iri}#openalex-author-1>", f"<{BASE}person/ada>")}
    orcids = {str(t.subject) for t in writer.out if t.predicate.value == lg.ORCID}
    assert f"<{BASE}person/ada>" in orcids and f"<{BASE}person/bo>" not in orcids


# -- the triples and their check -------------------------------------------------------------
def test_citations_link_curated_works_and_outside_ones() -> None:
    a, b = work("alpha"), work("beta", arxiv="2402.00002", title="Another title entirely")
    c = curated(a, b)
    r = record(a, references=[
        ReferencedWork("https://openalex.org/W2", doi="10.48550/arxiv.2402.00002"),
        ReferencedWork("https://openalex.org/W9", "An outside classic", 2017, "10.9/classic")])
    ids = literature.id_index(c, [r])
    writer = literature.Writer(Instances(BASE))
    literature.record_triples(writer, a, r, c, ids, "2026-12-06")
    cites = {str(t.object) for t in writer.out
             if t.predicate.value == lg.CITES and str(t.subject) == f"<{a.iri}>"}
    assert cites == {f"<{b.iri}>", f"<{BASE}cited/W9>"}
    keep, stale = lg.check(writer.out, Instances(BASE), "openalex", c.subjects)
    assert len(keep) == len(writer.out) and stale == []


def test_the_check_refuses_foreign_vocabulary_and_drops_stale_works() -> None:
    inst = Instances(BASE)
    ok = ox.Triple(ox.NamedNode(PAPER + "alpha"), ox.NamedNode(lg.CITES),
                   ox.NamedNode(BASE + "cited/W9"))
    gone = ox.Triple(ox.NamedNode(PAPER + "gone#openalex"), ox.NamedNode(lg.DCT_TITLE),
                     ox.Literal("x"))
    keep, stale = lg.check([ok, gone], inst, "openalex", {PAPER + "alpha"})
    assert keep == [ok] and stale == [PAPER + "gone"]
    bad = ox.Triple(ox.NamedNode(PAPER + "alpha"), ox.NamedNode("http://purl.org/dc/terms/title"),
                    ox.Literal("a curated fact restated"))
    with pytest.raises(lg.LiteratureError, match="may not be stated of the curated"):
        lg.check([bad], inst, "openalex", {PAPER + "alpha"})
    orcid = ox.Triple(ox.NamedNode(BASE + "person/ada"), ox.NamedNode(lg.ORCID),
                      ox.Literal("not-an-orcid"))
    with pytest.raises(lg.LiteratureError, match="malformed ORCID"):
        lg.check([orcid], inst, "openalex", {BASE + "person/ada"})


def test_the_file_form_is_deterministic() -> None:
    a = work()
    r = record(a, abstract="Words of our own.", cited_by_count=3, counts_by_year={2025: 2})
    c = curated(a)
    one, two = literature.Writer(Instances(BASE)), literature.Writer(Instances(BASE))
    literature.record_triples(one, a, r, c, {}, "2026-12-06")
    literature.record_triples(two, a, r, c, {}, "2026-12-06")
    assert lg.serialize(reversed(one.out), "openalex") == lg.serialize(two.out, "openalex")


def test_sources_are_parsed_and_unknown_ones_named() -> None:
    assert parse_sources(None) == ["wikidata", "openalex", "crossref", "openreview", "arxiv"]
    assert parse_sources("arxiv, OpenAlex") == ["openalex", "arxiv"]
    with pytest.raises(ValueError, match="semantic-scholar"):
        parse_sources("openalex,semantic-scholar")
