"""``caikg stats``: counts per class, top authors, papers per technique."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from caikg.store.base import KnowledgeStore


def _value(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else ""


def _int(term: object) -> int:
    return int(term.value) if isinstance(term, ox.Literal) else 0


def collect_stats(store: KnowledgeStore, top: int = 10) -> dict[str, Any]:
    classes = store.select("dataset_class_partitions", default_graphs=store.data_graphs())
    authors = store.select("person_top_authors")[:top]
    techniques = store.select("technique_paper_counts",
                              scheme=ox.NamedNode(str(store.instances.techniques_scheme)))
    return {
        "version": store.info.version if store.info else None,
        "triples": len(store),
        "classes": [{"class": _value(r["class"]), "count": _int(r["entities"])} for r in classes],
        "top_authors": [{"person": _value(r["person"]), "name": _value(r["name"]),
                         "count": _int(r["works"])} for r in authors],
        "techniques": [{"technique": _value(r["technique"]), "label": _value(r["label"]),
                        "count": _int(r["works"])} for r in techniques],
    }
