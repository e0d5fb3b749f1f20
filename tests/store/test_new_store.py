"""A new embedded store written beside the build (store/embedded.py NewStore) and published,
or discarded, whole."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from caikg.build import pipeline
from caikg.build.pipeline import BuildError, build
from caikg.config import Settings
from caikg.store import embedded
from caikg.store.base import BuildInfo, StoreError
from caikg.store.embedded import EmbeddedStore, NewStore, bulk_load, loader_input
from caikg.store.factory import begin_publication
from tests.helpers.data import data_variant
from tests.helpers.project import make_settings
from tests.helpers.store_faults import fill_the_disk_beside_the_build

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
G = EX + "graph/curated"


def node(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def awkward_triples() -> list[ox.Triple]:
    """Blank nodes shared between far-apart triples, literals Oxigraph writes in another form,
    escapes and language tags."""
    shared = ox.BlankNode("shared0")
    other = ox.BlankNode("other1")
    triples = [ox.Triple(node(f"s{i}"), node("p"), ox.Literal(str(i), datatype=ox.NamedNode(
        XSD + "integer"))) for i in range(7)]
    triples += [
        ox.Triple(shared, node("p"), ox.Literal("01", datatype=ox.NamedNode(XSD + "integer"))),
        ox.Triple(node("s0"), node("q"), shared),
        ox.Triple(node("s1"), node("q"), ox.Literal('a\nb"c\u0001\\', language="en-GB")),
        ox.Triple(node("s2"), node("q"), ox.Literal("1.0E0",
                                                      datatype=ox.NamedNode(XSD + "double"))),
        ox.Triple(other, node("q"), shared),
        ox.Triple(node("s3"), node("q"), ox.Literal("\u00e9t\u00e9 \U0001f600")),
    ]
    triples += [ox.Triple(node("s9"), node("r"), shared)]
    return triples


def quads_of(store: ox.Store) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, None))


def stored(triples: list[ox.Triple]) -> set[ox.Quad]:
    """The quads a store holds after ``bulk_extend`` of ``triples`` into G (Oxigraph writes
    some literals in their canonical form)."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(G))
                      for t in triples)
    return quads_of(store)


def test_bulk_loaded_triples_are_the_quads_bulk_extend_stores(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """N-Triples chunks keep every term, and a blank node shared across chunks stays one node
    with its label (the parser alone would give each chunk's blank nodes fresh labels)."""
    monkeypatch.setattr(embedded, "LOAD_CHUNK", 3)
    triples = awkward_triples()
    loaded = ox.Store()
    chunks, with_blank = loader_input(G, triples)
    assert len(chunks) > 1 and len(with_blank) == 4  # the shared node spans chunks
    bulk_load(loaded, G, chunks, with_blank)
    assert chunks == []
    assert quads_of(loaded) == stored(triples)
    shared_uses = [q for q in quads_of(loaded) if ox.BlankNode("shared0") in (q.subject,
                                                                               q.object)]
    assert len(shared_uses) == 4


def test_a_store_loaded_beside_is_published_whole(settings: Settings) -> None:
    triples = awkward_triples()
    other = [ox.Triple(node("o"), node("p"), ox.Literal("ontology"))]
    new = NewStore(settings, "v1")
    new.load_beside(G, triples)
    info = BuildInfo(version="v1", built_at="2026-12-06T00:00:00Z", base_iri=EX)
    path = new.publish({G: triples, EX + "graph/ontology": other}, info)
    assert settings.store_link.resolve() == path.resolve()
    assert info.graphs == {G: len(triples), EX + "graph/ontology": 1}
    opened = EmbeddedStore.open(settings)
    assert opened.info is not None and opened.info.version == "v1"
    assert set(opened.quads(G)) == stored(triples)
    assert len(opened) == len(triples) + 1


def test_a_discarded_store_leaves_nothing(settings: Settings) -> None:
    new = NewStore(settings, "v1")
    new.load_beside(G, awkward_triples() * 1000)
    new.discard()  # while it may still be loading
    assert not new.path.exists()
    assert not settings.store_link.exists()
    with pytest.raises(StoreError, match="already published or discarded"):
        new.publish({}, BuildInfo(version="v1", built_at="", base_iri=EX))


def test_a_load_that_fails_beside_the_build_fails_the_build(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills while the curated graph is loaded: the build is refused, naming the
    store, the previous build is still served and no half-written store is left."""
    good = build(settings)
    assert good.store_dir is not None
    before = {p.name for p in settings.stores_dir.iterdir()}

    fill_the_disk_beside_the_build(monkeypatch)
    with pytest.raises(BuildError, match="No space left on device") as refused:
        build(settings, [variant(tmp_path)])
    assert str(settings.stores_dir) in str(refused.value)
    assert settings.store_link.resolve() == good.store_dir.resolve()
    assert {p.name for p in settings.stores_dir.iterdir()} == before
    assert EmbeddedStore.open(settings).version == good.info.version


def test_a_build_failing_while_the_store_loads_removes_it_and_the_lock(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = build(settings)
    assert good.store_dir is not None
    before = {p.name for p in settings.stores_dir.iterdir()}
    started = threading.Event()
    real = embedded.bulk_load

    def slow(*args: object) -> None:
        started.set()
        real(*args)  # type: ignore[arg-type]

    def broken(*_args: object) -> object:
        assert started.wait(10), "the curated graph was not being loaded"
        raise RuntimeError("the VoID description failed")

    monkeypatch.setattr(embedded, "bulk_load", slow)
    monkeypatch.setattr(pipeline, "_describe", broken)
    data = variant(tmp_path)
    with pytest.raises(RuntimeError, match="VoID"):
        build(settings, [data])
    assert {p.name for p in settings.stores_dir.iterdir()} == before
    assert settings.store_link.resolve() == good.store_dir.resolve()
    monkeypatch.undo()
    again = build(settings, [data])  # the lock was released
    assert again.info.version != good.info.version


def test_a_failure_after_the_switch_never_removes_the_served_store(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tidying up old stores fails once the link points at the new one: the build reports it,
    and the store it switched to is still there to be served."""
    build(settings)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(embedded, "_remove_old_stores", refuse)
    with pytest.raises(OSError, match="Permission denied"):
        build(settings, [variant(tmp_path)])
    served = settings.store_link.resolve()
    assert served.is_dir()
    assert EmbeddedStore.open(settings).version != ""


def variant(tmp_path: Path) -> Path:
    """The shipped data with one status changed: another data version."""
    return data_variant(tmp_path, "graphteam", "bibo:status caikg:Preprint",
                        "bibo:status caikg:Published")


def test_remote_settings_load_nothing_beside(tmp_path: Path) -> None:
    """A remote store is written at publication only: load_beside must not touch it (the
    remote publication is tested against real servers in test_remote_servers.py)."""
    settings = make_settings(tmp_path / "home", store_query_url="http://127.0.0.1:9/sparql",
                             store_update_url="http://127.0.0.1:9/update")
    publication = begin_publication(settings, "v1")
    publication.load_beside(G, awkward_triples())
    publication.discard()
    assert not (tmp_path / "home" / "stores").exists()
