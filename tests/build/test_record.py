"""The curated record (src/caikg/record.py): record files, how they are merged with a reading
list, and what reaches the store: every fact with its source, the list's replaced facts as
history, and ``caikg import-list`` never touching either."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from caikg.build.pipeline import BuildError, build
from caikg.build.record import compose, read_curated, read_record, record_files
from caikg.importer.reading_list import import_list
from caikg.rdf.namespaces import Instances
from caikg.rdf.sources import SourceError, SourceSet, read_sources
from caikg.store.embedded import EmbeddedStore
from tests.helpers.project import REPO, SEED, make_settings

PREFIXES = """\
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix caikg: <https://w3id.org/caikg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix paper: <https://w3id.org/caikg/paper/> .
@prefix person: <https://w3id.org/caikg/person/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix record: <https://w3id.org/caikg/record/> .
@prefix schema: <https://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix venue: <https://w3id.org/caikg/venue/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

LIST = PREFIXES + """
<https://w3id.org/caikg/scheme/l> a skos:ConceptScheme ; dcterms:title "L" .
<https://w3id.org/caikg/section/l/s> skos:inScheme <https://w3id.org/caikg/scheme/l> .
paper:p a schema:ScholarlyArticle , fabio:ResearchPaper ;
    dcterms:title "Old Title" ;
    bibo:status caikg:UnderReview ;
    caikg:venue venue:iclr-2025 ;
    caikg:section <https://w3id.org/caikg/section/l/s> ;
    schema:author person:a ;
    prov:qualifiedAttribution <https://w3id.org/caikg/paper/p#author-1> .
<https://w3id.org/caikg/paper/p#author-1> a caikg:Authorship ;
    prov:agent person:a ; caikg:ordinal 1 ; caikg:statedName "A" .
"""

RECORD = PREFIXES + """
record:p--page a caikg:SourceRecord ;
    prov:wasDerivedFrom <https://example.org/p> ;
    caikg:checkedOn "2026-12-05"^^xsd:date ;
    dcterms:date "2025-01-22"^^xsd:date .
record:p--page {
    paper:p bibo:status caikg:Published ;
        dcterms:title "New Title" ;
        schema:author person:b ;
        prov:qualifiedAttribution <https://w3id.org/caikg/paper/p#author-1> .
    <https://w3id.org/caikg/paper/p#author-1> a caikg:Authorship ;
        prov:agent person:b ; caikg:ordinal 1 ; caikg:statedName "B" .
}
"""

CAIKG = "https://w3id.org/caikg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def composed(tmp_path: Path, listed: str = LIST, record: str = RECORD) -> SourceSet:
    write(tmp_path, "list.ttl", listed)
    write(tmp_path, "record/p.trig", record)
    return read_curated([tmp_path], "https://w3id.org/caikg/")


def as_store(sources: SourceSet) -> ox.Store:
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in sources.triples)
    return store


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(f"PREFIX caikg: <{CAIKG}> PREFIX rdf: <{RDF}> "
                            "PREFIX prov: <http://www.w3.org/ns/prov#> "
                            "PREFIX dcterms: <http://purl.org/dc/terms/> "
                            "PREFIX bibo: <http://purl.org/ontology/bibo/> "
                            "PREFIX schema: <https://schema.org/> "
                            "PREFIX paper: <https://w3id.org/caikg/paper/> "
                            "PREFIX person: <https://w3id.org/caikg/person/> " + query))


# -- reading record files ------------------------------------------------------------------


def test_record_files_are_the_trig_files_of_a_data_folders_record_dir(tmp_path: Path) -> None:
    write(tmp_path, "record/b.trig", RECORD)
    write(tmp_path, "record/a.trig", RECORD)
    write(tmp_path, "record/notes.txt", "not RDF")
    assert [p.name for p in record_files([tmp_path])] == ["a.trig", "b.trig"]
    assert record_files([tmp_path / "record" / "a.trig"]) == []  # a file is not a data folder


def test_a_fact_outside_any_graph_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "r.trig", RECORD + "\npaper:p caikg:arxivId \"2401.00001\" .\n")
    with pytest.raises(SourceError) as info:
        read_record([path])
    assert info.value.path == path
    assert "outside any named graph has no source" in str(info.value)
    assert info.value.line is not None
    assert "paper:p" in path.read_text().splitlines()[info.value.line - 1]


