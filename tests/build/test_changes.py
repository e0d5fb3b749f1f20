"""The change log of a build (caikg.build.changes): the comparison on small graphs, the words
it uses, and what real builds record (first build, a changed status, a failed build)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from caikg.build import changes
from caikg.build.changes import ChangeLog, WorkFacts
from caikg.build.pipeline import BuildError, build
from caikg.config import Settings
from caikg.rdf.namespaces import Instances
from caikg.store.base import BuildInfo
from caikg.store.embedded import EmbeddedStore
from tests.conftest import NOWHERE
from tests.helpers.data import data_variant, wait_for_the_next_second
from tests.helpers.project import make_settings
from tests.helpers.store_faults import fill_the_disk_beside_the_build

BASE = "https://w3id.org/caikg/"
PREFIXES = f"""
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix caikg: <https://w3id.org/caikg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <https://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix paper: <{BASE}paper/> .
@prefix person: <{BASE}person/> .
@prefix technique: <{BASE}technique/> .
@prefix venue: <{BASE}venue/> .
"""
ONTOLOGY = PREFIXES + """
caikg:Preprint skos:prefLabel "preprint"@en .
caikg:Published skos:prefLabel "published"@en .
caikg:Withdrawn skos:prefLabel "withdrawn"@en .
caikg:Pending skos:prefLabel "pending"@en .
"""
AUTHORS = """
person:ada a schema:Person ; schema:name "Ada Lovelace" .
person:bob a schema:Person ; schema:name "Bob Kahn" .
"""


def paper(slug: str, title: str, *, status: str = "Preprint", venue: str = "arxiv",
          year: str = "2024", authors: tuple[str, ...] = ("ada",),
          techniques: tuple[str, ...] = ("caching",), decision: str | None = None) -> str:
    lines = [f'paper:{slug} a schema:ScholarlyArticle ; dcterms:title "{title}" ;',
             f"  bibo:status caikg:{status} ; caikg:venue venue:{venue} ;",
             f'  fabio:hasPublicationYear "{year}" ;']
    lines += [f"  dcterms:subject technique:{t} ;" for t in techniques]
    if decision is not None:
        lines.append(f"  caikg:submission <{BASE}paper/{slug}#submission-iclr> ;")
    lines += [f"  prov:qualifiedAttribution <{BASE}paper/{slug}#author-{i}> ;"
              for i in range(1, len(authors) + 1)]
    lines.append("  .")
    for i, person in enumerate(authors, start=1):
        lines.append(f"<{BASE}paper/{slug}#author-{i}> prov:agent person:{person} ; "
                     f"caikg:ordinal {i} .")
    if decision is not None:
        lines.append(f"<{BASE}paper/{slug}#submission-iclr> caikg:venue venue:iclr-2025 ; "
                     f"caikg:decision caikg:{decision} .")
    return "\n".join(lines) + "\n"


VENUES = """
venue:arxiv schema:name "arXiv" .
venue:osdi-2024 schema:name "OSDI 2024" .
venue:iclr-2025 schema:name "ICLR 2025" .
technique:caching skos:prefLabel "Caching" .
technique:routing skos:prefLabel "Routing" .
"""


def facts_of(turtle: str) -> dict[str, WorkFacts]:
    inst = Instances(BASE)
    graphs = {str(inst.curated_graph): ox.parse(PREFIXES + AUTHORS + VENUES + turtle,
                                                format=ox.RdfFormat.TURTLE),
              str(inst.ontology_graph): ox.parse(ONTOLOGY, format=ox.RdfFormat.TURTLE)}
    return changes.snapshot(EmbeddedStore.in_memory(
        {g: [q.triple for q in quads] for g, quads in graphs.items()}, BASE))


def info(version: str, built_at: str = "2026-01-02T03:04:05Z") -> BuildInfo:
    return BuildInfo(version=version, built_at=built_at, base_iri=BASE)


# -- on small graphs -------------------------------------------------------------------------

def test_snapshot_reads_the_compared_facts() -> None:
    works = facts_of(paper("a", "Alpha", authors=("bob", "ada"), techniques=("routing", "caching"),
                           decision="Pending"))
    a = works[f"{BASE}paper/a"]
    assert a.title == "Alpha" and a.kind == "paper" and a.year == "2024"
    assert (a.status, a.status_label) == ("https://w3id.org/caikg/ontology#Preprint", "preprint")
    assert (a.venue, a.venue_name) == (f"{BASE}venue/arxiv", "arXiv")
    assert [n.label for n in a.authors] == ["Bob Kahn", "Ada Lovelace"]  # printed order
    assert [n.label for n in a.techniques] == ["Caching", "Routing"]
    assert [(s.venue_name, s.decision_label) for s in a.submissions] == [("ICLR 2025", "pending")]
    assert WorkFacts.from_json(json.loads(json.dumps(a.to_json()))) == a


def test_facts_are_written_with_every_field() -> None:
    """to_json is written field by field (for speed): it must say what asdict would, so a
    field added to WorkFacts, Named or Submission cannot be left out of the logs."""
    works = facts_of(paper("a", "Alpha", authors=("bob", "ada"), decision="Pending"))
    a = works[f"{BASE}paper/a"]
    assert a.submissions and a.authors and a.techniques
    assert json.loads(json.dumps(a.to_json())) == json.loads(json.dumps(asdict(a)))


def test_first_build_lists_every_work_as_added() -> None:
    works = facts_of(paper("a", "Alpha") + paper("b", "Beta"))
    log = changes.compare(None, works, info("v1"))
    assert [f.title for f in log.added] == ["Alpha", "Beta"]
    assert not log.removed and not log.changed
    assert log.previous_version is None
    assert changes.describe_added(log.added[0]) == "added: preprint, arXiv, 2024"


def test_added_removed_and_changed_works() -> None:
    before = facts_of(paper("a", "Alpha") + paper("b", "Beta") + paper("c", "Gamma"))
    after = facts_of(paper("a", "Alpha", status="Published", venue="osdi-2024")
                     + paper("c", "Gamma") + paper("d", "Delta"))
    log = changes.compare(before, after, info("v2"), info("v1", "2026-01-01T00:00:00Z"))
    assert [f.iri for f in log.added] == [f"{BASE}paper/d"]
    assert [f.iri for f in log.removed] == [f"{BASE}paper/b"]
    assert [(c.work, c.fields) for c in log.changed] == [(f"{BASE}paper/a", ("status", "venue"))]
    assert changes.describe(log.changed[0]) == ["status: preprint → published",
                                               "venue: arXiv → OSDI 2024"]
    assert (log.previous_version, log.previous_built_at) == ("v1", "2026-01-01T00:00:00Z")
    again = ChangeLog.from_json(json.loads(json.dumps(log.to_json())))
    assert again.to_json() == log.to_json()


@pytest.mark.parametrize(("old", "new", "said"), [
    ({"title": "Alpha"}, {"title": "Alpha, revised"}, ["title: “Alpha” → “Alpha, revised”"]),
    ({"year": "2024"}, {"year": "2025"}, ["year: 2024 → 2025"]),
    ({"authors": ("ada",)}, {"authors": ("ada", "bob")}, ["authors: added Bob Kahn"]),
    ({"authors": ("ada", "bob")}, {"authors": ("bob", "ada")}, ["authors: order changed"]),
    ({"techniques": ("caching",)}, {"techniques": ("routing",)},
     ["techniques: added Routing; removed Caching"]),
    ({"decision": "Pending"}, {"decision": "Withdrawn"},
     ["submission to ICLR 2025: pending → withdrawn"]),
    ({}, {"decision": "Withdrawn"}, ["submission to ICLR 2025: added (withdrawn)"]),
])
def test_what_changed_in_words(old: dict[str, object], new: dict[str, object],
                               said: list[str]) -> None:
    before = facts_of(paper("a", **{"title": "Alpha", **old}))  # type: ignore[arg-type]
    after = facts_of(paper("a", **{"title": "Alpha", **new}))  # type: ignore[arg-type]
    log = changes.compare(before, after, info("v2"), info("v1"))
    assert len(log.changed) == 1
    assert changes.describe(log.changed[0]) == said


def test_labels_are_not_compared() -> None:
    before = facts_of(paper("a", "Alpha"))
    renamed = {k: replace(v, venue_name="arXiv.org", status_label="pre-print")
               for k, v in before.items()}
    assert changes.compare(before, renamed, info("v2"), info("v1")).empty
    assert not changes.compare(before, facts_of(paper("a", "Alpha", year="2025")), info("v2"),
                               info("v1")).empty


def test_the_log_is_written_only_when_the_block_succeeds(settings: Settings) -> None:
    works = facts_of(paper("a", "Alpha"))
    with pytest.raises(RuntimeError), changes.recorded(settings, works, info("v1")):
        assert list(settings.history_dir.glob("*.pending"))  # written, not yet in place
        raise RuntimeError("the publication failed")
    assert list(settings.history_dir.iterdir()) == []
    with changes.recorded(settings, works, info("v1")) as log:
        assert log is not None and [f.title for f in log.added] == ["Alpha"]
    written = sorted(p.name for p in settings.history_dir.iterdir())
    assert written == ["20260102T030405Z-v1.json", "works-v1.json"]  # the log, the works
    assert [c.version for c in changes.read_history(settings)] == ["v1"]
    assert changes.read_history(settings, until="2026-01-01T00:00:00Z") == []


def test_a_killed_builds_pending_log_is_removed(settings: Settings) -> None:
    settings.history_dir.mkdir(parents=True)
    orphan = settings.history_dir / "20250101T000000Z-v0.json.pending"
    orphan.write_text("{}", encoding="utf-8")
    with changes.recorded(settings, facts_of(paper("a", "Alpha")), info("v1")):
        pass
    assert not orphan.exists()
    assert sorted(p.name for p in settings.history_dir.iterdir()) == [
        "20260102T030405Z-v1.json", "works-v1.json"]


def test_only_the_newest_logs_are_kept(tmp_path: Path) -> None:
    for n in range(5):
        (tmp_path / f"2026010{n}T000000Z-v{n}.json").write_text("{}", encoding="utf-8")
    removed = changes.prune(tmp_path, keep=3)
    assert sorted(p.name[:9] for p in removed) == ["20260100T", "20260101T"]
    assert len(list(tmp_path.glob("*.json"))) == 3


def test_an_unreadable_remote_store_counts_as_a_first_build(tmp_path: Path) -> None:
    remote = make_settings(tmp_path / "home", store_query_url=f"{NOWHERE}/sparql")
    said: list[str] = []
    with changes.recorded(remote, facts_of(paper("a", "Alpha")), info("v1"),
                          said.append) as log:
        pass
    assert log is not None and log.previous_version is None
    assert [f.title for f in log.added] == ["Alpha"]
    assert "could not be read" in log.note
    assert any("could not be read" in line for line in said)


# -- real builds -----------------------------------------------------------------------------

def logs(settings: Settings) -> list[Path]:
    return changes.log_files(settings.history_dir) if settings.history_dir.is_dir() else []


def test_builds_record_what_changed(settings: Settings, tmp_path: Path) -> None:
    first = build(settings)
    [path] = logs(settings)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["version"] == first.info.version and raw["built_at"] == first.info.built_at
    assert raw["previous"] is None
    store = EmbeddedStore.open(settings)
    listed = {r["work"].value for r in store.select("work_listing") if r["work"] is not None}
    assert {w["iri"] for w in raw["added"]} == listed and len(listed) == 42
    assert raw["removed"] == [] and raw["changed"] == []

    again = build(settings)  # the same data: the same version, nothing to record
    assert again.info.version == first.info.version
    assert logs(settings) == [path]

    wait_for_the_next_second()
    data = data_variant(tmp_path, "graphteam", "bibo:status caikg:Preprint",
                   "bibo:status caikg:Published")
    second = build(settings, [data])
    assert second.info.version != first.info.version
    newest = changes.read_history(settings)[0]
    assert newest.version == second.info.version and newest.built_at > first.info.built_at
    assert (newest.previous_version, newest.previous_built_at) == (again.info.version,
                                                                   again.info.built_at)
    assert not newest.added and not newest.removed
    [change] = newest.changed
    assert change.work == f"{BASE}paper/graphteam" and change.fields == ("status",)
    assert changes.describe(change) == ["status: preprint → published"]
    assert not list(settings.history_dir.glob("*.pending"))


def test_the_next_build_compares_with_the_kept_works(settings: Settings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A build keeps the facts it compared (``history/works-<version>.json``); the next build
    compares with them and does not read the served store's works again (at 1M triples that
    read took longer than the load). Without them it reads the store, with the same result."""
    first = build(settings)
    kept = changes.works_file(settings, first.info.version)
    assert kept.is_file() and len(json.loads(kept.read_text())["works"]) == 42
    assert kept not in changes.log_files(settings.history_dir)

    snapshots: list[object] = []
    real = changes.snapshot

    def counted(store: object) -> dict[str, changes.WorkFacts]:
        snapshots.append(store)
        return real(store)  # type: ignore[arg-type]

    monkeypatch.setattr(changes, "snapshot", counted)
    wait_for_the_next_second()
    data = data_variant(tmp_path, "graphteam", "bibo:status caikg:Preprint",
                        "bibo:status caikg:Published")
    second = build(settings, [data])
    assert len(snapshots) == 1  # the new build's own works only, not the served store's
    [change] = changes.read_history(settings)[0].changed
    assert change.work == f"{BASE}paper/graphteam" and change.fields == ("status",)

    # the same comparison when the kept works are gone (a store built before they were kept)
    changes.works_file(settings, second.info.version).unlink()
    wait_for_the_next_second()
    snapshots.clear()
    build(settings)  # the shipped data again: graphteam back to a preprint
    assert len(snapshots) == 2  # its own works and the served store's
    [back] = changes.read_history(settings)[0].changed
    assert back.work == f"{BASE}paper/graphteam"


def test_a_refused_build_leaves_no_change_log(settings: Settings, tmp_path: Path) -> None:
    build(settings)
    before = logs(settings)
    data = data_variant(tmp_path, "graphteam", "bibo:status caikg:Preprint",
                   "bibo:status <https://w3id.org/caikg/ontology#NoSuchStatus>")
    with pytest.raises(BuildError):
        build(settings, [data])
    assert logs(settings) == before


def test_a_build_that_cannot_be_published_leaves_no_change_log(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(settings)
    before = logs(settings)
    data = data_variant(tmp_path, "graphteam", "bibo:status caikg:Preprint",
                   "bibo:status caikg:Published")

    fill_the_disk_beside_the_build(monkeypatch)
    with pytest.raises(BuildError, match="cannot write the store"):
        build(settings, [data])
    assert logs(settings) == before
    assert not list(settings.history_dir.glob("*.pending"))
