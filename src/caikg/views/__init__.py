"""View models of the HTML pages: for each kind of entity, a function that reads what its page
shows from the store (through ``.rq`` files) and returns a :class:`Page`.

Routes (``caikg.app.pages``) look up ``VIEWS[kind]``; modules register themselves with
:func:`view`. A view returns None when the IRI is not an entity of its kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..store import KnowledgeStore, Row

KINDS = ("paper", "person", "venue", "technique", "section", "scheme", "system", "claim", "metric")
"""The path segments of dereferenceable entity IRIs (docs/MODEL.md)."""


@dataclass
class Page:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    title: str = ""


Query = Mapping[str, str]
"""A page's URL parameters (e.g. ``page`` of a person's papers)."""
ViewFunction = Callable[[KnowledgeStore, str, Query], Page | None]
VIEWS: dict[str, ViewFunction] = {}


def view(kind: str, *, takes_query: bool = False
         ) -> Callable[[Callable[..., Page | None]], Callable[..., Page | None]]:
    """Register the view of ``kind``; ``takes_query``: it reads the URL parameters."""
    def register(fn: Callable[..., Page | None]) -> Callable[..., Page | None]:
        if takes_query:
            VIEWS[kind] = fn
        else:
            VIEWS[kind] = lambda store, iri, _query: fn(store, iri)
        return fn

    return register


def value(term: object) -> str | None:
    """The lexical value of a term (None for an unbound variable)."""
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return None


def plain(rows: list[Row]) -> list[dict[str, str | None]]:
    """Rows with every term replaced by its lexical value."""
    return [{k: value(v) for k, v in row.items()} for row in rows]


def iri(text: str) -> ox.NamedNode:
    return ox.NamedNode(text)


def load_all() -> None:
    """Import every view module so that it registers itself."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
