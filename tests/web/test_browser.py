"""Real browser tests: Playwright drives Debian's Chromium (``apt-get install chromium``, which
``make test`` does) against a real ``caikg serve``.

Journeys through the site by its links, search, facets, the query editor (YASGUI) and the
keyboard, with no console errors, failed requests or CSP violations on the way; and
screenshots of every page type at desktop and phone sizes in ``test-artifacts/screenshots/``.

These tests never skip: if Chromium cannot be started they fail (CI installs it). Only
``href`` prefixes, ``<h1>``, the search field and YASGUI's own classes are relied on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from caikg.config import Settings
from tests.helpers.browser import wait_for_fragment, wait_for_url
from tests.helpers.project import REPO
from tests.helpers.servers import caikg_server

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000
FAVICON = "/favicon.ico"

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                              + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
"""Installed before any page script runs (through the DevTools protocol, so the CSP does not
apply to it); records every Content-Security-Policy violation of the page."""


@dataclass
class Watch:
    """Everything that went wrong while a page was open."""

    base: str
    problems: list[str] = field(default_factory=list)

    def console(self, msg: ConsoleMessage) -> None:
        # the favicon is checked once, by test_favicon, rather than on every page
        if msg.type == "error" and not (msg.location.get("url") or "").endswith(FAVICON):
            self.problems.append(f"console error: {msg.text} ({msg.location.get('url')})")

    def page_error(self, error: PlaywrightError) -> None:
        self.problems.append(f"uncaught exception: {error}")

    def request_failed(self, request: Request) -> None:
        self.problems.append(f"request failed: {request.method} {request.url}: "
                             f"{request.failure}")

    def response(self, response: Response) -> None:
        if response.status >= 400 and not response.url.endswith(FAVICON):
            self.problems.append(f"HTTP {response.status}: {response.request.method} "
                                 f"{response.url}")

    def request(self, request: Request) -> None:
        if not request.url.startswith((self.base, "data:", "about:", "blob:")):
            self.problems.append(f"request to another origin: {request.url}")

    def check(self, page: Page, where: str) -> None:
        violations = page.evaluate("window.__cspViolations || []")
        found = self.problems + [f"CSP violation: {v}" for v in violations]
        self.problems.clear()
        assert not found, f"{where}:\n" + "\n".join(found)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(built_settings: Settings) -> Iterator[str]:
    with caikg_server(built_settings.home) as url:
        yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def open_page(browser: Browser, server: str, viewport: dict[str, int] = DESKTOP
              ) -> tuple[Page, Watch]:
    context = browser.new_context(viewport=viewport, base_url=server,  # type: ignore[arg-type]
                                  java_script_enabled=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    watch = Watch(server)
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)
    page.on("requestfailed", watch.request_failed)
    page.on("response", watch.response)
    page.on("request", watch.request)
    return page, watch


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[tuple[Page, Watch]]:
    page, watch = open_page(browser, server)
    yield page, watch
    page.context.close()


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def assert_heading(page: Page, where: str) -> None:
    h1 = page.locator("h1")
    assert h1.count() >= 1, f"{where}: no <h1>"
    assert h1.first.inner_text().strip(), f"{where}: empty <h1>"


def follow(page: Page, selector: str, where: str, avoid: set[str] | None = None) -> str:
    """Click the first visible link matching ``selector`` whose path is not in ``avoid``;
    return the path it led to."""
    links = page.locator(f"main {selector}")
    if links.count() == 0:
        links = page.locator(selector)
    for i in range(links.count()):
        link = links.nth(i)
        href = link.get_attribute("href") or ""
        if avoid and urlsplit(href).path in avoid:
            continue
        if not link.is_visible():
            continue
        with page.expect_navigation():
            link.click()
        page.wait_for_load_state("load")
        assert path_of(page) == urlsplit(href).path, (page.url, href)
        return path_of(page)
    raise AssertionError(f"{where} ({page.url}): no visible link {selector}"
                         + (f" other than {sorted(avoid)}" if avoid else ""))


def paper_hrefs(page: Page) -> list[str]:
    """The distinct paper links of the page's main content, in order."""
    hrefs = page.locator('main a[href^="/paper/"]').evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    seen: dict[str, None] = {}
    for h in hrefs:
        seen.setdefault(urlsplit(h).path.split(".")[0], None)
    return list(seen)


