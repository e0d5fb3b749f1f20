"""Terms of SPARQL 1.1 Query Results JSON: the one reader of ``{"type": …, "value": …}``
objects, for the answers of remote stores and of Wikidata."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def term(value: Mapping[str, Any]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The RDF term of one SPARQL JSON term object; ``ValueError`` for an unknown type.

    ``typed-literal`` is Virtuoso's older spelling of a literal, and Virtuoso writes booleans
    as 0/1. Blank node labels only mean something within one result, so they are replaced by
    stable labels that are always valid."""
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":
        return ox.BlankNode("b" + hashlib.sha1(text.encode()).hexdigest()[:16])
    if kind in {"literal", "typed-literal"}:
        lang = value.get("xml:lang")
        if lang:
            return ox.Literal(text, language=lang)
        datatype = value.get("datatype")
        if datatype == XSD_BOOLEAN and text in {"0", "1"}:
            text = "true" if text == "1" else "false"
        if datatype and datatype != XSD_STRING:
            return ox.Literal(text, datatype=ox.NamedNode(datatype))
        return ox.Literal(text)
    raise ValueError(f"unknown SPARQL JSON term type {kind!r}")
