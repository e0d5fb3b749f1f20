"""Import a markdown reading list (awesome-list style) into the curated data in ``data/``.

The list format::

    # Title of the list                      <- the H1: the list's dcterms:title
    prose …                                  <- ignored until the first "##" heading
    ## Section                               <- a top concept of the list's scheme
    ### Subsection                           <- narrower than the "##" before it

    [Paper title](https://link)\\            <- one entry: a link line,
    First Author, Second Author\\            <- optionally an author line,
    OSDI 2024                                <- and a venue line ("arXiv 2024",
                                                "ICLR 2025 (in review)", …)

:func:`parse_list` turns a file into a :class:`ParsedList` (sections, entries, and the problems
found, each with its line number); :func:`import_list` merges it into ``data/`` following
docs/MODEL.md: works, people and venues that already exist are matched (by identifier, URL,
title, name) and never minted twice, the merged data are validated with SHACL before anything
is written, and the target file is written atomically and deterministically (same graph, same
bytes), or not at all when nothing changed.

Judgement calls (documented here because they shape the data):

* A malformed entry is skipped entirely and reported; the rest of the list is imported.
* An entry with only a link is valid only when it is a blog post (a ``/blog/`` URL path): a
  paper needs a venue line for its publication year.
* A blog post's venue is the blog of its URL host when the host is in :data:`KNOWN_BLOGS`;
  otherwise it has no venue. A ``/YYYY/MM/DD/`` URL path gives its date and year.
* Name variants ("Joseph Gonzalez" / "Joseph E. Gonzalez") are merged only when they share
  a co-author; see :func:`name_variant` and :class:`PeopleIndex`.
* A venue series that is not in the data is minted from the venue line; it is typed as a
  journal (``schema:Periodical``, ``bibo:Journal``) when its name says "Transactions" or
  "Journal", otherwise as an event series.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, SKOS, XSD
from rdflib.term import Node

from caikg.config import CANONICAL_BASE_IRI, Settings
from caikg.files import write_atomically
from caikg.rdf.iris import paper_slug, slugify, unique_slug
from caikg.rdf.names import normalize_name
from caikg.rdf.namespaces import BIBO, CAIKG, FABIO, PREFIXES, SCHEMA, Instances
from caikg.rdf.sources import SourceError, read_sources, to_rdflib
from caikg.validation.report import ValidationReport, load_shapes, shapes_path, validate_graph

__all__ = [
    "DEFAULT_TARGET",
    "KNOWN_BLOGS",
    "Entry",
    "ListImportError",
    "ImportReport",
    "ParsedList",
    "PeopleIndex",
    "Problem",
    "Resolution",
    "Section",
    "VenueLine",
    "identifiers_from_url",
    "import_list",
    "name_variant",
    "normalize_name",
    "parse_list",
    "parse_venue_line",
    "serialize_turtle",
    "write_atomically",
]

DEFAULT_TARGET = "survey.ttl"
"""File in ``data/`` that imported lists are written to unless told otherwise."""

KNOWN_BLOGS: dict[str, tuple[str, str]] = {
    "bair.berkeley.edu": ("bair-blog", "The Berkeley Artificial Intelligence Research Blog"),
}
"""URL host → (venue slug, name) of blogs whose posts get that blog as ``caikg:venue``."""

STATUS_NOTES: dict[str, URIRef] = {
    "in review": CAIKG.UnderReview,
    "in submission": CAIKG.InSubmission,
}
"""Parenthesised notes a venue line may end with, and the status they give."""

YEAR_RANGE = (1950, 2100)


class ListImportError(Exception):
    """The list cannot be imported (unreadable file or data, or a SHACL violation)."""

    def __init__(self, message: str, validation: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.validation = validation


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something wrong at one line of the list (the entry or line is skipped)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Section:
    heading: str
    level: int
    """2 for ``##``, 3 for ``###``."""
    notation: str
    """Position in the list: ``"1"``, ``"2"``, ``"2.1"`` …"""
    slug: str
    """Unique within the list (``slugify(heading)``, ``-2`` … on a clash)."""
    line: int
    parent: int | None = None
    """Index in :attr:`ParsedList.sections` of the ``##`` section above a ``###`` one."""


@dataclass(frozen=True)
class VenueLine:
    text: str
    venue: str
    year: int
    note: str | None
    line: int

    @property
    def status_note(self) -> URIRef | None:
        return STATUS_NOTES[self.note] if self.note else None


@dataclass(frozen=True)
class Entry:
    line: int
    """Line of the link line."""
    title: str
    url: str
    section: int
    """Index in :attr:`ParsedList.sections`."""
    authors: tuple[str, ...] = ()
    author_line: int | None = None
    venue: VenueLine | None = None
    kind: str = "paper"
    """``paper``, ``review`` (listed under a "survey" heading) or ``blog``."""
    issued: date | None = None
    """Day of publication, from a ``/YYYY/MM/DD/`` URL path."""

    @property
    def year(self) -> int | None:
        if self.venue is not None:
            return self.venue.year
        return self.issued.year if self.issued else None

    @property
    def identifiers(self) -> dict[str, str]:
        return identifiers_from_url(self.url)


@dataclass
class ParsedList:
    path: Path
    title: str | None
    sections: list[Section] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK_LINE = re.compile(
    r"^\[(?P<title>.*)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))*)\)\s*\\?\s*$")
_VENUE_LINE = re.compile(
    r"^(?P<venue>.*?)\s*(?<![\d])(?P<year>\d{4})(?![\d])\s*(?:\((?P<note>[^()]*)\))?\s*$")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_IRI_FORBIDDEN = re.compile(r"[\s<>\"{}|\\^`]")
