"""Home page, health check and dataset downloads."""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort, jsonify, render_template, request
from werkzeug.wsgi import wrap_file

from caikg.export.dumps import EXPORT_FORMATS, export_bytes
from caikg.rdf.formats import GRAPH_FORMATS, by_extension
from caikg.store.base import StoreError
from caikg.web.caching import export_file, policy
from caikg.web.context import executor as _executor
from caikg.web.context import settings as _settings
from caikg.web.context import store as _store
from caikg.web.pages.home import home_page
from caikg.web.routes.pages import feed_alternate, link_header

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Response:
    page = home_page(_store())
    alts = [feed_alternate("/")]  # the feed of the whole graph (routes/feeds.py)
    html = render_template(page.template, title=page.title, formats=EXPORT_FORMATS,
                           alternates=alts, **page.context)
    return Response(html, mimetype="text/html", headers={"Link": link_header(alts)})


@bp.get("/healthz")
@policy(cached=False, no_store=True)
def healthz() -> Response:
    """Is the store reachable, and which data version does it serve? 200 or 503."""
    st = _store()
    body: dict[str, object] = {"backend": st.backend}
    try:
        body.update(st.health())
        version = _executor().version
        info = st.info
    except (StoreError, OSError) as exc:
        body.update(status="unavailable", store_reachable=False, error=str(exc))
        resp = jsonify(body)
        resp.status_code = 503
    else:
        body.update(status="ok", store_reachable=True, version=version,
                    built_at=info.built_at if info else None,
                    triples=info.triples if info else len(st))
        resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/downloads/caikg.<ext>")
def download(ext: str) -> Response:
    fmt = by_extension(ext, GRAPH_FORMATS)
    if fmt is None:
        abort(404)
    headers = {"Content-Disposition": f'attachment; filename="caikg.{ext}"'}
    st = _store()
    # Serialised once per data version into $CAIKG_HOME/exports/<version>/ (see caching.py).
    path = export_file(st, fmt, _settings())
    if path is not None:
        try:
            fh = path.open("rb")
        except FileNotFoundError:  # removed by a newer version's first download just now
            pass
        else:
            resp = Response(wrap_file(request.environ, fh), mimetype=fmt.media_type,
                            headers=headers, direct_passthrough=True)
            resp.content_length = os.fstat(fh.fileno()).st_size
            return resp
    return Response(export_bytes(st, fmt), mimetype=fmt.media_type, headers=headers)
