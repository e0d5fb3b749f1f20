"""Import a markdown reading list (awesome-list style) into the curated data in ``data/``.

The list format::

    # Title of the list                      <- the H1: the list's dcterms:title
    prose …                                  <- ignored until the first "##" heading
    ## Section                               <- a top concept of the list's scheme
    ### Subsection                           <- narrower than the "##" before it

    [Paper title](https://link)\\            <- one entry: a link line,
    First Author, Second Author\\            <- optionally an author line,
    OSDI 2024                                <- and a venue line ("arXiv 2024",
                                                "ICLR 2025 (in review)", …)

:func:`parse_list` turns a file into a :class:`ParsedList` (sections, entries, and the problems
found, each with its line number); :func:`import_list` merges it into ``data/`` following
docs/MODEL.md: works, people and venues that already exist are matched (by identifier, URL,
title, name) and never minted twice, the merged data are validated with SHACL before anything
is written, and the target file is written atomically and deterministically (same graph, same
bytes), or not at all when nothing changed.

Judgement calls (documented here because they shape the data):

* A malformed entry is skipped entirely and reported; the rest of the list is imported.
* An entry with only a link is valid only when it is a blog post (a ``/blog/`` URL path): a
  paper needs a venue line for its publication year.
* A blog post's venue is the blog of its URL host when the host is in :data:`KNOWN_BLOGS`;
  otherwise it has no venue. A ``/YYYY/MM/DD/`` URL path gives its date and year.
* Name variants ("Joseph Gonzalez" / "Joseph E. Gonzalez") are merged only when they share
  a co-author; see :func:`name_variant` and :class:`PeopleIndex`.
* A venue series that is not in the data is minted from the venue line; it is typed as a
  journal (``schema:Periodical``, ``bibo:Journal``) when its name says "Transactions" or
  "Journal", otherwise as an event series.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, SKOS, XSD
from rdflib.term import Node

from caikg.config import CANONICAL_BASE_IRI, Settings
from caikg.files import write_atomically
from caikg.importer.markdown import (
    KNOWN_BLOGS,
    Entry,
    ListImportError,
    ParsedList,
    Problem,
    parse_list,
)
from caikg.importer.people import PeopleIndex, Resolution
from caikg.importer.turtle import serialize_turtle
from caikg.rdf.iris import paper_slug, slugify, unique_slug
from caikg.rdf.names import normalize_name
from caikg.rdf.namespaces import BIBO, CAIKG, FABIO, SCHEMA, Instances
from caikg.rdf.sources import SourceError, read_sources, to_rdflib
from caikg.validation.report import ValidationReport, load_shapes, shapes_path, validate_graph

DEFAULT_TARGET = "survey.ttl"
"""File in ``data/`` that imported lists are written to unless told otherwise."""




TARGET_HEADER = (
    "# caikg curated data: reading lists imported by 'caikg import-list' (src/caikg/importer.py).\n"
    "# Generated: edit the list and re-import rather than editing this file by hand.\n"
)


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import added (or, with ``dry_run``, would add), and what it skipped."""

    source: Path
    target: Path
    list_id: str
    dry_run: bool = False
    entries: int = 0
    already_present: list[tuple[str, str]] = field(default_factory=list)
    """(work IRI, title) of entries that were already in the data."""
    works: list[tuple[str, str]] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)
    venues: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    schemes: list[tuple[str, str]] = field(default_factory=list)
    alternate_names: list[tuple[str, str]] = field(default_factory=list)
    """(person IRI, printed form) added to an existing person as ``schema:alternateName``."""
    section_links: list[tuple[str, str]] = field(default_factory=list)
    """(work IRI, section IRI) added to works that were already in the data."""
    skipped: list[Problem] = field(default_factory=list)
    """Malformed entries and lines (each with its line number); non-empty → exit 1."""
    notes: list[str] = field(default_factory=list)
    triples_added: int = 0
    written: bool = False
    validation: ValidationReport | None = None

    @property
    def added(self) -> int:
        """How many entities were added (works, people, venues, sections, lists)."""
        return (len(self.works) + len(self.people) + len(self.venues) + len(self.sections)
                + len(self.schemes))

    @property
    def changed(self) -> bool:
        return self.triples_added > 0

    def to_text(self) -> str:
        verb = "would add" if self.dry_run else "added"
        lines = [f"{self.source}: {self.entries} entries read into list {self.list_id!r}, "
                 f"{len(self.already_present)} already in the data, {len(self.skipped)} "
                 f"skipped."]
        for label, items in (("lists", self.schemes), ("sections", self.sections),
                             ("venues", self.venues), ("people", self.people),
                             ("works", self.works),
                             ("alternate names", self.alternate_names),
                             ("section links of existing works", self.section_links)):
            if items:
                lines.append(f"{verb.capitalize()} {len(items)} {label}:")
                lines.extend(f"  {iri}  {text}" for iri, text in items)
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} malformed entries/lines:")
            lines.extend(f"  {p}" for p in self.skipped)
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"  {n}" for n in self.notes)
        if self.validation is not None and self.validation.results:
            n_w = len(self.validation.warnings)
            lines.append(f"Validation: conforms, {n_w} warning(s), "
                         f"{len(self.validation.results) - n_w} info(s).")
        if not self.changed:
            lines.append(f"Nothing to add: {self.target} is unchanged.")
        elif self.dry_run:
            lines.append(f"Dry run: {self.triples_added} triples would be added to "
                         f"{self.target}; nothing written.")
        else:
            lines.append(f"Wrote {self.target} ({self.triples_added} triples added).")
        return "\n".join(lines)


