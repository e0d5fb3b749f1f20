"""Entity documents: what an entity IRI dereferences to."""

from __future__ import annotations

import pyoxigraph as ox

from .store import EmbeddedStore


def document(store: EmbeddedStore, iri: str) -> list[ox.Triple]:
    """The entity's own triples, its fragment nodes' triples and the labels of what they link
    to (``queries/entity_document.rq``); empty when the store knows nothing about ``iri``."""
    return store.construct("entity_document", entity=ox.NamedNode(iri))
