"""The Atom feeds of works added, changed or removed per data version: ``/feed.atom`` (the whole
graph), ``/technique/<slug>.atom`` and ``/person/<slug>.atom``. The home page and the technique
and person pages advertise theirs (``<link rel="alternate">`` and a ``Link`` header)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from caikg.export.atom import Feed, atom_document
from caikg.rdf.formats import FEED_FORMAT
from caikg.web.caching import policy
from caikg.web.context import cors, settings, store
from caikg.web.pages.feeds import person_feed, site_feed, technique_feed
from caikg.web.routes.pages import not_found

bp = Blueprint("feeds", __name__)


def _root() -> str:
    return request.host_url.rstrip("/")


def _answer(feed: Feed | None) -> Response:
    if feed is None:
        return not_found(request.path)
    return cors(Response(atom_document(feed),
                         content_type=f"{FEED_FORMAT.media_type}; charset=utf-8"))


@bp.get(f"/feed.{FEED_FORMAT.extension}")
@policy(cors=True)
def site() -> Response:
    return _answer(site_feed(store(), settings(), _root()))


@bp.get(f"/technique/<slug>.{FEED_FORMAT.extension}")
@policy(cors=True)
def technique(slug: str) -> Response:
    iri = f"{settings().base_iri}technique/{slug}"
    return _answer(technique_feed(store(), settings(), iri, _root()))


@bp.get(f"/person/<slug>.{FEED_FORMAT.extension}")
@policy(cors=True)
def person(slug: str) -> Response:
    iri = f"{settings().base_iri}person/{slug}"
    return _answer(person_feed(store(), settings(), iri, _root()))
