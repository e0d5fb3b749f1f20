"""What reference managers and search engines read from the site (docs/USING.md, "Reference
managers, search engines"):

* a work's **citation** (:class:`Citation`) from the facts its page already reads
  (``paper_facts``, ``paper_authors``), or from the whole graph for lists of works
  (:func:`citation_table`, cached per store and data version like the browser's papers);
* **Highwire Press** ``citation_*`` meta tags (:func:`highwire`), which Google Scholar and the
  Zotero and Mendeley connectors read from a paper's ``<head>``, written as Google Scholar's
  inclusion guidelines ask: what is known and nothing else (no venue for a preprint, no
  tags at all for a blog post, which is not a scholarly article);
* **COinS** (:func:`coins`): an OpenURL 1.0 ContextObject in KEV form for the
  ``<span class="Z3988">`` of every work of a page, so that a connector sees every work of a
  list;
* the **JSON-LD** a page embeds (:func:`embedded_jsonld`): for an entity, its twin's graph
  without the sourced statements (``web/pages/entity.py::described``);
* the **schema.org description of the dataset** the downloads page embeds and its twins serve
  (:func:`dataset_description`);
* the **entity pages** a sitemap lists (:func:`entity_pages`).

Absolute URLs are made by the caller (``web/routes/discovery.py``) from the request's host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from markupsafe import Markup

from caikg.export.dumps import EXPORT_FORMATS
from caikg.rdf.jsonld import compact, script_text
from caikg.rdf.namespaces import CAIKG, PREFIXES
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import KINDS, per_data_version, plain

PUBLISHED, PREPRINT = str(CAIKG.Published), str(CAIKG.Preprint)
ARXIV_PDF = "https://arxiv.org/pdf/"
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Citation:
    """What a reference manager needs to cite a work."""

    work: str
    title: str
    authors: tuple[str, ...]
    """As printed in the work (the stated name, else the person's name), in order."""
    date: str | None
    """``YYYY-MM-DD`` when the date of issue is known, else ``YYYY``."""
    kind: str
    """``conference``, ``journal``, ``preprint``, ``blog`` or ``other`` (not known)."""
    container: str | None
    """The conference series or journal; the repository of a preprint; the blog."""
    arxiv: str | None = None
    doi: str | None = None


def citation_of(work: str, f: Mapping[str, str | None], authors: list[str]) -> Citation:
    """The citation of ``work`` from its ``paper_facts`` values and printed author names."""
    status, venue_kind, series_kind = f.get("status"), f.get("venueKind"), f.get("seriesKind")
    container = f.get("seriesName") or f.get("venueName")
    if f.get("isBlog") == "true":
        kind, container = "blog", f.get("venueName")
    elif status == PUBLISHED and series_kind in {"conference", "journal"}:
        kind = series_kind
    elif status == PREPRINT or (status is None and venue_kind == "repository"):
        kind, container = "preprint", (f.get("venueName") if venue_kind == "repository"
                                       else None)
    else:
        kind, container = "other", None
    date = None
    for raw in (f.get("issued"), f.get("year")):
        m = _DATE.match(raw or "")
        if m:
            date = "-".join(part for part in m.groups() if part)
            break
    return Citation(work, f.get("title") or work, tuple(a for a in authors if a), date, kind,
                    container, f.get("arxivId") or None, f.get("doi") or None)


def embedded_jsonld(triples: list[ox.Triple], top: str) -> Markup:
    """The text of a page's ``<script type="application/ld+json">``: ``triples`` compacted
    with schema.org as the vocabulary, starting at ``top`` (``rdf/jsonld.py``), safe inside
    the element."""
    return Markup(script_text(compact(triples, PREFIXES, top=top)))


# -- Highwire Press tags ---------------------------------------------------------------------

def highwire(c: Citation, page_url: str) -> list[tuple[str, str]]:
    """The ``citation_*`` meta tags of the work whose page is ``page_url``, in order."""
    if c.kind == "blog":
        return []
    tags = [("citation_title", c.title)]
    tags += [("citation_author", name) for name in c.authors]
    if c.date:
        tags.append(("citation_publication_date", c.date.replace("-", "/")))
    if c.container and c.kind == "conference":
        tags.append(("citation_conference_title", c.container))
    elif c.container and c.kind == "journal":
        tags.append(("citation_journal_title", c.container))
    if c.doi:
        tags.append(("citation_doi", c.doi))
    if c.arxiv:
        tags.append(("citation_arxiv_id", c.arxiv))
        tags.append(("citation_pdf_url", ARXIV_PDF + quote(c.arxiv, safe="/")))
    tags.append(("citation_abstract_html_url", page_url))
    return tags


# -- COinS -----------------------------------------------------------------------------------

BOOK = "info:ofi/fmt:kev:mtx:book"
JOURNAL = "info:ofi/fmt:kev:mtx:journal"
DUBLIN_CORE = "info:ofi/fmt:kev:mtx:dc"


def coins(c: Citation, page_url: str) -> str:
    """The OpenURL 1.0 ContextObject (KEV, UTF-8, percent-encoded) of a work.

    A conference paper is a ``book`` referent of genre ``proceeding`` (``atitle`` the work,
    ``btitle`` the conference), a journal article a ``journal`` referent of genre ``article``;
    preprints, blog posts and works of unknown kind are Dublin Core referents whose ``type``
    names Zotero's item type (``preprint``, ``blogPost``, ``manuscript``). Authors are
    ``au`` (``creator`` in Dublin Core), one per author in order; identifiers are ``rft_id``:
    ``info:doi/…``, ``info:arxiv/…`` and the page itself."""
    pairs: list[tuple[str, str]] = [("ctx_ver", "Z39.88-2004"), ("ctx_enc", "info:ofi/enc:UTF-8")]
    if c.doi:
        pairs.append(("rft_id", "info:doi/" + c.doi))
    if c.arxiv:
        pairs.append(("rft_id", "info:arxiv/" + c.arxiv))
    pairs.append(("rft_id", page_url))
    author_key = "rft.au"
    if c.kind == "conference":
        pairs += [("rft_val_fmt", BOOK), ("rft.genre", "proceeding"), ("rft.atitle", c.title)]
        if c.container:
            pairs.append(("rft.btitle", c.container))
    elif c.kind == "journal":
        pairs += [("rft_val_fmt", JOURNAL), ("rft.genre", "article"), ("rft.atitle", c.title)]
        if c.container:
            pairs.append(("rft.jtitle", c.container))
    else:
        author_key = "rft.creator"
        item_type = {"preprint": "preprint", "blog": "blogPost"}.get(c.kind, "manuscript")
        pairs += [("rft_val_fmt", DUBLIN_CORE), ("rft.type", item_type), ("rft.title", c.title)]
        if c.container and c.kind == "preprint":
            pairs.append(("rft.publisher", c.container))
        elif c.container:
            pairs.append(("rft.source", c.container))
    pairs += [(author_key, name) for name in c.authors]
    if c.date:
        pairs.append(("rft.date", c.date))
    return urlencode(pairs, quote_via=quote)


# -- every work's citation, for lists --------------------------------------------------------

@per_data_version
def citation_table(store: KnowledgeStore) -> dict[str, Citation]:
    """Every work's citation by IRI, read with two whole-graph queries (``paper_facts`` and
    ``work_authors`` unbound) and cached per store and data version."""
    found: dict[str, dict[str, str | None]] = {}
    for row in plain(store.select("paper_facts")):
        merged = found.setdefault(row["paper"] or "", {})
        for key, val in row.items():  # the first bound value of each column, as the page does
            if merged.get(key) is None:
                merged[key] = val
    authors: dict[str, list[str]] = {}
    seen: set[tuple[str, str | None]] = set()
    for row in plain(store.select("work_authors")):
        work = row["work"] or ""
        if (work, row["person"]) in seen:
            continue
        seen.add((work, row["person"]))
        authors.setdefault(work, []).append(row["statedName"] or row["name"] or "")
    return {work: citation_of(work, f, authors.get(work, []))
            for work, f in found.items() if work}


# -- the dataset -----------------------------------------------------------------------------

SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FROM_VOID = {
    DCTERMS + "title": "name",
    DCTERMS + "description": "description",
    DCTERMS + "license": "license",
    "http://www.w3.org/2002/07/owl#versionInfo": "version",
    DCTERMS + "modified": "dateModified",
}
"""What the schema.org description of the dataset takes from its VoID description."""


def dataset_description(store: KnowledgeStore, site: str) -> list[ox.Triple]:
    """The dataset as a ``schema:Dataset`` (the downloads page's JSON-LD and its twins): name,
    description, licence, version and date from its VoID description, the downloads page as
    its ``url``, and one ``schema:DataDownload`` per dump of this server (``site``: its
    origin) with its media type (``encodingFormat``) and ``contentUrl``."""
    dataset = ox.NamedNode(str(store.instances.dataset))

    def s(local: str) -> ox.NamedNode:
        return ox.NamedNode(SCHEMA + local)

    triples = [ox.Triple(dataset, RDF_TYPE, s("Dataset")),
               ox.Triple(dataset, s("url"), ox.NamedNode(f"{site}/downloads"))]
    for row in store.select("dataset_void", default_graphs=[str(store.instances.void_graph)],
                            dataset=dataset):
        prop, val = row["property"], row["value"]
        if isinstance(prop, ox.NamedNode) and prop.value in FROM_VOID and val is not None:
            triples.append(ox.Triple(dataset, s(FROM_VOID[prop.value]), val))
    for fmt in EXPORT_FORMATS.values():
        dump = ox.BlankNode(f"dump-{fmt.extension}")
        triples += [
            ox.Triple(dataset, s("distribution"), dump),
            ox.Triple(dump, RDF_TYPE, s("DataDownload")),
            ox.Triple(dump, s("name"), ox.Literal(f"caikg.{fmt.extension} ({fmt.label})")),
            ox.Triple(dump, s("encodingFormat"), ox.Literal(fmt.media_type)),
            ox.Triple(dump, s("contentUrl"),
                      ox.NamedNode(f"{site}/downloads/caikg.{fmt.extension}")),
        ]
    return triples


# -- the sitemap -----------------------------------------------------------------------------

@per_data_version
def entity_pages(store: KnowledgeStore) -> list[str]:
    """The site paths (``/paper/flexgen``) of every entity with a page, by kind in the order
    of :data:`~caikg.web.pages.base.KINDS`, then by path (``entity_pages``; cached per store
    and data version)."""
    base = store.instances.base
    rank = {kind: n for n, kind in enumerate(KINDS)}
    found: list[tuple[int, str]] = []
    for row in plain(store.select("entity_pages", base=ox.Literal(base))):
        rest = (row["entity"] or "")[len(base):]
        kind, slash, slug = rest.partition("/")
        if kind in rank and slash and slug:
            found.append((rank[kind], "/" + rest))
    return [path for _, path in sorted(found)]
