"""Queries and probes of the query workers, for the pool's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from caikg.store.base import QueryResult
from caikg.store.pool.executor import QueryExecutor

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


LIGHT = "ASK { ?s a schema:Person }"


PEOPLE = "SELECT ?p ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?p"


PERSON_TTL = """@prefix schema: <https://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://w3id.org/caikg/person/{slug}> a schema:Person, foaf:Person ; schema:name {name} .
"""


def assert_gone(ex: QueryExecutor, pids: list[int]) -> None:
    """After close(): no workers, and the processes have exited and been reaped."""
    assert ex.worker_pids == []
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), pid


def run(ex: QueryExecutor, query: str, **kwargs: Any) -> QueryResult:
    kwargs.setdefault("result_format", "json")
    kwargs.setdefault("graph_format", "nt")
    return ex.execute(query, **kwargs)


def solutions(body: bytes, fmt: str) -> list[tuple[Any, ...]]:
    parsed = ox.parse_query_results(body, format=getattr(ox.QueryResultsFormat, fmt.upper()))
    assert isinstance(parsed, ox.QuerySolutions)
    return [tuple(row) for row in parsed]


def person_file(path: Path, slug: str, name: str) -> Path:
    path.write_text(PERSON_TTL.format(slug=slug, name=json.dumps(name)), encoding="utf-8")
    return path
