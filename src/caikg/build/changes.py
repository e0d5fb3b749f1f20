"""What a build changed in the works of the graph: one change log per published data version.

A build compares the works of its curated graph with those of the build it replaces (the one
being served: the embedded store the ``store`` link points at, or the live graphs of a remote
store) and records

- the works **added** (IRIs the previous build did not have; every work on a first build),
- the works **removed** (IRIs it no longer has),
- the works **changed**: a different title, kind (paper or blog post), publication year,
  publication status, venue, author list (people and order), techniques, or submissions
  (venues and their decisions) — with the facts before and after.

Labels (a venue's or a person's name) are kept for the feeds but are not compared: a renamed
venue is not a change of every paper published there.

The facts a build compared are kept as ``history/works-<version>.json``, so that the next build
compares with them rather than reading the served store again (slow at 1M triples).

The log is written as ``$CAIKG_HOME/history/<built_at>-<version>.json``: first under a
``.pending`` name before the build is published, renamed into place only once it is (a build
that fails leaves no log; the next build removes a pending log a killed build left). The last
:data:`KEEP` logs are kept. A build whose data version is the one already served writes none,
and so does a build that changed no work (a new enrichment graph only). When the previous
build cannot be read (a remote store that does not answer), the build says so and counts as
the first: every work is listed as added.

The facts are read with ``work_tracked_facts``, ``work_tracked_techniques``, ``work_authors``
and ``paper_submissions`` over the curated and ontology graphs of a store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from caikg.config import Settings
from caikg.files import write_atomically
from caikg.store.base import BuildInfo, KnowledgeStore, StoreError, value
from caikg.store.factory import published_store

log = logging.getLogger(__name__)

KEEP = 50
"""How many change logs are kept (the newest)."""
LOG_FORMAT = 1
"""The version of the change log's JSON layout."""
PENDING = ".pending"
CACHED_LOG_BYTES = 1024 * 1024
"""Logs up to this size are kept parsed in memory by a serving process; a larger one (the first
build of a large graph lists every work) is read again when a feed is asked for."""

Progress = Callable[[str], None]


# -- the facts of a work ---------------------------------------------------------------------

@dataclass(frozen=True)
class Named:
    """A linked entity (person, technique) with its label."""

    iri: str
    label: str


@dataclass(frozen=True)
class Submission:
    venue: str
    venue_name: str
    decision: str | None = None
    decision_label: str | None = None


