"""Reading a Markdown reading list: sections, entries (link, authors, venue line) and the
problems found, each with its line; identifiers parsed from links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from rdflib import URIRef

from caikg.rdf.iris import slugify, unique_slug
from caikg.rdf.namespaces import CAIKG
from caikg.validation.report import ValidationReport

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


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


class ListImportError(Exception):
    """The list cannot be imported (unreadable file or data, or a SHACL violation)."""

    def __init__(self, message: str, validation: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.validation = validation


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
