"""``caikg backup`` and ``caikg restore``: backup → rebuild with other data → restore gives the
same answers to the example queries; damaged, tampered or invalid backups are refused and the
current store is kept."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from caikg import queries
from caikg.build.backup import DATASET, MANIFEST, _sha256, _tar_gz, content_version
from caikg.build.pipeline import build
from caikg.cli import main
from caikg.config import Settings, load_settings
from caikg.rdf.namespaces import Instances
from caikg.store.embedded import EmbeddedStore, current_store_dir
from tests.helpers.project import REPO

XSD = "http://www.w3.org/2001/XMLSchema#"
EXTRA_TTL = """@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/caikg/paper/metagpt> dcterms:alternative "MetaGPT, other data" .
"""


def _term(kind: str, value: str) -> ox.NamedNode | ox.Literal:
    if kind == "iri":
        return ox.NamedNode(value)
    if kind == "integer":
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if kind == "year":
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "gYear"))
    return ox.Literal(value)


def answers(settings: Settings) -> dict[str, list[str]]:
    """Every example query with its default parameters, through the embedded store."""
    store = EmbeddedStore.open(settings)
    out: dict[str, list[str]] = {}
    for query in queries.examples():
        kinds = {p.name: p.kind for p in query.params}
        bindings = {name: _term(kinds[name], value) for name, value in query.defaults.items()}
        result = store.query(query.text, bindings=bindings)
        if isinstance(result, ox.QuerySolutions):
            variables = result.variables
            out[query.name] = [" ".join(str(row[v]) for v in variables) for row in result]
        elif isinstance(result, ox.QueryBoolean):
            out[query.name] = [str(bool(result))]
        else:
            out[query.name] = sorted(str(t) for t in result)
    return out


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    for key in [k for k in os.environ if k.startswith("CAIKG_")]:
        monkeypatch.delenv(key)
    env = {"CAIKG_HOME": str(tmp_path / "home"), "CAIKG_DATA_DIR": str(data),
           "CAIKG_ONTOLOGY_DIR": str(REPO / "ontology")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(environ=env)
    build(settings)
    return settings


def test_backup_rebuild_restore_answers_the_examples_identically(
        project: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = answers(project)
    version = EmbeddedStore.open(project).info.version  # type: ignore[union-attr]
    assert sum(map(len, before.values())) > 0
    backup_file = tmp_path / "backup.tar.gz"
    assert main(["backup", "-o", str(backup_file)]) == 0
    assert f"wrote {backup_file}" in capsys.readouterr().out

    other = tmp_path / "other"
    shutil.copytree(project.data_dir, other)
    (other / "extra.ttl").write_text(EXTRA_TTL, encoding="utf-8")
    (other / "classification.ttl").unlink()  # other data: the technique examples change
    rebuilt = build(project, [other])
    assert rebuilt.info.version != version
    assert answers(project) != before

    assert main(["restore", str(backup_file)]) == 0
    out = capsys.readouterr()
    assert "SHACL: the curated graph conforms" in out.err
    restored = EmbeddedStore.open(project)
    assert restored.info is not None and restored.info.version == version
    assert answers(project) == before
    assert main(["validate"]) == 0


def test_backups_are_consistent_and_checked(project: Settings, tmp_path: Path) -> None:
    backup_file = tmp_path / "b.tar.gz"
    assert main(["backup", "-o", str(backup_file)]) == 0
    with tarfile.open(backup_file, "r:gz") as tar:
        names = sorted(tar.getnames())
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        dataset = tar.extractfile(DATASET).read()  # type: ignore[union-attr]
    assert names == ["build-info.json", "dataset.nq", "manifest.json"]
    store = EmbeddedStore.open(project)
    assert manifest["quads"] == len(store) == len(list(ox.parse(dataset,
                                                                format=ox.RdfFormat.N_QUADS)))
    assert manifest["files"]["dataset.nq"]["sha256"] == _sha256(dataset)
    # the default file name is under $CAIKG_HOME/backups
    assert main(["backup"]) == 0
    [default] = list((project.home / "backups").iterdir())
    assert default.name.startswith("caikg-") and default.name.endswith(".tar.gz")


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]


def _refused(project: Settings, path: Path, capsys: pytest.CaptureFixture[str],
             message: str) -> None:
    store_dir = current_store_dir(project)
    version = EmbeddedStore.open(project).info.version  # type: ignore[union-attr]
    stores = sorted(p.name for p in project.stores_dir.iterdir())
    assert main(["restore", str(path)]) == 1
    err = capsys.readouterr().err
    assert "not a valid caikg backup" in err and message in err, err
    assert "nothing was changed" in err
    assert current_store_dir(project) == store_dir
    assert EmbeddedStore.open(project).info.version == version  # type: ignore[union-attr]
    assert sorted(p.name for p in project.stores_dir.iterdir()) == stores


def test_a_damaged_backup_is_refused_and_the_store_kept(
        project: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.tar.gz"
    assert main(["backup", "-o", str(good)]) == 0
    raw = bytearray(good.read_bytes())
    flipped = tmp_path / "flipped.tar.gz"
    middle = len(raw) // 2
    raw[middle:middle + 16] = bytes(b ^ 0xFF for b in raw[middle:middle + 16])
    flipped.write_bytes(bytes(raw))
    _refused(project, flipped, capsys, "the archive is damaged")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: len(raw) // 3])
    _refused(project, truncated, capsys, "the archive is damaged")
    not_a_backup = tmp_path / "notes.tar.gz"
    not_a_backup.write_bytes(b"hello\n")
    _refused(project, not_a_backup, capsys, "the archive is damaged")


def test_a_tampered_backup_is_refused(project: Settings, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.tar.gz"
    assert main(["backup", "-o", str(good)]) == 0
    files = _members(good)
    # a changed dataset with the old manifest: checksum mismatch
    changed = dict(files)
    changed[DATASET] = files[DATASET].replace(b"MetaGPT", b"MetaGPX", 1)
    path = tmp_path / "changed.tar.gz"
    path.write_bytes(_tar_gz(changed))
    _refused(project, path, capsys, "checksum mismatch for dataset.nq")
    # an entry that is not part of a backup (e.g. a path that escapes)
    evil = tmp_path / "evil.tar.gz"
    evil.write_bytes(_tar_gz({**files, "../escape.txt": b"x"}))
    _refused(project, evil, capsys, "unexpected entry '../escape.txt'")
    assert not (tmp_path / "escape.txt").exists()
    # a missing file
    partial = tmp_path / "partial.tar.gz"
    partial.write_bytes(_tar_gz({k: v for k, v in files.items() if k != DATASET}))
    _refused(project, partial, capsys, "dataset.nq is missing")


def _resealed(files: dict[str, bytes], dataset: bytes) -> bytes:
    """A backup whose checksums and content hash agree with a changed dataset."""
    manifest = json.loads(files[MANIFEST])
    quads = list(ox.parse(dataset, format=ox.RdfFormat.N_QUADS))
    manifest["content_version"] = content_version(quads, Instances("https://w3id.org/caikg/"))
    manifest["files"][DATASET] = {"sha256": _sha256(dataset), "size": len(dataset)}
    return _tar_gz({**files, DATASET: dataset,
                    MANIFEST: json.dumps(manifest).encode()})


def test_a_backup_whose_curated_graph_violates_the_shapes_is_refused(
        project: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.tar.gz"
    assert main(["backup", "-o", str(good)]) == 0
    files = _members(good)
    title = b"<http://purl.org/dc/terms/title>"
    curated = b"<https://w3id.org/caikg/graph/curated>"
    lines = files[DATASET].splitlines(keepends=True)
    dropped = [ln for ln in lines if not (ln.startswith(b"<https://w3id.org/caikg/paper/")
                                          and title in ln and curated in ln)]
    assert len(dropped) < len(lines)
    path = tmp_path / "invalid.tar.gz"
    path.write_bytes(_resealed(files, b"".join(dropped)))
    _refused(project, path, capsys, "does not conform to the shapes")
    # and a changed hash with matching checksums is caught by the content hash
    manifest = json.loads(files[MANIFEST])
    manifest["content_version"] = "0" * 16
    path.write_bytes(_tar_gz({**files, MANIFEST: json.dumps(manifest).encode()}))
    _refused(project, path, capsys, "content hash")


def test_backup_without_a_store_is_a_clear_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CAIKG_HOME", str(tmp_path / "empty"))
    assert main(["backup", "-o", str(tmp_path / "b.tar.gz")]) == 1
    assert "run 'caikg build' first" in capsys.readouterr().err
    assert not (tmp_path / "b.tar.gz").exists()


def test_gzip_helper_is_deterministic() -> None:
    a = _tar_gz({"x": b"1"})
    assert a == _tar_gz({"x": b"1"})
    assert gzip.decompress(a)[:1] == b"x"
    assert io.BytesIO(a).read(2) == b"\x1f\x8b"
