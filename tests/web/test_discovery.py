"""What reference managers and search engines read (web/pages/discovery.py,
web/routes/discovery.py): Highwire Press ``citation_*`` tags and COinS as Zotero, Mendeley and
Google Scholar read them, the schema.org JSON-LD each page embeds (against the page's
``.jsonld`` twin), the sitemap, robots.txt and the OpenSearch description.

Expected values are computed here from the store with SPARQL of the tests' own, not with the
application's queries.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from urllib.robotparser import RobotFileParser

import extruct
import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.compare import isomorphic, to_isomorphic

from caikg.build.pipeline import build
from caikg.export.dumps import EXPORT_FORMATS
from caikg.store.embedded import EmbeddedStore
from caikg.web.app import create_app
from caikg.web.routes import discovery
from tests.helpers.project import make_settings

SITE = "http://localhost"
"""The origin of the test client's requests: every absolute URL is on it."""
BASE = "https://w3id.org/caikg/"
SCHEMA = "https://schema.org/"
STATEMENT = URIRef("https://w3id.org/caikg/ontology#Statement")
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OPENSEARCH_NS = "{http://a9.com/-/spec/opensearch/1.1/}"
KEV_CHARS = re.compile(r"[A-Za-z0-9._~%=&-]+")
"""Everything a KEV ContextObject may hold once percent-encoded (pairs joined by ``&``)."""


# -- reading pages as a connector does ---------------------------------------------------------


class Page(HTMLParser):
    """The ``<meta>`` tags of the ``<head>`` in order, the COinS spans, ``<link>`` tags and
    the links of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.meta_outside_head: list[str] = []
        self.coins: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self.hrefs: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif tag == "meta" and a.get("name"):
            if self._in_head:
                self.meta.append((a["name"] or "", a.get("content") or ""))
            else:
                self.meta_outside_head.append(a["name"] or "")
        elif tag == "span" and "Z3988" in (a.get("class") or "").split():
            self.coins.append(a.get("title") or "")
        elif tag == "link":
            self.links.append(a)
        elif tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False

    def citation(self, name: str) -> list[str]:
        return [content for n, content in self.meta if n == name]

    def citation_tags(self) -> list[tuple[str, str]]:
        return [(n, c) for n, c in self.meta if n.startswith("citation_")]


def read(client: FlaskClient, path: str, **kwargs: Any) -> tuple[str, Page]:
    resp = client.get(path, **kwargs)
    assert resp.status_code == 200, (path, resp.status_code)
    body = resp.get_data(as_text=True)
    page = Page()
    page.feed(body)
    page.close()
    return body, page


def kev(text: str) -> dict[str, list[str]]:
    """A KEV ContextObject's keys and their values, in order (as a resolver parses it)."""
    assert KEV_CHARS.fullmatch(text), f"not percent-encoded KEV: {text!r}"
    pairs: dict[str, list[str]] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, strict_parsing=True):
        pairs.setdefault(key, []).append(value)
    return pairs


def embedded_jsonld(body: str) -> list[dict[str, Any]]:
    """The JSON-LD documents of a page as a crawler extracts them."""
    found = extruct.extract(body, base_url=SITE, syntaxes=["json-ld"], uniform=False)
    docs: list[dict[str, Any]] = found["json-ld"]
    return docs


def jsonld_graph(data: str | dict[str, Any] | list[Any]) -> Graph:
    text = data if isinstance(data, str) else json.dumps(data)
    return Graph().parse(data=text, format="json-ld")


# -- what the store says (the tests' own SPARQL) ------------------------------------------------

