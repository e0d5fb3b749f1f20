"""BibTeX for the works of the graph: ``bibtex_for(store, iri)``.

The entry type follows the publication status and the venue: ``@inproceedings`` for a work
published at a conference edition, ``@article`` for a journal, ``@misc`` with ``eprint`` and
``archivePrefix = {arXiv}`` for preprints, ``@misc`` with ``howpublished = {\\url{...}}`` for
blog posts, and ``@misc`` with a ``note`` ("Under review at ICLR 2025") for works not yet
published. LaTeX specials are escaped; other non-ASCII text is kept as UTF-8 (biber reads it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from caikg.store.base import KnowledgeStore, Row

CAIKG = "https://w3id.org/caikg/ontology#"
PUBLISHED, PREPRINT = CAIKG + "Published", CAIKG + "Preprint"
UNDER_REVIEW, IN_SUBMISSION = CAIKG + "UnderReview", CAIKG + "InSubmission"

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile(r"[\\&%$#_{}~^]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_KEY_STOPWORDS = frozenset({"a", "an", "the", "on", "of", "in", "for", "to", "and", "do",
                            "are", "is", "with"})
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def latex_escape(text: str) -> str:
    """``text`` with the LaTeX specials escaped and whitespace (controls included) folded."""
    text = " ".join(_CONTROL_RE.sub(" ", text).split())
    return _SPECIAL_RE.sub(lambda m: _SPECIALS[m.group(0)], text)


def _needs_protection(word: str) -> bool:
    """A word whose capitals a bibliography style must keep: ``MetaGPT``, ``LLM``, ``KV``,
    ``70B-scale`` (an upper-case letter after the first character)."""
    letters = [c for c in word if c.isalnum()]
    return any(c.isupper() for c in letters[1:])


def protect_title(title: str) -> str:
    """The title escaped, each word with inner capitals wrapped in braces (``{MetaGPT}:``)."""
    out: list[str] = []
    for token in " ".join(_CONTROL_RE.sub(" ", title).split()).split(" "):
        m = re.fullmatch(r"([^\w]*)(.*?)([^\w]*)", token)
        lead, core, trail = m.groups() if m else ("", token, "")
        if core and _needs_protection(core):
            out.append(latex_escape(lead) + "{" + latex_escape(core) + "}" + latex_escape(trail))
        else:
            out.append(latex_escape(token))
    return " ".join(out)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only (accents dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def family_name(name: str) -> str:
    """The last word of a name, skipping suffixes such as ``Jr.``."""
    words = [w for w in re.split(r"[\s,]+", name) if w]
    while len(words) > 1 and ascii_slug(words[-1]) in _NAME_SUFFIXES:
        words.pop()
    return words[-1] if words else ""


def first_title_word(title: str) -> str:
    words = [ascii_slug(w) for w in re.split(r"[\s:\-–—/]+", title)]
    words = [w for w in words if w]
    for word in words:
        if word not in _KEY_STOPWORDS:
            return word
    return words[0] if words else "untitled"


def cite_key(family: str | None, year: str | None, title: str) -> str:
    """``hong2024metagpt``; without authors ``shift2024`` (first title word, then year)."""
    word = first_title_word(title)
    family_slug = ascii_slug(family or "")
    if family_slug:
        return f"{family_slug}{year or ''}{word}"
    return f"{word}{year or ''}"


def _author_field(name: str) -> str:
    escaped = latex_escape(name)
    # a comma would flip the name parts and an "and" would split it: keep it one name
    if "," in name or re.search(r"\band\b", name, flags=re.IGNORECASE):
        return "{" + escaped + "}"
    return escaped


@dataclass
class Work:
    """What a BibTeX entry needs to know about a work."""

    iri: str
    title: str
    year: str | None = None
    is_blog: bool = False
    status: str | None = None
    venue_name: str | None = None
    venue_kind: str | None = None  # edition, repository, blog
    series_name: str | None = None
    series_acronym: str | None = None
    series_kind: str | None = None  # conference, journal
    arxiv_id: str | None = None
    doi: str | None = None
    openreview_id: str | None = None
    url: str | None = None
    authors: list[tuple[str, str]] = field(default_factory=list)  # (printed name, name)
    issued: str | None = None  # dcterms:issued, when the record states a day

    def entry(self) -> tuple[str, list[tuple[str, str]]]:
        """The entry type and the (field, already escaped value) pairs."""
        fields: list[tuple[str, str]] = [("title", protect_title(self.title))]
        if self.authors:
            fields.append(("author", " and ".join(_author_field(printed)
                                                  for printed, _ in self.authors)))
        if self.year:
            fields.append(("year", latex_escape(self.year)))
        kind = "misc"
        published = self.status == PUBLISHED
        if self.is_blog:
            if self.venue_name:
                fields.append(("organization", latex_escape(self.venue_name)))
            if self.url:
                fields.append(("howpublished", r"\url{" + _url_escape(self.url) + "}"))
        elif published and self.venue_kind == "edition" and self.series_kind == "journal":
            kind = "article"
            fields.append(("journal", latex_escape(self.series_name or self.venue_name or "")))
        elif published and self.venue_kind == "edition":
            kind = "inproceedings"
            fields.append(("booktitle", latex_escape(self._booktitle())))
        if self.status in (UNDER_REVIEW, IN_SUBMISSION) and self.venue_name:
            verb = "Under review at" if self.status == UNDER_REVIEW else "In submission to"
            fields.append(("note", latex_escape(f"{verb} {self.venue_name}")))
        if self.arxiv_id and kind == "misc" and not self.is_blog:
            fields.append(("eprint", latex_escape(self.arxiv_id)))
            fields.append(("archivePrefix", "arXiv"))
        if self.doi:
            fields.append(("doi", latex_escape(self.doi)))
        if self.url:
            fields.append(("url", _url_escape(self.url)))
        return kind, fields

    def _booktitle(self) -> str:
        if self.series_name and self.venue_name:
            return f"{self.series_name} ({self.venue_name})"
        return self.series_name or self.venue_name or ""

    @property
    def published_in(self) -> str | None:
        """``"journal"`` or ``"conference"`` for a work published at a venue edition (what
        makes an ``@article`` or an ``@inproceedings``), else None."""
        if self.is_blog or self.status != PUBLISHED or self.venue_kind != "edition":
            return None
        return "journal" if self.series_kind == "journal" else "conference"

    @property
    def container_title(self) -> str | None:
        """The ``journal`` or ``booktitle`` of the BibTeX entry; a blog's name."""
        if self.is_blog:
            return self.venue_name
        if self.published_in == "journal":
            return self.series_name or self.venue_name
        if self.published_in == "conference":
            return self._booktitle() or None
        return None

    def key(self) -> str:
        family = family_name(self.authors[0][1] or self.authors[0][0]) if self.authors else None
        return cite_key(family, self.year, self.title)

    def bibtex(self, key: str | None = None) -> str:
        """The entry, keyed ``key`` (default :meth:`key`)."""
        kind, fields = self.entry()
        width = max(len(name) for name, _ in fields)
        lines = [f"@{kind}{{{key or self.key()},"]
        for name, text in fields:
            lines.append(f"  {name.ljust(width)} = {{{text}}},")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _url_escape(url: str) -> str:
    """A URL for ``url`` fields / ``\\url{}``: only characters that would break the entry
    (braces, a backslash, whitespace and controls) are percent-encoded."""
    out = []
    for c in url:
        if c in "{}\\" or ord(c) < 0x20 or c == "\x7f" or c.isspace():
            out.append("".join(f"%{b:02X}" for b in c.encode("utf-8")))
        else:
            out.append(c)
    return "".join(out)


