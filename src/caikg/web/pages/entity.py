"""Entity documents: what an entity IRI dereferences to."""

from __future__ import annotations

import pyoxigraph as ox

from caikg.store.base import KnowledgeStore


def document(store: KnowledgeStore, iri: str) -> list[ox.Triple]:
    """The entity's own triples, its fragment nodes' triples and the labels of what they link
    to (``queries/entity_document.rq``); empty when the store knows nothing about ``iri`` or
    ``iri`` is not a valid IRI (e.g. a request path with a space)."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return []
    return store.construct("entity_document", entity=node)
