"""``/sparql``: the W3C SPARQL 1.1 Protocol (query only), the service description and the
query editor. Routes parse the request, call the executor and pick a renderer."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for

from caikg.rdf.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_media_type, by_name
from caikg.rdf.namespaces import PREFIXES
from caikg.sparql.protocol import ProtocolError, ProtocolRequest, parse_request
from caikg.sparql.service_description import describe_service
from caikg.web.caching import policy
from caikg.web.context import QUERY_ERRORS, cors, error_response, examples, executor, store
from caikg.web.negotiation import negotiate

bp = Blueprint("sparql", __name__)

HTML = "text/html"


def _choose(req: ProtocolRequest, formats: tuple[Format, ...]) -> Format:
    """The format named by the format parameters, else the one negotiated from Accept."""
    if req.formats:
        named: set[Format] = set()
        for value in req.formats:
            # a name, a media type, or a list of media types (as SPARQLWrapper sends)
            fmt = by_name(value, formats) or negotiate_list(value, formats)
            if fmt is None:
                raise ProtocolError(400, f"unsupported format {value!r} for this query (use "
                                    f"one of {', '.join(f.aliases[0] for f in formats)})")
            named.add(fmt)
        if len(named) > 1:
            raise ProtocolError(400, "conflicting format parameters: "
                                f"{', '.join(sorted(req.formats))}")
        return named.pop()
    chosen = negotiate(request.headers.get("Accept"), [f.media_type for f in formats])
    if chosen is None:
        raise ProtocolError(406, "none of the acceptable media types can be produced; "
                            f"available: {', '.join(f.media_type for f in formats)}")
    return by_media_type(chosen, formats)


def negotiate_list(value: str, formats: tuple[Format, ...]) -> Format | None:
    if "," not in value:
        return None
    chosen = negotiate(value, [f.media_type for f in formats])
    return by_media_type(chosen, formats) if chosen else None


def _editor() -> Response:
    html = render_template("sparql.html", endpoint=url_for("sparql.endpoint"),
                           prefixes=PREFIXES, examples=examples())
    return Response(html, mimetype=HTML, headers={"Vary": "Accept"})


def _service_description() -> Response:
    offers = [HTML] + [f.media_type for f in GRAPH_FORMATS]
    chosen = negotiate(request.headers.get("Accept"), offers)
    if chosen == HTML:
        return _editor()
    if chosen is None:
        raise ProtocolError(406, "the service description is available as HTML or "
                            f"{', '.join(f.media_type for f in GRAPH_FORMATS)}")
    fmt = by_media_type(chosen, GRAPH_FORMATS)
    st = store()
    triples = describe_service(request.base_url, st.named_graphs(), str(st.instances.dataset))
    body = ox.serialize(triples, format=fmt.rdf_format, prefixes={
        "sd": "http://www.w3.org/ns/sparql-service-description#",
        "formats": "http://www.w3.org/ns/formats/"}) or b""
    return Response(body, mimetype=fmt.media_type, headers={"Vary": "Accept"})


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
@policy(negotiates=True, cors=True, post=True)
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return cors(Response(status=204))
    try:
        req = parse_request(request.method, request.content_type, list(request.args.items(
            multi=True)), request.get_data(cache=False) if request.method == "POST" else b"")
        if req.query is None:
            if request.method == "POST":
                raise ProtocolError(400, "missing 'query' parameter")
            return cors(_service_description())
        checked = executor().prepare(req.query, req.default_graphs or None,
                                     req.named_graphs or None)
        graph = checked.form in {"CONSTRUCT", "DESCRIBE"}
        fmt = _choose(req, GRAPH_FORMATS if graph else RESULT_FORMATS)
        result = executor().execute(checked, result_format="json" if graph else fmt.key,
                                    graph_format=fmt.key if graph else "ttl")
    except QUERY_ERRORS as exc:
        return cors(error_response(exc))
    headers = {"Vary": "Accept", "X-CAIKG-Data-Version": result.version,
               "X-CAIKG-Result-Count": str(result.count)}
    if result.truncated:
        headers["X-CAIKG-Result-Truncated"] = (
            f"true; the result was cut at {result.count} rows (CAIKG_RESULT_LIMIT)")
    return cors(Response(result.body, mimetype=None, content_type=result.media_type,
                         headers=headers))


@bp.get("/examples")
def example_list() -> str:
    return render_template("examples.html", examples=examples(),
                           endpoint=url_for("sparql.endpoint"))
