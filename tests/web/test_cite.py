"""Citing from the web: the citation twins of papers and techniques (BibTeX, RIS, CSL-JSON),
the records of a browse result and of the dataset, the formatted references in APA, IEEE and
ACM (``…/cite``), how pages advertise them, and the "Cite this dataset" block (Flask test
client over the shipped data)."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
import rispy
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from caikg.store.embedded import EmbeddedStore
from caikg.web.pages import browse as browse_model
from caikg.web.pages import citations as citation_model

RECORDS = {"bib": "application/x-bibtex", "ris": "application/x-research-info-systems",
           "csl.json": "application/vnd.citationstyles.csl+json"}
STYLES = ("apa", "ieee", "acm")
PAPER = "/paper/metagpt"
TECHNIQUE = "/technique/kv-cache-reuse"


class Html(HTMLParser):
    """``<link rel=alternate>`` tags, links (href → text) and the text of ``csl-entry``s."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.alternates: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self.entries: list[str] = []
        self._a: str | None = None
        self._entry: list[str] | None = None
        self._text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and "alternate" in (a.get("rel") or "").split():
            self.alternates[a.get("href") or ""] = a.get("type") or ""
        if tag == "a" and a.get("href"):
            self._a, self._text = a["href"], []
        if tag == "p" and "csl-entry" in (a.get("class") or "").split():
            self._entry = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._a is not None:
            self.links.append((self._a, "".join(self._text)))
            self._a = None
        if tag == "p" and self._entry is not None:
            self.entries.append("".join(self._entry).strip())
            self._entry = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._entry is not None:
            self._entry.append(data)


def link_alternates(resp: TestResponse) -> dict[str, str]:
    return dict(re.findall(r'<([^>]*)>; rel="alternate"; type="([^"]*)"',
                           resp.headers.get("Link", "")))


def get(client: FlaskClient, url: str, **headers: str) -> TestResponse:
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return resp


def titles(resp: TestResponse) -> list[str]:
    """The titles of a CSL-JSON answer, in order."""
    return [item["title"] for item in json.loads(resp.get_data(as_text=True))]


def section(text: str, heading_id: str) -> str:
    m = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', text, re.S)
    assert m, heading_id
    return m.group(1)


# -- twins of papers and techniques ----------------------------------------------------------
@pytest.mark.parametrize("path", [PAPER, TECHNIQUE])
def test_citation_twins(client: FlaskClient, path: str) -> None:
    slug = path.rsplit("/", 1)[1]
    for ext, media_type in RECORDS.items():
        for accept in (None, "text/html", "text/turtle"):  # a suffix wins over Accept
            resp = get(client, f"{path}.{ext}", **({"Accept": accept} if accept else {}))
            assert resp.mimetype == media_type
        assert resp.headers["Content-Disposition"] == f'attachment; filename="{slug}.{ext}"'
        assert link_alternates(resp)[f"{path}.{ext}"] == media_type
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    entries = rispy.loads(get(client, f"{path}.ris").get_data(as_text=True))
    items = json.loads(get(client, f"{path}.csl.json").get_data(as_text=True))
    bib = get(client, f"{path}.bib").get_data(as_text=True)
    assert [e["title"] for e in entries] == [i["title"] for i in items]
    assert [e["id"] for e in entries] == [i["id"] for i in items] == re.findall(
        r"^@\w+\{(\w+),$", bib, re.M)
    if path == PAPER:
        assert len(items) == 1 and items[0]["type"] == "paper-conference"
        assert entries[0]["type_of_reference"] == "CPAPER"


def test_every_paper_has_citation_twins(client: FlaskClient, store: EmbeddedStore) -> None:
    paths = sorted({link for link, _ in Html(get(client, "/browse").get_data(
        as_text=True)).links if link.startswith("/paper/")})
    assert len(paths) == 42
    for path in paths:
        entry, = rispy.loads(get(client, f"{path}.ris").get_data(as_text=True))
        item, = json.loads(get(client, f"{path}.csl.json").get_data(as_text=True))
        assert entry["title"] == item["title"] and entry["id"] == item["id"]
        assert len(entry.get("authors", [])) == len(item.get("author", []))


@pytest.mark.parametrize("path", [PAPER, TECHNIQUE])
def test_pages_advertise_their_citations(client: FlaskClient, path: str) -> None:
    resp = get(client, path, Accept="text/html")
    page = Html(resp.get_data(as_text=True))
    for ext, media_type in RECORDS.items():
        assert link_alternates(resp)[f"{path}.{ext}"] == media_type
        assert page.alternates[f"{path}.{ext}"] == media_type
        assert f"{path}.{ext}" in dict(page.links)
    for style in STYLES:
        assert f"{path}/cite?style={style}" in dict(page.links)
        assert f"{path}/cite?style={style}&format=text" in dict(page.links)
    if path == PAPER:  # in the page's Cite section
        cite = section(resp.get_data(as_text=True), "cite-heading")
        assert f'href="{path}.ris"' in cite and f'href="{path}/cite?style=ieee"' in cite