WORKS = """
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX caikg: <https://w3id.org/caikg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX schema: <https://schema.org/>
SELECT ?work ?title ?blog ?year ?issued ?status ?seriesName ?seriesType ?venueName ?venueType
       ?arxiv ?doi
WHERE {
  { ?work a schema:ScholarlyArticle BIND (false AS ?blog) }
  UNION { ?work a schema:BlogPosting BIND (true AS ?blog) }
  ?work dcterms:title ?title .
  OPTIONAL { ?work fabio:hasPublicationYear ?year }
  OPTIONAL { ?work dcterms:issued ?issued }
  OPTIONAL { ?work bibo:status ?status }
  OPTIONAL { ?work caikg:arxivId ?arxiv }
  OPTIONAL { ?work bibo:doi ?doi }
  OPTIONAL { ?work caikg:venue ?venue . ?venue a ?venueType ; schema:name ?venueName .
             OPTIONAL { ?venue dcterms:isPartOf ?series . ?series a ?seriesType ;
                                                          schema:name ?seriesName } }
}
"""
AUTHORS = """
PREFIX caikg: <https://w3id.org/caikg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
SELECT ?work ?ordinal ?printed
WHERE {
  ?work prov:qualifiedAttribution ?a . ?a caikg:ordinal ?ordinal ; prov:agent ?person .
  OPTIONAL { ?a caikg:statedName ?stated } OPTIONAL { ?person schema:name ?name }
  BIND (COALESCE(?stated, ?name) AS ?printed)
}
"""


def _value(term: object) -> str | None:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else None


def works(store: EmbeddedStore) -> dict[str, dict[str, Any]]:
    """Every work with what a citation of it says: title, printed authors in order, date,
    kind (``conference``, ``journal``, ``preprint``, ``blog``, ``other``), venue, ids."""
    found: dict[str, dict[str, Any]] = {}
    for row in store.query(WORKS):
        w = _value(row["work"]) or ""
        f = found.setdefault(w, {"authors": [], "series": {}, "venue": {}})
        for k in ("title", "blog", "year", "issued", "status", "arxiv", "doi"):
            if f.get(k) is None:
                f[k] = _value(row[k])
        if row["seriesType"] is not None:
            f["series"][_value(row["seriesType"])] = _value(row["seriesName"])
        if row["venueType"] is not None:
            f["venue"][_value(row["venueType"])] = _value(row["venueName"])
    by_ordinal: dict[str, dict[int, str]] = {}
    for row in store.query(AUTHORS):
        by_ordinal.setdefault(_value(row["work"]) or "", {})[
            int(_value(row["ordinal"]) or 0)] = _value(row["printed"]) or ""
    for w, f in found.items():
        f["authors"] = [name for _, name in sorted(by_ordinal.get(w, {}).items())]
        status = (f["status"] or "").rsplit("#", 1)[-1]
        series_types = set(f["series"])
        if f["blog"] == "true":
            f["kind"], f["container"] = "blog", next(iter(f["venue"].values()), None)
        elif status == "Published" and SCHEMA + "EventSeries" in series_types:
            f["kind"], f["container"] = "conference", f["series"][SCHEMA + "EventSeries"]
        elif status == "Published" and SCHEMA + "Periodical" in series_types:
            f["kind"], f["container"] = "journal", f["series"][SCHEMA + "Periodical"]
        elif status == "Preprint":
            f["kind"] = "preprint"
            f["container"] = f["venue"].get("https://w3id.org/caikg/ontology#Repository")
        else:
            f["kind"], f["container"] = "other", None
        f["date"] = f["issued"] or f["year"]
        f["url"] = SITE + "/" + w[len(BASE):]
    return found


def count_instances(store: EmbeddedStore, *classes: str) -> set[str]:
    values = " ".join(f"<{c}>" for c in classes)
    rows = store.query(f"SELECT DISTINCT ?e WHERE {{ VALUES ?c {{ {values} }} ?e a ?c }}")
    return {_value(r["e"]) or "" for r in rows}


@pytest.fixture(scope="module")
def expected(store: EmbeddedStore) -> dict[str, dict[str, Any]]:
    found = works(store)
    assert {f["kind"] for f in found.values()} >= {"conference", "journal", "preprint", "blog"}
    return found


# -- Highwire Press tags ---------------------------------------------------------------------