@dataclass(frozen=True)
class WorkFacts:
    """What a change log compares of one work."""

    iri: str
    title: str
    kind: str = "paper"
    """``"paper"`` or ``"blog post"``."""
    year: str | None = None
    status: str | None = None
    status_label: str | None = None
    venue: str | None = None
    venue_name: str | None = None
    authors: tuple[Named, ...] = ()
    """In the order printed."""
    techniques: tuple[Named, ...] = ()
    submissions: tuple[Submission, ...] = ()

    def to_json(self) -> dict[str, Any]:
        # written field by field: dataclasses.asdict deep-copies recursively, which took
        # seconds for the 20,000 works of a 1M-triple build
        return {"iri": self.iri, "title": self.title, "kind": self.kind, "year": self.year,
                "status": self.status, "status_label": self.status_label,
                "venue": self.venue, "venue_name": self.venue_name,
                "authors": [{"iri": a.iri, "label": a.label} for a in self.authors],
                "techniques": [{"iri": t.iri, "label": t.label} for t in self.techniques],
                "submissions": [{"venue": x.venue, "venue_name": x.venue_name,
                                 "decision": x.decision, "decision_label": x.decision_label}
                                for x in self.submissions]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> WorkFacts:
        return cls(**{**raw,
                      "authors": tuple(Named(**a) for a in raw.get("authors", ())),
                      "techniques": tuple(Named(**t) for t in raw.get("techniques", ())),
                      "submissions": tuple(Submission(**s) for s in raw.get("submissions", ()))})

    @property
    def people(self) -> set[str]:
        return {a.iri for a in self.authors}

    @property
    def subjects(self) -> set[str]:
        return {t.iri for t in self.techniques}


def _text(row: Mapping[str, object], name: str) -> str | None:
    return value(row.get(name))


def snapshot(store: KnowledgeStore) -> dict[str, WorkFacts]:
    """The compared facts of every work in ``store``'s curated graph (IRI → facts)."""
    inst = store.instances
    graphs = [str(inst.curated_graph), str(inst.ontology_graph)]
    authors: dict[str, list[tuple[int, Named]]] = {}
    for row in store.select("work_authors", default_graphs=graphs):
        work, person = _text(row, "work"), _text(row, "person")
        if work and person:
            position = _text(row, "position") or "0"
            authors.setdefault(work, []).append(
                (int(position) if position.isdigit() else 0,
                 Named(person, _text(row, "name") or person)))
    techniques: dict[str, set[Named]] = {}
    for row in store.select("work_tracked_techniques", default_graphs=graphs):
        work, technique = _text(row, "work"), _text(row, "technique")
        if work and technique:
            techniques.setdefault(work, set()).add(
                Named(technique, _text(row, "label") or technique))
    submissions: dict[str, set[Submission]] = {}
    for row in store.select("paper_submissions", default_graphs=graphs):
        work, venue = _text(row, "paper"), _text(row, "venue")
        if work and venue:
            submissions.setdefault(work, set()).add(Submission(
                venue, _text(row, "venueName") or venue, _text(row, "decision"),
                _text(row, "decisionLabel")))
    facts: dict[str, WorkFacts] = {}
    for row in store.select("work_tracked_facts", default_graphs=graphs):
        work = _text(row, "work")
        if not work:
            continue
        facts[work] = WorkFacts(
            iri=work,
            title=_text(row, "title") or work,
            kind="blog post" if _text(row, "isBlog") == "true" else "paper",
            year=_text(row, "year"),
            status=_text(row, "status"),
            status_label=_text(row, "statusLabel"),
            venue=_text(row, "venue"),
            venue_name=_text(row, "venueName"),
            authors=tuple(n for _, n in sorted(authors.get(work, []),
                                               key=lambda p: (p[0], p[1].iri))),
            techniques=tuple(sorted(techniques.get(work, set()), key=lambda n: n.iri)),
            submissions=tuple(sorted(submissions.get(work, set()),
                                     key=lambda s: (s.venue, s.decision or ""))),
        )
    return facts


# -- comparing two builds --------------------------------------------------------------------

COMPARED: dict[str, Callable[[WorkFacts], object]] = {
    "title": lambda f: f.title,
    "kind": lambda f: f.kind,
    "year": lambda f: f.year,
    "status": lambda f: f.status,
    "venue": lambda f: f.venue,
    "authors": lambda f: tuple(a.iri for a in f.authors),
    "techniques": lambda f: frozenset(t.iri for t in f.techniques),
    "submissions": lambda f: frozenset((s.venue, s.decision) for s in f.submissions),
}
"""What makes a work changed, by field name: identities (IRIs), never labels."""


def differences(before: WorkFacts, after: WorkFacts) -> list[str]:
    """The fields of :data:`COMPARED` whose value differs."""
    return [name for name, get in COMPARED.items() if get(before) != get(after)]


@dataclass(frozen=True)
class Change:
    """A work in both builds whose compared facts differ."""

    work: str
    fields: tuple[str, ...]
    before: WorkFacts
    after: WorkFacts

    def to_json(self) -> dict[str, Any]:
        return {"work": self.work, "fields": list(self.fields),
                "before": self.before.to_json(), "after": self.after.to_json()}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Change:
        return cls(raw["work"], tuple(raw["fields"]), WorkFacts.from_json(raw["before"]),
                   WorkFacts.from_json(raw["after"]))


@dataclass
class ChangeLog:
    """What one build changed, compared with the build it replaced."""

    version: str
    built_at: str
    previous_version: str | None = None
    """None: the first build (or the previous one could not be read, see ``note``)."""
    previous_built_at: str | None = None
    note: str = ""
    added: list[WorkFacts] = field(default_factory=list)
    removed: list[WorkFacts] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    name: str = ""
    """The file's name without ``.json`` (``<built_at>-<version>``): unique per log."""

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {"format": LOG_FORMAT, "version": self.version, "built_at": self.built_at,
                "previous": None if self.previous_version is None else {
                    "version": self.previous_version, "built_at": self.previous_built_at},
                "note": self.note,
                "added": [f.to_json() for f in self.added],
                "removed": [f.to_json() for f in self.removed],
                "changed": [c.to_json() for c in self.changed]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], name: str = "") -> ChangeLog:
        previous = raw.get("previous") or {}
        return cls(version=raw["version"], built_at=raw["built_at"],
                   previous_version=previous.get("version"),
                   previous_built_at=previous.get("built_at"), note=raw.get("note", ""),
                   added=[WorkFacts.from_json(f) for f in raw.get("added", [])],
                   removed=[WorkFacts.from_json(f) for f in raw.get("removed", [])],
                   changed=[Change.from_json(c) for c in raw.get("changed", [])], name=name)


