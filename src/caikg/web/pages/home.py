"""The home page: what the graph holds, the reading lists' sections, the technique taxonomy and
the newest papers."""

from __future__ import annotations

from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, plain
from caikg.web.pages.scheme import concept_tree

NEWEST = 10
"""Papers the home page lists (``queries/work_newest.rq`` has the same LIMIT)."""


def home_page(store: KnowledgeStore) -> Page:
    counts = plain(store.select("dataset_counts"))[0]
    taxonomy, technique_count = concept_tree(store, str(store.instances.techniques_scheme))
    lists = []
    for row in plain(store.select("scheme_reading_lists")):
        scheme = row["scheme"] or ""
        sections, _ = concept_tree(store, scheme)
        lists.append({"scheme": scheme, "title": row["title"] or scheme,
                      "works": int(row["works"] or 0), "sections": sections})
    newest: dict[str, dict[str, str | None]] = {}
    for row in plain(store.select("work_newest")):
        work = row["work"] or ""
        newest.setdefault(work, {"work": work, "title": row["title"], "year": row["year"],
                                 "venue_name": row["venueName"]})
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
        "newest": list(newest.values())[:NEWEST],
        "paper_total": int(counts["works"] or 0),
        "classes": [{"class": r["class"], "count": int(r["entities"] or 0)} for r in classes],
    })
