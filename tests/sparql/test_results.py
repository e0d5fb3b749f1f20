"""caikg.sparql.results writes SELECT results itself, where pyoxigraph falls short; these tests
show each shortfall (so that the hand-written writer goes when pyoxigraph closes it) and that
otherwise the two writers agree, read back by pyoxigraph's own parser."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from caikg.rdf.formats import RESULT_BY_KEY
from caikg.sparql.results import serialize_solutions

EX = "http://example.org/"
TERMS: list[ox.NamedNode | ox.Literal] = [
    ox.NamedNode(EX + "a"),
    ox.Literal("plain, with \"quotes\"\tand a tab\nand a line"),
    ox.Literal("Grüße", language="de"),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal("1.5e3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")),
    ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
    ox.Literal("2024-01-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
]


def store_with(terms: list[ox.NamedNode | ox.Literal]) -> ox.Store:
    store = ox.Store()
    for i, term in enumerate(terms):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), term))
    store.add(ox.Quad(ox.NamedNode(EX + "lonely"), ox.NamedNode(EX + "q"), ox.Literal("x")))
    return store


QUERY = f"SELECT ?s ?o WHERE {{ ?s ?p ?x OPTIONAL {{ ?s <{EX}p> ?o }} }} ORDER BY ?s"


def solutions(body: bytes, key: str) -> list[dict[str, ox.NamedNode | ox.Literal | None]]:
    parsed = ox.parse_query_results(body, format=RESULT_BY_KEY[key].results_format)
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    return [{n: s[n] for n in names} for s in parsed]


def test_pyoxigraph_cannot_write_a_list_of_rows() -> None:
    """A capped result is a list of rows; pyoxigraph writes only its own QuerySolutions, which
    Python cannot build."""
    with pytest.raises(TypeError):
        ox.QuerySolutions()


def test_pyoxigraph_xml_writer_emits_what_xml_cannot_carry() -> None:
    """A literal with U+0001: pyoxigraph's XML results are ill-formed; ours replace it by
    U+FFFD, in XML only, and parse."""
    store = store_with([ox.Literal("bell\x01")])
    theirs = store.query(QUERY)
    assert isinstance(theirs, ox.QuerySolutions)
    buffer = io.BytesIO()
    theirs.serialize(buffer, format=ox.QueryResultsFormat.XML)
    with pytest.raises(ET.ParseError):
        ET.fromstring(buffer.getvalue())
    rows = [tuple(s) for s in store.query(QUERY)]  # type: ignore[union-attr]
    ours = serialize_solutions(["s", "o"], rows, "xml")
    ET.fromstring(ours)
    assert "bell\ufffd" in {t.value for row in solutions(ours, "xml") for t in row.values() if t}


@pytest.mark.parametrize("key", ["json", "xml", "tsv"])
def test_our_writers_agree_with_pyoxigraphs(key: str) -> None:
    store = store_with(TERMS)
    theirs = store.query(QUERY)
    assert isinstance(theirs, ox.QuerySolutions)
    buffer = io.BytesIO()
    theirs.serialize(buffer, format=RESULT_BY_KEY[key].results_format)
    rows = [tuple(s) for s in store.query(QUERY)]  # type: ignore[union-attr]
    ours = serialize_solutions(["s", "o"], rows, key)
    assert solutions(ours, key) == solutions(buffer.getvalue(), key)
    assert len(rows) == len(TERMS) + 1 and any(row[1] is None for row in rows)  # unbound too


def test_our_csv_agrees_with_pyoxigraphs() -> None:
    """CSV carries values only (pyoxigraph cannot read it back): compared cell by cell."""
    store = store_with(TERMS)
    theirs = store.query(QUERY)
    assert isinstance(theirs, ox.QuerySolutions)
    buffer = io.BytesIO()
    theirs.serialize(buffer, format=ox.QueryResultsFormat.CSV)
    rows = [tuple(s) for s in store.query(QUERY)]  # type: ignore[union-attr]
    ours = serialize_solutions(["s", "o"], rows, "csv")
    read = [list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
            for body in (ours, buffer.getvalue())]
    assert read[0] == read[1]
    assert len(read[0]) == len(TERMS) + 2