def test_every_paper_page_has_its_citation_tags_with_every_author_in_order(
        client: FlaskClient, expected: dict[str, dict[str, Any]]) -> None:
    problems: list[str] = []
    several = 0
    for _, f in sorted(expected.items()):
        path = urlsplit(f["url"]).path
        _, page = read(client, path)
        if page.meta_outside_head:
            problems.append(f"{path}: meta tags outside <head>: {page.meta_outside_head}")
        if f["kind"] == "blog":  # not a scholarly article: no tags (Scholar's guidelines)
            if page.citation_tags():
                problems.append(f"{path}: a blog post with citation tags")
            continue
        if page.citation("citation_title") != [f["title"]]:
            problems.append(f"{path}: citation_title {page.citation('citation_title')}")
        if page.citation("citation_author") != f["authors"]:
            problems.append(f"{path}: authors {page.citation('citation_author')} "
                            f"!= {f['authors']}")
        several += len(f["authors"]) > 2
        date = f["date"].replace("-", "/") if f["date"] else None
        if page.citation("citation_publication_date") != ([date] if date else []):
            problems.append(f"{path}: date {page.citation('citation_publication_date')}")
        conference = [f["container"]] if f["kind"] == "conference" else []
        journal = [f["container"]] if f["kind"] == "journal" else []
        if page.citation("citation_conference_title") != conference:
            problems.append(f"{path}: conference {page.citation('citation_conference_title')}")
        if page.citation("citation_journal_title") != journal:
            problems.append(f"{path}: journal {page.citation('citation_journal_title')}")
        if page.citation("citation_arxiv_id") != ([f["arxiv"]] if f["arxiv"] else []):
            problems.append(f"{path}: arXiv id {page.citation('citation_arxiv_id')}")
        pdf = [f"https://arxiv.org/pdf/{f['arxiv']}"] if f["arxiv"] else []
        if page.citation("citation_pdf_url") != pdf:
            problems.append(f"{path}: PDF {page.citation('citation_pdf_url')}")
        if page.citation("citation_doi") != ([f["doi"]] if f["doi"] else []):
            problems.append(f"{path}: DOI {page.citation('citation_doi')}")
        if page.citation("citation_abstract_html_url") != [f["url"]]:
            problems.append(f"{path}: page {page.citation('citation_abstract_html_url')}")
        unknown = {n for n, _ in page.citation_tags()} - {
            "citation_title", "citation_author", "citation_publication_date",
            "citation_conference_title", "citation_journal_title", "citation_arxiv_id",
            "citation_pdf_url", "citation_doi", "citation_abstract_html_url"}
        if unknown:
            problems.append(f"{path}: unexpected tags {unknown}")
    assert not problems, "\n".join(problems)
    assert several >= 10, "the data should have papers with several authors"


def test_citation_tags_carry_text_exactly(hostile: FlaskClient) -> None:
    """Quotes, ampersands and markup in the data reach the tags as text (escaped in the
    markup, exact once parsed)."""
    body, page = read(hostile, "/paper/tricky")
    assert page.citation("citation_title") == [TRICKY_TITLE]
    assert page.citation("citation_author") == ["Ann \"Quote\" O'Hara", "Bob & <Eve>"]
    assert "<Eve>" not in body.split("</head>")[0]


# -- COinS -----------------------------------------------------------------------------------


def check_coins(text: str, f: dict[str, Any]) -> list[str]:
    """What is wrong with the ContextObject ``text`` of the work ``f``."""
    co = kev(text)
    problems = []
    want: dict[str, list[str]] = {"ctx_ver": ["Z39.88-2004"], "ctx_enc": ["info:ofi/enc:UTF-8"]}
    ids = [f"info:doi/{f['doi']}"] if f["doi"] else []
    ids += [f"info:arxiv/{f['arxiv']}"] if f["arxiv"] else []
    want["rft_id"] = [*ids, f["url"]]
    if f["kind"] == "conference":
        want |= {"rft_val_fmt": ["info:ofi/fmt:kev:mtx:book"], "rft.genre": ["proceeding"],
                 "rft.atitle": [f["title"]], "rft.btitle": [f["container"]],
                 "rft.au": f["authors"]}
    elif f["kind"] == "journal":
        want |= {"rft_val_fmt": ["info:ofi/fmt:kev:mtx:journal"], "rft.genre": ["article"],
                 "rft.atitle": [f["title"]], "rft.jtitle": [f["container"]],
                 "rft.au": f["authors"]}
    else:
        item = {"preprint": "preprint", "blog": "blogPost"}.get(f["kind"], "manuscript")
        want |= {"rft_val_fmt": ["info:ofi/fmt:kev:mtx:dc"], "rft.type": [item],
                 "rft.title": [f["title"]], "rft.creator": f["authors"]}
        if f["container"]:
            want["rft.publisher" if f["kind"] == "preprint" else "rft.source"] = [f["container"]]
    if f["date"]:
        want["rft.date"] = [f["date"]]
    want = {k: v for k, v in want.items() if v}
    if co != want:
        problems.append(f"{f['url']}: COinS {co} != {want}")
    return problems


