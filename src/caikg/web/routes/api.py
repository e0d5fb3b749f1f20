"""``/api/<name>``: the example queries as a small JSON/CSV API, described by OpenAPI 3."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, request

from caikg import __version__, queries
from caikg.rdf.formats import TABLE_FORMATS
from caikg.sparql.guard import query_form
from caikg.web.caching import policy
from caikg.web.context import QUERY_ERRORS, cors, error_response, examples, executor, plain_error
from caikg.web.negotiation import negotiate

bp = Blueprint("api", __name__, url_prefix="/api")

XSD = "http://www.w3.org/2001/XMLSchema#"
KIND_SCHEMA: dict[str, dict[str, Any]] = {
    "iri": {"type": "string", "format": "uri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "year": {"type": "integer", "minimum": 1000, "maximum": 9999},
}
API_FORMATS = {f.key: f.media_type for f in TABLE_FORMATS}


class BadParameter(ValueError):
    """HTTP 400: a parameter is unknown, duplicated, missing or malformed."""


class NotAcceptable(ValueError):
    """HTTP 406: no format the client accepts."""


def api_queries() -> dict[str, queries.Query]:
    return {q.name: q for q in examples()}


def bind(param: queries.Param, raw: str) -> ox.NamedNode | ox.Literal:
    """The RDF term for a parameter value, checked against its kind."""
    if param.kind == "iri":
        if not raw.startswith(("http://", "https://")) or any(c in raw for c in ' <>"{}|\\^`'):
            raise BadParameter(f"parameter '{param.name}' must be an http(s) IRI")
        return ox.NamedNode(raw)
    if param.kind in {"integer", "year"}:
        try:
            value = int(raw)
        except ValueError:
            raise BadParameter(f"parameter '{param.name}' must be an integer") from None
        if param.kind == "year":
            if not 1000 <= value <= 9999:
                raise BadParameter(f"parameter '{param.name}' must be a four-digit year")
            return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "gYear"))
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(raw)


def _bindings(query: queries.Query) -> tuple[dict[str, ox.NamedNode | ox.Literal], str]:
    args = list(request.args.items(multi=True))
    names = [n for n, _ in args]
    allowed = {p.name for p in query.params} | {"format"}
    unknown = sorted({n for n in names if n not in allowed})
    if unknown:
        raise BadParameter(f"unknown parameter(s): {', '.join(unknown)} (allowed: "
                           f"{', '.join(sorted(allowed))})")
    for n in set(names):
        if names.count(n) > 1:
            raise BadParameter(f"duplicate parameter '{n}'")
    values = dict(args)
    out: dict[str, ox.NamedNode | ox.Literal] = {}
    for p in query.params:
        if p.name in values:
            out[p.name] = bind(p, values[p.name])
        elif p.required:
            raise BadParameter(f"missing required parameter '{p.name}' ({p.description})")
    fmt = values.get("format")
    if fmt is None:
        chosen = negotiate(request.headers.get("Accept"), list(API_FORMATS.values()))
        if chosen is None:
            raise NotAcceptable(f"available: {', '.join(API_FORMATS.values())}")
        fmt = next(k for k, v in API_FORMATS.items() if v == chosen)
    elif fmt not in API_FORMATS:
        raise BadParameter(f"parameter 'format' must be one of {', '.join(API_FORMATS)}")
    return out, fmt


def _rows(srj: bytes) -> tuple[list[str], list[dict[str, str | None]]]:
    doc = json.loads(srj)
    columns = doc["head"].get("vars", [])
    rows = [{c: (b[c]["value"] if c in b else None) for c in columns}
            for b in doc["results"]["bindings"]]
    return columns, rows


@bp.get("/<name>")
@policy(negotiates=True, cors=True)
def run(name: str) -> Response:
    query = api_queries().get(name)
    if query is None:
        abort(404)
    try:
        bindings, fmt = _bindings(query)
        result = executor().execute(query.text, result_format="json", graph_format="jsonld",
                                    bindings=bindings)
    except BadParameter as exc:
        return cors(plain_error(400, str(exc)))
    except NotAcceptable as exc:
        return cors(plain_error(406, str(exc)))
    except QUERY_ERRORS as exc:
        return cors(error_response(exc))
    if result.kind == "graph":
        return cors(Response(result.body, mimetype="application/ld+json"))
    columns, rows = _rows(result.body)
    headers = {"X-CAIKG-Data-Version": result.version}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: (v or "") for k, v in r.items()} for r in rows)
        return cors(Response(out.getvalue(), mimetype="text/csv", headers=headers))
    return cors(Response(json.dumps({"query": name, "columns": columns, "rows": rows,
                                     "truncated": result.truncated}, ensure_ascii=False),
                         mimetype="application/json", headers=headers))


@bp.get("/openapi.json")
@policy(cors=True)
def openapi() -> Response:
    return cors(jsonify(openapi_document(request.host_url.rstrip("/"))))


def openapi_document(server: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name, q in sorted(api_queries().items()):
        params = [{
            "name": p.name, "in": "query", "required": p.required,
            "description": p.description or p.name, "schema": KIND_SCHEMA.get(
                p.kind, {"type": "string"}),
            **({"example": q.defaults[p.name]} if p.name in q.defaults else {}),
        } for p in q.params]
        graph = query_form(q.text) in {"CONSTRUCT", "DESCRIBE"}
        params.append({"name": "format", "in": "query", "required": False,
                       "description": "json (default) or csv; overrides Accept" + (
                           " (this query builds a graph: its answer is always JSON-LD)"
                           if graph else ""),
                       "schema": {"type": "string", "enum": list(API_FORMATS)}})
        ok = ({"description": "the graph the query builds, as JSON-LD", "content": {
            "application/ld+json": {"schema": {"type": "array", "items": {"type": "object"}}}}}
            if graph else {"description": "the query's results", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Rows"}},
                "text/csv": {"schema": {"type": "string"}}}})
        paths[f"/api/{name}"] = {"get": {
            "operationId": name.replace("-", "_"),
            "summary": q.title,
            "description": q.description,
            "parameters": params,
            "responses": {
                "200": ok,
                "400": {"description": "a missing, duplicate or malformed parameter",
                        "content": {"text/plain": {"schema": {"type": "string"}}}},
                "406": {"description": "no acceptable format",
                        "content": {"text/plain": {"schema": {"type": "string"}}}},
                "503": {"description": "timed out or overloaded",
                        "content": {"text/plain": {"schema": {"type": "string"}}}},
            },
        }}
    return {
        "openapi": "3.0.3",
        "info": {"title": "caikg canned queries", "version": __version__,
                 "description": "The example SPARQL queries of the Compound AI Knowledge "
                                "Graph, with parameters bound safely."},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {"schemas": {"Rows": {
            "type": "object", "required": ["query", "columns", "rows", "truncated"],
            "properties": {
                "query": {"type": "string"},
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"type": "object",
                                                    "additionalProperties": {
                                                        "type": "string", "nullable": True}}},
                "truncated": {"type": "boolean"},
            }}}},
    }