def compare(before: Mapping[str, WorkFacts] | None, after: Mapping[str, WorkFacts],
            info: BuildInfo, previous: BuildInfo | None = None, note: str = "") -> ChangeLog:
    """The change log of build ``info`` (works ``after``) over the works ``before`` of build
    ``previous`` (None: a first build, every work is added)."""
    old = before or {}
    changed = []
    for iri in sorted(set(old) & set(after)):
        fields = differences(old[iri], after[iri])
        if fields:
            changed.append(Change(iri, tuple(fields), old[iri], after[iri]))
    return ChangeLog(
        version=info.version, built_at=info.built_at,
        previous_version=previous.version if previous is not None else None,
        previous_built_at=previous.built_at if previous is not None else None,
        note=note,
        added=[after[i] for i in sorted(set(after) - set(old))],
        removed=[old[i] for i in sorted(set(old) - set(after))],
        changed=changed)


# -- saying what changed ---------------------------------------------------------------------

NOTHING = "—"


def _status(facts: WorkFacts) -> str:
    return facts.status_label or _local(facts.status) or NOTHING


def _venue(facts: WorkFacts) -> str:
    return facts.venue_name or _local(facts.venue) or NOTHING


def _local(iri: str | None) -> str | None:
    if not iri:
        return None
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _names(items: list[Named]) -> str:
    return ", ".join(n.label for n in items)


def _decision(sub: Submission | None) -> str:
    if sub is None:
        return NOTHING
    return sub.decision_label or _local(sub.decision) or "no decision yet"


def describe_added(facts: WorkFacts) -> str:
    """``added`` and what the work is: ``added: preprint, arXiv, 2024``."""
    details = [d for d in (facts.status_label or _local(facts.status), facts.venue_name,
                           facts.year) if d]
    return "added" + (f": {', '.join(details)}" if details else "")


def describe(change: Change) -> list[str]:
    """What changed, one phrase per field: ``status: preprint → published``."""
    before, after = change.before, change.after
    out: list[str] = []
    for name in change.fields:
        if name == "title":
            out.append(f"title: “{before.title}” → “{after.title}”")
        elif name == "kind":
            out.append(f"kind: {before.kind} → {after.kind}")
        elif name == "year":
            out.append(f"year: {before.year or NOTHING} → {after.year or NOTHING}")
        elif name == "status":
            out.append(f"status: {_status(before)} → {_status(after)}")
        elif name == "venue":
            out.append(f"venue: {_venue(before)} → {_venue(after)}")
        elif name in {"authors", "techniques"}:
            old = before.authors if name == "authors" else before.techniques
            new = after.authors if name == "authors" else after.techniques
            old_iris, new_iris = {n.iri for n in old}, {n.iri for n in new}
            gained = [n for n in new if n.iri not in old_iris]
            lost = [n for n in old if n.iri not in new_iris]
            parts = ([f"added {_names(gained)}"] if gained else []) + (
                [f"removed {_names(lost)}"] if lost else [])
            out.append(f"{name}: " + ("; ".join(parts) if parts else "order changed"))
        elif name == "submissions":
            old_subs = {s.venue: s for s in before.submissions}
            new_subs = {s.venue: s for s in after.submissions}
            for venue in sorted(set(old_subs) | set(new_subs)):
                o, n = old_subs.get(venue), new_subs.get(venue)
                if o is not None and n is not None and o.decision == n.decision:
                    continue
                either = n or o
                label = either.venue_name if either is not None else venue
                if n is None:
                    out.append(f"submission to {label}: removed")
                elif o is None:
                    out.append(f"submission to {label}: added ({_decision(n)})")
                else:
                    out.append(f"submission to {label}: {_decision(o)} → {_decision(n)}")
    return out


# -- the logs on disk ------------------------------------------------------------------------

def _stamp(built_at: str) -> str:
    return "".join(c for c in built_at if c.isalnum()) or "unknown"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


WORKS_PREFIX = "works-"
"""``history/works-<version>.json``: the compared facts of a published build, kept so that the
next build compares with them instead of reading them again from the store (at 1M triples that
read takes longer than the build's own load)."""


def works_file(settings: Settings, version: str) -> Path:
    return settings.history_dir / f"{WORKS_PREFIX}{version}.json"