def _norm_title(title: str) -> str:
    return normalize_name(title).rstrip(".")


def _norm_venue(text: str) -> str:
    return normalize_name(text)


class _Merger:
    """Holds the existing data and the triples being added."""

    def __init__(self, existing: Graph, inst: Instances) -> None:
        self.g = existing
        self.inst = inst
        self.new = Graph()
        self.taken_papers: set[str] = set()
        self.existing_papers: set[str] = set()
        self.works: dict[tuple[str, str], str] = {}
        for s in set(existing.subjects(DCTERMS.title, None)) | set(existing.subjects(
                SCHEMA.url, None)):
            if str(s).startswith(f"{inst.base}paper/"):
                self.taken_papers.add(str(s))
                self.existing_papers.add(str(s))
                self._index_work(str(s), titles=[*existing.objects(s, DCTERMS.title),
                                                 *existing.objects(s, DCTERMS.alternative)],
                                 urls=existing.objects(s, SCHEMA.url),
                                 arxiv=existing.objects(s, CAIKG.arxivId),
                                 openreview=existing.objects(s, CAIKG.openReviewId),
                                 doi=existing.objects(s, BIBO.doi))
        self.series: dict[str, list[str]] = {}
        for kind in (CAIKG.VenueSeries, CAIKG.Repository, SCHEMA.Blog):
            for s in existing.subjects(RDF.type, kind):
                for p in (CAIKG.acronym, SCHEMA.name, SCHEMA.alternateName):
                    for o in existing.objects(s, p):
                        keys = self.series.setdefault(_norm_venue(str(o)), [])
                        if str(s) not in keys:
                            keys.append(str(s))
        self.editions: dict[tuple[str, int], str] = {}
        for e in existing.subjects(RDF.type, CAIKG.VenueEdition):
            for series in existing.objects(e, DCTERMS.isPartOf):
                for d in existing.objects(e, DCTERMS.date):
                    if str(d)[:4].isdigit():
                        self.editions.setdefault((str(series), int(str(d)[:4])), str(e))
        self.people = PeopleIndex()
        for person in sorted(existing.subjects(RDF.type, SCHEMA.Person), key=str):
            names = sorted(str(n) for n in existing.objects(person, SCHEMA.name))
            if not names:
                continue
            alternates = [str(n) for n in existing.objects(person, SCHEMA.alternateName)]
            self.people.add_existing(str(person), names[0], [*names[1:], *alternates])
        for w in sorted({s for s, _, _ in existing.triples((None, SCHEMA.author, None))}, key=str):
            self.people.add_work(str(w), self._ordered_authors(w))

    def _ordered_authors(self, work: Node) -> list[str]:
        rows: list[tuple[int, str]] = []
        for a in self.g.objects(work, PROV.qualifiedAttribution):
            agent = self.g.value(a, PROV.agent)
            ordinal = self.g.value(a, CAIKG.ordinal)
            if agent is not None:
                n = int(str(ordinal)) if ordinal is not None and str(ordinal).isdigit() else 0
                rows.append((n, str(agent)))
        listed = [agent for _, agent in sorted(rows)]
        direct = sorted(str(o) for o in self.g.objects(work, SCHEMA.author))
        return listed + [a for a in direct if a not in listed]

    def _index_work(self, iri: str, *, titles: Iterable[Node], urls: Iterable[Node],
                    arxiv: Iterable[Node], openreview: Iterable[Node], doi: Iterable[Node]
                    ) -> None:
        for kind, values, norm in (("title", titles, _norm_title), ("url", urls, str),
                                   ("arxiv", arxiv, str), ("openreview", openreview, str),
                                   ("doi", doi, str.lower)):
            for v in values:
                self.works.setdefault((kind, norm(str(v))), iri)

    def find_work(self, entry: Entry) -> str | None:
        ids = entry.identifiers
        keys = [("arxiv", ids.get("arxiv")), ("openreview", ids.get("openreview")),
                ("doi", (ids.get("doi") or "").lower() or None), ("url", entry.url),
                ("title", _norm_title(entry.title))]
        for key in keys:
            if key[1] is not None and (key[0], key[1]) in self.works:
                return self.works[(key[0], key[1])]
        return None

    def add(self, s: URIRef, p: URIRef, o: Node) -> None:
        if (s, p, o) not in self.g:
            self.new.add((s, p, o))

    def known(self, s: URIRef) -> bool:
        return (s, None, None) in self.g or (s, None, None) in self.new


