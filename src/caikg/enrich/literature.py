"""``caikg enrich --source openalex,crossref,openreview,arxiv``: the literature around the
curated works, and the drift between what sources say and what curators wrote.

Each source's records (:mod:`caikg.enrich.sources`) are matched to curated works by the exact
identifier they were asked about, then checked: a record whose title does not agree with the
curated title (:func:`same_work`) is the wrong work — the identifier is reported as drift and
nothing of the record is written. Accepted records become one graph per source
(``{base}graph/literature/<source>``, file ``$CAIKG_HOME/enrichment/literature-<source>.ttl``):

- a source record ``<paper#<source>>`` (``caikg:SourceRecord``) with what the source says —
  title, year, DOI, arXiv id, venue name, decision, versions, cited-by count with its date, the
  abstract with the source's licence — and ``dcterms:source`` the public page of the record;
- ``cito:cites`` from the curated work to curated works (matched by OpenAlex id, DOI or arXiv
  id) and to outside works ``{base}cited/<OpenAlex id>`` (light nodes: title, year, DOI, arXiv);
- author records ``<paper#<source>-author-N>`` with the source's name, ORCID iD and
  institutions ``{base}institution/<ROR id>``; ``prov:agent`` (and the person's ORCID iD) only
  when the name at that position agrees with the curated person's.

Nothing curated is ever changed: disagreements are :class:`Drift` entries with both values,
both sources and a suggested edit, written to ``$CAIKG_HOME/enrichment/drift.json``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from caikg import __version__
from caikg.build import literature_graph as lg
from caikg.config import CANONICAL_BASE_IRI, Settings
from caikg.enrich.client import PoliteClient, Progress
from caikg.enrich.enricher import Curated, Work, normalise
from caikg.enrich.sources import arxiv, crossref, openalex, openreview
from caikg.enrich.sources.base import LICENCES, Lookup, SourceRecord
from caikg.files import write_atomically
from caikg.rdf.namespaces import Instances

FETCHERS: dict[str, Callable[..., list[SourceRecord]]] = {
    "openalex": openalex.fetch,
    "crossref": crossref.fetch,
    "openreview": openreview.fetch,
    "arxiv": arxiv.fetch,
}

SAME_TITLE = 0.6
"""Share of title words two titles must have in common to be the same work (Jaccard)."""

STATUS = "https://w3id.org/caikg/ontology#"
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)
_WORDS = re.compile(r"[a-z0-9]+")


# -- matching --------------------------------------------------------------------------------
def lookups(curated: Curated) -> list[Lookup]:
    """What each source is asked about: every scholarly work with an exact identifier."""
    out = []
    for w in sorted(curated.works, key=lambda w: w.iri):
        if not w.scholarly or not (w.doi or w.arxiv or w.openreview):
            continue
        arxiv_id = re.sub(r"v\d+$", "", w.arxiv) if w.arxiv else None
        out.append(Lookup(w.iri, w.doi, arxiv_id, w.openreview))
    return out


def title_words(title: str) -> set[str]:
    return set(_WORDS.findall(normalise(title).lower()))


def same_work(ours: str, theirs: str | None) -> bool:
    """Whether two titles name the same work: most of their words agree (a changed subtitle
    or casing does; another paper's title does not)."""
    if not theirs:
        return True  # nothing to contradict the identifier
    a, b = title_words(ours), title_words(theirs)
    if not a or not b:
        return True
    return len(a & b) / len(a | b) >= SAME_TITLE


def bare_arxiv(doi: str | None) -> str | None:
    m = _ARXIV_DOI.match(doi or "")
    return re.sub(r"v\d+$", "", m.group(1)) if m else None


# -- drift -----------------------------------------------------------------------------------
@dataclass
class Drift:
    """A fact a source states differently from the curated record: for a curator to review."""

    subject: str
    property: str
    curated: str
    found: str
    source: str
    source_url: str
    curated_source: str
    suggestion: str

    def text(self) -> str:
        return (f"{self.subject}: {self.property}: curated {self.curated!r} "
                f"({self.curated_source}); {self.source} says {self.found!r} "
                f"({self.source_url})\n    suggested: {self.suggestion}")


def _status_name(status: str | None) -> str:
    return (status or "").removeprefix(STATUS) or "(none)"


def authors_agree(work: Work, record: SourceRecord, curated: Curated) -> bool:
    """Whether most author positions the record shares with the curated list agree by name:
    the second witness, besides the title, that a record is about our work."""
    ours = curated.authors.get(work.iri, {})
    compared = [a for a in record.authors if a.position in ours]
    if not compared:
        return False
    agree = sum(_name_agrees(a.name, curated.names.get(ours[a.position], set()))
                for a in compared)
    return agree * 2 >= len(compared)


def drift_of(work: Work, record: SourceRecord, data_file: str,
             same_authors: bool = False) -> list[Drift]:
    """What ``record`` says differently from the curated ``work`` (title, DOI, year, status,
    authors are compared where the source is an authority on them).

    The record is the wrong work (an ``identifier`` entry, and nothing else) when its title
    does not agree and neither do its authors (``same_authors``): a renamed paper keeps its
    authors, another paper behind a mistyped DOI has neither."""
    out: list[Drift] = []
    subject = work.iri
    short = subject.rsplit("/", 1)[-1]

    def add(prop: str, ours: str, theirs: str, suggestion: str) -> None:
        out.append(Drift(subject, prop, ours, theirs, record.source, record.url, data_file,
                         suggestion))

    if record.title and not same_work(work.title, record.title) and not same_authors:
        add("identifier", f"{work.title} (asked by {_asked(record.lookup)})", record.title,
            f"check the identifier in {data_file}: {record.source} resolves it to a work with "
            "another title whose authors do not confirm it is ours (another work, or a renamed "
            "one); nothing from this record was linked")
        return out
    if record.title and normalise(record.title).lower() != normalise(work.title).lower():
        add("dcterms:title", work.title, record.title,
            f'{data_file}: paper:{short} dcterms:title "{record.title}" (if the work was '
            "renamed; keep the old title as an alternative title)")
    doi = (record.doi or "").lower()
    if doi and not bare_arxiv(doi) and record.source in {"crossref", "openalex", "arxiv"}:
        if not work.doi:
            add("bibo:doi", "(none)", doi, f'{data_file}: paper:{short} bibo:doi "{doi}"')
        elif work.doi.lower() != doi and record.lookup.doi is None:
            add("bibo:doi", work.doi, doi, f"{data_file}: check paper:{short} bibo:doi")
    published = record.preprint_of or ([record.doi.lower()] if record.source == "arxiv"
                                       and record.doi else [])
    if published and _status_name(work.status) in {"Preprint", "UnderReview", "InSubmission"}:
        add("bibo:status", _status_name(work.status), f"published as {', '.join(published)}"
            + (f" ({record.journal_ref})" if record.journal_ref else ""),
            f"{data_file}: paper:{short} bibo:status caikg:Published ; bibo:doi "
            f'"{published[0]}" (and its venue edition)')
    d = record.decision
    if d is not None:
        status = _status_name(work.status)
        if d.outcome.startswith("accepted") and status in {"UnderReview", "InSubmission",
                                                           "Preprint"}:
            add("bibo:status", status, f"{d.label} ({d.venue or 'OpenReview'}, {d.date})",
                f"{data_file}: paper:{short} bibo:status caikg:Published ; caikg:venue "
                "<the venue edition>")
        elif d.outcome in {"withdrawn", "desk-rejected", "rejected"} and status in {
                "Published", "UnderReview", "InSubmission"}:
            add("bibo:status", status, f"{d.label} ({d.date or 'date not given'})",
                f"{data_file}: paper:{short}: record the {d.outcome} submission "
                "(caikg:Submission) and set bibo:status to what the work is now")
    if record.year and work.year and str(record.year) != work.year and \
            record.source in {"crossref"} and work.doi and \
            work.doi.lower() == (record.doi or "").lower():
        add("fabio:hasPublicationYear", work.year, str(record.year),
            f'{data_file}: paper:{short} fabio:hasPublicationYear "{record.year}"^^xsd:gYear')
    return out


def _asked(lookup: Lookup) -> str:
    return ", ".join(f"{k} {v}" for k, v in (("DOI", lookup.doi), ("arXiv", lookup.arxiv),
                                             ("OpenReview", lookup.openreview)) if v)


def author_drift(work: Work, record: SourceRecord, curated: Curated, data_file: str
                 ) -> list[Drift]:
    """Author lists that disagree: another length, or a name at a position that agrees with
    none of the curated person's names."""
    ours = curated.authors.get(work.iri, {})
    if not record.authors or not ours:
        return []
    theirs = {a.position: a.name for a in record.authors}
    differ = [p for p in sorted(theirs) if p in ours
              and not _name_agrees(theirs[p], curated.names.get(ours[p], set()))]
    if len(theirs) == len(ours) and not differ:
        return []
    short = work.iri.rsplit("/", 1)[-1]
    ours_text = "; ".join(sorted(curated.names.get(ours[p], {"?"}))[0] for p in sorted(ours))
    theirs_text = "; ".join(theirs[p] for p in sorted(theirs))
    return [Drift(work.iri, "schema:author", ours_text, theirs_text, record.source,
                  record.url, data_file,
                  f"{data_file}: check the authorships of paper:{short} "
                  f"({len(ours)} curated, {len(theirs)} at {record.source}"
                  + (f"; positions {', '.join(map(str, differ))} differ" if differ else "")
                  + ")")]


def _name_agrees(name: str, ours: set[str]) -> bool:
    mine = {normalise(n) for n in ours}
    if normalise(name) in mine:
        return True
    # "J. Smith" against "Jane Smith": same family name and initial
    parts = normalise(name).split()
    for n in mine:
        q = n.split()
        if parts and q and parts[-1] == q[-1] and parts[0][:1] == q[0][:1]:
            return True
    return False


# -- triples ---------------------------------------------------------------------------------
def _lit(value: str | int, datatype: str | None = None) -> ox.Literal:
    if datatype:
        return ox.Literal(str(value), datatype=ox.NamedNode(datatype))
    return ox.Literal(str(value))


class Writer:
    """The triples of one source's graph."""

    def __init__(self, inst: Instances) -> None:
        self.inst = inst
        self.out: list[ox.Triple] = []

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.out.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o))

    def iri(self, s: str, p: str, o: str) -> None:
        self.add(s, p, ox.NamedNode(o))


