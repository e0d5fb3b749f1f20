"""The reading-list importer (src/caikg/importer.py): parsing, merging, stability, safety.

Every import runs against a temporary copy of ``data/``; the repository is never modified.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, SKOS

from caikg.config import Settings
from caikg.importer.markdown import identifiers_from_url, parse_list, parse_venue_line
from caikg.importer.people import PeopleIndex, name_variant
from caikg.importer.reading_list import ListImportError, import_list
from caikg.importer.turtle import serialize_turtle
from caikg.rdf.namespaces import BIBO, CAIKG, FABIO, SCHEMA
from caikg.rdf.sources import read_sources, to_rdflib
from tests.helpers.project import REPO, TESTS

XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")

LISTS = TESTS / "fixtures" / "lists"
SEED_LIST = LISTS / "compound-ai-survey.md"
NEWER_LIST = LISTS / "compound-ai-survey-v2.md"
MALFORMED_LIST = LISTS / "malformed.md"
LIST_ID = "compound-ai-survey"
BASE = "https://w3id.org/caikg/"


def paper(slug: str) -> URIRef:
    return URIRef(f"{BASE}paper/{slug}")


def person(slug: str) -> URIRef:
    return URIRef(f"{BASE}person/{slug}")


def venue(slug: str) -> URIRef:
    return URIRef(f"{BASE}venue/{slug}")


def section(slug: str, list_id: str = LIST_ID) -> URIRef:
    return URIRef(f"{BASE}section/{list_id}/{slug}")


def make_data_dir(root: Path, *, with_survey: bool = False) -> Path:
    """A data directory holding the curated venues (and optionally the shipped survey)."""
    data = root / "data"
    data.mkdir(parents=True)
    shutil.copy(REPO / "data" / "venues.ttl", data / "venues.ttl")
    if with_survey:
        shutil.copy(REPO / "data" / "survey.ttl", data / "survey.ttl")
    return data


def settings_for(data: Path, ontology: Path = REPO / "ontology") -> Settings:
    return Settings(home=data.parent / "home", data_dir=data, ontology_dir=ontology)


def load(path: Path) -> Graph:
    return to_rdflib(read_sources([path]).triples)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed list imported (with SHACL validation) into a data dir with only venues.ttl."""
    data = make_data_dir(tmp_path_factory.mktemp("seeded"))
    report = import_list(SEED_LIST, settings_for(data), list_id=LIST_ID)
    assert report.written and not report.skipped
    return data / "survey.ttl"


@pytest.fixture(scope="module")
def seeded_graph(seeded: Path) -> Graph:
    return load(seeded)


# --- parsing ---------------------------------------------------------------------------------


def test_parse_seed_entries_and_sections() -> None:
    parsed = parse_list(SEED_LIST)
    assert parsed.title == "Survey of Systems & Infrastructure for Compound AI"
    assert parsed.problems == []
    assert len(parsed.entries) == 42
    assert [(s.notation, s.heading, s.level) for s in parsed.sections] == [
        ("1", "Position Papers / Broadly Applicable Papers", 2),
        ("2", "Papers", 2),
        ("2.1", "Scheduling and Orchestration", 3),
        ("2.2", "Caching", 3),
        ("2.3", "Compression", 3),
        ("3", "Case Studies", 2),
        ("4", "Surveys", 2),
    ]
    papers = parsed.sections[1]
    assert all(parsed.sections[i].parent == 1 for i in (2, 3, 4))
    assert papers.parent is None
    counts = [sum(e.section == i for e in parsed.entries) for i in range(7)]
    assert counts == [1, 6, 7, 15, 4, 6, 3]
    kinds = [e.kind for e in parsed.entries]
    assert kinds.count("blog") == 1 and kinds.count("review") == 3
    notes = [e.venue.note for e in parsed.entries if e.venue is not None]
    assert notes.count("in review") == 5 and notes.count("in submission") == 1
    metagpt = parsed.entries[1]
    assert metagpt.authors[-1] == "Jürgen Schmidhuber" and len(metagpt.authors) == 15


def test_parse_the_original_seed_when_available() -> None:
    seed = REPO.parent / "shared" / "seed" / "compound-ai-survey.md"
    if not seed.exists():
        pytest.skip("the original seed list is not available")
    parsed = parse_list(seed)
    fixture = parse_list(SEED_LIST)
    assert parsed.problems == []
    strip = [(e.title, e.url, e.authors, e.venue and e.venue.text) for e in parsed.entries]
    assert strip == [(e.title, e.url, e.authors, e.venue and e.venue.text)
                     for e in fixture.entries]


