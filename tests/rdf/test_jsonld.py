"""The JSON-LD pages embed (src/caikg/rdf/jsonld.py): expanded, it is exactly the graph it was
made from, whatever the graph (checked with rdflib's JSON-LD parser on generated graphs), it
reads as schema.org's examples do, and it cannot end its ``<script>`` element."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

from caikg.rdf.jsonld import compact, script_text
from caikg.rdf.namespaces import PREFIXES

S = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def as_rdflib(triples: list[ox.Triple]) -> Graph:
    g = Graph()
    if triples:
        g.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return g


def round_trip(triples: list[ox.Triple], top: str | None = None) -> Graph:
    text = script_text(compact(triples, PREFIXES, top=top))
    return Graph().parse(data=text, format="json-ld")


NODES = [ox.NamedNode(i) for i in (
    "https://w3id.org/caikg/paper/p", "https://w3id.org/caikg/paper/p#author-1",
    "https://w3id.org/caikg/person/a", "https://example.org/x?y=1&z=%3C2%3E",
    "urn:isbn:123", "xsd:notaprefix", "prov:looks-like-a-compact-iri", "https://schema.org/",
)]
PREDICATES = [ox.NamedNode(i) for i in (
    S + "name", S + "author", S + "url", S + "prov", S + "a-b", S + "xsd",
    "http://www.w3.org/ns/prov#agent", "https://w3id.org/caikg/ontology#ordinal",
    "http://purl.org/dc/terms/title", "https://example.org/vocab/p", "https://example.org/v#",
)]
TYPES = [ox.NamedNode(i) for i in (S + "ScholarlyArticle", S + "Person",
                                   "http://www.w3.org/ns/prov#Attribution",
                                   "https://example.org/Class")]
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
LITERALS = st.one_of(
    TEXT.map(ox.Literal),
    st.builds(lambda v, lang: ox.Literal(v, language=lang), TEXT,
              st.sampled_from(["en", "de-CH"])),
    st.builds(lambda v, dt: ox.Literal(v, datatype=ox.NamedNode(dt)),
              st.sampled_from(["1", "01", "2024", "true", "x"]),
              st.sampled_from([XSD + "integer", XSD + "gYear", XSD + "anyURI",
                               "https://example.org/dt"])),
)
BLANKS = [ox.BlankNode(f"b{n}") for n in range(3)]
SUBJECTS = st.sampled_from(NODES + BLANKS)
TRIPLES = st.one_of(
    st.builds(ox.Triple, SUBJECTS, st.sampled_from(PREDICATES),
              st.one_of(st.sampled_from(NODES + BLANKS), LITERALS)),
    st.builds(ox.Triple, SUBJECTS, st.just(RDF_TYPE), st.sampled_from(TYPES)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TRIPLES, max_size=14), st.sampled_from([None, NODES[0].value, NODES[3].value]))
def test_expanded_it_is_the_same_graph(triples: list[ox.Triple], top: str | None) -> None:
    assert isomorphic(round_trip(triples, top), as_rdflib(list(set(triples))))


def test_it_reads_like_schema_orgs_examples() -> None:
    paper, person = ox.NamedNode("https://w3id.org/caikg/paper/p"), ox.NamedNode(
        "https://w3id.org/caikg/person/a")
    authorship = ox.NamedNode("https://w3id.org/caikg/paper/p#author-1")
    triples = [
        ox.Triple(paper, RDF_TYPE, ox.NamedNode(S + "ScholarlyArticle")),
        ox.Triple(paper, ox.NamedNode(S + "author"), person),
        ox.Triple(paper, ox.NamedNode(S + "url"), ox.NamedNode("https://arxiv.org/abs/1")),
        ox.Triple(paper, ox.NamedNode("http://www.w3.org/ns/prov#qualifiedAttribution"),
                  authorship),
        ox.Triple(authorship, ox.NamedNode("http://www.w3.org/ns/prov#agent"), person),
        ox.Triple(person, ox.NamedNode(S + "name"), ox.Literal("Ada")),
        ox.Triple(person, RDF_TYPE, ox.NamedNode(S + "Person")),
    ]
    doc = compact(triples, PREFIXES, top=paper.value)
    top = doc["@graph"][0]
    assert len(doc["@graph"]) == 1, "everything nested under the top node"
    assert top["@id"] == paper.value and top["@type"] == "ScholarlyArticle"
    assert top["author"] == {"@id": person.value, "@type": "Person", "name": "Ada"}
    assert top["url"] == "https://arxiv.org/abs/1"
    assert top["prov:qualifiedAttribution"]["prov:agent"] == {"@id": person.value}
    assert doc["@context"]["@vocab"] == S and doc["@context"]["prov"] == PREFIXES["prov"]


def test_a_property_with_text_and_links_keeps_links_as_objects() -> None:
    s = ox.NamedNode("https://example.org/s")
    triples = [ox.Triple(s, ox.NamedNode(S + "url"), ox.Literal("https://a.example")),
               ox.Triple(s, ox.NamedNode(S + "url"), ox.NamedNode("https://b.example"))]
    doc = compact(triples, PREFIXES)
    assert "url" not in doc["@context"]
    assert sorted(map(json.dumps, doc["@graph"][0]["url"])) == sorted(
        map(json.dumps, ["https://a.example", {"@id": "https://b.example"}]))
    assert isomorphic(round_trip(triples), as_rdflib(triples))


@pytest.mark.parametrize("text", ["</script><script>alert(1)</script>", "a & b", "<!--", "]]>"])
def test_script_text_cannot_end_the_element(text: str) -> None:
    s = ox.NamedNode("https://example.org/s")
    triples = [ox.Triple(s, ox.NamedNode(S + "name"), ox.Literal(text))]
    out = script_text(compact(triples, PREFIXES))
    assert not {"<", ">", "&"} & set(out)
    assert json.loads(out)["@graph"][0]["name"] == text