def cited_iri(base: str, source_id: str) -> str:
    return f"{base}cited/{source_id.rsplit('/', 1)[-1]}"


def institution_iri(base: str, ror: str) -> str:
    return f"{base}institution/{ror.rstrip('/').rsplit('/', 1)[-1]}"


def _describe(w: Writer, node: str, title: str | None, year: int | None, doi: str | None,
              arxiv: str | None) -> None:
    """Title, year and identifiers of a work as a source gives them (a record, an outside
    work)."""
    if title:
        w.add(node, lg.DCT_TITLE, _lit(title))
    if year:
        w.add(node, lg.YEAR, _lit(f"{year:04d}", lg.XSD + "gYear"))
    if doi:
        w.add(node, lg.DOI, _lit(doi.lower()))
    if arxiv:
        w.add(node, lg.ARXIV, _lit(arxiv))


def record_triples(w: Writer, work: Work, record: SourceRecord, curated: Curated,
                   ids: dict[str, str], checked: str) -> None:
    """The source record of ``work`` and what hangs from it."""
    base = w.inst.base
    rec = f"{work.iri}#{record.source}"
    w.iri(work.iri, lg.SOURCE_RECORD, rec)
    w.iri(rec, lg.RDF_TYPE, lg.SOURCE_RECORD_CLASS)
    w.add(rec, lg.SOURCE_NAME, _lit(record.source))
    w.iri(rec, lg.DCT_SOURCE, record.url)
    w.add(rec, lg.CHECKED, _lit(checked, lg.XSD + "date"))
    if LICENCES.get(record.source):
        w.iri(rec, lg.DCT_LICENSE, LICENCES[record.source])
    _describe(w, rec, record.title, record.year, record.doi, record.arxiv)
    if record.venue:
        w.add(rec, lg.VENUE_NAME, _lit(record.venue))
    if record.work_type:
        w.add(rec, lg.WORK_TYPE, _lit(record.work_type))
    if record.journal_ref:
        w.add(rec, lg.JOURNAL_REF, _lit(record.journal_ref))
    if record.abstract and LICENCES.get(record.source):
        # kept only where the source states a licence for its metadata
        w.add(rec, lg.DCT_ABSTRACT, _lit(record.abstract))
    if record.cited_by_count is not None:
        w.add(rec, lg.CITED_BY_COUNT, _lit(record.cited_by_count, lg.XSD + "integer"))
        for year, count in sorted(record.counts_by_year.items()):
            node = f"{rec}-cited-{year}"
            w.iri(rec, lg.CITED_BY_YEAR, node)
            w.add(node, lg.YEAR, _lit(f"{year:04d}", lg.XSD + "gYear"))
            w.add(node, lg.CITED_BY_COUNT, _lit(count, lg.XSD + "integer"))
    for v in record.versions:
        node = f"{rec}-{v.version}"
        w.iri(rec, lg.VERSION, node)
        w.add(node, lg.VERSION_LABEL, _lit(v.version))
        w.add(node, lg.DCT_DATE, _lit(v.date, lg.XSD + "date"))
    if record.decision is not None and record.decision.outcome in lg.OUTCOME_CONCEPTS:
        d = record.decision
        concept, presentation = lg.OUTCOME_CONCEPTS[d.outcome]
        sub = f"{rec}-submission"
        w.iri(rec, lg.SUBMISSION, sub)
        w.iri(sub, lg.RDF_TYPE, lg.SUBMISSION_CLASS)
        w.iri(sub, lg.DECISION, lg.CAIKG + concept)
        w.add(sub, lg.DECISION_TEXT, _lit(d.label))
        if presentation:
            w.add(sub, lg.PRESENTATION, _lit(presentation))
        if d.date:
            w.add(sub, lg.DCT_DATE, _lit(d.date, lg.XSD + "date"))
        if d.venue:
            w.add(sub, lg.VENUE_NAME, _lit(d.venue))
    # citations
    for ref in record.references:
        target = ids.get(ref.source_id) or (ref.doi and ids.get("doi:" + ref.doi.lower())) or \
            (ref.arxiv and ids.get("arxiv:" + ref.arxiv))
        if target == work.iri:
            continue
        if not target:
            target = cited_iri(base, ref.source_id)
            w.iri(target, lg.RDF_TYPE, lg.EXTERNAL_WORK)
            w.add(target, lg.OPENALEX_ID, _lit(ref.source_id.rsplit("/", 1)[-1]))
            w.iri(target, lg.DCT_SOURCE, ref.source_id)
            _describe(w, target, ref.title, ref.year, ref.doi, ref.arxiv)
        w.iri(work.iri, lg.CITES, target)
        w.iri(rec, lg.CITES, target)
    # authors and their affiliations, linked to our people only where the names agree
    ours = curated.authors.get(work.iri, {})
    for a in record.authors:
        node = f"{rec}-author-{a.position}"
        w.iri(rec, lg.AUTHOR_RECORD, node)
        w.add(node, lg.NAME, _lit(a.name))
        w.add(node, lg.ORDINAL, _lit(a.position, lg.XSD + "integer"))
        person = ours.get(a.position)
        agrees = person is not None and _name_agrees(a.name, curated.names.get(person, set()))
        if agrees and person is not None:
            w.iri(node, lg.AGENT, person)
        if a.orcid and lg.ORCID_FORM.match(a.orcid):
            w.add(node, lg.ORCID, _lit(a.orcid))
            if agrees and person is not None and person not in curated.orcids:
                w.add(person, lg.ORCID, _lit(a.orcid))
        for inst_ in a.institutions:
            if not inst_.ror:
                continue
            org = institution_iri(base, inst_.ror)
            w.iri(node, lg.AFFILIATION, org)
            w.iri(org, lg.RDF_TYPE, lg.ORGANIZATION)
            w.add(org, lg.NAME, _lit(inst_.name))
            w.iri(org, lg.SAME_AS, inst_.ror)


