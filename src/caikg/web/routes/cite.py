"""Citations: the formatted references of a paper, a technique's papers, a browse result and
the dataset (``…/cite?style=apa``: HTML, or plain text with ``format=text`` or
``Accept: text/plain``), and the citation records (BibTeX, RIS, CSL-JSON) of a browse result
(``/browse.ris?q=…``) and of the dataset (``/downloads.ris``, beside the downloads page's RDF
twins). The records of a paper or a technique are twins of its page, served with its RDF twins
(routes/pages.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from caikg.export.citations import UnknownStyle, style_named
from caikg.web.caching import policy
from caikg.web.context import cors, plain_error, settings, store
from caikg.web.negotiation import negotiate
from caikg.web.pages.citations import (
    RECORDS,
    Cited,
    browse_cited,
    cite_page,
    dataset_cited,
    entity_cited,
    references,
    references_text,
)
from caikg.web.routes.pages import (
    citation_alternates,
    link_header,
    not_found,
    record_response,
)

bp = Blueprint("cite", __name__)

HTML, TEXT = "text/html", "text/plain"
REPRESENTATIONS = {"html": HTML, "text": TEXT}
"""``format=`` values of the formatted references."""
RECORD_EXT = "any(" + ", ".join(f'"{ext}"' for ext in RECORDS) + ")"
TRUNCATED_HEADER = "X-CAIKG-Result-Truncated"


def formatted(cited: Cited) -> Response:
    """``cited``'s references in the ``style`` asked for, as HTML or plain text."""
    try:
        style = style_named(request.args.get("style"))
    except UnknownStyle as exc:
        return plain_error(400, str(exc))
    wanted = request.args.get("format")
    if wanted is not None:
        chosen = REPRESENTATIONS.get(wanted.strip().lower())
        if chosen is None:
            return plain_error(400, "parameter 'format' must be one of "
                                    + ", ".join(REPRESENTATIONS))
    else:
        chosen = negotiate(request.headers.get("Accept"), [HTML, TEXT])
        if chosen is None:
            return plain_error(406, f"available: {HTML}, {TEXT}")
    alternates = citation_alternates(cited)
    headers = {"Link": link_header(alternates), "Vary": "Accept"}
    if chosen == TEXT:
        refs = references(cited, style, as_html=False)
        if refs.truncated:
            headers[TRUNCATED_HEADER] = "true"
        return cors(Response(references_text(refs), content_type="text/plain; charset=utf-8",
                             headers=headers))
    page = cite_page(cited, style)
    if page.context["truncated"]:
        headers[TRUNCATED_HEADER] = "true"
    html = render_template(page.template, title=page.title, alternates=alternates,
                           **page.context)
    return Response(html, mimetype=HTML, headers=headers)


@bp.get("/<any(paper, technique):kind>/<slug>/cite")
@policy(negotiates=True, cors=True)
def entity(kind: str, slug: str) -> Response:
    path = f"/{kind}/{slug}"
    iri = f"{settings().base_iri}{kind}/{slug}"
    cited = entity_cited(store(), kind, iri, path)
    if cited is None:
        return not_found(iri)
    return formatted(cited)


@bp.get("/browse/cite")
@policy(negotiates=True, cors=True)
def browse() -> Response:
    return formatted(browse_cited(store(), request.args))


@bp.get(f"/browse.<{RECORD_EXT}:ext>")
@policy(cors=True)
def browse_records(ext: str) -> Response:
    cited = browse_cited(store(), request.args)
    links = {"Link": link_header(citation_alternates(cited))}
    return record_response(cited, RECORDS[ext], **links)


@bp.get("/downloads/cite")
@policy(negotiates=True, cors=True)
def dataset() -> Response:
    return formatted(dataset_cited(store()))


@bp.get(f"/downloads.<{RECORD_EXT}:ext>")
@policy(cors=True)
def dataset_records(ext: str) -> Response:
    cited = dataset_cited(store())
    return record_response(cited, RECORDS[ext], Link=link_header(citation_alternates(cited)))
