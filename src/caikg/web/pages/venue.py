"""The page of a venue: a series (conference or journal) with its editions, an edition with its
series and papers, or a repository (arXiv) or blog with its papers by year."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, iri, plain, view
from caikg.web.pages.technique import works_by_year_chart

CAIKG = "https://w3id.org/caikg/ontology#"
SCHEMA = "https://schema.org/"
BIBO = "http://purl.org/ontology/bibo/"

KINDS = [
    (CAIKG + "VenueEdition", "edition", "Venue edition"),
    (SCHEMA + "EventSeries", "series", "Conference series"),
    (SCHEMA + "Periodical", "series", "Journal"),
    (BIBO + "Journal", "series", "Journal"),
    (CAIKG + "VenueSeries", "series", "Venue series"),
    (CAIKG + "Repository", "repository", "Repository"),
    (SCHEMA + "Blog", "blog", "Blog"),
]
"""Types of venues, most specific first: (type IRI, page kind, what to call it)."""


def _year(year: str | None) -> int:
    return int(year) if year and year.isdigit() else 0


@view("venue")
def venue_page(store: KnowledgeStore, venue: str) -> Page | None:
    rows = plain(store.select("venue_description", venue=iri(venue)))
    types = {r["type"] for r in rows}
    kind = next(((k, name) for t, k, name in KINDS if t in types), None)
    if kind is None:
        return None
    first = rows[0]
    works = plain(store.select("venue_works", venue=iri(venue)))
    papers = []
    seen: set[str | None] = set()
    for w in works:
        if w["work"] in seen:
            continue
        seen.add(w["work"])
        papers.append(w)
    context: dict[str, Any] = {
        "kind": kind[0], "kind_label": kind[1], "name": first["name"] or venue,
        "acronym": first["acronym"], "url": first["url"], "date": first["date"],
        "series": first["series"], "series_name": first["seriesAcronym"] or first["seriesName"],
        "series_full_name": first["seriesName"], "papers": papers,
    }
    if kind[0] == "series":
        editions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        for p in papers:
            key = p["edition"] or ""
            editions.setdefault(key, {"edition": p["edition"], "name": p["editionName"],
                                      "date": p["editionDate"], "papers": []})
            editions[key]["papers"].append(p)
        context["editions"] = list(editions.values())
    else:
        by_year: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        for p in sorted(papers, key=lambda p: -_year(p["year"])):
            by_year.setdefault(p["year"] or "year unknown", []).append(p)
        context["by_year"] = list(by_year.items())
    if papers and kind[0] != "edition":
        context["chart"] = works_by_year_chart(f"Papers at {context['name']} per year",
                                               [p["year"] for p in papers], "venue-chart")
    title = context["name"] if not context["acronym"] or context["acronym"] == context["name"] \
        else f"{context['acronym']}: {context['name']}"
    return Page("venue.html", title=str(title), context=context)
