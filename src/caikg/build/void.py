"""The VoID description of the dataset, computed from the store at build time."""

from __future__ import annotations

import pyoxigraph as ox

from caikg.rdf.iris import slugify
from caikg.rdf.namespaces import PREFIXES
from caikg.store.embedded import EmbeddedStore

VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

DUMP_FORMATS = {"ttl": "Turtle", "nt": "N-Triples", "jsonld": "JSON-LD", "trig": "TriG"}
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def _count(term: object) -> int:
    assert isinstance(term, ox.Literal)
    return int(term.value)


def describe(store: EmbeddedStore, version: str, modified: str | None = None
             ) -> list[ox.Triple]:
    """VoID triples for the data in ``store`` (its default graph is the union of the data)."""
    inst = store.instances
    ds = _n(str(inst.dataset))
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(s, _n(p), o))

    add(ds, str(RDF_TYPE.value), _n(VOID + "Dataset"))
    add(ds, DCTERMS + "title", ox.Literal("Compound AI Knowledge Graph", language="en"))
    add(ds, DCTERMS + "description", ox.Literal(
        "Research papers, people, venues and techniques of systems and infrastructure for "
        "compound AI, as linked data.", language="en"))
    add(ds, DCTERMS + "license", _n(LICENSE))
    add(ds, "http://www.w3.org/2002/07/owl#versionInfo", ox.Literal(version))
    if modified:
        add(ds, DCTERMS + "modified", ox.Literal(
            modified, datatype=_n("http://www.w3.org/2001/XMLSchema#dateTime")))
    add(ds, VOID + "uriSpace", ox.Literal(inst.base))
    add(ds, VOID + "sparqlEndpoint", _n(inst.base + "sparql"))
    for ext in DUMP_FORMATS:
        add(ds, VOID + "dataDump", _n(f"{inst.base}downloads/caikg.{ext}"))
    for prefix in ("schema", "dcterms", "foaf", "skos", "prov", "fabio", "bibo", "caikg"):
        add(ds, VOID + "vocabulary", _n(PREFIXES[prefix].rstrip("#")
                                        if prefix == "caikg" else PREFIXES[prefix]))

    totals = store.select("dataset_totals")[0]
    add(ds, VOID + "triples", _int(_count(totals["triples"])))
    add(ds, VOID + "distinctSubjects", _int(_count(totals["subjects"])))
    add(ds, VOID + "distinctObjects", _int(_count(totals["objects"])))

    classes = store.select("dataset_class_partitions")
    add(ds, VOID + "classes", _int(len(classes)))
    add(ds, VOID + "entities", _int(sum(_count(r["entities"]) for r in classes)))
    for row in classes:
        cls = row["class"]
        assert isinstance(cls, ox.NamedNode)
        part = _n(f"{ds.value}#class-{slugify(cls.value)}")
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", cls)
        add(part, VOID + "entities", _int(_count(row["entities"])))

    properties = store.select("dataset_property_partitions")
    add(ds, VOID + "properties", _int(len(properties)))
    for row in properties:
        prop = row["property"]
        assert isinstance(prop, ox.NamedNode)
        part = _n(f"{ds.value}#property-{slugify(prop.value)}")
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", prop)
        add(part, VOID + "triples", _int(_count(row["triples"])))
        add(part, VOID + "distinctSubjects", _int(_count(row["subjects"])))
    return out