def test_other_pages_have_no_citation_twins(client: FlaskClient) -> None:
    resp = get(client, "/person/sirui-hong")
    assert not [h for h in link_alternates(resp) if h.endswith((".ris", ".bib", ".csl.json"))]
    for ext in RECORDS:
        assert client.get(f"/person/sirui-hong.{ext}").status_code == 404
    assert client.get("/paper/no-such-paper.ris").status_code == 404
    assert client.get("/person/sirui-hong/cite").status_code == 404
    assert client.get("/paper/no-such-paper/cite").status_code == 404
    assert client.get("/person/sirui-hong",
                      headers={"Accept": RECORDS["ris"]}).status_code == 406


@pytest.mark.parametrize("path", [PAPER, TECHNIQUE])
@pytest.mark.parametrize("ext", list(RECORDS))
def test_content_negotiation(client: FlaskClient, path: str, ext: str) -> None:
    resp = get(client, path, Accept=f"text/html;q=0.5, {RECORDS[ext]}")
    assert resp.mimetype == RECORDS[ext]
    assert resp.headers["Content-Location"] == f"{path}.{ext}"
    assert "Accept" in resp.headers["Vary"]
    assert resp.get_data() == get(client, f"{path}.{ext}").get_data()
    assert get(client, path, Accept="*/*").mimetype == "text/html"


# -- formatted references --------------------------------------------------------------------
def test_formatted_references_of_a_paper(client: FlaskClient) -> None:
    texts = {}
    for style in STYLES:
        resp = get(client, f"{PAPER}/cite?style={style}")
        assert resp.mimetype == "text/html" and "Accept" in resp.headers["Vary"]
        page = Html(resp.get_data(as_text=True))
        entry, = page.entries
        text = get(client, f"{PAPER}/cite?style={style}&format=text")
        assert text.mimetype == "text/plain"
        assert text.get_data(as_text=True) == entry + "\n"
        assert get(client, f"{PAPER}/cite?style={style}",
                   Accept="text/plain").get_data() == text.get_data()
        texts[style] = entry
        assert page.alternates == {f"{PAPER}.{e}": t for e, t in RECORDS.items()}
        links = dict(page.links)
        for ext in RECORDS:  # the records to import
            assert f"{PAPER}.{ext}" in links
        for other in STYLES:  # and the other styles, the current one marked
            assert f"{PAPER}/cite?style={other}" in links
        assert f'href="{PAPER}/cite?style={style}" aria-current="page"' in resp.get_data(
            as_text=True)
    assert texts["apa"].startswith("Hong, S., Zhuge, M., ") and "(2024). MetaGPT:" in texts["apa"]
    assert texts["ieee"].startswith("[1] S. Hong et al., “MetaGPT:")
    assert texts["acm"].startswith("[1] Sirui Hong, Mingchen Zhuge, ") and ". 2024. MetaGPT:" \
        in texts["acm"]
    # APA is the default
    assert get(client, f"{PAPER}/cite?format=text").get_data(as_text=True) == texts["apa"] + "\n"


@pytest.mark.parametrize("url", [f"{PAPER}/cite?style=chicago", f"{TECHNIQUE}/cite?style=",
                                 "/browse/cite?style=APA7", "/downloads/cite?style=nature"])
def test_a_bad_style_is_400(client: FlaskClient, url: str) -> None:
    resp = client.get(url)
    assert resp.status_code == 400 and resp.mimetype == "text/plain"
    message = resp.get_data(as_text=True)
    assert "parameter 'style' must be one of apa, ieee, acm" in message
    assert resp.headers["Cache-Control"] == "no-store"


def test_a_bad_format_is_400_and_406(client: FlaskClient) -> None:
    resp = client.get(f"{PAPER}/cite?style=apa&format=pdf")
    assert resp.status_code == 400
    assert "parameter 'format' must be one of html, text" in resp.get_data(as_text=True)
    assert client.get(f"{PAPER}/cite", headers={"Accept": "application/pdf"}).status_code == 406


def test_formatted_references_are_cached_per_representation(client: FlaskClient) -> None:
    html_resp = get(client, f"{TECHNIQUE}/cite?style=ieee")
    text_resp = get(client, f"{TECHNIQUE}/cite?style=ieee", Accept="text/plain")
    assert html_resp.headers["ETag"] != text_resp.headers["ETag"]
    again = client.get(f"{TECHNIQUE}/cite?style=ieee",
                       headers={"Accept": "text/plain", "If-None-Match": text_resp.headers["ETag"]})
    assert again.status_code == 304


# -- what a technique, a search and the dataset cite -------------------------------------------
def listed(text: str, container: str) -> list[str]:
    """Titles of the papers a page lists in ``container`` (``<ul class="papers">`` …)."""
    m = re.search(rf'<(ul|ol) class="{container}"[^>]*>(.*?)</\1>', text, re.S)
    assert m, container
    return [html.unescape(t) for t in re.findall(r'<a (?:class="title" )?href="/paper/[^"]+">'
                                                  r"([^<]*)</a>", m.group(2))]