_BLOG_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})(?:/|$)")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def parse_venue_line(text: str, line: int = 0) -> VenueLine | str:
    """The venue line ``text`` parsed, or a message saying what is wrong with it."""
    clean = _collapse(text.rstrip().removesuffix("\\"))
    m = _VENUE_LINE.match(clean)
    if m is None:
        years = _YEAR.findall(clean)
        if not years:
            return f"venue line has no 4-digit year: {clean!r}"
        return (f"venue line must be 'VENUE YEAR' optionally followed by '(in review)' or "
                f"'(in submission)': {clean!r}")
    year = int(m.group("year"))
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        return f"year {year} is outside {YEAR_RANGE[0]}..{YEAR_RANGE[1]}: {clean!r}"
    venue = m.group("venue").strip().rstrip(",").strip()
    if not venue:
        return f"venue line names no venue: {clean!r}"
    note = m.group("note")
    if note is not None:
        key = _collapse(note).casefold()
        if key not in STATUS_NOTES:
            return (f"unknown note ({note}) in venue line (expected "
                    f"{' or '.join(f'({n})' for n in STATUS_NOTES)}): {clean!r}")
        note = key
    return VenueLine(text=clean, venue=venue, year=year, note=note, line=line)


def _url_problem(url: str) -> str | None:
    if not url:
        return "the link has no URL"
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        return f"URL is not http(s): {url!r}"
    if not parts.netloc:
        return f"URL has no host: {url!r}"
    if _IRI_FORBIDDEN.search(url):
        return f"URL contains characters not allowed in an IRI: {url!r}"
    return None


def _is_blog(url: str) -> bool:
    return "/blog/" in urlsplit(url).path + "/"


def _blog_date(url: str) -> date | None:
    m = _BLOG_DATE.search(urlsplit(url).path)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _parse_entry(path: Path, lines: list[tuple[int, str]], section: int, review: bool
                 ) -> Entry | Problem:
    """One entry from its lines (the link line first)."""
    first_no, first = lines[0]
    m = _LINK_LINE.match(first.strip())
    if m is None:
        return Problem(path, first_no, f"malformed link line (expected '[title](url)'): "
                       f"{first.strip()!r}; entry skipped")
    title = _collapse(m.group("title"))
    url = m.group("url")
    label = f"entry {title!r} skipped" if title else "entry skipped"
    if not title:
        return Problem(path, first_no, "the link has an empty title; entry skipped")
    url_problem = _url_problem(url)
    if url_problem:
        return Problem(path, first_no, f"{url_problem}; {label}")
    rest = lines[1:]
    if len(rest) > 2:
        return Problem(path, rest[2][0], f"unexpected line after the venue line: "
                       f"{rest[2][1].strip()!r}; {label}")
    authors: tuple[str, ...] = ()
    author_line: int | None = None
    venue: VenueLine | None = None
    venue_raw: tuple[int, str] | None = None
    if len(rest) == 2:
        author_line = rest[0][0]
        names = [_collapse(n) for n in rest[0][1].strip().removesuffix("\\").split(",")]
        if any(not n for n in names):
            return Problem(path, author_line, f"author line has an empty name: "
                           f"{rest[0][1].strip()!r}; {label}")
        authors = tuple(names)
        venue_raw = rest[1]
    elif len(rest) == 1:
        no, text = rest[0]
        if text.rstrip().endswith("\\") and isinstance(parse_venue_line(text), str):
            return Problem(path, no, f"author line has no venue line after it; {label}")
        venue_raw = rest[0]
    if venue_raw is not None:
        parsed = parse_venue_line(venue_raw[1], venue_raw[0])
        if isinstance(parsed, str):
            return Problem(path, venue_raw[0], f"{parsed}; {label}")
        venue = parsed
    blog = _is_blog(url)
    if venue is None and not blog:
        return Problem(path, first_no, f"entry has no venue line (a paper needs a venue and a "
                       f"year; only blog posts may be a bare link); {label}")
    kind = "blog" if blog else ("review" if review else "paper")
    return Entry(line=first_no, title=title, url=url, section=section, authors=authors,
                 author_line=author_line, venue=venue, kind=kind,
                 issued=_blog_date(url) if blog else None)


