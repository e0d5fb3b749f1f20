"""Matching printed author names against the people already known: name variants are merged
only when they share a co-author."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from caikg.rdf.names import normalize_name

# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


def _parts(name: str) -> list[str]:
    return normalize_name(name).split()


def _is_initial(part: str) -> bool:
    return len(part.rstrip(".")) == 1


def _middle_compatible(a: Sequence[str], b: Sequence[str]) -> bool:
    if not a or not b:
        return True
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        xs, ys = x.rstrip("."), y.rstrip(".")
        if xs == ys:
            continue
        if (_is_initial(x) or _is_initial(y)) and xs[:1] == ys[:1]:
            continue
        return False
    return True


def name_variant(a: str, b: str) -> bool:
    """True when two different printed names differ only in their middle names or initials.

    Same first given name and same family name (case-insensitive), and the middle parts are
    compatible: absent in one of them, or pairwise equal or an initial of the other
    ("Joseph Gonzalez" ~ "Joseph E. Gonzalez" ~ "Joseph Edward Gonzalez"). Different given
    names never match ("Zhang Cao" / "Zhichao Cao").
    """
    pa, pb = _parts(a), _parts(b)
    if pa == pb or len(pa) < 2 or len(pb) < 2:
        return False
    if pa[0] != pb[0] or pa[-1] != pb[-1]:
        return False
    return _middle_compatible(pa[1:-1], pb[1:-1])


def _fullness(name: str) -> tuple[int, int, int]:
    parts = _parts(name)
    return (len(parts), sum(not _is_initial(p) for p in parts), len(name))


@dataclass
class _Person:
    key: str
    """The IRI of an existing person, or ``new:N`` until a new person gets its IRI."""
    names: list[str]
    """Every printed form (the first is ``schema:name`` for existing people)."""
    existing: bool
    works: set[str] = field(default_factory=set)
    new_forms: list[str] = field(default_factory=list)
    """Forms first seen in this import."""

    @property
    def name(self) -> str:
        if self.existing:
            return self.names[0]
        best = self.names[0]
        for n in self.names[1:]:
            if _fullness(n) > _fullness(best):
                best = n
        return best


@dataclass(frozen=True)
class Resolution:
    """How one printed author name was resolved."""

    printed: str
    key: str
    how: str
    """``exact``, ``variant`` (merged into a person with another form of the name), ``new``,
    ``lookalike`` (new, but looks like an existing person who shares no co-author) or
    ``ambiguous`` (new, because several people matched)."""
    note: str | None = None


class PeopleIndex:
    """People known so far (from the data, then from the list), and name matching."""

    def __init__(self) -> None:
        self.people: dict[str, _Person] = {}
        self.by_name: dict[str, list[str]] = {}
        self.work_authors: dict[str, list[str]] = {}
        self._new = 0

    def add_existing(self, iri: str, name: str, alternates: Iterable[str] = ()) -> None:
        person = _Person(key=iri, names=[name], existing=True)
        self.people[iri] = person
        self._index(iri, name)
        for alt in sorted(alternates):
            person.names.append(alt)
            self._index(iri, alt)

    def add_work(self, work: str, authors: Sequence[str]) -> None:
        self.work_authors[work] = list(authors)
        for key in authors:
            if key in self.people:
                self.people[key].works.add(work)

    def _index(self, key: str, name: str) -> None:
        keys = self.by_name.setdefault(normalize_name(name), [])
        if key not in keys:
            keys.append(key)

    def coauthors(self, key: str) -> set[str]:
        out: set[str] = set()
        for work in self.people[key].works:
            out.update(self.work_authors.get(work, ()))
        out.discard(key)
        return out

    def _mint(self, printed: str) -> str:
        self._new += 1
        key = f"new:{self._new}"
        self.people[key] = _Person(key=key, names=[printed], existing=False,
                                   new_forms=[printed])
        self._index(key, printed)
        return key

    def _add_form(self, key: str, printed: str) -> None:
        person = self.people[key]
        if all(normalize_name(n) != normalize_name(printed) for n in person.names):
            person.names.append(printed)
            person.new_forms.append(printed)
        self._index(key, printed)

    def resolve(self, names: Sequence[str]) -> list[Resolution]:
        """Resolve the printed author names of one entry (in order) to people.

        Exact matches first (against every known form); then a name with no exact match is
        merged into a person whose name is a :func:`name_variant` of it **and** who has a
        co-author among this entry's exactly-matched authors; a variant without a shared
        co-author is minted as a new person (``lookalike``).
        """
        found: dict[int, Resolution] = {}
        for i, printed in enumerate(names):
            keys = self.by_name.get(normalize_name(printed), [])
            if len(keys) == 1:
                found[i] = Resolution(printed, keys[0], "exact")
            elif len(keys) > 1:
                found[i] = Resolution(printed, self._mint(printed), "ambiguous",
                                      f"{printed!r} matches {len(keys)} people "
                                      f"({', '.join(self._label(k) for k in keys)}); "
                                      f"a new person was minted")
        entry_keys = {r.key for r in found.values() if r.how == "exact"}
        for i, printed in enumerate(names):
            if i in found:
                continue
            candidates = [key for key, person in self.people.items()
                          if key not in entry_keys
                          and any(name_variant(printed, n) for n in person.names)]
            sharing = [k for k in candidates if self.coauthors(k) & entry_keys]
            if len(sharing) == 1:
                self._add_form(sharing[0], printed)
                res = Resolution(printed, sharing[0], "variant",
                                 f"{printed!r} merged with {self._label(sharing[0])} "
                                 f"(shared co-author)")
            elif len(sharing) > 1:
                res = Resolution(printed, self._mint(printed), "ambiguous",
                                 f"{printed!r} is a variant of several people sharing "
                                 f"co-authors ({', '.join(self._label(k) for k in sharing)}); "
                                 f"a new person was minted")
            elif candidates:
                res = Resolution(printed, self._mint(printed), "lookalike",
                                 f"possible same person, not merged: {printed!r} looks like "
                                 f"{', '.join(self._label(k) for k in candidates)} "
                                 f"but shares no co-author")
            else:
                res = Resolution(printed, self._mint(printed), "new")
            found[i] = res
            entry_keys.add(res.key)
        return [found[i] for i in range(len(names))]

    def _label(self, key: str) -> str:
        person = self.people[key]
        where = f" <{key}>" if person.existing else ""
        return f"{person.names[0]!r}{where}"
