"""Faults: ``caikg build``, ``caikg enrich`` and ``caikg import-list`` killed with SIGKILL at
random points, and a full disk during ``caikg export``.

After every kill: ``caikg validate`` passes on the data directory, the store opens, answers a
query and holds exactly the triples its ``build-info.json`` records, and every data file is
byte-for-byte its old or its new version; after the loop ``caikg serve`` serves the last good
store. The default variants kill each command :data:`RUNS` (7) times; the ``slow`` variants
(``CAIKG_LONG_TESTS=1``) :data:`LONG_RUNS` (25) times. Kill points are uniform over the
duration of an uninterrupted run (measured first), from a fixed seed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.server
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from caikg.build.enrichment_graph import facts, is_provenance
from caikg.build.pipeline import build, rebase_sources
from caikg.cli import main
from caikg.config import Settings, load_settings
from caikg.rdf.namespaces import Instances
from caikg.rdf.sources import read_sources
from caikg.store.embedded import EmbeddedStore
from caikg.validation.report import validate_sources
from tests.helpers.fake_wikidata import FakeWikidata
from tests.helpers.project import REPO, TESTS
from tests.helpers.servers import caikg_server

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

RUNS = 7
LONG_RUNS = 25
SEED = 20250601
V2_LIST = TESTS / "fixtures" / "lists" / "compound-ai-survey-v2.md"
EXTRA_TTL = """@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/caikg/paper/metagpt> dcterms:alternative "MetaGPT (second data version)" .
"""


class SlowWikidata(FakeWikidata):
    """The fake Wikidata, answering every request after :attr:`delay` seconds, so that
    ``caikg enrich`` is killable in the middle of its requests."""

    delay = 0.15

    def _handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(self.delay)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client killed
            super()._handle(h)


@dataclass
class Project:
    root: Path
    home: Path
    data: Path
    env: dict[str, str]
    validated: set[str] = field(default_factory=set)

    @property
    def settings(self) -> Settings:
        return load_settings(environ=self.env, home=self.home)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def data_files(root: Path) -> dict[str, bytes]:
    """The files readers see (write_atomically's hidden temporary files aside)."""
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())
            if p.is_file() and not p.name.startswith(".")}


def make_project(tmp_path: Path, **extra_env: str) -> Project:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIKG_")}
    env.update({"CAIKG_HOME": str(tmp_path / "home"), "CAIKG_DATA_DIR": str(data),
                "CAIKG_ONTOLOGY_DIR": str(REPO / "ontology"), **extra_env})
    return Project(tmp_path, tmp_path / "home", data, env)


def caikg(project: Project, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "caikg.cli", *args], env=project.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def timed_run(project: Project, *args: str) -> float:
    start = time.monotonic()
    proc = caikg(project, *args)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return time.monotonic() - start


@dataclass
class Tally:
    runs: int = 0
    kills: int = 0
    """SIGKILLs delivered to a running process (the others had finished)."""
    leftovers: int = 0
    """Hidden temporary files left in data/ by a killed write (readers ignore them)."""


def kill_loop(project: Project, runs: int, duration: float, args: Callable[[int], list[str]],
              before: Callable[[int], None], check: Callable[[], object]) -> Tally:
    """Run ``caikg ARGS`` ``runs`` times, SIGKILL each at a random point of ``duration``."""
    rng = random.Random(SEED + runs)
    tally = Tally()
    deadline = time.monotonic() + 60 + runs * (duration + 15)
    for n in range(runs):
        assert time.monotonic() < deadline, "the kill loop is taking too long"
        before(n)
        proc = caikg(project, *args(n))
        time.sleep(rng.uniform(0.05, duration))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            tally.kills += 1
        proc.communicate(timeout=60)
        tally.runs += 1
        tally.leftovers += sum(1 for p in project.data.iterdir() if p.name.endswith(".tmp"))
        check()
    return tally