def parse_list(path: Path | str) -> ParsedList:
    """Parse a reading list; problems are collected, not raised (see :class:`Problem`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ListImportError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise ListImportError(f"{path}:{line}: not UTF-8 text ({exc.reason} at byte "
                              f"{exc.start})") from None
    out = ParsedList(path=path, title=None)
    top = sub = 0
    current: int | None = None
    slugs: set[str] = set()
    group: list[tuple[int, str]] = []

    def review(index: int) -> bool:
        sec: Section | None = out.sections[index]
        while sec is not None:
            if "survey" in sec.heading.casefold():
                return True
            sec = out.sections[sec.parent] if sec.parent is not None else None
        return False

    def flush() -> None:
        if group and current is not None:
            result = _parse_entry(path, list(group), current, review(current))
            if isinstance(result, Problem):
                out.problems.append(result)
            else:
                out.entries.append(result)
        group.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        heading = _HEADING.match(stripped)
        if heading:
            flush()
            level, name = len(heading.group(1)), _collapse(heading.group(2))
            if level == 1:
                if out.title is None:
                    out.title = name
                elif current is not None:
                    out.problems.append(Problem(path, number, f"second H1 heading ignored: "
                                                f"{stripped!r}"))
                continue
            if level > 3 or not name:
                out.problems.append(Problem(path, number, f"unsupported heading (only '##' and "
                                            f"'###' sections): {stripped!r}"))
                continue
            parent: int | None = None
            if level == 3 and top > 0:
                sub += 1
                notation = f"{top}.{sub}"
                parent = max(i for i, s in enumerate(out.sections) if s.level == 2)
            else:  # "##", or a "###" before any "##" (taken as a top section)
                top += 1
                sub = 0
                notation, level = str(top), 2
            slug = unique_slug(slugify(name) or "section", slugs.__contains__)
            slugs.add(slug)
            out.sections.append(Section(heading=name, level=level, notation=notation,
                                        slug=slug, line=number, parent=parent))
            current = len(out.sections) - 1
            continue
        if current is None:
            continue  # prose before the first section
        if not stripped:
            flush()
        elif stripped.startswith("["):
            flush()
            group.append((number, raw))
        elif group:
            group.append((number, raw))
        else:
            out.problems.append(Problem(path, number, f"line is neither a heading nor part of "
                                        f"an entry: {stripped[:60]!r}"))
    flush()
    out.problems.sort(key=lambda p: p.line)
    return out


# --------------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------------

_ARXIV = re.compile(r"^/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})"
                    r"(?:v\d+)?(?:\.pdf)?/?$", re.I)
_DOI = re.compile(r"^/(?:doi/)?(?:abs/|pdf/|full/|epdf/)?(?P<doi>10\.\d{4,9}/.+?)/?$")


def identifiers_from_url(url: str) -> dict[str, str]:
    """``arxiv``, ``openreview`` and ``doi`` identifiers a link gives (see docs/MODEL.md)."""
    parts = urlsplit(url)
    host = parts.netloc.lower().split(":")[0]
    host = host[4:] if host.startswith("www.") else host
    out: dict[str, str] = {}
    if host in {"arxiv.org", "export.arxiv.org"}:
        m = _ARXIV.match(parts.path)
        if m:
            out["arxiv"] = m.group("id")
    elif host == "openreview.net" and parts.path.rstrip("/") in {"/forum", "/pdf"}:
        ids = parse_qs(parts.query).get("id")
        if ids and ids[0]:
            out["openreview"] = ids[0]
    elif host == "dl.acm.org" and parts.path.startswith("/doi/") or host in {
            "doi.org", "dx.doi.org"}:
        m = _DOI.match(unquote(parts.path))
        if m:
            out["doi"] = m.group("doi")
    return out


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


def _parts(name: str) -> list[str]:
    return normalize_name(name).split()


def _is_initial(part: str) -> bool:
    return len(part.rstrip(".")) == 1


def _middle_compatible(a: Sequence[str], b: Sequence[str]) -> bool:
    if not a or not b:
        return True
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        xs, ys = x.rstrip("."), y.rstrip(".")
        if xs == ys:
            continue
        if (_is_initial(x) or _is_initial(y)) and xs[:1] == ys[:1]:
            continue
        return False
    return True


def name_variant(a: str, b: str) -> bool:
    """True when two different printed names differ only in their middle names or initials.

    Same first given name and same family name (case-insensitive), and the middle parts are
    compatible: absent in one of them, or pairwise equal or an initial of the other
    ("Joseph Gonzalez" ~ "Joseph E. Gonzalez" ~ "Joseph Edward Gonzalez"). Different given
    names never match ("Zhang Cao" / "Zhichao Cao").
    """
    pa, pb = _parts(a), _parts(b)
    if pa == pb or len(pa) < 2 or len(pb) < 2:
        return False
    if pa[0] != pb[0] or pa[-1] != pb[-1]:
        return False
    return _middle_compatible(pa[1:-1], pb[1:-1])


def _fullness(name: str) -> tuple[int, int, int]:
    parts = _parts(name)
    return (len(parts), sum(not _is_initial(p) for p in parts), len(name))


@dataclass
class _Person:
    key: str
    """The IRI of an existing person, or ``new:N`` until a new person gets its IRI."""
    names: list[str]
    """Every printed form (the first is ``schema:name`` for existing people)."""
    existing: bool
    works: set[str] = field(default_factory=set)
    new_forms: list[str] = field(default_factory=list)
    """Forms first seen in this import."""

    @property
    def name(self) -> str:
        if self.existing:
            return self.names[0]
        best = self.names[0]
        for n in self.names[1:]:
            if _fullness(n) > _fullness(best):
                best = n
        return best


@dataclass(frozen=True)
class Resolution:
    """How one printed author name was resolved."""

    printed: str
    key: str
    how: str
    """``exact``, ``variant`` (merged into a person with another form of the name), ``new``,
    ``lookalike`` (new, but looks like an existing person who shares no co-author) or
    ``ambiguous`` (new, because several people matched)."""
    note: str | None = None


class PeopleIndex:
    """People known so far (from the data, then from the list), and name matching."""

    def __init__(self) -> None:
        self.people: dict[str, _Person] = {}
        self.by_name: dict[str, list[str]] = {}
        self.work_authors: dict[str, list[str]] = {}
        self._new = 0

    def add_existing(self, iri: str, name: str, alternates: Iterable[str] = ()) -> None:
        person = _Person(key=iri, names=[name], existing=True)
        self.people[iri] = person
        self._index(iri, name)
        for alt in sorted(alternates):
            person.names.append(alt)
            self._index(iri, alt)

    def add_work(self, work: str, authors: Sequence[str]) -> None:
        self.work_authors[work] = list(authors)
        for key in authors:
            if key in self.people:
                self.people[key].works.add(work)

    def _index(self, key: str, name: str) -> None:
        keys = self.by_name.setdefault(normalize_name(name), [])
        if key not in keys:
            keys.append(key)

    def coauthors(self, key: str) -> set[str]:
        out: set[str] = set()
        for work in self.people[key].works:
            out.update(self.work_authors.get(work, ()))
        out.discard(key)
        return out

    def _mint(self, printed: str) -> str:
        self._new += 1
        key = f"new:{self._new}"
        self.people[key] = _Person(key=key, names=[printed], existing=False,
                                   new_forms=[printed])
        self._index(key, printed)
        return key

    def _add_form(self, key: str, printed: str) -> None:
        person = self.people[key]
        if all(normalize_name(n) != normalize_name(printed) for n in person.names):
            person.names.append(printed)
            person.new_forms.append(printed)
        self._index(key, printed)

    def resolve(self, names: Sequence[str]) -> list[Resolution]:
        """Resolve the printed author names of one entry (in order) to people.

        Exact matches first (against every known form); then a name with no exact match is
        merged into a person whose name is a :func:`name_variant` of it **and** who has a
        co-author among this entry's exactly-matched authors; a variant without a shared
        co-author is minted as a new person (``lookalike``).
        """
        found: dict[int, Resolution] = {}
        for i, printed in enumerate(names):
            keys = self.by_name.get(normalize_name(printed), [])
            if len(keys) == 1:
                found[i] = Resolution(printed, keys[0], "exact")
            elif len(keys) > 1:
                found[i] = Resolution(printed, self._mint(printed), "ambiguous",
                                      f"{printed!r} matches {len(keys)} people "
                                      f"({', '.join(self._label(k) for k in keys)}); "
                                      f"a new person was minted")
        entry_keys = {r.key for r in found.values() if r.how == "exact"}
        for i, printed in enumerate(names):
            if i in found:
                continue
            candidates = [key for key, person in self.people.items()
                          if key not in entry_keys
                          and any(name_variant(printed, n) for n in person.names)]
            sharing = [k for k in candidates if self.coauthors(k) & entry_keys]
            if len(sharing) == 1:
                self._add_form(sharing[0], printed)
                res = Resolution(printed, sharing[0], "variant",
                                 f"{printed!r} merged with {self._label(sharing[0])} "
                                 f"(shared co-author)")
            elif len(sharing) > 1:
                res = Resolution(printed, self._mint(printed), "ambiguous",
                                 f"{printed!r} is a variant of several people sharing "
                                 f"co-authors ({', '.join(self._label(k) for k in sharing)}); "
                                 f"a new person was minted")
            elif candidates:
                res = Resolution(printed, self._mint(printed), "lookalike",
                                 f"possible same person, not merged: {printed!r} looks like "
                                 f"{', '.join(self._label(k) for k in candidates)} "
                                 f"but shares no co-author")
            else:
                res = Resolution(printed, self._mint(printed), "new")
            found[i] = res
            entry_keys.add(res.key)
        return [found[i] for i in range(len(names))]

    def _label(self, key: str) -> str:
        person = self.people[key]
        where = f" <{key}>" if person.existing else ""
        return f"{person.names[0]!r}{where}"


# --------------------------------------------------------------------------------------------
# Deterministic Turtle
# --------------------------------------------------------------------------------------------

INSTANCE_PREFIXES: dict[str, str] = {
    "paper": f"{CANONICAL_BASE_IRI}paper/",
    "person": f"{CANONICAL_BASE_IRI}person/",
    "venue": f"{CANONICAL_BASE_IRI}venue/",
    "technique": f"{CANONICAL_BASE_IRI}technique/",
    "scheme": f"{CANONICAL_BASE_IRI}scheme/",
}
"""Readable prefixes for instance data in the files the importer writes."""

_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_SUBJECT_ORDER = ("scheme/", "section/", "venue/", "person/", "paper/")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text) if t)


class _Writer:
    def __init__(self, prefixes: dict[str, str]) -> None:
        # longest namespace first, so "paper:" wins over a shorter enclosing namespace
        self.prefixes = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        for prefix, ns in self.prefixes:
            if iri.startswith(ns):
                local = iri[len(ns):]
                if local == "" or _LOCAL.match(local):
                    self.used.add(prefix)
                    return f"{prefix}:{local}"
        return f"<{iri}>"

    def literal(self, lit: Literal) -> str:
        text = "".join(_ESCAPES.get(c, c if c >= " " else f"\\u{ord(c):04X}")
                       for c in str(lit))
        if lit.language:
            return f'"{text}"@{lit.language}'
        if lit.datatype is not None and lit.datatype != XSD.string:
            return f'"{text}"^^{self.iri(str(lit.datatype))}'
        return f'"{text}"'

    def term(self, node: Node) -> str:
        if isinstance(node, URIRef):
            return self.iri(str(node))
        if isinstance(node, Literal):
            return self.literal(node)
        raise ListImportError(f"cannot write {node!r}: only IRIs and literals are supported "
                           f"(no blank nodes) in imported data")


def _subject_key(iri: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    rest = iri[len(CANONICAL_BASE_IRI):] if iri.startswith(CANONICAL_BASE_IRI) else None
    for i, segment in enumerate(_SUBJECT_ORDER):
        if rest is not None and rest.startswith(segment):
            return (i, _natural(iri))
    return (len(_SUBJECT_ORDER), _natural(iri))


def _object_key(node: Node) -> tuple[int, tuple[tuple[int, int | str], ...], str, str]:
    if isinstance(node, Literal):
        return (1, _natural(str(node)), str(node.datatype or ""), node.language or "")
    return (0, _natural(str(node)), "", "")


def serialize_turtle(graph: Graph, header: str = "") -> bytes:
    """``graph`` as Turtle whose bytes depend only on the triples (no blank nodes allowed).

    Subjects are grouped (scheme, sections, venues, people, papers) and sorted naturally
    (``#author-2`` before ``#author-10``); ``rdf:type`` comes first, then predicates and
    objects in sorted order; only the prefixes used are declared.
    """
    writer = _Writer({**PREFIXES, **INSTANCE_PREFIXES})
    subjects = sorted(set(graph.subjects()), key=lambda s: _subject_key(str(s)))
    blocks: list[str] = []
    for s in subjects:
        preds = sorted(set(graph.predicates(s)),
                       key=lambda p: (p != RDF.type, writer.iri(str(p))))
        lines = [writer.term(s)]
        for j, p in enumerate(preds):
            objs = sorted(graph.objects(s, p), key=_object_key)
            verb = "a" if p == RDF.type else writer.term(p)
            rendered = [writer.term(o) for o in objs]
            end = " ." if j == len(preds) - 1 else " ;"
            if len(rendered) == 1:
                lines.append(f"    {verb} {rendered[0]}{end}")
            else:
                lines.append(f"    {verb} {rendered[0]} ,")
                lines.extend(f"        {o} ," for o in rendered[1:-1])
                lines.append(f"        {rendered[-1]}{end}")
        blocks.append("\n".join(lines))
    all_prefixes = {**PREFIXES, **INSTANCE_PREFIXES}
    head = [f"@prefix {p}: <{all_prefixes[p]}> ." for p in sorted(writer.used)]
    parts = [header.rstrip("\n")] if header else []
    parts.append("\n".join(head))
    parts.extend(blocks)
    return ("\n\n".join(parts) + "\n").encode("utf-8")


TARGET_HEADER = (
    "# caikg curated data: reading lists imported by 'caikg import-list' (src/caikg/importer.py).\n"
    "# Generated: edit the list and re-import rather than editing this file by hand.\n"
)


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import added (or, with ``dry_run``, would add), and what it skipped."""

    source: Path
    target: Path
    list_id: str
    dry_run: bool = False
    entries: int = 0
    already_present: list[tuple[str, str]] = field(default_factory=list)
    """(work IRI, title) of entries that were already in the data."""
    works: list[tuple[str, str]] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)
    venues: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    schemes: list[tuple[str, str]] = field(default_factory=list)
    alternate_names: list[tuple[str, str]] = field(default_factory=list)
    """(person IRI, printed form) added to an existing person as ``schema:alternateName``."""
    section_links: list[tuple[str, str]] = field(default_factory=list)
    """(work IRI, section IRI) added to works that were already in the data."""
    skipped: list[Problem] = field(default_factory=list)
    """Malformed entries and lines (each with its line number); non-empty → exit 1."""
    notes: list[str] = field(default_factory=list)
    triples_added: int = 0
    written: bool = False
    validation: ValidationReport | None = None

    @property
    def added(self) -> int:
        """How many entities were added (works, people, venues, sections, lists)."""
        return (len(self.works) + len(self.people) + len(self.venues) + len(self.sections)
                + len(self.schemes))

    @property
    def changed(self) -> bool:
        return self.triples_added > 0

    def to_text(self) -> str:
        verb = "would add" if self.dry_run else "added"
        lines = [f"{self.source}: {self.entries} entries read into list {self.list_id!r}, "
                 f"{len(self.already_present)} already in the data, {len(self.skipped)} "
                 f"skipped."]
        for label, items in (("lists", self.schemes), ("sections", self.sections),
                             ("venues", self.venues), ("people", self.people),
                             ("works", self.works),
                             ("alternate names", self.alternate_names),
                             ("section links of existing works", self.section_links)):
            if items:
                lines.append(f"{verb.capitalize()} {len(items)} {label}:")
                lines.extend(f"  {iri}  {text}" for iri, text in items)
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} malformed entries/lines:")
            lines.extend(f"  {p}" for p in self.skipped)
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"  {n}" for n in self.notes)
        if self.validation is not None and self.validation.results:
            n_w = len(self.validation.warnings)
            lines.append(f"Validation: conforms, {n_w} warning(s), "
                         f"{len(self.validation.results) - n_w} info(s).")
        if not self.changed:
            lines.append(f"Nothing to add: {self.target} is unchanged.")
        elif self.dry_run:
            lines.append(f"Dry run: {self.triples_added} triples would be added to "
                         f"{self.target}; nothing written.")
        else:
            lines.append(f"Wrote {self.target} ({self.triples_added} triples added).")
        return "\n".join(lines)


