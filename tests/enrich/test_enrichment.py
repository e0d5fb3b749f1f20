"""caikg enrich against a fake Wikidata on 127.0.0.1, the enrichment graph in builds, and the
QuickStatements export. No request ever leaves the machine."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from caikg.build.enrichment_graph import facts
from caikg.build.pipeline import BuildError, build
from caikg.cli import main
from caikg.config import Settings, SettingsError, load_settings
from caikg.enrich.enricher import EnrichError, enrich
from caikg.enrich.quickstatements import quickstatements
from caikg.enrich.wikidata import WikidataClient, WikidataError, user_agent
from caikg.rdf.namespaces import Instances
from caikg.store.embedded import EmbeddedStore, current_store_dir
from tests.helpers.clock import Clock
from tests.helpers.fake_wikidata import FakeWikidata
from tests.helpers.project import REPO, term_value

CONTACT = "tests@example.org"
PAPER = "https://w3id.org/caikg/paper/"
PERSON = "https://w3id.org/caikg/person/"
VENUE = "https://w3id.org/caikg/venue/"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
SAME = "http://www.w3.org/2002/07/owl#sameAs"
N_EXTRA = 60


# -- fixtures ---------------------------------------------------------------------------------
def _extra_papers() -> tuple[str, str]:
    """60 generated arXiv papers (curated Turtle) and Wikidata items for 55 of them (Turtle of
    the fake's scholarly graph), so that lookups need more than one batch of 50."""
    ours = ["@prefix caikg: <https://w3id.org/caikg/ontology#> .",
            "@prefix schema: <https://schema.org/> .",
            "@prefix dcterms: <http://purl.org/dc/terms/> .",
            "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
            "@prefix prov: <http://www.w3.org/ns/prov#> .",
            "@prefix fabio: <http://purl.org/spar/fabio/> .",
            "@prefix bibo: <http://purl.org/ontology/bibo/> .",
            "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
            "@prefix paper: <https://w3id.org/caikg/paper/> .",
            "@prefix person: <https://w3id.org/caikg/person/> .",
            "@prefix venue: <https://w3id.org/caikg/venue/> ."]
    theirs = ["@prefix wd: <http://www.wikidata.org/entity/> .",
              "@prefix wdt: <http://www.wikidata.org/prop/direct/> .",
              "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
              "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."]
    for n in range(N_EXTRA):
        slug, arxiv = f"generated-{n:02d}", f"2501.{10000 + n}"
        doi = ""
        if n == 0:
            doi = 'bibo:doi "10.48550/arxiv.2501.99999" ;'  # letters: compared ignoring case
        if n == 1:
            doi = 'bibo:doi "10.5555/ours.1" ;'  # Wikidata has another DOI: a conflict
        ours.append(f"""
paper:{slug} a schema:ScholarlyArticle , fabio:ResearchPaper ;
    dcterms:title "Generated paper {n}" ; schema:url <https://arxiv.org/abs/{arxiv}> ;
    {'' if n == 0 else f'caikg:arxivId "{arxiv}" ;'} {doi}
    fabio:hasPublicationYear "2025"^^xsd:gYear ; bibo:status caikg:Preprint ;
    caikg:venue venue:arxiv ; schema:author person:{slug}-author ;
    prov:qualifiedAttribution <{PAPER}{slug}#author-1> .
<{PAPER}{slug}#author-1> a caikg:Authorship , prov:Attribution ;
    prov:agent person:{slug}-author ; caikg:ordinal "1"^^xsd:integer ;
    caikg:statedName "Author {n}" .
person:{slug}-author a schema:Person , foaf:Person ; schema:name "Author {n}" .""")
        if n < 55:
            qid = f"Q9000010{n:02d}"
            ident = 'wdt:P356 "10.48550/ARXIV.2501.99999"' if n == 0 else \
                f'wdt:P818 "{arxiv}"'
            other = ' ; wdt:P356 "10.5555/THEIRS.1"' if n == 1 else ""
            theirs.append(f'wd:{qid} rdfs:label "Generated paper {n}"@en ; {ident}{other} ; '
                          f'wdt:P577 "2025-01-0{1 + n % 9}T00:00:00Z"^^xsd:dateTime .')
    return "\n".join(ours) + "\n", "\n".join(theirs) + "\n"


EXTRA_OURS, EXTRA_THEIRS = _extra_papers()


@pytest.fixture
def fake() -> Iterator[FakeWikidata]:
    server = FakeWikidata(extra_scholarly=EXTRA_THEIRS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    (data / "generated.ttl").write_text(EXTRA_OURS, encoding="utf-8")
    return data


def settings_for(home: Path, data: Path, fake: FakeWikidata, **env: str) -> Settings:
    environ = {**fake.endpoints, "CAIKG_CONTACT": CONTACT, **env}
    return load_settings(environ=environ, home=home, ontology_dir=REPO / "ontology",
                         data_dir=data, web_dir=REPO / "web")


@pytest.fixture
def wsettings(tmp_path: Path, data_dir: Path, fake: FakeWikidata) -> Settings:
    return settings_for(tmp_path / "home", data_dir, fake)


def client(settings: Settings, clock: Clock | None = None, **kw: object) -> WikidataClient:
    clock = clock or Clock()
    return WikidataClient(settings, sleep=clock.sleep, clock=clock.monotonic, now=clock.wall,
                          jitter=lambda: 0.5, **kw)  # type: ignore[arg-type]


def run(settings: Settings, clock: Clock | None = None, **kw: object):  # type: ignore[no-untyped-def]
    c = client(settings, clock, offline=bool(kw.pop("offline", False)))
    kw.setdefault("rebuild", False)
    return enrich(settings, client=c, stream=_Null(), **kw)  # type: ignore[arg-type]


class _Null:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def triples_of(path: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE)]


def has(triples: list[ox.Triple], s: str, p: str, o: ox.NamedNode | ox.Literal) -> bool:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o) in triples


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# -- the fake speaks the protocols --------------------------------------------------------------
def test_fake_refuses_a_missing_user_agent_and_we_send_a_descriptive_one(
        fake: FakeWikidata, wsettings: Settings) -> None:
    import requests

    assert requests.get(fake.url + "/w/api.php", params={"action": "wbgetentities"},
                        timeout=5).status_code == 403
    run(wsettings)
    agents = {r.user_agent for r in fake.requests[1:]}
    assert agents == {user_agent(CONTACT)} == {f"caikg/0.1.0 ({CONTACT})"}


