"""The source parsers on small hand-written answers in the shapes the real APIs give (every
title, name and abstract word here is made up), their ``check_*`` functions, and the request
plans of ``fetch`` against a stand-in client that never touches the network."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

import pytest

from caikg.config import Settings
from caikg.enrich.client import NotFound, PoliteClient
from caikg.enrich.sources import arxiv, crossref, openalex, openreview
from caikg.enrich.sources.base import OUTCOMES, Institution, Lookup, ReferencedWork, Version

LOOKUP = Lookup(work="https://example.org/work/1", doi="10.1234/Synth.2024.1",
                arxiv="2401.00001", openreview="FoRuM123")


def dumps(data: object) -> bytes:
    return json.dumps(data).encode("utf-8")


class StandIn:
    """Answers ``get`` from canned bodies (runs the caller's check like the real client does)
    and records every request."""

    def __init__(self, answer: Callable[[str, dict[str, str]], bytes | None],
                 mailto: str | None = "curator@example.org") -> None:
        self.answer = answer
        self.mailto = mailto
        self.requests: list[tuple[str, dict[str, str]]] = []

    def get(self, url: str, params: Mapping[str, str] | None,
            check: Callable[[bytes], object]) -> bytes:
        params = dict(params or {})
        self.requests.append((url, params))
        body = self.answer(url, params)
        if body is None:
            raise NotFound(url)
        check(body)
        return body


def as_client(stand_in: StandIn) -> PoliteClient:
    return cast(PoliteClient, stand_in)


# == OpenAlex ===================================================================================
def openalex_work(**overrides: Any) -> dict[str, Any]:
    work: dict[str, Any] = {
        "id": "https://openalex.org/W100",
        "doi": "https://doi.org/10.1234/SYNTH.2024.1",
        "title": "Zorbing the Quux",
        "display_name": "Zorbing the Quux",
        "publication_year": 2024,
        "publication_date": "2024-05-01",
        "type": "article",
        "ids": {"openalex": "https://openalex.org/W100",
                "doi": "https://doi.org/10.1234/synth.2024.1"},
        "primary_location": {"source": {"display_name": "Proceedings of Synthcon"}},
        "authorships": [
            {"author_position": "first",
             "author": {"id": "https://openalex.org/A1", "display_name": "Ada Vexley",
                        "orcid": "https://orcid.org/0000-0002-1825-0097"},
             "institutions": [{"id": "https://openalex.org/I1", "display_name": "Univ of Nowhere",
                               "ror": "https://ror.org/00example", "country_code": "NL"},
                              {"id": "https://openalex.org/I2", "display_name": "Lab Elsewhere",
                               "ror": None, "country_code": None}],
             "raw_author_name": "A. Vexley"},
            {"author_position": "last",
             "author": {"id": "https://openalex.org/A2", "display_name": "Bo Quill",
                        "orcid": None},
             "institutions": [], "raw_author_name": "Bo Quill"},
        ],
        "abstract_inverted_index": {"the": [0, 3], "quux": [1], "zorbs": [2], "lattice": [4]},
        "referenced_works": ["https://openalex.org/W7", "https://openalex.org/W8"],
        "cited_by_count": 12,
        "counts_by_year": [{"year": 2025, "cited_by_count": 9},
                           {"year": 2024, "cited_by_count": 3}],
    }
    work.update(overrides)
    return work


def test_abstract_is_rebuilt_in_position_order() -> None:
    index = {"b": [1], "a": [0, 2], "c": [4], "d": [3]}
    assert openalex.abstract_from_inverted_index(index) == "a b a d c"
    assert openalex.abstract_from_inverted_index(None) is None
    assert openalex.abstract_from_inverted_index({}) is None


def test_openalex_work_fields() -> None:
    record = openalex.parse_work(openalex_work(), LOOKUP)
    assert record.source == "openalex" and record.lookup is LOOKUP
    assert record.source_id == record.url == "https://openalex.org/W100"
    assert record.doi == "10.1234/synth.2024.1"
    assert (record.title, record.year, record.date) == ("Zorbing the Quux", 2024, "2024-05-01")
    assert (record.venue, record.work_type) == ("Proceedings of Synthcon", "article")
    assert record.abstract == "the quux zorbs the lattice"
    assert record.cited_by_count == 12
    assert record.counts_by_year == {2024: 3, 2025: 9}
    assert [ref.source_id for ref in record.references] == ["https://openalex.org/W7",
                                                            "https://openalex.org/W8"]


def test_openalex_authors_orcid_and_ror() -> None:
    first, last = openalex.parse_work(openalex_work(), LOOKUP).authors
    assert (first.position, first.name, first.orcid) == (1, "Ada Vexley", "0000-0002-1825-0097")
    assert first.source_id == "https://openalex.org/A1"
    assert first.institutions == [Institution("Univ of Nowhere", "https://ror.org/00example", "NL"),
                                  Institution("Lab Elsewhere", None, None)]
    assert (last.position, last.name, last.orcid, last.institutions) == (2, "Bo Quill", None, [])


def test_openalex_work_without_source_or_abstract() -> None:
    record = openalex.parse_work(openalex_work(primary_location={"source": None},
                                               abstract_inverted_index=None, doi=None,
                                               title=None), LOOKUP)
    assert record.venue is None and record.abstract is None
    assert record.title == "Zorbing the Quux"  # display_name stands in for a missing title
    assert record.doi == "10.1234/synth.2024.1"  # from ids.doi


def test_openalex_arxiv_from_datacite_doi() -> None:
    assert openalex.arxiv_from_doi("10.48550/arxiv.2401.00001") == "2401.00001"
    assert openalex.arxiv_from_doi("10.48550/ARXIV.2401.00001") == "2401.00001"
    assert openalex.arxiv_from_doi("10.1234/synth") is None
    ref = openalex.parse_reference({"id": "https://openalex.org/W7",
                                    "doi": "https://doi.org/10.48550/arXiv.2312.09999",
                                    "title": "A Made-Up Preprint", "publication_year": 2023})
    assert ref == ReferencedWork("https://openalex.org/W7", "A Made-Up Preprint", 2023,
                                 "10.48550/arxiv.2312.09999", "2312.09999")
    preprint = openalex.parse_work(
        openalex_work(doi="https://doi.org/10.48550/arxiv.2401.00001", ids={}), LOOKUP)
    assert preprint.arxiv == "2401.00001"


def test_openalex_lookup_doi() -> None:
    assert openalex.lookup_doi(Lookup("w", doi="10.1234/ABC")) == "10.1234/abc"
    assert openalex.lookup_doi(Lookup("w", arxiv="2401.00001")) == "10.48550/arxiv.2401.00001"
    assert openalex.lookup_doi(Lookup("w", openreview="x")) is None


def test_openalex_checks_reject_truncated_and_wrong_shapes() -> None:
    body = dumps(openalex_work())
    openalex.check_work(body)
    with pytest.raises(ValueError):
        openalex.check_work(body[:-20])
    with pytest.raises(ValueError):
        openalex.check_work(dumps({"error": "Invalid query", "message": "no"}))
    openalex.check_list(dumps({"meta": {"count": 0}, "results": []}))
    with pytest.raises(ValueError):
        openalex.check_list(dumps({"meta": {"count": 0}, "results": []})[:-3])
    with pytest.raises(ValueError):
        openalex.check_list(dumps(openalex_work()))  # a work is not a list answer


def test_openalex_fetch_asks_by_doi_then_references_in_batches(settings: Settings) -> None:
    refs = [f"https://openalex.org/W{n}" for n in range(1000, 1060)]  # 60 → two batches

    def answer(url: str, params: dict[str, str]) -> bytes | None:
        if url.endswith("/works/doi:10.1234/synth.2024.1"):
            return dumps(openalex_work(referenced_works=refs))
        if url.endswith("/works"):
            ids = params["filter"].removeprefix("openalex_id:").split("|")
            return dumps({"meta": {"count": len(ids)}, "results": [
                {"id": f"https://openalex.org/{i}", "title": f"Made-up {i}",
                 "publication_year": 2020, "doi": None} for i in ids if i != "W1001"]})
        return None  # the arXiv-only lookup: OpenAlex has no such DOI

    stand_in = StandIn(answer)
    steps: list[int] = []
    lookups = [LOOKUP, Lookup("w2", arxiv="2402.99999"), Lookup("w3", openreview="only")]
    records = openalex.fetch(as_client(stand_in), settings, lookups, steps.append)
    assert [r.lookup for r in records] == [LOOKUP]
    urls = [url for url, _ in stand_in.requests]
    assert urls[:2] == [f"{settings.openalex_api}/works/doi:10.1234/synth.2024.1",
                        f"{settings.openalex_api}/works/doi:10.48550/arxiv.2402.99999"]
    assert all(params["mailto"] == "curator@example.org" for _, params in stand_in.requests)
    batches = [p["filter"].count("|") + 1 for u, p in stand_in.requests if u.endswith("/works")]
    assert batches == [50, 10]
    assert stand_in.requests[2][1]["select"] == openalex.REFERENCE_FIELDS
    assert len(steps) == len(stand_in.requests) == 4
    references = records[0].references
    assert len(references) == 60 and references[0].title == "Made-up W1000"
    assert references[1] == ReferencedWork("https://openalex.org/W1001")  # not returned: bare


# == Crossref ===================================================================================
def crossref_answer(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "DOI": "10.1234/SYNTH.2024.1",
        "URL": "https://doi.org/10.1234/synth.2024.1",
        "title": ["Zorbing   the\n Quux"],
        "container-title": ["Proceedings of Synthcon", "Synthcon '24"],
        "type": "proceedings-article",
        "issued": {"date-parts": [[2024, 5, 1]]},
        "abstract": "<jats:p>never kept</jats:p>",
        "author": [
            {"given": "Ada", "family": "Vexley", "sequence": "first",
             "ORCID": "http://orcid.org/0000-0002-1825-0097", "authenticated-orcid": False,
             "affiliation": [{"name": "Univ of Nowhere",
                              "id": [{"id": "https://ror.org/00example", "id-type": "ROR",
                                      "asserted-by": "publisher"}]},
                             {"name": "Lab Elsewhere"}]},
            {"name": "The Synth Consortium", "sequence": "additional", "affiliation": []},
        ],
        "relation": {
            "has-preprint": [{"id-type": "doi", "id": "10.48550/ARXIV.2401.00001",
                              "asserted-by": "object"}],
            "is-preprint-of": [{"id-type": "doi", "id": "10.5555/Journal.9",
                                "asserted-by": "subject"},
                               {"id-type": "uri", "id": "https://example.org/x",
                                "asserted-by": "subject"}],
        },
    }
    message.update(overrides)
    return {"status": "ok", "message-type": "work", "message-version": "1.0.0",
            "message": message}


def test_crossref_work_fields_and_relations() -> None:
    record = crossref.parse_work(crossref_answer()["message"], LOOKUP)
    assert record.source_id == record.doi == "10.1234/synth.2024.1"
    assert record.url == "https://doi.org/10.1234/synth.2024.1"
    assert record.title == "Zorbing the Quux"
    assert (record.venue, record.work_type) == ("Proceedings of Synthcon", "proceedings-article")
    assert (record.date, record.year) == ("2024-05-01", 2024)
    assert record.abstract is None
    assert record.has_preprint == ["10.48550/arxiv.2401.00001"]
    assert record.preprint_of == ["10.5555/journal.9"]  # the uri relation is not a DOI


def test_crossref_authors() -> None:
    ada, consortium = crossref.parse_work(crossref_answer()["message"], LOOKUP).authors
    assert (ada.position, ada.name, ada.orcid) == (1, "Ada Vexley", "0000-0002-1825-0097")
    assert ada.institutions == [Institution("Univ of Nowhere", "https://ror.org/00example"),
                                Institution("Lab Elsewhere")]
    assert (consortium.position, consortium.name, consortium.orcid) == (
        2, "The Synth Consortium", None)
    https = crossref.parse_author({"given": "C", "family": "D",
                                   "ORCID": "https://orcid.org/0000-0001-2345-6789"}, 3)
    assert https.orcid == "0000-0001-2345-6789"


@pytest.mark.parametrize(("parts", "date", "year"), [
    ([[2024, 5, 1]], "2024-05-01", 2024),
    ([[2024, 5]], "2024-05", 2024),
    ([[2024]], "2024", 2024),
    ([[None]], None, None),
])
def test_crossref_date_parts(parts: list[list[int | None]], date: str | None,
                             year: int | None) -> None:
    assert crossref.date_from_parts({"date-parts": parts}) == (date, year)
    record = crossref.parse_work(crossref_answer(issued={"date-parts": parts})["message"], LOOKUP)
    assert (record.date, record.year) == (date, year)


def test_crossref_check_rejects_truncated_and_wrong_shapes() -> None:
    body = dumps(crossref_answer())
    crossref.check_work(body)
    with pytest.raises(ValueError):
        crossref.check_work(body[: len(body) // 2])
    with pytest.raises(ValueError):
        crossref.check_work(dumps({"status": "ok", "message-type": "work-list",
                                   "message": {"items": []}}))
    with pytest.raises(ValueError):
        crossref.check_work(dumps({"status": "failed", "message": "nope"}))


def test_crossref_fetch_skips_unknown_and_doiless(settings: Settings) -> None:
    def answer(url: str, params: dict[str, str]) -> bytes | None:
        return dumps(crossref_answer()) if url.endswith("/10.1234/synth.2024.1") else None

    stand_in = StandIn(answer, mailto=None)
    steps: list[int] = []
    lookups = [LOOKUP, Lookup("w2", doi="10.9999/missing"), Lookup("w3", arxiv="2401.1")]
    records = crossref.fetch(as_client(stand_in), settings, lookups, steps.append)
    assert [r.lookup for r in records] == [LOOKUP]
    assert stand_in.requests == [(f"{settings.crossref_api}/works/10.1234/synth.2024.1", {}),
                                 (f"{settings.crossref_api}/works/10.9999/missing", {})]
    assert steps == [1, 1]


# == OpenReview =================================================================================
MS_2024_01_15 = 1705320000000  # 2024-01-15T12:00:00Z
MS_2024_03_01 = 1709294400000  # 2024-03-01T12:00:00Z


def submission(venue: str, venueid: str, **extra: Any) -> dict[str, Any]:
    note: dict[str, Any] = {
        "id": "FoRuM123", "forum": "FoRuM123", "replyto": None,
        "invitations": ["Synth.cc/2025/Conference/-/Submission",
                        "Synth.cc/2025/Conference/-/Post_Submission"],
        "cdate": 1700000000000, "tcdate": 1700000000000, "mdate": MS_2024_03_01,
        "content": {"title": {"value": "Zorbing the Quux"},
                    "authors": {"value": ["Ada Vexley", "Bo Quill"]},
                    "authorids": {"value": ["~Ada_Vexley1", "~Bo_Quill1"]},
                    "venue": {"value": venue}, "venueid": {"value": venueid}},
    }
    note.update(extra)
    return note


def reply(invitation: str, content: dict[str, Any], cdate: int = MS_2024_01_15) -> dict[str, Any]:
    return {"id": f"note-{invitation.rsplit('/', 1)[-1]}", "forum": "FoRuM123",
            "replyto": "FoRuM123",
            "invitations": [f"Synth.cc/2025/Conference/Submission42/-/{invitation}"],
            "cdate": cdate, "tcdate": cdate,
            "content": {key: {"value": value} for key, value in content.items()}}


REVIEW = reply("Official_Review", {"rating": "6: marginally above", "summary": "made up"})


def forum(*notes: dict[str, Any]) -> dict[str, Any]:
    return {"notes": list(notes), "count": len(notes)}


def test_openreview_accepted_poster() -> None:
    data = forum(REVIEW, submission("Synth 2025 Poster", "Synth.cc/2025/Conference"),
                 reply("Decision", {"decision": "Accept (poster)", "comment": "made up"}))
    record = openreview.parse_forum(data, LOOKUP)
    assert record is not None
    assert (record.source_id, record.url) == ("FoRuM123",
                                              "https://openreview.net/forum?id=FoRuM123")
    assert (record.title, record.venue) == ("Zorbing the Quux", "Synth 2025 Poster")
    assert [(a.position, a.name) for a in record.authors] == [(1, "Ada Vexley"), (2, "Bo Quill")]
    assert record.decision is not None
    assert record.decision.outcome == "accepted-poster"
    assert record.decision.label == "Accept (poster)"
    assert record.decision.date == "2024-01-15"
    assert record.decision.venue == "Synth 2025 Poster"


@pytest.mark.parametrize(("label", "outcome"), [
    ("Accept (oral)", "accepted-oral"),
    ("Accept (Oral)", "accepted-oral"),
    ("Accept (spotlight)", "accepted-spotlight"),
    ("Accept", "accepted"),
    ("Accept: notable-top-5%", "accepted-oral"),
    ("Reject", "rejected"),
])
def test_openreview_decision_labels(label: str, outcome: str) -> None:
    venueid = ("Synth.cc/2025/Conference/Rejected_Submission" if outcome == "rejected"
               else "Synth.cc/2025/Conference")
    data = forum(submission("Synth 2025", venueid), reply("Decision", {"decision": label}))
    record = openreview.parse_forum(data, LOOKUP)
    assert record is not None and record.decision is not None
    assert (record.decision.outcome, record.decision.label) == (outcome, label)
    assert record.decision.outcome in OUTCOMES


def test_openreview_withdrawn() -> None:
    data = forum(submission("Synth 2025 Conference Withdrawn Submission",
                            "Synth.cc/2025/Conference/Withdrawn_Submission"),
                 REVIEW,
                 reply("Withdrawal", {"withdrawal_confirmation": "I confirm."}, MS_2024_01_15))
    record = openreview.parse_forum(data, LOOKUP)
    assert record is not None and record.decision is not None
    assert record.decision.outcome == "withdrawn"
    assert record.decision.date == "2024-01-15"  # the withdrawal note, not the last edit
    # Without the withdrawal note, the venueid alone says so; the date is the last edit.
    alone = openreview.parse_forum(forum(data["notes"][0]), LOOKUP)
    assert alone is not None and alone.decision is not None
    assert (alone.decision.outcome, alone.decision.date) == ("withdrawn", "2024-03-01")


def test_openreview_withdrawal_note_wins_over_a_decision() -> None:
    data = forum(submission("Submitted to Synth 2025", "Synth.cc/2025/Conference/Submission"),
                 reply("Decision", {"decision": "Reject"}),
                 reply("Withdrawal", {"withdrawal_confirmation": "I confirm."}, MS_2024_03_01))
    record = openreview.parse_forum(data, LOOKUP)
    assert record is not None and record.decision is not None
    assert (record.decision.outcome, record.decision.date) == ("withdrawn", "2024-03-01")


def test_openreview_desk_rejected() -> None:
    data = forum(submission("Synth 2025 Conference Desk Rejected Submission",
                            "Synth.cc/2025/Conference/Desk_Rejected_Submission"),
                 reply("Desk_Rejection", {"desk_reject_comments": "Out of scope."}))
    record = openreview.parse_forum(data, LOOKUP)
    assert record is not None and record.decision is not None
    assert (record.decision.outcome, record.decision.date) == ("desk-rejected", "2024-01-15")
    assert record.decision.label == "Synth 2025 Conference Desk Rejected Submission"


def test_openreview_no_decision_yet() -> None:
    data = forum(submission("Submitted to Synth 2025", "Synth.cc/2025/Conference/Submission"),
                 REVIEW)
    record = openreview.parse_forum(data, LOOKUP)
    assert record is not None and record.decision is not None
    assert record.decision.outcome == "under-review"
    assert (record.decision.label, record.decision.date) == ("no decision yet", None)
    assert record.decision.venue == "Submitted to Synth 2025"


def test_openreview_forum_without_submission_note() -> None:
    assert openreview.parse_forum(forum(REVIEW), LOOKUP) is None
    assert openreview.parse_forum(forum(), LOOKUP) is None


def test_openreview_check_rejects_truncated_and_wrong_shapes() -> None:
    body = dumps(forum(submission("Synth 2025 Poster", "Synth.cc/2025/Conference")))
    openreview.check_notes(body)
    with pytest.raises(ValueError):
        openreview.check_notes(body[:-2])
    with pytest.raises(ValueError):
        openreview.check_notes(dumps({"name": "NotFoundError", "message": "gone"}))


def test_openreview_fetch(settings: Settings) -> None:
    def answer(url: str, params: dict[str, str]) -> bytes | None:
        if params["forum"] == "FoRuM123":
            return dumps(forum(submission("Synth 2025 Poster", "Synth.cc/2025/Conference")))
        return None

    stand_in = StandIn(answer)
    steps: list[int] = []
    lookups = [LOOKUP, Lookup("w2", openreview="Gone"), Lookup("w3", doi="10.1/x")]
    records = openreview.fetch(as_client(stand_in), settings, lookups, steps.append)
    assert [r.lookup for r in records] == [LOOKUP]
    assert stand_in.requests == [(f"{settings.openreview_api}/notes", {"forum": "FoRuM123"}),
                                 (f"{settings.openreview_api}/notes", {"forum": "Gone"})]
    assert steps == [1, 1]


# == arXiv ======================================================================================
def atom(*entries: str) -> bytes:
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <link href="http://arxiv.org/api/query?id_list=x" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: id_list=x</title>
  <id>http://arxiv.org/api/made-up</id>
  <updated>2024-05-01T00:00:00-04:00</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
""" + "".join(entries) + "</feed>\n").encode("utf-8")


