"""The works of a store read straight from its quads (independent of the queries under test)."""

from __future__ import annotations

import pyoxigraph as ox

from caikg.store.embedded import EmbeddedStore

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCHEMA = "https://schema.org/"


def work_iris(store: EmbeddedStore) -> list[str]:
    """Every scholarly article and blog post, sorted."""
    found = set()
    for cls in ("ScholarlyArticle", "BlogPosting"):
        for q in store._store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE),
                                                ox.NamedNode(SCHEMA + cls), None):
            assert isinstance(q.subject, ox.NamedNode)
            found.add(q.subject.value)
    return sorted(found)
