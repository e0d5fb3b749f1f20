"""What a reference manager's browser connector reads, in a real browser: Debian's Chromium
driven by Playwright against a real ``caikg serve`` (as tests/web/test_browser.py, whose page
watcher is reused: no console errors, failed requests or CSP violations).

A connector reads ``citation_*`` meta tags with ``document.querySelectorAll`` in document order
and COinS from ``span.Z3988``; the JSON-LD data block must not trip the Content-Security-Policy
(it is data, never run).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from caikg.config import Settings
from caikg.store.embedded import EmbeddedStore
from tests.helpers.servers import caikg_server
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, Watch, open_page
from tests.web.test_discovery import works

pytestmark = pytest.mark.system  # a real browser and server: make test, not make check

READ_CITATION_TAGS = """
() => Array.from(document.querySelectorAll('meta[name^="citation_"]'))
           .map(m => [m.getAttribute('name'), m.getAttribute('content'),
                      m.parentElement.tagName])
"""
"""The ``citation_*`` tags in document order, as Zotero's Embedded Metadata translator and
Google Scholar read them (with the element each sits in)."""
READ_COINS = """
() => Array.from(document.querySelectorAll('span.Z3988')).map(s => {
  const co = new URLSearchParams(s.getAttribute('title'));
  return {ids: co.getAll('rft_id'), authors: co.getAll('rft.au').concat(co.getAll('rft.creator')),
          title: co.get('rft.atitle') || co.get('rft.title')};
})
"""
READ_JSONLD = """
() => Array.from(document.querySelectorAll('script[type="application/ld+json"]'))
           .map(s => JSON.parse(s.textContent))
"""


@pytest.fixture(scope="module")
def server(built_settings: Settings) -> Iterator[str]:
    with caikg_server(built_settings.home) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    p: Playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[tuple[Page, Watch]]:
    pg, watch = open_page(browser, server)
    yield pg, watch
    pg.context.close()


@pytest.fixture(scope="module")
def expected(store: EmbeddedStore) -> dict[str, dict[str, Any]]:
    return works(store)


def test_connector_reads_every_author_in_order(page: tuple[Page, Watch], server: str,
                                               expected: dict[str, dict[str, Any]]) -> None:
    pg, watch = page
    # the paper with the most authors (conference papers name their venue too)
    work, f = max(((w, f) for w, f in expected.items() if f["kind"] == "conference"),
                  key=lambda item: (len(item[1]["authors"]), item[0]))
    assert len(f["authors"]) >= 5
    path = urlsplit(f["url"]).path
    pg.goto(path)
    tags = pg.evaluate(READ_CITATION_TAGS)
    watch.check(pg, path)

    assert all(where == "HEAD" for _, _, where in tags), tags
    authors = [content for name, content, _ in tags if name == "citation_author"]
    assert authors == f["authors"]
    values = {name: content for name, content, _ in tags}
    assert values["citation_title"] == f["title"]
    assert values["citation_conference_title"] == f["container"]
    assert values["citation_abstract_html_url"] == server + path
    if f["arxiv"]:
        assert values["citation_pdf_url"] == f"https://arxiv.org/pdf/{f['arxiv']}"

    coins = pg.evaluate(READ_COINS)
    assert len(coins) == 1
    assert coins[0]["authors"] == f["authors"] and coins[0]["title"] == f["title"]
    assert server + path in coins[0]["ids"]

    docs = pg.evaluate(READ_JSONLD)
    assert len(docs) == 1 and docs[0]["@graph"][0]["@id"] == work
    assert "ScholarlyArticle" in docs[0]["@graph"][0]["@type"]

    search = pg.locator('link[rel="search"][type="application/opensearchdescription+xml"]')
    assert search.count() == 1
    description = pg.request.get(search.first.evaluate("l => l.href"))
    assert description.status == 200
    assert "{searchTerms}" in description.text()


def test_connector_sees_every_paper_of_a_list(page: tuple[Page, Watch], server: str,
                                              expected: dict[str, dict[str, Any]]) -> None:
    pg, watch = page
    pg.goto("/browse?q=cache")
    results = pg.locator("main ol.results > li").count()
    coins = pg.evaluate(READ_COINS)
    watch.check(pg, "/browse?q=cache")
    assert results >= 2 and len(coins) == results
    by_url = {f["url"].replace("http://localhost", server): f for f in expected.values()}
    for c in coins:
        url = next(i for i in c["ids"] if i.startswith(server))
        assert c["authors"] == by_url[url]["authors"]
        assert c["title"] == by_url[url]["title"]