# -- journeys -----------------------------------------------------------------------------


def test_chromium_runs(browser: Browser) -> None:
    assert browser.is_connected()
    assert re.match(r"\d+\.", browser.version)


def test_favicon(page: tuple[Page, Watch], server: str) -> None:
    """Browsers ask for an icon on every page; a 404 there is a console error on every page
    (unless the page names an icon of its own)."""
    pg, _ = page
    pg.goto("/")
    declared = pg.locator('link[rel~="icon"]').evaluate_all(
        "els => els.map(e => e.href)")
    if declared:
        for href in declared:
            if not href.startswith("data:"):
                assert pg.request.get(href).status == 200, href
    else:
        assert pg.request.get(server + FAVICON).status == 200, (
            "no <link rel=icon> and /favicon.ico is 404: Chromium logs a console error "
            "on every page")


def test_journey_home_technique_paper_person_coauthor(page: tuple[Page, Watch]) -> None:
    pg, watch = page
    pg.goto("/")
    assert_heading(pg, "home")
    watch.check(pg, "home")

    technique = follow(pg, 'a[href^="/technique/"]', "home")
    assert technique.startswith("/technique/")
    assert_heading(pg, technique)
    watch.check(pg, technique)

    # a paper of that technique with at least two authors (so that there is a co-author)
    candidates = paper_hrefs(pg)
    assert candidates, f"{technique}: no paper links"
    paper = person = None
    for href in candidates[:10]:
        pg.goto(technique)
        with pg.expect_navigation():
            pg.locator(f'main a[href="{href}"]').first.click()
        assert_heading(pg, href)
        watch.check(pg, href)
        people = {urlsplit(h).path for h in pg.locator('main a[href^="/person/"]').evaluate_all(
            "els => els.map(e => e.getAttribute('href'))")}
        if len(people) >= 2:
            paper = path_of(pg)
            break
    assert paper, f"none of the papers of {technique} links two people"

    person = follow(pg, 'a[href^="/person/"]', paper)
    assert_heading(pg, person)
    watch.check(pg, person)

    coauthor = follow(pg, 'a[href^="/person/"]', person, avoid={person})
    assert coauthor != person
    assert_heading(pg, coauthor)
    watch.check(pg, coauthor)


def test_search(page: tuple[Page, Watch]) -> None:
    pg, watch = page
    pg.goto("/")
    box = pg.locator("input[type=search]").first
    box.fill("cache")
    with pg.expect_navigation():
        box.press("Enter")
    pg.wait_for_load_state("load")
    assert parse_qs(urlsplit(pg.url).query).get("q") == ["cache"], pg.url
    assert_heading(pg, pg.url)
    found = paper_hrefs(pg)
    assert found, f"{pg.url}: no papers found for 'cache'"
    assert pg.locator("input[type=search]").first.input_value() == "cache"
    watch.check(pg, pg.url)

    # a search for nothing known finds no paper, and says so without an error
    box = pg.locator("input[type=search]").first
    box.fill("zzzxqj-no-such-thing")
    with pg.expect_navigation():
        box.press("Enter")
    assert paper_hrefs(pg) == []
    assert_heading(pg, pg.url)
    watch.check(pg, pg.url)


