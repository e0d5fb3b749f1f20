"""The ontology page: documentation generated from the ontology graph (``ontology/caikg.ttl``):
metadata, classes, properties, the publication status individuals and the alignments of
reused terms, each term with an anchor named after its local name (``/ontology#arxivId``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from caikg.rdf.namespaces import CAIKG, PREFIXES
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, plain

NS = str(CAIKG._NS)
ONTOLOGY_IRI = NS.rstrip("#/")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"

RELATIONS = [
    (RDFS + "subClassOf", "Subclass of"),
    (RDFS + "subPropertyOf", "Subproperty of"),
    (RDFS + "domain", "Domain"),
    (RDFS + "range", "Range"),
    (OWL + "disjointWith", "Disjoint with"),
    (OWL + "equivalentClass", "Equivalent class"),
    (OWL + "equivalentProperty", "Equivalent property"),
    (SKOS + "exactMatch", "Exact match"),
    (SKOS + "closeMatch", "Close match"),
    (SKOS + "inScheme", "In scheme"),
    (SKOS + "hasTopConcept", "Top concepts"),
    (RDFS + "seeAlso", "See also"),
]
"""Statements shown for each term, in this order, with their headings."""

VOCABULARIES = [
    ("caikg", "caikg ontology (this vocabulary)"),
    ("schema", "schema.org"),
    ("dcterms", "DCMI Metadata Terms"),
    ("foaf", "Friend of a Friend"),
    ("skos", "Simple Knowledge Organization System"),
    ("prov", "PROV-O provenance ontology"),
    ("fabio", "FaBiO, FRBR-aligned Bibliographic Ontology"),
    ("bibo", "Bibliographic Ontology"),
    ("owl", "Web Ontology Language"),
    ("rdfs", "RDF Schema"),
    ("xsd", "XML Schema datatypes"),
    ("void", "Vocabulary of Interlinked Datasets"),
    ("sh", "SHACL"),
    ("wdt", "Wikidata direct properties (alignments)"),
    ("wd", "Wikidata entities"),
]


@dataclass
class Term:
    iri: str
    anchor: str
    label: str
    types: list[str] = field(default_factory=list)
    definition: str | None = None
    relations: list[tuple[str, list[str]]] = field(default_factory=list)


def _by_term(rows: list[dict[str, str | None]]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for r in rows:
        if r["term"] and r["property"] and r["value"] is not None:
            values = out.setdefault(r["term"], {}).setdefault(r["property"], [])
            if r["value"] not in values:
                values.append(r["value"])
    return out


def _term(iri: str, props: dict[str, list[str]]) -> Term:
    local = iri[len(NS):] if iri.startswith(NS) else iri
    label = (props.get(RDFS + "label") or props.get(SKOS + "prefLabel") or [local])[0]
    definitions = props.get(SKOS + "definition") or props.get(RDFS + "comment") or []
    definition = definitions[0] if definitions else None
    relations = [(heading, props[p]) for p, heading in RELATIONS if props.get(p)]
    return Term(iri, local, label, props.get(RDF_TYPE, []), definition, relations)


def ontology_page(store: KnowledgeStore) -> Page:
    rows = plain(store.select("dataset_ontology_terms",
                              default_graphs=[str(store.instances.ontology_graph)]))
    terms = _by_term(rows)
    header = terms.get(ONTOLOGY_IRI, {})

    def first(prop: str) -> str | None:
        values = header.get(prop)
        return values[0] if values else None

    meta = {
        "iri": ONTOLOGY_IRI, "namespace": NS,
        "title": first(DCTERMS + "title") or "caikg ontology",
        "description": first(DCTERMS + "description"),
        "version": first(OWL + "versionInfo"), "version_iri": first(OWL + "versionIRI"),
        "license": first(DCTERMS + "license"), "creators": header.get(DCTERMS + "creator", []),
        "created": first(DCTERMS + "created"), "modified": first(DCTERMS + "modified"),
        "prefix": first(VANN + "preferredNamespacePrefix") or "caikg",
        "see_also": header.get(RDFS + "seeAlso", []),
    }
    classes: list[Term] = []
    object_properties: list[Term] = []
    datatype_properties: list[Term] = []
    individuals: list[Term] = []
    others: list[Term] = []
    for iri in sorted(t for t in terms if t.startswith(NS) and len(t) > len(NS)):
        term = _term(iri, terms[iri])
        types = set(term.types)
        if OWL + "Class" in types:
            classes.append(term)
        elif OWL + "ObjectProperty" in types:
            object_properties.append(term)
        elif OWL + "DatatypeProperty" in types:
            datatype_properties.append(term)
        elif OWL + "NamedIndividual" in types or SKOS + "Concept" in types:
            individuals.append(term)
        else:
            others.append(term)
    alignments = []
    for iri in sorted(t for t in terms if not t.startswith(NS) and t != ONTOLOGY_IRI):
        term = _term(iri, terms[iri])
        if term.relations:
            alignments.append(term)
    vocabularies = [(prefix, PREFIXES[prefix], name) for prefix, name in VOCABULARIES
                    if prefix in PREFIXES]
    return Page("ontology.html", title=str(meta["title"]), context={
        "meta": meta,
        "groups": [("classes", "Classes", classes),
                   ("object-properties", "Object properties", object_properties),
                   ("datatype-properties", "Datatype properties", datatype_properties),
                   ("individuals", "Publication status individuals and their scheme",
                    individuals),
                   ("other-terms", "Other terms", others)],
        "alignments": alignments,
        "vocabularies": vocabularies,
    })
