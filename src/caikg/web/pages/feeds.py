"""The Atom feeds of works added, changed or removed per data version: of the whole graph, of a
technique (its works and those of narrower techniques) and of a person (their works).

Entries come from the change logs builds write (:mod:`caikg.build.changes`), up to the build
being served: one entry per work and change log, updated at that build's time, with a summary
of what changed ("added: preprint, arXiv, 2024", "status: preprint → published").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyoxigraph as ox

from caikg import __version__
from caikg.build.changes import ChangeLog, WorkFacts, describe, describe_added, read_history
from caikg.config import Settings
from caikg.export.atom import Entry, Feed, Link
from caikg.rdf.formats import FEED_FORMAT
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import iri as node
from caikg.web.pages.base import plain
from caikg.web.pages.person import names
from caikg.web.pages.technique import concept_facts

MAX_ENTRIES = 100
"""Entries in a feed: the newest."""
SITE = "Compound AI Knowledge Graph"
EPOCH = "1970-01-01T00:00:00Z"
HTML = "text/html"

Keep = Callable[[WorkFacts], bool]
"""Is an entry about this work (its facts before or after the change) in the feed?"""


@dataclass(frozen=True)
class FeedTarget:
    """What a feed is about, where it and its HTML page are (paths on this site)."""

    title: str
    page_path: str
    feed_path: str
    subtitle: str


def feed_path(page_path: str) -> str:
    """The feed of the page at ``page_path``: ``/feed.atom`` for the home page, else the
    page's ``.atom`` twin."""
    return f"/feed.{FEED_FORMAT.extension}" if page_path == "/" else (
        f"{page_path}.{FEED_FORMAT.extension}")


def _page_path(iri: str, base_iri: str) -> str | None:
    return "/" + iri[len(base_iri):] if iri.startswith(base_iri) else None


def _entry_id(base_iri: str, log: ChangeLog, work: str) -> str:
    """A tag: URI (RFC 4151) of this work's entry in this change log: stable, and unique per
    work and build."""
    parts = urlsplit(base_iri)
    host = parts.hostname or "caikg"
    specific = work[len(base_iri):] if work.startswith(base_iri) else work.split("//", 1)[-1]
    base_path = parts.path.strip("/")
    specific = f"{base_path}/{specific}" if base_path else specific
    return f"tag:{host},{log.built_at[:10]}:{specific}/changes/{log.name or log.version}"


def _entry(log: ChangeLog, facts: WorkFacts, kind: str, summary: str, base_iri: str,
           root: str) -> Entry:
    path = _page_path(facts.iri, base_iri)
    links = (Link(root + path, "alternate", HTML),) if path and kind != "removed" else ()
    return Entry(id=_entry_id(base_iri, log, facts.iri), title=facts.title,
                 updated=log.built_at, summary=summary, links=links,
                 authors=tuple(a.label for a in facts.authors), categories=(kind,),
                 content=None if links else f"{facts.title}: {summary}")


def entries(logs: list[ChangeLog], keep: Keep, base_iri: str, root: str,
            limit: int = MAX_ENTRIES) -> list[Entry]:
    """The entries of ``logs`` (newest first) about the works ``keep`` accepts."""
    out: list[Entry] = []
    for log in logs:
        found: list[Entry] = []
        for change in log.changed:
            if keep(change.after) or keep(change.before):
                found.append(_entry(log, change.after, "changed", "; ".join(describe(change)),
                                    base_iri, root))
        for facts in log.added:
            if keep(facts):
                found.append(_entry(log, facts, "added", describe_added(facts), base_iri, root))
        for facts in log.removed:
            if keep(facts):
                found.append(_entry(log, facts, "removed", "removed from the graph", base_iri,
                                    root))
        order = {"changed": 0, "added": 1, "removed": 2}
        found.sort(key=lambda e: (order[e.categories[0]], e.title.lower(), e.id))
        out.extend(found[:limit - len(out)])
        if len(out) >= limit:
            break
    return out


def _feed(store: KnowledgeStore, settings: Settings, target: FeedTarget, keep: Keep,
          root: str) -> Feed:
    info = store.info
    until = info.built_at if info is not None and info.built_at else None
    logs = read_history(settings, until)
    found = entries(logs, keep, settings.base_iri, root)
    updated = found[0].updated if found else (until or EPOCH)
    return Feed(
        id=settings.base_iri + target.feed_path.lstrip("/"),
        title=target.title,
        subtitle=target.subtitle,
        updated=updated,
        links=(Link(root + target.feed_path, "self", FEED_FORMAT.media_type),
               Link(root + target.page_path, "alternate", HTML)),
        author=SITE,
        generator="caikg",
        generator_version=__version__,
        entries=found,
    )


def site_feed(store: KnowledgeStore, settings: Settings, root: str) -> Feed:
    """Every work added, changed or removed; ``root``: this site's URL without the final
    slash (links are absolute)."""
    target = FeedTarget(f"{SITE}: new and changed works", "/", feed_path("/"),
                        "Works added, changed or removed in each version of the data")
    return _feed(store, settings, target, lambda _facts: True, root)


def technique_feed(store: KnowledgeStore, settings: Settings, technique: str,
                   root: str) -> Feed | None:
    """The works of ``technique`` or of a narrower technique; None if it is not one."""
    try:
        facts = concept_facts(plain(store.select("technique_concept",
                                                 technique=node(technique))))
    except ValueError:  # not an IRI
        return None
    if "prefLabel" not in facts:
        return None
    label = facts["prefLabel"][0]["value"] or technique
    works: set[str] = set()
    techniques = {technique}
    for row in plain(store.select("technique_works", technique=node(technique))):
        works.add(row["work"] or "")
        techniques.add(row["via"] or technique)
    page = _page_path(technique, settings.base_iri) or "/"
    target = FeedTarget(f"{SITE}: works on {label}", page, feed_path(page),
                        f"Works on {label} (or a narrower technique) added, changed or "
                        "removed in each version of the data")
    return _feed(store, settings, target,
                 lambda w: w.iri in works or bool(w.subjects & techniques), root)


def person_feed(store: KnowledgeStore, settings: Settings, person: str,
                root: str) -> Feed | None:
    """The works of ``person``; None if they are not a person of the graph."""
    try:
        name, _variants = names(store, ox.NamedNode(person))
    except ValueError:  # not an IRI
        return None
    if name is None:
        return None
    page = _page_path(person, settings.base_iri) or "/"
    target = FeedTarget(f"{SITE}: works by {name}", page, feed_path(page),
                        f"Works by {name} added, changed or removed in each version of the data")
    return _feed(store, settings, target, lambda w: person in w.people, root)
