"""``caikg backup`` and ``caikg restore``: a consistent, checked copy of the current store.

A backup is a gzipped tar file holding

* ``dataset.nq`` — every named graph of the store as sorted N-Quads;
* ``build-info.json`` — the store's build metadata (data version, base IRI, sources);
* ``enrichment.ttl`` — ``$CAIKG_HOME/enrichment/enrichment.ttl`` when there is one;
* ``manifest.json`` — the format, the data version and the SHA-256 and size of each file.

It is read from one published store directory (stores are never changed once published) under
the build lock, so it is one consistent snapshot, and written atomically.

``restore`` checks everything before it touches anything: the archive's integrity (gzip CRC,
only the expected regular files, sizes, checksums), the N-Quads, that the content hash of the
graphs is the recorded data version, the base IRI, and the curated graph against
``ontology/shapes.ttl`` (SHACL). Only then is the store written and published exactly as
``caikg build`` does (:func:`caikg.store.write_store` under :func:`caikg.store.build_lock`),
so a refused or failed restore leaves the current store serving.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from caikg import __version__
from caikg.config import Settings
from caikg.files import write_atomically
from caikg.rdf.namespaces import Instances
from caikg.rdf.sources import SourceSet, to_rdflib
from caikg.store.base import BuildInfo, StoreError
from caikg.store.embedded import EmbeddedStore, build_lock, data_version, write_store
from caikg.validation.report import ValidationReport, load_shapes, validate_graph

FORMAT = "caikg-backup/1"
DATASET, BUILD_INFO, ENRICHMENT, MANIFEST = (
    "dataset.nq", "build-info.json", "enrichment.ttl", "manifest.json")
MEMBERS = {DATASET, BUILD_INFO, ENRICHMENT, MANIFEST}
MAX_MEMBER = 1 << 30
"""Largest file accepted in a backup (1 GiB): a bigger one is refused before it is read."""

Progress = Callable[[str], None]


class BackupError(Exception):
    """The backup cannot be written, or the file is not a valid backup (nothing changed)."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class BackupInfo:
    path: Path
    version: str
    quads: int
    size: int
    enrichment: bool


def default_path(settings_home: Path, version: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return settings_home / "backups" / f"caikg-{version}-{stamp}.tar.gz"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tar_gz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(files[name]))
    return gzip.compress(raw.getvalue(), mtime=0)


def backup(settings: Settings, output: Path | None = None) -> BackupInfo:
    """Write a backup of the current store to ``output`` (default
    ``$CAIKG_HOME/backups/caikg-<version>-<time>.tar.gz``) atomically."""
    with build_lock(settings):  # no build or restore publishes while we read
        store = EmbeddedStore.open(settings)
        assert store.info is not None and store.path is not None
        info_bytes = (store.path / "build-info.json").read_bytes()
        buffer = io.BytesIO()
        quads = sorted(store.quads(), key=lambda q: (str(q.graph_name), str(q.subject),
                                                      str(q.predicate), str(q.object)))
        ox.serialize(quads, buffer, format=ox.RdfFormat.N_QUADS)
        enrichment = (settings.enrichment_file.read_bytes()
                      if settings.enrichment_file.exists() else None)
        version = store.info.version
        content = content_version(quads, store.instances)
    files = {DATASET: buffer.getvalue(), BUILD_INFO: info_bytes}
    if enrichment is not None:
        files[ENRICHMENT] = enrichment
    manifest = {
        "format": FORMAT,
        "caikg": __version__,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "version": version,
        "content_version": content,
        "base_iri": store.info.base_iri,
        "quads": len(quads),
        "files": {name: {"sha256": _sha256(data), "size": len(data)}
                  for name, data in sorted(files.items())},
    }
    files[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    data = _tar_gz(files)
    path = output or default_path(settings.home, version)
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}; nothing was "
                          f"written") from None
    return BackupInfo(path=path, version=version, quads=len(quads), size=len(data),
                      enrichment=enrichment is not None)


def content_version(quads: Iterable[ox.Quad], inst: Instances) -> str:
    """:func:`caikg.store.data_version` of the graphs as the store holds them (VoID aside).

    Computed from what the store holds (Oxigraph keeps ``xsd:integer``-derived literals as
    ``xsd:integer``, so for data that uses such types it can differ from the build's)."""
    graphs: dict[str, list[ox.Triple]] = {}
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value != str(inst.void_graph):
            graphs.setdefault(q.graph_name.value, []).append(q.triple)
    return data_version(graphs)


# -- reading and checking -----------------------------------------------------------------------
@dataclass
class CheckedBackup:
    manifest: dict[str, object]
    info: BuildInfo
    graphs: dict[str, list[ox.Triple]]
    enrichment: bytes | None
    report: ValidationReport


