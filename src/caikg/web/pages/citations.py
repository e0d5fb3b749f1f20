"""Citations of what a page lists: a paper, a technique's papers, a browse result, the dataset.

A :class:`Cited` is the works to cite with a title and the paths of its citation resources:
the records ``{path}.bib``, ``.ris`` and ``.csl.json`` (twins of the page, the formats of
:data:`caikg.rdf.formats.CITATION_FORMATS`) and the formatted references ``{cite}?style=…``
(:func:`cite_page`, text/html or text/plain). The works come from
:mod:`caikg.export.bibtex` (``paper_facts`` and ``paper_authors``), cached per store and data
version for lists; the records and references from :mod:`caikg.export.citations`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from markupsafe import Markup

from caikg.export.bibtex import Work, work_for, works
from caikg.export.citations import (
    STYLES,
    Dataset,
    Style,
    csl_items,
    csl_json,
    format_references,
    ris,
    unique_keys,
    works_in_order,
)
from caikg.rdf.formats import CITATION_FORMATS, Format
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, per_data_version, plain
from caikg.web.pages.browse import FACETS, Args, matching_papers

MAX_FORMATTED = 200
"""Most references formatted in one answer (citeproc-py takes 8–20 ms a reference in APA);
the records have no limit."""
CITED_KINDS = ("paper", "technique")
"""Entity pages with citation twins: a paper (itself) and a technique (its papers)."""
RECORDS: dict[str, Format] = {f.extension: f for f in CITATION_FORMATS}
"""Suffix → citation record format."""


@dataclass
class Cited:
    """What a citation resource cites."""

    title: str
    """What the citations are of (the paper's title, "Papers on KV cache reuse" …)."""
    page: str
    """The page the citations belong to (with its query string)."""
    records: str
    """Path the record suffixes are added to (``/paper/slora`` → ``/paper/slora.ris``)."""
    cite: str
    """Path of the formatted references (``/paper/slora/cite``)."""
    query: list[tuple[str, str]] = field(default_factory=list)
    """Parameters kept on every citation link (a search's ``q`` and facets)."""
    works: list[Work] = field(default_factory=list)
    dataset: Dataset | None = None
    filename: str = "references"

    def items(self) -> list[dict[str, Any]]:
        if self.dataset is not None:
            return [self.dataset.csl_item()]
        return csl_items(self.works)

    def href(self, path: str, **extra: str) -> str:
        params = [*self.query, *extra.items()]
        return path + ("?" + urlencode(params) if params else "")

    def record_href(self, fmt: Format) -> str:
        return self.href(f"{self.records}.{fmt.extension}")

    def style_href(self, style: Style, text: bool = False) -> str:
        extra = {"style": style.key, **({"format": "text"} if text else {})}
        return self.href(self.cite, **extra)

    def links(self) -> dict[str, list[dict[str, str]]]:
        """The record and formatted-reference links a page shows (``cite_links`` in
        templates)."""
        return {
            "records": [{"href": self.record_href(f), "label": f.label,
                         "media_type": f.media_type} for f in CITATION_FORMATS],
            "styles": [{"href": self.style_href(s), "label": s.label, "key": s.key,
                        "text": self.style_href(s, text=True)} for s in STYLES.values()],
        }


# -- the works of a page -----------------------------------------------------------------------

@per_data_version
def all_works(store: KnowledgeStore) -> dict[str, Work]:
    """Every work by IRI, cached per store and data version (as the browser's paper list)."""
    return works(store)


def entity_cited(store: KnowledgeStore, kind: str, iri: str, path: str) -> Cited | None:
    """The paper at ``iri``, or the papers of the technique at ``iri``; None if there is no
    such entity."""
    slug = path.rsplit("/", 1)[-1]
    if kind == "paper":
        work = work_for(store, iri)
        if work is None:
            return None
        return Cited(work.title, path, path, f"{path}/cite", works=[work], filename=slug)
    if kind == "technique":
        node = ox.NamedNode(iri)
        labels = [r["value"] for r in plain(store.select("technique_concept", technique=node))
                  if r.get("property") == "http://www.w3.org/2004/02/skos/core#prefLabel"]
        if not labels:
            return None
        rows = plain(store.select("technique_works", technique=node))
        papers = works_in_order(all_works(store), (r["work"] or "" for r in rows))
        return Cited(f"Papers on {labels[0]}", path, path, f"{path}/cite", works=papers,
                     filename=slug)
    return None


def entity_links(kind: str, path: str) -> dict[str, list[dict[str, str]]] | None:
    """The citation links of the entity page at ``path`` (None: a kind without citations)."""
    if kind not in CITED_KINDS:
        return None
    return Cited("", path, path, f"{path}/cite").links()


def record_alternates(cited: Cited) -> list[tuple[str, Format]]:
    """``(href, format)`` of the citation records of a page (its ``rel=alternate`` twins)."""
    return [(cited.record_href(f), f) for f in CITATION_FORMATS]


def browse_citation(args: Args) -> Cited:
    """The citation resources of a search or filter of the browser (works not read)."""
    query = browse_query(args)
    page = "/browse" + ("?" + urlencode(query) if query else "")
    return Cited("Papers", page, "/browse", "/browse/cite", query=query, filename="papers")


def browse_cited(store: KnowledgeStore, args: Args) -> Cited:
    """Every paper a search or filter of the browser lists (all its pages)."""
    papers, title = matching_papers(store, args)
    cited = browse_citation(args)
    cited.title = title
    cited.works = works_in_order(all_works(store), (p.work for p in papers))
    return cited


def browse_query(args: Args) -> list[tuple[str, str]]:
    """The browser's search and facet parameters of a request (not ``page``, ``style`` or
    ``format``), to carry over to its citation links."""
    return [(k, v) for k in ("q", *FACETS) for v in args.getlist(k)]


DATASET_CITATION = Cited("the dataset", "/downloads", "/downloads", "/downloads/cite")
"""The citation resources of the dataset (``/downloads.ris``, ``/downloads/cite``)."""


def dataset_cited(store: KnowledgeStore) -> Cited:
    """The dataset: title and licence from its VoID description, version and date of the
    build being served, and the base IRI it is served at."""
    rows = plain(store.select("dataset_void", default_graphs=[str(store.instances.void_graph)],
                              dataset=ox.NamedNode(str(store.instances.dataset))))
    void: dict[str, str] = {}
    for r in rows:
        if r["property"] and r["value"] is not None:
            void.setdefault(r["property"], r["value"])
    info = store.info
    built = info.built_at[:10] if info and info.built_at else None
    dataset = Dataset(title=void.get("http://purl.org/dc/terms/title")
                      or "Compound AI Knowledge Graph",
                      version=info.version if info else None, built=built,
                      url=store.instances.base,
                      license=void.get("http://purl.org/dc/terms/license"))
    return replace(DATASET_CITATION, title=dataset.title, dataset=dataset, filename="caikg")


# -- records and references --------------------------------------------------------------------

def record(cited: Cited, fmt: Format) -> str:
    """The citation record of ``cited`` in ``fmt`` (BibTeX, RIS or CSL-JSON)."""
    if fmt.key == "bibtex":
        if cited.dataset is not None:
            return cited.dataset.bibtex()
        keys = unique_keys(cited.works)
        return "\n".join(w.bibtex(k) for w, k in zip(cited.works, keys, strict=True))
    items = cited.items()
    if fmt.key == "ris":
        return ris(items) if items else ""
    return csl_json(items)


@dataclass
class References:
    style: Style
    entries: list[str]
    total: int

    @property
    def truncated(self) -> bool:
        return len(self.entries) < self.total


def references(cited: Cited, style: Style, *, as_html: bool) -> References:
    """The first :data:`MAX_FORMATTED` references of ``cited`` in ``style``."""
    items = cited.items()
    shown = format_references(items[:MAX_FORMATTED], style, as_html=as_html)
    return References(style, shown, len(items))


def references_text(refs: References) -> str:
    """Plain text: one reference a paragraph."""
    return "".join(ref + "\n\n" for ref in refs.entries).rstrip("\n") + "\n"


def cite_page(cited: Cited, style: Style) -> Page:
    """The formatted references as an HTML page."""
    refs = references(cited, style, as_html=True)
    # citeproc-py's HTML: the data was escaped before rendering (export/citations.py)
    entries = [Markup(e) for e in refs.entries]
    return Page("cite.html", title=f"Cite: {cited.title}", context={
        "cited": cited, "style": style, "entries": entries, "total": refs.total,
        "truncated": refs.truncated, "max_formatted": MAX_FORMATTED,
        "cite_links": cited.links(),
    })


def dataset_citation(store: KnowledgeStore) -> dict[str, Any]:
    """The "cite this dataset" block of the downloads page: version, build date, licence, the
    reference in every style (HTML) and the BibTeX entry, with the record links."""
    cited = dataset_cited(store)
    assert cited.dataset is not None
    styles = [(style, Markup(references(cited, style, as_html=True).entries[0]))
              for style in STYLES.values()]
    return {"dataset": cited.dataset, "styles": styles, "bibtex": cited.dataset.bibtex(),
            "links": cited.links()}
