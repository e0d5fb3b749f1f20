"""``caikg enrich --source openalex,crossref,openreview,arxiv`` against stand-ins of the four
services on 127.0.0.1 (tests/helpers/fake_scholarly.py): exact links, traps that end as drift
and never as links, the polite client's retries and cache, and a failed run that loses
nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from caikg.build import literature_graph as lg
from caikg.build.pipeline import build
from caikg.cli import main as cli_main
from caikg.config import Settings, load_settings
from caikg.enrich.client import PoliteClient
from caikg.enrich.enricher import EnrichError
from caikg.enrich.literature import last_report
from caikg.enrich.run import RunResult, run
from caikg.store.embedded import EmbeddedStore
from tests.helpers import scholarly_fixtures as fx
from tests.helpers.clock import Clock
from tests.helpers.fake_scholarly import FakeScholarly
from tests.helpers.project import REPO

SOURCES = ["openalex", "crossref", "openreview", "arxiv"]
CONTACT = "caikg-tests@example.org"
CITES = lg.CITES


@pytest.fixture
def fake() -> Iterator[FakeScholarly]:
    with FakeScholarly() as server:
        yield server


def settings_for(home: Path, fake: FakeScholarly, **env: str) -> Settings:
    environ = {**fake.endpoints, "CAIKG_CONTACT": CONTACT,
               "CAIKG_LITERATURE_MIN_INTERVAL": "0.5", **env}
    return load_settings(environ=environ, home=home, ontology_dir=REPO / "ontology",
                         data_dir=REPO / "data", web_dir=REPO / "web")


@pytest.fixture
def lsettings(tmp_path: Path, fake: FakeScholarly) -> Settings:
    settings = settings_for(tmp_path / "home", fake)
    build(settings)
    return settings


def enrich(settings: Settings, clock: Clock | None = None, *, offline: bool = False,
           sources: list[str] | None = None, timeout: float = 10.0) -> RunResult:
    clock = clock or Clock(1_796_000_000.0)

    def factory(name: str) -> PoliteClient:
        return PoliteClient(settings, name, offline=offline, sleep=clock.sleep,
                            clock=clock.monotonic, now=clock.wall, jitter=lambda: 0.0,
                            timeout=timeout)

    return run(settings, sources or SOURCES, offline=offline, now=clock.wall,
               client_factory=factory, stream=_Quiet())


class _Quiet:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def triples(settings: Settings, source: str) -> list[ox.Triple]:
    path = lg.file_of(settings, source)
    return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]


def has(ts: list[ox.Triple], s: str, p: str, o: str | ox.Literal) -> bool:
    obj = ox.NamedNode(o) if isinstance(o, str) else o
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), obj) in set(ts)


def facts_graph(settings: Settings, source: str) -> Graph:
    """The file without its provenance record (times differ between runs)."""
    g = Graph()
    g.parse(lg.file_of(settings, source), format="turtle")
    prefix = f"https://w3id.org/caikg/graph/literature/{source}"
    for s, p, o in list(g):
        if str(s).startswith(prefix):
            g.remove((s, p, o))
    return g


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "cache" not in p.parts):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


# -- what is linked --------------------------------------------------------------------------
def test_citations_abstracts_affiliations_and_decisions_by_exact_identifiers(
        lsettings: Settings, fake: FakeScholarly) -> None:
    result = enrich(lsettings)
    oa = triples(lsettings, "openalex")
    for citing, cited in fx.INTERNAL_CITES:
        assert has(oa, fx.PAPER + citing, CITES, fx.PAPER + cited), (citing, cited)
    for key, citers in fx.FOUNDATIONS.items():
        outside = f"https://w3id.org/caikg/cited/{key}"
        assert has(oa, outside, lg.RDF_TYPE, lg.EXTERNAL_WORK)
        for slug in citers:
            assert has(oa, fx.PAPER + slug, CITES, outside)
    arxiv_outside = f"https://w3id.org/caikg/cited/{fx.OUTSIDE_ARXIV_WORK}"
    assert any(t.subject == ox.NamedNode(arxiv_outside) and t.predicate.value == lg.ARXIV
               for t in oa)
    # an abstract on the record, with the source's licence; and the record's public page
    rec = fx.PAPER + fx.ARXIV_ONLY + "#openalex"
    assert any(t.subject == ox.NamedNode(rec) and t.predicate.value == lg.DCT_ABSTRACT
               for t in oa)
    assert has(oa, rec, lg.DCT_LICENSE, "https://creativecommons.org/publicdomain/zero/1.0/")
    # ORCID iDs onto our people where the name at that position agrees (from any source)
    every = [t for s in SOURCES for t in triples(lsettings, s)]
    for person, orcid in fx.EXPECTED_ORCIDS.items():
        assert has(every, fx.PERSON + person, lg.ORCID, ox.Literal(orcid)), person
    assert any(t.predicate.value == lg.AFFILIATION for t in oa)
    # the OpenReview decision, as the curated record states submissions
    orv = triples(lsettings, "openreview")
    accepted = fx.CURATED["metagpt"].iri + "#openreview-submission"
    assert has(orv, accepted, lg.DECISION, lg.CAIKG + "Accepted")
    assert has(orv, accepted, lg.PRESENTATION, ox.Literal("oral"))
    # arXiv versions with dates
    ax = triples(lsettings, "arxiv")
    assert any(t.predicate.value == lg.VERSION for t in ax)
    # polite: the contact in every User-Agent, and as mailto to OpenAlex and Crossref
    assert all(CONTACT in r.user_agent for r in fake.requests)
    assert {r.mailto for r in fake.requests if r.service in {"openalex", "crossref"}} == {
        CONTACT}
    assert result.literature is not None
    # the store was rebuilt with one graph per source
    store = EmbeddedStore.open(lsettings)
    names = set(store.named_graphs())
    assert {f"https://w3id.org/caikg/graph/literature/{s}" for s in SOURCES} <= names


def test_every_trap_ends_as_drift_never_as_a_link(lsettings: Settings) -> None:
    result = enrich(lsettings)
    oa = triples(lsettings, "openalex")
    report = result.literature
    assert report is not None
    entries = report.entries()
    # a DOI that resolves to another work: nothing of that record, a drift entry
    wrong = fx.TRAP_WRONG_DOI_WORK
    alto = fx.CURATED[wrong.paper].iri
    assert not any(str(t.subject).startswith(f"<{alto}") for t in oa)
    assert any(d.subject == alto and d.property == "identifier" and d.source == "openalex"
               for d in entries)
    # an author whose name disagrees: no agent, no ORCID on our person; drift on the authors
    trap = fx.TRAP_NAME_DISAGREES
    work = fx.CURATED[trap.paper].iri
    node = f"{work}#openalex-author-{trap.position}"
    assert not any(t.subject == ox.NamedNode(node) and t.predicate.value == lg.AGENT
                   for t in oa)
    assert not has(oa, fx.PERSON + trap.person, lg.ORCID, ox.Literal(trap.orcid))
    assert has(oa, node, lg.ORCID, ox.Literal(trap.orcid))  # kept on the source's record
    assert any(d.subject == work and d.property == "schema:author" for d in entries)
    # a withdrawn forum: stated as OpenReview's withdrawn submission on its record, never as
    # a status of the work; the curated record already has the withdrawal (and no status, as
    # none could be verified), so there is nothing to review
    conveyor = next(c for c in fx.CURATED.values()
                    if c.openreview == fx.WITHDRAWN_FORUM.forum_id)
    orv = triples(lsettings, "openreview")
    assert has(orv, conveyor.iri + "#openreview-submission", lg.DECISION,
               lg.CAIKG + "Withdrawn")
    assert not any(t.subject == ox.NamedNode(conveyor.iri)
                   and t.predicate.value not in lg.ENTITY_PROPERTIES for t in orv)
    assert not [d for d in entries if d.subject == conveyor.iri and d.source == "openreview"]
    # a preprint since published: drift with the DOI to add
    pub = fx.CURATED[fx.PUBLISHED_PREPRINT.paper].iri
    assert any(d.subject == pub and fx.PUBLISHED_DOI in d.suggestion for d in entries)
    # nothing curated changed: the data files are as in the repository
    store = EmbeddedStore.open(lsettings)
    curated = "https://w3id.org/caikg/graph/curated"
    status = store.select("work_enrichment_keys")  # the curated keys read back from the store
    assert status and all(row["work"] is not None for row in status)
    assert not any(q.graph_name.value == curated  # type: ignore[union-attr]
                   and q.predicate.value == CITES for q in store.quads())
    # and the report is kept: --report prints it again
    again = last_report(lsettings)
    assert again is not None and len(again.entries()) == len(entries)


def test_report_command_prints_the_last_drift(lsettings: Settings,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    enrich(lsettings)
    code = cli_main(["--home", str(lsettings.home), "enrich", "--report"])
    out = capsys.readouterr().out
    assert code == 0 and "drift:" in out and "suggested:" in out
    assert fx.CURATED[fx.TRAP_WRONG_DOI_WORK.paper].iri in out


# -- politeness, faults and the cache --------------------------------------------------------
def test_retry_after_backoff_and_truncated_answers(lsettings: Settings,
                                                   fake: FakeScholarly) -> None:
    fake.fail("/openalex", "429", "truncated", "500")
    fake.fail("/arxiv", "invalid", "503")
    clock = Clock(1_796_000_000.0)
    enrich(lsettings, clock)
    assert float(fake.retry_after) in clock.sleeps  # Retry-After honoured (429 and 503)
    assert any(s >= 2.0 and s != fake.retry_after for s in clock.sleeps)  # backoff on 500
    # spaced: no two requests to one source closer than CAIKG_LITERATURE_MIN_INTERVAL
    faults = [r.fault for r in fake.requests if r.fault]
    assert {"429", "truncated", "500", "invalid", "503"} <= set(faults)
    assert triples(lsettings, "openalex")  # and the run still completed


def test_warm_cache_sends_nothing_and_gives_isomorphic_facts(lsettings: Settings,
                                                             fake: FakeScholarly) -> None:
    enrich(lsettings)
    first = {s: facts_graph(lsettings, s) for s in SOURCES}
    sent = fake.count()
    assert sent > 0
    enrich(lsettings)
    assert fake.count() == sent  # a warm cache: zero requests
    for s in SOURCES:
        assert isomorphic(first[s], facts_graph(lsettings, s)), s
    enrich(lsettings, offline=True)  # offline on a warm cache: the same
    assert fake.count() == sent


def test_offline_on_a_cold_cache_fetches_nothing(lsettings: Settings,
                                                 fake: FakeScholarly) -> None:
    result = enrich(lsettings, offline=True)
    assert fake.count() == 0
    assert result.literature is not None
    assert all(r.cache_misses > 0 for r in result.literature.runs)


def test_a_failed_run_keeps_the_previous_enrichment_and_store(lsettings: Settings,
                                                              fake: FakeScholarly) -> None:
    enrich(lsettings, sources=["openalex"])
    before = tree_digest(lsettings.home)
    fake2 = FakeScholarly().start()
    try:
        broken = settings_for(lsettings.home, fake2)
        fake2.fail("/arxiv", *(["500"] * 10))  # arXiv fails for good, after OpenAlex answered
        with pytest.raises(EnrichError, match="giving up"):
            enrich(broken, sources=["openalex", "arxiv"])
    finally:
        fake2.stop()
    assert tree_digest(lsettings.home) == before


def test_a_run_of_one_source_keeps_the_others(lsettings: Settings) -> None:
    enrich(lsettings)
    kept = lg.file_of(lsettings, "openreview").read_bytes()
    drift = json.loads((lsettings.enrichment_dir / "drift.json").read_text())
    enrich(lsettings, sources=["arxiv"])
    assert lg.file_of(lsettings, "openreview").read_bytes() == kept
    after = json.loads((lsettings.enrichment_dir / "drift.json").read_text())
    assert after["drift"]["openreview"] == drift["drift"]["openreview"]


def test_a_tampered_literature_file_fails_the_build_and_names_it(lsettings: Settings) -> None:
    enrich(lsettings, sources=["openalex"])
    path = lg.file_of(lsettings, "openalex")
    path.write_text(path.read_text() + '\n<https://w3id.org/caikg/paper/alto> '
                    '<http://purl.org/dc/terms/title> "Overwritten" .\n')
    from caikg.build.pipeline import BuildError

    with pytest.raises(BuildError, match="literature-openalex.ttl"):
        build(lsettings)