# -- matching -----------------------------------------------------------------------------------
def test_exact_matching_links_papers_people_and_venues(wsettings: Settings) -> None:
    result = run(wsettings)
    t = result.triples
    assert has(t, PAPER + "alto", SAME, ox.NamedNode(WD + "Q900000001"))  # DOI
    assert has(t, PAPER + "metagpt", SAME, ox.NamedNode(WD + "Q900000002"))  # OpenReview
    assert has(t, PAPER + "generated-05", SAME, ox.NamedNode(WD + "Q900001005"))  # arXiv
    # DOI compared ignoring case (ours lower-case, Wikidata upper-case)
    assert has(t, PAPER + "generated-00", SAME, ox.NamedNode(WD + "Q900001000"))
    # only in the search index (the query service lags): found through the action API
    assert has(t, PAPER + "are-more-llm-calls-all-you", SAME, ox.NamedNode(WD + "Q900000004"))
    # person: P50 at the same ordinal with an agreeing name, and their identifiers
    keshav = PERSON + "keshav-santhanam"
    assert has(t, keshav, SAME, ox.NamedNode(WD + "Q900000101"))
    assert has(t, keshav, WDT + "P496", ox.Literal("0000-0002-1825-0097"))
    assert has(t, keshav, WDT + "P2456", ox.Literal("s/KeshavSanthanam"))
    assert has(t, keshav, WDT + "P1960", ox.Literal("AbCdEfGhIjKl"))
    # venues: acronym + class + label (arXiv's short name is tagged @mul)
    assert has(t, VENUE + "osdi", SAME, ox.NamedNode(WD + "Q900000301"))
    assert has(t, VENUE + "arxiv", SAME, ox.NamedNode(WD + "Q900000303"))
    # facts brought in, with language tags and datatypes kept
    assert has(t, PAPER + "alto", WDT + "P921", ox.NamedNode(WD + "Q900000201"))
    assert has(t, WD + "Q900000201", "http://www.w3.org/2000/01/rdf-schema#label",
               ox.Literal("compound AI system", language="en"))
    assert has(t, PAPER + "alto", WDT + "P577", ox.Literal(
        "2024-04-22T00:00:00Z", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")))
    assert result.report.linked["papers"][PAPER + "generated-54"] == "Q900001054"
    assert PAPER + "generated-57" not in result.report.linked["papers"]


def test_citations_between_matched_works_and_to_outside_items(wsettings: Settings) -> None:
    """P2860 ("cites work"): to our work when the cited item is linked to one of ours, else to
    the Wikidata item with its label; written as cito:cites in the enrichment graph."""
    t = run(wsettings).triples
    cites = "http://purl.org/spar/cito/cites"
    assert has(t, PAPER + "alto", cites, ox.NamedNode(PAPER + "metagpt"))
    assert has(t, PAPER + "alto", cites, ox.NamedNode(WD + "Q900000501"))
    assert has(t, WD + "Q900000501", "http://www.w3.org/2000/01/rdf-schema#label",
               ox.Literal("A fixture work outside the reading list", language="en"))
    assert not has(t, PAPER + "alto", cites, ox.NamedNode(WD + "Q900000002"))  # ours instead


def test_a_disagreeing_name_is_a_candidate_never_a_link(wsettings: Settings) -> None:
    result = run(wsettings)
    second = PERSON + "deepti-raghavan"  # author 2 of ALTO here; Wikidata's P50 is another
    assert not any(t.subject == ox.NamedNode(second) for t in result.triples)
    assert any(c["subject"] == second and c["item"] == "Q900000102"
               for c in result.report.candidates)
    # a venue whose class disagrees is a candidate, too
    assert not any(t.subject == ox.NamedNode(VENUE + "icml") for t in result.triples)
    assert any(c["subject"] == VENUE + "icml" for c in result.report.candidates)
    # nothing is linked by name alone: "Neha Kunjal" is only an author name string there
    assert PERSON + "neha-kunjal" not in result.report.linked["people"]


def test_conflicts_are_reported_and_not_written(wsettings: Settings) -> None:
    result = run(wsettings)
    conflicts = {(c["subject"], c["property"]): c for c in result.report.conflicts}
    year = conflicts[(PAPER + "metagpt", "wdt:P577 (year)")]
    assert (year["curated"], year["wikidata"]) == ("2024", "2023")
    doi = conflicts[(PAPER + "generated-01", "wdt:P356")]
    assert (doi["curated"], doi["wikidata"]) == ("10.5555/OURS.1", "10.5555/THEIRS.1")
    assert not any(t.subject == ox.NamedNode(PAPER + "metagpt")
                   and t.predicate == ox.NamedNode(WDT + "P577") for t in result.triples)
    assert not any(t.subject == ox.NamedNode(PAPER + "generated-01")
                   and t.predicate == ox.NamedNode(WDT + "P356") for t in result.triples)
    report = (wsettings.enrichment_dir / "report.json").read_text()
    assert "THEIRS" in report and "conflicts" in report


def test_provenance_is_recorded(wsettings: Settings, fake: FakeWikidata) -> None:
    run(wsettings)
    t = triples_of(wsettings.enrichment_file)
    graph, activity = "https://w3id.org/caikg/graph/enrichment", \
        "https://w3id.org/caikg/graph/enrichment#activity"
    prov = "http://www.w3.org/ns/prov#"
    assert has(t, graph, prov + "wasGeneratedBy", ox.NamedNode(activity))
    assert has(t, activity, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
               ox.NamedNode(prov + "Activity"))
    preds = {x.predicate.value for x in t if x.subject == ox.NamedNode(activity)}
    assert {prov + "startedAtTime", prov + "endedAtTime", prov + "used"} <= preds
    for endpoint in fake.endpoints.values():
        assert has(t, activity, prov + "used", ox.NamedNode(endpoint))
    hashes = [term_value(x.object) for x in t
              if x.predicate.value == "http://purl.org/dc/terms/identifier"]
    assert len(hashes) >= 5 and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes)


# -- politeness and robustness ------------------------------------------------------------------
def test_batches_hold_at_most_50_values_and_requests_are_spaced(
        wsettings: Settings, fake: FakeWikidata) -> None:
    clock = Clock()
    c = client(wsettings, clock)
    enrich(wsettings, client=c, rebuild=False, stream=_Null())
    assert max(r.values for r in fake.requests) <= 50
    arxiv = [r for r in fake.requests if "wdt:P818 ?value" in r.params.get("query", "")]
    assert len(arxiv) >= 2 and sum(r.values for r in arxiv) > 50
    times = [t for t, _ in c.log.sent]
    assert len(times) == len(fake.requests) >= 8
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:], strict=False))


