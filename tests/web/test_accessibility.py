"""Accessibility (issue #14, WCAG 2.1 AA): every kind of page checked with axe-core in a real
Chromium, at a desktop and a phone size, plus the keyboard paths a page must offer.

axe-core is a pinned devDependency of ``web/package.json``; ``web/vendor.sh`` (run by ``make
setup`` and ``make test``) installs it into ``web/node_modules``. The tests skip, saying so,
only when that file is missing. The rules run are WCAG 2.0 and 2.1 A and AA and axe's best
practices; a page passes with zero violations. What axe cannot see is checked by hand here:
the skip link, leaving the query editor by keyboard (Escape, then Tab), the co-author
drawing's links in the Tab order, and the focus ring's contrast against what is behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from caikg.build.pipeline import build
from caikg.config import Settings
from tests.helpers.browser import wait_for_fragment
from tests.helpers.project import REPO, make_settings
from tests.helpers.servers import caikg_server
from tests.web.test_pages_literature import FILES, WIKIDATA

pytestmark = pytest.mark.system  # a real server and browser: make test, not make check

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TIMEOUT_MS = 15_000
EDITOR = "/sparql"
NOT_FOUND = "/paper/no-such-paper-here"
CITATIONS = "/citations"

PAGES = {
    "home": "/",
    "browse": "/browse",
    "browse-search": "/browse?q=cache",
    "paper": "/paper/dlora",
    "paper-with-history": "/paper/preble",
    "person": "/person/joseph-e-gonzalez",
    "venue": "/venue/osdi-2024",
    "technique": "/technique/kv-cache-reuse",
    "section": "/section/compound-ai-survey/caching",
    "scheme": "/scheme/techniques",
    "system": "/system/dlora",
    "systems": "/systems",
    "claim": "/claim/dlora-throughput-vllm",
    "metric": "/metric/throughput",
    "compare": "/compare",
    "coverage": "/coverage",
    "citations": CITATIONS,
    "foundations": "/foundations",
    "editor": EDITOR,
    "editor-settings": EDITOR,
    "editor-response": EDITOR,
    "editor-error": EDITOR,
    "examples": "/examples",
    "ontology": "/ontology",
    "downloads": "/downloads",
    "cite-paper": "/paper/dlora/cite",
    "cite-technique": "/technique/kv-cache-reuse/cite?style=ieee",
    "cite-browse": "/browse/cite?q=cache&style=acm",
    "cite-downloads": "/downloads/cite",
    "not-found": NOT_FOUND,
}
"""One page of every kind the site serves as HTML (src/caikg/web/routes/), over the shipped
data."""

LITERATURE_PAGES = {
    "cited": "/cited/W1000001",
    "citations-with-literature": CITATIONS,
    "foundations-with-literature": "/foundations",
    "paper-with-literature": "/paper/slora",
}
"""The pages that show the literature graphs (outside works, the citation map, reading-list
entries), over the shipped data plus tests/web/test_pages_literature.py's literature files."""

IN_QUERY_TEXT = """(() => { const e = document.activeElement;
  return !!(e.closest('.CodeMirror-code')
            || (e.tagName === 'TEXTAREA' && e.closest('.CodeMirror')));
})()"""
"""Whether the keyboard is in the query text (YASQE's buttons sit inside .CodeMirror too)."""

OPEN_DETAILS = "document.querySelectorAll('details').forEach(d => { d.open = true; })"
"""Closed <details> hide their content from axe; open them so that it is checked too."""

RUN_AXE = """async tags => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '),
                              summary: (n.failureSummary || '').split('\\n').slice(0, 3)
                                                                 .join(' ')}))}));
}"""