def _read_members(path: Path) -> dict[str, bytes]:
    """The files of the archive, read into memory (never extracted to disk)."""
    def bad(why: str) -> BackupError:
        return BackupError(f"{path}: not a valid caikg backup: {why}; nothing was changed")

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"{path}: {exc.strerror or exc}") from None
    out: dict[str, bytes] = {}
    try:
        # decompress all of it first: the gzip CRC and length are checked only at the end,
        # and tarfile stops quietly at a damaged header after the first one
        plain = bytearray()
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            while chunk := gz.read(1 << 20):
                plain += chunk
                if len(plain) > 2 * MAX_MEMBER:
                    raise bad(f"it is larger than {2 * MAX_MEMBER} bytes uncompressed")
        with tarfile.open(fileobj=io.BytesIO(bytes(plain)), mode="r:") as tar:
            for member in tar:
                if member.name not in MEMBERS or not member.isreg():
                    raise bad(f"unexpected entry {member.name!r}")
                if member.name in out:
                    raise bad(f"{member.name!r} appears twice")
                if member.size > MAX_MEMBER:
                    raise bad(f"{member.name!r} is larger than {MAX_MEMBER} bytes")
                fh = tar.extractfile(member)
                assert fh is not None
                out[member.name] = fh.read()
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise bad(f"the archive is damaged ({exc or type(exc).__name__})") from None
    return out


def check_backup(path: Path, settings: Settings, progress: Progress = lambda _m: None
                 ) -> CheckedBackup:
    """Read and check the backup at ``path``; raise :class:`BackupError` if it is refused."""

    def bad(why: str, report: ValidationReport | None = None) -> BackupError:
        return BackupError(f"{path}: not a valid caikg backup: {why}; nothing was changed",
                           report)

    files = _read_members(path)
    for required in (MANIFEST, DATASET, BUILD_INFO):
        if required not in files:
            raise bad(f"{required} is missing")
    try:
        manifest = json.loads(files[MANIFEST])
        listed = manifest["files"]
        if manifest.get("format") != FORMAT or not isinstance(listed, dict):
            raise bad(f"unknown format {manifest.get('format')!r} (expected {FORMAT})")
    except (ValueError, KeyError, TypeError):
        raise bad(f"{MANIFEST} cannot be read") from None
    if set(listed) != set(files) - {MANIFEST}:
        raise bad(f"the files {sorted(set(files) - {MANIFEST})} are not those of the manifest "
                  f"{sorted(listed)}")
    for name, expected in sorted(listed.items()):
        data = files[name]
        if not isinstance(expected, dict) or expected.get("size") != len(data) \
                or expected.get("sha256") != _sha256(data):
            raise bad(f"checksum mismatch for {name}")
    progress("checksums: ok")
    try:
        info = BuildInfo(**json.loads(files[BUILD_INFO]))
    except (ValueError, TypeError) as exc:
        raise bad(f"{BUILD_INFO} cannot be read ({exc})") from None
    if info.base_iri != settings.base_iri:
        raise bad(f"it was made with base IRI {info.base_iri}, not {settings.base_iri} "
                  f"(restore with --base-iri {info.base_iri})")
    graphs: dict[str, list[ox.Triple]] = {}
    try:
        for quad in ox.parse(files[DATASET], format=ox.RdfFormat.N_QUADS):
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise bad(f"{DATASET} has triples outside a named graph")
            graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    except SyntaxError as exc:
        raise bad(f"{DATASET}: {exc}") from None
    inst = Instances(info.base_iri)
    curated = str(inst.curated_graph)
    if curated not in graphs:
        raise bad(f"it has no curated graph <{curated}>")
    content = data_version({g: t for g, t in graphs.items() if g != str(inst.void_graph)})
    if info.version != manifest.get("version") or content != manifest.get("content_version"):
        raise bad(f"the content hash of its graphs is {content}, but it records "
                  f"{manifest.get('content_version')} (data version {info.version})")
    progress(f"data version {info.version} (content {content}): ok")
    report = validate_graph(to_rdflib(graphs[curated]), load_shapes(settings),
                            SourceSet(triples=graphs[curated]))
    if not report.conforms:
        raise bad(f"its curated graph does not conform to the shapes "
                  f"({len(report.violations)} violation(s))", report)
    progress("SHACL: the curated graph conforms")
    return CheckedBackup(manifest=manifest, info=info, graphs=graphs,
                         enrichment=files.get(ENRICHMENT), report=report)


def restore(path: Path, settings: Settings, progress: Progress = lambda _m: None) -> Path:
    """Check the backup at ``path`` and install it as a new store, atomically; return the
    store directory. The enrichment file of the backup (if any) replaces the current one."""
    checked = check_backup(path, settings, progress)
    info = BuildInfo(**{**asdict(checked.info), "graphs": {}})
    try:
        with build_lock(settings):
            store_dir = write_store(settings, checked.graphs, info)
            if checked.enrichment is not None:
                write_atomically(settings.enrichment_file, checked.enrichment)
    except StoreError as exc:
        raise BackupError(f"{exc}; the current store was kept") from None
    except OSError as exc:
        raise BackupError(f"the store was restored but {settings.enrichment_file} could not "
                          f"be written: {exc.strerror or exc}") from None
    progress(f"restored data version {info.version} into {store_dir}")
    return store_dir