def _value(term: object) -> str | None:
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return None


def _first(rows: list[Row], column: str) -> str | None:
    for row in rows:
        v = _value(row.get(column))
        if v is not None:
            return v
    return None


def work_for(store: KnowledgeStore, iri: str) -> Work | None:
    """The :class:`Work` of ``iri``, or None if it is not a work of the graph."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # not an IRI at all (e.g. a path with spaces or angle brackets)
        return None
    return _work(iri, store.select("paper_facts", paper=node),
                 store.select("paper_authors", paper=node))


def works(store: KnowledgeStore) -> dict[str, Work]:
    """Every work of the graph by IRI, read with two whole-graph queries (``paper_facts`` and
    ``paper_authors`` with no paper bound): the same :class:`Work` as :func:`work_for`."""
    facts: dict[str, list[Row]] = {}
    for row in store.select("paper_facts"):
        facts.setdefault(_value(row.get("paper")) or "", []).append(row)
    authors: dict[str, list[Row]] = {}
    for row in store.select("paper_authors"):
        authors.setdefault(_value(row.get("paper")) or "", []).append(row)
    found: dict[str, Work] = {}
    for iri, rows in facts.items():
        ordered = sorted(authors.get(iri, []), key=lambda r: int(_value(r["position"]) or 0))
        work = _work(iri, rows, ordered)
        if work is not None:
            found[iri] = work
    return found


def _work(iri: str, rows: list[Row], author_rows: list[Row]) -> Work | None:
    title = _first(rows, "title")
    if title is None:
        return None
    authors: list[tuple[str, str]] = []
    seen: set[str] = set()
    for row in author_rows:
        person = _value(row["person"]) or ""
        if person in seen:
            continue
        seen.add(person)
        name = _value(row["name"]) or ""
        authors.append((_value(row["statedName"]) or name, name))
    return Work(
        iri=iri, title=title, year=_first(rows, "year"),
        is_blog=_first(rows, "isBlog") == "true", status=_first(rows, "status"),
        venue_name=_first(rows, "venueName"), venue_kind=_first(rows, "venueKind"),
        series_name=_first(rows, "seriesName"), series_acronym=_first(rows, "seriesAcronym"),
        series_kind=_first(rows, "seriesKind"), arxiv_id=_first(rows, "arxivId"),
        doi=_first(rows, "doi"), openreview_id=_first(rows, "openReviewId"),
        url=_first(rows, "page") or _first(rows, "url"), authors=authors,
        issued=_first(rows, "issued"))


def bibtex_for(store: KnowledgeStore, iri: str) -> str | None:
    """A BibTeX entry for the work ``iri``; None if ``iri`` is not a work."""
    work = work_for(store, iri)
    return work.bibtex() if work is not None else None
