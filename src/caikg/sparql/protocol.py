"""Parsing SPARQL 1.1 Protocol requests strictly: every malformed, duplicate or conflicting
parameter is a named error (HTTP 400), unknown bodies are 415."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

MULTI = ("default-graph-uri", "named-graph-uri")
FORMAT_PARAMS = ("format", "output", "results")
"""Result-format parameters: not in the standard, but sent by clients (SPARQLWrapper sends all
three, sometimes twice: a short name and a media type). They may repeat as long as they agree."""
KNOWN = frozenset(("query", *MULTI, *FORMAT_PARAMS))


class ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ProtocolRequest:
    query: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    """The non-empty values of the format parameters, to be resolved once the query form is
    known; values that name different formats are a conflict."""


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _charset_ok(content_type: str | None) -> bool:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
                "utf-8", "utf8", "us-ascii"}:
            return False
    return True


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"{what} is not valid UTF-8 (byte {exc.start})") from None


def _form(body: bytes) -> list[tuple[str, str]]:
    text = _decode(body, "the form body")
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                         errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(400, f"malformed form body: {exc}") from None


def parse_request(method: str, content_type: str | None, args: Sequence[tuple[str, str]],
                  body: bytes) -> ProtocolRequest:
    """A :class:`ProtocolRequest` from the parts of an HTTP request."""
    params = list(args)
    if method == "POST" and not body and not content_type:
        raise ProtocolError(400, "missing 'query' parameter (the POST body is empty)")
    if method == "POST":
        media = _media_type(content_type)
        if media == SPARQL_UPDATE:
            raise ProtocolError(400, "SPARQL Update is not allowed: this endpoint is read-only")
        if not _charset_ok(content_type):
            raise ProtocolError(415, f"unsupported charset in Content-Type {content_type!r}; "
                                "use UTF-8")
        if media == FORM:
            params += _form(body)
        elif media == SPARQL_QUERY:
            if any(name == "query" for name, _ in params):
                raise ProtocolError(400, "conflicting parameters: 'query' given in the URL "
                                    "and as an application/sparql-query body")
            params.append(("query", _decode(body, "the query body")))
        else:
            shown = media or "(none)"
            raise ProtocolError(415, f"unsupported Content-Type {shown}: use {FORM} or "
                                f"{SPARQL_QUERY}")
    names = [name for name, _ in params]
    if "update" in names or "using-graph-uri" in names or "using-named-graph-uri" in names:
        raise ProtocolError(400, "SPARQL Update is not allowed: this endpoint is read-only")
    unknown = sorted({n for n in names if n not in KNOWN})
    if unknown:
        raise ProtocolError(400, f"unknown parameter(s): {', '.join(unknown)} (allowed: "
                            f"{', '.join(sorted(KNOWN))})")
    if names.count("query") > 1:
        raise ProtocolError(400, "duplicate parameter 'query'")
    query = next((v for n, v in params if n == "query"), None)
    if query is not None and not query.strip():
        raise ProtocolError(400, "the 'query' parameter is empty")
    graphs: dict[str, list[str]] = {name: [] for name in MULTI}
    for name, value in params:
        if name in MULTI:
            if not value.startswith(("http://", "https://", "urn:")) or any(
                    c in value for c in ' <>"{}|\\^`'):
                raise ProtocolError(400, f"'{name}' is not an absolute IRI: {value!r}")
            graphs[name].append(value)
    if query is None and (graphs["default-graph-uri"] or graphs["named-graph-uri"]):
        raise ProtocolError(400, "missing 'query' parameter")
    return ProtocolRequest(
        query=query,
        default_graphs=graphs["default-graph-uri"],
        named_graphs=graphs["named-graph-uri"],
        formats=[v.strip() for n, v in params if n in FORMAT_PARAMS and v.strip()],
    )