def test_paper_page_coins(client: FlaskClient, expected: dict[str, dict[str, Any]]) -> None:
    """Every paper page has its work's ContextObject, and ``/browse`` (every paper) the same
    one for each paper."""
    _, browse = read(client, "/browse")
    listed = coins_by_page(browse)
    assert set(listed) == {f["url"] for f in expected.values()}
    problems: list[str] = []
    for _, f in sorted(expected.items()):
        _, page = read(client, urlsplit(f["url"]).path)
        if len(page.coins) != 1:
            problems.append(f"{f['url']}: {len(page.coins)} COinS spans")
            continue
        problems += check_coins(page.coins[0], f)
        if listed[f["url"]] != page.coins[0]:
            problems.append(f"{f['url']}: /browse has other COinS than the paper's page")
    assert not problems, "\n".join(problems)


def test_coins_carry_text_exactly(hostile: FlaskClient) -> None:
    _, page = read(hostile, "/paper/tricky")
    co = kev(page.coins[0])
    assert co["rft.atitle"] == [TRICKY_TITLE]
    assert co["rft.au"] == ["Ann \"Quote\" O'Hara", "Bob & <Eve>"]


def coins_by_page(page: Page) -> dict[str, str]:
    """The COinS of a list page by the page URL they identify."""
    found: dict[str, str] = {}
    for text in page.coins:
        urls = [v for v in kev(text)["rft_id"] if v.startswith(SITE)]
        assert len(urls) == 1, text
        found[urls[0]] = text
    return found


def paper_links(page: Page) -> set[str]:
    return {SITE + h for h in page.hrefs if h.startswith("/paper/") and "." not in h}


@pytest.mark.parametrize("path", ["/browse", "/browse?q=cache", "/browse?status=preprint",
                                  "/technique/kv-cache-reuse", "/person/ion-stoica",
                                  "/venue/iclr", "/section/compound-ai-survey/caching"])
def test_list_pages_have_coins_for_every_paper(client: FlaskClient, path: str,
                                               expected: dict[str, dict[str, Any]]) -> None:
    """A connector sees every paper a list shows, and the same ContextObject as on the
    paper's own page."""
    _, page = read(client, path)
    listed = coins_by_page(page)
    assert len(listed) == len(page.coins), "one span per paper"
    assert len(listed) >= 2
    assert set(listed) == paper_links(page)
    by_url = {f["url"]: f for f in expected.values()}
    problems: list[str] = []
    for url, text in listed.items():
        problems += check_coins(text, by_url[url])
    assert not problems, "\n".join(problems)


# -- JSON-LD ---------------------------------------------------------------------------------


def restricted(twin: Graph, embedded: Graph) -> Graph:
    """The twin's triples about the subjects the page embeds."""
    subjects = set(embedded.subjects())
    g = Graph()
    for t in twin:
        if t[0] in subjects:
            g.add(t)
    return g


ENTITY_PAGES = ["/paper/flexgen", "/paper/metagpt", "/person/ion-stoica", "/venue/icml-2023",
                "/venue/iclr", "/technique/kv-cache-reuse", "/section/compound-ai-survey/caching",
                "/scheme/techniques", "/system/flexgen", "/metric/throughput"]


@pytest.mark.parametrize("path", ENTITY_PAGES)
def test_embedded_jsonld_is_the_twin_without_its_statements(client: FlaskClient,
                                                            path: str) -> None:
    body, _ = read(client, path)
    docs = embedded_jsonld(body)
    assert len(docs) == 1
    embedded = jsonld_graph(docs[0])
    twin = jsonld_graph(client.get(path + ".jsonld").get_data(as_text=True))
    entity = URIRef(BASE + path[1:])
    assert isomorphic(embedded, restricted(twin, embedded)), (
        "the embedded JSON-LD says something the twin does not, or leaves out part of what "
        "the twin says about a subject it embeds")
    assert set(twin.triples((entity, None, None))) <= set(embedded), "the entity's own triples"
    fragments = {s for s in twin.subjects() if str(s).startswith(str(entity) + "#")}
    assert fragments <= set(embedded.subjects())
    linked = {o for s in {entity, *fragments} for p, o in twin.predicate_objects(s)
              if p != RDF.type and (o, None, None) in twin}
    assert linked <= set(embedded.subjects()), "the labels of what the entity links to"
    statements = set(twin.subjects(RDF.type, STATEMENT))
    assert not statements & set(embedded.subjects()), "sourced statements are left out"
    assert docs[0]["@graph"][0]["@id"] == str(entity), "the entity comes first"


