"""What Crossref says about a DOI: title, container (venue), type, issue date, authors with
ORCID iDs and affiliations, and the preprint ↔ published-version relations.

Follows the Crossref REST API documentation (https://api.crossref.org/swagger-ui/index.html,
https://github.com/CrossRef/rest-api-doc/blob/master/api_format.md for the Work fields) and its
etiquette (``mailto`` as a query parameter puts us in the polite pool). ``relation`` uses the
relationship types of Crossref's schema (``is-preprint-of``, ``has-preprint``; see
https://www.crossref.org/documentation/schema-library/markup-guide-metadata-segments/relationships/).

Crossref's ``abstract`` is JATS XML deposited by the publisher under the publisher's terms, so
it is deliberately not kept.
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
    SourceRecord,
    bare_doi,
    bare_orcid,
)

NAME = "crossref"

_SPACE = re.compile(r"\s+")


def _str(value: object) -> str | None:
    # Titles come hard-wrapped from some deposits: collapse runs of white space.
    return _SPACE.sub(" ", value).strip() or None if isinstance(value, str) else None


def _first(value: object) -> str | None:
    """The first non-empty string of a Crossref list field (``title``, ``container-title``)."""
    if isinstance(value, list):
        for item in value:
            text = _str(item)
            if text:
                return text
        return None
    return _str(value)


def date_from_parts(value: object) -> tuple[str | None, int | None]:
    """``{"date-parts": [[2024, 5, 1]]}`` → ("2024-05-01", 2024), as precise as given:
    [[2024, 5]] → "2024-05", [[2024]] → "2024"; [[null]] (unknown) → (None, None)."""
    if not isinstance(value, dict):
        return None, None
    parts = value.get("date-parts")
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], list):
        return None, None
    numbers: list[int] = []
    for part in parts[0][:3]:
        if not isinstance(part, int) or isinstance(part, bool):
            break  # a null part ends the known precision
        numbers.append(part)
    if not numbers:
        return None, None
    year = numbers[0]
    text = f"{year:04d}" + "".join(f"-{n:02d}" for n in numbers[1:])
    return text, year


def _relation_dois(relation: object, kind: str) -> list[str]:
    """The DOIs of one relation type; other id types (arxiv, uri …) are not DOIs."""
    if not isinstance(relation, dict):
        return []
    dois: list[str] = []
    for item in relation.get(kind) or []:
        if isinstance(item, dict) and str(item.get("id-type", "")).lower() == "doi":
            doi = bare_doi(item.get("id"))
            if doi and doi not in dois:
                dois.append(doi)
    return dois


def _institution(affiliation: object) -> Institution | None:
    """One ``affiliation`` entry: ``{name, id: [{id, id-type: "ROR", asserted-by}]}``."""
    if not isinstance(affiliation, dict):
        return None
    name = _str(affiliation.get("name"))
    if not name:
        return None  # an unnamed affiliation cannot be shown to a curator
    ror = None
    for ident in affiliation.get("id") or []:
        if isinstance(ident, dict) and str(ident.get("id-type", "")).upper() == "ROR":
            ror = _str(ident.get("id"))
            break
    return Institution(name=name, ror=ror)


def parse_author(author: dict[str, Any], position: int) -> AuthorRecord:
    """One ``author`` entry (``position``: its 1-based place in the list; ``sequence`` only
    says first / additional). Organisations as authors carry ``name`` instead of given/family."""
    given, family = _str(author.get("given")), _str(author.get("family"))
    name = " ".join(p for p in (given, family) if p) or _str(author.get("name")) or ""
    institutions = [i for i in map(_institution, author.get("affiliation") or []) if i]
    return AuthorRecord(position=position, name=name, orcid=bare_orcid(author.get("ORCID")),
                        institutions=institutions)


def parse_work(message: dict[str, Any], lookup: Lookup) -> SourceRecord:
    """The ``message`` of a ``/works/{doi}`` answer as a record (no abstract: see above)."""
    doi = bare_doi(message.get("DOI")) or bare_doi(lookup.doi) or ""
    date, year = date_from_parts(message.get("issued"))
    authors = [a for a in message.get("author") or [] if isinstance(a, dict)]
    relation = message.get("relation")
    return SourceRecord(
        source=NAME, lookup=lookup, source_id=doi, url=f"https://doi.org/{doi}",
        title=_first(message.get("title")), year=year, date=date, doi=doi,
        venue=_first(message.get("container-title")), work_type=_str(message.get("type")),
        authors=[parse_author(a, i) for i, a in enumerate(authors, start=1)],
        abstract=None,
        preprint_of=_relation_dois(relation, "is-preprint-of"),
        has_preprint=_relation_dois(relation, "has-preprint"),
    )


def check_work(body: bytes) -> None:
    """Raise ValueError unless ``body`` is a whole Crossref work answer:
    ``{"status": "ok", "message-type": "work", "message": {…}}``."""
    data = json.loads(body.decode("utf-8"))  # json.JSONDecodeError is a ValueError
    if not isinstance(data, dict) or data.get("status") != "ok":
        raise ValueError("not a Crossref answer with status ok")
    if data.get("message-type") != "work" or not isinstance(data.get("message"), dict):
        raise ValueError("not a Crossref work message")


def fetch(client: PoliteClient, settings: Settings, lookups: Sequence[Lookup],
          progress: Callable[[int], None] = lambda n: None) -> list[SourceRecord]:
    """Ask Crossref about every lookup with a DOI; one record per DOI Crossref knows."""
    params = {"mailto": client.mailto} if client.mailto else {}
    records: list[SourceRecord] = []
    for lookup in lookups:
        doi = bare_doi(lookup.doi)
        if not doi:
            continue
        # Quote what cannot stand in a path (?, #, %, spaces); keep the DOI's own slashes.
        url = f"{settings.crossref_api}/works/{quote(doi, safe='/:;()')}"
        try:
            body = client.get(url, params, check_work)
        except NotFound:
            continue  # e.g. a DataCite DOI (arXiv's): not Crossref's
        finally:
            progress(1)
        records.append(parse_work(json.loads(body.decode("utf-8"))["message"], lookup))
    return records
