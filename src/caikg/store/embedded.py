"""The embedded backend: a pyoxigraph store in a directory of ``$CAIKG_HOME/stores``, how a
build writes one and how the ``store`` link publishes it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from caikg import queries
from caikg.config import Settings
from caikg.rdf.namespaces import PREFIXES, Instances
from caikg.store.base import (
    BUILD_INFO,
    BuildInfo,
    NoStoreError,
    QueryAnswer,
    Row,
    Solutions,
    StoreError,
    Term,
)


def data_version(graphs: Mapping[str, Iterable[ox.Triple]]) -> str:
    """A content hash of the data: independent of the order of graphs and triples, of
    duplicates and of blank node labels (a graph with blank nodes is canonicalised, RDFC-1.0).

    Each graph's triples are written as N-Triples by Oxigraph, and the sorted distinct lines
    are hashed (about 3 s for a million triples).
    """
    digest = hashlib.sha256()
    for name in sorted(graphs):
        triples = list(graphs[name])
        if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)
               for t in triples):
            dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
            triples = [q.triple for q in dataset]
        lines = sorted(set((ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
                           .splitlines()))
        digest.update(f"<{name}>\n".encode())
        digest.update(b"\n".join(lines))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def graph_sizes(store: ox.Store, graphs: Iterable[str]) -> dict[str, int]:
    """Triples per named graph (zero for a graph the store does not have)."""
    solutions = store.query(queries.load("dataset_graph_sizes").text)
    assert isinstance(solutions, ox.QuerySolutions)
    counts = {row["graph"].value: int(row["triples"].value) for row in solutions}
    return {g: counts.get(g, 0) for g in graphs}


class EmbeddedStore:
    """An Oxigraph store (on disk or in memory) plus the metadata of the build that made it."""

    backend = "embedded"

    def __init__(self, store: ox.Store, info: BuildInfo | None, path: Path | None = None) -> None:
        self._store = store
        self.info = info
        self.path = path
        self.instances = Instances(info.base_iri if info else "https://w3id.org/caikg/")

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, *, in_memory: bool = False) -> EmbeddedStore:
        """The current store of ``settings.home`` (read-only, or copied into memory)."""
        link = settings.store_link
        if not link.exists():
            raise NoStoreError(f"no store in {settings.home}: run 'caikg build' first")
        return cls.open_path(link.resolve(), in_memory=in_memory)

    @classmethod
    def open_path(cls, path: Path, *, in_memory: bool = False) -> EmbeddedStore:
        """The store in directory ``path`` (read-only, or copied into memory)."""
        info = BuildInfo.read(path)
        try:
            disk = ox.Store.read_only(str(path))
        except OSError as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from None
        if not in_memory:
            return cls(disk, info, path)
        memory = ox.Store()
        memory.bulk_extend(disk.quads_for_pattern(None, None, None, None))
        del disk
        return cls(memory, info, path)

    @classmethod
    def in_memory(cls, graphs: Mapping[str, Iterable[ox.Triple]], base_iri: str,
                  version: str | None = None) -> EmbeddedStore:
        """A store in memory holding ``graphs``; ``version``: their data version, if known."""
        store = ox.Store()
        _load_graphs(store, graphs)
        info = BuildInfo(version=version if version is not None else data_version(graphs),
                         built_at="", base_iri=base_iri, graphs=graph_sizes(store, graphs))
        return cls(store, info)

    # -- queries -------------------------------------------------------------------------
    def query(self, text: str, *, bindings: Mapping[str, Term] | None = None,
              default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None, union_default: bool = True) -> Any:
        """Run SPARQL ``text``; the default graph is the union of all graphs unless
        ``default_graphs`` names some. ``bindings`` are substituted (SEP-0007), never
        formatted into the text."""
        kwargs: dict[str, Any] = {"prefixes": PREFIXES}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = union_default
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if bindings:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in bindings.items()}
        return self._store.query(text, **kwargs)

    @property
    def version(self) -> str:
        return self.info.version if self.info else ""

    def health(self) -> dict[str, object]:
        return {}

    def run(self, text: str) -> QueryAnswer:
        """``text`` over the union of the graphs: a boolean (ASK), triples or solutions."""
        result = self.query(text)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if isinstance(result, ox.QueryTriples):
            return list(result)
        variables = [v.value for v in result.variables]
        return Solutions(variables, [tuple(sol) for sol in result])

    def data_graphs(self) -> list[str]:
        """Every named graph except the ontology's."""
        return [g for g in self.named_graphs() if g != str(self.instances.ontology_graph)]

    def select(self, name: str, default_graphs: list[str] | None = None,
               **bindings: Term) -> list[Row]:
        """Rows of the SELECT query in ``queries/<name>.rq``."""
        solutions = self.query(queries.load(name).text, bindings=bindings,
                               default_graphs=default_graphs)
        variables = [v.value for v in solutions.variables]
        # a solution iterates over its values in the order of the variables (None when
        # unbound): zipping is ~2.5x faster than looking each variable up by name
        return [dict(zip(variables, row, strict=True)) for row in solutions]

    def construct(self, name: str, **bindings: Term) -> list[ox.Triple]:
        return list(self.query(queries.load(name).text, bindings=bindings))

    # -- raw access ----------------------------------------------------------------------
    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        g = ox.NamedNode(graph) if graph else None
        return iter(self._store.quads_for_pattern(None, None, None, g))

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self._store)

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat, graphs: list[str] | None = None,
             prefixes: Mapping[str, str] | None = None) -> None:
        """Serialise ``graphs`` (default: all) deterministically: the same store gives the
        same bytes.

        Turtle, N-Triples, N-Quads and TriG are written by Oxigraph itself, graph after graph
        in its index order (a Turtle document per graph, concatenated: a valid Turtle document
        whose prefixes are declared again); the other formats are serialised from the sorted
        triples (quads for dataset formats).
        """
        chosen = graphs if graphs is not None else self.named_graphs()
        fast = {ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS,
                ox.RdfFormat.TRIG}
        if fmt in fast:
            if fmt.supports_datasets and sorted(chosen) == self.named_graphs():
                self._store.dump(output, fmt, prefixes=dict(prefixes or {}))
                return
            for g in chosen:
                if fmt.supports_datasets:
                    ox.serialize(self._store.quads_for_pattern(None, None, None,
                                                               ox.NamedNode(g)),
                                 output, format=fmt, prefixes=dict(prefixes or {}))
                else:
                    self._store.dump(output, fmt, from_graph=ox.NamedNode(g),
                                     prefixes=dict(prefixes or {}))
            return
        quads: list[ox.Quad] = []
        for g in chosen:
            quads.extend(self.quads(g))
        if fmt.supports_datasets:
            quads.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                                      str(q.object)))
            ox.serialize(quads, output, format=fmt, prefixes=dict(prefixes or {}))
        else:
            triples = sorted({q.triple for q in quads}, key=lambda t: (
                str(t.subject), str(t.predicate), str(t.object)))
            ox.serialize(triples, output, format=fmt, prefixes=dict(prefixes or {}))


