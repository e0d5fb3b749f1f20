"""The curated record: facts checked against the public record, each with its source.

A reading list (``data/survey.ttl``, written by ``caikg import-list``) states what the list
said when it was written. The curated record (``data/record/*.trig``) states what the public
record says now. Each of its named graphs holds the facts one source page states; the graph's
description (in the file's default graph) names that page and the day it was checked::

    record:parrot--usenix a caikg:SourceRecord ;
        prov:wasDerivedFrom <https://www.usenix.org/conference/osdi24/presentation/lin-chaofan> ;
        caikg:checkedOn "2026-12-05"^^xsd:date .
    record:parrot--usenix { paper:parrot bibo:status caikg:Published . }

:func:`compose` merges both into the one curated graph a build loads, the way Wikidata derives
its "truthy" triples from ranked statements:

- every fact of the record is asserted, and described by a :data:`CAIKG.Statement`
  (``rdf:subject``/``rdf:predicate``/``rdf:object``, ``prov:wasDerivedFrom`` the page,
  ``caikg:checkedOn``, ``caikg:rank caikg:CurrentRank``);
- a fact of the list about a work that the record replaces (a single-valued property such as
  the status, venue, year or title; the kind of work; the whole author list), or refutes (a
  list's "under review at V" once the record has the decision of the submission to V), is no longer
  asserted: it stays as a statement of ``caikg:HistoricalRank`` whose source is the list, so
  pages can show it as history. A replaced title is kept as ``dcterms:alternative``;
- every other fact of the list about a work keeps a current statement whose source is the list.

The list file itself is never changed, so ``caikg import-list`` and the record never overwrite
each other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS

from caikg.rdf.namespaces import BIBO, CAIKG, FABIO, SCHEMA, Instances
from caikg.rdf.sources import (
    SourceError,
    SourceSet,
    SubjectLines,
    find_subject_line,
    line_of,
    read_sources,
    rebase_sources,
)

RECORD_DIR = "record"
"""The folder, inside a data folder, that holds the curated record files."""
RECORD_SUFFIXES = (".trig",)


def _nn(term: object) -> ox.NamedNode:
    return ox.NamedNode(str(term))


RDF_TYPE = _nn(RDF.type)
SUBJECT, PREDICATE, OBJECT = _nn(RDF.subject), _nn(RDF.predicate), _nn(RDF.object)
DERIVED_FROM = _nn(PROV.wasDerivedFrom)
CHECKED_ON = _nn(CAIKG.checkedOn)
DATE = _nn(DCTERMS.date)
RANK = _nn(CAIKG.rank)
CURRENT, HISTORICAL = _nn(CAIKG.CurrentRank), _nn(CAIKG.HistoricalRank)
STATEMENT = _nn(CAIKG.Statement)
SOURCE_RECORD = _nn(CAIKG.SourceRecord)
TITLE, ALTERNATIVE = _nn(DCTERMS.title), _nn(DCTERMS.alternative)
ATTRIBUTION, AUTHOR = _nn(PROV.qualifiedAttribution), _nn(SCHEMA.author)
SECTION, IN_SCHEME = _nn(CAIKG.section), _nn(SKOS.inScheme)
STATUS, VENUE = _nn(BIBO.status), _nn(CAIKG.venue)
SUBMISSION, DECISION = _nn(CAIKG.submission), _nn(CAIKG.decision)
PENDING_STATUSES = frozenset(map(_nn, (CAIKG.UnderReview, CAIKG.InSubmission)))

WORK_TYPES = frozenset({_nn(SCHEMA.ScholarlyArticle), _nn(SCHEMA.BlogPosting)})
SINGLE_VALUED = frozenset(map(_nn, (BIBO.status, CAIKG.venue, FABIO.hasPublicationYear,
                                    DCTERMS.issued, DCTERMS.title)))
"""Properties of a work with one current value: a record value replaces the list's."""
KIND_TYPES = frozenset(map(_nn, (FABIO.ResearchPaper, FABIO.ReviewArticle, FABIO.BlogPost)))
"""The classes that say what kind of work it is: a record kind replaces the list's."""
TRACKED = SINGLE_VALUED | frozenset(map(_nn, (
    RDF.type, CAIKG.arxivId, CAIKG.openReviewId, BIBO.doi, SCHEMA.url, SCHEMA.author)))
"""Facts of a list about a work that get a statement naming the list as their source."""
DESCRIPTION_PREDICATES = frozenset({RDF_TYPE, DERIVED_FROM, CHECKED_ON, DATE})
"""What a record file may say outside its named graphs: the description of a source record."""


@dataclass(frozen=True)
class Source:
    """One named graph of the record: the page it was found on and when it was checked."""

    graph: ox.NamedNode
    path: Path
    page: ox.NamedNode | None = None
    checked: ox.Literal | None = None
    date: ox.Literal | None = None


