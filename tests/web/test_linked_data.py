"""Linked data: every entity IRI dereferences to an HTML page and to RDF (content negotiation
and suffix twins), the RDF served is exactly what the store holds about the entity, every
entity of the shipped data has a working page, and no page can be turned against its reader
(security headers, no redirects, escaped hostile data).

The tests only rely on behaviour (status codes, headers, RDF, ``href`` prefixes, the presence
of an ``<h1>``), not on the exact markup of the pages.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import RDF, RDFS, BNode, Graph, Namespace, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.term import Node
from werkzeug.test import TestResponse

from caikg.build.pipeline import build
from caikg.config import Settings
from caikg.store.embedded import EmbeddedStore
from caikg.web.app import create_app
from caikg.web.filters import safe_href
from tests.helpers.project import make_settings

SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SCHEMA = Namespace("https://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel, SCHEMA.name, DCTERMS.title)
KINDS = ("paper", "person", "venue", "technique", "section", "scheme", "system", "claim", "metric")


@dataclass(frozen=True)
class RdfFormat:
    ext: str
    media_type: str
    rdflib: str


FORMATS = (
    RdfFormat("ttl", "text/turtle", "turtle"),
    RdfFormat("jsonld", "application/ld+json", "json-ld"),
    RdfFormat("nt", "application/n-triples", "nt"),
    RdfFormat("rdf", "application/rdf+xml", "xml"),
)
BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS}

ENTITIES = {
    "paper": "paper/metagpt",
    "system": "system/dlora",
    "claim": "claim/dlora-throughput-vllm",
    "metric": "metric/throughput",
    "person": "person/sirui-hong",
    "venue-series": "venue/iclr",
    "venue-edition": "venue/iclr-2024",
    "repository": "venue/arxiv",
    "blog": "venue/bair-blog",
    "technique": "technique/kv-cache-reuse",
    "section": "section/compound-ai-survey/caching",
    "technique-scheme": "scheme/techniques",
    "reading-list-scheme": "scheme/compound-ai-survey",
}
"""One entity of every kind the shipped data has (path below the base IRI)."""


# -- helpers ------------------------------------------------------------------------------


class Markup(HTMLParser):
    """Start tags (with attributes), inline scripts and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag == "script":
            self._script = dict(attrs)
            self._script_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)
        else:
            self.text.append(data)

    def elements(self, name: str) -> list[dict[str, str | None]]:
        return [dict(attrs) for tag, attrs in self.tags if tag == name]

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse_html(body: str) -> Markup:
    parser = Markup()
    parser.feed(body)
    parser.close()
    return parser


def link_header_alternates(value: str) -> dict[str, str]:
    """``href → type`` of the ``rel="alternate"`` entries of a ``Link`` header."""
    found: dict[str, str] = {}
    for m in re.finditer(r'<([^>]*)>((?:\s*;\s*[^;,]+)*)', value):
        params = dict(
            (k.strip().lower(), v.strip().strip('"'))
            for k, _, v in (p.partition("=") for p in m.group(2).split(";") if p.strip()))
        if "alternate" in params.get("rel", "").split():
            found[m.group(1)] = params.get("type", "")
    return found


def expected_twins(path: str) -> dict[str, str]:
    twins = {f"{path}.{f.ext}": f.media_type for f in FORMATS}
    if path.split("/")[1] in {"technique", "person"}:  # and their Atom feed
        twins[f"{path}.atom"] = "application/atom+xml"
    if path.split("/")[1] in {"paper", "technique"}:  # and their citation records
        twins.update({f"{path}.bib": "application/x-bibtex",
                      f"{path}.ris": "application/x-research-info-systems",
                      f"{path}.csl.json": "application/vnd.citationstyles.csl+json"})
    return twins


