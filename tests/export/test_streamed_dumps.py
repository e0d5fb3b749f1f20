"""What keeps pages and exports fast as the graph grows (figures: benchmarks/results/)."""

from __future__ import annotations

import io
import time

import pyoxigraph as ox
from flask.testing import FlaskClient

from caikg.export.dumps import EXPORT_FORMATS, export_bytes, export_graphs
from caikg.store.embedded import EmbeddedStore
from caikg.web.pages import browse
from caikg.web.pages.browse import load_papers
from caikg.web.pages.home import NEWEST, home_page
from caikg.web.server import keep_warm


def test_home_lists_the_newest_papers_without_the_paper_list(store: EmbeddedStore) -> None:
    """The home page reads ten papers (``work_newest``), not every paper, and lists the same
    ones as the first page of /browse."""
    browse.load_papers.forget(store)
    page = home_page(store)
    assert browse.load_papers.peek(store) is None  # the whole list was not loaded
    papers = load_papers(store)
    newest = page.context["newest"]
    assert len(newest) == NEWEST
    assert [p["work"] for p in newest] == [p.work for p in papers[:NEWEST]]
    assert [p["title"] for p in newest] == [p.title for p in papers[:NEWEST]]
    assert page.context["paper_total"] == len(papers)


def test_home_page_html_names_the_newest(client: FlaskClient, store: EmbeddedStore) -> None:
    html = client.get("/").get_data(as_text=True)
    for paper in load_papers(store)[:NEWEST]:
        assert paper.work.removeprefix(store.instances.base) in html


def test_keep_warm_loads_the_paper_list(built_settings: object) -> None:
    store = EmbeddedStore.open(built_settings, in_memory=True)  # type: ignore[arg-type]
    assert browse.load_papers.peek(store) is None
    keep_warm(store, interval=0.05)
    deadline = time.monotonic() + 30
    while browse.load_papers.peek(store) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    papers = browse.load_papers.peek(store)
    assert papers is not None and len(papers) == 42


def _quads(data: bytes, fmt: ox.RdfFormat) -> set[str]:
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) if isinstance(q, ox.Triple)
                         else q for q in ox.parse(data, format=fmt))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def test_native_dumps_hold_what_the_sorted_dumps_hold(store: EmbeddedStore) -> None:
    """Turtle, N-Triples, N-Quads and TriG are written by Oxigraph (fast at 1M triples): the
    same triples as the sorted serialisation, with our prefixes, and the same bytes twice."""
    for name in ("ttl", "nt", "nq", "trig"):
        fmt = EXPORT_FORMATS[name]
        fast = export_bytes(store, fmt)
        assert fast == export_bytes(store, fmt)
        graphs = export_graphs(store, fmt)
        quads = [q for g in graphs for q in store.quads(g)]
        slow = io.BytesIO()
        if fmt.rdf_format.supports_datasets:
            ox.serialize(quads, slow, format=fmt.rdf_format)
        else:
            ox.serialize([q.triple for q in quads], slow, format=fmt.rdf_format)
        assert _quads(fast, fmt.rdf_format) == _quads(slow.getvalue(), fmt.rdf_format), name
        if name == "ttl":
            assert b"@prefix paper: <https://w3id.org/caikg/paper/> ." in fast
            assert b"<https://w3id.org/caikg/paper/" not in fast.split(b"@prefix", 1)[0]


def test_build_writes_the_turtle_dump_that_export_copies(built_settings: object,
                                                         store: EmbeddedStore,
                                                         tmp_path: object) -> None:
    """``caikg build`` writes the Turtle dump of its data version; ``caikg export`` copies it
    (no serialisation of the store: the dump of 1M triples is then a file copy)."""
    from pathlib import Path

    from caikg.config import Settings
    from caikg.export.dumps import export, export_path

    assert isinstance(built_settings, Settings) and isinstance(tmp_path, Path)
    assert store.info is not None
    fmt = EXPORT_FORMATS["ttl"]
    kept = export_path(built_settings.exports_dir, store.info.version, fmt)
    assert kept.is_file()
    assert _quads(kept.read_bytes(), fmt.rdf_format) == _quads(export_bytes(store, fmt),
                                                               fmt.rdf_format)
    out = tmp_path / "dump.ttl"
    disk = EmbeddedStore.open(built_settings)
    assert export(disk, fmt, out, built_settings.exports_dir) == kept.stat().st_size
    assert out.read_bytes() == kept.read_bytes()
    other = tmp_path / "dump.nt"
    export(disk, EXPORT_FORMATS["nt"], other, built_settings.exports_dir)  # not kept: written
    assert _quads(other.read_bytes(), ox.RdfFormat.N_TRIPLES) == _quads(
        kept.read_bytes(), fmt.rdf_format)
