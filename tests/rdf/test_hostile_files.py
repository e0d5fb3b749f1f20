"""Hostile input files for ``caikg build --data`` and ``caikg import-list``.

Each hostile file gives a clear error naming the file and line, in under a second, without any
network request (a :class:`Canary` on 127.0.0.1 counts them) and without changing the store or
``data/`` (data version, store directory and file bytes are compared before and after).
Literals with control characters that are valid RDF build, and every export format stays
well-formed for them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from caikg.build.pipeline import build
from caikg.cli import main
from caikg.config import Settings, load_settings
from caikg.export.dumps import EXPORT_FORMATS, export_bytes
from caikg.store.embedded import EmbeddedStore, current_store_dir
from tests.helpers.project import REPO, TESTS, term_value
from tests.helpers.servers import Canary

LIMIT = 1.0
"""Seconds a hostile file may take to be refused."""

RDFXML_BODY = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcterms="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="https://w3id.org/caikg/paper/metagpt">
    <dcterms:title>{}</dcterms:title>
  </rdf:Description>
</rdf:RDF>
"""


def billion_laughs() -> str:
    levels = "\n".join(f' <!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY l0 "lol">\n'
            f"{levels}\n]>\n" + RDFXML_BODY.format("&l9;"))


@dataclass(frozen=True)
class Hostile:
    name: str
    content: bytes
    line: int
    message: str
    """A piece of the error message (besides the file and line)."""


def hostile_rdf(canary: str) -> list[Hostile]:
    prefix = b"@prefix dcterms: <http://purl.org/dc/terms/> .\n"
    paper = b"<https://w3id.org/caikg/paper/metagpt>"
    return [
        Hostile("malformed.ttl", prefix + paper + b' dcterms:title "ok" ;\n'
                b'    dcterms:subject "unterminated .\n', 3, "syntax error"),
        Hostile("billion-laughs.rdf", billion_laughs().encode(), 3, "billion laughs"),
        Hostile("xxe.rdf", (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
                            f' <!ENTITY secret SYSTEM "{canary}xxe">\n]>\n'
                            + RDFXML_BODY.format("&secret;")).encode(), 3, "XXE"),
        Hostile("external-dtd.rdf", (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM '
                                     f'"{canary}dtd">\n' + RDFXML_BODY.format("x")).encode(),
                2, "external DTD"),
        Hostile("remote-context.jsonld", (
            '{\n  "@id": "https://w3id.org/caikg/paper/metagpt",\n  "@context": [\n'
            '    {"title": "http://purl.org/dc/terms/title"},\n'
            f'    "{canary}context.jsonld"\n  ],\n  "title": "x"\n}}\n').encode(),
            5, "remote JSON-LD context"),
        Hostile("lone-surrogate.ttl", prefix + paper + b' dcterms:title "ok" ;\n'
                b'    dcterms:alternative "\\uD800" .\n', 3, "D800"),
        Hostile("lone-surrogate.nt", paper + b' <http://purl.org/dc/terms/title> "ok" .\n'
                + paper + b' <http://purl.org/dc/terms/title> "x\\uDFFFy" .\n', 2, "DFFF"),
        Hostile("encoded-surrogate.nt", paper + b' <http://purl.org/dc/terms/title> "ok" .\n\n'
                + paper + b' <http://purl.org/dc/terms/title> "\xed\xa0\x80" .\n', 3,
                "UTF-8"),
        Hostile("invalid-utf8.ttl", prefix + b"\n" + paper + b' dcterms:title "caf\xe9" .\n', 3,
                "UTF-8"),
        Hostile("control-in-iri.ttl", prefix + b"<https://w3id.org/caikg/paper/a\\u0007b> "
                b'dcterms:title "x" .\n', 2, "IRI"),
    ]


