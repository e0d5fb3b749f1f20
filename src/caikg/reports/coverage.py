"""Coverage of curation: how many works have each field of the curated record, which lack
it, and which have not been checked against the public record for a while. Shown at
``/coverage`` and by ``caikg stats``; it is what a curator works from."""

from __future__ import annotations

from typing import Any

from caikg.store.base import KnowledgeStore, plain

COVERAGE_FIELDS = (
    ("authors", "authors (or a sourced reason they are not public)"),
    ("sourcedAuthors", "authors with a checked source"),
    ("doi", "DOI"), ("arxiv", "arXiv id"), ("openreview", "OpenReview id"),
    ("system", "a system"), ("code", "code repository"), ("claims", "≥ 1 claim"),
    ("summary", "summary"),
)
"""The fields coverage counts, with the label a curator reads."""


def coverage(store: KnowledgeStore, today: str, stale_months: int = 12) -> dict[str, Any]:
    """How many works have each field, which lack it, and which have a check older than
    ``stale_months`` (or none at all)."""
    rows = plain(store.select("work_coverage"))
    year, month = int(today[:4]), int(today[5:7])
    months = year * 12 + month - 1 - stale_months
    cutoff = f"{months // 12:04d}-{months % 12 + 1:02d}{today[7:10]}"
    fields = []
    for key, label in COVERAGE_FIELDS:
        have = [r for r in rows if r[key] == "true"]
        fields.append({"key": key, "label": label, "count": len(have),
                       "missing": [{"work": r["work"], "title": r["title"]}
                                   for r in rows if r[key] != "true"]})
    unchecked = [{"work": r["work"], "title": r["title"], "oldest": r["oldestCheck"]}
                 for r in rows if not r["oldestCheck"] or (r["oldestCheck"] or "") < cutoff]
    return {"works": len(rows), "fields": fields, "stale": unchecked,
            "stale_months": stale_months, "cutoff": cutoff, "rows": rows}


