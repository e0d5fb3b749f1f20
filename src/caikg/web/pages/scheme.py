"""The page of a concept scheme: the technique taxonomy, or a reading list with its sections,
as a nested list with paper counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, iri, plain, view
from caikg.web.pages.section import notation_key


@dataclass
class Node:
    concept: str
    label: str
    notation: str | None
    direct: int
    total: int
    children: list[Node] = field(default_factory=list)


def concept_tree(store: KnowledgeStore, scheme: str) -> tuple[list[Node], int]:
    """The concepts of ``scheme`` as a forest (roots: concepts without a broader concept in
    the scheme) and the number of distinct concepts. A concept with several broader concepts
    appears under each; cycles are cut."""
    rows = plain(store.select("scheme_concepts", scheme=iri(scheme)))
    nodes: dict[str, Node] = {}
    broader: dict[str, set[str]] = {}
    for r in rows:
        concept = r["concept"] or ""
        if concept not in nodes:
            nodes[concept] = Node(concept, r["label"] or concept, r["notation"],
                                  int(r["direct"] or 0), int(r["total"] or 0))
        broader.setdefault(concept, set())
        if r["broader"]:
            broader[concept].add(r["broader"])
    children: dict[str, list[str]] = {}
    for concept, parents in broader.items():
        for parent in parents:
            if parent in nodes:
                children.setdefault(parent, []).append(concept)

    def key(c: str) -> tuple[object, ...]:
        n = nodes[c]
        return (notation_key(n.notation), n.label.lower(), c)

    def build(concept: str, path: frozenset[str]) -> Node:
        n = nodes[concept]
        kids = [build(c, path | {c}) for c in sorted(children.get(concept, []), key=key)
                if c not in path]
        return Node(n.concept, n.label, n.notation, n.direct, n.total, kids)

    roots = [c for c, parents in broader.items() if not parents & nodes.keys()]
    if not roots and nodes:  # everything is in a cycle: start anywhere
        roots = [min(nodes, key=key)]
    return [build(c, frozenset({c})) for c in sorted(roots, key=key)], len(nodes)


@view("scheme")
def scheme_page(store: KnowledgeStore, scheme: str) -> Page | None:
    rows = plain(store.select("scheme_description", scheme=iri(scheme)))
    if not rows:
        return None
    first = rows[0]
    title = first["title"] or first["label"] or scheme
    tree, count = concept_tree(store, scheme)
    is_taxonomy = scheme == str(store.instances.techniques_scheme)
    works = 0
    if not is_taxonomy:
        works = next((int(r["works"] or 0) for r in plain(store.select("scheme_reading_lists"))
                      if r["scheme"] == scheme), 0)
    return Page("scheme.html", title=str(title), context={
        "scheme_title": title, "description": first["description"], "source": first["source"],
        "tree": tree, "concept_count": count, "is_taxonomy": is_taxonomy, "works": works,
    })
