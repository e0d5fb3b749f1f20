"""The page of a reading-list section: its list, broader and narrower sections, its papers."""

from __future__ import annotations

from typing import Any

from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, iri, plain, view
from caikg.web.pages.technique import concept_facts


def notation_key(notation: str | None) -> tuple[Any, ...]:
    parts = (notation or "").split(".")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


@view("section")
def section_page(store: KnowledgeStore, section: str) -> Page | None:
    facts = concept_facts(plain(store.select("section_concept", section=iri(section))))
    if "prefLabel" not in facts or "inScheme" not in facts:
        return None
    label = facts["prefLabel"][0]["value"] or section
    notation = (facts.get("notation") or [{"value": None}])[0]["value"]
    papers: list[dict[str, Any]] = []
    index: dict[str, dict[str, Any]] = {}
    for row in plain(store.select("section_works", section=iri(section))):
        work = row["work"] or ""
        if work in index:
            continue
        index[work] = {"work": work, "title": row["title"], "year": row["year"],
                       "heading": row["heading"], "notation": row["notation"]}
        papers.append(index[work])
    groups: dict[str, dict[str, Any]] = {}
    for p in papers:
        groups.setdefault(p["notation"] or "", {"heading": p["heading"],
                                                "notation": p["notation"], "papers": []})
        groups[p["notation"] or ""]["papers"].append(p)
    by_notation = lambda f: notation_key(f["notation"])  # noqa: E731
    return Page("section.html", title=f"{label} ({facts['inScheme'][0]['label']})", context={
        "label": label, "notation": notation,
        "schemes": facts["inScheme"],
        "broader": sorted(facts.get("broader", []), key=by_notation),
        "narrower": sorted(facts.get("narrower", []), key=by_notation),
        "definitions": [f["value"] for f in facts.get("definition", [])],
        "papers": papers,
        "groups": sorted(groups.values(), key=by_notation),
    })