def test_identifiers_from_links() -> None:
    assert identifiers_from_url("https://arxiv.org/abs/2407.16831") == {"arxiv": "2407.16831"}
    assert identifiers_from_url("https://arxiv.org/abs/2407.16831v3") == {"arxiv": "2407.16831"}
    assert identifiers_from_url("https://arxiv.org/pdf/2407.16831v2.pdf") == {
        "arxiv": "2407.16831"}
    assert identifiers_from_url("https://openreview.net/forum?id=VtmBAGCN7o") == {
        "openreview": "VtmBAGCN7o"}
    assert identifiers_from_url("https://dl.acm.org/doi/abs/10.1145/3642970.3655844") == {
        "doi": "10.1145/3642970.3655844"}
    assert identifiers_from_url("https://dl.acm.org/doi/10.1145/3642970.3655844") == {
        "doi": "10.1145/3642970.3655844"}
    assert identifiers_from_url("https://doi.org/10.1145/3642970.3655844") == {
        "doi": "10.1145/3642970.3655844"}
    assert identifiers_from_url("https://bingyangwu.github.io/publication/dlora/") == {}


def test_venue_lines() -> None:
    line = parse_venue_line("ICLR 2025 (in review)")
    assert not isinstance(line, str)
    assert (line.venue, line.year, line.note) == ("ICLR", 2025, "in review")
    line = parse_venue_line("Transactions on Software Engineering and Methodology 2024")
    assert not isinstance(line, str) and line.venue.startswith("Transactions")
    assert isinstance(parse_venue_line("OSDI"), str)
    assert "1949" in str(parse_venue_line("OSDI 1949"))
    assert "unknown note" in str(parse_venue_line("ICLR 2025 (accepted)"))


# --- people ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("Joseph Gonzalez", "Joseph E. Gonzalez"),
    ("Joseph E. Gonzalez", "Joseph Edward Gonzalez"),
    ("Jared Q. Davis", "Jared Quincy Davis"),
    ("Peter Bailis", "Peter D. Bailis"),
    ("joseph gonzalez", "Joseph E Gonzalez"),
])
def test_name_variants(a: str, b: str) -> None:
    assert name_variant(a, b) and name_variant(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("Zhang Cao", "Zhichao Cao"),
    ("Chris Lu", "Cong Lu"),
    ("Chen Yang", "Cheng Yang"),
    ("Yue Liu", "Yuhan Liu"),
    ("Yue Liu", "Yang Liu"),
    ("Joseph E. Gonzalez", "Joseph F. Gonzalez"),
    ("Joseph Gonzalez", "Joseph Gonzalez"),  # identical: an exact match, not a variant
    ("Z. Morley Mao", "Zhuoqing Morley Mao"),  # a different (abbreviated) first given name
    ("Madonna", "Madonna"),
])
def test_not_name_variants(a: str, b: str) -> None:
    assert not name_variant(a, b)


def _index_with(papers: dict[str, list[str]]) -> PeopleIndex:
    index = PeopleIndex()
    for work, names in papers.items():
        keys = []
        for name in names:
            iri = f"{BASE}person/{name.lower().replace(' ', '-').replace('.', '')}"
            if iri not in index.people:
                index.add_existing(iri, name)
            keys.append(iri)
        index.add_work(work, keys)
    return index


def test_variant_with_shared_coauthor_is_merged() -> None:
    index = _index_with({"p1": ["Ying Sheng", "Joseph Gonzalez", "Ion Stoica"]})
    res = index.resolve(["Ying Sheng", "Joseph E. Gonzalez", "Ce Zhang"])
    assert [r.how for r in res] == ["exact", "variant", "new"]
    assert res[1].key == f"{BASE}person/joseph-gonzalez"
    assert "Joseph E. Gonzalez" in index.people[res[1].key].new_forms


def test_lookalike_without_shared_coauthor_is_not_merged() -> None:
    index = _index_with({"p1": ["Ying Sheng", "Joseph Gonzalez"]})
    res = index.resolve(["Joseph E. Gonzalez", "Somebody Else"])
    assert res[0].how == "lookalike" and res[0].key.startswith("new:")
    assert res[0].note and "possible same person, not merged" in res[0].note