def _norm_title(title: str) -> str:
    return normalize_name(title).rstrip(".")


def _norm_venue(text: str) -> str:
    return normalize_name(text)


class _Merger:
    """Holds the existing data and the triples being added."""

    def __init__(self, existing: Graph, inst: Instances) -> None:
        self.g = existing
        self.inst = inst
        self.new = Graph()
        self.taken_papers: set[str] = set()
        self.existing_papers: set[str] = set()
        self.works: dict[tuple[str, str], str] = {}
        for s in set(existing.subjects(DCTERMS.title, None)) | set(existing.subjects(
                SCHEMA.url, None)):
            if str(s).startswith(f"{inst.base}paper/"):
                self.taken_papers.add(str(s))
                self.existing_papers.add(str(s))
                self._index_work(str(s), titles=[*existing.objects(s, DCTERMS.title),
                                                 *existing.objects(s, DCTERMS.alternative)],
                                 urls=existing.objects(s, SCHEMA.url),
                                 arxiv=existing.objects(s, CAIKG.arxivId),
                                 openreview=existing.objects(s, CAIKG.openReviewId),
                                 doi=existing.objects(s, BIBO.doi))
        self.series: dict[str, list[str]] = {}
        for kind in (CAIKG.VenueSeries, CAIKG.Repository, SCHEMA.Blog):
            for s in existing.subjects(RDF.type, kind):
                for p in (CAIKG.acronym, SCHEMA.name, SCHEMA.alternateName):
                    for o in existing.objects(s, p):
                        keys = self.series.setdefault(_norm_venue(str(o)), [])
                        if str(s) not in keys:
                            keys.append(str(s))
        self.editions: dict[tuple[str, int], str] = {}
        for e in existing.subjects(RDF.type, CAIKG.VenueEdition):
            for series in existing.objects(e, DCTERMS.isPartOf):
                for d in existing.objects(e, DCTERMS.date):
                    if str(d)[:4].isdigit():
                        self.editions.setdefault((str(series), int(str(d)[:4])), str(e))
        self.people = PeopleIndex()
        for person in sorted(existing.subjects(RDF.type, SCHEMA.Person), key=str):
            names = sorted(str(n) for n in existing.objects(person, SCHEMA.name))
            if not names:
                continue
            alternates = [str(n) for n in existing.objects(person, SCHEMA.alternateName)]
            self.people.add_existing(str(person), names[0], [*names[1:], *alternates])
        for w in sorted({s for s, _, _ in existing.triples((None, SCHEMA.author, None))}, key=str):
            self.people.add_work(str(w), self._ordered_authors(w))

    def _ordered_authors(self, work: Node) -> list[str]:
        rows: list[tuple[int, str]] = []
        for a in self.g.objects(work, PROV.qualifiedAttribution):
            agent = self.g.value(a, PROV.agent)
            ordinal = self.g.value(a, CAIKG.ordinal)
            if agent is not None:
                n = int(str(ordinal)) if ordinal is not None and str(ordinal).isdigit() else 0
                rows.append((n, str(agent)))
        listed = [agent for _, agent in sorted(rows)]
        direct = sorted(str(o) for o in self.g.objects(work, SCHEMA.author))
        return listed + [a for a in direct if a not in listed]

    def _index_work(self, iri: str, *, titles: Iterable[Node], urls: Iterable[Node],
                    arxiv: Iterable[Node], openreview: Iterable[Node], doi: Iterable[Node]
                    ) -> None:
        for kind, values, norm in (("title", titles, _norm_title), ("url", urls, str),
                                   ("arxiv", arxiv, str), ("openreview", openreview, str),
                                   ("doi", doi, str.lower)):
            for v in values:
                self.works.setdefault((kind, norm(str(v))), iri)

    def find_work(self, entry: Entry) -> str | None:
        ids = entry.identifiers
        keys = [("arxiv", ids.get("arxiv")), ("openreview", ids.get("openreview")),
                ("doi", (ids.get("doi") or "").lower() or None), ("url", entry.url),
                ("title", _norm_title(entry.title))]
        for key in keys:
            if key[1] is not None and (key[0], key[1]) in self.works:
                return self.works[(key[0], key[1])]
        return None

    def add(self, s: URIRef, p: URIRef, o: Node) -> None:
        if (s, p, o) not in self.g:
            self.new.add((s, p, o))

    def known(self, s: URIRef) -> bool:
        return (s, None, None) in self.g or (s, None, None) in self.new


