"""The store interface every backend implements, the terms and rows it returns, its errors,
and the description of a build (``build-info.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox

from caikg.rdf.namespaces import Instances
from caikg.sparql.guard import CheckedQuery

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term | None]

BUILD_INFO = "build-info.json"



def value(term: object) -> str | None:
    """The lexical value of a term (None for an unbound variable)."""
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return None


def plain(rows: list[Row]) -> list[dict[str, str | None]]:
    """Rows with every term replaced by its lexical value."""
    return [{k: value(v) for k, v in row.items()} for row in rows]


class StoreError(Exception):
    """The store is missing, unreadable or cannot be written."""


class NoStoreError(StoreError):
    pass


@dataclass
class BuildInfo:
    """What a store holds; written next to it as ``build-info.json``."""

    version: str
    built_at: str
    base_iri: str
    graphs: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())

    @classmethod
    def read(cls, store_dir: Path) -> BuildInfo:
        try:
            raw = json.loads((store_dir / BUILD_INFO).read_text(encoding="utf-8"))
            return cls(**raw)
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(f"{store_dir / BUILD_INFO}: cannot be read: {exc}") from None


@dataclass
class Solutions:
    """The rows of a SELECT query, a tuple of terms (None: unbound) per row."""

    variables: list[str]
    rows: list[tuple[Term | None, ...]]


QueryAnswer = bool | list[ox.Triple] | Solutions
"""What :meth:`KnowledgeStore.run` returns: ASK, CONSTRUCT/DESCRIBE or SELECT."""


class KnowledgeStore(Protocol):
    """What the application needs from a store, whatever engine holds the data.

    Implemented by :class:`caikg.store.embedded.EmbeddedStore` (Oxigraph in this process),
    :class:`caikg.store.pool.store.PooledStore` (Oxigraph in worker processes) and
    :class:`caikg.store.remote.store.RemoteStore` (a SPARQL 1.1 server); chosen once, from the
    settings, by :mod:`caikg.store.factory`.
    """

    instances: Instances
    backend: str
    """``"embedded"`` or ``"remote"`` (shown by ``/healthz``)."""

    @property
    def version(self) -> str:
        """The data version being served now ("" before the first build)."""

    def health(self) -> dict[str, object]:
        """What ``/healthz`` adds about the backend (a remote store's latency); raises
        :class:`StoreError` when the store cannot be reached."""

    def run(self, text: str) -> QueryAnswer:
        """A trusted query's answer over the live graphs (``caikg query``)."""

    @property
    def info(self) -> BuildInfo | None:
        """Metadata of the build being served (its ``version`` is the data version)."""

    def select(self, name: str, default_graphs: list[str] | None = None,
               **bindings: Term) -> list[Row]:
        """Rows of the SELECT query in ``queries/<name>.rq`` with ``bindings``."""

    def construct(self, name: str, **bindings: Term) -> list[ox.Triple]:
        """Triples of the CONSTRUCT query in ``queries/<name>.rq``."""

    def named_graphs(self) -> list[str]:
        """The graphs of the dataset being served."""

    def data_graphs(self) -> list[str]:
        """Every graph but the ontology's."""

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """The quads of ``graph`` (or of every graph)."""

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat, graphs: list[str] | None = None,
             prefixes: Mapping[str, str] | None = None) -> None:
        """Serialise ``graphs`` (default: all) deterministically into ``output``."""

    def __len__(self) -> int:
        """How many quads the store holds."""


class Executor(Protocol):
    """What the SPARQL endpoint needs: run a user's query with a deadline and a row cap and
    return it serialised (:class:`QueryResult`). Implemented by
    :class:`caikg.store.pool.executor.QueryExecutor` and
    :class:`caikg.store.remote.executor.RemoteExecutor`."""

    size: int

    @property
    def version(self) -> str:
        """The data version the next query will be answered from."""

    @property
    def jobs(self) -> int:
        """How many queries were run."""

    @property
    def worker_pids(self) -> list[int]:
        """Processes running queries (none for a remote store)."""

    def prepare(self, query: str, default_graphs: list[str] | None = None,
                named_graphs: list[str] | None = None) -> CheckedQuery:
        """The guard's one check of a user's query against the graphs served now: its form,
        or :class:`caikg.sparql.guard.QueryRefused`."""

    def execute(self, query: str | CheckedQuery, *, result_format: str, graph_format: str,
                default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                bindings: Mapping[str, Term] | None = None, timeout: float | None = None,
                limit: int | None = None) -> QueryResult:
        """Run ``query``; raise the :class:`QueryError` subclasses when it cannot."""

    def close(self) -> None:
        """Release processes and connections."""


# -- query errors and results ------------------------------------------------------------------

class QueryError(Exception):
    """The query could not be answered (HTTP 500 unless a subclass says otherwise)."""


class QuerySyntaxError(QueryError):
    """The query does not parse; the message has the parser's line and column (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QueryTimeout(QueryError):
    """The query was stopped at its time limit (HTTP 503)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"the query timed out: it was stopped after {timeout:g} s (its time "
                         "limit); make it more selective or add a LIMIT")
        self.timeout = timeout


class Overloaded(QueryError):
    """No worker became free in time (HTTP 503 with ``Retry-After: retry_after``)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class QueryResult:
    kind: str
    """``"select"``, ``"ask"`` or ``"graph"`` (CONSTRUCT and DESCRIBE)."""
    body: bytes
    media_type: str
    count: int
    """Rows (select), distinct triples (graph) or 1 (ask)."""
    truncated: bool
    """True when the row/triple cap cut the result."""
    version: str
    """Data version of the store that answered."""
    elapsed: float
    """Seconds spent in :meth:`QueryExecutor.execute`, waiting for a worker included."""
