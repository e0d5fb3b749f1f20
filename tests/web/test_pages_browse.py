"""Technique, venue, section, scheme, home, browse, ontology and downloads pages, and the SVG
charts they draw (Flask test client over the shipped data, checked against direct queries)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from caikg.config import Settings
from caikg.rdf.namespaces import CAIKG
from caikg.store.embedded import EmbeddedStore
from caikg.web.pages.browse import PAGE_SIZE, browse_page, fold
from caikg.web.svg.charts import bar_chart_svg
from tests.helpers.project import SEED

SVG = "{http://www.w3.org/2000/svg}"
PREFIXES = """
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX caikg: <https://w3id.org/caikg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


# -- helpers -------------------------------------------------------------------------------
def column(store: EmbeddedStore, query: str, var: str = "x") -> list[str]:
    return [row[var].value for row in store.query(PREFIXES + query)]


DATA_BLOCKS = {"application/json", "application/ld+json"}
"""``<script>`` types that are data (JSON, the JSON-LD of entity pages), never run: the CSP
lets them be."""


class Page(HTMLParser):
    """Links, ids, checkboxes and inline code of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: list[str] = []
        self.checked: list[tuple[str, str]] = []
        self.checkboxes: list[tuple[str, str]] = []
        self.inline: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "script" and not a.get("src") and a.get("type") not in DATA_BLOCKS:
            self.inline.append("inline <script>")
        if "style" in a:
            self.inline.append(f"style= on <{tag}>")
        self.inline.extend(f"{k} on <{tag}>" for k in a if k.startswith("on"))
        if tag == "input" and a.get("type") == "checkbox":
            pair = (a.get("name") or "", a.get("value") or "")
            self.checkboxes.append(pair)
            if "checked" in a:
                self.checked.append(pair)


def get(client: FlaskClient, url: str) -> tuple[str, Page]:
    resp = client.get(url)
    assert resp.status_code == 200, url
    html = resp.get_data(as_text=True)
    return html, Page(html)


def local(store: EmbeddedStore, iri: str) -> str:
    return "/" + iri[len(store.instances.base):]


def paper_links(store: EmbeddedStore, page: Page) -> set[str]:
    return {link for link in page.links if link.startswith("/paper/")}


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def techniques(store: EmbeddedStore) -> list[str]:
    scheme = str(store.instances.techniques_scheme)
    return column(store, f"SELECT ?x WHERE {{ ?x skos:inScheme <{scheme}> }} ORDER BY ?x")


# -- charts --------------------------------------------------------------------------------
NASTY = ["2024", "<b>&amp;\"'", "tab\there\nnew\rline", "\x00\x01\x1f\x7f", "\ud800 lone",
         "\ufffe\uffff", "]]> <!-- -->", "ünïcödé 日本語 😀", "x" * 300, ""]


def test_chart_is_well_formed_and_accessible() -> None:
    svg = bar_chart_svg("Papers <per> year & more\x07", [(label, i) for i, label in
                                                           enumerate(NASTY)],
                        x_label="Year\x00", y_label="Papers")
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox") or "")
    assert root.get("width") is None and root.get("height") is None
    title = root.find(SVG + "title")
    desc = root.find(SVG + "desc")
    assert title is not None and title.text == "Papers <per> year & more"
    assert desc is not None and desc.text and "Papers by Year" in desc.text
    assert set((root.get("aria-labelledby") or "").split()) == {title.get("id"), desc.get("id")}
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    for i in range(len(NASTY)):
        assert str(i) in texts  # every value is printed as text too
    assert "Year" in texts and "Papers" in texts
    assert len(root.findall(f"{SVG}g/{SVG}rect")) == len(NASTY)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", svg)


def test_chart_is_deterministic_and_handles_edge_cases() -> None:
    bars = [("2023", 1), ("2024", 14)]
    assert bar_chart_svg("t", bars) == bar_chart_svg("t", bars)
    assert bar_chart_svg("t", bars) != bar_chart_svg("t", [("2023", 2), ("2024", 14)])
    for edge in ([], [("a", 0), ("b", 0)], [("a", -3), ("b", float("nan"))],
                 [("a", 0.5)], [("a", 10**9)], [("a", "not a number")]):
        root = ET.fromstring(bar_chart_svg("edge", edge))
        for rect in root.iter(SVG + "rect"):
            assert float(rect.get("height") or 0) >= 0
    root = ET.fromstring(bar_chart_svg("half", [("a", 0.5), ("b", 1)]))
    assert "0.5" in [t.text for t in root.iter(SVG + "text")]
    empty = ET.fromstring(bar_chart_svg("nothing", []))
    assert "No data" in [t.text for t in empty.iter(SVG + "text")]


# -- technique and taxonomy ----------------------------------------------------------------
def test_technique_pages_list_exactly_the_tagged_papers(client: FlaskClient,
                                                        store: EmbeddedStore) -> None:
    for technique in techniques(store):
        expected = column(store, f"""SELECT DISTINCT ?x WHERE {{
            ?x dcterms:subject/skos:broader* <{technique}> }}""")
        direct = column(store, f"SELECT DISTINCT ?x WHERE {{ ?x dcterms:subject <{technique}> }}")
        html, page = get(client, local(store, technique))
        assert paper_links(store, page) == {local(store, w) for w in expected}, technique
        assert html.count("tagged directly</span>") == len(direct), technique
        charts = svgs(html)
        assert len(charts) == 1
        years = column(store, f"""SELECT ?x (COUNT(DISTINCT ?w) AS ?n) WHERE {{
            ?w dcterms:subject/skos:broader* <{technique}> ; fabio:hasPublicationYear ?x }}
            GROUP BY ?x""")
        labels = [t.text for t in charts[0].iter(SVG + "text")]
        assert all(y in labels for y in years)


def test_technique_page_links_broader_and_narrower(client: FlaskClient,
                                                   store: EmbeddedStore) -> None:
    iri = store.instances.technique("kv-cache-management")
    narrower = column(store, f"SELECT ?x WHERE {{ <{iri}> skos:narrower ?x }}")
    assert narrower
    html, page = get(client, local(store, str(iri)))
    assert {local(store, n) for n in narrower} <= set(page.links)
    assert "KV cache management" in html  # the alternative label
    child_html, child = get(client, local(store, narrower[0]))
    assert local(store, str(iri)) in child.links
    assert "not a technique" not in child_html


def test_taxonomy_page_contains_every_technique(client: FlaskClient,
                                                store: EmbeddedStore) -> None:
    html, page = get(client, "/scheme/techniques")
    all_techniques = techniques(store)
    assert len(all_techniques) > 20
    assert {local(store, t) for t in all_techniques} <= set(page.links)
    kv = store.instances.technique("kv-cache-management")
    total = column(store, f"""SELECT (COUNT(DISTINCT ?w) AS ?x) WHERE {{
        ?w dcterms:subject/skos:broader* <{kv}> }}""")[0]
    assert re.search(rf'href="{local(store, str(kv))}">KV-cache management</a>\s*'
                     rf'<span class="count"[^>]*>{total}</span>', html)


# -- venues ----------------------------------------------------------------------------------
def seed_titles(venue_line: str) -> set[str]:
    text = SEED.read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^\[(.+)\]\(.*\)\\\n(?:.*\\\n)?(.*)$", text, re.M)
            if m.group(2).strip() == venue_line}


def test_venue_edition_lists_its_papers(client: FlaskClient, store: EmbeddedStore) -> None:
    edition = store.instances.venue("osdi-2024")
    expected = column(store, f"SELECT ?x WHERE {{ ?x caikg:venue <{edition}> }}")
    titles = set(column(store, f"""SELECT ?x WHERE {{ ?w caikg:venue <{edition}> ;
                                                         dcterms:title ?x }}"""))
    assert titles == seed_titles("OSDI 2024") and len(titles) == 5
    html, page = get(client, local(store, str(edition)))
    assert paper_links(store, page) == {local(store, w) for w in expected}
    assert local(store, str(store.instances.venue("osdi"))) in page.links
    for name in ("Parrot", "dLoRA", "Llumnix", "InfiniGen", "ServerlessLLM"):
        assert name in html


def test_venue_series_lists_editions_with_counts(client: FlaskClient,
                                                 store: EmbeddedStore) -> None:
    for series in column(store, "SELECT ?x WHERE { ?x a caikg:VenueSeries }"):
        expected = column(store, f"""SELECT DISTINCT ?x WHERE {{
            ?x caikg:venue/dcterms:isPartOf <{series}> ; dcterms:title ?t }}""")
        html, page = get(client, local(store, series))
        assert paper_links(store, page) == {local(store, w) for w in expected}, series
        for row in store.query(PREFIXES + f"""SELECT ?e (COUNT(?w) AS ?n) WHERE {{
                ?w caikg:venue ?e ; dcterms:title ?t . ?e dcterms:isPartOf <{series}> }}
                GROUP BY ?e"""):
            assert re.search(rf'href="{local(store, row["e"].value)}">[^<]+</a></td>'
                             rf'<td>\d*</td><td>{row["n"].value}</td>', html)
    html, _ = get(client, "/venue/tosem")
    assert "Journal" in html
    html, _ = get(client, "/venue/osdi")
    assert "Conference series" in html


def test_repository_and_blog_pages_list_papers_by_year(client: FlaskClient,
                                                       store: EmbeddedStore) -> None:
    for slug, kind in (("arxiv", "Repository"), ("bair-blog", "Blog")):
        venue = str(store.instances.venue(slug))
        expected = column(store, f"SELECT ?x WHERE {{ ?x caikg:venue <{venue}> ; "
                                 "dcterms:title ?t }")
        assert expected
        html, page = get(client, local(store, venue))
        assert kind in html
        assert paper_links(store, page) == {local(store, w) for w in expected}
        years = column(store, f"""SELECT DISTINCT ?x WHERE {{
            ?w caikg:venue <{venue}> ; fabio:hasPublicationYear ?x }}""")
        for year in years:
            assert re.search(rf"<h3>{year} <span", html)


# -- sections and reading lists ----------------------------------------------------------------
def test_section_pages(client: FlaskClient, store: EmbeddedStore) -> None:
    sections = column(store, "SELECT ?x WHERE { ?x skos:inScheme ?s . ?s dcterms:source ?src }")
    assert len(sections) >= 5
    for section in sections:
        expected = column(store, f"""SELECT DISTINCT ?x WHERE {{
            ?x caikg:section/skos:broader* <{section}> }}""")
        related = column(store, f"""SELECT ?x WHERE {{
            {{ <{section}> skos:broader|skos:narrower|skos:inScheme ?x }} }}""")
        html, page = get(client, local(store, section))
        assert paper_links(store, page) == {local(store, w) for w in expected}, section
        assert {local(store, r) for r in related} <= set(page.links)


def test_reading_list_page_shows_sections_with_counts(client: FlaskClient,
                                                      store: EmbeddedStore) -> None:
    scheme = store.instances.scheme("compound-ai-survey")
    html, page = get(client, local(store, str(scheme)))
    for row in store.query(PREFIXES + f"""SELECT ?s (COUNT(DISTINCT ?w) AS ?n) WHERE {{
            ?s skos:inScheme <{scheme}> .
            OPTIONAL {{ ?w caikg:section/skos:broader* ?s }} }} GROUP BY ?s"""):
        href = local(store, row["s"].value)
        assert re.search(rf'href="{href}">[^<]+</a>\s*<span class="count"[^>]*>'
                         rf'{row["n"].value}</span>', html), href


# -- home ------------------------------------------------------------------------------------
def test_home_counts_equal_the_store(client: FlaskClient, store: EmbeddedStore) -> None:
    html, page = get(client, "/")
    works = len(column(store, """SELECT DISTINCT ?x WHERE {
        { ?x a schema:ScholarlyArticle } UNION { ?x a schema:BlogPosting } }"""))
    people = len(column(store, "SELECT DISTINCT ?x WHERE { ?x a schema:Person }"))
    venues = len(column(store, """SELECT DISTINCT ?x WHERE { { ?x a caikg:VenueSeries }
        UNION { ?x a caikg:Repository } UNION { ?x a schema:Blog } }"""))
    expected = {"papers": works, "people": people, "venues": venues,
                "techniques": len(techniques(store)), "triples": len(store)}
    for what, count in expected.items():
        assert re.search(rf"<strong>{count}</strong> {what}", html), what
    sections = column(store, "SELECT ?x WHERE { ?x skos:inScheme ?s . ?s dcterms:source ?src }")
    assert {local(store, s) for s in sections} <= set(page.links)
    top = column(store, f"""SELECT ?x WHERE {{
        <{store.instances.techniques_scheme}> skos:hasTopConcept ?x }}""")
    assert len(top) >= 5
    assert {local(store, t) for t in top} <= set(page.links)
    for link in ("/sparql", "/examples", "/ontology", "/downloads", "/browse"):
        assert link in page.links
    newest = column(store, """SELECT ?x WHERE { ?w fabio:hasPublicationYear ?x }
        ORDER BY DESC(?x) LIMIT 1""")[0]
    first = next(link for link in page.links if link.startswith("/paper/"))
    year = column(store, f"""SELECT ?x WHERE {{
        <{store.instances.base}{first[1:]}> fabio:hasPublicationYear ?x }}""")
    assert year == [newest]


# -- browse ----------------------------------------------------------------------------------
def search_text(store: EmbeddedStore) -> dict[str, str]:
    """Per work: title, author names (as printed too) and technique labels incl. broader."""
    texts: dict[str, list[str]] = {}
    for query in ("SELECT ?w ?x WHERE { ?w dcterms:title ?x }",
                  "SELECT ?w ?x WHERE { ?w schema:author/schema:name ?x }",
                  """SELECT ?w ?x WHERE { ?w prov:qualifiedAttribution/caikg:statedName ?x }""",
                  """SELECT ?w ?x WHERE { ?w dcterms:subject/skos:broader*/skos:prefLabel ?x }"""):
        text = "PREFIX prov: <http://www.w3.org/ns/prov#>\n" + PREFIXES + query
        for row in store.query(text):
            texts.setdefault(row["w"].value, []).append(row["x"].value)
    return {w: fold(" ".join(parts)) for w, parts in texts.items()}


def result_links(page: Page) -> list[str]:
    return [link for link in page.links if link.startswith("/paper/")]


def test_search_kv_cache(client: FlaskClient, store: EmbeddedStore) -> None:
    texts = search_text(store)
    expected = {w for w, t in texts.items() if "kv" in t and "cache" in t}
    assert len(expected) >= 10
    for q in ("kv cache", "KV   Cache", "cache kv", "Kv-Cache"):
        html, page = get(client, f"/browse?q={q}")
        want = expected if q != "Kv-Cache" else {w for w, t in texts.items() if "kv-cache" in t}
        assert set(result_links(page)) == {local(store, w) for w in want}, q
        assert f"{len(want)} paper" in html
    _, page = get(client, "/browse?q=zzzz+kv")
    assert result_links(page) == []
    # authors are searched too
    _, page = get(client, "/browse?q=stoica")
    assert set(result_links(page)) == {local(store, w) for w, t in texts.items()
                                       if "stoica" in t}


def test_facets_narrow_and_combine(client: FlaskClient, store: EmbeddedStore) -> None:
    kv = store.instances.technique("kv-cache-management")
    tech = set(column(store, f"""SELECT DISTINCT ?x WHERE {{
        ?x dcterms:subject/skos:broader* <{kv}> }}"""))
    y2024 = set(column(store, """SELECT ?x WHERE {
        ?x fabio:hasPublicationYear "2024"^^<http://www.w3.org/2001/XMLSchema#gYear> }"""))
    arxiv = set(column(store, f"""SELECT ?x WHERE {{
        ?x caikg:venue <{store.instances.venue('arxiv')}> }}"""))
    osdi = set(column(store, f"""SELECT ?x WHERE {{
        ?x caikg:venue/dcterms:isPartOf <{store.instances.venue('osdi')}> }}"""))
    preprint = set(column(store, "SELECT ?x WHERE { ?x bibo:status caikg:Preprint }"))
    caching = set(column(store, f"""SELECT ?x WHERE {{ ?x caikg:section/skos:broader*
        <{store.instances.section('compound-ai-survey', 'caching')}> }}"""))
    assert tech and y2024 and arxiv and osdi and preprint and caching

    def results(url: str) -> set[str]:
        _, page = get(client, url)
        return set(result_links(page))

    def paths(works: set[str]) -> set[str]:
        return {local(store, w) for w in works}

    assert results("/browse?technique=kv-cache-management") == paths(tech)
    assert results(f"/browse?technique={kv}") == paths(tech)  # full IRIs work too
    assert results("/browse?year=2024") == paths(y2024)
    assert results("/browse?technique=kv-cache-management&year=2024") == paths(tech & y2024)
    assert results("/browse?venue=arxiv&venue=osdi") == paths(arxiv | osdi)  # OR within
    assert results("/browse?venue=arxiv&venue=osdi&technique=kv-cache-management"
                   "&status=preprint") == paths((arxiv | osdi) & tech & preprint)
    assert results("/browse?section=compound-ai-survey/caching&status=Preprint") == \
        paths(caching & preprint)
    assert results("/browse?q=kv+cache&venue=osdi") == paths(
        {w for w, t in search_text(store).items() if "kv" in t and "cache" in t} & osdi)


def test_facet_counts(client: FlaskClient, store: EmbeddedStore) -> None:
    html, page = get(client, "/browse?technique=kv-cache-management")
    assert ("technique", "kv-cache-management") in page.checked
    # a venue's count: papers at that venue among the current results
    kv = store.instances.technique("kv-cache-management")
    for row in store.query(PREFIXES + f"""SELECT ?v (COUNT(DISTINCT ?w) AS ?n) WHERE {{
            ?w dcterms:subject/skos:broader* <{kv}> ; caikg:venue ?e .
            OPTIONAL {{ ?e dcterms:isPartOf ?s }} BIND (COALESCE(?s, ?e) AS ?v) }}
            GROUP BY ?v"""):
        slug = row["v"].value[len(str(store.instances.venue(""))):]
        assert re.search(rf'name="venue" value="{re.escape(slug)}">\s*<label[^>]*>[^<]*'
                         rf'<span class="count">{row["n"].value}</span>', html), slug
    # a technique's count ignores the technique filter itself (values are alternatives)
    everything = len(column(store, """SELECT DISTINCT ?x WHERE {
        ?x dcterms:subject/skos:broader* ?t . ?t skos:prefLabel "Agentic systems"@en }"""))
    assert re.search(r'value="agentic-systems">\s*<label[^>]*>Agentic systems '
                     rf'<span class="count">{everything}</span>', html)
    # every count equals the number of results when that value alone is added
    for name, value in page.checkboxes[:60]:
        if name == "technique":
            continue
        m = re.search(rf'name="{name}" value="{re.escape(value)}"[^>]*>\s*<label[^>]*>[^<]*'
                      r'<span class="count">(\d+)</span>', html)
        assert m
        _, narrowed = get(client, f"/browse?technique=kv-cache-management&{name}={value}")
        assert len(result_links(narrowed)) == int(m.group(1)), (name, value)


def test_links_round_trip(client: FlaskClient, store: EmbeddedStore) -> None:
    url = "/browse?q=kv+cache&technique=kv-cache-reuse&year=2024&venue=arxiv"
    html, page = get(client, url)
    permalink = next(link for link in page.links if "link to these results" in html
                     and link.startswith("/browse?") and "page" not in link
                     and set(parse_qsl(urlsplit(link).query)) == set(parse_qsl(urlsplit(url)
                                                                                .query)))
    _, again = get(client, permalink)
    assert result_links(again) == result_links(page)
    assert set(again.checked) == {("technique", "kv-cache-reuse"), ("year", "2024"),
                                  ("venue", "arxiv")}
    # clear links remove exactly one filter each
    removals = [link for link in page.links if link.startswith("/browse")]
    assert "/browse" in removals  # clear all
    for removed in (("year", "2024"), ("venue", "arxiv"), ("technique", "kv-cache-reuse"),
                    ("q", "kv cache")):
        rest = set(parse_qsl(urlsplit(url).query)) - {removed}
        assert any(set(parse_qsl(urlsplit(link.replace("&amp;", "&")).query)) == rest
                   for link in removals), removed


def synthetic_store(n: int) -> EmbeddedStore:
    base = "https://example.org/kg/"
    schema, dct, fabio = "https://schema.org/", "http://purl.org/dc/terms/", \
        "http://purl.org/spar/fabio/"
    gyear = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")
    triples = []
    for i in range(n):
        work = ox.NamedNode(f"{base}paper/p{i:04d}")
        triples += [
            ox.Triple(work, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode(schema + "ScholarlyArticle")),
            ox.Triple(work, ox.NamedNode(dct + "title"),
                      ox.Literal(f"Paper {i:04d} {'even' if i % 2 == 0 else 'odd'}")),
            ox.Triple(work, ox.NamedNode(fabio + "hasPublicationYear"),
                      ox.Literal(str(2000 + i % 3), datatype=gyear)),
        ]
    return EmbeddedStore.in_memory({f"{base}graph/curated": triples}, base)


def test_pagination() -> None:
    st = synthetic_store(2 * PAGE_SIZE + 7)
    seen: list[str] = []
    for number in (1, 2, 3):
        page = browse_page(st, MultiDict([("page", str(number))]))
        results = page.context["results"]
        assert len(results) == (PAGE_SIZE if number < 3 else 7)
        assert page.context["pages"] == 3 and page.context["page"] == number
        seen += [p.work for p in results]
    assert len(seen) == len(set(seen)) == 2 * PAGE_SIZE + 7
    page = browse_page(st, MultiDict([("page", "2"), ("q", "even"), ("year", "2001")]))
    assert page.context["total"] == sum(1 for i in range(2 * PAGE_SIZE + 7)
                                        if i % 2 == 0 and i % 3 == 1)
    assert page.context["pages"] == 1 and page.context["page"] == 1
    assert page.context["messages"]  # "there is no page 2"
    first = browse_page(st, MultiDict())
    assert first.context["next_qs"] == "?page=2" and first.context["prev_qs"] is None
    last = browse_page(st, MultiDict([("page", "3")]))
    assert last.context["next_qs"] is None and last.context["prev_qs"] == "?page=2"


def test_pagination_links(app: Flask, built_settings: Settings) -> None:
    st = synthetic_store(3 * PAGE_SIZE)
    with app.test_request_context("/browse?page=2&q=paper"):
        from flask import render_template

        page = browse_page(st, MultiDict([("page", "2"), ("q", "paper")]))
        html = render_template(page.template, title=page.title, **page.context)
    links = Page(html).links
    assert "/browse?q=paper&page=3" in links and "/browse?q=paper" in links
    assert 'aria-current="page"' in html


@pytest.mark.parametrize("query", [
    "page=0", "page=-1", "page=abc", "page=99999999999999999999", "page=", "page=2.5",
    "year=abc", "year=1800", "technique=nope", "technique=", "venue=%00", "status=bogus",
    "section=../../etc", "q=%00%01%1f", "q=" + "x" * 5000, "q=<script>alert(1)</script>",
    "foo=bar", "technique=kv-cache-reuse&technique=kv-cache-reuse", "q=%F0%9F%98%80",
    "status=https://w3id.org/caikg/ontology%23Preprint", "page=1&page=2", "q=&q=kv",
])
def test_garbage_parameters_do_not_crash(client: FlaskClient, query: str) -> None:
    resp = client.get(f"/browse?{query}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<script>alert" not in html
    assert not Page(html).inline


def test_unknown_values_are_reported(client: FlaskClient) -> None:
    html, page = get(client, "/browse?technique=nope&year=2024")
    assert "Ignored the unknown technique" in html
    assert ("year", "2024") in page.checked


# -- ontology and downloads ------------------------------------------------------------------
def test_ontology_page_documents_every_term(client: FlaskClient) -> None:
    html, page = get(client, "/ontology")
    terms = [name for name in CAIKG.__annotations__ if not name.startswith("_")]
    assert len(terms) >= 15
    for term in terms:
        assert term in page.ids, term
        assert f'href="#{term}"' in html, term
    for text in ("0.1.0", "creativecommons.org/licenses/by/4.0", "caikg developers",
                 "wdt:P818", "schema:CreativeWork", "prov:Attribution", "bibo:DocumentStatus",
                 "https://schema.org/", "http://purl.org/spar/fabio/"):
        assert text in html, text
    assert len(page.ids) == len(set(page.ids))


def test_downloads_page_links_work(client: FlaskClient, store: EmbeddedStore) -> None:
    html, page = get(client, "/downloads")
    dumps = sorted({link for link in page.links if link.startswith("/downloads/")})
    assert {f"/downloads/caikg.{ext}" for ext in ("ttl", "nt", "jsonld", "trig", "nq", "rdf")} \
        <= set(dumps)
    for link in dumps:
        assert client.get(link).status_code == 200, link
    void = store.query(PREFIXES + f"""PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?t ?e ?c ?p WHERE {{ <{store.instances.dataset}> void:triples ?t ;
            void:entities ?e ; void:classes ?c ; void:properties ?p }}""")
    row = next(iter(void))
    for var in ("t", "e", "c", "p"):
        assert f"<dd>{row[var].value}</dd>" in html
    assert store.info is not None and store.info.version in html
    assert "/sparql" in page.links
    assert "text/turtle" in html and "application/n-quads" in html


# -- all pages -------------------------------------------------------------------------------
def test_no_inline_scripts_or_styles_and_unique_ids(client: FlaskClient,
                                                     store: EmbeddedStore) -> None:
    urls = ["/", "/browse", "/browse?q=kv+cache&year=2024", "/ontology", "/downloads",
            "/scheme/techniques", "/scheme/compound-ai-survey", "/venue/osdi",
            "/venue/osdi-2024", "/venue/arxiv", "/venue/bair-blog",
            "/section/compound-ai-survey/papers", "/section/compound-ai-survey/caching",
            *(local(store, t) for t in techniques(store)[:5])]
    for url in urls:
        html, page = get(client, url)
        assert not page.inline, (url, page.inline)
        assert len(page.ids) == len(set(page.ids)), url
        assert "<main" in html and "<h1" in html
        headings = [int(h) for h in re.findall(r"<h([1-6])\b", html)]
        assert headings.count(1) == 1, url
        assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)), url
        for link in page.links:
            assert not link.lower().startswith(("javascript:", "data:")), (url, link)


def test_unknown_entities_are_404(client: FlaskClient) -> None:
    for url in ("/technique/no-such-thing", "/venue/no-such-venue",
                "/section/compound-ai-survey/none", "/scheme/none"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(("name", "var", "iri"), [
    ("technique_concept", "technique", "technique/kv-cache-reuse"),
    ("technique_works", "technique", "technique/kv-cache-management"),
    ("section_concept", "section", "section/compound-ai-survey/papers"),
    ("section_works", "section", "section/compound-ai-survey/caching"),
    ("scheme_description", "scheme", "scheme/techniques"),
    ("scheme_concepts", "scheme", "scheme/compound-ai-survey"),
    ("venue_description", "venue", "venue/osdi-2024"),
    ("venue_works", "venue", "venue/osdi"),
])
def test_bound_queries_return_only_the_entitys_rows(store: EmbeddedStore, name: str, var: str,
                                                    iri: str) -> None:
    bound = ox.NamedNode(store.instances.base + iri)
    rows = store.select(name, default_graphs=None, **{var: bound})
    assert rows and all(row[var] == bound for row in rows)
    other = ox.NamedNode(store.instances.base + iri + "-not-there")
    assert store.select(name, default_graphs=None, **{var: other}) == []
