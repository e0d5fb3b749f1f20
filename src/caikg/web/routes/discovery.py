"""Being found: ``/sitemap.xml`` (a sitemap index over ``/sitemap-<n>.xml`` past
:data:`SITEMAP_LIMIT` URLs), ``/robots.txt``, ``/opensearch.xml``; and the template globals
that write what reference managers read (``highwire_tags``, ``coins_span``) with absolute
URLs on the request's host (page models in ``web/pages/discovery.py``)."""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, abort, request, url_for
from markupsafe import Markup

from caikg.web.context import settings, store
from caikg.web.filters import local_path
from caikg.web.pages.discovery import Citation, citation_table, coins, entity_pages, highwire

bp = Blueprint("discovery", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
OPENSEARCH = "application/opensearchdescription+xml"
SITEMAP_LIMIT = 50_000
"""URLs in one sitemap file (the protocol's limit); more make a sitemap index."""
MAIN_PAGES = ("home.index", "pages.browse", "pages.citations", "pages.foundations",
              "record.systems", "record.compare", "record.coverage_view", "pages.ontology",
              "pages.downloads", "sparql.example_list")
"""Endpoints of the pages that are not entities, listed first in the sitemap."""
DISALLOWED = ("/sparql", "/api/", "/downloads/", "/healthz")
"""What crawlers are asked to leave alone (``/robots.txt``): the query endpoint and the API
(every answer is a query run), the dumps (large, written on first download) and the health
check."""
URL_SAFE = "/:@!$&'()*+,;=-._~%"
"""Characters left as they are when an IRI path becomes a URL (RFC 3986 ``pchar`` and
``/``); anything else (non-ASCII, spaces) is percent-encoded."""


def site() -> str:
    """The origin of this request (``http://host:port``), for absolute URLs."""
    return request.host_url.rstrip("/")


def page_url(iri: str) -> str:
    """The absolute URL of the page of an entity IRI (the IRI itself if not one of ours)."""
    path = local_path(iri, settings().base_iri)
    return site() + quote(path, safe=URL_SAFE) if path else iri


@bp.app_template_global()
def highwire_tags(citation: Citation | None) -> list[tuple[str, str]]:
    """The ``citation_*`` meta tags (name, content) of a paper page."""
    return highwire(citation, page_url(citation.work)) if citation else []


@bp.app_template_global()
def coins_span(work: Citation | str | None) -> Markup:
    """The COinS ``<span class="Z3988">`` of a work (a citation, or a work's IRI looked up
    in :func:`citation_table`); empty for anything else."""
    citation = citation_table(store()).get(work) if isinstance(work, str) else work
    if citation is None:
        return Markup("")
    return Markup('<span class="Z3988" title="{}"></span>').format(
        coins(citation, page_url(citation.work)))


# -- sitemap ---------------------------------------------------------------------------------

def _urls() -> list[str]:
    main = [site() + url_for(endpoint) for endpoint in MAIN_PAGES]
    return main + [site() + quote(path, safe=URL_SAFE) for path in entity_pages(store())]


def _lastmod() -> str:
    info = store().info
    return f"<lastmod>{escape(info.built_at)}</lastmod>" if info and info.built_at else ""


def _xml(body: str) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body,
                    mimetype="application/xml")


def _urlset(urls: list[str]) -> Response:
    lastmod = _lastmod()
    entries = "".join(f"<url><loc>{escape(u)}</loc>{lastmod}</url>\n" for u in urls)
    return _xml(f'<urlset xmlns="{SITEMAP_NS}">\n{entries}</urlset>\n')


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every page: the main pages, then every entity page by kind; past
    :data:`SITEMAP_LIMIT` URLs, an index of ``/sitemap-1.xml``, ``/sitemap-2.xml`` …"""
    urls = _urls()
    if len(urls) <= SITEMAP_LIMIT:
        return _urlset(urls)
    lastmod = _lastmod()
    parts = -(-len(urls) // SITEMAP_LIMIT)
    entries = "".join(
        f"<sitemap><loc>{escape(site() + url_for('discovery.sitemap_part', number=n))}</loc>"
        f"{lastmod}</sitemap>\n" for n in range(1, parts + 1))
    return _xml(f'<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n')


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> Response:
    """Part ``number`` (from 1) of a sitemap split by :func:`sitemap`; 404 when it is not
    split."""
    urls = _urls()
    if len(urls) <= SITEMAP_LIMIT or not 1 <= number <= -(-len(urls) // SITEMAP_LIMIT):
        abort(404)
    return _urlset(urls[(number - 1) * SITEMAP_LIMIT: number * SITEMAP_LIMIT])


# -- robots.txt and OpenSearch ---------------------------------------------------------------

@bp.get("/robots.txt")
def robots() -> Response:
    lines = ["# Pages and their machine twins are open to crawlers; the SPARQL endpoint and the",
             "# API (each answer runs a query), the dumps and the health check are not.",
             "User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /", "",
             f"Sitemap: {site()}{url_for('discovery.sitemap')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """The OpenSearch description browsers offer as a search engine for the site: the paper
    search of ``/browse``."""
    search = site() + url_for("pages.browse") + "?q={searchTerms}"
    icon = site() + url_for("static", filename="favicon.svg")
    me = site() + url_for("discovery.opensearch")
    body = (f'<OpenSearchDescription xmlns="{OPENSEARCH_NS}">\n'
            "  <ShortName>caikg</ShortName>\n"
            "  <Description>Search the papers of the Compound AI Knowledge Graph by title, "
            "author, summary or technique</Description>\n"
            "  <InputEncoding>UTF-8</InputEncoding>\n"
            f'  <Image width="16" height="16" type="image/svg+xml">{escape(icon)}</Image>\n'
            f'  <Url type="text/html" method="get" template={quoteattr(search)}/>\n'
            f'  <Url type="{OPENSEARCH}" rel="self" template={quoteattr(me)}/>\n'
            "</OpenSearchDescription>\n")
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, mimetype=OPENSEARCH)
