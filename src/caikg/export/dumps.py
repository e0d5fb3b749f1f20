"""``caikg export``: deterministic dumps of the store in the common RDF formats."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pyoxigraph as ox

from caikg.files import write_atomically
from caikg.rdf.formats import GRAPH_BY_KEY, Format
from caikg.rdf.namespaces import PREFIXES
from caikg.rdf.xmltext import xml_safe
from caikg.store.base import KnowledgeStore
from caikg.store.embedded import EmbeddedStore

EXPORT_FORMATS: dict[str, Format] = GRAPH_BY_KEY
"""The dumps: every RDF format of the registry (``rdf/formats.py``)."""


def export_graphs(store: KnowledgeStore, fmt: Format) -> list[str]:
    """Graphs in an export: dataset formats carry every named graph (ontology included);
    triple formats carry the data and its VoID description."""
    if fmt.dataset:
        return store.named_graphs()
    return store.data_graphs()


def prefixes_for(store: KnowledgeStore) -> dict[str, str]:
    base = store.instances.base
    own = {name: f"{base}{name}/" for name in ("paper", "person", "venue", "technique",
                                                "section", "scheme")}
    return {**PREFIXES, **own}


def export_bytes(store: KnowledgeStore, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    if fmt.rdf_format == ox.RdfFormat.RDF_XML:
        _dump_xml_safe(store, buffer, export_graphs(store, fmt), prefixes_for(store))
    else:
        store.dump(buffer, fmt.rdf_format, export_graphs(store, fmt), prefixes_for(store))
    return buffer.getvalue()


def _dump_xml_safe(store: KnowledgeStore, output: io.BytesIO, graphs: list[str],
                   prefixes: dict[str, str]) -> None:
    """RDF/XML with the characters XML 1.0 cannot carry (U+0001–U+001F other than tab, LF and
    CR, even escaped) replaced by U+FFFD in literals, as the SPARQL endpoint does
    (:func:`caikg.xmltext.xml_safe`): Oxigraph's writer emits them raw, which makes the
    document ill-formed. The other formats keep them exactly."""

    def safe(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.BlankNode \
            | ox.Literal:
        if isinstance(term, ox.Literal) and xml_safe(term.value) != term.value:
            if term.language:
                return ox.Literal(xml_safe(term.value), language=term.language)
            return ox.Literal(xml_safe(term.value), datatype=term.datatype)
        return term

    memory = ox.Store()
    memory.bulk_extend(ox.Quad(q.subject, q.predicate, safe(q.object),  # type: ignore[arg-type]
                               q.graph_name) for g in graphs for q in store.quads(g))
    EmbeddedStore(memory, store.info).dump(output, ox.RdfFormat.RDF_XML, graphs, prefixes)


BUILD_EXPORTS = ("ttl",)
"""Formats ``caikg build`` writes with every build (from the data it has in memory), so that
``caikg export`` and ``/downloads`` only copy a file: Turtle, the format other knowledge
graphs load. The others are written on first use."""


def export_path(exports_dir: Path, version: str, fmt: Format) -> Path:
    """Where the dump of data version ``version`` in ``fmt`` is kept."""
    return exports_dir / version / f"caikg.{fmt.extension}"


def render_build_exports(store: KnowledgeStore) -> dict[str, bytes]:
    """The :data:`BUILD_EXPORTS` of ``store`` (the data of a build), by format name: rendered
    while the build still holds the data in memory, written once the store is published."""
    return {name: export_bytes(store, EXPORT_FORMATS[name]) for name in BUILD_EXPORTS}


def write_rendered_exports(rendered: dict[str, bytes], exports_dir: Path, version: str
                           ) -> list[Path]:
    """Write exports of :func:`render_build_exports` atomically; return their paths."""
    written = []
    for name, data in rendered.items():
        path = export_path(exports_dir, version, EXPORT_FORMATS[name])
        write_atomically(path, data)
        written.append(path)
    return written


def write_build_exports(store: KnowledgeStore, exports_dir: Path, version: str) -> list[Path]:
    """Write the :data:`BUILD_EXPORTS` of ``store`` (the data of a build) atomically."""
    return write_rendered_exports(render_build_exports(store), exports_dir, version)


def export(store: KnowledgeStore, fmt: Format, output: Path | None,
           exports_dir: Path | None = None) -> int:
    """Export to ``output`` (atomically) or to standard output; return the byte count.

    The dump the build wrote for the store's data version (in ``exports_dir``) is copied
    when there is one."""
    version = store.info.version if store.info else ""
    kept = export_path(exports_dir, version, fmt) if exports_dir and version else None
    data = kept.read_bytes() if kept is not None and kept.is_file() else export_bytes(store, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(output, data)
    return len(data)