def _kept_works(settings: Settings, version: str) -> dict[str, WorkFacts] | None:
    try:
        raw = json.loads(works_file(settings, version).read_text(encoding="utf-8"))
        return {iri: WorkFacts.from_json(facts) for iri, facts in raw["works"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not kept (an older build) or damaged: read the store instead


def _keep_works(settings: Settings, version: str, works: Mapping[str, WorkFacts]) -> None:
    try:
        write_atomically(works_file(settings, version), json.dumps(
            {"version": version, "works": {iri: f.to_json() for iri, f in works.items()}},
            ensure_ascii=False, sort_keys=True).encode())
    except OSError as exc:  # only the next build's speed depends on it
        log.warning("cannot keep the works of build %s: %s", version, exc)


def _previous(settings: Settings, progress: Progress, version: str
              ) -> tuple[dict[str, WorkFacts] | None, BuildInfo | None, str]:
    """The works of the build being served and its description, or (None, None, why). The
    works are read only when that build is not ``version`` itself, from the facts kept with
    its change log when there are some."""
    try:
        store = published_store(settings)
        if store is None:
            return None, None, "first build"
        info = store.info
        if info is not None and info.version == version:
            return None, info, ""
        kept = _kept_works(settings, info.version) if info is not None else None
        return (kept if kept is not None else snapshot(store)), info, ""
    except (StoreError, OSError, ValueError) as exc:
        note = f"the previous build could not be read ({exc}); every work is listed as added"
        progress(f"      {note}")
        return None, None, note


@contextlib.contextmanager
def recorded(settings: Settings, works: Mapping[str, WorkFacts], info: BuildInfo,
             progress: Progress = lambda _msg: None) -> Iterator[ChangeLog | None]:
    """Around the publication of build ``info`` (with the build lock held): compare ``works``
    with the build being served and write the change log under a pending name; rename it into
    place when the block succeeds, remove it when the block raises."""
    history = settings.history_dir
    for stale in history.glob(f"*{PENDING}") if history.is_dir() else []:
        stale.unlink(missing_ok=True)  # left by a build that was killed (we hold the lock)
    before, previous, note = _previous(settings, progress, info.version)
    if previous is not None and previous.version == info.version:
        progress("      the data version is the one served: no change log")
        yield None
        return
    changes = compare(before, works, info, previous, note)
    if changes.empty:
        progress("      no work was added, removed or changed: no change log")
        yield None
        return
    name = f"{_stamp(info.built_at)}-{info.version}"
    final = history / f"{name}.json"
    n = 1
    while final.exists():
        final = history / f"{name}-{n}.json"
        n += 1
    changes.name = final.name[:-len(".json")]
    pending = final.with_name(final.name + PENDING)
    try:
        # no indentation: json's C encoder is used only without it (1 s saved at 1M)
        write_atomically(pending, json.dumps(changes.to_json(), ensure_ascii=False,
                                             sort_keys=True).encode())
    except OSError as exc:
        progress(f"      cannot write the change log ({exc}); the feeds will miss this build")
        yield changes
        return
    try:
        yield changes
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    _keep_works(settings, info.version, works)
    try:
        os.replace(pending, final)
        _fsync_dir(history)
    except OSError as exc:
        pending.unlink(missing_ok=True)
        progress(f"      cannot write the change log ({exc}); the feeds will miss this build")
        return
    progress(f"      change log {final}: {len(changes.added)} added, {len(changes.removed)} "
             f"removed, {len(changes.changed)} changed")
    prune(history)


def log_files(history: Path) -> list[Path]:
    """The change logs in ``history`` (not the works kept beside them), oldest first."""
    return sorted((p for p in history.glob("*.json") if not p.name.startswith(WORKS_PREFIX)),
                  key=lambda p: p.name)


KEEP_WORKS = 2
"""Kept works files: the served build's (what the next build compares with) and the one before
(a server may still be on it)."""


def prune(history: Path, keep: int = KEEP) -> list[Path]:
    """Remove all but the newest ``keep`` change logs and :data:`KEEP_WORKS` works files;
    return the removed ones."""
    logs = log_files(history)
    old = logs[:-keep] if keep > 0 else logs
    works = sorted(history.glob(f"{WORKS_PREFIX}*.json"), key=lambda p: p.stat().st_mtime_ns)
    old += works[:-KEEP_WORKS]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _parse(path: str) -> ChangeLog:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return ChangeLog.from_json(raw, name=Path(path).name[:-len(".json")])


@lru_cache(maxsize=2 * KEEP)
def _cached(path: str, _mtime_ns: int, _size: int) -> ChangeLog:
    return _parse(path)


def read_history(settings: Settings, until: str | None = None) -> list[ChangeLog]:
    """The change logs kept, newest first; ``until``: only those of builds made at or before
    that time (the build being served: never a newer build's log). Unreadable logs are
    skipped (and logged)."""
    logs: list[ChangeLog] = []
    try:
        paths = log_files(settings.history_dir)
    except OSError:
        return []
    for path in paths:
        try:
            stat = path.stat()
            changes = (_cached(str(path), stat.st_mtime_ns, stat.st_size)
                       if stat.st_size <= CACHED_LOG_BYTES else _parse(str(path)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("change log %s cannot be read: %s", path, exc)
            continue
        if until is None or changes.built_at <= until:
            logs.append(changes)
    logs.sort(key=lambda c: (c.built_at, c.name), reverse=True)
    return logs