# -- fixtures ---------------------------------------------------------------------------------
def make_settings(home: Path, data_dir: Path) -> Settings:
    return load_settings(environ={}, home=home, ontology_dir=REPO / "ontology",
                         data_dir=data_dir, web_dir=REPO / "web")


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    with Canary() as c:
        yield c


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A home with a built store and its own copy of ``data/``."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(REPO / "data", root / "data")
    settings = make_settings(root / "home", data_dir=root / "data")
    build(settings)
    return settings


def tree_bytes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def state(settings: Settings) -> tuple[object, ...]:
    store = EmbeddedStore.open(settings)
    assert store.info is not None
    return (current_store_dir(settings), store.info.version, len(store),
            tree_bytes(settings.data_dir))


@pytest.fixture
def cli(project: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in [k for k in os.environ if k.startswith("CAIKG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CAIKG_HOME", str(project.home))
    monkeypatch.setenv("CAIKG_DATA_DIR", str(project.data_dir))
    monkeypatch.setenv("CAIKG_ONTOLOGY_DIR", str(REPO / "ontology"))
    return project


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, float]:
    start = time.perf_counter()
    code = main(args)
    elapsed = time.perf_counter() - start
    return code, capsys.readouterr().err, elapsed


# -- building from hostile files ----------------------------------------------------------------
@pytest.mark.parametrize("index", range(10), ids=lambda i: hostile_rdf("x")[i].name)
def test_build_refuses_a_hostile_file(index: int, tmp_path: Path, cli: Settings,
                                      canary: Canary,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    case = hostile_rdf(canary.url)[index]
    path = tmp_path / case.name
    path.write_bytes(case.content)
    before = state(cli)
    code, err, elapsed = run_cli(["build", "--data", str(path)], capsys)
    assert code == 1, err
    assert f"{path}:{case.line}" in err and case.message in err, err
    assert elapsed < LIMIT, f"{case.name}: refused in {elapsed:.2f} s"
    assert canary.requests == []
    assert state(cli) == before


@pytest.mark.parametrize("index", range(10), ids=lambda i: hostile_rdf("x")[i].name)
def test_import_list_refuses_data_with_a_hostile_file(index: int, cli: Settings, canary: Canary,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """A hostile file among the curated data: import-list reads the existing data first."""
    case = hostile_rdf(canary.url)[index]
    path = cli.data_dir / case.name
    path.write_bytes(case.content)
    try:
        before = state(cli)
        code, err, elapsed = run_cli(
            ["import-list", str(TESTS / "fixtures/lists/compound-ai-survey-v2.md")], capsys)
        assert code == 1, err
        assert f"{path}:{case.line}" in err and case.message in err, err
        assert elapsed < LIMIT, f"{case.name}: refused in {elapsed:.2f} s"
        assert canary.requests == []
        assert state(cli) == before
    finally:
        path.unlink()


BROKEN_LIST = """# A list of broken entries

## Broken

[Unclosed link(https://example.org/a)\\
Alice Example\\
OSDI 2024

[No year](https://example.org/b)\\
Bob Example\\
OSDI

[Bell \x07 in the title](ftp://example.org/c)\\
Carol Example\\
ICML 2023
"""


def test_import_list_reports_broken_entries_by_line(tmp_path: Path, cli: Settings,
                                                    canary: Canary,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.md"
    path.write_text(BROKEN_LIST, encoding="utf-8")
    before = state(cli)
    start = time.perf_counter()
    code = main(["import-list", str(path)])
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert code == 1
    for line in (5, 11, 13):
        assert f"{path}:{line}:" in out, out
    assert elapsed < LIMIT and canary.requests == []
    assert state(cli) == before


@pytest.mark.parametrize("content,line", [
    (b"# List\n\n## S\n\n[Caf\xe9](https://example.org/x)\\\nOSDI 2024\n", 5),
    (b"# List\n## S\n[\xed\xa0\x80](https://example.org/x)\\\nOSDI 2024\n", 3),
], ids=["latin1-byte", "encoded-surrogate"])
def test_import_list_refuses_a_list_that_is_not_utf8(content: bytes, line: int, tmp_path: Path,
                                                     cli: Settings, canary: Canary,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.md"
    path.write_bytes(content)
    before = state(cli)
    code, err, elapsed = run_cli(["import-list", str(path)], capsys)
    assert code == 1
    assert f"{path}:{line}: not UTF-8" in err, err
    assert elapsed < LIMIT and canary.requests == []
    assert state(cli) == before


def test_billion_laughs_would_really_expand() -> None:
    """Why the DTD check exists: Oxigraph expands internal entities without a limit (three
    levels of ten here give 3000 characters; nine levels would be 3 GB)."""
    doc = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY l0 "lol">\n'
           + "\n".join(f' <!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 4))
           + "\n]>\n" + RDFXML_BODY.format("&l3;"))
    [quad] = ox.parse(doc.encode(), format=ox.RdfFormat.RDF_XML)
    assert len(quad.object.value) == 3000


def test_a_dtd_without_entities_is_still_read(tmp_path: Path) -> None:
    from caikg.rdf.sources import read_sources

    path = tmp_path / "plain.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF>\n' + RDFXML_BODY.format("T"),
                    encoding="utf-8")
    assert len(read_sources([path])) == 1


def test_json_ld_with_an_inline_context_is_read(tmp_path: Path, canary: Canary) -> None:
    from caikg.rdf.sources import read_sources

    path = tmp_path / "inline.jsonld"
    path.write_text('{"@context": {"title": "http://purl.org/dc/terms/title"}, '
                    '"@id": "https://w3id.org/caikg/paper/metagpt", "title": "T"}',
                    encoding="utf-8")
    [triple] = read_sources([path]).triples
    assert triple.object == ox.Literal("T")
    assert canary.requests == []


# -- valid control characters -------------------------------------------------------------------
CONTROL = "bell\u0007 escape\u001b nul\u0000 vertical-tab\u000b end"
CONTROL_TTL = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/caikg/paper/metagpt> rdfs:comment "bell\\u0007 escape\\u001B nul\\u0000 \
vertical-tab\\u000B end" .
"""


@pytest.fixture(scope="module")
def control_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    root = tmp_path_factory.mktemp("control")
    shutil.copytree(REPO / "data", root / "data")
    (root / "data" / "control.ttl").write_text(CONTROL_TTL, encoding="utf-8")
    settings = make_settings(root / "home", data_dir=root / "data")
    build(settings)
    return EmbeddedStore.open(settings)


def test_control_characters_in_literals_build(control_store: EmbeddedStore) -> None:
    [row] = list(control_store.query(
        "SELECT ?c WHERE { <https://w3id.org/caikg/paper/metagpt> rdfs:comment ?c }"))
    assert row["c"].value == CONTROL


def _comment(triples: list[ox.Triple]) -> str:
    [value] = [term_value(t.object) for t in triples
               if t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#comment"
               and term_value(t.subject) == "https://w3id.org/caikg/paper/metagpt"]
    return str(value)


@pytest.mark.parametrize("name", sorted(EXPORT_FORMATS))
def test_every_export_format_stays_well_formed(name: str, control_store: EmbeddedStore) -> None:
    fmt = EXPORT_FORMATS[name]
    data = export_bytes(control_store, fmt)
    triples = [q.triple for q in ox.parse(data, format=fmt.rdf_format)]
    if name == "rdfxml":
        xml.parsers.expat.ParserCreate().Parse(data, True)  # strict XML 1.0: raises if not
        assert _comment(triples) == CONTROL.translate(
            {0x07: "\ufffd", 0x1b: "\ufffd", 0x00: "\ufffd", 0x0b: "\ufffd"})
    else:
        assert _comment(triples) == CONTROL


def test_cli_rdfxml_export_is_well_formed(control_store: EmbeddedStore, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert control_store.path is not None
    monkeypatch.setenv("CAIKG_HOME", str(control_store.path.parent.parent))
    out = tmp_path / "dump.rdf"
    assert main(["export", "--format", "rdfxml", "-o", str(out)]) == 0
    xml.parsers.expat.ParserCreate().Parse(out.read_bytes(), True)
