"""The Atom feeds of works added or changed per data version (/feed.atom, /technique/<slug>.atom,
/person/<slug>.atom), read with feedparser over two real builds: the shipped data, then the
same data with one paper's status changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from caikg.build.pipeline import BuildResult, build
from caikg.config import Settings
from caikg.export.atom import atom_document
from caikg.store.base import value
from caikg.store.embedded import EmbeddedStore
from caikg.web.pages.feeds import site_feed, technique_feed
from tests.helpers.data import data_variant, wait_for_the_next_second
from tests.helpers.project import make_settings
from tests.web.test_linked_data import link_header_alternates

ATOM = "application/atom+xml"
BASE = "https://w3id.org/caikg/"
ROOT = "http://localhost"
CHANGED = "graphteam"
"""The paper whose status the second build changes (preprint → published)."""
TECHNIQUE = "multi-agent-collaboration"
"""A technique of that paper."""
PERSON = "xin-li"
"""Its first author."""


@dataclass
class Builds:
    settings: Settings
    first: BuildResult
    second: BuildResult


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    tmp = tmp_path_factory.mktemp("feeds")
    settings = make_settings(tmp / "home", workers=1)
    first = build(settings)
    wait_for_the_next_second()
    data = data_variant(tmp, CHANGED, "bibo:status caikg:Preprint",
                        "bibo:status caikg:Published")
    second = build(settings, [data])
    return Builds(settings, first, second)


@pytest.fixture(scope="module")
def feeds_store(builds: Builds) -> EmbeddedStore:
    return EmbeddedStore.open(builds.settings, in_memory=True)


@pytest.fixture(scope="module")
def feeds_app(builds: Builds, feeds_store: EmbeddedStore) -> Iterator[Flask]:
    from caikg.web.app import create_app

    application = create_app(builds.settings, store=feeds_store)
    yield application
    application.extensions["caikg_executor"].close()


@pytest.fixture(scope="module")
def web(feeds_app: Flask) -> FlaskClient:
    return feeds_app.test_client()


def fetch(web: FlaskClient, path: str) -> feedparser.FeedParserDict:
    resp = web.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == ATOM
    parsed = feedparser.parse(resp.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def pages(feed: feedparser.FeedParserDict) -> set[str]:
    return {e.link for e in feed.entries if e.get("link")}


def column(store: EmbeddedStore, query: str, name: str, **iris: str) -> set[str]:
    rows = store.select(query, None, **{k: ox.NamedNode(v) for k, v in iris.items()})
    return {v for row in rows if (v := value(row[name])) is not None}


def page_of(iri: str) -> str:
    return ROOT + "/" + iri[len(BASE):]


# -- the whole graph -------------------------------------------------------------------------

def test_site_feed_is_atom_with_id_title_and_links(web: FlaskClient, builds: Builds) -> None:
    feed = fetch(web, "/feed.atom")
    assert feed.feed.id == BASE + "feed.atom"
    assert feed.feed.title
    links = {(link.rel, link.type): link.href for link in feed.feed.links}
    assert links[("self", ATOM)] == f"{ROOT}/feed.atom"
    assert links[("alternate", "text/html")] == f"{ROOT}/"
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids)) and all(i.startswith("tag:w3id.org,") for i in ids)
    assert ids == [e.id for e in fetch(web, "/feed.atom").entries]  # stable


def test_the_first_build_added_every_work(web: FlaskClient, builds: Builds,
                                          feeds_store: EmbeddedStore) -> None:
    feed = fetch(web, "/feed.atom")
    added = [e for e in feed.entries if e.tags[0].term == "added"]
    works = column(feeds_store, "work_listing", "work")
    assert len(works) == 42
    assert {e.link for e in added} == {page_of(w) for w in works}
    assert all(e.updated == builds.first.info.built_at for e in added)
    assert all(e.summary.startswith("added") for e in added)
    alto = next(e for e in added if e.link == f"{ROOT}/paper/alto")
    assert alto.summary == "added: published, EuroMLSys 2024, 2024"
    assert [a.name for a in alto.authors][:2] == ["Keshav Santhanam", "Deepti Raghavan"]


def test_a_changed_status_is_an_entry_and_moves_updated(web: FlaskClient,
                                                        builds: Builds) -> None:
    feed = fetch(web, "/feed.atom")
    changed = [e for e in feed.entries if e.tags[0].term == "changed"]
    assert [(e.link, e.summary) for e in changed] == [
        (f"{ROOT}/paper/{CHANGED}", "status: preprint → published")]
    assert feed.entries[0] is changed[0]  # newest first
    assert changed[0].updated == builds.second.info.built_at
    assert feed.feed.updated == builds.second.info.built_at

    # the feed as the first build served it: without the second build's entry
    assert builds.first.store_dir is not None
    older = EmbeddedStore.open_path(builds.first.store_dir)
    before = feedparser.parse(atom_document(site_feed(older, builds.settings, ROOT)))
    assert before.bozo == 0
    assert before.feed.updated == builds.first.info.built_at < feed.feed.updated
    assert all(e.tags[0].term == "added" for e in before.entries)
    assert len(before.entries) == len(feed.entries) - 1


# -- a technique, a person -------------------------------------------------------------------

def test_technique_feed_has_only_its_works(web: FlaskClient,
                                           feeds_store: EmbeddedStore) -> None:
    feed = fetch(web, f"/technique/{TECHNIQUE}.atom")
    iri = f"{BASE}technique/{TECHNIQUE}"
    works = column(feeds_store, "technique_works", "work", technique=iri)
    assert 0 < len(works) < 42
    assert pages(feed) == {page_of(w) for w in works}
    assert feed.feed.id == iri + ".atom"
    links = {(link.rel, link.type): link.href for link in feed.feed.links}
    assert links[("self", ATOM)] == f"{ROOT}/technique/{TECHNIQUE}.atom"
    assert links[("alternate", "text/html")] == f"{ROOT}/technique/{TECHNIQUE}"
    assert f"{ROOT}/paper/{CHANGED}" in {e.link for e in feed.entries
                                         if e.tags[0].term == "changed"}


def test_person_feed_has_only_their_works(web: FlaskClient, builds: Builds,
                                          feeds_store: EmbeddedStore) -> None:
    feed = fetch(web, f"/person/{PERSON}.atom")
    works = column(feeds_store, "person_works", "work", person=f"{BASE}person/{PERSON}")
    assert pages(feed) == {page_of(w) for w in works} and works
    assert [e.tags[0].term for e in feed.entries] == ["changed"] + ["added"] * len(works)
    assert feed.feed.updated == builds.second.info.built_at
    other = fetch(web, "/person/ion-stoica.atom")
    assert f"{ROOT}/paper/{CHANGED}" not in pages(other) and pages(other)
    assert other.feed.updated == builds.first.info.built_at


@pytest.mark.parametrize("path", ["/technique/no-such-technique.atom",
                                  "/person/no-such-person.atom", f"/paper/{CHANGED}.atom",
                                  f"/person/{TECHNIQUE}.atom"])
def test_unknown_feeds_are_404(web: FlaskClient, path: str) -> None:
    resp = web.get(path)
    assert resp.status_code == 404
    assert resp.headers["Cache-Control"] == "no-store"


# -- advertised, cached ----------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.links.append(dict(attrs))


@pytest.mark.parametrize(("page", "feed"), [
    ("/", "/feed.atom"),
    (f"/technique/{TECHNIQUE}", f"/technique/{TECHNIQUE}.atom"),
    (f"/person/{PERSON}", f"/person/{PERSON}.atom"),
])
def test_pages_advertise_their_feed(web: FlaskClient, page: str, feed: str) -> None:
    resp = web.get(page, headers={"Accept": "text/html"})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert link_header_alternates(resp.headers.get("Link", "")).get(feed) == ATOM
    parser = Links()
    parser.feed(resp.get_data(as_text=True))
    tags = [a for a in parser.links if "alternate" in (a.get("rel") or "").split()
            and a.get("type") == ATOM]
    assert [t["href"] for t in tags] == [feed]
    assert tags[0].get("title")
    fetch(web, feed)


def test_a_paper_page_advertises_no_feed(web: FlaskClient) -> None:
    resp = web.get(f"/paper/{CHANGED}", headers={"Accept": "text/html"})
    assert ATOM not in resp.headers.get("Link", "")
    assert ATOM not in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/feed.atom", f"/technique/{TECHNIQUE}.atom",
                                  f"/person/{PERSON}.atom"])
def test_feeds_answer_conditional_gets(web: FlaskClient, builds: Builds, path: str) -> None:
    resp = web.get(path)
    etag = resp.headers.get("ETag")
    assert etag and builds.second.info.version in etag
    assert resp.headers["Cache-Control"].startswith("public")
    again = web.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert web.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_without_change_logs_feeds_are_empty(tmp_path: Path, builds: Builds,
                                             feeds_store: EmbeddedStore) -> None:
    elsewhere = make_settings(tmp_path / "empty-home")  # the history of another home
    technique = technique_feed(feeds_store, elsewhere, f"{BASE}technique/{TECHNIQUE}", ROOT)
    assert technique is not None
    for built in (site_feed(feeds_store, elsewhere, ROOT), technique):
        feed = feedparser.parse(atom_document(built))
        assert feed.bozo == 0 and feed.entries == []
        assert feed.feed.updated == builds.second.info.built_at  # the build being served
