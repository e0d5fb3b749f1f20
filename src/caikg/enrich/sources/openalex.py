"""What OpenAlex says about a work: title, venue, authors with ORCID iDs and ROR-identified
institutions, the abstract, the works it cites and how often it is cited.

Follows the OpenAlex API documentation: the Work object
(https://docs.openalex.org/api-entities/works/work-object), its Authorship object
(https://docs.openalex.org/api-entities/works/work-object/authorship-object), single works by
DOI (https://docs.openalex.org/how-to-use-the-api/get-single-entities), lists filtered with
``|`` for OR (https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/filter-entity-lists)
and ``select`` (https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/select-fields).
The polite pool asks for ``mailto`` as a query parameter.

A work is asked for by DOI (``/works/doi:…``); a curated arXiv preprint without a DOI is asked
for by the DataCite DOI arXiv mints for every paper (``10.48550/arxiv.<id>``). The cited works
are then fetched in batches, with just enough fields to match them by identifier.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from caikg.config import Settings
from caikg.enrich.client import NotFound, PoliteClient
from caikg.enrich.sources.base import (
    AuthorRecord,
    Institution,
    Lookup,
    ReferencedWork,
    SourceRecord,
    bare_doi,
    bare_orcid,
)

NAME = "openalex"

BATCH = 50
"""Referenced works asked for per list request (OpenAlex ORs at most 50 values in a filter
and we ask for a page of the same size, so one request answers one batch)."""

REFERENCE_FIELDS = "id,doi,title,display_name,publication_year,ids"

ARXIV_DOI_PREFIX = "10.48550/arxiv."
_ARXIV_ABS = re.compile(r"arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:v\d+)?(?:\.pdf)?$", re.IGNORECASE)


# -- small normalisers ---------------------------------------------------------------------------
def arxiv_from_doi(doi: str | None) -> str | None:
    """The arXiv id inside arXiv's DataCite DOI ``10.48550/arXiv.2401.00001``, else None."""
    if doi and doi.lower().startswith(ARXIV_DOI_PREFIX):
        return doi[len(ARXIV_DOI_PREFIX):] or None
    return None


def short_id(openalex_id: str) -> str:
    """``https://openalex.org/W123`` → ``W123`` (the form the filters take)."""
    return openalex_id.rstrip("/").rsplit("/", 1)[-1]


def abstract_from_inverted_index(index: dict[str, list[int]] | None) -> str | None:
    """The abstract text from OpenAlex's inverted index ``{word: [positions]}``.

    OpenAlex does not ship plain-text abstracts; each word is listed with the positions where
    it occurs, so we put every word back at each of its positions and read them in order.
    """
    if not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        for position in positions or ():
            if isinstance(position, int):
                placed[position] = word
    if not placed:
        return None
    return " ".join(placed[p] for p in sorted(placed))


# -- parsing -------------------------------------------------------------------------------------
def _dict(value: object) -> dict[str, Any]:
    # OpenAlex gives null for absent objects (e.g. a location without a source).
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _arxiv_of(work: dict[str, Any], doi: str | None) -> str | None:
    """The arXiv id of a work: from arXiv's DOI, else from an arXiv landing page location."""
    found = arxiv_from_doi(doi)
    if found:
        return found
    locations = [work.get("primary_location"), *(work.get("locations") or [])]
    for location in locations:
        for key in ("landing_page_url", "pdf_url"):
            url = _str(_dict(location).get(key))
            match = _ARXIV_ABS.search(url) if url else None
            if match:
                return match.group(1)
    return None


def parse_authorship(authorship: dict[str, Any], position: int) -> AuthorRecord:
    """One entry of ``authorships`` (``position`` is its 1-based place in the list: the list
    order is the author order; ``author_position`` only says first / middle / last)."""
    author = _dict(authorship.get("author"))
    institutions = []
    for inst in authorship.get("institutions") or []:
        inst = _dict(inst)
        name = _str(inst.get("display_name"))
        if name:
            institutions.append(Institution(name=name, ror=_str(inst.get("ror")),
                                            country=_str(inst.get("country_code"))))
    name = _str(author.get("display_name")) or _str(authorship.get("raw_author_name")) or ""
    return AuthorRecord(position=position, name=name, orcid=bare_orcid(author.get("orcid")),
                        institutions=institutions, source_id=_str(author.get("id")))


