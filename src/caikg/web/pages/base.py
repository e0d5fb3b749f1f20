"""View models of the HTML pages: for each kind of entity, a function that reads what its page
shows from the store (through ``.rq`` files) and returns a :class:`Page`.

Routes (``caikg.web.routes.pages``) look up ``VIEWS[kind]``; modules register themselves with
:func:`view`. A view returns None when the IRI is not an entity of its kind.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from caikg.store.base import KnowledgeStore
from caikg.store.base import plain as plain
from caikg.store.base import value as value

KINDS = ("paper", "person", "venue", "technique", "section", "scheme", "system", "claim", "metric",
         "cited")
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
    package = __name__.rsplit(".", 1)[0]
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        importlib.import_module(f"{package}.{info.name}")