def test_retry_after_is_honoured(wsettings: Settings, fake: FakeWikidata) -> None:
    fake.fail("/scholarly/sparql", "429")
    clock = Clock()
    run(wsettings, clock)
    assert fake.retry_after in clock.sleeps
    assert wsettings.enrichment_file.exists()


def test_backoff_on_server_errors_and_timeouts(wsettings: Settings, fake: FakeWikidata) -> None:
    fake.fail("/scholarly/sparql", "timeout", "503", "timeout")
    clock = Clock()
    result = run(wsettings, clock)
    backoffs = [s for s in clock.sleeps if s > 1.0]
    assert backoffs == sorted(backoffs) and len(backoffs) == 3  # 2·1.25, 4·1.25, 8·1.25
    assert backoffs == [2.5, 5.0, 10.0]
    assert result.report.linked["papers"]


@pytest.mark.parametrize("fault", ["truncated", "no-bindings"])
def test_a_truncated_or_invalid_body_is_detected_and_retried(
        wsettings: Settings, fake: FakeWikidata, fault: str) -> None:
    fake.fail("/sparql", fault)
    fake.fail("/w/api.php", "truncated")
    baseline = run(settings_for(wsettings.home.parent / "other", wsettings.data_dir, fake))
    result = run(wsettings)
    assert facts(result.triples, Instances()) == facts(baseline.triples, Instances())


