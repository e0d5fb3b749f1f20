"""The one place that chooses a backend from the settings: embedded Oxigraph, or a remote
SPARQL 1.1 server when ``CAIKG_STORE_QUERY_URL`` is set. Nothing above the store layer asks
which backend it has; it asks the store (``backend``, ``health()``)."""

from __future__ import annotations

import atexit
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from caikg.config import Settings
from caikg.store.base import BuildInfo, Executor, KnowledgeStore, StoreError
from caikg.store.embedded import EmbeddedStore, NewStore, current_store_dir
from caikg.store.pool.executor import QueryExecutor
from caikg.store.pool.store import PooledStore
from caikg.store.remote.client import RemoteError
from caikg.store.remote.executor import RemoteExecutor
from caikg.store.remote.publish import publish as publish_remote
from caikg.store.remote.store import RemoteStore


class PublishError(StoreError):
    """A build could not be published; the store still serves the previous build."""


def open_store(settings: Settings) -> KnowledgeStore:
    """A store for one command (``caikg query``, ``export``, ``stats``): the remote store,
    or the current embedded build opened in this process."""
    if settings.remote:
        return RemoteStore(settings)
    return EmbeddedStore.open(settings)


@dataclass
class Backend:
    """What ``caikg serve`` answers from: a store for the pages and an executor for users'
    queries, which stops a query at its deadline while the others are answered."""

    store: KnowledgeStore
    executor: Executor


def open_backend(settings: Settings) -> Backend:
    """For serving: workers forked from one zygote holding the current build (the app keeps
    no copy of the data), or the remote store behind a bounded number of connections."""
    if settings.remote:
        remote = RemoteStore(settings)
        return Backend(remote, RemoteExecutor(settings, remote))
    executor = QueryExecutor(settings, workers=settings.workers,
                             queue_timeout=settings.queue_timeout)
    atexit.register(executor.close)
    return Backend(PooledStore(settings), executor)


class Publication(Protocol):
    """A build on its way to being served: begun once the data is valid, published when
    every graph is ready, discarded when the build fails."""

    def load_beside(self, graph: str, triples: Sequence[ox.Triple]) -> None:
        """Start loading the largest graph while the build goes on (may do nothing)."""

    def publish(self, graphs: Mapping[str, Sequence[ox.Triple]], info: BuildInfo,
                progress: Callable[[str], None]) -> Path | None:
        """Make ``graphs`` the served build, all at once; raise :class:`PublishError`."""

    def discard(self) -> None:
        """Leave no trace of the build (the previous one is still served)."""


class _EmbeddedPublication:
    """A new store directory (:class:`NewStore`), swapped in by one rename."""

    def __init__(self, settings: Settings, version: str) -> None:
        try:
            self._store = NewStore(settings, version)
        except StoreError as exc:
            raise PublishError(str(exc)) from None

    def load_beside(self, graph: str, triples: Sequence[ox.Triple]) -> None:
        self._store.load_beside(graph, triples)

    def publish(self, graphs: Mapping[str, Sequence[ox.Triple]], info: BuildInfo,
                progress: Callable[[str], None]) -> Path | None:
        try:
            return self._store.publish(graphs, info)
        except StoreError as exc:
            raise PublishError(f"{exc}; the previous build is still served") from None

    def discard(self) -> None:
        self._store.discard()


class _RemotePublication:
    """The remote store's staging graphs, uploaded and moved live at publication (nothing is
    loaded beside: the upload is the server's work, one graph after another)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def load_beside(self, graph: str, triples: Sequence[ox.Triple]) -> None:
        return None

    def publish(self, graphs: Mapping[str, Sequence[ox.Triple]], info: BuildInfo,
                progress: Callable[[str], None]) -> Path | None:
        try:
            publish_remote(self._settings, graphs, info, progress)
        except RemoteError as exc:
            raise PublishError(f"{exc}; the remote store still serves the previous "
                               "build") from None
        return None

    def discard(self) -> None:
        return None  # nothing is uploaded before publish(), which cleans up after itself


def begin_publication(settings: Settings, version: str) -> Publication:
    """Begin publishing build ``version`` (call with :func:`build_lock` held): a new
    embedded store, or the remote store's staging graphs."""
    if settings.remote:
        return _RemotePublication(settings)
    return _EmbeddedPublication(settings, version)


def published_store(settings: Settings) -> KnowledgeStore | None:
    """The build being served now (the one the next build replaces), None before the first
    build; raises :class:`StoreError` when it cannot be read (a remote store that does not
    answer, a store directory that cannot be opened)."""
    if settings.remote:
        remote = RemoteStore(settings)
        return remote if remote.info is not None else None
    path = current_store_dir(settings)
    return EmbeddedStore.open_path(path) if path is not None else None


def store_location(settings: Settings) -> str:
    """Where builds go, for progress messages."""
    return settings.store_query_url if settings.remote else str(settings.home)