def _choose_list_id(parsed: ParsedList, existing: Graph, inst: Instances) -> str:
    if parsed.title:
        prefix = f"{inst.base}scheme/"
        wanted = normalize_name(parsed.title)
        matches = sorted(str(s) for s in existing.subjects(RDF.type, SKOS.ConceptScheme)
                         if str(s).startswith(prefix)
                         and any(normalize_name(str(t)) == wanted
                                 for t in existing.objects(s, DCTERMS.title)))
        if matches:
            return matches[0][len(prefix):]
    return slugify(parsed.path.stem) or "list"


def _load_existing(settings: Settings, target: Path) -> tuple[Graph, Graph]:
    """All curated data (``data/*.ttl`` and the target) and the target's own triples."""
    if not settings.data_dir.is_dir():
        raise ListImportError(f"{settings.data_dir}: data directory not found")
    paths: list[Path] = [settings.data_dir]
    try:
        everything = read_sources(paths)
        if target.exists() and target.resolve() not in {p.resolve() for p in everything.files}:
            extra = read_sources([target])
            everything.triples.extend(extra.triples)
            everything.files.extend(extra.files)
        own = read_sources([target]) if target.exists() else None
    except SourceError as exc:
        raise ListImportError(f"cannot read the existing data: {exc}") from None
    graph = to_rdflib(everything.triples)
    own_graph = to_rdflib(own.triples) if own is not None else Graph()
    return graph, own_graph