def test_403_is_a_clear_error(wsettings: Settings, fake: FakeWikidata) -> None:
    fake.fail("*", "403")
    with pytest.raises(EnrichError, match="403 Forbidden.*User-Agent.*CAIKG_CONTACT"):
        run(wsettings)
    assert not wsettings.enrichment_file.exists()


def test_maxlag_is_retried_after_the_lag(wsettings: Settings, fake: FakeWikidata) -> None:
    fake.fail("/w/api.php", "maxlag", "maxlag")
    clock = Clock()
    result = run(wsettings, clock)
    assert clock.sleeps.count(6.0) == 2
    assert PAPER + "are-more-llm-calls-all-you" in result.report.linked["papers"]
    assert all(r.params.get("maxlag") == "5" for r in fake.requests if r.path == "/w/api.php")


def test_a_contact_is_required(tmp_path: Path, data_dir: Path, fake: FakeWikidata) -> None:
    settings = settings_for(tmp_path / "h", data_dir, fake, CAIKG_CONTACT="")
    with pytest.raises(WikidataError, match="CAIKG_CONTACT"):
        WikidataClient(settings)


@pytest.mark.parametrize("env, name", [
    ({"CAIKG_CONTACT": "not a contact"}, "CAIKG_CONTACT"),
    ({"CAIKG_WIKIDATA_SPARQL": "ftp://example.org/sparql"}, "CAIKG_WIKIDATA_SPARQL"),
    ({"CAIKG_WIKIDATA_MIN_INTERVAL": "0.1"}, "CAIKG_WIKIDATA_MIN_INTERVAL"),
    ({"CAIKG_WIKIDATA_CACHE_TTL": "-1"}, "CAIKG_WIKIDATA_CACHE_TTL"),
    ({"CAIKG_WIKIDATA_TIMEOUT": "0"}, "CAIKG_WIKIDATA_TIMEOUT"),
])
def test_bad_wikidata_settings_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(environ=env)


# -- cache, offline, determinism ----------------------------------------------------------------
def test_warm_cache_offline_and_determinism(wsettings: Settings, fake: FakeWikidata) -> None:
    first = run(wsettings)
    sent = len(fake.requests)
    assert first.report.requests == sent > 0
    second = run(wsettings)
    assert len(fake.requests) == sent  # a warm cache: zero requests
    assert second.report.requests == 0 and second.report.cache_hits > 0
    inst = Instances()
    assert ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in facts(
        first.triples, inst)) == ox.Dataset(ox.Quad(t.subject, t.predicate, t.object)
                                            for t in facts(second.triples, inst))
    offline = run(wsettings, offline=True)
    assert len(fake.requests) == sent
    assert facts(offline.triples, inst) == facts(first.triples, inst)
    assert not offline.report.cache_misses


