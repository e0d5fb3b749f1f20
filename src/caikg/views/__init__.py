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

from ..store import KnowledgeStore
from ..store import plain as plain  # re-exported: the view modules read rows with these
from ..store import value as value

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


def iri(text: str) -> ox.NamedNode:
    return ox.NamedNode(text)


def load_all() -> None:
    """Import every view module so that it registers itself."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