FOCUS_RING = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const parse = c => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  // the ring is drawn around the element (outline-offset), over its parents' background
  let back = null;
  for (let n = e.parentElement; n; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c.a > 0) { back = c; break; }
  }
  back = back || {r: 255, g: 255, b: 255, a: 1};
  const ring = parse(style.outlineColor);
  const width = parseFloat(style.outlineWidth) || 0;
  if (style.outlineStyle === 'none' || !ring || width === 0) {
    return {what: e.outerHTML.slice(0, 80), ring: null, ratio: 0};
  }
  const [hi, lo] = [lum(ring), lum(back)].sort((a, b) => b - a);
  return {what: e.outerHTML.slice(0, 80), ring: style.outlineColor, width: width,
          ratio: (hi + 0.05) / (lo + 0.05)};
}"""


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(built_settings: Settings) -> Iterator[str]:
    with caikg_server(built_settings.home) as url:
        yield url


@pytest.fixture(scope="module")
def literature_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("a11y-literature") / "home")
    settings.enrichment_dir.mkdir(parents=True, exist_ok=True)
    for source, text in FILES.items():
        (settings.enrichment_dir / f"literature-{source}.ttl").write_text(text, encoding="utf-8")
    settings.enrichment_file.write_text(WIKIDATA, encoding="utf-8")
    build(settings)
    with caikg_server(settings.home) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not AXE.is_file():
        pytest.skip(f"{AXE.relative_to(REPO)} is missing: run `bash web/vendor.sh` "
                    "(make setup does) to install axe-core")
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser: Browser, server: str, viewport: str = "desktop") -> Page:
    # bypass_csp: axe is added as an inline <script>, which the site's CSP rightly refuses
    # (tests/web/test_browser.py checks the pages under their real CSP)
    context = browser.new_context(viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
                                  base_url=server, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    pg = new_page(browser, server)
    yield pg
    pg.context.close()


def open_editor_with_result(pg: Page) -> None:
    """The query editor with an example run and its result table shown."""
    pg.locator(".yasgui").first.wait_for(state="visible")
    pg.locator("#caikg-example-list button").first.wait_for(state="visible")
    with pg.expect_response(lambda r: urlsplit(r.url).path == EDITOR
                            and r.request.method == "POST") as answer:
        pg.locator(".yasqe_queryButton").first.click()
    assert answer.value.status == 200, answer.value.text()[:500]
    pg.locator(".yasr table tbody tr").first.wait_for(state="visible")


def open_settings(pg: Page) -> None:
    pg.locator(".yasgui .tabContextButton").first.click()
    pg.locator(".yasgui .tabMenu.open").first.wait_for(state="visible")


def show_response(pg: Page) -> None:
    pg.locator(".yasr .select_response").first.click()
    pg.locator(".yasr .select_response.selected").first.wait_for(state="visible")


def show_error(pg: Page) -> None:
    """A query the endpoint refuses: YASR shows the error and disables its plugins."""
    pg.evaluate("() => window.caikgYasgui.getTab().getYasqe().setValue("
                "'SELECT * WHERE { ?s ?p }')")
    with pg.expect_response(lambda r: urlsplit(r.url).path == EDITOR
                            and r.request.method == "POST"):
        pg.locator(".yasqe_queryButton").first.click()
    pg.locator(".yasr .errorResult").first.wait_for(state="visible")


EDITOR_STATES = {"editor-settings": open_settings, "editor-response": show_response,
                 "editor-error": show_error}
"""The editor's other states, after a result is shown: its settings menu open, the raw
response, an error."""


def violations(pg: Page) -> list[dict[str, Any]]:
    pg.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = pg.evaluate(RUN_AXE, AXE_TAGS)
    return found


def report(where: str, found: list[dict[str, Any]]) -> str:
    lines = [f"{where}: {len(found)} axe rule(s) violated"]
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}: {node['summary']}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


# -- axe on every kind of page ------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("kind", [*PAGES, *LITERATURE_PAGES])
def test_no_axe_violations(request: pytest.FixtureRequest, browser: Browser, kind: str,
                           viewport: str) -> None:
    # the second server (with literature) starts only when one of its pages is asked for
    server = request.getfixturevalue("literature_server" if kind in LITERATURE_PAGES
                                     else "server")
    pg = new_page(browser, server, viewport)
    try:
        path = PAGES.get(kind) or LITERATURE_PAGES[kind]
        response = pg.goto(path)
        assert response is not None
        assert response.status == (404 if path == NOT_FOUND else 200), (path, response.status)
        if path == EDITOR:
            open_editor_with_result(pg)
            if kind in EDITOR_STATES:
                EDITOR_STATES[kind](pg)
        pg.wait_for_load_state("networkidle")
        pg.evaluate(OPEN_DETAILS)
        found = violations(pg)
        assert not found, report(f"{path} ({viewport})", found)
    finally:
        pg.context.close()


# -- keyboard paths -----------------------------------------------------------------------


def active(pg: Page) -> dict[str, Any]:
    info: dict[str, Any] = pg.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, href: e.getAttribute('href'),
                           text: (e.textContent || '').trim().slice(0, 60),
                           inMain: !!e.closest('main'), html: e.outerHTML.slice(0, 120)}; }""")
    return info


