"""The paper browser: full-text search over titles (and other titles), authors, summaries,
system names and technique labels, and facets
(technique with its narrower techniques, venue, year, status, reading-list section).

Everything the browser needs is read with a few whole-graph queries (``work_listing``,
``work_authors``, ``work_techniques``, ``work_sections``) into :class:`Paper` records, cached
per store object (a store never changes; a rebuild opens a new one); searching, filtering and
counting then run in Python, linear in the number of papers.

URL parameters: ``q`` (all words must occur, case- and accent-insensitive), ``technique``,
``venue``, ``section`` (slugs such as ``kv-cache-reuse``, ``osdi``,
``compound-ai-survey/caching``, or full IRIs), ``year``, ``status`` (``published``,
``preprint``, ``under-review``, ``in-submission``), each repeatable (values of one facet are
alternatives; different facets must all hold), and ``page`` (50 papers a page). Unknown
parameters are ignored and invalid values are reported, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from caikg.rdf.names import normalize_name
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, per_data_version, plain
from caikg.web.pages.section import notation_key

PAGE_SIZE = 50
MAX_QUERY = 500
"""Longest search text considered (characters)."""
FACETS = ("technique", "venue", "year", "status", "section")
FACET_LABELS = {"technique": "Technique", "venue": "Venue", "year": "Year", "status": "Status",
                "section": "Survey section"}
STATUS_ORDER = ("published", "preprint", "under-review", "in-submission")


class Args(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@dataclass
class Paper:
    work: str
    title: str
    year: str | None
    is_blog: bool
    venue: str | None
    venue_name: str | None
    status_label: str | None
    url: str | None
    authors: list[str] = field(default_factory=list)
    tagged: dict[str, str] = field(default_factory=dict)
    """Techniques the paper is tagged with: IRI → label."""
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    """Facet → {value key → label} (techniques and sections include broader concepts)."""
    text: str = ""


def fold(text: str) -> str:
    """A visitor's words and the search text in one form (:mod:`caikg.rdf.names`)."""
    return normalize_name(text, accents=False)


def _slug(iri: str, prefix: str) -> str:
    return iri[len(prefix):] if iri.startswith(prefix) else iri


def _status_key(iri: str) -> str:
    local = re.split(r"[#/]", iri)[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "-", local).lower()


@per_data_version
def load_papers(store: KnowledgeStore) -> list[Paper]:
    """Every work, newest first then by title (cached per store and data version)."""
    return _load(store)


def _load(store: KnowledgeStore) -> list[Paper]:
    base = store.instances.base
    papers: dict[str, Paper] = {}
    section_notation: dict[str, str] = {}
    for r in plain(store.select("work_listing")):
        work = r["work"] or ""
        p = Paper(work, r["title"] or work, r["year"], r["isBlog"] == "true", r["venue"],
                  r["venueName"], r["statusLabel"], r["url"])
        if r["year"]:
            p.values["year"] = {r["year"]: r["year"]}
        if r["outlet"]:
            p.values["venue"] = {_slug(r["outlet"], base + "venue/"):
                                 r["outletAcronym"] or r["outletName"] or r["outlet"]}
        if r["status"]:
            p.values["status"] = {_status_key(r["status"]): r["statusLabel"] or r["status"]}
        papers[work] = p
    for r in plain(store.select("work_authors")):
        p_or_none = papers.get(r["work"] or "")
        if p_or_none is None:
            continue
        if r["name"] and r["name"] not in p_or_none.authors:
            p_or_none.authors.append(r["name"])
        if r["statedName"] and r["statedName"] != r["name"]:
            p_or_none.text += " " + r["statedName"]
    for r in plain(store.select("work_techniques")):
        p_or_none = papers.get(r["work"] or "")
        if p_or_none is None or not r["technique"]:
            continue
        label = r["label"] or r["technique"]
        p_or_none.values.setdefault("technique", {})[
            _slug(r["technique"], base + "technique/")] = label
        if r["technique"] == r["tagged"]:
            p_or_none.tagged[r["technique"]] = label
    for r in plain(store.select("work_sections")):
        p_or_none = papers.get(r["work"] or "")
        if p_or_none is None or not r["section"]:
            continue
        label = r["label"] or r["section"]
        if r["notation"]:
            label = f"{r['notation']} {label}"
            section_notation[r["section"]] = r["notation"]
        p_or_none.values.setdefault("section", {})[_slug(r["section"], base + "section/")] = label
    for r in plain(store.select("work_search_text")):
        p_or_none = papers.get(r["work"] or "")
        if p_or_none is not None and r["text"]:
            p_or_none.text += " " + r["text"]
    for p in papers.values():
        parts = [p.title, *p.authors, p.text, *p.values.get("technique", {}).values()]
        p.text = fold(" ".join(parts))
    return sorted(papers.values(), key=lambda p: (-_year_number(p.year), p.title.casefold(),
                                                  p.work))


def _year_number(year: str | None) -> int:
    return int(year) if year and year.isdigit() else -1


@dataclass
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool
    remove_qs: str = ""


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue]


