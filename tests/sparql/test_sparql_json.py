"""caikg.sparql.json_terms: the one reader of SPARQL JSON terms (remote stores and Wikidata)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from caikg.sparql.json_terms import term

XSD = "http://www.w3.org/2001/XMLSchema#"


def test_terms_of_every_kind() -> None:
    assert term({"type": "uri", "value": "https://example.org/x"}) == ox.NamedNode(
        "https://example.org/x")
    assert term({"type": "literal", "value": "chat", "xml:lang": "fr"}) == ox.Literal(
        "chat", language="fr")
    assert term({"type": "literal", "value": "7", "datatype": XSD + "integer"}) == ox.Literal(
        "7", datatype=ox.NamedNode(XSD + "integer"))
    # Virtuoso's older spelling, and its booleans written 0/1
    assert term({"type": "typed-literal", "value": "1", "datatype": XSD + "boolean"}) == \
        ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
    # xsd:string is a simple literal (RDF 1.1)
    assert term({"type": "literal", "value": "a", "datatype": XSD + "string"}) == ox.Literal("a")


def test_blank_nodes_are_stable_and_valid_whatever_their_label() -> None:
    a = term({"type": "bnode", "value": "node with spaces/and:colons"})
    assert isinstance(a, ox.BlankNode)
    assert a == term({"type": "bnode", "value": "node with spaces/and:colons"})
    assert a != term({"type": "bnode", "value": "other"})


def test_an_unknown_type_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'triple'"):
        term({"type": "triple", "value": {}})