def import_list(path: Path | str, settings: Settings, *, target: Path | str | None = None,
                list_id: str | None = None, dry_run: bool = False,
                validate: bool = True) -> ImportReport:
    """Merge the reading list at ``path`` into the curated data of ``settings.data_dir``.

    New triples go to ``target`` (default ``data/survey.ttl``), which is rewritten atomically
    and deterministically, and only when something was added. Before writing, the merged data
    (every data file plus the new triples) are validated against ``ontology/shapes.ttl``; a
    ``sh:Violation`` raises :class:`ListImportError` and nothing is written. Malformed entries are
    skipped and listed in :attr:`ImportReport.skipped`.
    """
    parsed = parse_list(path)
    target_path = Path(target) if target is not None else settings.data_dir / DEFAULT_TARGET
    if target_path.suffix != ".ttl":
        raise ListImportError(f"{target_path}: the target must be a Turtle (.ttl) file")
    existing, own = _load_existing(settings, target_path)
    inst = Instances(CANONICAL_BASE_IRI)
    if list_id is None:
        list_id = _choose_list_id(parsed, existing, inst)
    elif not list_id or slugify(list_id) != list_id:
        raise ListImportError(f"list id {list_id!r} must be a slug (lower-case a-z, 0-9 and '-')")
    report = ImportReport(source=Path(path), target=target_path, list_id=list_id,
                          dry_run=dry_run, entries=len(parsed.entries),
                          skipped=list(parsed.problems))
    m = _Merger(existing, inst)

    # the list and its sections
    scheme = inst.scheme(list_id)
    if not m.known(scheme):
        title = parsed.title or parsed.path.stem
        m.add(scheme, RDF.type, SKOS.ConceptScheme)
        m.add(scheme, DCTERMS.title, Literal(title))
        m.add(scheme, DCTERMS.source, Literal(parsed.path.name))
        report.schemes.append((str(scheme), title))
        if parsed.title is None:
            report.notes.append(f"{parsed.path}: no H1 title; the list is titled {title!r}")
    section_iris: list[URIRef] = []
    for sec in parsed.sections:
        iri = inst.section(list_id, sec.slug)
        section_iris.append(iri)
        if m.known(iri):
            continue
        m.add(iri, RDF.type, SKOS.Concept)
        m.add(iri, SKOS.prefLabel, Literal(sec.heading, lang="en"))
        m.add(iri, SKOS.inScheme, scheme)
        m.add(iri, SKOS.notation, Literal(sec.notation))
        if sec.parent is None:
            m.add(iri, SKOS.topConceptOf, scheme)
            m.add(scheme, SKOS.hasTopConcept, iri)
        else:
            parent = section_iris[sec.parent]
            m.add(iri, SKOS.broader, parent)
            m.add(parent, SKOS.narrower, iri)
        report.sections.append((str(iri), f"{sec.notation} {sec.heading}"))

    # entries
    pending_people: list[tuple[URIRef, int, Resolution]] = []
    for entry in parsed.entries:
        section = section_iris[entry.section]
        found = m.find_work(entry)
        if found is not None:
            work = URIRef(found)
            in_scheme = any((s, SKOS.inScheme, scheme) in existing or (s, SKOS.inScheme,
                            scheme) in m.new for s in chain_objects(m, work, CAIKG.section))
            if found in m.existing_papers:
                report.already_present.append((found, entry.title))
                if not in_scheme:
                    m.add(work, CAIKG.section, section)
                    report.section_links.append((found, str(section)))
            else:
                report.notes.append(f"{parsed.path}:{entry.line}: {entry.title!r} is listed "
                                    f"again (as <{found}>)")
                if (work, CAIKG.section, section) not in m.new:
                    m.add(work, CAIKG.section, section)
            continue
        year = entry.year
        slug = unique_slug(paper_slug(entry.title),
                           lambda s: str(inst.paper(s)) in m.taken_papers, year)
        work = inst.paper(slug)
        m.taken_papers.add(str(work))
        ids = entry.identifiers
        if entry.kind == "blog":
            m.add(work, RDF.type, SCHEMA.BlogPosting)
            m.add(work, RDF.type, FABIO.BlogPost)
        else:
            m.add(work, RDF.type, SCHEMA.ScholarlyArticle)
            m.add(work, RDF.type,
                  FABIO.ReviewArticle if entry.kind == "review" else FABIO.ResearchPaper)
        m.add(work, DCTERMS.title, Literal(entry.title))
        m.add(work, SCHEMA.url, URIRef(entry.url))
        if year is not None:
            m.add(work, FABIO.hasPublicationYear, Literal(str(year), datatype=XSD.gYear))
        if entry.issued is not None:
            m.add(work, DCTERMS.issued, Literal(entry.issued.isoformat(), datatype=XSD.date))
        if "arxiv" in ids:
            m.add(work, CAIKG.arxivId, Literal(ids["arxiv"]))
        if "openreview" in ids:
            m.add(work, CAIKG.openReviewId, Literal(ids["openreview"]))
        if "doi" in ids:
            m.add(work, BIBO.doi, Literal(ids["doi"]))
        venue, status = _venue_of(entry, m, report)
        if venue is not None:
            m.add(work, CAIKG.venue, venue)
        m.add(work, BIBO.status, status)
        m.add(work, CAIKG.section, section)
        m._index_work(str(work), titles=[Literal(entry.title)], urls=[URIRef(entry.url)],
                      arxiv=[Literal(v) for k, v in ids.items() if k == "arxiv"],
                      openreview=[Literal(v) for k, v in ids.items() if k == "openreview"],
                      doi=[Literal(v) for k, v in ids.items() if k == "doi"])
        report.works.append((str(work), entry.title))
        resolutions = m.people.resolve(entry.authors)
        for n, res in enumerate(resolutions, start=1):
            pending_people.append((work, n, res))
            if res.note and res.how != "variant":
                report.notes.append(f"{parsed.path}:{entry.author_line}: {res.note}")
        m.people.add_work(str(work), [r.key for r in resolutions])

    # people: new ones get their IRI from their fullest name, now that all forms are known
    person_iris: dict[str, URIRef] = {}
    taken_people = {str(s) for s in existing.subjects(RDF.type, SCHEMA.Person)}
    for key, person in m.people.people.items():
        if person.existing:
            person_iris[key] = URIRef(key)
            for form in person.new_forms:
                m.add(URIRef(key), SCHEMA.alternateName, Literal(form))
                report.alternate_names.append((key, form))
            continue
        slug = unique_slug(slugify(person.name) or "person",
                           lambda s: str(inst.person(s)) in taken_people)
        iri = inst.person(slug)
        taken_people.add(str(iri))
        person_iris[key] = iri
        m.add(iri, RDF.type, SCHEMA.Person)
        m.add(iri, RDF.type, FOAF.Person)
        m.add(iri, SCHEMA.name, Literal(person.name))
        for form in person.names:
            if form != person.name:
                m.add(iri, SCHEMA.alternateName, Literal(form))
        report.people.append((str(iri), person.name))
        if len(person.names) > 1:
            report.notes.append(f"{', '.join(repr(n) for n in person.names)} are one person: "
                                f"<{iri}> (shared co-authors)")
    for work, n, res in pending_people:
        agent = person_iris[res.key]
        attribution = inst.authorship(work, n)
        m.add(attribution, RDF.type, CAIKG.Authorship)
        m.add(attribution, RDF.type, PROV.Attribution)
        m.add(attribution, PROV.agent, agent)
        m.add(attribution, CAIKG.ordinal, Literal(str(n), datatype=XSD.integer))
        m.add(attribution, CAIKG.statedName, Literal(res.printed))
        m.add(work, PROV.qualifiedAttribution, attribution)
        m.add(work, SCHEMA.author, agent)
    for key, form in report.alternate_names:
        report.notes.append(f"{form!r} merged into <{key}> as an alternate name "
                            f"(shared co-author)")

    added = Graph()
    for t in m.new:
        if t not in existing:
            added.add(t)
    if not parsed.entries and report.skipped:  # every entry is broken: not even the sections
        report.notes.append(f"{parsed.path}: no entry could be read; nothing written")
        added = Graph()
    report.triples_added = len(added)
    if not report.triples_added:
        return report

    if validate:
        shapes_file = shapes_path(settings)
        if not shapes_file.exists():
            raise ListImportError(f"{shapes_file}: SHACL shapes not found; nothing written")
        try:
            shapes = load_shapes(settings)
        except SourceError as exc:
            raise ListImportError(f"cannot read the shapes: {exc}") from None
        merged = Graph()
        for t in existing:
            merged.add(t)
        for t in added:
            merged.add(t)
        result = validate_graph(merged, shapes)
        report.validation = result
        if not result.conforms:
            raise ListImportError(f"importing {path} would make the data invalid; nothing "
                               f"written:\n{result.to_text()}", result)
    if dry_run:
        return report
    out = Graph()
    for t in own:
        out.add(t)
    for t in added:
        out.add(t)
    data = serialize_turtle(out, TARGET_HEADER)
    if target_path.exists() and target_path.read_bytes() == data:
        return report
    write_atomically(target_path, data)
    report.written = True
    return report


