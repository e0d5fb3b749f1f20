"""Pages built on the curated record as a whole: the systems index, the comparison of claimed
results (per baseline, technique, metric), and the coverage of curation (what a curator
works from)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from caikg.reports.coverage import coverage
from caikg.store.base import KnowledgeStore, Term
from caikg.web.pages.base import Page, iri, plain

COMPARISON_COLUMNS = ("system", "systemName", "paper", "title", "year", "baseline",
                      "baselineName", "metric", "metricLabel", "qualifier", "factor", "percent",
                      "setting", "source", "checked")
"""The columns of the comparison's CSV and JSON twins, in order."""
SORTS = {"system": "systemName", "baseline": "baselineName", "metric": "metricLabel",
         "gain": "gain", "year": "year"}
FILTERS = ("baseline", "metric", "system", "paper", "technique")


class BadFilter(ValueError):
    """A comparison filter that is not an http(s) IRI, or an unknown sort."""


def systems_page(store: KnowledgeStore) -> Page:
    systems = plain(store.select("system_listing"))
    return Page("systems.html", {"systems": systems}, title="Systems")


def _gain(row: Mapping[str, str | None]) -> Decimal:
    """A sort key for the claimed gain: factors compare as themselves, percentages as the
    factor they mean for "less is better" metrics (50% less = 2×)."""
    try:
        if row.get("factor"):
            return Decimal(row["factor"] or "0")
        if row.get("percent"):
            pct = Decimal(row["percent"] or "0")
            return Decimal(1) / (1 - pct / 100) if pct < 100 else Decimal(pct)
    except (InvalidOperation, ZeroDivisionError):
        pass
    return Decimal(0)


@dataclass(frozen=True)
class Comparison:
    rows: list[dict[str, str | None]]
    filters: dict[str, str]
    sort: str
    descending: bool


def comparison(store: KnowledgeStore, args: Mapping[str, str]) -> Comparison:
    """The claims matching the filters in ``args`` (baseline, metric, system, paper: IRIs;
    technique: works tagged with it or a narrower technique), sorted by ``sort``."""
    filters: dict[str, str] = {}
    for name in FILTERS:
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        if not raw.startswith(("http://", "https://")) or any(c in raw for c in ' <>"{}|\\^`'):
            raise BadFilter(f"parameter '{name}' must be an http(s) IRI")
        filters[name] = raw
    sort = args.get("sort") or "gain"
    if sort not in SORTS:
        raise BadFilter(f"parameter 'sort' must be one of {', '.join(SORTS)}")
    descending = (args.get("order") or ("desc" if sort == "gain" else "asc")) == "desc"
    bindings: dict[str, Term] = {k: iri(v) for k, v in filters.items() if k != "technique"}
    rows = plain(store.select("claim_comparison", None, **bindings))
    if "technique" in filters:
        works = {r["work"] for r in plain(store.select("technique_works",
                                                       technique=iri(filters["technique"])))}
        rows = [r for r in rows if r["paper"] in works]
    seen: set[str | None] = set()
    unique = []
    for row in rows:  # one row per claim (a claim stated on two pages has two rows)
        if row["claim"] not in seen:
            seen.add(row["claim"])
            unique.append(row)
    key = SORTS[sort]
    if key == "gain":
        unique.sort(key=_gain, reverse=descending)
    else:
        unique.sort(key=lambda r: (r.get(key) or "").lower(), reverse=descending)
    return Comparison(unique, filters, sort, descending)


def comparison_page(store: KnowledgeStore, result: Comparison) -> Page:
    every_claim = plain(store.select("claim_comparison"))  # for the filters' choices
    labels: dict[str, str] = {}
    for row in every_claim:
        for key, label in (("baseline", "baselineName"), ("metric", "metricLabel"),
                           ("system", "systemName"), ("paper", "title")):
            if row[key]:
                labels[row[key] or ""] = row[label] or row[key] or ""
    baselines = sorted({r["baseline"] for r in every_claim if r["baseline"]},
                       key=lambda b: labels.get(b or "", "").lower())
    metrics = sorted({r["metric"] for r in every_claim if r["metric"]},
                     key=lambda m: labels.get(m or "", "").lower())
    return Page("compare.html", {
        "comparison": result,
        "labels": labels,
        "baselines": baselines,
        "metrics": metrics,
    }, title="Compare claimed results")


def coverage_page(store: KnowledgeStore, today: str, stale_months: int) -> Page:
    return Page("coverage.html", {"coverage": coverage(store, today, stale_months)},
                title="Curation coverage")
