"""Home page, health check and dataset downloads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template

from ..export import EXPORT_FORMATS, export_bytes
from ..views.home import home_page
from .common import store as _store

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    page = home_page(_store())
    return render_template(page.template, title=page.title, formats=EXPORT_FORMATS,
                           **page.context)


@bp.get("/healthz")
def healthz() -> Response:
    store = _store()
    return jsonify(status="ok", version=store.info.version if store.info else None,
                   triples=len(store))


@bp.get("/downloads/caikg.<ext>")
def download(ext: str) -> Response:
    fmt = next((f for f in EXPORT_FORMATS.values() if f.extension == ext), None)
    if fmt is None:
        abort(404)
    body = export_bytes(_store(), fmt)
    return Response(body, mimetype=fmt.media_type, headers={
        "Content-Disposition": f'attachment; filename="caikg.{ext}"'})
