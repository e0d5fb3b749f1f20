"""The page of a person: names, papers by year, co-authors, venues, identifiers found by
enrichment and a drawing of the co-authorship network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from markupsafe import Markup

from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, Query, as_int, value, view
from caikg.web.svg.network import network_svg

PAGE_SIZE = 100
"""Papers shown per page of a person's page (``?page=N``): a prolific author's page stays
small and fast."""
NETWORK_NODES = 25
"""The network drawing shows the person and at most this many minus one co-authors."""

SCHEMA_IDENTIFIER = "https://schema.org/identifier"
WDT = "http://www.wikidata.org/prop/direct/"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
ID_PROPERTIES = {
    WDT + "P496": ("ORCID", "https://orcid.org/"),
    WDT + "P2456": ("DBLP", "https://dblp.org/pid/"),
    WDT + "P1960": ("Google Scholar", "https://scholar.google.com/citations?user="),
}
LINK_HOSTS = (
    ("https://orcid.org/", "ORCID"), ("http://orcid.org/", "ORCID"),
    ("https://dblp.org/", "DBLP"), ("https://dblp.uni-trier.de/", "DBLP"),
    ("https://scholar.google.com/", "Google Scholar"),
    ("https://www.wikidata.org/wiki/", "Wikidata"), (WIKIDATA_ENTITY, "Wikidata"),
)


@dataclass(frozen=True)
class PaperEntry:
    iri: str
    title: str
    year: str | None
    position: str | None
    authors: str | None
    stated: str | None
    venue: str | None
    venue_name: str | None
    status: str | None


@dataclass(frozen=True)
class Coauthor:
    iri: str
    name: str
    shared: int


@dataclass(frozen=True)
class VenueEntry:
    iri: str
    name: str | None
    acronym: str | None
    works: int


@dataclass(frozen=True)
class ExternalId:
    kind: str
    text: str
    href: str | None


def site_path(store: KnowledgeStore, iri: str) -> str | None:
    base = store.instances.base
    return "/" + iri[len(base):] if iri.startswith(base) else None


def external_ids(store: KnowledgeStore, node: ox.NamedNode) -> list[ExternalId]:
    """ORCID, DBLP, Google Scholar and Wikidata identifiers of the person in the enrichment
    graph (as links where a link can be made), each once."""
    graph = ox.NamedNode(str(store.instances.enrichment_graph))
    out: list[ExternalId] = []
    seen: set[tuple[str, str]] = set()
    for row in store.select("person_enrichment_ids", person=node, graph=graph):
        prop, term = value(row["property"]), row["value"]
        text = value(term)
        if prop is None or text is None:
            continue
        found: ExternalId | None = None
        if prop in ID_PROPERTIES:
            kind, prefix = ID_PROPERTIES[prop]
            found = ExternalId(kind, text, prefix + quote(text, safe="/-"))
        elif isinstance(term, ox.NamedNode):
            if text.startswith(WIKIDATA_ENTITY):
                qid = text[len(WIKIDATA_ENTITY):]
                label = value(row["label"])
                found = ExternalId("Wikidata", f"{qid}: {label}" if label else qid,
                                   "https://www.wikidata.org/wiki/" + qid)
            else:
                kind = next((k for prefix, k in LINK_HOSTS if text.startswith(prefix)), "Link")
                found = ExternalId(kind, text, text)
        elif prop == SCHEMA_IDENTIFIER:
            found = ExternalId("Identifier", text, None)
        if found and (found.kind, found.href or found.text) not in seen:
            seen.add((found.kind, found.href or found.text))
            out.append(found)
    order = {"Wikidata": 0, "ORCID": 1, "DBLP": 2, "Google Scholar": 3}
    return sorted(out, key=lambda e: (order.get(e.kind, 9), e.text))


def names(store: KnowledgeStore, node: ox.NamedNode) -> tuple[str | None, list[dict[str, Any]]]:
    """The person's name and the other forms: alternate names and printed forms, each once
    with where it comes from and how many works print it."""
    name: str | None = None
    variants: dict[str, dict[str, Any]] = {}
    for row in store.select("person_names", person=node):
        name = name or value(row["name"])
        variant, kind = value(row["variant"]), value(row["kind"])
        if variant is None or kind == "name":
            continue
        entry = variants.setdefault(variant, {"text": variant, "alternate": False,
                                              "printed": 0})
        if kind == "alternate":
            entry["alternate"] = True
        else:
            entry["printed"] = int(value(row["works"]) or 0)
    if name is None:
        return None, []
    ordered = sorted(variants.values(), key=lambda v: (v["text"] != name, v["text"]))
    return name, ordered


def page_number(query: Query, pages: int) -> int:
    """The requested page, within 1..pages (anything else is the first page)."""
    raw = query.get("page", "1")
    return min(max(int(raw), 1), max(pages, 1)) if raw.isdigit() else 1


@view("person", takes_query=True)
def person_page(store: KnowledgeStore, iri: str, query: Query | None = None) -> Page | None:
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # not an IRI at all (e.g. a path with spaces or angle brackets)
        return None
    name, variants = names(store, node)
    if name is None:
        return None

    papers: list[PaperEntry] = []
    seen_works: set[str] = set()
    for row in store.select("person_papers", person=node):
        work = value(row["work"])
        if work is None or work in seen_works:
            continue
        seen_works.add(work)
        papers.append(PaperEntry(
            iri=work, title=value(row["title"]) or work, year=value(row["year"]),
            position=value(row["position"]), authors=value(row["authors"]),
            stated=value(row["statedName"]), venue=value(row["venue"]),
            venue_name=value(row["venueName"]), status=value(row["statusLabel"])))
    papers.sort(key=lambda p: (-as_int(p.year), p.title.casefold(), p.iri))
    pages = -(-len(papers) // PAGE_SIZE)
    page = page_number(query or {}, pages)
    first = (page - 1) * PAGE_SIZE
    shown = papers[first:first + PAGE_SIZE]
    years: list[tuple[str, list[PaperEntry]]] = []
    for paper in shown:
        year = paper.year or "Undated"
        if not years or years[-1][0] != year:
            years.append((year, []))
        years[-1][1].append(paper)

    coauthors: list[Coauthor] = []
    for r in store.select("person_coauthor_counts", person=node):
        coauthor = value(r["coauthor"])
        if coauthor is not None:
            coauthors.append(Coauthor(coauthor, value(r["name"]) or coauthor,
                                      as_int(value(r["shared"]))))
    coauthors.sort(key=lambda c: (-c.shared, c.name.casefold(), c.iri))

    venues: list[VenueEntry] = []
    for r in store.select("person_venues", person=node):
        venue = value(r["venue"])
        if venue is not None:
            venues.append(VenueEntry(venue, value(r["name"]), value(r["acronym"]),
                                     as_int(value(r["works"]))))
    venues.sort(key=lambda v: (-v.works, (v.name or v.acronym or v.iri).casefold()))

    network = None
    if coauthors:
        drawn = coauthors[: NETWORK_NODES - 1]
        nodes: list[tuple[str, str, int]] = [(iri, name, len(papers))]
        nodes += [(c.iri, c.name, c.shared) for c in drawn]
        drawn_ids = {c.iri for c in drawn}
        edges: list[tuple[str, str, int]] = []
        for r in store.select("person_coauthor_links", person=node):
            a, b = value(r["a"]), value(r["b"])
            if a is not None and b is not None and a in drawn_ids and b in drawn_ids:
                edges.append((a, b, as_int(value(r["shared"]))))
        svg = network_svg(iri, nodes, edges, lambda i: site_path(store, i),
                          max_nodes=NETWORK_NODES, title=f"Co-authorship network of {name}")
        # the SVG is built from escaped text only (caikg.web.svg.network), not from raw data
        network = Markup(svg)

    context: dict[str, Any] = {
        "name": name,
        "variants": variants,
        "years": years,
        "paper_count": len(papers),
        "page": page,
        "pages": pages,
        "first_shown": first + 1,
        "last_shown": first + len(shown),
        "coauthors": coauthors,
        "venues": venues,
        "external_ids": external_ids(store, node),
        "network": network,
        "network_size": min(len(coauthors), NETWORK_NODES - 1),
    }
    return Page("person.html", context, title=name)
