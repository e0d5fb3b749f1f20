"""The paper and person pages, their BibTeX and co-authorship drawing (Flask test client)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from caikg.build.pipeline import BuildError, build
from caikg.config import Settings
from caikg.export.bibtex import bibtex_for, cite_key, latex_escape, protect_title
from caikg.rdf.sources import read_sources
from caikg.store.base import Term
from caikg.store.embedded import EmbeddedStore
from caikg.web.app import create_app
from caikg.web.filters import safe_href
from caikg.web.pages.paper import related_papers
from caikg.web.svg.network import network_svg
from tests.helpers.project import REPO, TESTS, make_settings, term_value
from tests.helpers.works import work_iris as works

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCHEMA = "https://schema.org/"
CAIKG = "https://w3id.org/caikg/ontology#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
SVG = "{http://www.w3.org/2000/svg}"


# -- fixtures and helpers -----------------------------------------------------------------
def objects(store: EmbeddedStore, subject: str, predicate: str) -> list[Term]:
    found: list[Term] = []
    for q in store._store.quads_for_pattern(
            ox.NamedNode(subject), ox.NamedNode(predicate), None, None):
        assert not isinstance(q.object, ox.Triple), q
        found.append(q.object)
    return found


def one(store: EmbeddedStore, subject: str, predicate: str) -> str | None:
    values = {o.value for o in objects(store, subject, predicate)}
    assert len(values) <= 1, (subject, predicate, values)
    return values.pop() if values else None


def path_of(store: EmbeddedStore, iri: str) -> str:
    base = store.instances.base
    assert iri.startswith(base)
    return "/" + iri[len(base):]


def ordered_authors(store: EmbeddedStore, work: str) -> list[str]:
    """Person IRIs of a work in author-list order, read from the quads (no SPARQL)."""
    entries = []
    for node in objects(store, work, PROV + "qualifiedAttribution"):
        ordinal = one(store, node.value, CAIKG + "ordinal")
        agent = one(store, node.value, PROV + "agent")
        assert ordinal is not None and agent is not None
        entries.append((int(ordinal), agent))
    return [agent for _, agent in sorted(entries)]


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by ``heading_id``."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    end = html.index("</section>", start)
    return html[start:end]


def page(client: FlaskClient, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, path
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def coauthor_counts(store: EmbeddedStore, person: str) -> dict[str, int]:
    """Co-author -> number of shared works, counted from the schema:author quads."""
    authors: dict[str, set[str]] = {}
    for q in store._store.quads_for_pattern(None, ox.NamedNode(SCHEMA + "author"), None, None):
        authors.setdefault(term_value(q.subject), set()).add(term_value(q.object))
    counts: Counter[str] = Counter()
    for people in authors.values():
        if person in people:
            counts.update(p for p in people if p != person)
    return dict(counts)


def check_bibtex(text: str) -> tuple[str, str, dict[str, str]]:
    """A minimal BibTeX parser: entry type, key and fields; asserts balanced braces."""
    depth = 0
    for i, c in enumerate(text):
        if c == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif c == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
        assert depth >= 0, text
    assert depth == 0, text
    m = re.match(r"@(\w+)\{([A-Za-z0-9]+),\n", text)
    assert m, text
    fields = dict(re.findall(r"^  (\w+)\s*= \{(.*)\},$", text, flags=re.MULTILINE))
    assert text.rstrip().endswith("}")
    return m.group(1), m.group(2), fields


# -- paper pages --------------------------------------------------------------------------
def test_every_paper_page(client: FlaskClient, store: EmbeddedStore) -> None:
    all_works = works(store)
    assert len(all_works) == 42
    for work in all_works:
        html = page(client, path_of(store, work))
        title = one(store, work, DCTERMS + "title")
        assert title is not None
        assert '<h1 id="paper-title">' in html
        # authors: every one linked, in the order of the data
        authors_html = section(html, "authors-heading")
        linked = re.findall(r'href="(/person/[^"]+)"', authors_html)
        assert linked == [path_of(store, p) for p in ordered_authors(store, work)], work
        # identifiers as links
        details = section(html, "details-heading")
        arxiv = one(store, work, CAIKG + "arxivId")
        if arxiv:
            assert f'href="https://arxiv.org/abs/{arxiv}"' in details
        doi = one(store, work, "http://purl.org/ontology/bibo/doi")
        if doi:
            assert f'href="https://doi.org/{doi}"' in details
        openreview = one(store, work, CAIKG + "openReviewId")
        if openreview:
            assert f'href="https://openreview.net/forum?id={openreview}"' in details
        url = one(store, work, SCHEMA + "url")
        assert url and f'href="{url.replace("&", "&amp;")}"' in details
        # techniques and the section, linked
        for technique in objects(store, work, DCTERMS + "subject"):
            assert f'href="{path_of(store, technique.value)}"' in details
        sect = one(store, work, CAIKG + "section")
        if sect:
            assert f'href="{path_of(store, sect)}"' in details
        venue = one(store, work, CAIKG + "venue")
        if venue is None:  # only when the record has the decision that ended its submission
            assert objects(store, work, CAIKG + "submission"), work
        else:
            assert f'href="{path_of(store, venue)}"' in details
        # related papers: never the paper itself
        related = section(html, "related-heading")
        assert f'href="{path_of(store, work)}"' not in related
        # the Cite block
        cite = section(html, "cite-heading")
        assert '<pre id="bibtex"' in cite
        assert f'href="{path_of(store, work)}.bib"' in cite
        assert 'data-copy-target="bibtex"' in cite


def test_paper_page_details(client: FlaskClient) -> None:
    html = page(client, "/paper/slora")
    assert ('<h1 id="paper-title">SLoRA: Scalable Serving of Thousands of LoRA Adapters</h1>'
            in html)
    assert "S-LoRA: Serving Thousands of Concurrent LoRA Adapters" in html  # alternative title
    # the printed name is shown where it differs from the person's name
    assert re.search(r'href="/person/joseph-e-gonzalez">Joseph E\. Gonzalez</a>\s*'
                     r'<span class="muted">\(printed as <q>Joseph Gonzalez</q>\)', html)
    details = section(html, "details-heading")
    assert 'href="/venue/mlsys-2024">MLSys 2024</a>' in details
    assert 'href="/venue/mlsys">' in details
    assert re.search(r"<dd>published<sup", details)  # label of caikg:Published, sourced
    assert 'href="/technique/lora-adapter-serving"' in details
    blog = page(client, "/paper/the-shift-from-models-to-compound")
    assert "Blog post" in blog and "No authors are listed" in blog
    review = page(client, "/paper/interfering-with-interference")
    assert "No authors are listed: The OpenReview forum" in review


def test_related_papers_are_ranked(client: FlaskClient, store: EmbeddedStore) -> None:
    authors_of = {w: set(ordered_authors(store, w)) for w in works(store)}
    techniques_of = {w: {t.value for t in objects(store, w, DCTERMS + "subject")}
                     for w in works(store)}
    for work in works(store):
        related = related_papers(store, ox.NamedNode(work))
        assert len(related) <= 10
        assert work not in {r.iri for r in related}
        scores = [r.score for r in related]
        assert scores == sorted(scores, reverse=True)
        for r in related:
            shared_a = authors_of[work] & authors_of[r.iri]
            shared_t = techniques_of[work] & techniques_of[r.iri]
            assert set(r.authors) == shared_a and set(r.techniques) == shared_t
            assert r.score == 2 * len(shared_a) + len(shared_t) > 0
        # nothing better was left out
        expected = sorted((2 * len(authors_of[work] & authors_of[o])
                           + len(techniques_of[work] & techniques_of[o])
                           for o in works(store) if o != work), reverse=True)
        expected = [s for s in expected if s > 0][:10]
        assert scores == expected, work
    html = section(page(client, "/paper/slora"), "related-heading")
    first = re.search(r'<li><a href="([^"]+)"', html)
    assert first and first.group(1) == "/paper/flexgen"
    # FlexGen's version of record (ICML 2023) lists 10 of the arXiv version's 14 authors; three
    # of them (Ying Sheng, Lianmin Zheng, Ion Stoica) also wrote S-LoRA
    assert "score 7: 3 shared authors" in html
    assert 'href="/person/ion-stoica"' in html  # the reason names the shared people


def test_enrichment_links(app: Flask, store: EmbeddedStore, built_settings: Settings) -> None:
    assert "Elsewhere" not in page(app.test_client(), "/paper/slora")
    graphs = {g: [q.triple for q in store.quads(g)] for g in store.named_graphs()}
    slora = store.instances.base + "paper/slora"
    gonzalez = store.instances.base + "person/joseph-e-gonzalez"
    enrichment = str(store.instances.enrichment_graph)
    graphs[enrichment] = [
        ox.Triple(ox.NamedNode(slora), ox.NamedNode(OWL_SAMEAS),
                  ox.NamedNode("http://www.wikidata.org/entity/Q123")),
        ox.Triple(ox.NamedNode("http://www.wikidata.org/entity/Q123"),
                  ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                  ox.Literal("S-LoRA <i>", language="en")),
        ox.Triple(ox.NamedNode(slora), ox.NamedNode("http://www.wikidata.org/prop/direct/P921"),
                  ox.NamedNode("http://www.wikidata.org/entity/Q777")),
        ox.Triple(ox.NamedNode("http://www.wikidata.org/entity/Q777"),
                  ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                  ox.Literal("low-rank adaptation", language="en")),
        ox.Triple(ox.NamedNode(slora), ox.NamedNode("http://www.wikidata.org/prop/direct/P577"),
                  ox.Literal("2024-05-13T00:00:00Z", datatype=ox.NamedNode(
                      "http://www.w3.org/2001/XMLSchema#dateTime"))),
        ox.Triple(ox.NamedNode(gonzalez), ox.NamedNode(OWL_SAMEAS),
                  ox.NamedNode("http://www.wikidata.org/entity/Q456")),
        ox.Triple(ox.NamedNode(gonzalez),
                  ox.NamedNode("http://www.wikidata.org/prop/direct/P496"),
                  ox.Literal("0000-0003-2921-956X")),
    ]
    # a sameAs outside the enrichment graph is not shown
    graphs[str(store.instances.curated_graph)].append(ox.Triple(
        ox.NamedNode(slora), ox.NamedNode(OWL_SAMEAS),
        ox.NamedNode("http://www.wikidata.org/entity/Q999")))
    enriched = EmbeddedStore.in_memory(graphs, store.instances.base)
    other = create_app(built_settings, store=enriched,
                       executor=app.extensions["caikg_executor"])
    client = other.test_client()
    html = section(page(client, "/paper/slora"), "elsewhere-heading")
    assert 'href="https://www.wikidata.org/wiki/Q123"' in html
    assert "Q123: S-LoRA &lt;i&gt;" in html
    assert '<span class="badge-wikidata">Wikidata</span>' in html
    assert "Q999" not in html
    # the other facts enrichment brought in, marked as coming from Wikidata
    assert "<dt>main subject</dt>" in html
    assert ('href="https://www.wikidata.org/wiki/Q777" rel="noopener">'
            "low-rank adaptation (Q777)") in html
    assert "<dt>publication date</dt>" in html and "<dd>2024-05-13</dd>" in html
    assert "from Wikidata" in html
    person = section(page(client, "/person/joseph-e-gonzalez"), "ids-heading")
    assert 'href="https://www.wikidata.org/wiki/Q456"' in person
    assert 'href="https://orcid.org/0000-0003-2921-956X"' in person
    assert "badge-wikidata" in person
    assert "Q123" not in person
    assert "ids-heading" not in page(app.test_client(), "/person/joseph-e-gonzalez")


# -- person pages -------------------------------------------------------------------------
def test_gonzalez_page(client: FlaskClient, store: EmbeddedStore) -> None:
    html = page(client, "/person/joseph-e-gonzalez")
    assert '<h1 id="person-name">Joseph E. Gonzalez</h1>' in html
    names = section(html, "names-heading")
    assert "Joseph Gonzalez" in names  # as S-LoRA's proceedings print it
    papers = section(html, "papers-heading")
    assert 'href="/paper/slora"' in papers
    # the reading list named him among FlexGen's (arXiv) authors; its version of record
    # (ICML 2023) does not, so the record keeps that as history only
    assert 'href="/paper/flexgen"' not in papers
    assert 'href="/venue/mlsys-2024"' in papers and "author 11 of 12" in papers
    venues = section(html, "venues-heading")
    assert 'href="/venue/mlsys"' in venues and 'href="/venue/icml"' not in venues
    flexgen = page(client, "/paper/flexgen")
    listed = section(flexgen, "authors-heading")
    assert "The reading list also named" in listed and "Joseph E. Gonzalez" in listed


@pytest.mark.parametrize("slug", ["joseph-e-gonzalez", "ion-stoica", "ying-sheng"])
def test_coauthor_counts(client: FlaskClient, store: EmbeddedStore, slug: str) -> None:
    person = store.instances.base + "person/" + slug
    html = section(page(client, f"/person/{slug}"), "coauthors-heading")
    shown = {href: int(n) for href, n in re.findall(
        r'<tr><td><a href="(/person/[^"]+)">[^<]*</a></td><td>(\d+)</td></tr>', html)}
    expected = {path_of(store, p): n for p, n in coauthor_counts(store, person).items()}
    assert shown == expected
    assert shown, "a person with papers has co-authors"


def test_network_svg_on_person_page(client: FlaskClient, store: EmbeddedStore) -> None:
    html = page(client, "/person/ion-stoica")
    m = re.search(r"<svg.*?</svg>", html, flags=re.DOTALL)
    assert m
    root = ET.fromstring(m.group(0))
    # a named group, not an image: an image's links are hidden from assistive technology
    assert root.get("role") == "group" and root.get("aria-label")
    desc = root.find(f"{SVG}desc")
    assert desc is not None and root.get("aria-describedby") == desc.get("id")
    # every co-author link is in the Tab order and named by its <title>
    assert all(a.get("tabindex") is None and (a.findtext(f"{SVG}title") or "").strip()
               for a in root.iter(f"{SVG}a"))
    assert root.get("viewBox")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    coauthors = {path_of(store, p) for p in
                 coauthor_counts(store, store.instances.base + "person/ion-stoica")}
    assert links and links <= coauthors
    assert len(links) == min(len(coauthors), 24)
    assert "/person/ion-stoica" not in links


def test_network_svg_escapes_everything() -> None:
    nasty = ["<script>alert(1)</script>", 'say "hi" & \'bye\'', "bell\x07\x00\x1b[0m",
             "]]> <!-- x -->", "Zoë \u202e\ufffe", "&amp;"]
    nodes = [("c", "Centre <b>", 3)] + [(f"n{i}", label, i + 1) for i, label in enumerate(nasty)]
    edges = [("n0", "n1", 2), ("n1", "n2", 1), ("n2", "missing", 1), ("c", "n3", 1)]
    hrefs = {"n0": "/person/a", "n1": "javascript:alert(1)", "n2": '/p?a="b"&c=<d>',
             "n3": "//evil.example/", "n4": "https://example.org/x"}
    svg = network_svg("c", nodes, edges, hrefs.get)
    root = ET.fromstring(svg)  # well-formed
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Centre <b>" in texts and "<script>alert(1)</script>"[:17] + "…" in texts
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert "javascript:alert(1)" not in links and "//evil.example/" not in links
    assert '/p?a="b"&c=<d>' in links and "/person/a" in links
    assert "<script>" not in svg
    # deterministic
    assert network_svg("c", nodes, edges, hrefs.get) == svg
    # capped
    many = [("c", "C", 1)] + [(f"p{i}", f"Person {i}", i % 5) for i in range(60)]
    capped = ET.fromstring(network_svg("c", many, [], lambda _i: None, max_nodes=25))
    assert len(list(capped.iter(f"{SVG}circle"))) == 25


# -- BibTeX -------------------------------------------------------------------------------
def test_bibtex_published(store: EmbeddedStore) -> None:
    kind, key, fields = check_bibtex(bibtex_for(store, store.instances.base + "paper/slora")
                                     or "")
    assert (kind, key) == ("inproceedings", "sheng2024slora")
    assert fields["title"] == "{SLoRA}: Scalable Serving of Thousands of {LoRA} Adapters"
    authors = fields["author"].split(" and ")
    assert authors[0] == "Ying Sheng" and authors[-1] == "Ion Stoica" and len(authors) == 12
    assert "Joseph Gonzalez" in authors  # the name as printed in this paper
    assert fields["year"] == "2024"
    assert "MLSys 2024" in fields["booktitle"]
    kind, key, fields = check_bibtex(bibtex_for(store, store.instances.base + "paper/metagpt")
                                     or "")
    assert key == "hong2024metagpt" and fields["title"].startswith("{MetaGPT}:")
    assert "Jürgen Schmidhuber" in fields["author"]  # UTF-8 kept
    kind, _, fields = check_bibtex(bibtex_for(
        store, store.instances.base + "paper/large-language-models-for-software-engineering")
        or "")
    assert kind == "article" and "Software Engineering" in fields["journal"]
    _, _, fields = check_bibtex(bibtex_for(store, store.instances.base + "paper/alto") or "")
    assert fields["doi"] == "10.1145/3642970.3655844"


@pytest.fixture(scope="module")
def list_store() -> EmbeddedStore:
    """The reading list alone, without the curated record: what the list stated in 2024."""
    base = "https://w3id.org/caikg/"
    return EmbeddedStore.in_memory(
        {base + "graph/curated": read_sources([REPO / "data"]).triples}, base)


def test_bibtex_preprint_review_blog(list_store: EmbeddedStore) -> None:
    store = list_store
    base = store.instances.base + "paper/"
    kind, key, fields = check_bibtex(bibtex_for(store, base + "turborag") or "")
    assert (kind, key) == ("misc", "lu2024turborag")
    assert fields["eprint"] == "2410.07590" and fields["archivePrefix"] == "arXiv"
    kind, _, fields = check_bibtex(bibtex_for(store, base + "tpi-llm") or "")
    assert kind == "misc" and fields["note"] == "Under review at ICLR 2025"
    assert "author" not in fields
    assert fields["url"] == "https://openreview.net/forum?id=0cadcLKbt7"
    kind, _, fields = check_bibtex(bibtex_for(
        store, base + "improving-planning-with-large-language-models") or "")
    assert kind == "misc" and fields["note"] == "In submission to ICLR 2025"
    kind, key, fields = check_bibtex(bibtex_for(store, base + "the-shift-from-models-to-compound")
                                     or "")
    assert (kind, key) == ("misc", "shift2024")
    assert fields["howpublished"] == (
        r"\url{https://bair.berkeley.edu/blog/2024/02/18/compound-ai-systems/}")
    for work in works(store):
        check_bibtex(bibtex_for(store, work) or "")
    assert bibtex_for(store, store.instances.base + "person/ion-stoica") is None
    assert bibtex_for(store, store.instances.base + "paper/no-such-paper") is None


def test_bibtex_follows_the_curated_record(store: EmbeddedStore) -> None:
    """Where the record says a preprint was published, the entry cites the version of record
    (its venue, authors and landing page)."""
    base = store.instances.base + "paper/"
    kind, key, fields = check_bibtex(bibtex_for(store, base + "turborag") or "")
    assert (kind, key) == ("inproceedings", "lu2025turborag")
    assert "EMNLP 2025" in fields["booktitle"]
    assert fields["url"] == "https://aclanthology.org/2025.emnlp-main.334"
    kind, _, fields = check_bibtex(bibtex_for(store, base + "tpi-llm") or "")
    assert kind == "article" and fields["journal"] == "IEEE Transactions on Services Computing"
    assert fields["doi"] == "10.1109/tsc.2025.3596892" and "Zonghang Li" in fields["author"]
    kind, _, fields = check_bibtex(bibtex_for(store, base + "layerkv") or "")
    assert kind == "misc" and fields["eprint"] == "2410.00428"
    for work in works(store):
        check_bibtex(bibtex_for(store, work) or "")


def test_bibtex_helpers() -> None:
    assert latex_escape(r"a & b % c $ d # e _ f { g } h ~ i ^ j \ k") == (
        r"a \& b \% c \$ d \# e \_ f \{ g \} h \textasciitilde{} i \textasciicircum{} j "
        r"\textbackslash{} k")
    assert protect_title("KV caches for LLMs: a {study}") == (
        r"{KV} caches for {LLMs}: a \{study\}")
    assert cite_key("Müller-Lüdenscheidt", "2024", "The Ünicode paper") == (
        "mullerludenscheidt2024unicode")
    assert cite_key(None, "2024", "A survey") == "survey2024"


def test_bib_download(client: FlaskClient, store: EmbeddedStore) -> None:
    resp = client.get("/paper/slora.bib")
    assert resp.status_code == 200
    assert resp.mimetype == "application/x-bibtex"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="slora.bib"'
    assert resp.get_data(as_text=True) == bibtex_for(store, store.instances.base + "paper/slora")
    assert client.get("/person/ion-stoica.bib").status_code == 404


# -- safety -------------------------------------------------------------------------------
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\b(?:src=|type="application/(?:ld\+)?json"))[^>]*>',
                           flags=re.IGNORECASE)
"""A ``<script>`` that would run inline: neither loaded (``src``) nor a data block (JSON, the
JSON-LD of entity pages), which the CSP lets be."""


def assert_safe_markup(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), "inline <script>"
    assert "javascript:" not in html.lower()
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_pages_have_no_inline_script(client: FlaskClient, store: EmbeddedStore) -> None:
    people = {p for w in works(store) for p in ordered_authors(store, w)}
    for iri in [*works(store), *sorted(people)]:
        assert_safe_markup(page(client, path_of(store, iri)))
    html = page(client, "/paper/slora")
    assert '<script src="/static/js/copy.js" defer></script>' in html
    assert client.get("/static/js/copy.js").status_code == 200


def test_xss_is_escaped(tmp_path: Path, app: Flask) -> None:
    source = (TESTS / "shapes" / "scholarlyarticle-valid.ttl").read_text("utf-8")
    header = source[: source.index("person:ada-example")]
    evil = header + '''
person:img-src-x-onerror-alert-1 a schema:Person , foaf:Person ;
    schema:name "\\"><img src=x onerror=alert(1)>" .

person:bo-sample a schema:Person , foaf:Person ;
    schema:name "Bo & <b>Sample</b>" .

paper:script-alert-1-script a schema:ScholarlyArticle , fabio:ResearchPaper ;
    dcterms:title "<script>alert(1)</script>" ;
    dcterms:alternative "Evil & \\"quoted\\" {title} 100% $x$ #1 a_b ~ ^ \\\\" ;
    schema:url <https://example.org/a?b=1&c=%3Cx%3E> ;
    fabio:hasPublicationYear "2024"^^xsd:gYear ;
    bibo:status caikg:Published ;
    caikg:venue venue:osdi-2024 ;
    dcterms:subject technique:request-scheduling ;
    schema:author person:img-src-x-onerror-alert-1 , person:bo-sample ;
    prov:qualifiedAttribution <https://w3id.org/caikg/paper/script-alert-1-script#author-1> ,
        <https://w3id.org/caikg/paper/script-alert-1-script#author-2> .

<https://w3id.org/caikg/paper/script-alert-1-script#author-1>
    a caikg:Authorship , prov:Attribution ;
    prov:agent person:img-src-x-onerror-alert-1 ;
    caikg:ordinal "1"^^xsd:integer ;
    caikg:statedName "<svg onload=alert(1)>" .

<https://w3id.org/caikg/paper/script-alert-1-script#author-2>
    a caikg:Authorship , prov:Attribution ;
    prov:agent person:bo-sample ;
    caikg:ordinal "2"^^xsd:integer ;
    caikg:statedName "Bo & <b>Sample</b>" .
'''
    data = tmp_path / "evil.ttl"
    data.write_text(evil, encoding="utf-8")
    settings = make_settings(tmp_path / "home")
    build(settings, [data])
    tiny = EmbeddedStore.open(settings, in_memory=True)
    evil_app = create_app(settings, store=tiny, executor=app.extensions["caikg_executor"])
    client = evil_app.test_client()

    paper_html = page(client, "/paper/script-alert-1-script")
    assert "<script>alert(1)" not in paper_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in paper_html
    assert "<img src=x" not in paper_html and "<svg onload" not in paper_html
    assert "&lt;svg onload=alert(1)&gt;" in paper_html  # printed name, escaped
    assert "<b>Sample</b>" not in paper_html
    # the names as text: escaped in the markup, and in the JSON-LD (``<``, ``>`` as \u003c…)
    assert_safe_markup(paper_html.replace("onerror=alert(1)&gt;", "").replace(
        "onload=alert(1)&gt;", "").replace("onerror=alert(1)\\u003e", "").replace(
        "onload=alert(1)\\u003e", ""))
    person_html = page(client, "/person/img-src-x-onerror-alert-1")
    assert "<img src=x" not in person_html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in person_html
    svg = re.search(r"<svg.*?</svg>", person_html, flags=re.DOTALL)
    assert svg is not None
    ET.fromstring(svg.group(0))
    assert "<b>" not in svg.group(0)
    kind, _, fields = check_bibtex(bibtex_for(tiny, tiny.instances.base
                                              + "paper/script-alert-1-script") or "")
    assert kind == "inproceedings"
    assert r"Bo \& <b>Sample</b>" in fields["author"]

    # a javascript: link is refused by SHACL, and would never become a link anyway
    data.write_text(evil.replace("https://example.org/a?b=1&c=%3Cx%3E", "javascript:alert(1)"),
                    encoding="utf-8")
    with pytest.raises(BuildError):
        build(make_settings(tmp_path / "home2"), [data])
    assert safe_href("javascript:alert(1)") is None
    assert safe_href(" JavaScript:alert(1)") is None
    assert safe_href("java\nscript:alert(1)") is None
    assert safe_href("https://example.org/") == "https://example.org/"


# -- the queries behind the pages ---------------------------------------------------------
PAPER_QUERIES = ["paper_facts", "paper_alternative_titles", "paper_authors", "paper_techniques",
                 "paper_related"]
PERSON_QUERIES = ["person_names", "person_papers", "person_coauthor_counts",
                  "person_coauthor_links", "person_venues"]


@pytest.mark.parametrize("name", PAPER_QUERIES + PERSON_QUERIES)
def test_queries_return_only_the_bound_entity(store: EmbeddedStore, name: str) -> None:
    """A binding restricts the rows (Oxigraph joins substitutions with the solutions: a
    variable missing from a pattern would silently match everything)."""
    from caikg import queries

    query = queries.load(name)
    assert query.title and query.description and not query.example
    var, slugs = (("paper", ["slora", "tpi-llm", "the-shift-from-models-to-compound"])
                  if name.startswith("paper_") else
                  ("person", ["joseph-e-gonzalez", "ion-stoica", "ying-sheng"]))
    total = 0
    for slug in slugs:
        node = ox.NamedNode(f"{store.instances.base}{var}/{slug}")
        rows = store.select(name, default_graphs=None, **{var: node})
        assert all(row[var] == node for row in rows), (name, slug)
        total += len(rows)
    assert total > 0, name
    nobody = ox.NamedNode(f"{store.instances.base}{var}/no-such-{var}")
    assert store.select(name, default_graphs=None, **{var: nobody}) == []


def test_enrichment_queries_need_the_graph(store: EmbeddedStore) -> None:
    slora = ox.NamedNode(store.instances.base + "paper/slora")
    curated = ox.NamedNode(str(store.instances.curated_graph))
    enrichment = ox.NamedNode(str(store.instances.enrichment_graph))
    assert store.select("paper_enrichment_links", paper=slora, graph=enrichment) == []
    rows = store.select("paper_enrichment_links", paper=slora, graph=curated)
    assert all(r["paper"] == slora and r["graph"] == curated for r in rows)


@pytest.mark.parametrize("iri", ["https://w3id.org/caikg/paper/a b",
                                 'https://w3id.org/caikg/person/"><img src=x>'])
def test_views_refuse_non_iris(store: EmbeddedStore, iri: str) -> None:
    from caikg.web.pages.paper import paper_page
    from caikg.web.pages.person import person_page

    assert paper_page(store, iri) is None
    assert person_page(store, iri) is None
    assert bibtex_for(store, iri) is None


def test_a_prolific_persons_papers_are_paginated(client: FlaskClient, store: EmbeddedStore,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from caikg.web.pages import person as person_view

    slug = "ion-stoica"
    everything = section(page(client, f"/person/{slug}"), "papers-heading")
    all_links = re.findall(r'<li><a href="(/paper/[^"]+)"', everything)
    assert len(all_links) >= 3 and "pager" not in everything  # one page: no pager
    monkeypatch.setattr(person_view, "PAGE_SIZE", 2)
    shown: list[str] = []
    pages = -(-len(all_links) // 2)
    for n in range(1, pages + 1):
        html = section(page(client, f"/person/{slug}?page={n}"), "papers-heading")
        links = re.findall(r'<li><a href="(/paper/[^"]+)"', html)
        assert len(links) == (2 if n < pages else len(all_links) - 2 * (pages - 1))
        assert f"Papers {2 * n - 1}–{2 * n - 2 + len(links)} of {len(all_links)}" in html
        assert ('rel="next"' in html) == (n < pages) and ('rel="prev"' in html) == (n > 1)
        shown += links
    assert shown == all_links  # every paper once, in the same order
    # anything but a page number shows the first page; past the end, the last
    first = section(page(client, f"/person/{slug}?page=x"), "papers-heading")
    assert re.findall(r'<li><a href="(/paper/[^"]+)"', first) == all_links[:2]
    last = section(page(client, f"/person/{slug}?page=999"), "papers-heading")
    assert re.findall(r'<li><a href="(/paper/[^"]+)"', last) == all_links[2 * (pages - 1):]