def test_different_given_names_are_never_merged() -> None:
    index = _index_with({"p1": ["Zhang Cao", "Jie Peng", "Chris Lu", "Yue Liu"]})
    res = index.resolve(["Jie Peng", "Zhichao Cao", "Cong Lu", "Yuhan Liu"])
    assert [r.how for r in res] == ["exact", "new", "new", "new"]


def test_exact_name_is_case_and_space_insensitive() -> None:
    index = _index_with({"p1": ["Ion Stoica"]})
    assert index.resolve(["ion  STOICA"])[0].how == "exact"


def test_two_existing_people_with_one_name_is_ambiguous() -> None:
    index = PeopleIndex()
    index.add_existing(f"{BASE}person/wei-lin", "Wei Lin")
    index.add_existing(f"{BASE}person/wei-lin-2", "Wei Lin")
    res = index.resolve(["Wei Lin"])
    assert res[0].how == "ambiguous" and res[0].key.startswith("new:")


# --- the shipped data ------------------------------------------------------------------------


def test_seed_import_matches_shipped_survey(seeded_graph: Graph) -> None:
    shipped = load(REPO / "data" / "survey.ttl")
    assert isomorphic(seeded_graph, shipped)


def test_seed_import_content(seeded_graph: Graph) -> None:
    g = seeded_graph
    works = set(g.subjects(CAIKG.section, None))
    assert len(works) == 42
    assert set(g.subjects(RDF.type, SCHEMA.BlogPosting)) == {
        paper("the-shift-from-models-to-compound")}
    blog = paper("the-shift-from-models-to-compound")
    assert g.value(blog, DCTERMS.issued) == Literal("2024-02-18", datatype=XSD_DATE)
    assert g.value(blog, CAIKG.venue) == venue("bair-blog")
    assert len(set(g.subjects(RDF.type, FABIO.ReviewArticle))) == 3
    gonzalez = person("joseph-e-gonzalez")
    assert g.value(gonzalez, SCHEMA.name) == Literal("Joseph E. Gonzalez")
    assert set(g.objects(gonzalez, SCHEMA.alternateName)) == {Literal("Joseph Gonzalez")}
    assert (paper("slora"), SCHEMA.author, gonzalez) in g
    assert (paper("flexgen"), SCHEMA.author, gonzalez) in g
    assert not list(g.subjects(SCHEMA.name, Literal("Joseph Gonzalez")))
    assert len(set(g.subjects(RDF.type, SCHEMA.Person))) == 242
    # authors in order, with the printed form
    first = URIRef(f"{paper('metagpt')}#author-1")
    last = URIRef(f"{paper('metagpt')}#author-15")
    assert g.value(first, CAIKG.statedName) == Literal("Sirui Hong")
    assert g.value(last, CAIKG.statedName) == Literal("Jürgen Schmidhuber")
    assert g.value(last, CAIKG.ordinal) == Literal("15", datatype=XSD_INTEGER)
    slora_11 = URIRef(f"{paper('slora')}#author-11")
    assert g.value(slora_11, CAIKG.statedName) == Literal("Joseph Gonzalez")
    # identifiers and statuses
    assert g.value(paper("metagpt"), CAIKG.openReviewId) == Literal("VtmBAGCN7o")
    assert g.value(paper("alto"), BIBO.doi) == Literal("10.1145/3642970.3655844")
    assert len(set(g.subjects(CAIKG.arxivId, None))) == 28
    under_review = set(g.subjects(BIBO.status, CAIKG.UnderReview))
    in_submission = set(g.subjects(BIBO.status, CAIKG.InSubmission))
    assert len(under_review) == 5 and len(in_submission) == 1
    for work in under_review | in_submission:
        assert g.value(work, CAIKG.venue) == venue("iclr-2025")
        assert g.value(work, SCHEMA.author) is None
    assert g.value(paper("networks-of-networks"), CAIKG.venue) == venue("arxiv")
    assert g.value(paper("networks-of-networks"), BIBO.status) == CAIKG.Preprint
    tosem = paper("large-language-models-for-software-engineering")
    assert g.value(tosem, CAIKG.venue) == venue("tosem-2024")
    assert g.value(venue("tosem-2024"), DCTERMS.isPartOf) == venue("tosem")
    # sections
    assert g.value(paper("dlora"), CAIKG.section) == section("scheduling-and-orchestration")
    assert g.value(section("caching"), SKOS.broader) == section("papers")
    assert g.value(section("caching"), SKOS.notation) == Literal("2.2")
    assert (URIRef(f"{BASE}scheme/{LIST_ID}"), SKOS.hasTopConcept, section("surveys")) in g