def test_facets_are_shareable(page: tuple[Page, Watch], browser: Browser, server: str) -> None:
    pg, watch = page
    pg.goto("/browse")
    assert_heading(pg, "/browse")
    before = paper_hrefs(pg)
    assert before, "/browse lists no papers"
    watch.check(pg, "/browse")

    controls = pg.locator("main form input[type=checkbox], main form select")
    assert controls.count() > 0, "/browse has no facet checkbox or select in a form"
    control = controls.first
    tag = control.evaluate("e => e.tagName.toLowerCase()")
    start_url = pg.url
    if tag == "select":
        values = control.locator("option").evaluate_all(
            "os => os.map(o => o.value).filter(v => v !== '')")
        current = control.input_value()
        choice = next(v for v in values if v != current)
        control.select_option(choice)
    else:
        control.check()
    # facets may submit themselves; otherwise submit the facet's form
    try:
        pg.wait_for_url(lambda url: url != start_url, timeout=1500)
    except PlaywrightError:
        with pg.expect_navigation():
            control.evaluate("e => e.form.requestSubmit()")
    pg.wait_for_load_state("load")
    after = paper_hrefs(pg)
    shared = pg.url
    assert urlsplit(shared).query, f"the facet left no trace in the URL: {shared}"
    assert after != before, f"ticking a facet did not change the results ({shared})"
    assert after, f"{shared}: a facet of the shipped data gave no paper"
    watch.check(pg, shared)

    pg.reload()
    assert paper_hrefs(pg) == after, "reloading the faceted URL gave other results"
    other, other_watch = open_page(browser, server)
    try:
        other.goto(shared)
        assert paper_hrefs(other) == after, "the faceted URL gives other results elsewhere"
        other_watch.check(other, shared)
    finally:
        other.context.close()


def test_query_editor_runs_an_example(page: tuple[Page, Watch]) -> None:
    pg, watch = page
    pg.goto("/sparql")
    pg.locator(".yasgui").first.wait_for(state="visible")
    buttons = pg.locator("#caikg-example-list button")
    buttons.first.wait_for(state="visible")
    assert buttons.count() >= 2
    buttons.first.click()
    wait_for_url(pg, lambda url: "example=" in urlsplit(url).query, "an example= parameter")
    run = pg.locator(".yasqe_queryButton").first
    run.wait_for(state="visible")
    with pg.expect_response(lambda r: urlsplit(r.url).path == "/sparql"
                            and r.request.method == "POST") as answer:
        run.click()
    assert answer.value.status == 200, answer.value.text()[:500]
    rows = pg.locator(".yasr table tbody tr")
    rows.first.wait_for(state="visible")
    assert rows.count() >= 1
    assert "No data available" not in rows.first.inner_text()
    assert_heading(pg, "/sparql")
    watch.check(pg, "/sparql")


def test_keyboard_reaches_skip_link_and_search(page: tuple[Page, Watch]) -> None:
    pg, watch = page
    pg.goto("/")
    pg.keyboard.press("Tab")
    first = pg.evaluate("({tag: document.activeElement.tagName,"
                        " href: document.activeElement.getAttribute('href'),"
                        " text: document.activeElement.textContent.trim()})")
    assert first["tag"] == "A" and (first["href"] or "").startswith("#"), first
    assert "skip" in first["text"].lower(), first
    target = first["href"][1:]
    assert pg.locator(f"#{target}").count() == 1, f"the skip link's target #{target} is missing"
    # the skip link is visible when focused
    assert pg.locator(":focus").is_visible()

    for _ in range(40):
        pg.keyboard.press("Tab")
        if pg.evaluate("document.activeElement.matches('input[type=search]')"):
            break
    else:
        raise AssertionError("Tab never reached the search field")
    pg.keyboard.type("agent")
    with pg.expect_navigation():
        pg.keyboard.press("Enter")
    assert parse_qs(urlsplit(pg.url).query).get("q") == ["agent"]
    watch.check(pg, pg.url)