def chain_objects(m: _Merger, s: URIRef, p: URIRef) -> list[Node]:
    """Objects of ``s p`` in the existing data and the new triples."""
    return [*m.g.objects(s, p), *m.new.objects(s, p)]


def _journal_like(name: str) -> bool:
    return bool(re.search(r"\b(transactions|journal)\b", name, re.I))


def _venue_of(entry: Entry, m: _Merger, report: ImportReport) -> tuple[URIRef | None, URIRef]:
    """``caikg:venue`` and ``bibo:status`` of a new work (minting venues as needed)."""
    inst = m.inst
    note = entry.venue.status_note if entry.venue is not None else None
    if entry.kind == "blog":
        host = urlsplit(entry.url).netloc.lower().split(":")[0].removeprefix("www.")
        blog = KNOWN_BLOGS.get(host)
        venue: URIRef | None = None
        if blog is not None:
            venue = inst.venue(blog[0])
            if not m.known(venue):
                m.add(venue, RDF.type, SCHEMA.Blog)
                m.add(venue, SCHEMA.name, Literal(blog[1]))
                report.venues.append((str(venue), blog[1]))
        return venue, note or CAIKG.Published
    assert entry.venue is not None
    name, year = entry.venue.venue, entry.venue.year
    candidates = m.series.get(_norm_venue(name), [])
    if len(candidates) > 1:
        report.notes.append(f"{entry.venue.line}: venue {name!r} matches "
                            f"{len(candidates)} series; using <{sorted(candidates)[0]}>")
    if candidates:
        series = URIRef(sorted(candidates)[0])
    else:
        slug = unique_slug(slugify(name) or "venue",
                           lambda s: m.known(inst.venue(s)))
        series = inst.venue(slug)
        m.add(series, RDF.type, CAIKG.VenueSeries)
        if _journal_like(name):
            m.add(series, RDF.type, SCHEMA.Periodical)
            m.add(series, RDF.type, BIBO.Journal)
        else:
            m.add(series, RDF.type, SCHEMA.EventSeries)
        m.add(series, SCHEMA.name, Literal(name))
        if " " not in name:
            m.add(series, CAIKG.acronym, Literal(name))
        m.series[_norm_venue(name)] = [str(series)]
        report.venues.append((str(series), name))
    types = set(m.g.objects(series, RDF.type)) | set(m.new.objects(series, RDF.type))
    if CAIKG.Repository in types:
        return series, note or CAIKG.Preprint
    if SCHEMA.Blog in types:
        return series, note or CAIKG.Published
    edition_iri = m.editions.get((str(series), year))
    if edition_iri is not None:
        return URIRef(edition_iri), note or CAIKG.Published
    base_venue = f"{inst.base}venue/"
    series_slug = (str(series)[len(base_venue):] if str(series).startswith(base_venue)
                   else slugify(name))
    edition = inst.venue(f"{series_slug}-{year}")
    label = _label_of(m, series, name)
    m.add(edition, RDF.type, CAIKG.VenueEdition)
    m.add(edition, SCHEMA.name, Literal(f"{label} {year}"))
    m.add(edition, DCTERMS.isPartOf, series)
    m.add(edition, DCTERMS.date, Literal(str(year), datatype=XSD.gYear))
    m.editions[(str(series), year)] = str(edition)
    report.venues.append((str(edition), f"{label} {year}"))
    return edition, note or CAIKG.Published


def _label_of(m: _Merger, series: URIRef, fallback: str) -> str:
    acronyms = sorted(str(a) for a in [*m.g.objects(series, CAIKG.acronym),
                                       *m.new.objects(series, CAIKG.acronym)])
    return acronyms[0] if acronyms else fallback
