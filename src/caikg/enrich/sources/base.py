"""What one open scholarly source says about one work, in one shape for every source.

A source module (``openalex``, ``crossref``, ``openreview``, ``arxiv``) turns the answers of its
service into :class:`SourceRecord` values; :mod:`caikg.enrich.literature` matches them to the
curated works by exact identifiers, writes the literature graph and the drift report. Nothing
here talks to the network: a source module asks a :class:`caikg.enrich.client.PoliteClient`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SOURCES = ("wikidata", "openalex", "crossref", "openreview", "arxiv")
"""Every source ``caikg enrich --source`` accepts, in the order they run."""

LITERATURE_SOURCES = SOURCES[1:]

LICENCES = {
    # The licence each source states for its metadata. Text (an abstract) is kept only from a
    # source with one; the others give facts (identifiers, dates, decisions) and no text.
    "openalex": "https://creativecommons.org/publicdomain/zero/1.0/",  # "all data CC0"
    "arxiv": "https://creativecommons.org/publicdomain/zero/1.0/",  # metadata CC0 1.0
    "crossref": "",  # facts without a licence statement; abstracts stay the publishers'
    "openreview": "",  # no licence stated for the API's metadata
}

OUTCOMES = ("accepted-oral", "accepted-spotlight", "accepted-poster", "accepted", "rejected",
            "withdrawn", "desk-rejected", "under-review")
"""The venue decisions an OpenReview forum can end in (``Decision.outcome``)."""


_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_ORCID_PREFIX = re.compile(r"^https?://orcid\.org/", re.IGNORECASE)


def bare_doi(value: object) -> str | None:
    """A DOI lower-case and without its resolver prefix: ``https://doi.org/10.X/Y`` (OpenAlex)
    or a DOI as deposited (Crossref) → ``10.x/y`` (DOIs are case-insensitive; we compare
    lower)."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _DOI_PREFIX.sub("", value.strip()).lower() or None


def bare_orcid(value: object) -> str | None:
    """``https://orcid.org/0000-0002-1825-0097`` (or ``http://``, as older Crossref deposits
    give it) → ``0000-0002-1825-0097``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _ORCID_PREFIX.sub("", value.strip()) or None


@dataclass(frozen=True)
class Lookup:
    """The exact identifiers of one curated work that sources are asked about."""

    work: str  # the curated IRI
    doi: str | None = None  # as curated (case kept; compared case-insensitively)
    arxiv: str | None = None  # without a version suffix: 2401.00001
    openreview: str | None = None  # a forum id


@dataclass
class Institution:
    name: str
    ror: str | None = None  # https://ror.org/0xxxxxxxx
    country: str | None = None


@dataclass
class AuthorRecord:
    position: int  # 1-based, the order the source gives
    name: str
    orcid: str | None = None  # the bare iD: 0000-0002-1825-0097
    institutions: list[Institution] = field(default_factory=list)
    source_id: str | None = None  # e.g. OpenAlex's https://openalex.org/A…


@dataclass
class ReferencedWork:
    """A work the record cites (or the record's work itself, for ``related``)."""

    source_id: str  # e.g. https://openalex.org/W2741809807
    title: str | None = None
    year: int | None = None
    doi: str | None = None  # lower-case, without https://doi.org/
    arxiv: str | None = None


@dataclass
class Decision:
    outcome: str  # one of OUTCOMES
    label: str  # the venue's own words, e.g. "Accept (poster)"
    date: str | None = None  # ISO date (YYYY-MM-DD) of the decision
    venue: str | None = None  # e.g. "ICLR 2025 Poster"


@dataclass
class Version:
    version: str  # "v1", "v2" …
    date: str  # ISO date


@dataclass
class SourceRecord:
    """What ``source`` says about the work of ``lookup`` (``None``: the source does not say)."""

    source: str  # one of LITERATURE_SOURCES
    lookup: Lookup
    source_id: str  # the source's id of the record: OpenAlex W URL, DOI, forum id, arXiv id
    url: str  # the public page a curator can open to check the record
    title: str | None = None
    year: int | None = None
    date: str | None = None  # ISO date of publication, as precise as the source gives
    doi: str | None = None  # lower-case
    arxiv: str | None = None  # without version
    venue: str | None = None  # container / host venue / journal_ref, as the source names it
    work_type: str | None = None  # the source's own type, e.g. "proceedings-article"
    authors: list[AuthorRecord] = field(default_factory=list)
    abstract: str | None = None
    references: list[ReferencedWork] = field(default_factory=list)
    cited_by_count: int | None = None
    counts_by_year: dict[int, int] = field(default_factory=dict)
    decision: Decision | None = None
    versions: list[Version] = field(default_factory=list)
    journal_ref: str | None = None
    preprint_of: list[str] = field(default_factory=list)  # DOIs of published versions
    has_preprint: list[str] = field(default_factory=list)  # DOIs of preprints