def test_paper_jsonld_is_a_scholarly_article_with_named_authors(
        client: FlaskClient, expected: dict[str, dict[str, Any]]) -> None:
    """What a search engine reads without expanding: schema.org terms, the authors' names."""
    body, _ = read(client, "/paper/flexgen")
    top = embedded_jsonld(body)[0]["@graph"][0]
    assert "ScholarlyArticle" in top["@type"]
    names = {a["name"] for a in top["author"]}
    assert len(names) == len(expected[BASE + "paper/flexgen"]["authors"]) == 10
    body, _ = read(client, "/person/ion-stoica")
    person = embedded_jsonld(body)[0]["@graph"][0]
    assert "Person" in person["@type"] and person["name"] == "Ion Stoica"


def test_embedded_jsonld_cannot_close_its_script(hostile: FlaskClient) -> None:
    body, _ = read(hostile, "/paper/tricky")
    start = body.index('<script type="application/ld+json">')
    end = body.index("</script>", start)
    text = body[start + len('<script type="application/ld+json">'):end]
    assert "<" not in text and ">" not in text and "&" not in text
    embedded = jsonld_graph(text)
    titles = {str(o) for o in embedded.objects(URIRef(BASE + "paper/tricky"))}
    assert TRICKY_TITLE in titles
    twin = jsonld_graph(hostile.get("/paper/tricky.jsonld").get_data(as_text=True))
    assert isomorphic(embedded, restricted(twin, embedded))


def test_downloads_page_embeds_the_dataset_its_twins_describe(
        client: FlaskClient, store: EmbeddedStore) -> None:
    body, page = read(client, "/downloads")
    docs = embedded_jsonld(body)
    assert len(docs) == 1
    embedded = jsonld_graph(docs[0])
    twin = jsonld_graph(client.get("/downloads.jsonld").get_data(as_text=True))
    assert isomorphic(embedded, twin)
    turtle = Graph().parse(data=client.get("/downloads.ttl").get_data(as_text=True),
                           format="turtle")
    assert to_isomorphic(turtle) == to_isomorphic(twin)
    alternates = {a.get("href") for a in page.links if a.get("rel") == "alternate"}
    assert {"/downloads.ttl", "/downloads.jsonld", "/downloads.nt", "/downloads.rdf"} <= alternates

    s = Namespace(SCHEMA)
    dataset = URIRef(str(store.instances.dataset))
    assert (dataset, RDF.type, s.Dataset) in embedded
    void = {_value(r["p"]): _value(r["o"]) for r in store.query(
        f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{dataset}> ?p ?o }} }}")}
    licence = void["http://purl.org/dc/terms/license"]
    assert {str(o) for o in embedded.objects(dataset, s.license)} == {licence}
    assert str(embedded.value(dataset, s.name)) == void["http://purl.org/dc/terms/title"]
    assert str(embedded.value(dataset, s.url)) == SITE + "/downloads"
    downloads = {str(embedded.value(d, s.encodingFormat)): str(embedded.value(d, s.contentUrl))
                 for d in embedded.objects(dataset, s.distribution)
                 if (d, RDF.type, s.DataDownload) in embedded}
    assert downloads == {f.media_type: f"{SITE}/downloads/caikg.{f.extension}"
                         for f in EXPORT_FORMATS.values()}
    resp = client.get(urlsplit(downloads["text/turtle"]).path)
    assert resp.status_code == 200 and resp.mimetype == "text/turtle"


# -- sitemap, robots.txt, OpenSearch ---------------------------------------------------------