def csp_directives(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    return directives


def check_security_headers(resp: TestResponse, what: str) -> list[str]:
    problems: list[str] = []
    if resp.headers.get("X-Content-Type-Options", "").lower() != "nosniff":
        problems.append(f"{what}: X-Content-Type-Options is "
                        f"{resp.headers.get('X-Content-Type-Options')!r}, not nosniff")
    csp = resp.headers.get("Content-Security-Policy")
    if not csp:
        return [*problems, f"{what}: no Content-Security-Policy"]
    directives = csp_directives(csp)
    if "default-src" not in directives:
        problems.append(f"{what}: the CSP has no default-src: {csp}")
    for name in ("default-src", "script-src"):
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
            if bad in directives.get(name, []):
                problems.append(f"{what}: {name} allows {bad}: {csp}")
    return problems


def check_no_redirect(resp: TestResponse, what: str) -> list[str]:
    problems = []
    if 300 <= resp.status_code < 400:
        problems.append(f"{what}: redirect {resp.status_code}")
    if "Location" in resp.headers:
        problems.append(f"{what}: Location header {resp.headers['Location']!r}")
    return problems


def to_rdflib(triples: list[ox.Triple]) -> Graph:
    """An rdflib graph of oxigraph triples (through N-Triples)."""
    g = Graph()
    if triples:
        g.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return g


def expected_document(everything: Graph, iri: str) -> Graph:
    """What ``iri`` should dereference to, computed here from the whole store: its own
    triples, the triples of the ``iri#…`` nodes it links to, the sourced statements about it
    and those nodes (``caikg:Statement`` with ``rdf:subject``), and the labels of every object
    any of these link to other than by ``rdf:type``."""
    subject = URIRef(iri)
    doc = Graph()
    own = list(everything.triples((subject, None, None)))
    fragments = {o for _, _, o in own
                 if isinstance(o, URIRef) and str(o).startswith(iri + "#")}
    described = own + [t for f in sorted(fragments) for t in everything.triples((f, None, None))]
    statement = URIRef("https://w3id.org/caikg/ontology#Statement")
    for about in [subject, *sorted(fragments)]:
        for st in everything.subjects(RDF.subject, about):
            if (st, RDF.type, statement) in everything:
                described += list(everything.triples((st, None, None)))
    for t in described:
        doc.add(t)
    linked: set[Node] = {o for _, p, o in described
                         if p != RDF.type and isinstance(o, URIRef | BNode)}
    for o in linked:
        for prop in LABEL_PROPERTIES:
            for label in everything.objects(o, prop):
                doc.add((o, prop, label))
    return doc


def describe_difference(got: Graph, want: Graph) -> str:
    _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
    lines = ["served but not expected:"]
    lines += [f"  {t}" for t in sorted(only_got)[:20]]
    lines += ["expected but not served:"]
    lines += [f"  {t}" for t in sorted(only_want)[:20]]
    return "\n".join(lines)


def parse_rdf(resp: TestResponse, fmt: RdfFormat, base: str) -> Graph:
    return Graph().parse(data=resp.get_data(), format=fmt.rdflib, publicID=base)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(built_settings: Settings) -> str:
    return built_settings.base_iri


@pytest.fixture(scope="module")
def whole_store(store: EmbeddedStore) -> Graph:
    """Every triple of the store (all graphs), in rdflib."""
    return to_rdflib(sorted({q.triple for q in store.quads()}, key=str))


@pytest.fixture(scope="module")
def curated_entities(store: EmbeddedStore, base: str) -> dict[str, list[str]]:
    """kind → the paths (``/kind/slug``) of every subject of the curated graph with an entity
    IRI (fragments excluded)."""
    graph = f"{base}graph/curated"
    assert graph in store.named_graphs()
    found: dict[str, set[str]] = {k: set() for k in KINDS}
    for q in store.quads(graph):
        s = q.subject
        if not isinstance(s, ox.NamedNode) or not s.value.startswith(base) or "#" in s.value:
            continue
        kind, slash, rest = s.value[len(base):].partition("/")
        if kind in found and slash and rest:
            found[kind].add("/" + s.value[len(base):])
    return {k: sorted(v) for k, v in found.items()}


def test_sample_entities_exist(whole_store: Graph, base: str) -> None:
    for name, path in ENTITIES.items():
        assert (URIRef(base + path), None, None) in whole_store, f"{name}: {path} not in store"


# -- content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.ext)
@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_negotiated_rdf(client: FlaskClient, whole_store: Graph, base: str, entity: str,
                        fmt: RdfFormat) -> None:
    path = f"/{entity}"
    resp = client.get(path, headers={"Accept": fmt.media_type})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == fmt.media_type
    assert "accept" in [v.strip().lower() for v in resp.headers.get("Vary", "").split(",")]
    assert resp.headers.get("Content-Location") == f"{path}.{fmt.ext}"
    assert link_header_alternates(resp.headers.get("Link", "")) == expected_twins(path)
    assert not check_security_headers(resp, path)
    got = parse_rdf(resp, fmt, base + entity)
    want = expected_document(whole_store, base + entity)
    assert len(want) > 0
    assert isomorphic(got, want), describe_difference(got, want)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.ext)
