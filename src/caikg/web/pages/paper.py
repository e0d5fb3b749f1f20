"""The page of a work: facts, ordered authors, identifiers, techniques, related papers,
links found by enrichment and a BibTeX citation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from caikg.export.bibtex import bibtex_for
from caikg.rdf.namespaces import BIBO, CAIKG, FABIO
from caikg.store.base import KnowledgeStore, Row
from caikg.web.pages.base import Page, plain, value, view
from caikg.web.pages.discovery import citation_of
from caikg.web.pages.literature import paper_literature
from caikg.web.pages.provenance import Provenance, provenance

AUTHOR_WEIGHT = 2
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
WIKIDATA_PAGE = "https://www.wikidata.org/wiki/"


@dataclass
class Related:
    iri: str
    title: str
    year: str | None
    authors: dict[str, str] = field(default_factory=dict)  # person -> name
    techniques: dict[str, str] = field(default_factory=dict)  # technique -> label

    @property
    def score(self) -> int:
        return AUTHOR_WEIGHT * len(self.authors) + len(self.techniques)


@dataclass(frozen=True)
class Identifier:
    label: str
    text: str
    href: str | None

    @property
    def pieces(self) -> list[str]:
        """The text cut into short pieces (after ``/``, ``.``, ``-``, ``?``, ``=``, ``&``,
        ``_`` or every 16 characters) that the template joins with ``<wbr>``, so that long
        links wrap on a phone."""
        return break_pieces(self.text)


def break_pieces(text: str, width: int = 16) -> list[str]:
    pieces: list[str] = []
    for piece in re.split(r"(?<=[/.\-?=&_])", text):
        while len(piece) > width:
            pieces.append(piece[:width])
            piece = piece[width:]
        if piece:
            pieces.append(piece)
    return pieces


@dataclass(frozen=True)
class ExternalLink:
    href: str
    label: str
    wikidata: bool


def facts(rows: list[Row]) -> dict[str, str | None]:
    """The first bound value of each column over ``rows`` (the optional parts of
    ``paper_facts`` may repeat a row per extra value)."""
    result: dict[str, str | None] = {}
    for row in rows:
        for key, term in row.items():
            if result.get(key) is None:
                result[key] = value(term)
    return result


def identifiers(f: dict[str, str | None]) -> list[Identifier]:
    out: list[Identifier] = []
    arxiv, doi, openreview, url = (f.get(k) for k in ("arxivId", "doi", "openReviewId", "url"))
    if arxiv:
        out.append(Identifier("arXiv", f"arXiv:{arxiv}",
                              "https://arxiv.org/abs/" + quote(arxiv, safe="/")))
    if doi:
        out.append(Identifier("DOI", doi, "https://doi.org/" + quote(doi, safe="/:;()")))
    if openreview:
        out.append(Identifier("OpenReview", openreview,
                              "https://openreview.net/forum?id=" + quote(openreview, safe="")))
    page = f.get("page")
    if page:
        out.append(Identifier("Publisher page", page, page))
    if url:
        out.append(Identifier("Link in the reading list", url, url))
    return out


def related_papers(store: KnowledgeStore, node: ox.NamedNode) -> list[Related]:
    """The works sharing most with ``node`` (``paper_related_ranked.rq``: score = 2 × shared
    authors + shared techniques; ties by newer year, then title), each with the shared
    authors and techniques that explain it (``paper_related.rq``)."""
    ranked: list[Related] = []
    for top in store.select("paper_related_ranked", paper=node):
        related = top["related"]
        assert isinstance(related, ox.NamedNode)
        entry = Related(related.value, value(top["title"]) or related.value, value(top["year"]))
        for row in store.select("paper_related", paper=node, related=related):
            shared = value(row["shared"]) or ""
            label = value(row["sharedLabel"]) or shared
            if value(row["via"]) == "author":
                entry.authors[shared] = label
            else:
                entry.techniques[shared] = label
        ranked.append(entry)
    return ranked


WIKIDATA_PROPERTIES = {
    "http://www.wikidata.org/prop/direct/P356": "DOI",
    "http://www.wikidata.org/prop/direct/P577": "publication date",
    "http://www.wikidata.org/prop/direct/P818": "arXiv ID",
    "http://www.wikidata.org/prop/direct/P8968": "OpenReview ID",
    "http://www.wikidata.org/prop/direct/P921": "main subject",
    "http://www.wikidata.org/prop/direct/P1476": "title",
}
"""Names of the Wikidata properties enrichment brings in for works."""


@dataclass(frozen=True)
class EnrichmentFact:
    property: str
    text: str
    href: str | None


def enrichment_facts(store: KnowledgeStore, node: ox.NamedNode) -> list[EnrichmentFact]:
    """What enrichment says about the work besides its identity links (shown marked as
    coming from Wikidata)."""
    graph = ox.NamedNode(str(store.instances.enrichment_graph))
    facts: list[EnrichmentFact] = []
    for row in store.select("paper_enrichment_facts", paper=node, graph=graph):
        prop, val = value(row["property"]) or "", value(row["value"]) or ""
        name = WIKIDATA_PROPERTIES.get(prop, prop.rsplit("/", 1)[-1])
        if isinstance(row["value"], ox.NamedNode) and val.startswith(WIKIDATA_ENTITY):
            qid = val[len(WIKIDATA_ENTITY):]
            label = value(row["label"])
            facts.append(EnrichmentFact(name, f"{label} ({qid})" if label else qid,
                                        WIKIDATA_PAGE + qid))
        elif isinstance(row["value"], ox.Literal) and row["value"].datatype.value.endswith(
                "#dateTime"):
            facts.append(EnrichmentFact(name, val[:10], None))
        else:
            facts.append(EnrichmentFact(name, val, None))
    return facts


def external_links(store: KnowledgeStore, node: ox.NamedNode) -> list[ExternalLink]:
    """``owl:sameAs`` / ``schema:sameAs`` / ``skos:exactMatch`` links of the work in the
    enrichment graph (Wikidata items are linked to their page on wikidata.org)."""
    graph = ox.NamedNode(str(store.instances.enrichment_graph))
    links: list[ExternalLink] = []
    seen: set[str] = set()
    for row in store.select("paper_enrichment_links", paper=node, graph=graph):
        target = value(row["link"])
        if not isinstance(row["link"], ox.NamedNode) or target is None or target in seen:
            continue
        seen.add(target)
        label = value(row["label"])
        if target.startswith(WIKIDATA_ENTITY):
            qid = target[len(WIKIDATA_ENTITY):]
            text = f"{qid}: {label}" if label else qid
            links.append(ExternalLink(WIKIDATA_PAGE + qid, text, True))
        else:
            links.append(ExternalLink(target, label or target, False))
    return links


def type_label(f: dict[str, str | None]) -> str:
    if f.get("isBlog") == "true":
        return "Blog post"
    if f.get("isReview") == "true":
        return "Survey"
    return "Research paper"


@dataclass(frozen=True)
class Event:
    """One step of a work's publication history."""

    when: str | None
    text: str
    refs: tuple[int, ...] = ()
    source: str | None = None
    source_title: str | None = None
    current: bool = False


