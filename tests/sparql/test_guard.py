"""The static query guard: no SERVICE, no update, no foreign FROM, however it is written."""

from __future__ import annotations

import pytest

from caikg.sparql.guard import QueryRefused, check_query, decode_escapes, query_form

OURS = {"https://w3id.org/caikg/graph/curated", "https://w3id.org/caikg/graph/ontology"}


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { { SERVICE <http://x/> { ?s ?q ?r } } } }",
    "SELECT * WHERE { SERV\\u0049CE <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\U00000053ERVICE <http://x/> { ?s ?p ?o } }",
    "PREFIX ex: <http://x/> SELECT * WHERE { SERVICE ex:s { ?s ?p ?o } }",
    "SELECT * WHERE {\n# comment\nSERVICE\n<http://x/>{?s ?p ?o}}",
    "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
])
def test_service_is_refused(query: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(query, OURS)


@pytest.mark.parametrize("query", [
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/caikg/graph/curated>",
    "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "\\u004cOAD <http://x/>",
])
def test_updates_are_refused(query: str) -> None:
    with pytest.raises(QueryRefused, match="read-only"):
        check_query(query, OURS)


@pytest.mark.parametrize("query", [
    "SELECT * FROM <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <http://127.0.0.1:9/x.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "PREFIX ex: <http://127.0.0.1:9/> SELECT * FROM ex:x WHERE { ?s ?p ?o }",
    "SELECT * FROM <relative> WHERE { ?s ?p ?o }",
])
def test_foreign_from_is_refused(query: str) -> None:
    with pytest.raises(QueryRefused, match="FROM"):
        check_query(query, OURS)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?service ?p 'SERVICE <http://x/>' }",
    'SELECT * WHERE { ?s ?p """LOAD <http://x> INSERT""" }',
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o } # SERVICE in a comment",
    "PREFIX service: <http://x/> SELECT * WHERE { ?s service:load ?o }",
    "SELECT * FROM <https://w3id.org/caikg/graph/curated> WHERE { ?s ?p ?o }",
    "PREFIX g: <https://w3id.org/caikg/graph/> SELECT * FROM NAMED g:ontology "
    "WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<3 && ?o>1) }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://schema.org/Person> }",
])
def test_harmless_queries_pass(query: str) -> None:
    check_query(query, OURS)


def test_decode_escapes() -> None:
    assert decode_escapes("\\u0053\\U00000045") == "SE"
    with pytest.raises(QueryRefused):
        decode_escapes("\\uD800")


@pytest.mark.parametrize("query, form", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("PREFIX ask: <http://x/> BASE <http://y/> construct { ?s ?p ?o } WHERE { ?s ?p ?o }",
     "CONSTRUCT"),
    ("# SELECT in a comment\nASK { ?s ?p ?o }", "ASK"),
    ("DESCRIBE <http://x/>", "DESCRIBE"),
    ("\\u0053ELECT * { }", "SELECT"),
    ("PREFIX : <http://x/>", None),
])
def test_query_form(query: str, form: str | None) -> None:
    assert query_form(query) == form