def id_index(curated: Curated, records: Iterable[SourceRecord]) -> dict[str, str]:
    """Every identifier by which a citation can name a curated work → the work's IRI."""
    ids: dict[str, str] = {}
    for w in curated.works:
        if w.doi:
            ids["doi:" + w.doi.lower()] = w.iri
            if arx := bare_arxiv(w.doi):
                ids["arxiv:" + arx] = w.iri
        if w.arxiv:
            ids["arxiv:" + re.sub(r"v\d+$", "", w.arxiv)] = w.iri
            ids["doi:" + f"10.48550/arxiv.{re.sub(r'v[0-9]+$', '', w.arxiv)}".lower()] = w.iri
    for r in records:
        if r.source == "openalex":
            ids[r.source_id] = r.lookup.work
    return ids


# -- provenance ------------------------------------------------------------------------------
def provenance(inst: Instances, source: str, endpoint: str, started: str, ended: str,
               queries_used: dict[str, str]) -> list[ox.Triple]:
    graph = lg.graph_iri(inst, source)
    activity = f"{graph}#activity"
    agent = f"{graph}#caikg"
    w = Writer(inst)
    w.iri(graph, lg.RDF_TYPE, lg.PROV + "Entity")
    w.iri(graph, lg.PROV + "wasGeneratedBy", activity)
    w.iri(activity, lg.RDF_TYPE, lg.PROV + "Activity")
    w.add(activity, lg.PROV + "startedAtTime", _lit(started, lg.XSD + "dateTime"))
    w.add(activity, lg.PROV + "endedAtTime", _lit(ended, lg.XSD + "dateTime"))
    w.iri(activity, lg.PROV + "wasAssociatedWith", agent)
    w.iri(activity, lg.PROV + "used", endpoint)
    w.iri(agent, lg.RDF_TYPE, lg.PROV + "SoftwareAgent")
    w.add(agent, lg.RDFS_LABEL, _lit(f"caikg {__version__}"))
    for digest in sorted(queries_used):
        node = f"{graph}#request-{digest[:16]}"
        w.iri(activity, lg.PROV + "used", node)
        w.iri(node, lg.RDF_TYPE, lg.PROV + "Entity")
        w.add(node, lg.DCT_IDENTIFIER, _lit(f"sha256:{digest}"))
        w.iri(node, lg.PROV + "atLocation", queries_used[digest])
    return w.out