def test_offline_on_a_cold_cache_reports_misses_and_fetches_nothing(
        wsettings: Settings, fake: FakeWikidata) -> None:
    result = run(wsettings, offline=True)
    assert fake.requests == []
    assert result.report.cache_misses and not result.report.linked["papers"]
    assert "not in the cache" in result.report.to_text()


def test_an_expired_cache_entry_is_fetched_again(wsettings: Settings,
                                                 fake: FakeWikidata) -> None:
    clock = Clock()
    run(wsettings, clock)
    sent = len(fake.requests)
    clock.t += wsettings.wikidata_cache_ttl + 1
    run(wsettings, clock)
    assert len(fake.requests) == 2 * sent


# -- the files, the store and the curated graph -------------------------------------------------
def test_failed_run_leaves_previous_enrichment_and_store(wsettings: Settings,
                                                         fake: FakeWikidata) -> None:
    run(wsettings, rebuild=True)
    before = wsettings.enrichment_file.read_bytes()
    store_dir = current_store_dir(wsettings)
    fake.always["/scholarly/sparql"] = "timeout"
    for path in ("/sparql", "/w/api.php"):
        fake.always[path] = "timeout"
    with pytest.raises(EnrichError, match="giving up"):
        # a different question (limit) so the cache cannot answer
        run(wsettings, rebuild=True, limit=3)
    assert wsettings.enrichment_file.read_bytes() == before
    assert current_store_dir(wsettings) == store_dir
    assert not list(wsettings.enrichment_dir.glob(".*.tmp"))


def test_curated_data_is_never_written(tmp_path: Path, fake: FakeWikidata,
                                      store: EmbeddedStore) -> None:
    """With the shipped data/: its bytes and the curated graph stay the same."""
    before = tree_digest(REPO / "data")
    settings = settings_for(tmp_path / "home", REPO / "data", fake)
    run(settings, rebuild=True)
    assert tree_digest(REPO / "data") == before
    enriched = EmbeddedStore.open(settings, in_memory=True)
    curated = str(Instances().curated_graph)
    # the session's build of the shipped data had no enrichment
    assert str(Instances().enrichment_graph) not in store.named_graphs()
    assert ox.Dataset(enriched.quads(curated)) == ox.Dataset(store.quads(curated))
    assert str(Instances().enrichment_graph) in enriched.named_graphs()
    assert not list((REPO / "data").glob("*enrich*"))


def test_build_loads_the_enrichment_into_its_own_graph(wsettings: Settings) -> None:
    run(wsettings, rebuild=True)
    store = EmbeddedStore.open(wsettings, in_memory=True)
    graph = str(store.instances.enrichment_graph)
    assert graph in store.named_graphs()
    same = [q for q in store.quads(graph) if q.predicate == ox.NamedNode(SAME)]
    assert ox.NamedNode(PAPER + "alto") in {q.subject for q in same}
    curated = str(store.instances.curated_graph)
    assert not [q for q in store.quads(curated) if q.predicate == ox.NamedNode(SAME)]
    assert str(wsettings.enrichment_file) in store.info.sources  # type: ignore[union-attr]


def test_the_enrichment_is_rebased_with_the_base_iri(tmp_path: Path, data_dir: Path,
                                                     fake: FakeWikidata) -> None:
    settings = settings_for(tmp_path / "home", data_dir, fake,
                            CAIKG_BASE_IRI="http://example.org/kg/")
    run(settings, rebuild=True)
    store = EmbeddedStore.open(settings, in_memory=True)
    subjects = {term_value(q.subject)
                for q in store.quads("http://example.org/kg/graph/enrichment")}
    assert "http://example.org/kg/paper/alto" in subjects
    assert not any(s.startswith("https://w3id.org/caikg/") for s in subjects)


