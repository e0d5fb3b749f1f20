"""What arXiv says about a preprint: title, authors, abstract, its versions and dates, the
journal reference and the DOI of the published version.

Follows the arXiv API User's Manual (https://info.arxiv.org/help/api/user-manual.html): an
``id_list`` query answered by an Atom 1.0 feed, one ``<entry>`` per id with ``<published>``
(the date of v1), ``<updated>`` (the date of the latest version, whose number ends the entry's
``<id>``) and the ``arxiv:`` extension elements (``journal_ref``, ``doi``, ``primary_category``).
An id arXiv does not know comes back as an entry whose id points at ``…/api/errors…`` (or, for
a well-formed but unknown id, as an entry without a title, or no entry at all). The feed is
read with ``feedparser``, which exposes ``arxiv:journal_ref`` as ``arxiv_journal_ref`` etc.

The arXiv API terms ask for at most one request every three seconds; the client's spacing
(``CAIKG_LITERATURE_MIN_INTERVAL``) sees to that, and ids are asked for in batches.
"""

from __future__ import annotations

import io
import re
import xml.sax
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import feedparser

from caikg.config import Settings
from caikg.enrich.client import NotFound, PoliteClient
from caikg.enrich.sources.base import AuthorRecord, Lookup, SourceRecord, Version, bare_doi

NAME = "arxiv"

BATCH = 50
"""Ids asked for per request (the manual recommends small slices; 50 keeps answers small)."""

_ABS_ID = re.compile(r"arxiv\.org/abs/(.+?)(?:v(\d+))?$", re.IGNORECASE)
_VERSION = re.compile(r"v\d+$")
_SUBJECT_CLASS = re.compile(r"^([a-z-]+)\.[A-Za-z-]+/")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_SPACE = re.compile(r"\s+")


def bare_id(arxiv_id: str) -> str:
    """``2401.00001v3`` → ``2401.00001`` (also old-style ``cs/0112017v1`` → ``cs/0112017``)."""
    return _VERSION.sub("", arxiv_id.strip())


def match_key(arxiv_id: str) -> str:
    """The id to match a lookup with an entry by: versionless, and for old-style ids without
    the subject class (arXiv answers ``math.GT/0309136`` with the entry ``math/0309136``)."""
    return _SUBJECT_CLASS.sub(r"\1/", bare_id(arxiv_id))


def _collapse(value: object) -> str | None:
    # arXiv hard-wraps titles and abstracts in the feed: one space between words.
    return _SPACE.sub(" ", value).strip() or None if isinstance(value, str) else None


def _date(entry: Mapping[str, Any], key: str) -> str | None:
    """The ISO date (YYYY-MM-DD) of an Atom date element (arXiv gives UTC, e.g. ...T18:00:00Z)."""
    raw = entry.get(key)
    if isinstance(raw, str) and _ISO_DATE.match(raw):
        return raw[:10]
    parsed = entry.get(f"{key}_parsed")
    if parsed is not None:
        return f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
    return None


def parse_entry(entry: Mapping[str, Any], lookup: Lookup) -> SourceRecord | None:
    """One feed entry as a record; None for an error entry or an entry without a title."""
    entry_id = entry.get("id")
    if not isinstance(entry_id, str) or "api/errors" in entry_id:
        return None
    match = _ABS_ID.search(entry_id.strip())
    title = _collapse(entry.get("title"))
    if match is None or not title:
        return None
    arxiv_id, latest = match.group(1), int(match.group(2) or 1)
    published, updated = _date(entry, "published"), _date(entry, "updated")
    versions = [Version("v1", published)] if published else []
    if latest > 1 and updated:
        # The feed dates only the first and the latest version; the ones between are unknown.
        versions.append(Version(f"v{latest}", updated))
    journal_ref = _collapse(entry.get("arxiv_journal_ref"))
    doi = entry.get("arxiv_doi")
    doi = bare_doi(doi)
    names = [_collapse(author.get("name")) for author in entry.get("authors") or []
             if isinstance(author, Mapping)]
    return SourceRecord(
        source=NAME, lookup=lookup, source_id=arxiv_id, url=f"https://arxiv.org/abs/{arxiv_id}",
        title=title, year=int(published[:4]) if published else None, date=published,
        doi=doi, arxiv=arxiv_id,
        venue=journal_ref,  # base.SourceRecord.venue: for arXiv, the journal_ref
        authors=[AuthorRecord(position=i, name=name)
                 for i, name in enumerate((n for n in names if n), start=1)],
        abstract=_collapse(entry.get("summary")),
        versions=versions, journal_ref=journal_ref,
    )


def parse_feed(body: bytes) -> Any:
    """The feedparser result of an Atom body (parsed from memory: never fetched by URL)."""
    return feedparser.parse(io.BytesIO(body))


def parse_entries(body: bytes, lookups: Sequence[Lookup]) -> list[SourceRecord]:
    """The records of one feed, one per lookup whose (versionless) arXiv id has an entry."""
    by_id: dict[str, list[Lookup]] = {}
    for lookup in lookups:
        if lookup.arxiv:
            by_id.setdefault(match_key(lookup.arxiv), []).append(lookup)
    records: list[SourceRecord] = []
    for entry in parse_feed(body).entries:
        for lookup in by_id.get(match_key(_entry_id(entry)), []):
            record = parse_entry(entry, lookup)
            if record is not None:
                records.append(record)
    return records


def _entry_id(entry: Mapping[str, Any]) -> str:
    match = _ABS_ID.search(str(entry.get("id", "")).strip())
    return match.group(1) if match else ""


def check_feed(body: bytes) -> None:
    """Raise ValueError unless ``body`` is a whole Atom feed: it must be well-formed XML (a cut
    off answer is not) and Atom 1.0 (arXiv's throttling answer is plain text)."""
    parsed = parse_feed(body)
    # feedparser falls back to a lenient parser on broken XML and records why in bozo_exception;
    # other bozo reasons (e.g. a declared encoding overridden) do not lose data.
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        raise ValueError(f"not well-formed XML: {parsed.get('bozo_exception')}")
    if parsed.get("version") != "atom10":
        raise ValueError("not an Atom feed")


def fetch(client: PoliteClient, settings: Settings, lookups: Sequence[Lookup],
          progress: Callable[[int], None] = lambda n: None) -> list[SourceRecord]:
    """Ask arXiv about every lookup with an arXiv id, in batches; one record per id found."""
    ids = list(dict.fromkeys(bare_id(lookup.arxiv) for lookup in lookups if lookup.arxiv))
    records: list[SourceRecord] = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        # max_results defaults to 10: ask for room for every id of the batch.
        params = {"id_list": ",".join(batch), "max_results": str(len(batch))}
        try:
            body = client.get(settings.arxiv_api, params, check_feed)
        except NotFound:
            continue
        finally:
            progress(1)
        wanted = set(batch)
        records.extend(parse_entries(body, [lk for lk in lookups
                                            if lk.arxiv and bare_id(lk.arxiv) in wanted]))
    return records
