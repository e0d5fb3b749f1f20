"""The literature around the works (``caikg enrich --source …``, loaded into
``{base}graph/literature/<source>``): the paper page's Literature block, the page of an outside
work (``/cited/<id>``), the citation map (``/citations``) and the foundations
(``/foundations``, with a Markdown reading list the importer reads).

Everything here is what a source says, not what the curators wrote: each piece names its source,
the day it was checked and the licence the source states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from markupsafe import Markup

from caikg.rdf.xmltext import one_line
from caikg.store.base import KnowledgeStore, Row
from caikg.web.pages.base import Page, as_int, value, view
from caikg.web.pages.person import site_path
from caikg.web.svg.citations import MapNode, citation_map_svg

SOURCE_LABELS = {"openalex": "OpenAlex", "crossref": "Crossref", "openreview": "OpenReview",
                 "arxiv": "arXiv", "wikidata": "Wikidata"}
"""How the sources are named on the pages."""
LICENCE_LABELS = {
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0",
    "http://creativecommons.org/publicdomain/zero/1.0/": "CC0",
    "https://creativecommons.org/licenses/by/4.0/": "CC BY 4.0",
}
ABSTRACT_ORDER = ("arxiv", "crossref", "openalex", "openreview")
"""Whose abstract is shown when several sources give one: arXiv has the authors' own text;
OpenAlex rebuilds its abstracts from an inverted index."""
MAP_OUTSIDE = 12
"""The citation map also shows at most this many of the most cited outside works …"""
MAP_OUTSIDE_MIN_CITERS = 2
"""… those cited by at least this many curated works."""
UNKNOWN_VENUE = "VENUE"
"""The venue line's placeholder when the source names no venue (to replace before importing)."""
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)
_VERSION = re.compile(r"v\d+$")
_DIGITS = re.compile(r"\d+")


def source_label(name: str | None) -> str:
    return SOURCE_LABELS.get(name or "", name or "unknown source")


def source_of_graph(store: KnowledgeStore, graph: str | None) -> str | None:
    """``openalex`` for ``{base}graph/literature/openalex``."""
    prefix = str(store.instances.graph("literature/"))
    if graph and graph.startswith(prefix):
        return graph[len(prefix):]
    return None


@dataclass(frozen=True)
class Attribution:
    """Where a piece of literature comes from: "from OpenAlex, checked 2026-12-06, CC0"."""

    source: str
    page: str | None = None
    checked: str | None = None
    license: str | None = None

    @property
    def label(self) -> str:
        return source_label(self.source)

    @property
    def licence_label(self) -> str | None:
        if not self.license:
            return None
        return LICENCE_LABELS.get(self.license, self.license)

    @property
    def text(self) -> str:
        parts = [f"from {self.label}"]
        if self.checked:
            parts.append(f"checked {self.checked}")
        if self.licence_label:
            parts.append(self.licence_label)
        return ", ".join(parts)


@dataclass(frozen=True)
class CitationLink:
    """A work at one end of a citation, with the sources that state it."""

    iri: str
    title: str
    year: str | None
    outside: bool = False
    sources: tuple[str, ...] = ()

    @property
    def source_labels(self) -> str:
        return ", ".join(source_label(s) for s in self.sources)


@dataclass(frozen=True)
class Abstract:
    text: str
    attribution: Attribution
    others: tuple[str, ...] = ()
    """Other sources that also give an abstract (not shown)."""


@dataclass
class CitedByCount:
    attribution: Attribution
    total: int
    per_year: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    attribution: Attribution
    label: str | None
    text: str | None
    presentation: str | None
    date: str | None
    venue: str | None


@dataclass(frozen=True)
class Version:
    attribution: Attribution
    label: str
    date: str | None


@dataclass
class Literature:
    """The paper page's Literature block."""

    records: list[Attribution]
    abstract: Abstract | None = None
    cites: list[CitationLink] = field(default_factory=list)
    cited_by: list[CitationLink] = field(default_factory=list)
    counts: list[CitedByCount] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)

    @property
    def curated_cites(self) -> list[CitationLink]:
        return [c for c in self.cites if not c.outside]

    @property
    def outside_cites(self) -> list[CitationLink]:
        return [c for c in self.cites if c.outside]


def _links(rows: list[Row], node: str, outside_prefix: str) -> list[CitationLink]:
    out: list[CitationLink] = []
    for row in rows:
        iri = value(row.get(node))
        if iri is None:
            continue
        sources = tuple(sorted(set((value(row.get("sources")) or "").split())))
        outside = value(row.get("outside")) == "true" or iri.startswith(outside_prefix)
        out.append(CitationLink(iri, value(row.get("title")) or iri, value(row.get("year")),
                                outside, sources))
    return out