def _choose_list_id(parsed: ParsedList, existing: Graph, inst: Instances) -> str:
    if parsed.title:
        prefix = f"{inst.base}scheme/"
        wanted = normalize_name(parsed.title)
        matches = sorted(str(s) for s in existing.subjects(RDF.type, SKOS.ConceptScheme)
                         if str(s).startswith(prefix)
                         and any(normalize_name(str(t)) == wanted
                                 for t in existing.objects(s, DCTERMS.title)))
        if matches:
            return matches[0][len(prefix):]
    return slugify(parsed.path.stem) or "list"


def _load_existing(settings: Settings, target: Path) -> tuple[Graph, Graph]:
    """All curated data (``data/*.ttl`` and the target) and the target's own triples."""
    if not settings.data_dir.is_dir():
        raise ListImportError(f"{settings.data_dir}: data directory not found")
    paths: list[Path] = [settings.data_dir]
    try:
        everything = read_sources(paths)
        if target.exists() and target.resolve() not in {p.resolve() for p in everything.files}:
            extra = read_sources([target])
            everything.triples.extend(extra.triples)
            everything.files.extend(extra.files)
        own = read_sources([target]) if target.exists() else None
    except SourceError as exc:
        raise ListImportError(f"cannot read the existing data: {exc}") from None
    graph = to_rdflib(everything.triples)
    own_graph = to_rdflib(own.triples) if own is not None else Graph()
    return graph, own_graph


