"""Entity pages and their machine twins, plus browse, ontology and downloads.

Every entity IRI ``{CAIKG_BASE_IRI}{kind}/{slug}`` is served at ``/{kind}/{slug}``: HTML for
browsers, and by content negotiation (200 with ``Vary: Accept`` and ``Content-Location``)
Turtle, JSON-LD, N-Triples or RDF/XML; the suffix twins ``/{kind}/{slug}.ttl`` (``.jsonld``,
``.nt``, ``.rdf``) always give that format. Both are advertised with ``Link: rel=alternate``
headers and ``<link>`` tags. Papers and techniques also have citation twins (``.bib``, ``.ris``,
``.csl.json``: the paper, or the technique's papers), negotiated on their media types too; their
formatted references are at ``/{kind}/{slug}/cite`` (routes/cite.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for

from caikg.export.dumps import prefixes_for
from caikg.rdf.formats import FEED_FORMAT, GRAPH_FORMATS, TWIN_FORMATS, Format, by_media_type
from caikg.web.caching import policy
from caikg.web.context import cors, plain_error, settings, store
from caikg.web.negotiation import negotiate
from caikg.web.pages import base as views
from caikg.web.pages import entity as entities
from caikg.web.pages.browse import browse_page
from caikg.web.pages.citations import (
    CITED_KINDS,
    DATASET_CITATION,
    RECORDS,
    Cited,
    browse_citation,
    entity_cited,
    entity_links,
    record,
    record_alternates,
)
from caikg.web.pages.discovery import dataset_description, embedded_jsonld
from caikg.web.pages.downloads import downloads_page
from caikg.web.pages.feeds import feed_path
from caikg.web.pages.literature import citations_page, foundations_markdown, foundations_page
from caikg.web.pages.ontology import ontology_page

bp = Blueprint("pages", __name__)

HTML = "text/html"
TWINS: dict[str, Format] = {f.extension: f for f in TWIN_FORMATS}
"""Suffix → format of the machine twins of every entity page."""
KIND_PATTERN = "any(" + ", ".join(views.KINDS) + ")"


@dataclass(frozen=True)
class Alternate:
    href: str
    media_type: str
    label: str


def alternates(path: str) -> list[Alternate]:
    return [Alternate(f"{path}.{ext}", fmt.media_type, fmt.label)
            for ext, fmt in TWINS.items()]


FEED_KINDS = ("technique", "person")
"""Entity pages with an Atom feed of their works (``/technique/<slug>.atom``, routes/feeds.py)."""


def feed_alternate(path: str) -> Alternate:
    """The Atom feed of the page at ``path`` (``/``: the whole graph's)."""
    return Alternate(feed_path(path), FEED_FORMAT.media_type, FEED_FORMAT.label)


def citation_alternates(cited: Cited) -> list[Alternate]:
    """The citation records (BibTeX, RIS, CSL-JSON) of a page that lists works."""
    return [Alternate(href, fmt.media_type, fmt.label) for href, fmt in record_alternates(cited)]


def record_response(cited: Cited, fmt: Format, **headers: str) -> Response:
    """A citation record of ``cited``, downloaded as ``{slug}.{ext}``."""
    disposition = f'attachment; filename="{cited.filename}.{fmt.extension}"'
    return cors(Response(record(cited, fmt), content_type=fmt.content_type,
                         headers={"Content-Disposition": disposition, **headers}))


def link_header(alts: list[Alternate]) -> str:
    return ", ".join(f'<{a.href}>; rel="alternate"; type="{a.media_type}"' for a in alts)


def not_found(what: str) -> Response:
    html = render_template("404.html", what=what)
    return Response(html, status=404, mimetype=HTML)


def rdf_response(triples: list[ox.Triple], fmt: Format, **headers: str) -> Response:
    body = ox.serialize(triples, format=fmt.rdf_format,
                        prefixes=prefixes_for(store())) or b""
    return cors(Response(body, content_type=fmt.media_type, headers=headers))


def split_suffix(rest: str) -> tuple[str, str | None]:
    for ext in (*TWINS, *RECORDS):
        stem = rest.removesuffix("." + ext)
        if stem and stem != rest:
            return stem, ext
    return rest, None


@bp.get(f"/<{KIND_PATTERN}:kind>/<path:rest>")
@policy(negotiates=lambda args: split_suffix(str(args.get("rest", "")))[1] is None, cors=True)
def entity(kind: str, rest: str) -> Response:
    slug, ext = split_suffix(rest)
    path = f"/{kind}/{slug}"
    iri = f"{settings().base_iri}{kind}/{slug}"
    st = store()
    triples = entities.document(st, iri)
    if not triples:
        return not_found(iri)
    alts = alternates(path) + ([feed_alternate(path)] if kind in FEED_KINDS else [])
    citing = kind in CITED_KINDS
    if citing:
        alts += citation_alternates(Cited("", path, path, f"{path}/cite"))
    links = {"Link": link_header(alts)}
    if ext in RECORDS:
        cited = entity_cited(st, kind, iri, path) if citing else None
        if cited is None:
            return not_found(f"{iri}.{ext}")
        return record_response(cited, RECORDS[ext], **links)
    if ext is not None:
        return rdf_response(triples, TWINS[ext], **links)
    records = {f.media_type: f for f in RECORDS.values()} if citing else {}
    offers = [HTML, *(f.media_type for f in TWINS.values()), *records]
    chosen = negotiate(request.headers.get("Accept"), offers)
    if chosen is None:
        return plain_error(406, "available: " + ", ".join(offers))
    links["Vary"] = "Accept"
    if chosen in records:
        cited = entity_cited(st, kind, iri, path)
        if cited is None:
            return not_found(iri)
        return record_response(cited, records[chosen], **links,
                               **{"Content-Location": f"{path}.{records[chosen].extension}"})
    if chosen != HTML:
        fmt = by_media_type(chosen, GRAPH_FORMATS)
        return rdf_response(triples, fmt, **links,
                            **{"Content-Location": f"{path}.{fmt.extension}"})
    view_fn = views.VIEWS.get(kind)
    page = view_fn(st, iri, request.args) if view_fn else None
    if page is None:
        # sorted, so that the page is the same whichever store answered (CONSTRUCT order is not)
        page = views.Page("entity.html", {"triples": sorted(triples, key=str)})
    html = render_template(page.template, iri=iri, path=path, alternates=alts,
                           title=page.title, cite_links=entity_links(kind, path),
                           **page.context,
                           jsonld=embedded_jsonld(entities.described(triples, iri), iri))
    return Response(html, mimetype=HTML, headers={**links, "Content-Location": path})


@bp.get("/browse")
def browse() -> Response:
    page = browse_page(store(), request.args)
    cited = browse_citation(request.args)
    alts = citation_alternates(cited)
    html = render_template(page.template, title=page.title, search_text=request.args.get("q"),
                           alternates=alts, cite_links=cited.links(), **page.context)
    return Response(html, mimetype=HTML, headers={"Link": link_header(alts)})


@bp.get("/citations")
def citations() -> str:
    page = citations_page(store())
    return render_template(page.template, title=page.title, **page.context)


MARKDOWN = "text/markdown"


@bp.get("/foundations")
@bp.get("/foundations.<any(md):ext>")
def foundations(ext: str | None = None) -> Response:
    """The outside works cited most; ``.md``: the same as a reading list ``caikg import``
    reads."""
    page = foundations_page(store())
    if ext == "md":
        body = foundations_markdown(store(), page.context["foundations"])
        return Response(body, mimetype=MARKDOWN, headers={"Content-Disposition": "inline"})
    alts = [Alternate(url_for("pages.foundations", ext="md"), MARKDOWN, "Markdown")]
    html = render_template(page.template, title=page.title, alternates=alts, **page.context)
    return Response(html, mimetype=HTML, headers={"Link": link_header(alts)})


@bp.get("/ontology")
def ontology() -> str:
    page = ontology_page(store())
    return render_template(page.template, title=page.title, **page.context)


@bp.get("/downloads")
@bp.get(f"/downloads.<any({', '.join(TWINS)}):ext>")
def downloads(ext: str | None = None) -> Response:
    """The downloads page, with the dataset as a ``schema:Dataset`` in its JSON-LD and in its
    twins (``/downloads.ttl``, ``.jsonld``, ``.nt``, ``.rdf``; ``web/pages/discovery.py``)."""
    st = store()
    dataset = dataset_description(st, request.host_url.rstrip("/"))
    alts = alternates(url_for("pages.downloads"))
    alts += citation_alternates(DATASET_CITATION)
    links = {"Link": link_header(alts)}
    if ext is not None:
        return rdf_response(dataset, TWINS[ext], **links)
    page = downloads_page(st)
    html = render_template(page.template, title=page.title, alternates=alts, **page.context,
                           jsonld=embedded_jsonld(dataset, str(st.instances.dataset)))
    return Response(html, mimetype=HTML, headers=links)


def scheme_url(slug: str) -> str:
    return url_for("pages.entity", kind="scheme", rest=slug)