@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_suffix_twin(client: FlaskClient, whole_store: Graph, base: str, entity: str,
                     fmt: RdfFormat) -> None:
    path = f"/{entity}"
    # a twin always gives its own format, whatever the Accept header says
    for accept in (None, "text/html", "*/*"):
        headers = {"Accept": accept} if accept else {}
        resp = client.get(f"{path}.{fmt.ext}", headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        assert resp.mimetype == fmt.media_type
    assert link_header_alternates(resp.headers.get("Link", "")) == expected_twins(path)
    assert not check_security_headers(resp, path)
    got = parse_rdf(resp, fmt, base + entity)
    want = expected_document(whole_store, base + entity)
    assert isomorphic(got, want), describe_difference(got, want)


ACCEPT_CASES = [
    (None, "text/html"),
    ("*/*", "text/html"),
    ("text/html", "text/html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("application/rdf+xml;q=0.5, text/turtle", "text/turtle"),
    ("text/turtle;q=0.2, application/ld+json;q=0.9", "application/ld+json"),
    ("text/html;q=0.5, application/n-triples", "application/n-triples"),
    ("application/rdf+xml, text/html;q=0.9", "application/rdf+xml"),
    ("text/*;q=0.3, text/turtle;q=0.8, text/html;q=0.7", "text/turtle"),
    ("image/png", None),
    ("application/pdf, image/*", None),
]


@pytest.mark.parametrize(("accept", "expected"), ACCEPT_CASES,
                         ids=[a or "no-accept" for a, _ in ACCEPT_CASES])
@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_accept_q_values(client: FlaskClient, entity: str, accept: str | None,
                         expected: str | None) -> None:
    path = f"/{entity}"
    resp = client.get(path, headers={"Accept": accept} if accept else {})
    assert not check_no_redirect(resp, path)
    assert not check_security_headers(resp, f"{path} Accept: {accept}")
    if expected is None:
        assert resp.status_code == 406
        return
    assert resp.status_code == 200
    assert resp.mimetype == expected
    assert "accept" in [v.strip().lower() for v in resp.headers.get("Vary", "").split(",")]
    if expected == "text/html":
        assert resp.headers.get("Content-Location") == path
    else:
        assert resp.headers.get("Content-Location") == f"{path}.{BY_MEDIA_TYPE[expected].ext}"


@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_html_page_advertises_twins(client: FlaskClient, entity: str) -> None:
    path = f"/{entity}"
    resp = client.get(path, headers={"Accept": "text/html"})
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    assert link_header_alternates(resp.headers.get("Link", "")) == expected_twins(path)
    page = parse_html(resp.get_data(as_text=True))
    tags = {}
    for attrs in page.elements("link"):
        rels = (attrs.get("rel") or "").lower().split()
        if "alternate" in rels and attrs.get("href"):
            tags[attrs["href"]] = attrs.get("type") or ""
    assert tags == expected_twins(path)
    assert page.elements("h1"), f"{path}: no <h1>"


# -- every entity of the shipped data -----------------------------------------------------


def test_every_kind_is_present(curated_entities: dict[str, list[str]]) -> None:
    for kind in KINDS:
        assert curated_entities[kind], f"no {kind} entities in the curated graph"


@pytest.mark.system  # a walk of every entity: the slowest part of this module
@pytest.mark.parametrize("kind", KINDS)
def test_every_entity_page_renders(client: FlaskClient, whole_store: Graph, base: str,
                                   curated_entities: dict[str, list[str]], kind: str) -> None:
    problems: list[str] = []
    for path in curated_entities[kind]:
        resp = client.get(path)
        problems += check_no_redirect(resp, path) + check_security_headers(resp, path)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            problems.append(f"{path}: {resp.status_code} {resp.content_type}")
        elif not parse_html(resp.get_data(as_text=True)).elements("h1"):
            problems.append(f"{path}: the page has no <h1>")
        want = expected_document(whole_store, base + path[1:])
        for fmt in FORMATS:
            twin = f"{path}.{fmt.ext}"
            resp = client.get(twin)
            problems += check_no_redirect(resp, twin) + check_security_headers(resp, twin)
            if resp.status_code != 200 or resp.mimetype != fmt.media_type:
                problems.append(f"{twin}: {resp.status_code} {resp.content_type}")
                continue
            try:
                got = parse_rdf(resp, fmt, base + path[1:])
            except Exception as exc:  # noqa: BLE001 - reported with the URL
                problems.append(f"{twin}: does not parse as {fmt.rdflib}: {exc}")
                continue
            if not isomorphic(got, want):
                problems.append(f"{twin}: not the entity's document\n"
                                + describe_difference(got, want))
    assert not problems, "\n".join(problems)


def test_every_paper_has_bibtex(client: FlaskClient,
                                curated_entities: dict[str, list[str]]) -> None:
    problems: list[str] = []
    for path in curated_entities["paper"]:
        resp = client.get(f"{path}.bib")
        problems += check_no_redirect(resp, f"{path}.bib")
        if resp.status_code != 200 or resp.mimetype != "application/x-bibtex":
            problems.append(f"{path}.bib: {resp.status_code} {resp.content_type}")
        elif not resp.get_data(as_text=True).lstrip().startswith("@"):
            problems.append(f"{path}.bib: not a BibTeX entry")
    assert not problems, "\n".join(problems)
    person = curated_entities["person"][0]
    assert client.get(f"{person}.bib").status_code == 404


NOT_FOUND = [
    "/paper/does-not-exist",
    "/paper/does-not-exist.ttl",
    "/person/x.ttl",
    "/person/x",
    "/venue/nope.jsonld",
    "/technique/nope.rdf",
    "/section/nope/nope.nt",
    "/scheme/nope",
    "/nope",
    "/paper/metagpt.xyz",
    "/paper/metagpt.html",
    "/paper/metagpt/extra",
    "/paper/metagpt.ttl.ttl",
    "/paper/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
    "/person/%3Cscript%3E.ttl",
    "/paper/a%20b",
    "/paper/%7Bx%7D",
    "/technique/a%5Cb",
    "/graph/curated",
    "/dataset",
]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_unknown_iris_give_a_404_page(client: FlaskClient, path: str) -> None:
    for accept in (None, "text/turtle"):
        resp = client.get(path, headers={"Accept": accept} if accept else {})
        assert resp.status_code == 404, f"{path} Accept {accept}: {resp.status_code}"
        assert resp.mimetype == "text/html"
        assert not check_no_redirect(resp, path)
        assert not check_security_headers(resp, path)
        page = parse_html(resp.get_data(as_text=True))
        assert page.elements("h1")


# -- redirects and security headers -------------------------------------------------------

REDIRECT_PROBES = [
    "//evil.example/",
    "//evil.example/paper/metagpt",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/paper/metagpt/",
    "/browse/",
    "/paper/https://evil.example",
    "/paper/%2F%2Fevil.example",
    "/?next=https://evil.example",
    "/browse?next=//evil.example&redirect=https://evil.example&url=https://evil.example",
]


@pytest.mark.parametrize("path", REDIRECT_PROBES)
def test_no_open_redirect(client: FlaskClient, path: str) -> None:
    resp = client.get(path)
    if 300 <= resp.status_code < 400 or "Location" in resp.headers:
        location = resp.headers.get("Location", "")
        # a redirect, if any (werkzeug merges "//" in paths with a 308), stays on this site
        parts = urlsplit(location)
        assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
        assert parts.path.startswith("/") and not parts.path.startswith(("//", "/\\"))
        assert "evil.example" not in parts.netloc


def test_security_headers_on_every_response_type(client: FlaskClient) -> None:
    paper = "/" + ENTITIES["paper"]
    cases: list[tuple[str, dict[str, str]]] = [
        ("/", {}),
        (paper, {}),
        *((paper, {"Accept": f.media_type}) for f in FORMATS),
        *((f"{paper}.{f.ext}", {}) for f in FORMATS),
        (paper, {"Accept": "image/png"}),
        ("/paper/does-not-exist", {}),
        ("/nope", {}),
        ("/browse", {}),
        ("/ontology", {}),
        ("/downloads", {}),
        ("/sparql", {}),
        ("/examples", {}),
    ]
    problems: list[str] = []
    for path, headers in cases:
        resp = client.get(path, headers=headers)
        problems += check_security_headers(resp, f"{path} {headers}")
        problems += check_no_redirect(resp, path)
    assert not problems, "\n".join(problems)


def test_site_pages_render(client: FlaskClient) -> None:
    problems: list[str] = []
    for path in ("/", "/browse", "/browse?q=cache", "/ontology", "/downloads", "/sparql",
                 "/examples"):
        resp = client.get(path)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            problems.append(f"{path}: {resp.status_code} {resp.content_type}")
        elif not parse_html(resp.get_data(as_text=True)).elements("h1"):
            problems.append(f"{path}: no <h1>")
    assert not problems, "\n".join(problems)


# -- hostile data -------------------------------------------------------------------------

HOSTILE_TTL = """\
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix caikg: <https://w3id.org/caikg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix paper: <https://w3id.org/caikg/paper/> .
@prefix person: <https://w3id.org/caikg/person/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <https://schema.org/> .
@prefix scheme: <https://w3id.org/caikg/scheme/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix technique: <https://w3id.org/caikg/technique/> .
@prefix venue: <https://w3id.org/caikg/venue/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

scheme:techniques a skos:ConceptScheme ;
    dcterms:title "<script>alert('scheme')</script>"@en ;
    skos:prefLabel "<script>alert('scheme')</script>"@en ;
    dcterms:description "\\"><img src=x onerror=alert('description')>"@en ;
    skos:hasTopConcept technique:evil .

technique:evil a skos:Concept ;
    skos:inScheme scheme:techniques ;
    skos:topConceptOf scheme:techniques ;
    skos:prefLabel "<script>alert('technique')</script>"@en ;
    skos:altLabel "' onmouseover='alert(1)"@en ;
    skos:definition "\\"><img src=x onerror=alert('definition')> javascript:alert(1)"@en .

scheme:evil-list a skos:ConceptScheme ;
    dcterms:source "evil.md" ;
    dcterms:title "<script>alert('list')</script>" ;
    skos:hasTopConcept <https://w3id.org/caikg/section/evil-list/evil> .

<https://w3id.org/caikg/section/evil-list/evil> a skos:Concept ;
    skos:inScheme scheme:evil-list ;
    skos:topConceptOf scheme:evil-list ;
    skos:notation "1" ;
    skos:prefLabel "<svg onload=alert('section')>"@en .

venue:evil a caikg:VenueSeries, schema:EventSeries ;
    schema:name "<script>alert('series')</script>" ;
    caikg:acronym "\\"><img src=x onerror=alert('acronym')>" ;
    schema:url <javascript:alert('series')> .

venue:evil-2024 a caikg:VenueEdition ;
    dcterms:date "2024"^^xsd:gYear ;
    dcterms:isPartOf venue:evil ;
    schema:name "' onmouseover='alert(1) 2024" .

venue:evilxiv a caikg:Repository ;
    schema:name "<iframe src=javascript:alert('repository')>" ;
    caikg:acronym "</title><script>alert('acronym')</script>" ;
    schema:url <data:text/html,%3Cscript%3Ealert(1)%3C/script%3E> .

person:mallory a foaf:Person, schema:Person ;
    schema:name "<script>alert('person')</script>" ;
    schema:alternateName "\\"><img src=x onerror=alert('alternate')>" ;
    schema:url <javascript:alert('person')> .

person:eve a foaf:Person, schema:Person ;
    schema:name "' onmouseover='alert(1)" .

paper:evil a fabio:ResearchPaper, schema:ScholarlyArticle ;
    bibo:status caikg:Published ;
    caikg:section <https://w3id.org/caikg/section/evil-list/evil> ;
    caikg:venue venue:evil-2024 ;
    dcterms:title "<script>alert('paper')</script>" ;
    dcterms:alternative "\\"><img src=x onerror=alert('alternative')>" ;
    dcterms:subject technique:evil ;
    fabio:hasPublicationYear "2024"^^xsd:gYear ;
    prov:qualifiedAttribution <https://w3id.org/caikg/paper/evil#author-1> ,
        <https://w3id.org/caikg/paper/evil#author-2> ;
    schema:author person:mallory, person:eve ;
    schema:url <https://example.org/'onmouseover='alert(1)'> .

<https://w3id.org/caikg/paper/evil#author-1> a prov:Attribution, caikg:Authorship ;
    caikg:ordinal "1"^^xsd:integer ;
    caikg:statedName "<script>alert('stated')</script>" ;
    prov:agent person:mallory .

<https://w3id.org/caikg/paper/evil#author-2> a prov:Attribution, caikg:Authorship ;
    caikg:ordinal "2"^^xsd:integer ;
    caikg:statedName "' onmouseover='alert(2)" ;
    prov:agent person:eve .

paper:evil-preprint a fabio:ResearchPaper, schema:ScholarlyArticle ;
    bibo:status caikg:Preprint ;
    caikg:venue venue:evilxiv ;
    caikg:section <https://w3id.org/caikg/section/evil-list/evil> ;
    dcterms:title "javascript:alert('preprint')" ;
    dcterms:subject technique:evil ;
    fabio:hasPublicationYear "2025"^^xsd:gYear ;
    caikg:arxivId "2401.00001" ;
    prov:qualifiedAttribution <https://w3id.org/caikg/paper/evil-preprint#author-1> ;
    schema:author person:eve ;
    schema:url <https://arxiv.org/abs/2401.00001> .

<https://w3id.org/caikg/paper/evil-preprint#author-1> a prov:Attribution, caikg:Authorship ;
    caikg:ordinal "1"^^xsd:integer ;
    caikg:statedName "Eve" ;
    prov:agent person:eve .
"""

HOSTILE_PAGES = {
    # path → a hostile label the page must show (as text, escaped in the markup)
    "/paper/evil": "<script>alert('paper')</script>",
    "/paper/evil-preprint": "javascript:alert('preprint')",
    "/person/mallory": "<script>alert('person')</script>",
    "/person/eve": "' onmouseover='alert(1)",
    "/venue/evil": "<script>alert('series')</script>",
    "/venue/evil-2024": "' onmouseover='alert(1) 2024",
    "/venue/evilxiv": "<iframe src=javascript:alert('repository')>",
    "/technique/evil": "<script>alert('technique')</script>",
    "/section/evil-list/evil": "<svg onload=alert('section')>",
    "/scheme/techniques": "<script>alert('scheme')</script>",
    "/scheme/evil-list": "<script>alert('list')</script>",
}
HOSTILE_SITE_PAGES = [
    "/",
    "/browse",
    "/browse?q=%3Cscript%3Ealert(1)%3C/script%3E",
    "/browse?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    "/browse?q=evil",
    "/ontology",
    "/downloads",
    "/sparql",
    "/examples",
    "/nope/%3Cscript%3Ealert(1)%3C/script%3E",
    "/paper/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
    "/person/%3Cscript%3Ealert(1)%3C%2Fscript%3E.ttl",
]
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg onload", "<iframe src=javascript",
               "</title><script>", "\"><img")
"""Injected markup that must never appear unescaped. (Text such as ``onerror=alert`` or
``' onmouseover='`` is harmless once the ``<`` and the quote of the enclosing attribute are
escaped; attribute injection is caught by parsing the page instead.)"""
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
"""Inline ``<script>`` elements allowed: data blocks, which browsers never execute."""
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data",
                  "background", "srcset"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    root = tmp_path_factory.mktemp("hostile")
    data = root / "hostile.ttl"
    data.write_text(HOSTILE_TTL, encoding="utf-8")
    settings = make_settings(root / "home", workers=1)
    build(settings, [data])
    hostile_store = EmbeddedStore.open(settings, in_memory=True)
    app = create_app(settings, store=hostile_store)
    yield app.test_client()
    app.extensions["caikg_executor"].close()


def markup_problems(path: str, body: str) -> list[str]:
    problems = [f"{path}: raw {marker!r} in the markup" for marker in RAW_MARKERS
                if marker in body]
    page = parse_html(body)
    for tag, attrs in page.tags:
        for name, value in attrs:
            if name.lower().startswith("on"):
                problems.append(f"{path}: <{tag}> has an event handler {name}={value!r}")
            if name.lower() in URL_ATTRIBUTES and value is not None:
                squeezed = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
                if squeezed.startswith(BAD_SCHEMES):
                    problems.append(f"{path}: <{tag} {name}={value!r}>")
        if tag in {"iframe", "embed", "object", "base"}:
            problems.append(f"{path}: unexpected <{tag}> element")
    for script, _ in page.scripts:
        kind = (script.get("type") or "").lower()
        if script.get("src") is None and kind not in DATA_SCRIPT_TYPES:
            problems.append(f"{path}: inline executable <script {script}>")
    return problems


def test_hostile_entity_pages_escape_everything(hostile_client: FlaskClient) -> None:
    problems: list[str] = []
    for path, label in HOSTILE_PAGES.items():
        resp = hostile_client.get(path)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            problems.append(f"{path}: {resp.status_code} {resp.content_type}")
            continue
        problems += check_security_headers(resp, path)
        body = resp.get_data(as_text=True)
        problems += markup_problems(path, body)
        if label not in parse_html(body).all_text:
            problems.append(f"{path}: the label {label!r} is not shown as text")
    assert not problems, "\n".join(problems)


def test_hostile_site_pages_escape_everything(hostile_client: FlaskClient) -> None:
    problems: list[str] = []
    for path in HOSTILE_SITE_PAGES:
        resp = hostile_client.get(path)
        if resp.status_code >= 500 or resp.mimetype != "text/html":
            problems.append(f"{path}: {resp.status_code} {resp.content_type}")
            continue
        problems += check_security_headers(resp, path)
        problems += check_no_redirect(resp, path)
        problems += markup_problems(path, resp.get_data(as_text=True))
    assert not problems, "\n".join(problems)


def test_hostile_twins_keep_the_data(hostile_client: FlaskClient) -> None:
    """The RDF twins carry the hostile text as data (escaped by the serialisers)."""
    for fmt in FORMATS:
        resp = hostile_client.get(f"/paper/evil.{fmt.ext}")
        assert resp.status_code == 200
        assert resp.mimetype == fmt.media_type
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        g = parse_rdf(resp, fmt, "https://w3id.org/caikg/paper/evil")
        titles = {str(o) for o in g.objects(URIRef("https://w3id.org/caikg/paper/evil"),
                                            DCTERMS.title)}
        assert titles == {"<script>alert('paper')</script>"}


@pytest.mark.parametrize("value", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
    "\tjavascript:alert(1)", "java\tscript:alert(1)", "java\nscript:alert(1)",
    "java\x00script:alert(1)", "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)", "file:///etc/passwd", "//evil.example/", "/relative",
    "", "   ", "https://x y", None, 42, b"https://x",
])
def test_safe_href_refuses(value: object) -> None:
    assert safe_href(value) is None


