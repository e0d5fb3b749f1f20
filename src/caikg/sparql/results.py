"""SPARQL query results written in the W3C result formats (JSON, XML, CSV, TSV) and graphs in
the RDF formats; pure functions, run in the query workers."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from caikg.rdf.formats import GRAPH_BY_KEY, RESULT_BY_KEY
from caikg.rdf.namespaces import PREFIXES
from caikg.rdf.xmltext import NOT_XML, xml_safe

log = logging.getLogger(__name__)

# -- serialisation (runs in the workers; pure functions, so they are tested directly) -------

_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
_ITS = "http://www.w3.org/2005/11/its"
_SPARQL_RESULTS = "http://www.w3.org/2005/sparql-results#"

_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                           "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})

# Turtle's shorthand for numbers and booleans, used in TSV as the SPARQL spec allows.
_TURTLE_SHORTHAND = {
    _XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    _XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    _XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+)"),
    _XSD + "boolean": re.compile(r"true|false"),
}

Solution = Sequence[Any]
"""One row: a term (or None when unbound) per variable, in the order of the variables."""


def _xml_text(text: str) -> str:
    return xml_safe(text).translate(_XML_TEXT)


def _xml_attr(text: str) -> str:
    return xml_safe(text).translate(_XML_ATTR)


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = str(term.direction)
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        attrs = ""
        if term.language:
            attrs = f' xml:lang="{_xml_attr(term.language)}"'
            if term.direction is not None:
                attrs += f' xmlns:its="{_ITS}" its:dir="{_xml_attr(str(term.direction))}"'
        elif term.datatype.value != _XSD_STRING:
            attrs = f' datatype="{_xml_attr(term.datatype.value)}"'
        return f"<literal{attrs}>{_xml_text(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
                f"<predicate>{_xml_term(term.predicate)}</predicate>"
                f"<object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_value(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return _tsv_term(term)


def _tsv_term(term: Any) -> str:
    """The term in Turtle syntax; ``str()`` of a pyoxigraph term is N-Triples, which escapes
    tabs, line breaks and the other control characters, so a term never spans a field."""
    if isinstance(term, ox.Literal):
        pattern = _TURTLE_SHORTHAND.get(term.datatype.value)
        if pattern is not None and pattern.fullmatch(term.value):
            return term.value
        return str(term)
    if isinstance(term, ox.Triple):
        return (f"<<( {_tsv_term(term.subject)} {_tsv_term(term.predicate)} "
                f"{_tsv_term(term.object)} )>>")
    return str(term)


def serialize_solutions(variables: Sequence[str], rows: Iterable[Solution], fmt: str) -> bytes:
    """SELECT results as a SPARQL results document (``fmt`` is a key of ``RESULT_BY_KEY``).

    Written here rather than by pyoxigraph because a capped result is a list of rows, not a
    ``QuerySolutions``, and because pyoxigraph's XML writer emits control characters that
    make the document ill-formed; XML 1.0 cannot carry them at all, so they become U+FFFD in
    XML (and only there).
    """
    if fmt == "json":
        bindings = [{v: _json_term(t) for v, t in zip(variables, row, strict=True)
                     if t is not None} for row in rows]
        doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt == "xml":
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="{_SPARQL_RESULTS}">'
                 "<head>"]
        parts.extend(f'<variable name="{_xml_attr(v)}"/>' for v in variables)
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts.extend(f'<binding name="{_xml_attr(v)}">{_xml_term(t)}</binding>'
                         for v, t in zip(variables, row, strict=True) if t is not None)
            parts.append("</result>")
        parts.append("</results></sparql>\n")
        return "".join(parts).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(variables)
        writer.writerows([_csv_value(t) for t in row] for row in rows)
        return buf.getvalue().encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines.extend("\t".join("" if t is None else _tsv_term(t) for t in row) for row in rows)
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"unknown result format {fmt!r} (one of {', '.join(RESULT_BY_KEY)})")


def _xml_safe_term(term: Any) -> Any:
    if isinstance(term, ox.Literal) and NOT_XML.search(term.value):
        value = xml_safe(term.value)
        if term.language:
            return ox.Literal(value, language=term.language, direction=term.direction)
        return ox.Literal(value, datatype=term.datatype)
    if isinstance(term, ox.Triple):
        return ox.Triple(term.subject, term.predicate, _xml_safe_term(term.object))
    return term


def serialize_triples(triples: Sequence[ox.Triple], fmt: str) -> bytes:
    """CONSTRUCT/DESCRIBE results (``fmt`` is a key of ``GRAPH_BY_KEY``); in the dataset formats
    (TriG, N-Quads) the triples are in the default graph."""
    graph_format = GRAPH_BY_KEY.get(fmt)
    if graph_format is None:
        raise ValueError(f"unknown graph format {fmt!r} (one of {', '.join(GRAPH_BY_KEY)})")
    if fmt == "rdfxml":
        triples = [ox.Triple(t.subject, t.predicate, _xml_safe_term(t.object)) for t in triples]
    prefixes = PREFIXES if graph_format.prefixed else None
    out = ox.serialize(triples, format=graph_format.rdf_format, prefixes=prefixes)
    assert out is not None
    if fmt == "rdfxml":
        # pyoxigraph writes carriage returns raw, and XML parsers turn them into line feeds
        out = out.replace(b"\r", b"&#13;")
    return out
