"""The home page: what the graph holds, the reading lists' sections, the technique taxonomy and
the newest papers."""

from __future__ import annotations

from ..store import EmbeddedStore
from . import Page, plain
from .browse import load_papers
from .scheme import concept_tree

NEWEST = 10


def home_page(store: EmbeddedStore) -> Page:
    counts = plain(store.select("dataset_counts"))[0]
    taxonomy, technique_count = concept_tree(store, str(store.instances.techniques_scheme))
    lists = []
    for row in plain(store.select("scheme_reading_lists")):
        scheme = row["scheme"] or ""
        sections, _ = concept_tree(store, scheme)
        lists.append({"scheme": scheme, "title": row["title"] or scheme,
                      "works": int(row["works"] or 0), "sections": sections})
    papers = load_papers(store)
    classes = plain(store.select("dataset_class_partitions", default_graphs=store.data_graphs()))
    return Page("home.html", title="Compound AI Knowledge Graph", context={
        "counts": {
            "papers": int(counts["works"] or 0),
            "people": int(counts["people"] or 0),
            "venues": int(counts["venues"] or 0),
            "editions": int(counts["editions"] or 0),
            "techniques": technique_count,
            "triples": len(store),
        },
        "version": store.info.version if store.info else None,
        "taxonomy": taxonomy,
        "lists": lists,
        "newest": papers[:NEWEST],
        "paper_total": len(papers),
        "classes": [{"class": r["class"], "count": int(r["entities"] or 0)} for r in classes],
    })