def sitemap_locs(client: FlaskClient, path: str = "/sitemap.xml",
                 **kwargs: Any) -> tuple[ET.Element, list[str]]:
    resp = client.get(path, **kwargs)
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    root = ET.fromstring(resp.get_data())
    return root, [e.text or "" for e in root.iter(f"{SITEMAP_NS}loc")]


def test_sitemap_lists_every_paper_and_person(client: FlaskClient,
                                              store: EmbeddedStore) -> None:
    root, locs = sitemap_locs(client)
    assert root.tag == f"{SITEMAP_NS}urlset"
    assert len(locs) == len(set(locs))
    papers = count_instances(store, SCHEMA + "ScholarlyArticle", SCHEMA + "BlogPosting")
    people = count_instances(store, SCHEMA + "Person", "http://xmlns.com/foaf/0.1/Person")
    assert len(papers) > 30 and len(people) > 100
    listed_papers = {u for u in locs if u.startswith(SITE + "/paper/")}
    listed_people = {u for u in locs if u.startswith(SITE + "/person/")}
    assert listed_papers == {SITE + "/" + p[len(BASE):] for p in papers}
    assert listed_people == {SITE + "/" + p[len(BASE):] for p in people}
    for main in ("/", "/browse", "/downloads", "/ontology"):
        assert SITE + main in locs
    kinds = {urlsplit(u).path.split("/")[1] for u in locs}
    assert {"paper", "person", "venue", "technique", "section", "scheme", "system", "claim",
            "metric"} <= kinds
    assert store.info is not None and store.info.built_at
    lastmods = [e.text for e in root.iter(f"{SITEMAP_NS}lastmod")]
    assert len(lastmods) == len(locs) and set(lastmods) == {store.info.built_at}
    # a sample of every kind answers 200
    for kind in sorted(kinds - {""}):
        url = next(u for u in locs if urlsplit(u).path.split("/")[1] == kind)
        assert client.get(urlsplit(url).path).status_code == 200, url