def test_journey_paper_source_system_comparison(page: tuple[Page, Watch]) -> None:
    """From a paper's fact to its source, to the system it introduced, to the claims against
    a baseline, sorted by the reader."""
    pg, watch = page
    pg.goto("/paper/dlora")
    watch.check(pg, "/paper/dlora")
    # a reference mark next to the status jumps to the listed source with its check date
    ref = pg.locator("dl.facts sup.refs a").first
    target = ref.get_attribute("href") or ""
    assert target.startswith("#ref-")
    ref.click()
    wait_for_fragment(pg, target[1:])
    source = pg.locator(target)
    assert source.is_visible() and "checked" in source.inner_text()

    system = follow(pg, 'section[aria-labelledby="systems-heading"] a[href^="/system/"]',
                    "/paper/dlora")
    assert system == "/system/dlora"
    assert_heading(pg, system)
    watch.check(pg, system)
    baseline = follow(pg, 'a[href="/system/vllm"]', system)
    assert baseline == "/system/vllm"
    follow(pg, 'a[href^="/compare?baseline="]', baseline)
    assert path_of(pg) == "/compare"
    watch.check(pg, pg.url)
    rows = pg.locator("#comparison tbody tr")
    assert rows.count() >= 2
    assert all("vLLM" in rows.nth(i).inner_text() for i in range(rows.count()))

    def gains() -> list[float]:
        cells = pg.locator("#comparison tbody td.gain").all_inner_texts()
        return [float("".join(c for c in cell if c.isdigit() or c == ".")) for cell in cells]

    first = gains()
    assert first == sorted(first, reverse=True)
    # the reader sorts by system name, then back by gain ascending
    with pg.expect_navigation():
        pg.locator('#comparison thead a:text("System")').click()
    names = pg.locator("#comparison tbody tr td:first-child").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    with pg.expect_navigation():
        pg.locator('#comparison thead a:text("Claimed gain")').click()
    with pg.expect_navigation():
        pg.locator('#comparison thead a:text("Claimed gain")').click()
    again = gains()
    assert sorted(again) == sorted(first) and again in (sorted(again), sorted(again, reverse=True))
    # the CSV twin is linked from the page
    assert pg.locator('link[rel="alternate"][type="text/csv"]').count() == 1
    watch.check(pg, pg.url)


def test_coverage_gaps_open_and_lead_to_papers(page: tuple[Page, Watch]) -> None:
    pg, watch = page
    pg.goto("/coverage")
    assert_heading(pg, "/coverage")
    details = pg.locator("main details").first
    details.locator("summary").click()
    link = details.locator('a[href^="/paper/"]').first
    assert link.is_visible()
    href = link.get_attribute("href") or ""
    with pg.expect_navigation():
        link.click()
    assert path_of(pg) == href
    watch.check(pg, href)


# -- screenshots of every page type ---------------------------------------------------------

PAGE_TYPES = {
    "home": "/",
    "technique": "/technique/kv-cache-reuse",
    "paper": "/paper/metagpt",
    "person": "/person/joseph-e-gonzalez",
    "browse": "/browse",
    "venue": "/venue/osdi-2024",
    "section": "/section/compound-ai-survey/caching",
    "scheme": "/scheme/techniques",
    "ontology": "/ontology",
    "downloads": "/downloads",
    "editor": "/sparql",
    "system": "/system/slora",
    "systems": "/systems",
    "compare": "/compare",
    "coverage": "/coverage",
    "paper-with-history": "/paper/preble",
}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_screenshot(browser: Browser, server: str, kind: str, viewport: str) -> None:
    pg, watch = open_page(browser, server, VIEWPORTS[viewport])
    try:
        path = PAGE_TYPES[kind]
        response = pg.goto(path)
        assert response is not None and response.status == 200, (path, response)
        if kind == "editor":
            pg.locator(".yasgui").first.wait_for(state="visible")
            pg.locator("#caikg-example-list button").first.wait_for(state="visible")
        pg.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / f"{kind}-{viewport}.png"), full_page=True)
        assert_heading(pg, path)
        watch.check(pg, f"{path} ({viewport})")
        overflow = pg.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} ({viewport}) scrolls sideways by {overflow}px"
    finally:
        pg.context.close()