def test_a_source_record_with_two_pages_is_refused(tmp_path: Path) -> None:
    text = RECORD.replace('caikg:checkedOn "2026-12-05"^^xsd:date ;',
                          'caikg:checkedOn "2026-12-05"^^xsd:date ;\n'
                          '    prov:wasDerivedFrom <https://example.org/other> ;')
    path = write(tmp_path, "r.trig", text)
    with pytest.raises(SourceError, match="two values"):
        read_record([path])


def test_a_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "r.trig", RECORD + "\nrecord:x { paper:p caikg:arxivId }\n")
    with pytest.raises(SourceError) as info:
        read_record([path])
    assert info.value.path == path and info.value.line == RECORD.count("\n") + 2


def test_each_fact_keeps_its_graphs_page_and_check_date(tmp_path: Path) -> None:
    record = read_record([write(tmp_path, "r.trig", RECORD)])
    assert len(record.facts) == 8
    for _triple, source in record.facts:
        assert source.page == ox.NamedNode("https://example.org/p")
        assert source.checked == ox.Literal("2026-12-05", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#date"))


# -- merging with the list ---------------------------------------------------------------


def test_record_facts_are_asserted_with_a_sourced_current_statement(tmp_path: Path) -> None:
    store = as_store(composed(tmp_path))
    assert ask(store, "ASK { paper:p bibo:status caikg:Published }")
    assert ask(store, """ASK { ?s a caikg:Statement ; rdf:subject paper:p ;
        rdf:predicate bibo:status ; rdf:object caikg:Published ;
        prov:wasDerivedFrom <https://example.org/p> ;
        caikg:checkedOn "2026-12-05"^^<http://www.w3.org/2001/XMLSchema#date> ;
        dcterms:date "2025-01-22"^^<http://www.w3.org/2001/XMLSchema#date> ;
        caikg:rank caikg:CurrentRank }""")


def test_replaced_list_facts_are_history_not_assertions(tmp_path: Path) -> None:
    store = as_store(composed(tmp_path))
    assert not ask(store, "ASK { paper:p bibo:status caikg:UnderReview }")
    assert ask(store, """ASK { ?s rdf:subject paper:p ; rdf:predicate bibo:status ;
        rdf:object caikg:UnderReview ; caikg:rank caikg:HistoricalRank ;
        prov:wasDerivedFrom <https://w3id.org/caikg/scheme/l> }""")
    # a replaced title stays as another title of the work
    assert ask(store, 'ASK { paper:p dcterms:title "New Title" ; dcterms:alternative "Old Title" }')
    assert not ask(store, 'ASK { paper:p dcterms:title "Old Title" }')
    # the venue was not replaced: it stays, with the list as its source
    assert ask(store, """ASK { paper:p caikg:venue ?v . ?s rdf:subject paper:p ;
        rdf:predicate caikg:venue ; caikg:rank caikg:CurrentRank ;
        prov:wasDerivedFrom <https://w3id.org/caikg/scheme/l> }""")


def test_a_record_author_list_replaces_the_lists_whole(tmp_path: Path) -> None:
    store = as_store(composed(tmp_path))
    assert ask(store, "ASK { paper:p schema:author person:b }")
    assert not ask(store, "ASK { paper:p schema:author person:a }")
    assert not ask(store, "ASK { ?x prov:agent person:a }")
    assert not ask(store, 'ASK { ?x caikg:statedName "A" }')
    assert ask(store, """ASK { ?s rdf:subject paper:p ; rdf:predicate schema:author ;
        rdf:object person:a ; caikg:rank caikg:HistoricalRank }""")


def test_a_decided_submission_refutes_the_lists_under_review(tmp_path: Path) -> None:
    record = PREFIXES + """
record:p--or a caikg:SourceRecord ; prov:wasDerivedFrom <https://openreview.net/forum?id=x> ;
    caikg:checkedOn "2026-12-05"^^xsd:date .
record:p--or {
    paper:p caikg:submission <https://w3id.org/caikg/paper/p#submission-iclr-2025> .
    <https://w3id.org/caikg/paper/p#submission-iclr-2025> a caikg:Submission ;
        caikg:venue venue:iclr-2025 ; caikg:decision caikg:Withdrawn .
}
"""
    store = as_store(composed(tmp_path, record=record))
    assert not ask(store, "ASK { paper:p bibo:status ?any }")
    assert not ask(store, "ASK { paper:p caikg:venue ?any }")
    assert ask(store, """ASK { ?s rdf:subject paper:p ; rdf:predicate caikg:venue ;
        caikg:rank caikg:HistoricalRank }""")
    pending = record.replace("caikg:Withdrawn", "caikg:Pending")
    store = as_store(composed(tmp_path, record=pending))
    assert ask(store, "ASK { paper:p bibo:status caikg:UnderReview }")


def test_composition_is_deterministic_and_idempotent_on_facts(tmp_path: Path) -> None:
    first = set(composed(tmp_path).triples)
    second = set(composed(tmp_path).triples)
    assert first == second


def test_without_a_record_the_list_is_loaded_unchanged(tmp_path: Path) -> None:
    write(tmp_path, "list.ttl", LIST)
    assert set(read_curated([tmp_path], "https://w3id.org/caikg/").triples) == set(
        read_sources([tmp_path]).triples)


def test_statements_of_the_record_are_located_at_their_source_record(tmp_path: Path) -> None:
    composed(tmp_path)
    merged = compose(read_sources([tmp_path / "list.ttl"]),
                     read_record([tmp_path / "record" / "p.trig"]), Instances())
    assert len(merged.subject_lines) == 8  # one statement per fact of the record
    for statement in merged.subject_lines:
        path, line = merged.locate(statement)
        assert path == tmp_path / "record" / "p.trig"
        assert line is not None and "record:p--page" in path.read_text().splitlines()[line - 1]


# -- builds --------------------------------------------------------------------------------


def copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    return data


def test_a_record_graph_without_a_source_page_fails_the_build(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "record" / "parrot.trig"
    text = path.read_text(encoding="utf-8")
    described = text.split("record:parrot--usenix a caikg:SourceRecord ;", 1)
    assert len(described) == 2, "the test expects parrot's USENIX source record"
    head, rest = described
    rest = rest.replace("    prov:wasDerivedFrom <https://www.usenix.org/conference/osdi24/"
                        "presentation/lin-chaofan> ;\n", "", 1)
    path.write_text(head + "record:parrot--usenix a caikg:SourceRecord ;" + rest,
                    encoding="utf-8")
    settings = make_settings(tmp_path / "home", data_dir=data)
    with pytest.raises(BuildError) as info:
        build(settings)
    report = info.value.report
    assert report is not None
    sourceless = [r for r in report.violations if r.path and "wasDerivedFrom" in r.path]
    assert sourceless, report.to_text()
    assert all(str(r.file).endswith("parrot.trig") and r.line for r in sourceless)
    assert not settings.store_link.exists()


def test_the_shipped_record_answers_where_a_fact_comes_from(store: EmbeddedStore) -> None:
    rows = list(store.query("""
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX caikg: <https://w3id.org/caikg/ontology#>
        PREFIX bibo: <http://purl.org/ontology/bibo/>
        SELECT ?source ?checked WHERE {
          ?s rdf:subject <https://w3id.org/caikg/paper/preble> ; rdf:predicate bibo:status ;
             rdf:object caikg:Published ; caikg:rank caikg:CurrentRank ;
             prov:wasDerivedFrom ?source ; caikg:checkedOn ?checked .
        }"""))
    assert {r["source"].value for r in rows} >= {"https://openreview.net/forum?id=meKEKDhdnx"}


def test_import_list_again_changes_nothing_and_the_record_survives(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    settings = make_settings(tmp_path / "home", data_dir=data)
    report = import_list(SEED, settings)
    after = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    assert after == before, "re-importing the seed list changed data files"
    assert report.works == [] and report.people == [] and report.venues == []
    assert len(report.already_present) == 42
    built = build(settings)
    st = EmbeddedStore.open(make_settings(built.store_dir.parent.parent, data_dir=data),  # type: ignore[union-attr]
                            in_memory=True)
    assert st.query("ASK { <https://w3id.org/caikg/paper/preble> "
                    "<http://purl.org/ontology/bibo/status> "
                    "<https://w3id.org/caikg/ontology#Published> }")