def test_sitemap_splits_into_an_index_past_the_limit(client: FlaskClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, everything = sitemap_locs(client)
    other = {"base_url": "http://split.example"}  # another origin: nothing cached for it yet
    assert client.get("/sitemap-1.xml", **other).status_code == 404, "not split: no parts"
    monkeypatch.setattr(discovery, "SITEMAP_LIMIT", 100)
    root, parts = sitemap_locs(client, **other)
    assert root.tag == f"{SITEMAP_NS}sitemapindex"
    assert len(parts) == -(-len(everything) // 100) >= 3
    seen: list[str] = []
    for n, part in enumerate(parts, 1):
        assert part == f"http://split.example/sitemap-{n}.xml"
        sub, locs = sitemap_locs(client, urlsplit(part).path, **other)
        assert sub.tag == f"{SITEMAP_NS}urlset" and 0 < len(locs) <= 100
        seen += locs
    assert seen == [u.replace(SITE, "http://split.example") for u in everything]
    assert client.get(f"/sitemap-{len(parts) + 1}.xml", **other).status_code == 404


def robots_for(client: FlaskClient, **kwargs: Any) -> RobotFileParser:
    resp = client.get("/robots.txt", **kwargs)
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    parser = RobotFileParser()
    parser.parse(resp.get_data(as_text=True).splitlines())
    return parser


def test_robots_txt(client: FlaskClient) -> None:
    robots = robots_for(client)
    for path in ("/", "/browse", "/browse?q=cache", "/paper/flexgen", "/paper/flexgen.ttl",
                 "/person/ion-stoica", "/downloads", "/sitemap.xml", "/opensearch.xml"):
        assert robots.can_fetch("*", SITE + path), path
    for path in ("/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D",
                 "/api/work_listing", "/api/openapi.json", "/downloads/caikg.ttl",
                 "/healthz"):
        assert not robots.can_fetch("Googlebot", SITE + path), path
    assert robots.site_maps() == [SITE + "/sitemap.xml"]
    _, locs = sitemap_locs(client)
    assert all(robots.can_fetch("*", u) for u in locs), "the sitemap lists nothing disallowed"


def test_absolute_urls_follow_the_request_host(client: FlaskClient) -> None:
    other = "https://kg.example.org"
    assert robots_for(client, base_url=other).site_maps() == [other + "/sitemap.xml"]
    _, page = read(client, "/paper/flexgen", base_url=other)
    assert page.citation("citation_abstract_html_url") == [other + "/paper/flexgen"]
    assert other + "/paper/flexgen" in kev(page.coins[0])["rft_id"]


def test_opensearch_description(client: FlaskClient) -> None:
    resp = client.get("/opensearch.xml")
    assert resp.status_code == 200
    assert resp.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(resp.get_data())
    assert root.tag == f"{OPENSEARCH_NS}OpenSearchDescription"
    short = root.findtext(f"{OPENSEARCH_NS}ShortName") or ""
    assert 0 < len(short) <= 16
    assert root.findtext(f"{OPENSEARCH_NS}InputEncoding") == "UTF-8"
    urls = {u.get("type"): u.get("template") for u in root.iter(f"{OPENSEARCH_NS}Url")}
    template = urls["text/html"]
    assert template == SITE + "/browse?q={searchTerms}"
    assert urls["application/opensearchdescription+xml"] == SITE + "/opensearch.xml"
    search = template.replace("{searchTerms}", "flexgen")
    _, page = read(client, search[len(SITE):])
    assert SITE + "/paper/flexgen" in paper_links(page)


@pytest.mark.parametrize("path", ["/", "/browse", "/paper/flexgen", "/downloads", "/sparql"])
def test_every_page_advertises_the_opensearch_description(client: FlaskClient,
                                                          path: str) -> None:
    _, page = read(client, path, headers={"Accept": "text/html"})
    found = [a for a in page.links if a.get("rel") == "search"]
    assert len(found) == 1
    assert found[0].get("type") == "application/opensearchdescription+xml"
    assert found[0].get("href") == "/opensearch.xml" and found[0].get("title")


# -- hostile data ----------------------------------------------------------------------------

TRICKY_TITLE = 'Q&A: "quotes", <b>tags</b> & </script><script>alert(1)</script>'
TRICKY_TTL = """\
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix caikg: <https://w3id.org/caikg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix paper: <https://w3id.org/caikg/paper/> .
@prefix person: <https://w3id.org/caikg/person/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <https://schema.org/> .
@prefix venue: <https://w3id.org/caikg/venue/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

venue:odd a caikg:VenueSeries, schema:EventSeries ;
    schema:name "Conference on \\"Odd\\" & <Strange> Things" ;
    caikg:acronym "ODD" .

venue:odd-2024 a caikg:VenueEdition ;
    dcterms:date "2024"^^xsd:gYear ;
    dcterms:isPartOf venue:odd ;
    schema:name "ODD 2024" .

person:ann a foaf:Person, schema:Person ; schema:name "Ann O'Hara" .
person:bob a foaf:Person, schema:Person ; schema:name "Bob" .

paper:tricky a fabio:ResearchPaper, schema:ScholarlyArticle ;
    bibo:status caikg:Published ;
    caikg:venue venue:odd-2024 ;
    dcterms:title "Q&A: \\"quotes\\", <b>tags</b> & </script><script>alert(1)</script>" ;
    fabio:hasPublicationYear "2024"^^xsd:gYear ;
    schema:url <https://example.org/tricky?a=1&b=2> ;
    prov:qualifiedAttribution <https://w3id.org/caikg/paper/tricky#author-1> ,
        <https://w3id.org/caikg/paper/tricky#author-2> ;
    schema:author person:ann, person:bob .

<https://w3id.org/caikg/paper/tricky#author-1> a prov:Attribution, caikg:Authorship ;
    caikg:ordinal "1"^^xsd:integer ;
    caikg:statedName "Ann \\"Quote\\" O'Hara" ;
    prov:agent person:ann .

<https://w3id.org/caikg/paper/tricky#author-2> a prov:Attribution, caikg:Authorship ;
    caikg:ordinal "2"^^xsd:integer ;
    caikg:statedName "Bob & <Eve>" ;
    prov:agent person:bob .
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    root = tmp_path_factory.mktemp("tricky")
    data = root / "tricky.ttl"
    data.write_text(TRICKY_TTL, encoding="utf-8")
    settings = make_settings(root / "home", workers=1)
    build(settings, [data])
    app: Flask = create_app(settings, store=EmbeddedStore.open(settings, in_memory=True))
    yield app.test_client()
    app.extensions["caikg_executor"].close()