def load_graphs(store: EmbeddedStore, graphs: Mapping[str, Iterable[ox.Triple]]) -> None:
    """Add ``graphs`` (name → triples) to ``store``."""
    _load_graphs(store._store, graphs)


LOAD_CHUNK = 250_000
"""Triples per call of Oxigraph's bulk loader. One call over a million triples buffers
~860 MiB (the build's peak memory); calls of 250,000 buffer ~230 MiB, in about the same time,
at the cost of a few more files in the store (measured on 1M triples, docs/BENCHMARKS.md)."""


def _load_graphs(store: ox.Store, graphs: Mapping[str, Iterable[ox.Triple]]) -> None:
    for name, triples in graphs.items():
        chunks, with_blank = loader_input(
            name, triples if isinstance(triples, Sequence) else list(triples))
        bulk_load(store, name, chunks, with_blank)


@contextlib.contextmanager
def build_lock(settings: Settings) -> Iterator[None]:
    """Only one writer at a time per ``CAIKG_HOME``."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"{settings.home}: another build is running") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_store_dir(settings: Settings) -> Path | None:
    """The directory the ``store`` link points at, None when there is none (or it dangles).

    Asked several times per request by a serving process (to notice a new build), so it costs
    two system calls (``readlink`` and ``stat``), not the dozen of ``Path.resolve``."""
    link = settings.store_link
    try:
        target = os.readlink(link)
    except OSError:  # no link (or not a link)
        return None
    path = Path(os.path.abspath(os.path.join(link.parent, target)))
    return path if os.path.isdir(path) else None


class NewStore:
    """A new embedded store being written while the build goes on (with :func:`build_lock`
    held): :meth:`load_beside` loads the largest graph in a thread, :meth:`publish` adds the
    other graphs and swaps the store in, :meth:`discard` removes it.

    The graph is handed to Oxigraph's bulk loader as N-Triples, which parses and sorts
    without holding the GIL (``bulk_extend`` of quads holds it): at 1M triples the load takes
    ~7 s, and the build's own work (VoID, the dump, the change log) runs on the other core
    meanwhile instead of after it (docs/BENCHMARKS.md).
    """

    def __init__(self, settings: Settings, version: str) -> None:
        settings.stores_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        target = settings.stores_dir / f"{stamp}-{version}-{os.getpid()}"
        n = 1
        while target.exists():  # same second, version and pid: never reuse a directory
            target = settings.stores_dir / f"{stamp}-{version}-{os.getpid()}-{n}"
            n += 1
        self.settings = settings
        self.path = target
        try:
            self._store: ox.Store | None = ox.Store(str(target))
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise StoreError(f"cannot write the store in {target}: {exc}") from None
        self._beside: str | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._published = False

    def load_beside(self, graph: str, triples: Sequence[ox.Triple]) -> None:
        """Start loading ``triples`` into ``graph`` in a thread; return once they are
        written as N-Triples (the thread runs only Oxigraph's loader)."""
        if self._store is None or self._thread is not None:
            raise StoreError(f"{self.path}: already loading or closed")
        store = self._store
        chunks, with_blank = loader_input(graph, triples)

        def load() -> None:
            try:
                bulk_load(store, graph, chunks, with_blank)
            except BaseException as exc:  # reported by publish(), in the build's thread
                self._failure = exc

        self._beside = graph
        self._thread = threading.Thread(target=load, name=f"caikg-load-{self.path.name}",
                                        daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise StoreError(f"cannot write the store in {self.path}: {failure}")

    def publish(self, graphs: Mapping[str, Iterable[ox.Triple]], info: BuildInfo) -> Path:
        """Complete the store with ``graphs`` (the one loaded beside is not loaded again),
        write its build description and make it the served store; return its directory."""
        try:
            self._wait()
            store = self._store
            if store is None:
                raise StoreError(f"{self.path}: already published or discarded")
            _load_graphs(store, {g: t for g, t in graphs.items() if g != self._beside})
            store.flush()
            info.graphs = graph_sizes(store, graphs)
            self._store = None
            del store
            tmp_info = self.path / (BUILD_INFO + ".tmp")
            tmp_info.write_text(json.dumps(asdict(info), indent=2, sort_keys=True) + "\n",
                                encoding="utf-8")
            _fsync(tmp_info)
            os.replace(tmp_info, self.path / BUILD_INFO)
        except (OSError, StoreError) as exc:
            self.discard()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot write the store in {self.path}: {exc}") from None
        # from here on the link may point at this store: it is never removed by discard()
        # (a store left unpublished is removed by the next publication)
        self._published = True
        publish(self.settings, self.path)
        return self.path

    def discard(self) -> None:
        """Remove the store unless it was handed to :func:`publish` (waiting for a load in
        progress to end)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._failure = None
        self._store = None
        if not self._published:
            shutil.rmtree(self.path, ignore_errors=True)


def loader_input(graph: str, triples: Sequence[ox.Triple]
                 ) -> tuple[list[bytes], list[ox.Quad]]:
    """``triples`` as N-Triples documents of :data:`LOAD_CHUNK` triples, and the triples with
    a blank node as quads: the parser gives every document's blank nodes fresh labels, so a
    blank node shared by two chunks would become two."""
    g = ox.NamedNode(graph)
    chunks: list[bytes] = []
    with_blank: list[ox.Quad] = []
    for start in range(0, len(triples), LOAD_CHUNK):
        plain = []
        for t in triples[start:start + LOAD_CHUNK]:
            if type(t.subject) is ox.BlankNode or type(t.object) is ox.BlankNode:
                with_blank.append(ox.Quad(t.subject, t.predicate, t.object, g))
            else:
                plain.append(t)
        chunk = ox.serialize(plain, format=ox.RdfFormat.N_TRIPLES)
        if chunk:
            chunks.append(chunk)
    return chunks, with_blank


def bulk_load(store: ox.Store, graph: str, chunks: list[bytes], with_blank: list[ox.Quad]
              ) -> None:
    """Load what :func:`loader_input` made; ``chunks`` is emptied as they are loaded.

    Only Oxigraph's calls run here, so that this can run in a thread beside the build: the
    N-Triples parser holds no GIL (``lenient``: the terms were checked when they were made)."""
    g = ox.NamedNode(graph)
    chunks.reverse()
    while chunks:
        store.bulk_load(chunks.pop(), format=ox.RdfFormat.N_TRIPLES, to_graph=g, lenient=True)
    for start in range(0, len(with_blank), LOAD_CHUNK):
        store.bulk_extend(with_blank[start:start + LOAD_CHUNK])


def write_store(settings: Settings, graphs: Mapping[str, Iterable[ox.Triple]],
                info: BuildInfo) -> Path:
    """Write a complete new store and publish it atomically; return its directory.

    Must be called with :func:`build_lock` held.
    """
    return NewStore(settings, info.version).publish(graphs, info)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def publish(settings: Settings, target: Path) -> None:
    """Point the ``store`` symlink at ``target`` with one atomic rename, then tidy up."""
    previous = current_store_dir(settings)
    tmp_link = settings.home / f".store.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    os.symlink(os.path.relpath(target, settings.home), tmp_link)
    os.replace(tmp_link, settings.store_link)
    dir_fd = os.open(settings.home, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    _remove_old_stores(settings, keep={target, *(p for p in [previous] if p)})


def _remove_old_stores(settings: Settings, keep: set[Path]) -> None:
    """Delete stores other than the current and the previous one (a server may still be
    reading the previous one) and leftovers of builds that were killed."""
    for path in settings.stores_dir.iterdir():
        if path.resolve() not in {k.resolve() for k in keep}:
            shutil.rmtree(path, ignore_errors=True)
