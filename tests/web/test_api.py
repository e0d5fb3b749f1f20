"""The canned-query API generated from the example .rq files, and its OpenAPI document."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient

from caikg import queries

EXAMPLES = queries.examples()


def test_openapi_document(client: FlaskClient) -> None:
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {f"/api/{q.name}" for q in EXAMPLES}
    for q in EXAMPLES:
        op = doc["paths"][f"/api/{q.name}"]["get"]
        assert op["summary"] == q.title
        params = {p["name"]: p for p in op["parameters"]}
        for p in q.params:
            assert params[p.name]["required"] == p.required
            assert params[p.name]["in"] == "query"
        assert "format" in params
        assert set(op["responses"]) >= {"200", "400", "503"}


def _args(q: queries.Query) -> dict[str, str]:
    return {p.name: q.defaults[p.name] for p in q.params if p.name in q.defaults}


@pytest.mark.parametrize("q", EXAMPLES, ids=lambda q: q.name)
def test_every_example_answers_json_and_csv(client: FlaskClient, q: queries.Query) -> None:
    resp = client.get(f"/api/{q.name}", query_string=_args(q))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    if resp.mimetype == "application/ld+json":  # a CONSTRUCT example
        assert resp.get_json()
        return
    body = resp.get_json()
    assert body["query"] == q.name and body["rows"] and not body["truncated"]
    assert set(body["rows"][0]) == set(body["columns"])
    as_csv = client.get(f"/api/{q.name}", query_string={**_args(q), "format": "csv"})
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0] == body["columns"] and len(rows) == len(body["rows"]) + 1
    negotiated = client.get(f"/api/{q.name}", query_string=_args(q),
                            headers={"Accept": "text/csv"})
    assert negotiated.mimetype == "text/csv"


def test_parameter_is_bound_not_formatted(client: FlaskClient) -> None:
    q = next(q for q in EXAMPLES if q.name == "person_coauthors")
    ion = client.get("/api/person_coauthors", query_string=_args(q)).get_json()["rows"]
    nobody = client.get("/api/person_coauthors",
                        query_string={"person": "https://w3id.org/caikg/person/nobody"})
    assert nobody.status_code == 200 and nobody.get_json()["rows"] == []
    assert {r["person"] for r in ion} == {q.defaults["person"]}


@pytest.mark.parametrize("query_string, status, words", [
    ({}, 400, "missing required parameter 'person'"),
    ({"person": "not an iri"}, 400, "must be an http(s) IRI"),
    ({"person": "https://x.org/> } ; DROP ALL ; <x"}, 400, "must be an http(s) IRI"),
    ({"person": "https://x.org/a", "bogus": "1"}, 400, "unknown parameter(s): bogus"),
    ([("person", "https://x.org/a"), ("person", "https://x.org/b")], 400, "duplicate"),
    ({"person": "https://x.org/a", "format": "xml"}, 400, "format"),
])
def test_parameter_errors(client: FlaskClient, query_string: object, status: int,
                          words: str) -> None:
    resp = client.get("/api/person_coauthors", query_string=query_string)
    assert resp.status_code == status
    assert words in resp.get_data(as_text=True)


def test_unknown_query_and_406(client: FlaskClient) -> None:
    assert client.get("/api/no_such_query").status_code == 404
    resp = client.get("/api/venue_paper_counts", headers={"Accept": "image/png"})
    assert resp.status_code == 406
