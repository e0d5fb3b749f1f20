"""The fake scholarly services (tests/helpers/fake_scholarly.py) against the real services'
shapes, and their fixtures against the curated data they are keyed by. If these fail, the
enrichment tests built on the fake prove nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import feedparser
import pyoxigraph as ox
import pytest
import requests

from tests.helpers.fake_scholarly import FAULTS, FakeScholarly
from tests.helpers.project import REPO
from tests.helpers.scholarly_fixtures import (
    ACCEPTED_FORUM,
    ARXIV_ENTRIES,
    ARXIV_ONLY,
    CROSSREF_WORKS,
    CURATED,
    EXPECTED_ORCIDS,
    FOUNDATIONS,
    INSTITUTIONS,
    INTERNAL_CITES,
    MALFORMED_ARXIV_ID,
    NOT_IN_OPENALEX,
    OPENALEX_BY_CURATED,
    OPENALEX_WORKS,
    OPENREVIEW_FORUMS,
    OUTSIDE_ARXIV_WORK,
    PERSON,
    PUBLISHED_PREPRINT,
    TRAP_NAME_DISAGREES,
    TRAP_WRONG_DOI_WORK,
    UNDECIDED_FORUM,
    UNKNOWN_ARXIV_ID,
    UNKNOWN_FORUM,
    WITHDRAWN_FORUM,
    arxiv_doi,
    orcid_is_valid,
)

AGENT = "caikg/0.1.0 (tests@example.org)"
TIMEOUT = 10


@pytest.fixture
def fake() -> Iterator[FakeScholarly]:
    with FakeScholarly(slow_seconds=1.5) as server:
        yield server


def get(fake: FakeScholarly, env: str, tail: str = "", query: dict[str, str] | None = None,
        agent: str | None = AGENT, timeout: float = TIMEOUT) -> requests.Response:
    headers = {"User-Agent": agent} if agent is not None else {}
    return requests.get(fake.endpoints[env] + tail, params=query, headers=headers,
                        timeout=timeout)


def one_line(text: str) -> str:
    return " ".join(text.split())


def abstract(index: dict[str, list[int]]) -> str:
    """The text of an OpenAlex abstract_inverted_index."""
    words = sorted((pos, word) for word, positions in index.items() for pos in positions)
    return " ".join(word for _, word in words)


# -- the fixtures agree with the curated data -----------------------------------------------------
CURATED_QUERY = """
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX caikg: <https://w3id.org/caikg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
SELECT ?paper ?title ?year ?status ?arxiv ?doi ?openreview WHERE {
  ?paper dcterms:title ?title ; fabio:hasPublicationYear ?year ; bibo:status ?status .
  OPTIONAL { ?paper caikg:arxivId ?arxiv } OPTIONAL { ?paper bibo:doi ?doi }
  OPTIONAL { ?paper caikg:openReviewId ?openreview }
}"""
AUTHORS_QUERY = """
PREFIX caikg: <https://w3id.org/caikg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
SELECT ?paper ?ordinal ?person ?name WHERE {
  ?paper prov:qualifiedAttribution ?a . ?a caikg:ordinal ?ordinal ; prov:agent ?person .
  ?person schema:name ?name .
} ORDER BY ?ordinal"""


@pytest.fixture(scope="module")
def survey() -> ox.Store:
    store = ox.Store()
    store.load(path=str(REPO / "data" / "survey.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def _rows(store: ox.Store, query: str, paper: str) -> list[Any]:
    result = store.query(query, substitutions={ox.Variable("paper"): ox.NamedNode(paper)})
    assert isinstance(result, ox.QuerySolutions)
    return list(result)


@pytest.mark.parametrize("slug", sorted(CURATED))
def test_fixture_papers_match_the_curated_data(survey: ox.Store, slug: str) -> None:
    paper = CURATED[slug]
    [row] = _rows(survey, CURATED_QUERY, paper.iri)

    def value(name: str) -> str | None:
        term = row[name]
        return term.value if term is not None else None

    assert value("title") == paper.title
    assert value("year") == str(paper.year)
    assert value("status") == "https://w3id.org/caikg/ontology#" + paper.status
    assert (value("arxiv"), value("doi"), value("openreview")) == (
        paper.arxiv, paper.doi, paper.openreview)
    names = tuple(r["name"].value for r in _rows(survey, AUTHORS_QUERY, paper.iri))
    assert names == paper.authors


def test_curated_people_of_the_expectations_exist(survey: ox.Store) -> None:
    trap = TRAP_NAME_DISAGREES
    rows = _rows(survey, AUTHORS_QUERY, CURATED[trap.paper].iri)
    person = rows[trap.position - 1]["person"].value
    assert person == PERSON + trap.person
    assert rows[trap.position - 1]["name"].value == trap.curated_name != trap.source_name
    people = {r["person"].value for slug in CURATED
              for r in _rows(survey, AUTHORS_QUERY, CURATED[slug].iri)}
    assert {PERSON + p for p in EXPECTED_ORCIDS} <= people


def test_fixture_ids_are_visibly_fake_and_consistent() -> None:
    orcids = [a.orcid for w in OPENALEX_WORKS.values() for a in w.authors if a.orcid]
    orcids += [a.orcid for w in CROSSREF_WORKS.values() for a in w.authors if a.orcid]
    assert orcids and all(o.startswith("0000-0000-0000-") and orcid_is_valid(o)
                          for o in orcids)
    assert not orcid_is_valid("0000-0000-0000-0011")
    assert all(i.ror.startswith("https://ror.org/0fake") for i in INSTITUTIONS)
    assert all(k.startswith("W9000000") for k in OPENALEX_WORKS)
    for work in OPENALEX_WORKS.values():
        assert set(work.references) <= set(OPENALEX_WORKS), work.key
        assert sum(c for _, c in work.counts_by_year) <= work.cited_by_count
        if work.curated:
            assert work.title == CURATED[work.curated].title
            assert work.counts_by_year, "every fixture work has yearly citation counts"
            paper = CURATED[work.curated]
            if work.curated != TRAP_NAME_DISAGREES.paper:
                assert tuple(a.name for a in work.authors) == paper.authors
    # the expectations follow from the records
    cited_by: dict[str, set[str]] = {}
    for work in OPENALEX_WORKS.values():
        for ref in work.references:
            if work.curated:
                cited_by.setdefault(ref, set()).add(work.curated)
    outside = {k for k in OPENALEX_WORKS if not OPENALEX_WORKS[k].curated}
    assert {k: tuple(sorted(v)) for k, v in cited_by.items() if k in outside and len(v) >= 2
            } == {k: tuple(sorted(v)) for k, v in FOUNDATIONS.items()}
    internal = {(w.curated, OPENALEX_WORKS[r].curated) for w in OPENALEX_WORKS.values()
                for r in w.references if w.curated and OPENALEX_WORKS[r].curated}
    assert internal == set(INTERNAL_CITES)
    assert OPENALEX_WORKS[OUTSIDE_ARXIV_WORK].doi == arxiv_doi("2112.99901")
    assert CURATED[ARXIV_ONLY].doi is None and ARXIV_ONLY in OPENALEX_BY_CURATED
    assert NOT_IN_OPENALEX not in OPENALEX_BY_CURATED and CURATED[NOT_IN_OPENALEX].arxiv
    assert CURATED[NOT_IN_OPENALEX].arxiv in ARXIV_ENTRIES


# -- the User-Agent policy -------------------------------------------------------------------------
@pytest.mark.parametrize("agent", [None, "", "python-requests/2.32.3", "curl/8.5.0"])
def test_generic_or_missing_user_agent_is_refused(fake: FakeScholarly, agent: str | None) -> None:
    if agent is None:  # requests sends its own unless told not to
        session = requests.Session()
        del session.headers["User-Agent"]
        r = session.get(fake.endpoints["CAIKG_CROSSREF_API"] + "/works/" + PUBLISHED_PREPRINT
                        .published_doi, timeout=TIMEOUT)
    else:
        r = get(fake, "CAIKG_CROSSREF_API", "/works/" + PUBLISHED_PREPRINT.published_doi,
                agent=agent)
    assert r.status_code == 403
    assert fake.requests[-1].fault == "ua-403"
    assert get(fake, "CAIKG_CROSSREF_API", "/works/" + PUBLISHED_PREPRINT.published_doi
               ).status_code == 200


# -- OpenAlex --------------------------------------------------------------------------------------
def test_openalex_work_by_doi(fake: FakeScholarly) -> None:
    expected = OPENALEX_BY_CURATED["infinigen"]
    assert expected.doi
    r = get(fake, "CAIKG_OPENALEX_API", f"/works/doi:{expected.doi.upper()}",
            {"mailto": "tests@example.org"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    work = r.json()
    assert work["id"] == f"https://openalex.org/{expected.key}"
    assert work["doi"] == f"https://doi.org/{expected.doi}"
    assert work["ids"] == {"openalex": work["id"], "doi": work["doi"]}
    assert work["title"] == work["display_name"] == CURATED["infinigen"].title
    assert (work["publication_year"], work["type"]) == (2024, "preprint")
    assert work["primary_location"]["source"]["display_name"] == "arXiv (Cornell University)"
    first, second, *_, last = work["authorships"]
    assert [first["author_position"], second["author_position"], last["author_position"]] == [
        "first", "middle", "last"]
    assert first["author"]["orcid"] == "https://orcid.org/" + EXPECTED_ORCIDS["wonbeom-lee"]
    assert first["author"]["id"].startswith("https://openalex.org/A9")
    inst = first["institutions"][0]
    assert set(inst) >= {"id", "display_name", "ror", "country_code"}
    assert inst["ror"].startswith("https://ror.org/0fake")
    assert first["raw_author_name"] == "Wonbeom Lee"
    assert abstract(work["abstract_inverted_index"]) == expected.abstract
    assert work["referenced_works"] == [f"https://openalex.org/{k}"
                                        for k in expected.references]
    assert work["cited_by_count"] == expected.cited_by_count
    assert work["counts_by_year"][0] == {"year": 2025, "cited_by_count": 55}
    assert fake.requests[-1].mailto == "tests@example.org"
    assert fake.count("/openalex") == 1


def test_openalex_accepts_the_doi_url_form(fake: FakeScholarly) -> None:
    doi = arxiv_doi(CURATED[ARXIV_ONLY].arxiv or "")
    r = get(fake, "CAIKG_OPENALEX_API", f"/works/https://doi.org/{doi}")
    assert r.status_code == 200
    assert r.json()["id"].endswith(OPENALEX_BY_CURATED[ARXIV_ONLY].key)


def test_openalex_unknown_doi_is_a_json_404(fake: FakeScholarly) -> None:
    doi = arxiv_doi(CURATED[NOT_IN_OPENALEX].arxiv or "")
    r = get(fake, "CAIKG_OPENALEX_API", f"/works/doi:{doi}")
    assert r.status_code == 404 and "error" in r.json()


def test_openalex_traps(fake: FakeScholarly) -> None:
    r = get(fake, "CAIKG_OPENALEX_API", f"/works/doi:{TRAP_WRONG_DOI_WORK.doi}")
    work = r.json()
    assert work["id"].endswith(TRAP_WRONG_DOI_WORK.work.key)
    assert work["doi"] == f"https://doi.org/{CURATED['alto'].doi}"
    assert work["title"] != CURATED["alto"].title
    assert not {a["author"]["display_name"] for a in work["authorships"]} & set(
        CURATED["alto"].authors)
    infinigen = get(fake, "CAIKG_OPENALEX_API",
                    f"/works/doi:{OPENALEX_BY_CURATED['infinigen'].doi}").json()
    trap = infinigen["authorships"][TRAP_NAME_DISAGREES.position - 1]
    assert trap["author"]["display_name"] == TRAP_NAME_DISAGREES.source_name
    assert trap["author"]["orcid"] == "https://orcid.org/" + TRAP_NAME_DISAGREES.orcid


def test_openalex_list_by_ids_with_select(fake: FakeScholarly) -> None:
    keys = [*FOUNDATIONS, "W9000000001", "W9999999999"]
    r = get(fake, "CAIKG_OPENALEX_API", "/works", {"filter": "openalex_id:" + "|".join(keys),
            "per-page": "50", "select": "id,doi,title,display_name,publication_year,ids"})
    assert r.status_code == 200
    data = r.json()
    assert data["meta"]["count"] == 3 and data["meta"]["per_page"] == 50
    assert data["meta"]["page"] == 1
    assert [w["id"] for w in data["results"]] == [f"https://openalex.org/{k}" for k in keys[:3]]
    assert set(data["results"][0]) == {"id", "doi", "title", "display_name", "publication_year",
                                       "ids"}
    outside = data["results"][1]
    assert outside["doi"] == "https://doi.org/" + arxiv_doi("2112.99901")
    # full URLs as filter values, and paging
    r = get(fake, "CAIKG_OPENALEX_API", "/works", {
        "filter": "openalex_id:" + "|".join(f"https://openalex.org/{k}" for k in keys),
        "per-page": "2", "page": "2"})
    assert [w["id"][-11:] for w in r.json()["results"]] == ["W9000000001"]


@pytest.mark.parametrize("params", [{"per-page": "201"}, {"per-page": "0"},
                                    {"select": "id,nonsense"}, {"filter": "nonsense:1"}])
def test_openalex_refuses_bad_list_queries(fake: FakeScholarly, params: dict[str, str]) -> None:
    params = {"filter": "openalex_id:W9000000001", **params}
    r = get(fake, "CAIKG_OPENALEX_API", "/works", params)
    assert r.status_code == 400 and "message" in r.json()


# -- Crossref --------------------------------------------------------------------------------------
def test_crossref_work(fake: FakeScholarly) -> None:
    r = get(fake, "CAIKG_CROSSREF_API", "/works/" + (CURATED["alto"].doi or "").upper(),
            {"mailto": "tests@example.org"})
    assert r.status_code == 200
    data = r.json()
    assert (data["status"], data["message-type"], data["message-version"]) == (
        "ok", "work", "1.0.0")
    m = data["message"]
    assert m["DOI"] == CURATED["alto"].doi and m["URL"] == "https://doi.org/" + m["DOI"]
    assert m["title"] == [CURATED["alto"].title] and m["container-title"]
    assert m["type"] == "proceedings-article"
    assert m["issued"] == {"date-parts": [[2024, 4, 22]]}
    names = tuple(f"{a['given']} {a['family']}" for a in m["author"])
    assert names == CURATED["alto"].authors
    assert [a["sequence"] for a in m["author"][:2]] == ["first", "additional"]
    assert m["author"][0]["ORCID"] == "http://orcid.org/" + EXPECTED_ORCIDS["keshav-santhanam"]
    assert m["author"][0]["affiliation"] == [{"name": "Quillon Institute of Computing"}]
    assert fake.requests[-1].mailto == "tests@example.org"


def test_crossref_published_preprint_and_404(fake: FakeScholarly) -> None:
    m = get(fake, "CAIKG_CROSSREF_API", "/works/" + PUBLISHED_PREPRINT.published_doi
            ).json()["message"]
    assert m["relation"] == {"has-preprint": [
        {"id-type": "doi", "id": PUBLISHED_PREPRINT.arxiv_doi, "asserted-by": "subject"}]}
    assert m["container-title"] == [PUBLISHED_PREPRINT.venue]
    # arXiv's DOIs are DataCite's: Crossref does not know them
    r = get(fake, "CAIKG_CROSSREF_API", "/works/" + PUBLISHED_PREPRINT.arxiv_doi)
    assert (r.status_code, r.text) == (404, "Resource not found.")


# -- OpenReview ------------------------------------------------------------------------------------
def notes_of(fake: FakeScholarly, forum: str) -> dict[str, Any]:
    r = get(fake, "CAIKG_OPENREVIEW_API", "/notes", {"forum": forum})
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    assert data["count"] == len(data["notes"])
    return data


def test_openreview_accepted_forum(fake: FakeScholarly) -> None:
    notes = notes_of(fake, ACCEPTED_FORUM.forum_id)["notes"]
    submission = notes[0]
    assert submission["id"] == submission["forum"] == ACCEPTED_FORUM.forum_id
    assert submission["content"]["title"]["value"] == CURATED["metagpt"].title
    assert submission["content"]["authors"]["value"] == list(CURATED["metagpt"].authors)
    assert submission["content"]["venue"]["value"] == "ICLR 2024 oral"
    assert submission["content"]["venueid"]["value"] == "ICLR.cc/2024/Conference"
    assert isinstance(submission["cdate"], int) and isinstance(submission["mdate"], int)
    [decision] = [n for n in notes if n["invitations"][0].endswith("/-/Decision")]
    assert decision["content"]["decision"]["value"] == "Accept (oral)"
    assert decision["cdate"] == ACCEPTED_FORUM.decided
    reviews = [n for n in notes if n["invitations"][0].endswith("/-/Official_Review")]
    assert reviews and all("decision" not in n["content"] for n in reviews)


def test_openreview_withdrawn_undecided_and_unknown_forums(fake: FakeScholarly) -> None:
    notes = notes_of(fake, WITHDRAWN_FORUM.forum_id)["notes"]
    content = notes[0]["content"]
    assert content["venueid"]["value"].endswith("/Withdrawn_Submission")
    assert content["venue"]["value"].endswith("Withdrawn Submission")
    assert "authors" not in content  # hidden
    assert any(n["invitations"][0].endswith("/-/Withdrawal") for n in notes)
    assert CURATED[WITHDRAWN_FORUM.curated].status == "UnderReview"  # the trap
    notes = notes_of(fake, UNDECIDED_FORUM.forum_id)["notes"]
    assert notes[0]["content"]["venue"]["value"] == "Submitted to ICLR 2025"
    assert not any(n["invitations"][0].endswith(("/-/Decision", "/-/Withdrawal"))
                   for n in notes)
    assert len(notes) == 1 + UNDECIDED_FORUM.reviews
    assert notes_of(fake, UNKNOWN_FORUM) == {"notes": [], "count": 0}
    assert UNKNOWN_FORUM not in OPENREVIEW_FORUMS


# -- arXiv -----------------------------------------------------------------------------------------
def arxiv_query(fake: FakeScholarly, ids: list[str], **params: str) -> Any:
    r = get(fake, "CAIKG_ARXIV_API", "", {"id_list": ",".join(ids), **params})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_arxiv_feed(fake: FakeScholarly) -> None:
    ids = [PUBLISHED_PREPRINT.arxiv, CURATED["flexgen"].arxiv or "", UNKNOWN_ARXIV_ID]
    feed = arxiv_query(fake, ids, max_results="10")
    assert feed.feed.opensearch_totalresults == "2"
    assert feed.feed.opensearch_startindex == "0"
    preprint, flexgen = feed.entries
    entry = ARXIV_ENTRIES[PUBLISHED_PREPRINT.arxiv]
    assert preprint.id == f"http://arxiv.org/abs/{PUBLISHED_PREPRINT.arxiv}v3"
    assert one_line(preprint.title) == CURATED[PUBLISHED_PREPRINT.paper].title
    assert one_line(preprint.summary) == entry.summary
    assert preprint.published == entry.published and preprint.updated == entry.updated
    assert tuple(a.name for a in preprint.authors) == CURATED[PUBLISHED_PREPRINT.paper].authors
    assert preprint.arxiv_journal_ref == PUBLISHED_PREPRINT.journal_ref
    assert preprint.arxiv_doi == PUBLISHED_PREPRINT.published_doi
    assert preprint.arxiv_primary_category["term"] == "cs.DC"
    links = {link.get("title", link.rel): link.href for link in preprint.links}
    assert links["alternate"] == preprint.id
    assert links["pdf"] == f"http://arxiv.org/pdf/{PUBLISHED_PREPRINT.arxiv}v3"
    assert flexgen.id.endswith("2303.06865v2") and "arxiv_journal_ref" not in flexgen
    # a long title arrives hard-wrapped, as from arXiv
    assert "\n" in get(fake, "CAIKG_ARXIV_API", "", {"id_list": "2303.06865"}).text.split(
        "<title>")[1].split("</title>")[0]


def test_arxiv_versions_and_max_results(fake: FakeScholarly) -> None:
    feed = arxiv_query(fake, ["2401.14361v1"])
    assert feed.entries[0].id.endswith("2401.14361v1")
    feed = arxiv_query(fake, sorted(ARXIV_ENTRIES), max_results="2")
    assert len(feed.entries) == 2 and feed.feed.opensearch_totalresults == str(
        len(ARXIV_ENTRIES))


def test_arxiv_error_entry_for_a_malformed_id(fake: FakeScholarly) -> None:
    feed = arxiv_query(fake, ["2303.06865", MALFORMED_ARXIV_ID])
    [entry] = feed.entries
    assert entry.id == f"http://arxiv.org/api/errors#incorrect_id_format_for_{MALFORMED_ARXIV_ID}"
    assert entry.title == "Error"
    assert entry.summary == f"incorrect id format for {MALFORMED_ARXIV_ID}"
    assert entry.author == "arXiv api core"


# -- faults ----------------------------------------------------------------------------------------
SERVICES = {
    "/openalex": ("CAIKG_OPENALEX_API", "/works/doi:" + arxiv_doi("2303.06865"), {}),
    "/crossref": ("CAIKG_CROSSREF_API", "/works/" + PUBLISHED_PREPRINT.published_doi, {}),
    "/openreview": ("CAIKG_OPENREVIEW_API", "/notes", {"forum": ACCEPTED_FORUM.forum_id}),
    "/arxiv": ("CAIKG_ARXIV_API", "", {"id_list": "2303.06865"}),
}


def call(fake: FakeScholarly, prefix: str, timeout: float = TIMEOUT) -> requests.Response:
    env, tail, params = SERVICES[prefix]
    return get(fake, env, tail, params, timeout=timeout)


def valid(prefix: str, r: requests.Response) -> bool:
    """Whether ``r`` is a well-formed answer of the service."""
    if prefix == "/arxiv":
        feed = feedparser.parse(r.content)
        return not feed.bozo and len(feed.entries) == 1
    try:
        data = r.json()
    except json.JSONDecodeError:
        return False
    return bool({"id", "message", "notes"} & set(data))


@pytest.mark.parametrize("prefix", sorted(SERVICES))
@pytest.mark.parametrize("kind", ["429", "500", "503", "403"])
def test_status_faults(fake: FakeScholarly, prefix: str, kind: str) -> None:
    fake.fail(prefix, kind)
    r = call(fake, prefix)
    assert r.status_code == int(kind)
    if kind in {"429", "503"}:
        assert r.headers["Retry-After"] == "7"
    assert fake.requests[-1].fault == kind
    ok = call(fake, prefix)  # each queued fault is used once
    assert ok.status_code == 200 and valid(prefix, ok)


@pytest.mark.parametrize("prefix", sorted(SERVICES))
def test_truncated_and_invalid_bodies(fake: FakeScholarly, prefix: str) -> None:
    whole = call(fake, prefix)
    fake.fail(prefix, "truncated", "invalid")
    cut = call(fake, prefix)
    assert cut.status_code == 200 and len(cut.content) == len(whole.content) // 2
    assert not valid(prefix, cut)
    wrong = call(fake, prefix)
    assert wrong.status_code == 200 and not valid(prefix, wrong)
    if prefix == "/arxiv":
        assert wrong.headers["Content-Type"].startswith("text/html")
    else:
        assert wrong.json() == {"unexpected": True}
    assert valid(prefix, call(fake, prefix))


def test_slow_is_a_timeout_for_a_short_client_timeout(fake: FakeScholarly) -> None:
    fake.fail("/openalex", "slow", "slow")
    with pytest.raises(requests.Timeout):
        call(fake, "/openalex", timeout=0.3)
    r = call(fake, "/openalex", timeout=5)  # a patient client gets the answer
    assert r.status_code == 200 and valid("/openalex", r)
    assert [q.fault for q in fake.log("/openalex")] == ["slow", "slow"]


def test_faults_match_by_prefix_narrowest_first(fake: FakeScholarly) -> None:
    fake.fail("/", "500")
    fake.fail("/openalex/works/doi:", "503")
    assert call(fake, "/crossref").status_code == 500  # only "/" matches
    assert call(fake, "/openalex").status_code == 503
    assert call(fake, "/openalex").status_code == 200
    assert fake.faults == {"/": [], "/openalex/works/doi:": []}
    with pytest.raises(ValueError, match="unknown fault"):
        fake.fail("/openalex", "teapot")
    assert set(FAULTS) == {"429", "500", "503", "truncated", "invalid", "slow", "403"}


def test_the_request_log_is_thread_safe(fake: FakeScholarly) -> None:
    def hit() -> None:
        for prefix in SERVICES:
            call(fake, prefix)

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fake.count() == 16
    assert all(fake.count(p) == 4 for p in SERVICES)
    assert {r.service for r in fake.requests} == {"openalex", "crossref", "openreview", "arxiv"}
    assert all(r.user_agent == AGENT for r in fake.requests)


def test_endpoints(fake: FakeScholarly) -> None:
    assert fake.endpoints == {
        "CAIKG_OPENALEX_API": f"{fake.url}/openalex",
        "CAIKG_CROSSREF_API": f"{fake.url}/crossref",
        "CAIKG_OPENREVIEW_API": f"{fake.url}/openreview",
        "CAIKG_ARXIV_API": f"{fake.url}/arxiv/api/query",
    }
    assert fake.url.startswith("http://127.0.0.1:")
