"""The application's own queries (the pages) answered by workers of the same zygote, behind the
store interface."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator, Mapping
from typing import IO

import pyoxigraph as ox

from caikg import queries
from caikg.config import Settings
from caikg.rdf.namespaces import Instances
from caikg.store.base import BuildInfo, QueryAnswer, Row, StoreError, Term
from caikg.store.pool.executor import QueryExecutor
from caikg.store.pool.memory import PAGE_WORKERS

log = logging.getLogger(__name__)

DUMP_TIMEOUT = 600.0
"""Deadline of a whole-store dump (the downloads) in a worker."""


class PooledStore:
    """The :class:`caikg.store.base.KnowledgeStore` of the web application: every query runs in a
    worker forked from the same zygote as the SPARQL endpoint's, so the application process
    holds no copy of the data. It has its own small pool of workers (``workers``), and its
    queries get ``timeout`` seconds (default ``CAIKG_QUERY_TIMEOUT``)."""

    backend = "embedded"

    def __init__(self, settings: Settings, workers: int = PAGE_WORKERS,
                 timeout: float | None = None) -> None:
        self.settings = settings
        self.timeout = settings.query_timeout if timeout is None else timeout
        self.executor = QueryExecutor(settings, workers=workers,
                                      queue_timeout=max(settings.queue_timeout, self.timeout))
        self._finalizer = weakref.finalize(self, self.executor.close)
        info = self.executor.current_info()
        self.instances = Instances(info.base_iri)
        self._stats: tuple[str, list[str], int] | None = None

    @property
    def info(self) -> BuildInfo | None:
        try:
            return self.executor.current_info()
        except StoreError:
            return None

    @property
    def version(self) -> str:
        return self.executor.version

    def health(self) -> dict[str, object]:
        return {}

    def run(self, text: str) -> QueryAnswer:
        answer: QueryAnswer = self.executor.job("run", self.timeout, query=text)["answer"]
        return answer

    def close(self) -> None:
        self._finalizer()

    def rows(self, query_text: str, *, bindings: Mapping[str, Term] | None = None,
             default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
             ) -> tuple[list[str], list[tuple[Term | None, ...]]]:
        return self.executor.rows(query_text, bindings=bindings, default_graphs=default_graphs,
                                  named_graphs=named_graphs, timeout=self.timeout)

    def triples(self, query_text: str, *, bindings: Mapping[str, Term] | None = None,
                default_graphs: list[str] | None = None,
                named_graphs: list[str] | None = None) -> list[ox.Triple]:
        return self.executor.triples(query_text, bindings=bindings,
                                     default_graphs=default_graphs, named_graphs=named_graphs,
                                     timeout=self.timeout)

    def select(self, name: str, default_graphs: list[str] | None = None,
               **bindings: Term) -> list[Row]:
        variables, rows = self.rows(queries.load(name).text, bindings=bindings,
                                    default_graphs=default_graphs)
        return [dict(zip(variables, row, strict=True)) for row in rows]

    def construct(self, name: str, **bindings: Term) -> list[ox.Triple]:
        return self.triples(queries.load(name).text, bindings=bindings)

    def _stats_now(self) -> tuple[list[str], int]:
        """Graphs and size of the current build (asked once per build: it is read-only)."""
        version = self.executor.version
        cached = self._stats
        if cached is None or cached[0] != version:
            payload = self.executor.job("stats", self.timeout)
            cached = self._stats = (payload["version"], payload["named_graphs"], payload["len"])
        return cached[1], cached[2]

    def named_graphs(self) -> list[str]:
        return list(self._stats_now()[0])

    def data_graphs(self) -> list[str]:
        return [g for g in self.named_graphs() if g != str(self.instances.ontology_graph)]

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        payload = self.executor.job("quads", DUMP_TIMEOUT, graph=graph)
        return iter(payload["quads"])

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat, graphs: list[str] | None = None,
             prefixes: Mapping[str, str] | None = None) -> None:
        payload = self.executor.job("dump", DUMP_TIMEOUT, media_type=fmt.media_type,
                                    graphs=graphs, prefixes=dict(prefixes or {}))
        output.write(payload["body"])

    def __len__(self) -> int:
        return self._stats_now()[1]
