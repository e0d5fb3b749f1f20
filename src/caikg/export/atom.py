"""Atom 1.0 feeds (RFC 4287), written with ElementTree: a :class:`Feed` of :class:`Entry`s
becomes one XML document. Text is made XML-safe (:func:`caikg.rdf.xmltext.xml_safe`) and
escaped by ElementTree, never formatted into markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from caikg.rdf.formats import FEED_FORMAT
from caikg.rdf.xmltext import xml_safe

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = FEED_FORMAT.media_type


@dataclass(frozen=True)
class Link:
    href: str
    rel: str = "alternate"
    media_type: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: str
    """RFC 3339 date-time."""
    summary: str
    links: tuple[Link, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    content: str | None = None
    """Plain text shown instead of a page (an entry without an ``alternate`` link)."""


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    updated: str
    links: tuple[Link, ...] = ()
    subtitle: str | None = None
    author: str = ""
    """Author of the feed, which stands for the entries that name none."""
    generator: str = ""
    generator_version: str = ""
    entries: list[Entry] = field(default_factory=list)


def _child(parent: ET.Element, name: str, text: str | None = None,
           **attrs: str | None) -> ET.Element:
    element = ET.SubElement(parent, name,
                            {k: xml_safe(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = xml_safe(text)
    return element


def _links(parent: ET.Element, links: tuple[Link, ...]) -> None:
    for link in links:
        _child(parent, "link", href=link.href, rel=link.rel, type=link.media_type,
               title=link.title)


def atom_document(feed: Feed) -> bytes:
    """``feed`` as an Atom document (UTF-8, with an XML declaration)."""
    # Names are left unqualified and the Atom namespace declared as the default one on the
    # root (ElementTree's default_namespace option refuses unqualified attributes).
    root = ET.Element("feed", {"xmlns": ATOM})
    _child(root, "id", feed.id)
    _child(root, "title", feed.title, type="text")
    if feed.subtitle:
        _child(root, "subtitle", feed.subtitle, type="text")
    _child(root, "updated", feed.updated)
    _links(root, feed.links)
    if feed.author:
        _child(_child(root, "author"), "name", feed.author)
    if feed.generator:
        _child(root, "generator", feed.generator, version=feed.generator_version or None)
    for entry in feed.entries:
        element = _child(root, "entry")
        _child(element, "id", entry.id)
        _child(element, "title", entry.title, type="text")
        _child(element, "updated", entry.updated)
        _links(element, entry.links)
        for name in entry.authors:
            _child(_child(element, "author"), "name", name)
        for term in entry.categories:
            _child(element, "category", term=term)
        _child(element, "summary", entry.summary, type="text")
        if entry.content is not None:
            _child(element, "content", entry.content, type="text")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