@dataclass
class Record:
    """Every fact of the record files with the source record it was found in."""

    facts: list[tuple[ox.Triple, Source]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def record_files(data_paths: Iterable[Path]) -> list[Path]:
    """The record files of the data folders among ``data_paths`` (``<folder>/record/*.trig``)."""
    found: list[Path] = []
    for path in data_paths:
        folder = path / RECORD_DIR
        if path.is_dir() and folder.is_dir():
            found.extend(sorted(p for p in folder.iterdir() if p.suffix in RECORD_SUFFIXES))
    return found


def _parse(path: Path) -> list[ox.Quad]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, exc.strerror or str(exc)) from None
    try:
        return list(ox.parse(data, format=ox.RdfFormat.TRIG))
    except SyntaxError as exc:
        m = re.search(r"line (\d+) column (\d+)", str(exc))
        raise SourceError(path, f"syntax error: {exc}", int(m.group(1)) if m else None,
                          int(m.group(2)) if m else None) from None
    except (ValueError, UnicodeError) as exc:
        raise SourceError(path, f"cannot be read: {exc}") from None


def _line(path: Path, text: bytes, term: ox.NamedNode | ox.BlankNode) -> int | None:
    if isinstance(term, ox.NamedNode):
        return find_subject_line(path, term.value)
    at = text.find(b"_:" + term.value.encode())
    return line_of(text, at) if at >= 0 else None


def read_record(paths: Sequence[Path]) -> Record:
    """Parse the record files; a fact outside any named graph, or a graph description that says
    more than where and when, is an error naming its file and line."""
    record = Record()
    for path in paths:
        quads = _parse(path)
        record.files.append(path)
        described: dict[ox.NamedNode, dict[ox.NamedNode, ox.NamedNode | ox.Literal]] = {}
        graphs = {q.graph_name for q in quads if isinstance(q.graph_name, ox.NamedNode)}
        for q in quads:
            if not isinstance(q.graph_name, ox.DefaultGraph):
                continue
            subject = q.subject
            if not isinstance(subject, ox.NamedNode) or subject not in graphs \
                    or q.predicate not in DESCRIPTION_PREDICATES:
                raise SourceError(path, "a fact outside any named graph has no source: put it "
                                  "inside the graph of the page that states it (only source "
                                  "records are described outside their graph: rdf:type, "
                                  "prov:wasDerivedFrom, caikg:checkedOn, dcterms:date)",
                                  _line(path, path.read_bytes(), subject))  # type: ignore[arg-type]
            if q.predicate == RDF_TYPE:
                if q.object != SOURCE_RECORD:
                    raise SourceError(path, f"{subject} is a named graph of the record, so it "
                                      "can only be a caikg:SourceRecord",
                                      find_subject_line(path, subject.value))
                continue
            seen = described.setdefault(subject, {})
            if q.predicate in seen and seen[q.predicate] != q.object:
                raise SourceError(path, f"source record {subject} has two values of "
                                  f"{q.predicate}: one page and one check date per graph",
                                  find_subject_line(path, subject.value))
            seen[q.predicate] = q.object  # type: ignore[assignment]
        sources: dict[ox.NamedNode, Source] = {}
        for graph in graphs:
            d = described.get(graph, {})
            page, checked, date = d.get(DERIVED_FROM), d.get(CHECKED_ON), d.get(DATE)
            sources[graph] = Source(
                graph, path,
                page if isinstance(page, ox.NamedNode) else None,
                checked if isinstance(checked, ox.Literal) else None,
                date if isinstance(date, ox.Literal) else None)
        for q in quads:
            if isinstance(q.graph_name, ox.NamedNode):
                record.facts.append((q.triple, sources[q.graph_name]))
    return record


def _key(*terms: object) -> str:
    return hashlib.sha1(" ".join(map(str, terms)).encode()).hexdigest()[:20]


def _statement(inst: Instances, triple: ox.Triple, source: ox.NamedNode | None,
               rank: ox.NamedNode, checked: ox.Literal | None = None,
               date: ox.Literal | None = None, salt: object = "") -> list[ox.Triple]:
    node = ox.NamedNode(str(inst.statement(_key(triple.subject, triple.predicate,
                                                triple.object, source, salt))))
    out = [ox.Triple(node, RDF_TYPE, STATEMENT),
           ox.Triple(node, SUBJECT, triple.subject),
           ox.Triple(node, PREDICATE, triple.predicate),
           ox.Triple(node, OBJECT, triple.object),
           ox.Triple(node, RANK, rank)]
    if source is not None:
        out.append(ox.Triple(node, DERIVED_FROM, source))
    if checked is not None:
        out.append(ox.Triple(node, CHECKED_ON, checked))
    if date is not None:
        out.append(ox.Triple(node, DATE, date))
    return out


def _owner(iri: str, works: set[str]) -> str | None:
    """The work a fragment node such as ``paper/x#author-2`` belongs to."""
    base, sep, _ = iri.partition("#")
    return base if sep and base in works else None