@pytest.mark.parametrize("kind", ["home", "paper", "person", "browse-search", "editor",
                                  "not-found"])
def test_skip_link_then_main_content(page: Page, kind: str) -> None:
    """The first Tab stop is a visible skip link; following it, the next Tab stop is in
    <main>."""
    page.goto(PAGES[kind])
    if kind == "editor":
        page.locator(".yasgui").first.wait_for(state="visible")
    page.keyboard.press("Tab")
    first = active(page)
    assert first["tag"] == "A" and (first["href"] or "").startswith("#"), first
    assert "skip" in first["text"].lower(), first
    assert page.locator(":focus").is_visible(), "the skip link is not visible when focused"
    page.keyboard.press("Enter")
    wait_for_fragment(page, first["href"][1:])
    page.keyboard.press("Tab")
    after = active(page)
    assert after["inMain"], f"{kind}: after the skip link, Tab went to {after['html']}"


def test_escape_then_tab_leaves_the_editor(page: Page) -> None:
    page.goto(EDITOR)
    page.locator(".yasgui .CodeMirror").first.wait_for(state="visible")
    field = page.locator(".CodeMirror [role=textbox], .CodeMirror textarea").first
    assert field.get_attribute("aria-label") == "SPARQL query"
    hint_id = field.get_attribute("aria-describedby")
    assert hint_id, "the editor's text area does not point at the keyboard hint"
    hint = page.locator(f"#{hint_id}")
    assert "escape" in hint.inner_text().lower() and hint.is_visible()

    page.locator(".yasgui .CodeMirror").first.click()
    assert page.evaluate(IN_QUERY_TEXT)
    before = page.evaluate("() => window.caikgYasgui.getTab().getYasqe().getValue()")
    # Tab alone stays in the editor (it indents)
    page.keyboard.press("Tab")
    assert page.evaluate(IN_QUERY_TEXT), (
        "Tab alone left the editor: it should indent")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    after = active(page)
    assert not page.evaluate(IN_QUERY_TEXT), after
    assert after["tag"] in {"A", "BUTTON", "INPUT", "SELECT", "TEXTAREA"}, after
    assert page.evaluate("document.activeElement.closest('.yasgui') !== null"), (
        f"focus left the editor for {after['html']}, not the editor's next control")
    # Shift+Tab goes back into the editor, and the text there is unchanged but for the indent
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(IN_QUERY_TEXT)
    text = page.evaluate("() => window.caikgYasgui.getTab().getYasqe().getValue()")
    assert text.replace(" ", "").replace("\t", "") == before.replace(" ", "").replace("\t", "")


def test_coauthor_graph_links_are_in_the_tab_order(page: Page) -> None:
    page.goto(PAGES["person"])
    svg_links = page.locator("svg.network a")
    assert svg_links.count() >= 1
    hrefs = set(svg_links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    reached: set[str] = set()
    page.locator("#network-heading").scroll_into_view_if_needed()
    for _ in range(400):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "(() => { const e = document.activeElement;"
            "  return e.closest('svg.network') ? e.getAttribute('href') : null; })()")
        if inside:
            reached.add(inside)
        elif reached:
            break
    assert reached == hrefs, f"Tab reached {len(reached)} of {len(hrefs)} links of the graph"
    # each link is named by its <title> (the full name and the number of shared works)
    names = svg_links.evaluate_all(
        "els => els.map(e => (e.querySelector('title') || {}).textContent || '')")
    assert all("shared" in name for name in names), names


@pytest.mark.parametrize("kind", ["home", "person", "editor", "coverage"])
def test_focus_ring_contrast(page: Page, kind: str) -> None:
    """Every Tab stop of the page's first 60 shows an outline with at least 3:1 contrast
    against the background around it (WCAG 1.4.11)."""
    page.goto(PAGES[kind])
    if kind == "editor":
        page.locator("#caikg-example-list button").first.wait_for(state="visible")
    weak: list[str] = []
    seen = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        if page.evaluate(IN_QUERY_TEXT):
            page.keyboard.press("Escape")
            continue
        ring = page.evaluate(FOCUS_RING)
        seen += 1
        if ring["ratio"] < 3:
            weak.append(f"{ring['what']}: ring {ring['ring']} at {ring['ratio']:.2f}:1")
    assert seen >= 5
    assert not weak, f"{kind}: focus ring below 3:1:\n" + "\n".join(weak)