def entry(arxiv_id: str = "2401.00001v3", extra: str = "") -> str:
    return f"""<entry>
    <id>http://arxiv.org/abs/{arxiv_id}</id>
    <updated>2024-03-02T10:00:00Z</updated>
    <published>2024-01-01T18:00:00Z</published>
    <title>Zorbing the
      Quux</title>
    <summary>  The quux   zorbs
      the lattice. </summary>
    <author><name>Ada Vexley</name></author>
    <author><name>Bo Quill</name></author>
    <link href="http://arxiv.org/abs/{arxiv_id}" rel="alternate" type="text/html"/>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    {extra}
  </entry>
"""


PUBLISHED = ("<arxiv:journal_ref>Proc. Synthcon 2024, pp. 1-9</arxiv:journal_ref>"
             "<arxiv:doi>10.1234/SYNTH.2024.1</arxiv:doi>")


def test_arxiv_entry_versions_journal_ref_doi() -> None:
    records = arxiv.parse_entries(atom(entry(extra=PUBLISHED)), [LOOKUP])
    assert len(records) == 1
    record = records[0]
    assert record.source_id == record.arxiv == "2401.00001"
    assert record.url == "https://arxiv.org/abs/2401.00001"
    assert record.title == "Zorbing the Quux"
    assert record.abstract == "The quux zorbs the lattice."
    assert (record.date, record.year) == ("2024-01-01", 2024)
    assert record.versions == [Version("v1", "2024-01-01"), Version("v3", "2024-03-02")]
    assert record.journal_ref == "Proc. Synthcon 2024, pp. 1-9"
    assert record.doi == "10.1234/synth.2024.1"
    assert [(a.position, a.name) for a in record.authors] == [(1, "Ada Vexley"), (2, "Bo Quill")]