def compose(listed: SourceSet, record: Record, inst: Instances) -> SourceSet:
    """The curated graph: the list's facts and the record's, each with a sourced statement,
    the list's replaced facts kept as history (see the module docstring)."""
    works = {t.subject.value for t in listed.triples
             if t.predicate == RDF_TYPE and t.object in WORK_TYPES
             and isinstance(t.subject, ox.NamedNode)}
    sections = {t.subject.value: t.object for t in listed.triples
                if t.predicate == SECTION and isinstance(t.subject, ox.NamedNode)}
    schemes = {t.subject: t.object for t in listed.triples if t.predicate == IN_SCHEME}

    recorded = {t for t, _ in record.facts}
    single: set[tuple[str, ox.NamedNode]] = set()
    kinds: set[str] = set()
    authored: set[str] = set()
    for t in recorded:
        s = t.subject.value if isinstance(t.subject, ox.NamedNode) else ""
        if t.predicate in SINGLE_VALUED:
            single.add((s, t.predicate))
        elif t.predicate == RDF_TYPE and t.object in KIND_TYPES:
            kinds.add(s)
        elif t.predicate == ATTRIBUTION:
            authored.add(s)
    # A decided submission refutes a list's "under review at V" (status and venue V) even when
    # the record does not know the work's status now (e.g. withdrawn, no other version found).
    decided: dict[str, set[object]] = {}
    venue_of = {t.subject.value: t.object for t in recorded
                if t.predicate == VENUE and isinstance(t.subject, ox.NamedNode)}
    has_decision = {t.subject.value for t in recorded if t.predicate == DECISION
                    and t.object != _nn(CAIKG.Pending) and isinstance(t.subject, ox.NamedNode)}
    for t in recorded:
        target = t.object.value if isinstance(t.object, ox.NamedNode) else ""
        if t.predicate == SUBMISSION and target in has_decision and target in venue_of \
                and isinstance(t.subject, ox.NamedNode):
            decided.setdefault(t.subject.value, set()).add(venue_of[target])

    def replaced(t: ox.Triple) -> bool:
        if t in recorded or not isinstance(t.subject, ox.NamedNode):
            return False
        s = t.subject.value
        owner = _owner(s, works)
        if owner is not None:  # an authorship node of the list: replaced with the author list
            return owner in authored
        if s in decided and ((t.predicate == STATUS and t.object in PENDING_STATUSES)
                             or (t.predicate == VENUE and t.object in decided[s])):
            return True
        if t.predicate in SINGLE_VALUED:
            return (s, t.predicate) in single
        if t.predicate == RDF_TYPE:
            return t.object in KIND_TYPES and s in kinds
        if t.predicate in (ATTRIBUTION, AUTHOR):
            return s in authored
        return False

    out: list[ox.Triple] = []
    history: list[ox.Triple] = []
    asserted: set[ox.Triple] = set()
    for t in listed.triples:
        s = t.subject.value if isinstance(t.subject, ox.NamedNode) else ""
        in_work = s in works
        work = s if in_work else _owner(s, works)
        the_list = schemes.get(sections.get(work)) if work else None  # type: ignore[arg-type]
        source = the_list if isinstance(the_list, ox.NamedNode) else None
        if replaced(t):
            if source is not None:
                history += _statement(inst, t, source, HISTORICAL)
            if t.predicate == TITLE and in_work:
                alt = ox.Triple(t.subject, ALTERNATIVE, t.object)
                if alt not in asserted:
                    asserted.add(alt)
                    out.append(alt)
            continue
        if t not in asserted:
            asserted.add(t)
            out.append(t)
        if in_work and source is not None and t.predicate in TRACKED and t not in recorded:
            history += _statement(inst, t, source, CURRENT)
    subject_files = dict(listed.subject_files)
    lines: dict[str, tuple[Path, int | None]] = {}
    indexes: dict[Path, SubjectLines] = {}  # each record file read once to locate its graphs
    for t, src in record.facts:
        if t not in asserted:
            asserted.add(t)
            out.append(t)
        statement = _statement(inst, t, src.page, CURRENT, src.checked, src.date,
                               salt=src.graph.value)
        history += statement
        if isinstance(t.subject, ox.NamedNode):
            subject_files.setdefault(t.subject.value, src.path)
        # a statement is reported (e.g. by SHACL, for a graph with no page) at its graph's line
        index = indexes.get(src.path) or indexes.setdefault(src.path, SubjectLines.of(src.path))
        node = statement[0].subject
        assert isinstance(node, ox.NamedNode)
        lines[node.value] = (src.path, index.line(src.graph.value))
    return SourceSet(triples=out + list(dict.fromkeys(history)),
                     files=[*listed.files, *record.files],
                     subject_files=subject_files, subject_lines=lines)


def read_curated(paths: Sequence[Path], base_iri: str) -> SourceSet:
    """The curated data of ``paths`` (files or data folders) with their record applied, moved to
    ``base_iri``: what ``caikg build`` validates and loads."""
    listed = read_sources(paths)
    record = read_record(record_files(paths))
    if record.facts:
        listed = compose(listed, record, Instances())
    return rebase_sources(listed, base_iri)

