"""caikg build: validation gate, atomic swap, stable IRIs, base IRI, --data."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from caikg.build.pipeline import BuildError, BuildResult, build
from caikg.config import Settings
from caikg.rdf.sources import SourceError
from caikg.store.base import NoStoreError
from caikg.store.embedded import EmbeddedStore
from tests.helpers.project import REPO, make_settings, term_value

SCHEMA = "https://schema.org/"


def subjects(store: EmbeddedStore) -> set[str]:
    return {q.subject.value for q in store.quads(str(store.instances.curated_graph))
            if isinstance(q.subject, ox.NamedNode)}


def works(store: EmbeddedStore) -> set[str]:
    types = {ox.NamedNode(SCHEMA + "ScholarlyArticle"), ox.NamedNode(SCHEMA + "BlogPosting")}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return {term_value(q.subject) for q in store.quads() if q.predicate == rdf_type
            and q.object in types}


def copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    return data


def test_build_shipped_data(built: BuildResult, store: EmbeddedStore) -> None:
    assert built.report.conforms
    assert len(works(store)) == 42
    inst = store.instances
    assert set(store.named_graphs()) >= {str(inst.ontology_graph), str(inst.curated_graph),
                                         str(inst.void_graph)}
    assert built.info.graphs[str(inst.curated_graph)] > 500


def test_no_store_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(NoStoreError, match="caikg build"):
        EmbeddedStore.open(settings)


def test_iris_are_stable_across_rebuilds(tmp_path: Path, store: EmbeddedStore) -> None:
    again = build(make_settings(tmp_path / "other-home"))
    second = EmbeddedStore.open(make_settings(tmp_path / "other-home"))
    assert subjects(second) == subjects(store)
    assert store.info is not None
    assert again.info.version == store.info.version


def test_rebuild_replaces_store_atomically_and_keeps_previous(settings: Settings) -> None:
    first = build(settings)
    second = build(settings)
    assert settings.store_link.is_symlink()
    assert first.store_dir is not None and second.store_dir is not None
    assert settings.store_link.resolve() == second.store_dir.resolve()
    # the previous store is kept for servers that still read it; older ones are removed
    third = build(settings)
    assert third.store_dir is not None
    remaining = {p.resolve() for p in settings.stores_dir.iterdir()}
    assert remaining == {second.store_dir.resolve(), third.store_dir.resolve()}
    assert first.store_dir.resolve() not in remaining


def test_bad_turtle_is_refused_and_store_untouched(settings: Settings, tmp_path: Path) -> None:
    good = build(settings)
    data = copy_data(tmp_path)
    bad = data / "broken.ttl"
    bad.write_text("@prefix schema: <https://schema.org/> .\n\n<https://w3id.org/caikg/paper/x>"
                   " schema:name \"unterminated .\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        build(settings, [data])
    assert "broken.ttl" in str(info.value)
    assert info.value.line == 3
    store = EmbeddedStore.open(settings)
    assert store.info is not None
    assert store.info.version == good.info.version
    assert len(works(store)) == 42


def test_shacl_violation_is_refused_and_store_untouched(settings: Settings,
                                                         tmp_path: Path) -> None:
    good = build(settings)
    data = copy_data(tmp_path)
    (data / "bad-paper.ttl").write_text(
        "@prefix schema: <https://schema.org/> .\n"
        "@prefix caikg: <https://w3id.org/caikg/ontology#> .\n"
        "@prefix bibo: <http://purl.org/ontology/bibo/> .\n"
        "<https://w3id.org/caikg/paper/no-title> a schema:ScholarlyArticle ;\n"
        "    bibo:status caikg:Published ;\n"
        "    caikg:arxivId \"not-an-arxiv-id\" .\n", encoding="utf-8")
    with pytest.raises(BuildError) as info:
        build(settings, [data])
    report = info.value.report
    assert report is not None and not report.conforms
    focus = {v.focus for v in report.violations}
    assert focus == {"https://w3id.org/caikg/paper/no-title"}
    located = report.violations[0]
    assert located.file is not None and located.file.name == "bad-paper.ttl"
    assert located.line == 4
    current = EmbeddedStore.open(settings).info
    assert current is not None
    assert current.version == good.info.version


@pytest.mark.system  # SIGKILLs a real build process
def test_killed_build_leaves_previous_store(settings: Settings) -> None:
    good = build(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIKG_")}
    env["CAIKG_HOME"] = str(settings.home)
    rng = random.Random(7)
    killed = 0
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-m", "caikg.cli", "build"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        store = EmbeddedStore.open(settings)
        assert len(works(store)) == 42
        assert store.info is not None
        assert store.info.version == good.info.version
    assert killed >= 1  # at least one run was really interrupted


def test_base_iri_setting_rebases_instances(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", base_iri="http://kg.example.org/")
    result = build(settings)
    assert result.report.conforms
    store = EmbeddedStore.open(settings)
    found = works(store)
    assert len(found) == 42
    assert all(w.startswith("http://kg.example.org/paper/") for w in found)
    assert not any("w3id.org/caikg/paper" in s for s in subjects(store))
    assert str(store.instances.curated_graph) == "http://kg.example.org/graph/curated"


def test_build_from_other_data(settings: Settings, tmp_path: Path) -> None:
    extra = tmp_path / "one.ttl"
    extra.write_text(
        "@prefix schema: <https://schema.org/> .\n"
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "<https://w3id.org/caikg/person/ada-lovelace> a schema:Person, foaf:Person ;\n"
        "    schema:name \"Ada Lovelace\" .\n", encoding="utf-8")
    result = build(settings, [extra])
    assert result.report.conforms
    store = EmbeddedStore.open(settings)
    assert subjects(store) == {"https://w3id.org/caikg/person/ada-lovelace"}


def test_missing_data_path_is_named(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nope.ttl"):
        build(settings, [tmp_path / "nope.ttl"])


def test_what_the_store_serves_still_conforms(store: EmbeddedStore,
                                               built: BuildResult) -> None:
    """The curated graph read back from the store (as the endpoint and exports serve it)
    conforms too: no datatype or term is changed by loading."""
    from caikg.rdf.sources import to_rdflib
    from caikg.validation.report import load_shapes, validate_graph
    from tests.helpers.project import make_settings

    served = to_rdflib(q.triple for q in store.quads(str(store.instances.curated_graph)))
    assert built.store_dir is not None
    report = validate_graph(served, load_shapes(make_settings(built.store_dir)))
    assert report.conforms, report.to_text()
    assert len(report.warnings) == len(built.report.warnings)