def paper_literature(store: KnowledgeStore, node: ox.NamedNode) -> Literature | None:
    """What the literature sources say about the work ``node``; None when they say nothing
    (no source record and no curated work citing it)."""
    outside_prefix = f"{store.instances.base}cited/"
    records = store.select("paper_literature_records", paper=node)
    wikidata = ox.NamedNode(str(store.instances.enrichment_graph))
    cited_by = _links(store.select("paper_cited_by", paper=node, wikidataGraph=wikidata),
                      "citing", outside_prefix)
    cites = _links(store.select("paper_cites", paper=node, wikidataGraph=wikidata), "target",
                   outside_prefix)
    if not records and not cited_by and not cites:
        return None
    attributions: dict[str, Attribution] = {}
    abstracts: dict[str, str] = {}
    totals: dict[str, int] = {}
    for row in records:
        source = value(row["source"]) or ""
        if source in attributions:
            continue
        attributions[source] = Attribution(source, value(row["page"]), value(row["checked"]),
                                           value(row["license"]))
        text = value(row["abstract"])
        if text and text.strip():
            abstracts[source] = text.strip()
        if row.get("citedBy") is not None:
            totals[source] = as_int(value(row["citedBy"]))
    lit = Literature(records=sorted(attributions.values(), key=lambda a: a.label.casefold()),
                     cites=cites, cited_by=cited_by)

    def attribution(source: str | None) -> Attribution:
        return attributions.get(source or "") or Attribution(source or "")

    order = [s for s in ABSTRACT_ORDER if s in abstracts] + sorted(
        s for s in abstracts if s not in ABSTRACT_ORDER)
    if order:
        lit.abstract = Abstract(abstracts[order[0]], attribution(order[0]), tuple(
            source_label(s) for s in order[1:]))
    if not records:
        return lit
    years: dict[str, list[tuple[str, int]]] = {}
    for row in store.select("paper_citations_per_year", paper=node):
        source, year = value(row["source"]) or "", value(row["year"])
        if year:
            years.setdefault(source, []).append((year, as_int(value(row["count"]))))
    for source in sorted(set(totals) | set(years), key=lambda s: source_label(s).casefold()):
        lit.counts.append(CitedByCount(attribution(source), totals.get(source, 0),
                                       sorted(set(years.get(source, [])))))
    for row in store.select("paper_literature_decisions", paper=node):
        lit.decisions.append(Decision(attribution(value(row["source"])),
                                      value(row["decisionLabel"]), value(row["decisionText"]),
                                      value(row["presentation"]), value(row["date"]),
                                      value(row["venueName"])))
    versions = []
    for row in store.select("paper_literature_versions", paper=node):
        label = value(row["label"])
        if label:
            versions.append(Version(attribution(value(row["source"])), label,
                                    value(row["date"])))
    lit.versions = sorted(versions, key=lambda v: (
        v.attribution.source, as_int("".join(_DIGITS.findall(v.label))[:9] or "0"), v.label))
    return lit


# -- outside works --------------------------------------------------------------------------

def bare_arxiv(arxiv: str | None, doi: str | None) -> str | None:
    """The arXiv id without its version, from the arXiv id or an arXiv DOI."""
    if arxiv:
        return _VERSION.sub("", arxiv.strip()) or None
    m = _ARXIV_DOI.match((doi or "").strip())
    return _VERSION.sub("", m.group(1)) if m else None


@dataclass(frozen=True)
class ExternalLink:
    label: str
    text: str
    href: str


@dataclass(frozen=True)
class OutsideWork:
    iri: str
    title: str
    year: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    openalex: str | None = None
    page: str | None = None
    venue: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def source_labels(self) -> str:
        return ", ".join(source_label(s) for s in self.sources)

    @property
    def links(self) -> list[ExternalLink]:
        out: list[ExternalLink] = []
        arxiv = bare_arxiv(self.arxiv, None)
        if arxiv:
            out.append(ExternalLink("arXiv", f"arXiv:{arxiv}",
                                    "https://arxiv.org/abs/" + quote(arxiv, safe="/")))
        if self.doi:
            out.append(ExternalLink("DOI", self.doi,
                                    "https://doi.org/" + quote(self.doi, safe="/:;")))
        if self.openalex:
            out.append(ExternalLink("OpenAlex", self.openalex,
                                    "https://openalex.org/" + quote(self.openalex, safe="")))
        elif self.page:
            out.append(ExternalLink("Source page", self.page, self.page))
        return out

    @property
    def entry(self) -> ReadingListEntry | None:
        return reading_list_entry(self)


