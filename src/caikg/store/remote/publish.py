"""Publishing a build to a remote store: each graph uploaded into a fresh staging graph, the
counts checked, then one SPARQL Update switches staging to live. Until that request the live
graphs are untouched; a failed upload only leaves staging graphs, which the next build
removes."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from caikg.config import Settings
from caikg.rdf.namespaces import Instances
from caikg.store.base import BuildInfo
from caikg.store.remote.client import RemoteClient, RemoteError
from caikg.store.remote.store import RemoteStore, graph_rows, graph_sizes

log = logging.getLogger(__name__)
STAGING = "graph/staging/"
"""Staging graphs live under ``{base}graph/staging/<build>/<name>``."""



# -- publishing a build --------------------------------------------------------------------

def publish(settings: Settings, graphs: Mapping[str, Sequence[ox.Triple]], info: BuildInfo,
            progress: Any = lambda _msg: None, client: RemoteClient | None = None) -> None:
    """Load ``graphs`` into the remote store and switch to them atomically.

    The live graphs are untouched until the final update request; if anything before it
    fails, :class:`RemoteError` is raised and the staging graphs are dropped.
    """
    client = client or RemoteClient(settings, timeout=max(settings.query_timeout, 600.0))
    inst = Instances(settings.base_iri)
    build_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    prefix = f"{inst.base}{STAGING}"
    staging = {g: f"{prefix}{build_id}/{g.rsplit('/', 1)[-1]}" for g in graphs}
    _drop_leftovers(client, prefix)
    try:
        for g, triples in graphs.items():
            progress(f"      uploading {len(triples)} triples into {staging[g]}")
            client.update(f"DROP SILENT GRAPH <{staging[g]}>")
            client.upload(staging[g], list(triples))
        loaded = graph_sizes(client)
        sizes = {g: len(set(t)) for g, t in graphs.items()}
        expected = {staging[g]: n for g, n in sizes.items()}
        for g, n in expected.items():
            if loaded.get(g, 0) != n:
                raise RemoteError(f"the store holds {loaded.get(g, 0)} triples in {g} "
                                  f"after the upload, expected {n}")
        live = RemoteStore(settings, client).live_graphs
        void_graph = str(inst.void_graph)
        operations = [f"DROP SILENT GRAPH <{g}>" for g in live if g not in graphs]
        # the VoID graph (which carries the data version) goes last
        operations += [f"MOVE SILENT GRAPH <{staging[g]}> TO <{g}>"
                       for g in sorted(graphs, key=lambda g: g == void_graph)]
        progress("      switching to the new graphs (one update request)")
        client.update(" ;\n".join(operations))
        served = RemoteStore(settings, client).version
        if served != info.version:
            raise RemoteError(f"after the switch the store serves data version {served!r}, "
                              f"not {info.version!r}: run the build again")
    except BaseException:
        with contextlib.suppress(Exception):
            client.update(" ;\n".join(f"DROP SILENT GRAPH <{s}>" for s in staging.values()))
        raise
    info.graphs = sizes


def _drop_leftovers(client: RemoteClient, prefix: str) -> None:
    """Drop staging graphs of builds that were killed."""
    rows = graph_rows(client, "dataset_staging_graphs", prefix=ox.Literal(prefix))
    stale = [row["graph"].value for row in rows if row["graph"] is not None]
    if stale:
        client.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in stale))
