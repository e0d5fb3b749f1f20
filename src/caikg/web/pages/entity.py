"""Entity documents: what an entity IRI dereferences to."""

from __future__ import annotations

import pyoxigraph as ox

from caikg.store.base import KnowledgeStore

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def document(store: KnowledgeStore, iri: str) -> list[ox.Triple]:
    """The entity's own triples, its fragment nodes' triples and the labels of what they link
    to (``queries/entity_document.rq``); empty when the store knows nothing about ``iri`` or
    ``iri`` is not a valid IRI (e.g. a request path with a space)."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return []
    return store.construct("entity_document", entity=node)


def described(triples: list[ox.Triple], iri: str) -> list[ox.Triple]:
    """What the entity's page embeds as JSON-LD: its document without the sourced statements,
    i.e. every triple of ``triples`` about the entity, its ``iri#…`` fragment nodes and what
    these link to other than by ``rdf:type`` (their labels). Whatever the document says about
    one of these subjects is kept whole, so the embedding is the twin's graph restricted to
    the subjects it names."""
    fragment = iri + "#"

    def own(term: object) -> bool:
        return isinstance(term, ox.NamedNode) and (term.value == iri
                                                  or term.value.startswith(fragment))

    subjects: set[object] = {t.subject for t in triples if own(t.subject)}
    subjects |= {t.object for t in triples if own(t.subject) and t.predicate != RDF_TYPE
                 and isinstance(t.object, ox.NamedNode | ox.BlankNode)}
    return [t for t in triples if t.subject in subjects]
