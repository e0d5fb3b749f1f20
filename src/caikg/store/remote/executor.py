"""The query endpoint's executor over a remote store: the pool's interface with a bounded number
of concurrent requests and the HTTP read timeout as the deadline."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

import pyoxigraph as ox

from caikg.config import Settings
from caikg.rdf.formats import GRAPH_BY_KEY, RESULT_BY_KEY
from caikg.sparql.guard import CheckedQuery, check_request
from caikg.sparql.results import serialize_solutions, serialize_triples
from caikg.store.base import (
    Overloaded,
    QueryError,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    Term,
)
from caikg.store.remote.client import RemoteError, RemoteSyntaxError, RemoteTimeout
from caikg.store.remote.store import RemoteStore
from caikg.store.remote.substitution import split_dataset, substitute

log = logging.getLogger(__name__)


# -- the query endpoint's executor ---------------------------------------------------------

class RemoteExecutor:
    """:class:`caikg.executor.QueryExecutor`'s interface, answered by the remote store.

    At most ``CAIKG_WORKERS`` queries run at once per app process (others wait up to
    ``CAIKG_QUEUE_TIMEOUT``); the deadline is the HTTP read timeout. The store keeps running a
    query caikg stopped waiting for: set the server's own limit too (README, "Deployment").
    """

    def __init__(self, settings: Settings, store: RemoteStore) -> None:
        self.settings = settings
        self.store = store
        self.size = settings.workers
        self._slots = threading.BoundedSemaphore(settings.workers)
        self._jobs = 0
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.store.version

    @property
    def jobs(self) -> int:
        with self._lock:
            return self._jobs

    @property
    def worker_pids(self) -> list[int]:
        return []

    def close(self) -> None:
        pass

    def prepare(self, query: str, default_graphs: list[str] | None = None,
                named_graphs: list[str] | None = None) -> CheckedQuery:
        info = self.store.info
        allowed = sorted(info.graphs) if info else self.store.live_graphs
        return check_request(query, allowed, default_graphs, named_graphs)

    def execute(self, query: str | CheckedQuery, *, result_format: str, graph_format: str,
                default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                bindings: Mapping[str, Term] | None = None, timeout: float | None = None,
                limit: int | None = None) -> QueryResult:
        start = time.monotonic()
        timeout = self.settings.query_timeout if timeout is None else timeout
        limit = self.settings.result_limit if limit is None else limit
        info = self.store.info
        allowed = sorted(info.graphs) if info else self.store.live_graphs
        checked = (query if isinstance(query, CheckedQuery)
                   else self.prepare(query, default_graphs, named_graphs))
        default_graphs, named_graphs = checked.default_graphs, checked.named_graphs
        text = substitute(checked.text, bindings) if bindings else checked.text
        text, froms, from_named = split_dataset(text)
        empty = [f"{self.settings.base_iri}graph/empty"]  # no graph of that name is made
        if default_graphs or named_graphs:  # the protocol's dataset wins over the query's
            dataset = {"default_graphs": default_graphs or empty,
                       "named_graphs": named_graphs or empty}
        elif froms or from_named:
            dataset = {"default_graphs": froms or empty, "named_graphs": from_named or empty}
        else:  # the default graph is the union of the live graphs, as embedded
            dataset = {"default_graphs": allowed, "named_graphs": allowed}
        if not self._slots.acquire(timeout=self.settings.queue_timeout):
            raise Overloaded(f"all {self.size} store connections are busy; try again later",
                             retry_after=max(1, int(min(timeout, 30))))
        with self._lock:
            self._jobs += 1
        try:
            form = checked.form
            if form in {"CONSTRUCT", "DESCRIBE"}:
                triples = list(dict.fromkeys(self.store.client.construct_text(
                    text, timeout=timeout, **dataset)))
                truncated = len(triples) > limit
                del triples[limit:]
                body = serialize_triples(triples, graph_format)
                kind, count = "graph", len(triples)
                media_type = GRAPH_BY_KEY[graph_format].media_type
            else:
                sol = self.store.client.select_text(text, timeout=timeout, **dataset)
                media_type = RESULT_BY_KEY[result_format].content_type
                if form == "ASK":
                    value = sol.rows[0][0]
                    answer = ox.Store().query("ASK {}" if value is not None and value.value
                                              == "true" else "ASK { FILTER (false) }")
                    assert isinstance(answer, ox.QueryBoolean)
                    rfmt = RESULT_BY_KEY[result_format].results_format
                    body = answer.serialize(format=rfmt) or b""
                    kind, count, truncated = "ask", 1, False
                else:
                    rows = sol.rows
                    truncated = len(rows) > limit
                    rows = rows[:limit]
                    body = serialize_solutions(sol.variables, rows, result_format)
                    kind, count = "select", len(rows)
        except RemoteSyntaxError as exc:
            raise QuerySyntaxError(f"invalid SPARQL query: {exc}") from None
        except RemoteTimeout:
            raise QueryTimeout(timeout) from None
        except RemoteError as exc:
            raise QueryError(str(exc)) from None
        finally:
            self._slots.release()
        return QueryResult(kind=kind, body=body or b"", media_type=media_type, count=count,
                           truncated=truncated, version=info.version if info else "",
                           elapsed=time.monotonic() - start)
