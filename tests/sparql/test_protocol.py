"""Strict parsing of SPARQL Protocol requests."""

from __future__ import annotations

import pytest

from caikg.sparql.protocol import FORM, SPARQL_QUERY, ProtocolError, parse_request

Q = "SELECT * WHERE { ?s ?p ?o }"
G = "https://w3id.org/caikg/graph/curated"


def test_get() -> None:
    req = parse_request("GET", None, [("query", Q), ("default-graph-uri", G),
                                      ("named-graph-uri", G), ("format", "json")], b"")
    assert (req.query, req.default_graphs, req.named_graphs, req.formats) == (
        Q, [G], [G], ["json"])


def test_bare_get_has_no_query() -> None:
    assert parse_request("GET", None, [], b"").query is None


def test_post_form_and_direct() -> None:
    body = f"query={Q.replace(' ', '+')}&default-graph-uri={G}".encode()
    req = parse_request("POST", FORM + "; charset=UTF-8", [], body)
    assert req.query == Q and req.default_graphs == [G]
    req = parse_request("POST", SPARQL_QUERY, [("named-graph-uri", G)], Q.encode())
    assert req.query == Q and req.named_graphs == [G]


def test_format_parameters_may_repeat_when_they_agree() -> None:
    req = parse_request("GET", None, [("query", Q), ("format", "tsv"),
                                      ("format", "text/tab-separated-values"),
                                      ("output", "tsv"), ("results", "")], b"")
    assert req.formats == ["tsv", "text/tab-separated-values", "tsv"]


@pytest.mark.parametrize("method, ctype, args, body, status, words", [
    ("GET", None, [("query", Q), ("query", Q)], b"", 400, "duplicate parameter 'query'"),
    ("GET", None, [("query", "  ")], b"", 400, "empty"),
    ("GET", None, [("default-graph-uri", G)], b"", 400, "missing 'query'"),
    ("GET", None, [("query", Q), ("bogus", "1")], b"", 400, "unknown parameter(s): bogus"),
    ("GET", None, [("query", Q), ("default-graph-uri", "not an iri")], b"", 400,
     "not an absolute IRI"),
    ("GET", None, [("update", "CLEAR ALL")], b"", 400, "read-only"),
    ("POST", SPARQL_QUERY, [("query", Q)], Q.encode(), 400, "conflicting"),
    ("POST", FORM, [("query", Q)], f"query={Q}".encode(), 400, "duplicate"),
    ("POST", "application/sparql-update", [], b"CLEAR ALL", 400, "read-only"),
    ("POST", FORM, [], b"update=CLEAR+ALL", 400, "read-only"),
    ("POST", "text/plain", [], Q.encode(), 415, "unsupported Content-Type text/plain"),
    ("POST", None, [], Q.encode(), 415, "(none)"),
    ("POST", SPARQL_QUERY + "; charset=latin-1", [], Q.encode(), 415, "charset"),
    ("POST", SPARQL_QUERY, [], b"SELECT \xff", 400, "not valid UTF-8"),
    ("POST", FORM, [], b"query=%ff", 400, "malformed form body"),
])
def test_errors(method: str, ctype: str | None, args: list[tuple[str, str]], body: bytes,
                status: int, words: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(method, ctype, args, body)
    assert info.value.status == status
    assert words in info.value.message