def check_store_and_data(project: Project, versions: set[str] | None,
                         allowed: dict[str, set[bytes]]) -> EmbeddedStore:
    settings = project.settings
    files = data_files(project.data)
    assert set(files) == set(allowed), set(files) ^ set(allowed)
    for name, data in files.items():
        assert data in allowed[name], f"{name} is neither its old nor its new version"
    digest = tree_digest(project.data)
    if digest not in project.validated:  # 'caikg validate' on this exact data
        sources = rebase_sources(read_sources([project.data]), settings.base_iri)
        assert validate_sources(sources, settings).conforms
        project.validated.add(digest)
    store = EmbeddedStore.open(settings)
    assert store.info is not None
    if versions is not None:
        assert store.info.version in versions
    [row] = list(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    assert int(row["n"].value) == len(store) == store.info.triples > 0
    for graph, count in store.info.graphs.items():
        assert len(list(store.quads(graph))) == count, graph
    return store


def check_served(project: Project) -> None:
    """The next ``caikg serve`` serves the last good store."""
    store = EmbeddedStore.open(project.settings)
    assert store.info is not None
    with caikg_server(project.home, CAIKG_DATA_DIR=str(project.data),
                      CAIKG_ONTOLOGY_DIR=str(REPO / "ontology")) as base:
        health = requests.get(base + "/healthz", timeout=30).json()
        assert health["version"] == store.info.version
        assert health["triples"] == len(store)
        answer = requests.get(base + "/sparql", timeout=30, params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"}).json()
        assert int(answer["results"]["bindings"][0]["n"]["value"]) == len(store)


def report(name: str, tally: Tally, runs: int) -> None:
    assert tally.runs == runs
    assert tally.kills >= runs // 2, f"only {tally.kills} of {runs} runs were killed"
    print(f"\n{name}: {tally.runs} runs, {tally.kills} SIGKILLs delivered mid-run, "
          f"{tally.leftovers} temporary file(s) left in data/")


# -- caikg build ------------------------------------------------------------------------------
def build_kills(tmp_path: Path, runs: int) -> None:
    project = make_project(tmp_path)
    other = tmp_path / "data-b"
    shutil.copytree(project.data, other)
    (other / "extra.ttl").write_text(EXTRA_TTL, encoding="utf-8")
    version_a = build(project.settings).info.version
    version_b = build(project.settings, [other]).info.version
    assert version_a != version_b
    duration = max(timed_run(project, "build", "--data", str(project.data)),
                   timed_run(project, "build", "--data", str(other)))
    allowed = {name: {data} for name, data in data_files(project.data).items()}
    tally = kill_loop(
        project, runs, duration,
        args=lambda n: ["build", "--data", str(other if n % 2 else project.data)],
        before=lambda n: None,
        check=lambda: check_store_and_data(project, {version_a, version_b}, allowed) and None)
    report("caikg build", tally, runs)
    check_served(project)


def test_killing_build_7_times_never_corrupts_the_store(tmp_path: Path) -> None:
    build_kills(tmp_path, RUNS)


@pytest.mark.slow
def test_killing_build_25_times_never_corrupts_the_store(tmp_path: Path) -> None:
    build_kills(tmp_path, LONG_RUNS)


# -- caikg import-list --------------------------------------------------------------------------
def import_kills(tmp_path: Path, runs: int) -> None:
    project = make_project(tmp_path)
    version = build(project.settings).info.version
    old = data_files(project.data)
    reference = tmp_path / "reference"
    shutil.copytree(project.data, reference)
    ref = make_project(tmp_path / "ref")
    shutil.rmtree(ref.data)
    shutil.copytree(reference, ref.data)
    duration = timed_run(ref, "import-list", str(V2_LIST))
    new = data_files(ref.data)
    changed = [name for name in new if new[name] != old[name]]
    assert changed == ["survey.ttl"], changed
    allowed = {name: {old[name], new[name]} for name in old}

    def reset(_n: int) -> None:  # every run imports the two new entries again
        (project.data / "survey.ttl").write_bytes(old["survey.ttl"])

    tally = kill_loop(project, runs, duration, args=lambda n: ["import-list", str(V2_LIST)],
                      before=reset,
                      check=lambda: check_store_and_data(project, {version}, allowed) and None)
    report("caikg import-list", tally, runs)
    check_served(project)


def test_killing_import_list_7_times_leaves_old_or_new_data(tmp_path: Path) -> None:
    import_kills(tmp_path, RUNS)


@pytest.mark.slow
def test_killing_import_list_25_times_leaves_old_or_new_data(tmp_path: Path) -> None:
    import_kills(tmp_path, LONG_RUNS)


# -- caikg enrich -------------------------------------------------------------------------------
@pytest.fixture
def slow_wikidata() -> Iterator[SlowWikidata]:
    server = SlowWikidata().start()
    try:
        yield server
    finally:
        server.stop()


def enrich_kills(tmp_path: Path, runs: int, fake: SlowWikidata) -> None:
    env = {**fake.endpoints, "CAIKG_CONTACT": "tests@example.org",
           "CAIKG_WIKIDATA_MIN_INTERVAL": "0"}
    project = make_project(tmp_path, **env)
    version = build(project.settings).info.version
    allowed = {name: {data} for name, data in data_files(project.data).items()}
    inst = Instances("https://w3id.org/caikg/")
    enrichment_file = project.settings.enrichment_file
    cache = project.settings.cache_dir

    duration = timed_run(project, "enrich", "--source", "wikidata")
    assert fake.requests, "enrich sent no request"
    expected = sorted(map(str, facts(_triples(enrichment_file.read_bytes()), inst)))
    assert expected
    enriched_store = check_store_and_data(project, None, allowed)
    enriched_version = enriched_store.info.version if enriched_store.info else None
    good = {version, enriched_version}

    def before(_n: int) -> None:
        shutil.rmtree(cache, ignore_errors=True)  # every run asks the (slow) fake again

    def check() -> None:
        store = check_store_and_data(project, None, allowed)
        assert store.info is not None
        if enrichment_file.exists():  # the previous file or a complete new one
            triples = _triples(enrichment_file.read_bytes())
            assert sorted(map(str, facts(triples, inst))) == expected
        graph = str(store.instances.enrichment_graph)
        if store.info.version in good:
            return
        # a store built by a run that finished: the same facts, a new provenance record
        loaded = [q.triple for q in store.quads(graph)]
        assert sorted(str(t) for t in loaded if not is_provenance(t, store.instances)) == \
            expected
        good.add(store.info.version)

    tally = kill_loop(project, runs, duration,
                      args=lambda n: ["enrich", "--source", "wikidata"], before=before,
                      check=check)
    report("caikg enrich", tally, runs)
    check_served(project)


def _triples(data: bytes) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE)]