def test_technique_exports_contain_exactly_its_papers(client: FlaskClient) -> None:
    scheme = get(client, "/scheme/techniques").get_data(as_text=True)
    paths = sorted(set(re.findall(r'href="(/technique/[^"/.]+)"', scheme)))
    assert len(paths) > 10
    for path in paths:
        resp = get(client, path)
        if '<ul class="papers">' not in resp.get_data(as_text=True):
            assert titles(get(client, f"{path}.csl.json")) == []  # no paper on it yet
            continue
        shown = listed(resp.get_data(as_text=True), "papers")
        assert shown, path
        assert titles(get(client, f"{path}.csl.json")) == shown
        ris_titles = [e["title"] for e in rispy.loads(get(client, f"{path}.ris").get_data(
            as_text=True))]
        assert ris_titles == shown
        text = get(client, f"{path}/cite?style=ieee&format=text").get_data(as_text=True)
        refs = [r for r in text.split("\n\n") if r.strip()]
        assert len(refs) == len(shown)
        for title in shown:
            assert sum(title in r for r in refs) >= 1, title


@pytest.mark.parametrize("query", ["q=serving", "technique=kv-cache-reuse&year=2025",
                                   "status=preprint", "q=lora&venue=osdi&venue=mlsys", ""])
def test_browse_exports_contain_exactly_the_results(client: FlaskClient, query: str) -> None:
    resp = get(client, f"/browse?{query}")
    shown = listed(resp.get_data(as_text=True), "results")
    assert shown, query
    assert titles(get(client, f"/browse.csl.json?{query}")) == shown
    entries = rispy.loads(get(client, f"/browse.ris?{query}").get_data(as_text=True) or "")
    assert [e["title"] for e in entries] == shown
    bib = get(client, f"/browse.bib?{query}").get_data(as_text=True)
    assert len(re.findall(r"^@\w+\{", bib, re.M)) == len(shown)
    # advertised by the page, with the same search
    suffix = f"?{query}" if query else ""
    for ext, media_type in RECORDS.items():
        assert link_alternates(resp)[f"/browse.{ext}{suffix}"] == media_type
        assert Html(resp.get_data(as_text=True)).alternates[f"/browse.{ext}{suffix}"] == \
            media_type
    apa = get(client, f"/browse/cite?{query}&style=apa&format=text").get_data(as_text=True)
    assert len([r for r in apa.split("\n\n") if r.strip()]) == len(shown)


def test_browse_exports_hold_every_page(client: FlaskClient,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browse_model, "PAGE_SIZE", 10)
    shown: list[str] = []
    for page in range(1, 6):
        shown += listed(get(client, f"/browse?q=a&page={page}").get_data(as_text=True),
                        "results")
    assert len(shown) > 10
    assert titles(get(client, "/browse.csl.json?q=a&page=2")) == shown


def test_formatting_a_long_list_is_capped(client: FlaskClient,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(citation_model, "MAX_FORMATTED", 3)
    text = get(client, "/browse/cite?q=the&style=acm&format=text")
    assert text.headers["X-CAIKG-Result-Truncated"] == "true"
    assert len([r for r in text.get_data(as_text=True).split("\n\n") if r.strip()]) == 3
    page = get(client, "/browse/cite?q=the&style=acm")
    assert len(Html(page.get_data(as_text=True)).entries) == 3
    assert "Only the first 3 of" in page.get_data(as_text=True)
    assert len(titles(get(client, "/browse.csl.json?q=the"))) > 3  # the records hold all


def test_cite_this_dataset(client: FlaskClient, store: EmbeddedStore) -> None:
    resp = get(client, "/downloads")
    text = resp.get_data(as_text=True)
    block = section(text, "cite-dataset")
    info = store.info
    assert info is not None
    assert f"<code>{info.version}</code>" in block
    assert info.built_at[:10] in block
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in block
    entries = Html(block).entries
    assert [e.split(":", 1)[0] for e in entries] == ["APA (7th edition)", "IEEE", "ACM"]
    assert entries[0].endswith(f"(Version {info.version}) [Dataset]. {store.instances.base}")
    assert "@misc{caikg" in block
    for ext, media_type in RECORDS.items():
        assert link_alternates(resp)[f"/downloads.{ext}"] == media_type
        record = get(client, f"/downloads.{ext}")
        assert record.mimetype == media_type
        assert record.headers["Content-Disposition"] == f'attachment; filename="caikg.{ext}"'
    item, = json.loads(get(client, "/downloads.csl.json").get_data(as_text=True))
    assert (item["type"], item["version"]) == ("dataset", info.version)
    entry, = rispy.loads(get(client, "/downloads.ris").get_data(as_text=True))
    assert entry["type_of_reference"] == "DATA" and entry["authors"] == ["The caikg contributors"]
    ieee = get(client, "/downloads/cite?style=ieee&format=text").get_data(as_text=True)
    assert ieee.startswith("[1] The caikg contributors") and "Compound AI Knowledge Graph" in ieee
    assert get(client, "/downloads.ttl").mimetype == "text/turtle"  # the page's RDF twin stays