BROKEN = [
    ("<https://w3id.org/caikg/paper/alto> <http://www.w3.org/2002/07/owl#sameAs> .\n",
     "enrichment.ttl:1"),
    ("<https://w3id.org/caikg/paper/alto> <https://schema.org/name> \"x\" .\n",
     "not an enrichment property"),
    ("<https://w3id.org/caikg/paper/alto> <http://www.w3.org/2002/07/owl#sameAs> "
     "<http://example.org/not-wikidata> .\n", "must point at a Wikidata item"),
    ("<https://w3id.org/caikg/person/ang-li> <http://www.wikidata.org/prop/direct/P496> "
     "\"not-an-orcid\" .\n", "malformed identifier"),
]


def test_a_broken_enrichment_file_fails_the_build(wsettings: Settings) -> None:
    first = build(wsettings)
    wsettings.enrichment_file.parent.mkdir(parents=True)
    for text, message in BROKEN:
        wsettings.enrichment_file.write_text(text, encoding="utf-8")
        with pytest.raises(BuildError, match=re.escape(message)) as err:
            build(wsettings)
        assert str(wsettings.enrichment_file) in str(err.value)
        assert current_store_dir(wsettings) == first.store_dir


# -- the command line ---------------------------------------------------------------------------
def test_cli_enrich_and_quickstatements_export(tmp_path: Path, data_dir: Path,
                                               fake: FakeWikidata,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in {**fake.endpoints, "CAIKG_CONTACT": CONTACT,
                       "CAIKG_WIKIDATA_MIN_INTERVAL": "0",  # loopback endpoints only
                       "CAIKG_DATA_DIR": str(data_dir)}.items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "home"
    assert main(["--home", str(home), "enrich", "--source", "wikidata", "--dry-run"]) == 0
    assert not (home / "enrichment" / "enrichment.ttl").exists()
    assert main(["--home", str(home), "enrich", "--source", "wikidata"]) == 0
    out = capsys.readouterr()
    assert "linked" in out.out and "conflict:" in out.out and "candidate" in out.out
    assert (home / "store").exists()
    qs_file = tmp_path / "qs.txt"
    assert main(["--home", str(home), "export", "--format", "quickstatements",
                 "-o", str(qs_file)]) == 0
    text = qs_file.read_text(encoding="utf-8")
    check_quickstatements(text)
    # works Wikidata has are not created again; the ones it lacks are
    assert "Generated paper 5\"" not in text and "2501.10005" not in text
    assert '"2501.10057"' in text and '"Generated paper 57"' in text
    assert "P2093\t\"Author 57\"\tP1545\t\"1\"\tS854\t\"https://arxiv.org/abs/2501.10057\"" in text
    # offline, from the cache the first run filled
    fake.stop()
    assert main(["--home", str(home), "enrich", "--source", "wikidata", "--offline",
                 "--dry-run"]) == 0
    assert "0 request(s)" in capsys.readouterr().out


_QS_VALUE = r'(?:"[^"\t]*"|[a-z]+:"[^"\t]*"|Q[1-9]\d*|\+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/\d+)'
_QS_LINE = re.compile(rf"^(?:CREATE|LAST\tL[a-z]+\t\"[^\"\t]+\"|LAST\tP\d+\t{_QS_VALUE}"
                      rf"(?:\t[PS]\d+\t{_QS_VALUE})*)$")


def check_quickstatements(text: str) -> None:
    lines = text.rstrip("\n").split("\n")
    assert lines and lines[0] == "CREATE"
    for line in lines:
        assert _QS_LINE.match(line), line
    assert "LAST\tP31\tQ13442814" in text


def test_without_enrichment_the_shipped_build_and_export_work(built_settings: Settings,
                                                              store: EmbeddedStore) -> None:
    assert str(store.instances.enrichment_graph) not in store.named_graphs()
    assert not built_settings.enrichment_file.exists()
    text = quickstatements(store)
    check_quickstatements(text)
    assert text.count("CREATE") == sum(1 for line in text.splitlines()
                                       if line == "LAST\tP31\tQ13442814"
                                       or line.startswith("LAST\tP31\tQ13442814\t"))
    assert '"10.1145/3642970.3655844"'.upper() in text  # DOIs upper-case, as Wikidata


def test_no_fabricated_wikidata_identifiers_are_shipped() -> None:
    for path in (REPO / "data").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "wikidata.org/entity/Q" not in text, path
