"""View models of the HTML pages: for each kind of entity, a function that reads what its page
shows from the store (through ``.rq`` files) and returns a :class:`Page`.

Routes (``caikg.web.routes.pages``) look up ``VIEWS[kind]``; modules register themselves with
:func:`view`. A view returns None when the IRI is not an entity of its kind.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import pyoxigraph as ox

from caikg.store.base import KnowledgeStore
from caikg.store.base import plain as plain
from caikg.store.base import value as value

T = TypeVar("T")

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


def as_int(text: str | None) -> int:
    """A count or year read from a result cell; 0 when there is none or it is not a number."""
    try:
        return int(text or 0)
    except ValueError:
        return 0


class per_data_version(Generic[T]):  # noqa: N801 (used as a decorator)
    """``load(store)``, computed once per store and data version (a store served by worker
    processes or a remote server changes with every build) and shared by the request threads:
    for whole-graph tables (the paper list, every work's citation, the entity pages)."""

    def __init__(self, load: Callable[[KnowledgeStore], T]) -> None:
        self.load = load
        self.cache: weakref.WeakKeyDictionary[KnowledgeStore, tuple[str, T]] = \
            weakref.WeakKeyDictionary()
        self.lock = threading.Lock()
        functools.update_wrapper(self, load)

    def __call__(self, store: KnowledgeStore) -> T:
        hit = self.peek(store)
        if hit is not None:
            return hit
        value = self.load(store)
        with self.lock:
            self.cache[store] = (_version(store), value)
        return value

    def forget(self, store: KnowledgeStore) -> None:
        """Drop what is kept for ``store`` (tests measure a cold load with it)."""
        with self.lock:
            self.cache.pop(store, None)

    def peek(self, store: KnowledgeStore) -> T | None:
        """The value for the store's current data version if it is loaded, else None."""
        with self.lock:
            hit = self.cache.get(store)
        return hit[1] if hit is not None and hit[0] == _version(store) else None


def _version(store: KnowledgeStore) -> str:
    return store.info.version if store.info else ""
