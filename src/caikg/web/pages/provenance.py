"""Where each fact of a page comes from: the sourced statements of an entity (docs/MODEL.md,
"The curated record") turned into numbered references, as Wikidata shows them, and into the
history of facts the curated record replaced."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from caikg.rdf.namespaces import CAIKG
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import value

CURRENT = str(CAIKG.CurrentRank)
HISTORICAL = str(CAIKG.HistoricalRank)


@dataclass(frozen=True)
class Reference:
    number: int
    source: str
    title: str | None
    checked: str | None
    from_list: bool
    """The source is a reading list (its facts are as the list stated them), not a page."""


@dataclass(frozen=True)
class HistoricalFact:
    predicate: str
    value: str
    label: str | None
    source: str | None
    title: str | None


@dataclass
class Provenance:
    """The references of one entity's facts."""

    references: list[Reference] = field(default_factory=list)
    cites: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(predicate, value) → numbers of the references that state it (current facts only)."""
    dates: dict[tuple[str, str], str] = field(default_factory=dict)
    """(predicate, value) → when the fact took effect, where a source says."""
    history: list[HistoricalFact] = field(default_factory=list)

    def refs(self, predicate: str, value: str | None) -> list[int]:
        return self.cites.get((predicate, value or ""), [])

    def refs_any(self, predicate: str) -> list[int]:
        """The references of every current value of ``predicate``."""
        found = {n for (p, _), ns in self.cites.items() if p == predicate for n in ns}
        return sorted(found)

    def replaced(self, predicate: str) -> list[HistoricalFact]:
        return [h for h in self.history if h.predicate == predicate]

    @property
    def checked_sources(self) -> list[Reference]:
        return [r for r in self.references if not r.from_list]


def provenance(store: KnowledgeStore, entity: ox.NamedNode) -> Provenance:
    """The references of the facts about ``entity`` and its parts (``work_statements.rq``)."""
    out = Provenance()
    numbers: dict[str, int] = {}
    schemes = set()
    rows = store.select("work_statements", paper=entity)
    for row in rows:
        source = value(row["source"])
        if source and value(row["sourceTitle"]) and not value(row["checked"]):
            schemes.add(source)
    for row in rows:
        predicate, obj = value(row["predicate"]) or "", value(row["object"]) or ""
        source = value(row["source"])
        if value(row["rank"]) == HISTORICAL:
            fact = HistoricalFact(predicate, obj, value(row["objectLabel"]), source,
                                  value(row["sourceTitle"]))
            if fact not in out.history:
                out.history.append(fact)
            continue
        if source is None:
            continue
        if source not in numbers:
            numbers[source] = len(numbers) + 1
            out.references.append(Reference(numbers[source], source, value(row["sourceTitle"]),
                                             value(row["checked"]), source in schemes))
        cited = out.cites.setdefault((predicate, obj), [])
        if numbers[source] not in cited:
            cited.append(numbers[source])
        date = value(row["date"])
        if date:
            out.dates.setdefault((predicate, obj), date)
    return out
