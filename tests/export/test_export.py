"""caikg export: every format round-trips, output is deterministic, VoID included."""

from __future__ import annotations

import errno
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from caikg.export.dumps import EXPORT_FORMATS, export_bytes, export_graphs
from caikg.files import write_atomically
from caikg.rdf.sources import to_rdflib
from caikg.store.embedded import EmbeddedStore
from tests.helpers.project import SEED

RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig",
                  "jsonld": "json-ld", "rdfxml": "xml"}
PROV = "http://www.w3.org/ns/prov#"
CAIKG = "https://w3id.org/caikg/ontology#"


def expected_graph(store: EmbeddedStore, graphs: list[str]) -> Graph:
    return to_rdflib(q.triple for g in graphs for q in store.quads(g))


@pytest.mark.parametrize("name", sorted(EXPORT_FORMATS))
def test_export_round_trips(store: EmbeddedStore, name: str) -> None:
    fmt = EXPORT_FORMATS[name]
    body = export_bytes(store, fmt)
    graphs = export_graphs(store, fmt)
    if fmt.rdf_format.supports_datasets:
        ds = Dataset()
        ds.parse(data=body, format=RDFLIB_FORMATS[name])
        assert {str(g) for g in graphs} == {str(c.identifier) for c in ds.graphs()
                                            if len(c) and str(c.identifier).startswith("http")}
        for g in graphs:
            assert isomorphic(ds.graph(URIRef(g)), expected_graph(store, [g])), g
    else:
        parsed = Graph().parse(data=body, format=RDFLIB_FORMATS[name])
        assert isomorphic(parsed, expected_graph(store, graphs))


@pytest.mark.parametrize("name", sorted(EXPORT_FORMATS))
def test_export_is_deterministic(store: EmbeddedStore, name: str) -> None:
    fmt = EXPORT_FORMATS[name]
    assert export_bytes(store, fmt) == export_bytes(store, fmt)


def test_turtle_binds_prefixes_and_includes_void(store: EmbeddedStore) -> None:
    text = export_bytes(store, EXPORT_FORMATS["ttl"]).decode()
    assert "@prefix schema: <https://schema.org/> ." in text
    assert "@prefix paper: <https://w3id.org/caikg/paper/> ." in text
    assert "void:Dataset" in text and "void:triples" in text


def test_export_parses_with_rapper(store: EmbeddedStore, tmp_path: Path) -> None:
    rapper = shutil.which("rapper")
    assert rapper, "rapper (Debian raptor2-utils) is installed by 'make test'"
    for name, syntax in [("ttl", "turtle"), ("nt", "ntriples"), ("rdfxml", "rdfxml")]:
        path = tmp_path / f"out.{name}"
        path.write_bytes(export_bytes(store, EXPORT_FORMATS[name]))
        proc = subprocess.run([rapper, "-i", syntax, "-c", str(path)], capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        count = int(re.search(r"returned (\d+) triples", proc.stderr).group(1))  # type: ignore[union-attr]
        graphs = export_graphs(store, EXPORT_FORMATS[name])
        assert count == len(expected_graph(store, graphs)), name


def _seed_entries() -> list[tuple[str, list[str]]]:
    """(title, authors) for each entry of the seed list, read straight from the markdown."""
    entries: list[tuple[str, list[str]]] = []
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^\[(.+)\]\((\S+)\)\\?$", line.strip())
        if not m:
            continue
        authors: list[str] = []
        nxt = lines[i + 1].strip().rstrip("\\").strip() if i + 1 < len(lines) else ""
        after = lines[i + 2].strip() if i + 2 < len(lines) else ""
        if nxt and "," in nxt and after and not after.startswith("["):
            authors = [a.strip() for a in nxt.split(",")]
        entries.append((m.group(1), authors))
    return entries


def test_export_has_all_seed_entries_with_authors_in_order(store: EmbeddedStore) -> None:
    """Every entry of the list is in the export as the list states it: as current facts, or,
    where the curated record replaced them (a new title, a corrected author list), as other
    titles and historical statements whose source is the list."""
    g = Graph().parse(data=export_bytes(store, EXPORT_FORMATS["ttl"]), format="turtle")
    entries = _seed_entries()
    assert len(entries) == 42
    dcterms_title = URIRef("http://purl.org/dc/terms/title")
    alternative = URIRef("http://purl.org/dc/terms/alternative")
    rdf_subject = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#subject")
    rdf_predicate = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate")
    rdf_object = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#object")
    rank, historical = URIRef(CAIKG + "rank"), URIRef(CAIKG + "HistoricalRank")
    ordinal, stated = URIRef(CAIKG + "ordinal"), URIRef(CAIKG + "statedName")

    def listed_value(node: Node, prop: URIRef) -> str | None:
        """The value the list gave (as text): a historical statement's, else the current one."""
        value = g.value(node, prop)
        for st in g.subjects(rdf_subject, node):
            if (st, rdf_predicate, prop) in g and (st, rank, historical) in g:
                value = g.value(st, rdf_object)
                break
        return None if value is None else str(value)

    for title, authors in entries:
        matches = {w for p in (dcterms_title, alternative) for w in g.subjects(p, Literal(title))}
        assert len(matches) == 1, title
        work = matches.pop()
        nodes = {a for a in g.objects(work, URIRef(PROV + "qualifiedAttribution"))}
        for st in g.subjects(rdf_subject, work):
            if (st, rdf_predicate, URIRef(PROV + "qualifiedAttribution")) in g \
                    and (st, rank, historical) in g:
                node = g.value(st, rdf_object)
                assert node is not None, st
                nodes.add(node)
        ordered = sorted((int(n), str(listed_value(a, stated)))
                         for a in nodes if (n := listed_value(a, ordinal)) is not None)
        listed = [(n, name) for n, name in ordered if n <= len(authors)] if authors else ordered
        if not authors:
            continue  # the list gave no authors; the record may (tests/test_record.py)
        assert [name for _, name in listed] == authors, title
        assert [n for n, _ in listed] == list(range(1, len(authors) + 1))


def test_write_atomically_keeps_old_file_on_failure(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "dump.ttl"
    target.write_bytes(b"previous export\n")

    def full_disk(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, b"new export that does not fit\n")
    assert target.read_bytes() == b"previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["dump.ttl"]