STATUS, VENUE, YEAR = str(BIBO.status), str(CAIKG.venue), str(FABIO.hasPublicationYear)
PREDICATES = {
    "status": STATUS, "venue": VENUE, "year": YEAR,
    "issued": "http://purl.org/dc/terms/issued",
    "submitted": "http://purl.org/dc/terms/dateSubmitted",
    "title": "http://purl.org/dc/terms/title",
    "summary": "https://schema.org/description",
    "author": "https://schema.org/author",
    "arXiv": str(CAIKG.arxivId), "DOI": str(BIBO.doi), "OpenReview": str(CAIKG.openReviewId),
    "Publisher page": "http://xmlns.com/foaf/0.1/page",
    "Link in the reading list": "https://schema.org/url",
}
"""The properties whose references the paper page shows, by the name the template uses."""


def timeline(f: dict[str, str | None], prov: Provenance,
             submissions: list[dict[str, str | None]]) -> list[Event]:
    """The work's history: what a reading list stated and the record replaced, its
    submissions and their decisions, and where it stands now (oldest first)."""
    events: list[Event] = []
    old_status = prov.replaced(STATUS)
    old_venue = prov.replaced(VENUE)
    old_year = prov.replaced(YEAR)
    if old_status or old_venue:
        parts = [h.label or h.value for h in old_status] + [h.label or h.value
                                                            for h in old_venue]
        first = (old_status or old_venue)[0]
        events.append(Event(old_year[0].value if old_year else None,
                            "stated by the reading list: " + ", ".join(parts),
                            source=first.source, source_title=first.title))
    for sub in submissions:
        decision = sub.get("decisionLabel") or "decision not recorded"
        if sub.get("presentation"):
            decision += f" ({sub['presentation']})"
        venue = sub.get("venueName") or sub.get("venue")
        events.append(Event(sub.get("date"), f"submitted to {venue}: {decision}"))
    if f.get("statusLabel"):
        where = f.get("venueName") or f.get("venue")
        when = (prov.dates.get((STATUS, f.get("status") or "")) or f.get("issued")
                or f.get("year"))
        refs = tuple(prov.refs(STATUS, f.get("status")) + [
            n for n in prov.refs(VENUE, f.get("venue")) if n not in prov.refs(STATUS,
                                                                          f.get("status"))])
        events.append(Event(when, f"now: {f['statusLabel']}" + (f", {where}" if where else ""),
                            refs, current=True))
    return events


@view("paper")
def paper_page(store: KnowledgeStore, iri: str) -> Page | None:
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # not an IRI at all (e.g. a path with spaces or angle brackets)
        return None
    rows = store.select("paper_facts", paper=node)
    if not rows:
        return None
    f = facts(rows)
    authors: list[dict[str, Any]] = []
    seen: set[str | None] = set()
    for row in store.select("paper_authors", paper=node):
        person = value(row["person"])
        if person in seen:
            continue
        seen.add(person)
        name = value(row["name"]) or person
        stated = value(row["statedName"])
        authors.append({"position": value(row["position"]), "person": person, "name": name,
                        "stated": stated if stated and stated != name else None})
    techniques = [{"iri": value(r["technique"]),
                   "label": value(r["label"]) or value(r["technique"])}
                  for r in store.select("paper_techniques", paper=node)]
    alternatives = [value(r["alternative"])
                    for r in store.select("paper_alternative_titles", paper=node)]
    prov = provenance(store, node)
    submissions = plain(store.select("paper_submissions", paper=node))
    context: dict[str, Any] = {
        "prov": prov,
        "P": PREDICATES,
        "timeline": timeline(f, prov, submissions),
        "systems": plain(store.select("paper_systems", paper=node)),
        "claims": plain(store.select("claim_comparison", paper=node)),
        "paper": f,
        "kind": type_label(f),
        "alternatives": [a for a in alternatives if a],
        "authors": authors,
        "identifiers": identifiers(f),
        "techniques": techniques,
        "related": related_papers(store, node),
        "external_links": external_links(store, node),
        "enrichment_facts": enrichment_facts(store, node),
        "literature": paper_literature(store, node),
        "bibtex": bibtex_for(store, iri) or "",
        "citation": citation_of(iri, f, [a["stated"] or a["name"] for a in authors]),
    }
    return Page("paper.html", context, title=f.get("title") or iri)
