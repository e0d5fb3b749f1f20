"""The curated record's own pages: the systems index, the comparison of claimed results with
its CSV and JSON twins, and the coverage of curation with its twins."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping, Sequence

from flask import Blueprint, Response, render_template, request

from caikg.rdf.formats import TABLE_FORMATS
from caikg.reports.coverage import COVERAGE_FIELDS, coverage
from caikg.web.context import cors, plain_error, store
from caikg.web.pages.record import (
    COMPARISON_COLUMNS,
    BadFilter,
    comparison,
    comparison_page,
    coverage_page,
    systems_page,
)
from caikg.web.routes.pages import Alternate, link_header

bp = Blueprint("record", __name__)

TABLE_TWINS = {f.extension: f.media_type for f in reversed(TABLE_FORMATS)}
"""Suffix → media type of a table page's twins (CSV first)."""


def _twins(path: str, query: str) -> list[Alternate]:
    suffix = f"?{query}" if query else ""
    return [Alternate(f"{path}.{ext}{suffix}", media, ext.upper())
            for ext, media in TABLE_TWINS.items()]


def _table(rows: Sequence[Mapping[str, object]], columns: Sequence[str], ext: str,
           meta: dict[str, object]) -> Response:
    if ext == "json":
        body = json.dumps({**meta, "rows": [{c: r.get(c) for c in columns} for r in rows]},
                          ensure_ascii=False, indent=1)
        return cors(Response(body, mimetype="application/json"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return cors(Response(out.getvalue(), mimetype="text/csv",
                         headers={"Content-Disposition": "inline"}))


def _html(render: Callable[[], str], path: str) -> Response:
    alts = _twins(path, request.query_string.decode("utf-8", "replace"))
    html = render()
    return Response(html, mimetype="text/html", headers={"Link": link_header(alts)})


SYSTEM_COLUMNS = ("system", "name", "paper", "title", "repository", "claims")


@bp.get("/systems")
@bp.get("/systems.<any(csv, json):ext>")
def systems(ext: str | None = None) -> Response:
    page = systems_page(store())
    if ext is not None:
        return _table(page.context["systems"], SYSTEM_COLUMNS, ext, {})
    return _html(lambda: render_template(page.template, title=page.title,
                                         alternates=_twins("/systems", ""), **page.context),
                 "/systems")


@bp.get("/compare")
@bp.get("/compare.<any(csv, json):ext>")
def compare(ext: str | None = None) -> Response:
    try:
        result = comparison(store(), request.args)
    except BadFilter as exc:
        return plain_error(400, str(exc))
    if ext is not None:
        return _table(result.rows, COMPARISON_COLUMNS, ext,
                      {"filters": result.filters, "sort": result.sort,
                       "order": "desc" if result.descending else "asc"})
    page = comparison_page(store(), result)
    return _html(lambda: render_template(
        page.template, title=page.title,
        alternates=_twins("/compare", request.query_string.decode("utf-8", "replace")),
        **page.context), "/compare")


def _stale_months() -> int:
    raw = request.args.get("months", "12")
    if not raw.isdigit() or not 1 <= int(raw) <= 600:
        raise BadFilter("parameter 'months' must be a whole number of months from 1 to 600")
    return int(raw)


@bp.get("/coverage")
@bp.get("/coverage.<any(csv, json):ext>")
def coverage_view(ext: str | None = None) -> Response:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    try:
        months = _stale_months()
    except BadFilter as exc:
        return plain_error(400, str(exc))
    if ext is not None:
        cov = coverage(store(), today, months)
        columns = ["work", "title", *(k for k, _ in COVERAGE_FIELDS), "oldestCheck"]
        summary = {f["key"]: f["count"] for f in cov["fields"]}
        return _table(cov["rows"], columns, ext,
                      {"works": cov["works"], "counts": summary, "stale_before": cov["cutoff"]})
    page = coverage_page(store(), today, months)
    return _html(lambda: render_template(
        page.template, title=page.title,
        alternates=_twins("/coverage", request.query_string.decode("utf-8", "replace")),
        **page.context), "/coverage")
