"""What every blueprint needs: the store, the query executor and error responses."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from flask import Response, current_app

from caikg import queries
from caikg.config import CANONICAL_BASE_IRI, Settings
from caikg.rdf.namespaces import Instances
from caikg.sparql.guard import QueryRefused
from caikg.sparql.protocol import ProtocolError
from caikg.store.base import (
    Executor,
    KnowledgeStore,
    Overloaded,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
)

DEFAULT_EXAMPLE = "technique_papers_per_year"
"""The example the query editor opens with."""


def store() -> KnowledgeStore:
    # no isinstance() on the Protocol: it would read properties (a remote store's info)
    return cast(KnowledgeStore, current_app.extensions["caikg_store"])


def settings() -> Settings:
    value = current_app.extensions["caikg_settings"]
    assert isinstance(value, Settings)
    return value


def examples() -> list[queries.Query]:
    """The example queries (the editor's default first), their default values moved to
    ``CAIKG_BASE_IRI``."""
    canonical = Instances(CANONICAL_BASE_IRI)
    base = settings().base_iri
    found = sorted(queries.examples(), key=lambda q: (q.name != DEFAULT_EXAMPLE, q.name))
    return [replace(q, defaults={k: canonical.rebase(v, base) for k, v in q.defaults.items()})
            for q in found]


def executor() -> Executor:
    return cast(Executor, current_app.extensions["caikg_executor"])


def plain_error(status: int, message: str) -> Response:
    return Response(f"{status} {message}\n", status=status, mimetype="text/plain")


def cors(response: Response) -> Response:
    """Open CORS for reads (the data is public and the endpoint read-only)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    response.headers["Access-Control-Expose-Headers"] = (
        "X-CAIKG-Data-Version, X-CAIKG-Result-Count, X-CAIKG-Result-Truncated, Retry-After")
    return response


QUERY_ERRORS = (ProtocolError, QueryRefused, QueryError)


def error_response(exc: Exception) -> Response:
    """The HTTP answer to a refused or failed query: named, never an empty result."""
    if isinstance(exc, ProtocolError):
        return plain_error(exc.status, exc.message)
    if isinstance(exc, QueryRefused | QuerySyntaxError):
        return plain_error(400, str(exc))
    if isinstance(exc, QueryTimeout):
        return plain_error(503, str(exc))
    if isinstance(exc, Overloaded):
        resp = plain_error(503, str(exc))
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    current_app.logger.warning("query failed: %s", exc)
    return plain_error(500, f"the query could not be answered: {exc}")