def parse_work(data: dict[str, Any], lookup: Lookup) -> SourceRecord:
    """A Work object (``/works/doi:…``) as a record; ``references`` carry only the W ids until
    :func:`fill_references` adds their metadata."""
    work_id = _str(data.get("id")) or ""
    doi = bare_doi(data.get("doi")) or bare_doi(_dict(data.get("ids")).get("doi"))
    source = _dict(_dict(data.get("primary_location")).get("source"))
    counts: dict[int, int] = {}
    for entry in data.get("counts_by_year") or []:
        year, count = _int(_dict(entry).get("year")), _int(_dict(entry).get("cited_by_count"))
        if year is not None and count is not None:
            counts[year] = count
    references = [ReferencedWork(source_id=ref) for ref in data.get("referenced_works") or []
                  if isinstance(ref, str) and ref]
    authorships = [a for a in data.get("authorships") or [] if isinstance(a, dict)]
    return SourceRecord(
        source=NAME, lookup=lookup, source_id=work_id, url=work_id,
        title=_str(data.get("title")) or _str(data.get("display_name")),
        year=_int(data.get("publication_year")),
        date=_str(data.get("publication_date")),
        doi=doi, arxiv=_arxiv_of(data, doi),
        venue=_str(source.get("display_name")),
        work_type=_str(data.get("type")),
        authors=[parse_authorship(a, i) for i, a in enumerate(authorships, start=1)],
        abstract=abstract_from_inverted_index(data.get("abstract_inverted_index")),
        references=references,
        cited_by_count=_int(data.get("cited_by_count")),
        counts_by_year=counts,
    )


def parse_reference(data: dict[str, Any]) -> ReferencedWork:
    """One result of the referenced-works list (only the ``select``-ed fields)."""
    doi = bare_doi(data.get("doi")) or bare_doi(_dict(data.get("ids")).get("doi"))
    return ReferencedWork(source_id=_str(data.get("id")) or "",
                          title=_str(data.get("title")) or _str(data.get("display_name")),
                          year=_int(data.get("publication_year")), doi=doi,
                          arxiv=arxiv_from_doi(doi))


def fill_references(record: SourceRecord, known: dict[str, ReferencedWork]) -> None:
    """Replace the bare W ids of ``record.references`` with their metadata where we have it;
    a cited work OpenAlex did not return (merged or deleted) stays as its bare id."""
    record.references = [known.get(ref.source_id, ref) for ref in record.references]


# -- checks for the client -----------------------------------------------------------------------
def _object(body: bytes) -> dict[str, Any]:
    data = json.loads(body.decode("utf-8"))  # json.JSONDecodeError is a ValueError
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def check_work(body: bytes) -> None:
    """Raise ValueError unless ``body`` is a whole OpenAlex Work object."""
    data = _object(body)
    if not isinstance(data.get("id"), str):
        # e.g. OpenAlex's error object {"error": …, "message": …}
        raise ValueError("not an OpenAlex work (no id)")


def check_list(body: bytes) -> None:
    """Raise ValueError unless ``body`` is a whole OpenAlex list answer (meta + results)."""
    data = _object(body)
    if not isinstance(data.get("meta"), dict) or not isinstance(data.get("results"), list):
        raise ValueError("not an OpenAlex list (no meta or results)")


# -- the service ---------------------------------------------------------------------------------
def lookup_doi(lookup: Lookup) -> str | None:
    """The DOI to ask OpenAlex about: the curated DOI, else arXiv's DataCite DOI."""
    if lookup.doi:
        return bare_doi(lookup.doi)
    if lookup.arxiv:
        return f"{ARXIV_DOI_PREFIX}{lookup.arxiv}".lower()
    return None


def _params(client: PoliteClient, **extra: str) -> dict[str, str]:
    params = dict(extra)
    if client.mailto:
        params["mailto"] = client.mailto  # the polite pool
    return params


def fetch(client: PoliteClient, settings: Settings, lookups: Sequence[Lookup],
          progress: Callable[[int], None] = lambda n: None) -> list[SourceRecord]:
    """Ask OpenAlex about every lookup with a DOI or an arXiv id, then about the works they
    cite; one record per work found."""
    records: list[SourceRecord] = []
    for lookup in lookups:
        doi = lookup_doi(lookup)
        if not doi:
            continue
        # Quote what cannot stand in a path (?, #, %, spaces); keep the DOI's own slashes.
        url = f"{settings.openalex_api}/works/doi:{quote(doi, safe='/:;()')}"
        try:
            body = client.get(url, _params(client), check_work)
        except NotFound:
            continue
        finally:
            progress(1)
        records.append(parse_work(json.loads(body.decode("utf-8")), lookup))

    wanted = list(dict.fromkeys(short_id(ref.source_id)
                                for record in records for ref in record.references))
    known: dict[str, ReferencedWork] = {}
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start:start + BATCH]
        params = _params(client, filter="openalex_id:" + "|".join(batch),
                         **{"per-page": str(BATCH), "select": REFERENCE_FIELDS})
        try:
            body = client.get(f"{settings.openalex_api}/works", params, check_list)
        except NotFound:
            continue
        finally:
            progress(1)
        for result in json.loads(body.decode("utf-8"))["results"]:
            if isinstance(result, dict):
                ref = parse_reference(result)
                if ref.source_id:
                    known[ref.source_id] = ref
    for record in records:
        fill_references(record, known)
    return records
