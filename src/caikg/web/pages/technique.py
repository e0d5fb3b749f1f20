"""The page of a technique: definition, labels, broader and narrower techniques, the papers
tagged with it or with a narrower technique, and a papers-per-year chart."""

from __future__ import annotations

from collections import Counter
from typing import Any

from markupsafe import Markup

from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, iri, plain, view
from caikg.web.svg.charts import bar_chart_svg

SKOS = "http://www.w3.org/2004/02/skos/core#"


def concept_facts(rows: list[dict[str, str | None]]) -> dict[str, list[dict[str, str | None]]]:
    """``{local name of the SKOS property: [{"value", "label", ...}]}`` from property rows."""
    facts: dict[str, list[dict[str, str | None]]] = {}
    for row in rows:
        prop = row.get("property") or ""
        if not prop.startswith(SKOS):
            continue
        entry = {"value": row.get("value"), "label": row.get("valueLabel") or row.get("value"),
                 "notation": row.get("valueNotation")}
        facts.setdefault(prop[len(SKOS):], []).append(entry)
    return facts


def works_by_year_chart(title: str, years: list[str | None], chart_id: str) -> Markup:
    counts = Counter(y or "unknown" for y in years)
    bars = [(year, counts[year]) for year in sorted(counts, key=lambda y: (y == "unknown", y))]
    # the SVG is built by caikg.web.svg.charts, which escapes every label and title
    return Markup(bar_chart_svg(title, bars, x_label="Year", y_label="Papers", chart_id=chart_id))


@view("technique")
def technique_page(store: KnowledgeStore, technique: str) -> Page | None:
    facts = concept_facts(plain(store.select("technique_concept", technique=iri(technique))))
    if "prefLabel" not in facts:
        return None
    label = facts["prefLabel"][0]["value"] or technique
    works: dict[str, dict[str, Any]] = {}
    for row in plain(store.select("technique_works", technique=iri(technique))):
        work = row["work"]
        assert work is not None
        entry = works.setdefault(work, {"work": work, "title": row["title"], "year": row["year"],
                                        "direct": False, "via": []})
        if row["via"] == technique:
            entry["direct"] = True
        elif {"iri": row["via"], "label": row["viaLabel"]} not in entry["via"]:
            entry["via"].append({"iri": row["via"], "label": row["viaLabel"]})
    papers = list(works.values())
    chart = works_by_year_chart(f"Papers on {label} per year",
                                [p["year"] for p in papers], "technique-chart")
    return Page("technique.html", title=str(label), context={
        "label": label,
        "definitions": [f["value"] for f in facts.get("definition", [])],
        "alt_labels": sorted({f["value"] or "" for f in facts.get("altLabel", [])}, key=str.lower),
        "broader": sorted(facts.get("broader", []), key=lambda f: (f["label"] or "").lower()),
        "narrower": sorted(facts.get("narrower", []), key=lambda f: (f["label"] or "").lower()),
        "schemes": facts.get("inScheme", []),
        "papers": papers,
        "direct_count": sum(1 for p in papers if p["direct"]),
        "chart": chart,
    })
