"""A remote store: any SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki, GraphDB, …).

Selected by ``CAIKG_STORE_QUERY_URL`` (and ``CAIKG_STORE_UPDATE_URL``/``CAIKG_STORE_GSP_URL``
for ``caikg build``). The server holds all the data; ``caikg serve`` holds none, so any number
of app processes or hosts can answer from one store.

- **Reads** use the SPARQL 1.1 Protocol. Every request names its dataset
  (``default-graph-uri``/``named-graph-uri`` = the live graphs), so graphs being loaded by a
  build are never seen, whatever the server's default graph is.
- **Bindings** of the app's own queries cannot be sent as bindings over the protocol, so
  :func:`substitute` replaces the bound variables by RDF terms token by token (what SEP-0007
  substitution does in Oxigraph): terms are written by pyoxigraph, never formatted from text.
- **Builds** (:func:`publish`) upload each graph into a fresh staging graph with the Graph
  Store Protocol (or ``INSERT DATA`` without a GSP URL), check the triple counts, then switch
  with one SPARQL Update request (``MOVE`` staging → live for every graph). Until that request
  the live graphs are untouched; a failed upload only leaves staging graphs, which the next
  build removes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO

import pyoxigraph as ox

from caikg import queries
from caikg.config import Settings
from caikg.rdf.namespaces import Instances
from caikg.sparql.guard import query_form
from caikg.store.base import BuildInfo, QueryAnswer, Row, Term
from caikg.store.embedded import EmbeddedStore
from caikg.store.remote.client import RemoteClient
from caikg.store.remote.substitution import substitute, with_prefixes

log = logging.getLogger(__name__)

OWL_VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"
DCTERMS_MODIFIED = "http://purl.org/dc/terms/modified"


# -- the store -----------------------------------------------------------------------------

def graph_rows(client: RemoteClient, name: str, timeout: float | None = None,
               **bindings: Term) -> list[Row]:
    """Rows of ``queries/<name>.rq`` over the server's whole dataset (staging graphs too)."""
    sol = client.select_text(with_prefixes(substitute(queries.load(name).text, bindings)),
                        timeout=timeout)
    return [dict(zip(sol.variables, values, strict=True)) for values in sol.rows]


def graph_sizes(client: RemoteClient) -> dict[str, int]:
    """Triples per named graph of the server."""
    return {row["graph"].value: int(row["triples"].value)
            for row in graph_rows(client, "dataset_graph_sizes")
            if row["graph"] is not None and row["triples"] is not None}


@dataclass
class _Snapshot:
    info: BuildInfo | None
    checked: float


class RemoteStore:
    """The :class:`caikg.store.base.KnowledgeStore` of a remote SPARQL server."""

    backend = "remote"

    def __init__(self, settings: Settings, client: RemoteClient | None = None) -> None:
        self.settings = settings
        self.client = client or RemoteClient(settings)
        self.instances = Instances(settings.base_iri)
        self.live_graphs = [str(self.instances.ontology_graph), str(self.instances.curated_graph),
                            str(self.instances.enrichment_graph), str(self.instances.void_graph)]
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._graphs: tuple[str, dict[str, int]] | None = None

    # -- what is being served --------------------------------------------------------------
    def _read_info(self) -> BuildInfo | None:
        rows = graph_rows(self.client, "dataset_version", timeout=min(self.client.timeout, 10.0),
                                void=ox.NamedNode(str(self.instances.void_graph)),
                                dataset=ox.NamedNode(str(self.instances.dataset)))
        if not rows:
            return None
        version, modified = rows[0]["version"], rows[0]["modified"]
        graphs = self._graph_counts(version.value if version else "")
        return BuildInfo(version=version.value if version else "",
                         built_at=modified.value if modified else "",
                         base_iri=self.settings.base_iri, graphs=graphs)

    def _graph_counts(self, version: str) -> dict[str, int]:
        cached = self._graphs
        if cached is not None and cached[0] == version:
            return cached[1]
        sizes = graph_sizes(self.client)
        counts = {g: sizes[g] for g in self.live_graphs if g in sizes}
        self._graphs = (version, counts)
        return counts

    @property
    def info(self) -> BuildInfo | None:
        """The build being served, re-read at most every ``CAIKG_VERSION_TTL`` seconds."""
        now = time.monotonic()
        snap = self._snapshot
        if snap is None or now - snap.checked >= self.settings.version_ttl:
            with self._lock:
                snap = self._snapshot
                if snap is None or now - snap.checked >= self.settings.version_ttl:
                    snap = _Snapshot(self._read_info(), time.monotonic())
                    self._snapshot = snap
        return snap.info

    @property
    def version(self) -> str:
        info = self.info
        return info.version if info else ""

    def ping(self) -> float:
        """Seconds an ``ASK`` took; raises :class:`RemoteError` when the store is down."""
        start = time.perf_counter()
        self.client.ask_text("ASK {}", timeout=5.0)
        return time.perf_counter() - start

    def health(self) -> dict[str, object]:
        return {"store_latency_ms": round(self.ping() * 1000, 1),
                "store": self.settings.store_query_url}

    # -- queries -----------------------------------------------------------------------------
    def named_graphs(self) -> list[str]:
        info = self.info
        return sorted(info.graphs) if info else []

    def data_graphs(self) -> list[str]:
        return [g for g in self.named_graphs() if g != str(self.instances.ontology_graph)]

    def _dataset(self, default_graphs: list[str] | None) -> dict[str, list[str]]:
        graphs = self.named_graphs() or self.live_graphs
        return {"default_graphs": default_graphs if default_graphs is not None else graphs,
                "named_graphs": graphs}

    def select(self, name: str, default_graphs: list[str] | None = None,
               **bindings: Term) -> list[Row]:
        query = queries.load(name)
        sol = self.client.select_text(with_prefixes(substitute(query.text, bindings)),
                                 **self._dataset(default_graphs))
        rows: list[Row] = []
        for values in sol.rows:
            row: Row = dict(zip(sol.variables, values, strict=True))
            for var, term in bindings.items():
                row.setdefault(var.lstrip("?$"), term)
            rows.append(row)
        return rows

    def construct(self, name: str, **bindings: Term) -> list[ox.Triple]:
        text = with_prefixes(substitute(queries.load(name).text, bindings))
        return self.client.construct_text(text, **self._dataset(None))

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        graphs = [graph] if graph else self.named_graphs()
        for g in graphs:
            triples = self.client.construct_text("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                            default_graphs=[g], named_graphs=[])
            node = ox.NamedNode(g)
            for t in triples:
                yield ox.Quad(t.subject, t.predicate, t.object, node)

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat, graphs: list[str] | None = None,
             prefixes: Mapping[str, str] | None = None) -> None:
        memory = ox.Store()
        chosen = graphs if graphs is not None else self.named_graphs()
        for g in chosen:
            memory.bulk_extend(self.quads(g))
        EmbeddedStore(memory, self.info).dump(output, fmt, chosen, prefixes)

    def __len__(self) -> int:
        info = self.info
        return info.triples if info else 0

    def run(self, text: str) -> QueryAnswer:
        """``text`` over the live graphs: a boolean (ASK), triples or solutions."""
        form = query_form(text)
        dataset = self._dataset(None)
        if form in {"CONSTRUCT", "DESCRIBE"}:
            return self.client.construct_text(text, **dataset)
        if form == "ASK":
            return self.client.ask_text(text, **dataset)
        return self.client.select_text(text, **dataset)