# -- the run ---------------------------------------------------------------------------------
@dataclass
class SourceRun:
    source: str
    records: int = 0
    linked: int = 0
    rejected: int = 0
    citations: int = 0
    outside: int = 0
    requests: int = 0
    cache_hits: int = 0
    cache_misses: int = 0


@dataclass
class LiteratureReport:
    runs: list[SourceRun] = field(default_factory=list)
    drift: dict[str, list[Drift]] = field(default_factory=dict)
    """Source → its drift entries (a run of some sources keeps the others' entries)."""
    written: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "runs": [asdict(r) for r in self.runs],
            "drift": {s: sorted((asdict(d) for d in entries), key=lambda d: sorted(d.items()))
                      for s, entries in sorted(self.drift.items())},
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LiteratureReport:
        data = json.loads(text)
        return cls(runs=[SourceRun(**r) for r in data.get("runs", [])],
                   drift={s: [Drift(**d) for d in entries]
                          for s, entries in data.get("drift", {}).items()})

    def entries(self) -> list[Drift]:
        return sorted((d for entries in self.drift.values() for d in entries),
                      key=lambda d: (d.subject, d.property, d.source))

    def to_text(self) -> str:
        lines = []
        for r in self.runs:
            lines.append(f"{r.source}: {r.linked} work(s) described ({r.rejected} record(s) "
                         f"refused as another work), {r.citations} citation(s), {r.outside} "
                         f"outside work(s); {r.requests} request(s), {r.cache_hits} from the "
                         "cache" + (f", {r.cache_misses} not in the cache (offline)"
                                    if r.cache_misses else ""))
        entries = self.entries()
        lines.append(f"drift: {len(entries)} change(s) for a curator to review"
                     + (" (nothing was changed)" if entries else ""))
        lines += [f"  {d.text()}" for d in entries]
        lines += [f"wrote {p}" for p in self.written]
        return "\n".join(lines)


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def endpoint_of(settings: Settings, source: str) -> str:
    return {"openalex": settings.openalex_api, "crossref": settings.crossref_api,
            "openreview": settings.openreview_api, "arxiv": settings.arxiv_api}[source]