def _parse(args: Args, known: Mapping[str, Mapping[str, str]], base: str
           ) -> tuple[str, dict[str, list[str]], int | None, list[str]]:
    """Search words, selected facet values, requested page and messages about what was
    ignored."""
    messages: list[str] = []
    q = " ".join(" ".join(args.getlist("q")).split())
    if len(q) > MAX_QUERY:
        q = q[:MAX_QUERY]
        messages.append(f"The search text was cut to {MAX_QUERY} characters.")
    prefixes = {"technique": base + "technique/", "venue": base + "venue/",
                "section": base + "section/"}
    selected: dict[str, list[str]] = {}
    for facet in FACETS:
        chosen: list[str] = []
        for raw in args.getlist(facet):
            value = raw.strip()
            if not value:
                continue
            if facet in prefixes:
                value = _slug(value, prefixes[facet])
            elif facet == "status":
                value = _status_key(value) if "#" in value else value.lower().replace(" ", "-")
            if value in known.get(facet, {}):
                if value not in chosen:
                    chosen.append(value)
            else:
                shown = raw if len(raw) <= 80 else raw[:80] + "…"
                messages.append(f"Ignored the unknown {FACET_LABELS[facet].lower()} “{shown}”.")
        if chosen:
            selected[facet] = chosen
    page: int | None = 1
    raw_page = (args.getlist("page") or ["1"])[-1].strip()
    if raw_page.isdigit() and 0 < len(raw_page) < 7 and int(raw_page) >= 1:
        page = int(raw_page)
    else:
        messages.append(f"Ignored the invalid page number “{raw_page[:20]}”.")
        page = None
    return q, selected, page, messages


def _matches(p: Paper, words: list[str], selected: Mapping[str, list[str]],
             skip: str | None = None) -> bool:
    if any(w not in p.text for w in words):
        return False
    for facet, chosen in selected.items():
        if facet == skip:
            continue
        have = p.values.get(facet, {})
        if not any(c in have for c in chosen):
            return False
    return True


def _query_string(q: str, selected: Mapping[str, Iterable[str]], page: int = 1) -> str:
    params: list[tuple[str, str]] = []
    if q:
        params.append(("q", q))
    for facet in FACETS:
        params.extend((facet, v) for v in selected.get(facet, []))
    if page > 1:
        params.append(("page", str(page)))
    return "?" + urlencode(params) if params else ""


def _sort_key(facet: str) -> Callable[[FacetValue], tuple[Any, ...]]:
    if facet == "year":
        return lambda v: (-_year_number(v.key), v.key)
    if facet == "status":
        return lambda v: (STATUS_ORDER.index(v.key) if v.key in STATUS_ORDER else 99, v.key)
    if facet == "section":
        return lambda v: (notation_key(v.label.split(" ", 1)[0]), v.label)
    return lambda v: (-v.count, v.label.casefold())


def _known(papers: list[Paper]) -> dict[str, dict[str, str]]:
    known: dict[str, dict[str, str]] = {f: {} for f in FACETS}
    for p in papers:
        for facet, vals in p.values.items():
            known[facet].update(vals)
    return known


def _title(q: str) -> str:
    return f"Papers matching “{q}”" if q else "Papers"


def matching_papers(store: KnowledgeStore, args: Args) -> tuple[list[Paper], str]:
    """Every paper the browser lists for ``args`` (all pages, in the browser's order) and the
    page's title: what the citation exports of a search contain."""
    papers = load_papers(store)
    q, selected, _, _ = _parse(args, _known(papers), store.instances.base)
    words = fold(q).split()
    return [p for p in papers if _matches(p, words, selected)], _title(q)


def browse_page(store: KnowledgeStore, args: Args) -> Page:
    papers = load_papers(store)
    known = _known(papers)
    q, selected, page, messages = _parse(args, known, store.instances.base)
    words = fold(q).split()
    results = [p for p in papers if _matches(p, words, selected)]

    facets: list[Facet] = []
    for facet in FACETS:
        counts: dict[str, int] = {}
        for p in papers:
            if _matches(p, words, selected, skip=facet):
                for key in p.values.get(facet, {}):
                    counts[key] = counts.get(key, 0) + 1
        chosen = selected.get(facet, [])
        values = []
        for key in set(counts) | set(chosen):
            remaining = {**selected, facet: [c for c in chosen if c != key]}
            values.append(FacetValue(key, known[facet][key], counts.get(key, 0), key in chosen,
                                     _query_string(q, remaining)))
        values.sort(key=_sort_key(facet))
        facets.append(Facet(facet, FACET_LABELS[facet], values))

    pages = max(1, -(-len(results) // PAGE_SIZE))
    if page is None:
        page = 1
    elif page > pages:
        messages.append(f"There is no page {page}; showing page {pages}.")
        page = pages
    shown = results[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    active = [(FACET_LABELS[f], v) for f in FACETS for v in
              next((x.values for x in facets if x.name == f), []) if v.selected]
    near = {1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)}
    page_links: list[tuple[int | None, str]] = []
    for n in sorted(near):
        if page_links and page_links[-1][0] is not None and n - (page_links[-1][0] or 0) > 1:
            page_links.append((None, ""))
        page_links.append((n, _query_string(q, selected, n)))
    return Page("browse.html", title=_title(q), context={
        "q": q, "results": shown, "total": len(results), "all_count": len(papers),
        "facets": facets, "active": active, "messages": messages,
        "page": page, "pages": pages, "page_links": page_links,
        "first_index": (page - 1) * PAGE_SIZE + 1 if shown else 0,
        "last_index": (page - 1) * PAGE_SIZE + len(shown),
        "prev_qs": _query_string(q, selected, page - 1) if page > 1 else None,
        "next_qs": _query_string(q, selected, page + 1) if page < pages else None,
        "clear_search_qs": _query_string("", selected),
        "clear_all_qs": "", "filtered": bool(q or selected),
        "self_qs": _query_string(q, selected, page),
    })