@pytest.mark.parametrize("value", [
    "https://x", "http://example.org/a?b=c#d", "mailto:a@b", "HTTPS://EXAMPLE.ORG/",
    "https://example.org/'onmouseover='alert(1)'",
])
def test_safe_href_keeps(value: str) -> None:
    assert safe_href(value) == value


@pytest.mark.parametrize("markup", [
    "<p><script>alert(1)</script></p>",
    '<a href="x" onmouseover="alert(1)">x</a>',
    "<a href=' javascript:alert(1)'>x</a>",
    '<a href="java&#9;script:alert(1)">x</a>',
    '<img src="data:text/html,x">',
    "<script>var a = 1;</script>",
    '<q>"><img src=x onerror=alert(1)></q>',
])
def test_markup_checker_catches_injection(markup: str) -> None:
    """The XSS checks above would notice an injection (they cannot pass vacuously)."""
    assert markup_problems("/test", markup)


def test_markup_checker_accepts_escaped_text() -> None:
    body = ('<p title="&#39; onmouseover=&#39;x">&lt;script&gt;alert(1)&lt;/script&gt; '
            '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</p>'
            '<script type="application/json">{"a": "\\u003cscript\\u003e"}</script>'
            '<script src="/static/js/x.js"></script><a href="https://x">x</a>')
    assert markup_problems("/test", body) == []