def collect(settings: Settings, curated: Curated, sources: Sequence[str], *,
            offline: bool = False, now: Callable[[], float] = time.time, stream: Any = None,
            client_factory: Callable[[str], PoliteClient] | None = None,
            data_file: str = "data/survey.ttl",
            ) -> tuple[dict[str, list[ox.Triple]], LiteratureReport]:
    """Ask each source, match, check; return each source's triples and the report.

    Raises :class:`caikg.enrich.client.SourceError` when a source fails for good."""
    inst = Instances(CANONICAL_BASE_IRI)
    asked = lookups(curated)
    by_iri = {w.iri: w for w in curated.works}
    report = LiteratureReport()
    graphs: dict[str, list[ox.Triple]] = {}
    fetched: dict[str, list[SourceRecord]] = {}
    clients: dict[str, PoliteClient] = {}
    started: dict[str, float] = {}
    for source in sources:
        client = (client_factory or (lambda name: PoliteClient(
            settings, name, offline=offline, now=now)))(source)
        clients[source] = client
        started[source] = now()
        bar = Progress(source, len(asked), stream)
        fetched[source] = FETCHERS[source](client, settings, asked, bar.step)
        if bar.done < bar.total:
            bar.step(bar.total - bar.done)
    ids = id_index(curated, fetched.get("openalex", []))
    checked = time.strftime("%Y-%m-%d", time.gmtime(now()))
    for source in sources:
        run = SourceRun(source)
        w = Writer(inst)
        drift: list[Drift] = []
        for record in sorted(fetched[source], key=lambda r: r.lookup.work):
            work = by_iri.get(record.lookup.work)
            if work is None:
                continue
            run.records += 1
            found = drift_of(work, record, data_file,
                             authors_agree(work, record, curated))
            drift += found
            if any(d.property == "identifier" for d in found):
                run.rejected += 1
                continue
            drift += author_drift(work, record, curated, data_file)
            before = len(w.out)
            record_triples(w, work, record, curated, ids, checked)
            run.linked += 1
            new = w.out[before:]
            run.citations += sum(1 for t in new if t.predicate.value == lg.CITES
                                 and str(t.subject) == f"<{work.iri}>")
        run.outside = len({str(t.subject) for t in w.out if t.predicate.value == lg.RDF_TYPE
                           and str(t.object) == f"<{lg.EXTERNAL_WORK}>"})
        log = clients[source].log
        run.requests, run.cache_hits = len(log.sent), log.cache_hits
        run.cache_misses = len(log.cache_misses)
        triples = sorted(set(w.out), key=str)
        triples += provenance(inst, source, endpoint_of(settings, source),
                              _stamp(log.first or started[source]), _stamp(now()),
                              log.queries)
        graphs[source] = triples
        report.runs.append(run)
        report.drift[source] = drift
    return graphs, report


def write(settings: Settings, graphs: dict[str, list[ox.Triple]], report: LiteratureReport
          ) -> None:
    """Write each source's file and the drift report, atomically (other sources' files and
    drift entries are kept)."""
    path = settings.enrichment_dir / "drift.json"
    previous = LiteratureReport.from_json(path.read_text(encoding="utf-8")) \
        if path.exists() else LiteratureReport()
    for source, triples in sorted(graphs.items()):
        target = lg.file_of(settings, source)
        write_atomically(target, lg.serialize(triples, source))
        report.written.append(str(target))
    merged = LiteratureReport(runs=report.runs,
                              drift={**previous.drift, **report.drift})
    write_atomically(path, merged.to_json().encode("utf-8"))
    report.drift = merged.drift


def last_report(settings: Settings) -> LiteratureReport | None:
    """The drift report of the last run (``caikg enrich --report``)."""
    path = settings.enrichment_dir / "drift.json"
    if not path.exists():
        return None
    return LiteratureReport.from_json(path.read_text(encoding="utf-8"))