def import_list(path: Path | str, settings: Settings, *, target: Path | str | None = None,
                list_id: str | None = None, dry_run: bool = False,
                validate: bool = True) -> ImportReport:
    """Merge the reading list at ``path`` into the curated data of ``settings.data_dir``.

    New triples go to ``target`` (default ``data/survey.ttl``), which is rewritten atomically
    and deterministically, and only when something was added. Before writing, the merged data
    (every data file plus the new triples) are validated against ``ontology/shapes.ttl``; a
    ``sh:Violation`` raises :class:`ListImportError` and nothing is written. Malformed entries are
    skipped and listed in :attr:`ImportReport.skipped`.
    """
    parsed = parse_list(path)
    target_path = Path(target) if target is not None else settings.data_dir / DEFAULT_TARGET
    if target_path.suffix != ".ttl":
        raise ListImportError(f"{target_path}: the target must be a Turtle (.ttl) file")
    existing, own = _load_existing(settings, target_path)
    inst = Instances(CANONICAL_BASE_IRI)
    if list_id is None:
        list_id = _choose_list_id(parsed, existing, inst)
    elif not list_id or slugify(list_id) != list_id:
        raise ListImportError(f"list id {list_id!r} must be a slug (lower-case a-z, 0-9 and '-')")
    report = ImportReport(source=Path(path), target=target_path, list_id=list_id,
                          dry_run=dry_run, entries=len(parsed.entries),
                          skipped=list(parsed.problems))
    m = _Merger(existing, inst)

    # the list and its sections
    scheme = inst.scheme(list_id)
    if not m.known(scheme):
        title = parsed.title or parsed.path.stem
        m.add(scheme, RDF.type, SKOS.ConceptScheme)
        m.add(scheme, DCTERMS.title, Literal(title))
        m.add(scheme, DCTERMS.source, Literal(parsed.path.name))
        report.schemes.append((str(scheme), title))
        if parsed.title is None:
            report.notes.append(f"{parsed.path}: no H1 title; the list is titled {title!r}")
    section_iris: list[URIRef] = []
    for sec in parsed.sections:
        iri = inst.section(list_id, sec.slug)
        section_iris.append(iri)
        if m.known(iri):
            continue
        m.add(iri, RDF.type, SKOS.Concept)
        m.add(iri, SKOS.prefLabel, Literal(sec.heading, lang="en"))
        m.add(iri, SKOS.inScheme, scheme)
        m.add(iri, SKOS.notation, Literal(sec.notation))
        if sec.parent is None:
            m.add(iri, SKOS.topConceptOf, scheme)
            m.add(scheme, SKOS.hasTopConcept, iri)
        else:
            parent = section_iris[sec.parent]
            m.add(iri, SKOS.broader, parent)
            m.add(parent, SKOS.narrower, iri)
        report.sections.append((str(iri), f"{sec.notation} {sec.heading}"))

    # entries
    pending_people: list[tuple[URIRef, int, Resolution]] = []
    for entry in parsed.entries:
        section = section_iris[entry.section]
        found = m.find_work(entry)
        if found is not None:
            work = URIRef(found)
            in_scheme = any((s, SKOS.inScheme, scheme) in existing or (s, SKOS.inScheme,
                            scheme) in m.new for s in chain_objects(m, work, CAIKG.section))
            if found in m.existing_papers:
                report.already_present.append((found, entry.title))
                if not in_scheme:
                    m.add(work, CAIKG.section, section)
                    report.section_links.append((found, str(section)))
            else:
                report.notes.append(f"{parsed.path}:{entry.line}: {entry.title!r} is listed "
                                    f"again (as <{found}>)")
                if (work, CAIKG.section, section) not in m.new:
                    m.add(work, CAIKG.section, section)
            continue
        year = entry.year
        slug = unique_slug(paper_slug(entry.title),
                           lambda s: str(inst.paper(s)) in m.taken_papers, year)
        work = inst.paper(slug)
        m.taken_papers.add(str(work))
        ids = entry.identifiers
        if entry.kind == "blog":
            m.add(work, RDF.type, SCHEMA.BlogPosting)
            m.add(work, RDF.type, FABIO.BlogPost)
        else:
            m.add(work, RDF.type, SCHEMA.ScholarlyArticle)
            m.add(work, RDF.type,
                  FABIO.ReviewArticle if entry.kind == "review" else FABIO.ResearchPaper)
        m.add(work, DCTERMS.title, Literal(entry.title))
        m.add(work, SCHEMA.url, URIRef(entry.url))
        if year is not None:
            m.add(work, FABIO.hasPublicationYear, Literal(str(year), datatype=XSD.gYear))
        if entry.issued is not None:
            m.add(work, DCTERMS.issued, Literal(entry.issued.isoformat(), datatype=XSD.date))
        if "arxiv" in ids:
            m.add(work, CAIKG.arxivId, Literal(ids["arxiv"]))
        if "openreview" in ids:
            m.add(work, CAIKG.openReviewId, Literal(ids["openreview"]))
        if "doi" in ids:
            m.add(work, BIBO.doi, Literal(ids["doi"]))
        venue, status = _venue_of(entry, m, report)
        if venue is not None:
            m.add(work, CAIKG.venue, venue)
        m.add(work, BIBO.status, status)
        m.add(work, CAIKG.section, section)
        m._index_work(str(work), titles=[Literal(entry.title)], urls=[URIRef(entry.url)],
                      arxiv=[Literal(v) for k, v in ids.items() if k == "arxiv"],
                      openreview=[Literal(v) for k, v in ids.items() if k == "openreview"],
                      doi=[Literal(v) for k, v in ids.items() if k == "doi"])
        report.works.append((str(work), entry.title))
        resolutions = m.people.resolve(entry.authors)
        for n, res in enumerate(resolutions, start=1):
            pending_people.append((work, n, res))
            if res.note and res.how != "variant":
                report.notes.append(f"{parsed.path}:{entry.author_line}: {res.note}")
        m.people.add_work(str(work), [r.key for r in resolutions])

    # people: new ones get their IRI from their fullest name, now that all forms are known
    person_iris: dict[str, URIRef] = {}
    taken_people = {str(s) for s in existing.subjects(RDF.type, SCHEMA.Person)}
    for key, person in m.people.people.items():
        if person.existing:
            person_iris[key] = URIRef(key)
            for form in person.new_forms:
                m.add(URIRef(key), SCHEMA.alternateName, Literal(form))
                report.alternate_names.append((key, form))
            continue
        slug = unique_slug(slugify(person.name) or "person",
                           lambda s: str(inst.person(s)) in taken_people)
        iri = inst.person(slug)
        taken_people.add(str(iri))
        person_iris[key] = iri
        m.add(iri, RDF.type, SCHEMA.Person)
        m.add(iri, RDF.type, FOAF.Person)
        m.add(iri, SCHEMA.name, Literal(person.name))
        for form in person.names:
            if form != person.name:
                m.add(iri, SCHEMA.alternateName, Literal(form))
        report.people.append((str(iri), person.name))
        if len(person.names) > 1:
            report.notes.append(f"{', '.join(repr(n) for n in person.names)} are one person: "
                                f"<{iri}> (shared co-authors)")
    for work, n, res in pending_people:
        agent = person_iris[res.key]
        attribution = inst.authorship(work, n)
        m.add(attribution, RDF.type, CAIKG.Authorship)
        m.add(attribution, RDF.type, PROV.Attribution)
        m.add(attribution, PROV.agent, agent)
        m.add(attribution, CAIKG.ordinal, Literal(str(n), datatype=XSD.integer))
        m.add(attribution, CAIKG.statedName, Literal(res.printed))
        m.add(work, PROV.qualifiedAttribution, attribution)
        m.add(work, SCHEMA.author, agent)
    for key, form in report.alternate_names:
        report.notes.append(f"{form!r} merged into <{key}> as an alternate name "
                            f"(shared co-author)")

    added = Graph()
    for t in m.new:
        if t not in existing:
            added.add(t)
    if not parsed.entries and report.skipped:  # every entry is broken: not even the sections
        report.notes.append(f"{parsed.path}: no entry could be read; nothing written")
        added = Graph()
    report.triples_added = len(added)
    if not report.triples_added:
        return report

    if validate:
        shapes_file = shapes_path(settings)
        if not shapes_file.exists():
            raise ListImportError(f"{shapes_file}: SHACL shapes not found; nothing written")
        try:
            shapes = load_shapes(settings)
        except SourceError as exc:
            raise ListImportError(f"cannot read the shapes: {exc}") from None
        merged = Graph()
        for t in existing:
            merged.add(t)
        for t in added:
            merged.add(t)
        result = validate_graph(merged, shapes)
        report.validation = result
        if not result.conforms:
            raise ListImportError(f"importing {path} would make the data invalid; nothing "
                               f"written:\n{result.to_text()}", result)
    if dry_run:
        return report
    out = Graph()
    for t in own:
        out.add(t)
    for t in added:
        out.add(t)
    data = serialize_turtle(out, TARGET_HEADER)
    if target_path.exists() and target_path.read_bytes() == data:
        return report
    write_atomically(target_path, data)
    report.written = True
    return report