def test_arxiv_single_version_without_journal_ref() -> None:
    (record,) = arxiv.parse_entries(atom(entry("2401.00001v1")), [LOOKUP])
    assert record.versions == [Version("v1", "2024-01-01")]
    assert record.journal_ref is None and record.doi is None


def test_arxiv_error_and_titleless_entries_are_skipped() -> None:
    error = """<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_2401.0000x</id>
      <title>Error</title><summary>incorrect id format for 2401.0000x</summary></entry>"""
    empty = """<entry><id>http://arxiv.org/abs/2402.00002v1</id><title></title>
      <published>2024-02-01T00:00:00Z</published></entry>"""
    lookups = [LOOKUP, Lookup("w2", arxiv="2402.00002"), Lookup("w3", arxiv="2401.0000x")]
    records = arxiv.parse_entries(atom(error, empty, entry()), lookups)
    assert [r.lookup for r in records] == [LOOKUP]


def test_arxiv_old_style_ids_match_their_lookup() -> None:
    lookup = Lookup("w", arxiv="math.GT/0309136")
    (record,) = arxiv.parse_entries(atom(entry("math/0309136v2")), [lookup])
    assert record.lookup is lookup and record.arxiv == "math/0309136"
    assert record.versions[-1] == Version("v2", "2024-03-02")