# --- re-import, newer list, stability --------------------------------------------------------


def test_reimport_changes_nothing(seeded: Path, tmp_path: Path) -> None:
    data = make_data_dir(tmp_path)
    target = data / "survey.ttl"
    shutil.copy2(seeded, target)
    before = (target.read_bytes(), target.stat().st_mtime_ns)
    report = import_list(SEED_LIST, settings_for(data))  # list id found by the list's title
    assert report.list_id == LIST_ID
    assert report.added == 0 and report.triples_added == 0 and not report.written
    assert len(report.already_present) == 42
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    assert "Nothing to add" in report.to_text()


def test_newer_list_adds_exactly_the_new_entries(seeded: Path, tmp_path: Path) -> None:
    data = make_data_dir(tmp_path)
    target = data / "survey.ttl"
    shutil.copy2(seeded, target)
    before = load(target)
    report = import_list(NEWER_LIST, settings_for(data))
    assert report.list_id == LIST_ID and report.written and not report.skipped
    assert [w for w, _ in report.works] == [str(paper("fixture-scheduler")),
                                            str(paper("a-made-up-survey-entry-for-testing"))]
    assert {name for _, name in report.people} == {"Ada Example", "Grace Example",
                                                  "Matei K. Zaharia"}
    assert report.venues == [(str(venue("osdi-2025")), "OSDI 2025")]
    assert report.sections == [] and report.schemes == []
    assert report.alternate_names == [(str(person("peter-bailis")), "Peter D. Bailis")]
    text = report.to_text()
    assert "possible same person, not merged" in text and "Matei K. Zaharia" in text
    after = load(target)
    added = after - before
    assert not (before - after)
    subjects = {str(s).split("#")[0] for s in added.subjects()}
    assert subjects == {str(paper("fixture-scheduler")),
                        str(paper("a-made-up-survey-entry-for-testing")),
                        str(person("ada-example")), str(person("grace-example")),
                        str(person("matei-k-zaharia")), str(person("peter-bailis")),
                        str(venue("osdi-2025"))}
    # the existing person is linked, with the new printed form as an alternate name
    new = paper("fixture-scheduler")
    assert (new, SCHEMA.author, person("peter-bailis")) in after
    assert (new, SCHEMA.author, person("ion-stoica")) in after
    assert (person("peter-bailis"), SCHEMA.name, Literal("Peter Bailis")) in after
    assert (person("peter-bailis"), SCHEMA.alternateName, Literal("Peter D. Bailis")) in after
    assert after.value(new, CAIKG.section) == section("scheduling-and-orchestration")
    # the look-alike is a new person, not merged into the existing one
    survey = paper("a-made-up-survey-entry-for-testing")
    assert (survey, SCHEMA.author, person("matei-k-zaharia")) in after
    assert (survey, SCHEMA.author, person("matei-zaharia")) not in after
    assert (survey, RDF.type, FABIO.ReviewArticle) in after
    # importing the newer list again changes nothing
    again = import_list(NEWER_LIST, settings_for(data))
    assert again.triples_added == 0 and not again.written


def test_stable_iris_and_bytes(seeded: Path, tmp_path: Path) -> None:
    data = make_data_dir(tmp_path)
    report = import_list(SEED_LIST, settings_for(data), list_id=LIST_ID, validate=False)
    assert report.written
    assert (data / "survey.ttl").read_bytes() == seeded.read_bytes()
    assert serialize_turtle(load(seeded), "") == serialize_turtle(load(seeded), "")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path)
    report = import_list(SEED_LIST, settings_for(data), list_id=LIST_ID, dry_run=True,
                         validate=False)
    assert len(report.works) == 42 and not report.written
    assert not (data / "survey.ttl").exists()


# --- malformed lists and safety --------------------------------------------------------------