def test_killing_enrich_7_times_keeps_enrichment_and_store_whole(
        tmp_path: Path, slow_wikidata: SlowWikidata) -> None:
    enrich_kills(tmp_path, RUNS, slow_wikidata)


@pytest.mark.slow
def test_killing_enrich_25_times_keeps_enrichment_and_store_whole(
        tmp_path: Path, slow_wikidata: SlowWikidata) -> None:
    enrich_kills(tmp_path, LONG_RUNS, slow_wikidata)


# -- a full disk during export ------------------------------------------------------------------
@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (needs root and a kernel that lets this container mount)."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs to fill: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (not permitted here): "
                    f"{done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=30)


@pytest.mark.parametrize("fmt", ["ttl", "rdfxml", "quickstatements"])
def test_a_really_full_disk_keeps_the_previous_export(
        fmt: str, small_tmpfs: Path, built_settings: Settings,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    target = small_tmpfs / "caikg.export"
    previous = b"previous export\n" * 100
    target.write_bytes(previous)
    filler = small_tmpfs / "filler"
    with open(filler, "wb") as fh:  # leave a few KiB: too little for any export
        fh.write(b"\0" * (40 * 1024))
    monkeypatch.setenv("CAIKG_HOME", str(built_settings.home))
    assert main(["export", "--format", fmt, "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "previous file was kept" in err, err
    assert target.read_bytes() == previous
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["caikg.export", "filler"]


def test_a_full_disk_at_fsync_keeps_the_previous_export(
        tmp_path: Path, built_settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "caikg.ttl"
    target.write_bytes(b"previous export\n")

    def full_disk(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setenv("CAIKG_HOME", str(built_settings.home))
    monkeypatch.setattr("os.fsync", full_disk)
    assert main(["export", "-o", str(target)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert target.read_bytes() == b"previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["caikg.ttl"]
