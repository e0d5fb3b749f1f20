"""Contributing back: QuickStatements (V1) that create on Wikidata the papers it lacks, for a
person to review before running them."""

from __future__ import annotations

import re
from collections import defaultdict

from caikg.enrich.enricher import qid_of
from caikg.store.base import KnowledgeStore


def quickstatements(store: KnowledgeStore) -> str:
    """QuickStatements (V1, tab-separated) creating the scholarly articles Wikidata lacks.

    Every statement is referenced with the work's URL (S854); authors already on Wikidata are
    P50, the others P2093 name strings, both with P1545 ordinals."""
    authors: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    for row in store.select("work_wikidata_authors"):
        work, pos, name = row["work"], row["position"], row["name"]
        stated, item = row.get("statedName"), row.get("item")
        if work is None or pos is None or name is None:
            continue
        authors[work.value].append((int(pos.value), (stated or name).value,
                                    qid_of(item.value) if item is not None else None))
    lines: list[str] = []
    for row in store.select("work_wikidata_export"):
        values = {k: v.value for k, v in row.items() if v is not None}
        if "work" in values and "title" in values:
            lines += _qs_work(values, authors.get(values["work"], []))
    return "\n".join(lines) + ("\n" if lines else "")


def _qs_work(row: dict[str, str], authors: list[tuple[int, str, str | None]]) -> list[str]:
    url = row.get("url")
    ref = [f"S854\t{_qs_string(url)}"] if url else []
    text = " ".join(row["title"].split())
    lines = ["CREATE", f"LAST\tLen\t{_qs_string(text[:250])}"]

    def stmt(*parts: str) -> None:
        lines.append("\t".join(["LAST", *parts, *ref]))

    stmt("P31", "Q13442814")  # instance of: scholarly article
    stmt("P1476", f"en:{_qs_string(text[:400])}")
    if "arxivId" in row:
        stmt("P818", _qs_string(row["arxivId"]))
    if "doi" in row:
        stmt("P356", _qs_string(row["doi"].upper()))
    if "openReviewId" in row:
        stmt("P8968", _qs_string(row["openReviewId"]))
    if re.fullmatch(r"\d{4}", row.get("year", "")):
        stmt("P577", f"+{row['year']}-00-00T00:00:00Z/9")
    for pos, name, item in sorted(authors):
        if item is not None:
            stmt("P50", item, "P1545", _qs_string(str(pos)))
        else:
            stmt("P2093", _qs_string(name), "P1545", _qs_string(str(pos)))
    return lines


def _qs_string(text: str) -> str:
    """A QuickStatements string: V1 has no escapes, so a double quote becomes a single one."""
    return '"' + " ".join(text.replace('"', "'").split()) + '"'