def test_malformed_entries_are_reported_and_skipped(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path)
    report = import_list(MALFORMED_LIST, settings_for(data))
    got = {(p.line, p.message.split(":")[0].split(";")[0]) for p in report.skipped}
    assert {line for line, _ in got} == {11, 15, 19, 23, 27, 31, 34, 36, 46, 49, 55}
    messages = {line: msg for line, msg in got}
    assert messages[11].startswith("malformed link line")
    assert messages[15].startswith("URL is not http(s)")
    assert messages[19].startswith("the link has an empty title")
    assert messages[23].startswith("author line has no venue line")
    assert messages[27].startswith("venue line has no 4-digit year")
    assert messages[31].startswith("year 1949 is outside")
    assert messages[34].startswith("unknown note")
    assert messages[36].startswith("line is neither a heading nor part of an entry")
    assert messages[46].startswith("entry has no venue line")
    assert messages[49].startswith("author line has an empty name")
    assert messages[55].startswith("unexpected line after the venue line")
    assert all(str(p).startswith(f"{MALFORMED_LIST}:{p.line}: ") for p in report.skipped)
    assert f"{MALFORMED_LIST}:27:" in report.to_text()
    # the good entries are imported, nothing of the broken ones
    g = load(data / "survey.ttl")
    titles = {str(t) for t in g.objects(None, DCTERMS.title)}
    assert titles == {"Good Paper One: Imported Despite Its Neighbours", "Good Paper Two",
                      "A Dated Blog Post", "A Reading List With Broken Entries"}
    names = {str(n) for n in g.objects(None, SCHEMA.name)}
    assert names == {"Alice Example", "Bob Example", "Ivan Example", "Some New Workshop",
                     "Some New Workshop 2023", "OSDI 2024"}
    text = (data / "survey.ttl").read_text(encoding="utf-8")
    for broken in ("Carol", "Dan Example", "Eve Example", "Frank", "Grace", "Heidi", "Judy",
                   "Mallory", "Niaj", "example.org/bare", "example.org/note", "1949",
                   "empty-title", "no-venue", "no-year", "too-many", "paper.pdf"):
        assert broken not in text
    good_one = paper("good-paper-one")
    assert g.value(good_one, CAIKG.arxivId) == Literal("2407.16831")
    assert g.value(good_one, SCHEMA.url) == URIRef("https://arxiv.org/abs/2407.16831v2")
    assert g.value(paper("good-paper-two"), BIBO.doi) == Literal("10.1145/3642970.3655844")
    assert g.value(paper("good-paper-two"), CAIKG.venue) == venue("some-new-workshop-2023")
    assert g.value(paper("good-paper-two"), CAIKG.section) == section(
        "a-subsection", "malformed")
    blog = paper("a-dated-blog-post")
    assert (blog, RDF.type, SCHEMA.BlogPosting) in g
    assert g.value(blog, DCTERMS.issued) == Literal("2023-05-17", datatype=XSD_DATE)
    assert g.value(blog, CAIKG.venue) is None  # example.org is not a known blog host


STRICT_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix ex: <https://example.org/shapes#> .

ex:PersonNeedsEmail a sh:NodeShape ;
    sh:targetClass schema:Person ;
    sh:property [ sh:path schema:email ; sh:minCount 1 ; sh:severity sh:Violation ] .
"""


def test_violation_writes_nothing(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "a")
    ontology = tmp_path / "ontology"
    ontology.mkdir()
    (ontology / "shapes.ttl").write_text(STRICT_SHAPES, encoding="utf-8")
    with pytest.raises(ListImportError) as info:
        import_list(MALFORMED_LIST, settings_for(data, ontology))
    assert "nothing written" in str(info.value) and "Violation" in str(info.value)
    assert info.value.validation is not None and not info.value.validation.conforms
    assert not (data / "survey.ttl").exists()
    assert sorted(p.name for p in data.iterdir()) == ["venues.ttl"]


def test_violation_leaves_an_existing_target_untouched(seeded: Path, tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "a")
    target = data / "survey.ttl"
    shutil.copy2(seeded, target)
    before = (target.read_bytes(), target.stat().st_mtime_ns)
    ontology = tmp_path / "ontology"
    ontology.mkdir()
    (ontology / "shapes.ttl").write_text(STRICT_SHAPES, encoding="utf-8")
    with pytest.raises(ListImportError):
        import_list(NEWER_LIST, settings_for(data, ontology))
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    assert sorted(p.name for p in data.iterdir()) == ["survey.ttl", "venues.ttl"]