@dataclass(frozen=True)
class ReadingListEntry:
    """An entry of a Markdown reading list as ``caikg import`` reads it
    (``caikg.importer.markdown``): a link line and a venue line."""

    title: str
    url: str
    venue: str
    year: int

    @property
    def needs_venue(self) -> bool:
        return self.venue == UNKNOWN_VENUE

    @property
    def markdown(self) -> str:
        return f"[{self.title}]({self.url})\\\n{self.venue} {self.year}"


def reading_list_entry(work: OutsideWork) -> ReadingListEntry | None:
    """``work`` as a reading-list entry: linked to arXiv when it has an arXiv id (venue line
    ``arXiv YEAR``), else to its DOI (venue as the source names it, or :data:`UNKNOWN_VENUE`
    to replace), else to its page at the source; None without a title or a plausible year
    (the importer needs both)."""
    title = one_line(work.title)
    year = as_int(work.year[:4] if work.year else None)
    if not title or title == work.iri or not 1950 <= year <= 2100:
        return None
    arxiv = bare_arxiv(work.arxiv, work.doi)
    venue = one_line((work.venue or "").replace("\\", " ")).strip(" ,")
    if arxiv:
        return ReadingListEntry(title, "https://arxiv.org/abs/" + quote(arxiv, safe="/"),
                                venue or "arXiv", year)
    if work.doi:
        url = "https://doi.org/" + quote(work.doi.strip(), safe="/:;")
    elif work.openalex:
        url = "https://openalex.org/" + quote(work.openalex, safe="")
    elif work.page and re.match(r"^https?://[^\s<>\"{}|\\^`()]+$", work.page):
        url = work.page
    else:
        return None
    return ReadingListEntry(title, url, venue or UNKNOWN_VENUE, year)


def outside_work(store: KnowledgeStore, node: ox.NamedNode) -> OutsideWork | None:
    rows = store.select("cited_facts", cited=node)
    if not rows:
        return None
    first: dict[str, str | None] = {}
    sources: set[str] = set()
    for row in rows:
        source = source_of_graph(store, value(row["graph"]))
        if source:
            sources.add(source)
        for key, term in row.items():
            if first.get(key) is None:
                first[key] = value(term)
    return OutsideWork(node.value, first.get("title") or node.value, first.get("year"),
                       first.get("doi"), first.get("arxivId"), first.get("openAlexId"),
                       first.get("page"), first.get("venueName"),
                       tuple(sorted(sources, key=lambda s: source_label(s).casefold())))


@view("cited")
def cited_page(store: KnowledgeStore, iri: str) -> Page | None:
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return None
    work = outside_work(store, node)
    if work is None:
        return None
    citing = _links(store.select("paper_cited_by", paper=node, wikidataGraph=ox.NamedNode(
        str(store.instances.enrichment_graph))), "citing",
                    f"{store.instances.base}cited/")
    context: dict[str, Any] = {"work": work, "citing": citing, "entry": work.entry}
    return Page("cited.html", context, title=work.title)


# -- foundations -------------------------------------------------------------------------------

@dataclass
class Foundation:
    work: OutsideWork
    citers: int
    citing: list[CitationLink] = field(default_factory=list)


def foundations(store: KnowledgeStore) -> list[Foundation]:
    """The outside works cited by the most curated works (``cited_foundations.rq``), most
    cited first (ties by title), each with the curated works citing it."""
    found: dict[str, Foundation] = {}
    seen: set[tuple[str, str]] = set()
    for row in store.select("cited_foundations"):
        iri, citing = value(row["cited"]), value(row["citing"])
        if iri is None:
            continue
        entry = found.get(iri)
        if entry is None:
            entry = found[iri] = Foundation(OutsideWork(
                iri, value(row["title"]) or iri, value(row["year"]), value(row["doi"]),
                value(row["arxivId"]), value(row["openAlexId"]), None,
                value(row["venueName"])), as_int(value(row["citers"])))
        if citing is not None and (iri, citing) not in seen:
            seen.add((iri, citing))
            entry.citing.append(CitationLink(citing, value(row["citingTitle"]) or citing,
                                             value(row["citingYear"])))
    for entry in found.values():
        entry.citing.sort(key=lambda c: (-as_int(c.year), c.title.casefold(), c.iri))
    return sorted(found.values(), key=lambda f: (-f.citers, f.work.title.casefold(),
                                                 f.work.iri))