def chain_objects(m: _Merger, s: URIRef, p: URIRef) -> list[Node]:
    """Objects of ``s p`` in the existing data and the new triples."""
    return [*m.g.objects(s, p), *m.new.objects(s, p)]


def _journal_like(name: str) -> bool:
    return bool(re.search(r"\b(transactions|journal)\b", name, re.I))


def _venue_of(entry: Entry, m: _Merger, report: ImportReport) -> tuple[URIRef | None, URIRef]:
    """``caikg:venue`` and ``bibo:status`` of a new work (minting venues as needed)."""
    inst = m.inst
    note = entry.venue.status_note if entry.venue is not None else None
    if entry.kind == "blog":
        host = urlsplit(entry.url).netloc.lower().split(":")[0].removeprefix("www.")
        blog = KNOWN_BLOGS.get(host)
        venue: URIRef | None = None
        if blog is not None:
            venue = inst.venue(blog[0])
            if not m.known(venue):
                m.add(venue, RDF.type, SCHEMA.Blog)
                m.add(venue, SCHEMA.name, Literal(blog[1]))
                report.venues.append((str(venue), blog[1]))
        return venue, note or CAIKG.Published
    assert entry.venue is not None
    name, year = entry.venue.venue, entry.venue.year
    candidates = m.series.get(_norm_venue(name), [])
    if len(candidates) > 1:
        report.notes.append(f"{entry.venue.line}: venue {name!r} matches "
                            f"{len(candidates)} series; using <{sorted(candidates)[0]}>")
    if candidates:
        series = URIRef(sorted(candidates)[0])
    else:
        slug = unique_slug(slugify(name) or "venue",
                           lambda s: m.known(inst.venue(s)))
        series = inst.venue(slug)
        m.add(series, RDF.type, CAIKG.VenueSeries)
        if _journal_like(name):
            m.add(series, RDF.type, SCHEMA.Periodical)
            m.add(series, RDF.type, BIBO.Journal)
        else:
            m.add(series, RDF.type, SCHEMA.EventSeries)
        m.add(series, SCHEMA.name, Literal(name))
        if " " not in name:
            m.add(series, CAIKG.acronym, Literal(name))
        m.series[_norm_venue(name)] = [str(series)]
        report.venues.append((str(series), name))
    types = set(m.g.objects(series, RDF.type)) | set(m.new.objects(series, RDF.type))
    if CAIKG.Repository in types:
        return series, note or CAIKG.Preprint
    if SCHEMA.Blog in types:
        return series, note or CAIKG.Published
    edition_iri = m.editions.get((str(series), year))
    if edition_iri is not None:
        return URIRef(edition_iri), note or CAIKG.Published
    base_venue = f"{inst.base}venue/"
    series_slug = (str(series)[len(base_venue):] if str(series).startswith(base_venue)
                   else slugify(name))
    edition = inst.venue(f"{series_slug}-{year}")
    label = _label_of(m, series, name)
    m.add(edition, RDF.type, CAIKG.VenueEdition)
    m.add(edition, SCHEMA.name, Literal(f"{label} {year}"))
    m.add(edition, DCTERMS.isPartOf, series)
    m.add(edition, DCTERMS.date, Literal(str(year), datatype=XSD.gYear))
    m.editions[(str(series), year)] = str(edition)
    report.venues.append((str(edition), f"{label} {year}"))
    return edition, note or CAIKG.Published


def _label_of(m: _Merger, series: URIRef, fallback: str) -> str:
    acronyms = sorted(str(a) for a in [*m.g.objects(series, CAIKG.acronym),
                                       *m.new.objects(series, CAIKG.acronym)])
    return acronyms[0] if acronyms else fallback
