"""``caikg export``: deterministic dumps of the store in the common RDF formats."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .files import write_atomically
from .namespaces import PREFIXES
from .store import EmbeddedStore


@dataclass(frozen=True)
class ExportFormat:
    name: str
    rdf_format: ox.RdfFormat
    extension: str

    @property
    def media_type(self) -> str:
        return self.rdf_format.media_type


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in [
        ExportFormat("ttl", ox.RdfFormat.TURTLE, "ttl"),
        ExportFormat("nt", ox.RdfFormat.N_TRIPLES, "nt"),
        ExportFormat("nq", ox.RdfFormat.N_QUADS, "nq"),
        ExportFormat("trig", ox.RdfFormat.TRIG, "trig"),
        ExportFormat("jsonld", ox.RdfFormat.JSON_LD, "jsonld"),
        ExportFormat("rdfxml", ox.RdfFormat.RDF_XML, "rdf"),
    ]
}


def export_graphs(store: EmbeddedStore, fmt: ExportFormat) -> list[str]:
    """Graphs in an export: dataset formats carry every named graph (ontology included);
    triple formats carry the data and its VoID description."""
    if fmt.rdf_format.supports_datasets:
        return store.named_graphs()
    return store.data_graphs()


def prefixes_for(store: EmbeddedStore) -> dict[str, str]:
    base = store.instances.base
    own = {name: f"{base}{name}/" for name in ("paper", "person", "venue", "technique",
                                                "section", "scheme")}
    return {**PREFIXES, **own}


def export_bytes(store: EmbeddedStore, fmt: ExportFormat) -> bytes:
    buffer = io.BytesIO()
    store.dump(buffer, fmt.rdf_format, export_graphs(store, fmt), prefixes_for(store))
    return buffer.getvalue()


def export(store: EmbeddedStore, fmt: ExportFormat, output: Path | None) -> int:
    """Export to ``output`` (atomically) or to standard output; return the byte count."""
    data = export_bytes(store, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(output, data)
    return len(data)