def foundations_page(store: KnowledgeStore) -> Page:
    ranked = foundations(store)
    entries = [e for f in ranked if (e := f.work.entry) is not None]
    return Page("foundations.html", {
        "foundations": ranked,
        "importable": sum(1 for e in entries if not e.needs_venue),
        "incomplete": sum(1 for e in entries if e.needs_venue),
    }, title="Foundations")


def foundations_markdown(store: KnowledgeStore, ranked: list[Foundation] | None = None) -> str:
    """The foundations as a Markdown reading list ``caikg import`` reads: one section with an
    entry per work that has a title, a year and a venue (or an arXiv id), most cited first.
    Works whose source names no venue are listed in the introduction, which the importer
    ignores, for a curator to complete and move into the section."""
    ranked = foundations(store) if ranked is None else ranked
    entries = [e for f in ranked if (e := f.work.entry) is not None]
    ready = [e for e in entries if not e.needs_venue]
    incomplete = [e for e in entries if e.needs_venue]
    lines = [
        "# Foundations of the compound AI works",
        "",
        "The outside works the curated works of caikg cite most, most cited first (generated "
        "from the literature graphs; titles and years as the sources give them).",
    ]
    if incomplete:
        lines += ["", f"The sources name no venue for these; replace {UNKNOWN_VENUE} and move "
                  "them into the section below to import them:", ""]
        for e in incomplete:
            lines += [e.markdown, ""]
    lines += ["", "## Foundations", ""]
    for e in ready:
        lines += [e.markdown, ""]
    return "\n".join(lines)


# -- the citation map --------------------------------------------------------------------------

def _year(text: str | None) -> int | None:
    if text and text[:4].isdigit():
        return int(text[:4])
    return None


def citations_page(store: KnowledgeStore) -> Page:
    """The map of citations among the curated works, with the most cited outside works."""
    nodes: dict[str, MapNode] = {}
    edges: list[tuple[str, str]] = []
    cites: dict[str, list[CitationLink]] = {}
    titles: dict[str, tuple[str, str | None]] = {}
    for row in store.select("work_citation_links"):
        a, b = value(row["citing"]), value(row["cited"])
        if a is None or b is None:
            continue
        for iri, t, y in ((a, row["citingTitle"], row["citingYear"]),
                          (b, row["citedTitle"], row["citedYear"])):
            titles[iri] = (value(t) or iri, value(y))
            nodes[iri] = MapNode(iri, value(t) or iri, _year(value(y)), site_path(store, iri))
        edges.append((a, b))
        cites.setdefault(a, []).append(CitationLink(b, titles[b][0], titles[b][1]))
    ranked = [f for f in foundations(store) if f.citers >= MAP_OUTSIDE_MIN_CITERS][:MAP_OUTSIDE]
    for f in ranked:
        nodes[f.work.iri] = MapNode(f.work.iri, f.work.title, _year(f.work.year),
                                    site_path(store, f.work.iri), outside=True)
        for c in f.citing:
            if c.iri not in nodes:
                nodes[c.iri] = MapNode(c.iri, c.title, _year(c.year), site_path(store, c.iri))
                titles[c.iri] = (c.title, c.year)
            edges.append((c.iri, f.work.iri))
            cites.setdefault(c.iri, []).append(CitationLink(f.work.iri, f.work.title,
                                                            f.work.year, outside=True))
    svg = None
    if nodes:
        # the SVG is built from escaped text only (caikg.web.svg.citations), not from raw data
        svg = Markup(citation_map_svg(list(nodes.values()), edges,
                                      title="Citations among the works of caikg"))
    listing = [(CitationLink(iri, titles[iri][0], titles[iri][1]),
                sorted(targets, key=lambda c: (c.outside, -as_int(c.year), c.title.casefold())))
               for iri, targets in cites.items()]
    listing.sort(key=lambda item: (item[0].title.casefold(), item[0].iri))
    context: dict[str, Any] = {
        "svg": svg,
        "listing": listing,
        "curated_count": sum(1 for n in nodes.values() if not n.outside),
        "outside_count": len(ranked),
        "link_count": len(set(edges)),
        "min_citers": MAP_OUTSIDE_MIN_CITERS,
    }
    return Page("citations.html", context, title="Citation map")