def test_arxiv_check_rejects_truncated_and_non_atom() -> None:
    body = atom(entry())
    arxiv.check_feed(body)
    with pytest.raises(ValueError):
        arxiv.check_feed(body[: len(body) // 2])
    with pytest.raises(ValueError):
        arxiv.check_feed(b"Rate exceeded.")
    with pytest.raises(ValueError):
        arxiv.check_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                         b"</channel></rss>")
    with pytest.raises(ValueError):
        arxiv.check_feed(dumps({"feed": []}))


def test_arxiv_fetch_in_batches(settings: Settings) -> None:
    lookups = [Lookup(f"w{n}", arxiv=f"2401.{n:05d}") for n in range(1, 61)]
    lookups.append(Lookup("dup", arxiv="2401.00001v2"))  # same paper, asked once

    def answer(url: str, params: dict[str, str]) -> bytes:
        ids = params["id_list"].split(",")
        assert params["max_results"] == str(len(ids))
        return atom(*(entry(f"{i}v1") for i in ids))

    stand_in = StandIn(answer)
    steps: list[int] = []
    records = arxiv.fetch(as_client(stand_in), settings, lookups, steps.append)
    assert [len(p["id_list"].split(",")) for _, p in stand_in.requests] == [50, 10]
    assert all(url == settings.arxiv_api for url, _ in stand_in.requests)
    assert steps == [1, 1]
    assert len(records) == 61
    assert {r.lookup.work for r in records if r.arxiv == "2401.00001"} == {"w1", "dup"}
