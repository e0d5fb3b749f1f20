"""The page of a system: what it is, the work that introduced it, its code, what it builds on,
what it is compared with (both ways), and the claims it makes or is the baseline of."""

from __future__ import annotations

from typing import Any

from caikg.rdf.namespaces import CAIKG, SCHEMA
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, iri, plain, view
from caikg.web.pages.provenance import provenance

LINKS = {
    ("out", str(SCHEMA.isBasedOn)): "builds_on",
    ("in", str(SCHEMA.isBasedOn)): "built_upon_by",
    ("out", str(CAIKG.comparedWith)): "compared_with",
    ("in", str(CAIKG.comparedWith)): "compared_by",
    ("out", str(CAIKG.introducedIn)): "introduced_in",
    ("out", str(SCHEMA.codeRepository)): "repositories",
    ("out", str(SCHEMA.url)): "homepages",
    ("out", str(SCHEMA.alternateName)): "other_names",
}


@view("system")
def system_page(store: KnowledgeStore, system: str) -> Page | None:
    rows = plain(store.select("system_facts", system=iri(system)))
    name = next((r["value"] for r in rows if r["property"] == str(SCHEMA.name)), None)
    if name is None:
        return None
    context: dict[str, Any] = {key: [] for key in LINKS.values()}
    context["description"] = next(
        (r["value"] for r in rows if r["property"] == str(SCHEMA.description)), None)
    for row in rows:
        key = LINKS.get((row["direction"] or "", row["property"] or ""))
        if key is not None:
            context[key].append({"iri": row["value"], "label": row["label"] or row["value"]})
    node = iri(system)
    context.update(
        name=name,
        prov=provenance(store, node),
        claims=plain(store.select("claim_comparison", system=node)),
        baseline_of=plain(store.select("claim_comparison", baseline=node)),
    )
    return Page("system.html", context, title=f"{name} (system)")
