"""``caikg enrich``: link papers, people and venues to Wikidata by exact identifiers only.

Matching rules (README, "Enrichment from Wikidata"):

- a paper is the Wikidata item that has its arXiv id (P818), DOI (P356, compared
  case-insensitively) or OpenReview id (P8968); an id that points at two items, or an item that
  two of our papers point at, is a candidate, not a link;
- a person is the author (P50) at the same position (P1545) of a matched paper's item when the
  item's label or an alias agrees with the person's name or an alternate name after
  normalisation, or the item with the person's ORCID iD (P496); a disagreeing name is a
  candidate; nobody is linked by name alone;
- a venue series is the item with its acronym as short name (P1813), of a class of the same
  kind (conference, journal, repository) and with a label or alias equal to one of its names.

Facts go into the enrichment graph (never the curated one); disagreements with curated facts
are listed as conflicts in the report.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from caikg import __version__, queries
from caikg.build import enrichment_graph as enrichment
from caikg.build import record
from caikg.build.pipeline import BuildError, build
from caikg.config import CANONICAL_BASE_IRI, Settings
from caikg.enrich.wikidata import Binding, CacheMiss, Progress, WikidataClient, WikidataError
from caikg.files import write_atomically
from caikg.rdf.names import normalize_name
from caikg.rdf.namespaces import PREFIXES, WD, WDT, Instances
from caikg.store.base import StoreError
from caikg.store.embedded import EmbeddedStore

BATCH = 50
SEARCH_LENGTH = 300
"""CirrusSearch refuses longer search strings."""

ARXIV, DOI, OPENREVIEW = "P818", "P356", "P8968"
ID_FIELDS = {ARXIV: "arxiv", DOI: "doi", OPENREVIEW: "openreview"}
_SAFE_ID = re.compile(r"^[\w./:;()<>-]+$")
_CLASS_WORDS = {
    "conference": ("conference", "symposium", "workshop"),
    "journal": ("journal", "periodical"),
    "repository": ("repository", "archive", "preprint"),
}
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


class EnrichError(Exception):
    """The run failed; the previous enrichment file and store are untouched."""


# -- what we have ----------------------------------------------------------------------------
@dataclass
class Work:
    iri: str
    scholarly: bool
    title: str
    year: str | None = None
    arxiv: str | None = None
    doi: str | None = None
    openreview: str | None = None
    url: str | None = None
    status: str | None = None

    def ids(self) -> dict[str, str]:
        out = {p: getattr(self, f) for p, f in ID_FIELDS.items() if getattr(self, f)}
        if DOI in out:
            out[DOI] = out[DOI].upper()
        return out


@dataclass
class Curated:
    works: list[Work]
    authors: dict[str, dict[int, str]]  # work → position → person
    names: dict[str, set[str]]  # person → every name form
    orcids: dict[str, str]
    venues: dict[str, tuple[str, set[str], set[str]]]  # venue → (kind, acronyms, names)
    subjects: set[str]


def read_curated(settings: Settings) -> Curated:
    """The curated data, with the canonical base IRI (the enrichment file uses it too)."""
    sources = record.read_curated([settings.data_dir], CANONICAL_BASE_IRI)
    inst = Instances(CANONICAL_BASE_IRI)
    store = EmbeddedStore.in_memory({str(inst.curated_graph): sources.triples},
                                    CANONICAL_BASE_IRI)

    def v(row: dict[str, Any], key: str) -> str | None:
        term = row.get(key)
        return term.value if term is not None else None

    works: dict[str, Work] = {}
    for row in store.select("work_enrichment_keys"):
        iri = v(row, "work") or ""
        if iri in works:
            continue
        works[iri] = Work(iri, v(row, "scholarly") == "true", v(row, "title") or "",
                          v(row, "year"), v(row, "arxivId"), v(row, "doi"),
                          v(row, "openReviewId"), v(row, "url"), v(row, "status"))
    authors: dict[str, dict[int, str]] = defaultdict(dict)
    for row in store.select("work_enrichment_authors"):
        authors[v(row, "work") or ""][int(v(row, "position") or 0)] = v(row, "person") or ""
    names: dict[str, set[str]] = defaultdict(set)
    orcids: dict[str, str] = {}
    for row in store.select("person_enrichment_names"):
        person = v(row, "person") or ""
        if (name := v(row, "name")) is not None:
            names[person].add(name)
        if (orcid := v(row, "orcid")) is not None:
            orcids[person] = orcid
    venues: dict[str, tuple[str, set[str], set[str]]] = {}
    for row in store.select("venue_enrichment_keys"):
        venue = v(row, "venue") or ""
        kind, acronyms, vnames = venues.setdefault(venue, (v(row, "kind") or "", set(), set()))
        acronyms.add(v(row, "acronym") or "")
        vnames.add(v(row, "name") or "")
    subjects = {t.subject.value for t in sources.triples if isinstance(t.subject, ox.NamedNode)}
    return Curated(list(works.values()), dict(authors), dict(names), orcids, venues, subjects)


# -- what Wikidata has -----------------------------------------------------------------------
@dataclass
class Item:
    """What Wikidata states about one item (from the query service or the action API)."""

    qid: str
    labels: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    dates: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    cites: set[str] = field(default_factory=set)
    authors: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    name_strings: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    person_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def qid_of(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def normalise(name: str) -> str:
    """How names are compared with another source's labels (:mod:`caikg.rdf.names`)."""
    return normalize_name(name, accents=False, punctuation=False)


def _literal(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def _entity(qid: str) -> ox.NamedNode:
    return ox.NamedNode(f"{WD}{qid}")


def _template(name: str, values: Iterable[ox.NamedNode | ox.Literal],
              **terms: ox.NamedNode) -> str:
    """The remote query ``name`` with its ``%VALUES%`` block (and ``%KEY%`` terms) filled in.

    The Wikidata services take no bindings, so this is the one place where values enter query
    text: each is an RDF term serialised by Oxigraph (validated, escaped as in N-Triples),
    never raw text.
    """
    text = queries.load(name).text.replace("%VALUES%", " ".join(str(v) for v in values))
    for key, term in terms.items():
        text = text.replace(f"%{key}%", str(term))
    return text


def batches(values: Sequence[str], size: int = BATCH) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield list(values[i:i + size])


# -- the report ------------------------------------------------------------------------------
@dataclass
class Report:
    linked: dict[str, dict[str, str]] = field(default_factory=lambda: {
        "papers": {}, "people": {}, "venues": {}})
    conflicts: list[dict[str, str]] = field(default_factory=list)
    candidates: list[dict[str, str]] = field(default_factory=list)
    cache_misses: list[str] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    written: str | None = None

    def conflict(self, subject: str, what: str, ours: str, theirs: str, qid: str) -> None:
        self.conflicts.append({"subject": subject, "property": what, "curated": ours,
                               "wikidata": theirs, "item": qid})

    def candidate(self, subject: str, qid: str, reason: str) -> None:
        self.candidates.append({"subject": subject, "item": qid, "reason": reason,
                                "suggested": "skos:closeMatch (review before linking)"})

    def to_json(self) -> str:
        data = asdict(self)
        data["conflicts"] = sorted(data["conflicts"], key=lambda c: sorted(c.items()))
        data["candidates"] = sorted(data["candidates"], key=lambda c: sorted(c.items()))
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def to_text(self) -> str:
        lines = [f"linked {len(self.linked['papers'])} paper(s), "
                 f"{len(self.linked['people'])} person(s), "
                 f"{len(self.linked['venues'])} venue(s); {self.requests} request(s), "
                 f"{self.cache_hits} answered from the cache"]
        for c in sorted(self.conflicts, key=lambda c: (c["subject"], c["property"])):
            lines.append(f"conflict: {c['subject']} {c['property']}: curated {c['curated']!r},"
                         f" Wikidata {c['item']} says {c['wikidata']!r}")
        for c in sorted(self.candidates, key=lambda c: (c["subject"], c["item"])):
            lines.append(f"candidate (not linked): {c['subject']} ~ {c['item']}: {c['reason']}")
        if self.cache_misses:
            lines.append(f"offline: {len(self.cache_misses)} request(s) not in the cache "
                         "(their entities were skipped)")
        if self.written:
            lines.append(f"wrote {self.written}")
        return "\n".join(lines)


# -- the run ---------------------------------------------------------------------------------
class Enricher:
    def __init__(self, settings: Settings, client: WikidataClient, curated: Curated,
                 stream: Any = None) -> None:
        self.settings = settings
        self.client = client
        self.curated = curated
        self.report = Report()
        self.stream = stream
        self.items: dict[str, Item] = {}

    def _select(self, endpoint: str, query: str) -> list[Binding]:
        try:
            return self.client.select(endpoint, query)
        except CacheMiss:
            return []

    def _api(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            return self.client.api(params)
        except CacheMiss:
            return {}

    def item(self, qid: str) -> Item:
        return self.items.setdefault(qid, Item(qid))

    # -- papers ------------------------------------------------------------------------------
    def find_papers(self, works: list[Work]) -> dict[str, set[str]]:
        """Work IRI → QIDs of items with one of its identifiers."""
        found: dict[str, set[str]] = defaultdict(set)
        scholarly = self.settings.wikidata_scholarly_sparql
        by_value: dict[tuple[str, str], list[Work]] = defaultdict(list)
        for w in works:
            for prop, value in w.ids().items():
                by_value[(prop, value)].append(w)
        total = sum(-(-len([k for k in by_value if k[0] == p]) // BATCH) for p in ID_FIELDS)
        bar = Progress("papers", total, self.stream)
        for prop in ID_FIELDS:
            values = sorted(v for p, v in by_value if p == prop)
            for chunk in batches(values):
                rows = self._select(scholarly, _template(
                    "wikidata_papers_by_id", (_literal(v) for v in chunk),
                    PROPERTY=ox.NamedNode(f"{WDT}{prop}")))
                for row in rows:
                    hit, item = row.get("value"), row.get("item")
                    if hit is None or item is None:
                        continue
                    key = hit.value.upper() if prop == DOI else hit.value
                    for w in by_value.get((prop, key), []):
                        found[w.iri].add(qid_of(item.value))
                bar.step()
        missing = [w for w in works if w.iri not in found and w.ids()]
        if missing:
            self._search_papers(missing, found)
        return found

    def _search_papers(self, works: list[Work], found: dict[str, set[str]]) -> None:
        """Items the query service lacks (lag): the search index via ``haswbstatement``,
        verified below against the statements of ``wbgetentities``."""
        terms = sorted({f"{p}={v}" for w in works for p, v in w.ids().items()
                        if _SAFE_ID.match(v)})
        chunks: list[list[str]] = []
        for term in terms:
            if chunks and len("haswbstatement:" + "|".join([*chunks[-1], term])) <= \
                    SEARCH_LENGTH and len(chunks[-1]) < BATCH:
                chunks[-1].append(term)
            else:
                chunks.append([term])
        qids: set[str] = set()
        for chunk in chunks:
            data = self._api({"action": "query", "list": "search", "srnamespace": "0",
                              "srlimit": str(BATCH),
                              "srsearch": "haswbstatement:" + "|".join(chunk)})
            for hit in data.get("query", {}).get("search", []):
                title = str(hit.get("title", ""))
                if re.fullmatch(r"Q[1-9]\d*", title):
                    qids.add(title)
        self.get_entities(sorted(qids))
        for w in works:
            for qid in qids:
                if any(v in self.item(qid).ids.get(p, set()) for p, v in w.ids().items()):
                    found[w.iri].add(qid)

    def get_entities(self, qids: list[str]) -> None:
        """Statements of ``qids`` from ``wbgetentities`` (claims and English labels)."""
        for chunk in batches(qids):
            data = self._api({"action": "wbgetentities", "ids": "|".join(chunk),
                              "props": "labels|aliases|claims", "languages": "en"})
            for qid, entity in (data.get("entities") or {}).items():
                if not isinstance(entity, dict) or "missing" in entity:
                    continue
                self._read_entity(self.item(qid), entity)

    def _read_entity(self, item: Item, entity: dict[str, Any]) -> None:
        label = (entity.get("labels") or {}).get("en")
        if isinstance(label, dict):
            item.labels.add(label.get("value", ""))
        for alias in (entity.get("aliases") or {}).get("en", []):
            item.aliases.add(alias.get("value", ""))
        claims = entity.get("claims") or {}
        for prop, statements in claims.items():
            for st in statements:
                if st.get("rank") == "deprecated":
                    continue
                snak = st.get("mainsnak", {})
                value = (snak.get("datavalue") or {}).get("value")
                if value is None:
                    continue
                ordinal = _ordinal(st)
                if prop in ID_FIELDS and isinstance(value, str):
                    item.ids[prop].add(value.upper() if prop == DOI else value)
                elif prop == "P577" and isinstance(value, dict):
                    item.dates.add(str(value.get("time", "")).lstrip("+"))
                elif prop == "P921" and isinstance(value, dict):
                    item.subjects.add(str(value.get("id")))
                elif prop == "P2860" and isinstance(value, dict):
                    item.cites.add(str(value.get("id")))
                elif prop == "P50" and isinstance(value, dict) and ordinal:
                    item.authors[ordinal].add(str(value.get("id")))
                elif prop == "P2093" and isinstance(value, str) and ordinal:
                    item.name_strings[ordinal].add(value)

    def paper_facts(self, qids: list[str]) -> None:
        scholarly = self.settings.wikidata_scholarly_sparql
        bar = Progress("facts", -(-len(qids) // BATCH), self.stream)
        for chunk in batches(qids):
            rows = self._select(scholarly, _template(
                "wikidata_papers_facts", (_entity(q) for q in chunk)))
            for row in rows:
                it, prop, value = row.get("item"), row.get("property"), row.get("value")
                if it is None or prop is None or value is None:
                    continue
                item = self.item(qid_of(it.value))
                p = prop.value
                ordinal_term = row.get("ordinal")
                ordinal = int(ordinal_term.value) if ordinal_term is not None and \
                    ordinal_term.value.isdigit() else 0
                if p in ID_FIELDS:
                    item.ids[p].add(value.value.upper() if p == DOI else value.value)
                elif p == "P577":
                    item.dates.add(value.value)
                elif p == "P921":
                    item.subjects.add(qid_of(value.value))
                elif p == "P2860":
                    item.cites.add(qid_of(value.value))
                elif p == "label" and isinstance(value, ox.Literal):
                    item.labels.add(value.value)
                elif p == "P50" and ordinal:
                    item.authors[ordinal].add(qid_of(value.value))
                elif p == "P2093" and ordinal:
                    item.name_strings[ordinal].add(value.value)
            bar.step()

    def entity_facts(self, qids: list[str]) -> None:
        """Labels, aliases and identifiers of people and subjects (main query service)."""
        main = self.settings.wikidata_sparql
        for chunk in batches(qids):
            rows = self._select(main, _template("wikidata_entities",
                                                (_entity(q) for q in chunk)))
            for row in rows:
                it, prop, value = row.get("item"), row.get("property"), row.get("value")
                if it is None or prop is None or value is None:
                    continue
                item = self.item(qid_of(it.value))
                if prop.value == "label":
                    item.labels.add(value.value)
                elif prop.value == "alias":
                    item.aliases.add(value.value)
                else:
                    item.person_ids[prop.value].add(value.value)

    # -- people ------------------------------------------------------------------------------
    def match_people(self, papers: dict[str, str]) -> dict[str, str]:
        proposals: dict[str, set[str]] = defaultdict(set)
        for work, qid in sorted(papers.items()):
            item = self.item(qid)
            for position, person in sorted(self.curated.authors.get(work, {}).items()):
                authors = item.authors.get(position, set())
                if len(authors) != 1:
                    continue
                (author,) = authors
                ours = {normalise(n) for n in self.curated.names.get(person, set())}
                theirs = {normalise(n) for n in self.item(author).labels
                          | self.item(author).aliases}
                if ours & theirs:
                    proposals[person].add(author)
                else:
                    self.report.candidate(
                        person, author, f"author {position} of {qid} ({work}) but the names "
                        f"differ: {sorted(self.item(author).labels)} vs "
                        f"{sorted(self.curated.names.get(person, set()))}")
        orcid_people = sorted(self.curated.orcids)
        main = self.settings.wikidata_sparql
        for chunk in batches(orcid_people):
            rows = self._select(main, _template(
                "wikidata_people_by_orcid", (_literal(self.curated.orcids[p]) for p in chunk)))
            for row in rows:
                value, it = row.get("value"), row.get("item")
                if value is None or it is None:
                    continue
                for p in chunk:
                    if self.curated.orcids[p] == value.value:
                        proposals[p].add(qid_of(it.value))
        return self._unique(proposals, "people")

    def _unique(self, proposals: dict[str, set[str]], kind: str) -> dict[str, str]:
        """Only one-to-one links; the rest are candidates."""
        owners: dict[str, set[str]] = defaultdict(set)
        for subject, qids in proposals.items():
            for q in qids:
                owners[q].add(subject)
        links: dict[str, str] = {}
        for subject, qids in sorted(proposals.items()):
            if len(qids) > 1:
                for q in sorted(qids):
                    self.report.candidate(subject, q, f"one of {len(qids)} items the exact "
                                          f"identifiers point at ({kind})")
                continue
            (q,) = qids
            if len(owners[q]) > 1:
                self.report.candidate(subject, q, f"the item matches {len(owners[q])} of our "
                                      f"{kind}: {sorted(owners[q])}")
                continue
            links[subject] = q
        return links

    # -- venues ------------------------------------------------------------------------------
    def match_venues(self) -> dict[str, str]:
        venues = self.curated.venues
        acronyms = sorted({a for _k, acr, _n in venues.values() for a in acr})
        rows: list[Binding] = []
        for chunk in batches(acronyms, BATCH // 2):
            values = [_literal(a, lang) for a in chunk for lang in ("en", "mul")]
            rows.extend(self._select(self.settings.wikidata_sparql,
                                     _template("wikidata_venues_by_acronym", values)))
        seen: dict[str, dict[str, tuple[set[str], set[str]]]] = defaultdict(dict)
        for row in rows:
            short, it, cls, label = (row.get(k) for k in ("short", "item", "classLabel",
                                                          "label"))
            if short is None or it is None or cls is None or label is None:
                continue
            classes, labels = seen[short.value].setdefault(qid_of(it.value), (set(), set()))
            classes.add(cls.value.lower())
            labels.add(label.value)
            origin = row.get("kind")
            names = self.item(qid_of(it.value)).labels if origin is not None and \
                origin.value == "label" else self.item(qid_of(it.value)).aliases
            names.add(label.value)
        proposals: dict[str, set[str]] = defaultdict(set)
        for venue, (kind, acr, names) in sorted(venues.items()):
            ours = {normalise(n) for n in names}
            for a in acr:
                for qid, (classes, labels) in sorted(seen.get(a, {}).items()):
                    kind_ok = any(w in c for c in classes for w in _CLASS_WORDS.get(kind, ()))
                    label_ok = bool(ours & {normalise(x) for x in labels})
                    if kind_ok and label_ok:
                        proposals[venue].add(qid)
                    else:
                        why = "class" if not kind_ok else "label"
                        self.report.candidate(venue, qid, f"short name {a!r} agrees but the "
                                              f"{why} does not")
        return self._unique(proposals, "venues")

    # -- everything --------------------------------------------------------------------------
    def run(self, limit: int | None = None) -> list[ox.Triple]:
        works = sorted(self.curated.works, key=lambda w: w.iri)
        if limit is not None:
            works = works[:limit]
        found = self.find_papers(works)
        self.paper_facts(sorted({q for qs in found.values() for q in qs
                                 if not self.item(q).ids}))
        # verify every candidate item really carries the identifier (the API path, and DOI
        # case) and keep one-to-one links only
        proposals: dict[str, set[str]] = {}
        by_iri = {w.iri: w for w in works}
        for iri, qids in found.items():
            w = by_iri[iri]
            ok = {q for q in qids if any(v in self.item(q).ids.get(p, set())
                                         for p, v in w.ids().items())}
            if ok:
                proposals[iri] = ok
        papers = self._unique(proposals, "papers")
        for iri, qid in sorted(papers.items()):
            self._paper_conflicts(by_iri[iri], self.item(qid))
        # the works they cite that are not ours: their labels (scholarly query service)
        ours = set(papers.values())
        outside = sorted({q for qid in papers.values() for q in self.item(qid).cites
                          if q not in ours and not self.item(q).labels})
        self.paper_facts(outside)
        people_items = {q for qid in papers.values() for qs in self.item(qid).authors.values()
                        for q in qs}
        subject_items = {q for qid in papers.values() for q in self.item(qid).subjects}
        self.entity_facts(sorted(people_items | subject_items))
        people = self.match_people(papers)
        self.entity_facts(sorted(q for q in people.values() if q not in people_items))
        venues = self.match_venues()
        self.report.linked = {"papers": papers, "people": people, "venues": venues}
        self.report.requests = len(self.client.log.sent)
        self.report.cache_hits = self.client.log.cache_hits
        self.report.cache_misses = list(self.client.log.cache_misses)
        return self._facts(by_iri, papers, people, venues)

    def _paper_conflicts(self, w: Work, item: Item) -> None:
        for prop, ours in w.ids().items():
            theirs = item.ids.get(prop, set())
            if theirs and ours not in theirs:
                self.report.conflict(w.iri, f"wdt:{prop}", ours, ", ".join(sorted(theirs)),
                                     item.qid)
        years = {d[:4] for d in item.dates}
        if w.year and years and w.year not in years:
            self.report.conflict(w.iri, "wdt:P577 (year)", w.year, ", ".join(sorted(years)),
                                 item.qid)

    def _facts(self, works: dict[str, Work], papers: dict[str, str], people: dict[str, str],
               venues: dict[str, str]) -> list[ox.Triple]:
        out: list[ox.Triple] = []
        same = ox.NamedNode(enrichment.OWL_SAMEAS)
        label = ox.NamedNode(enrichment.RDFS_LABEL)

        def add(s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
            out.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o))

        def entity(qid: str) -> ox.NamedNode:
            return ox.NamedNode(f"{WD}{qid}")

        def labels(qid: str) -> None:
            for text in sorted(self.item(qid).labels):
                out.append(ox.Triple(entity(qid), label, ox.Literal(text, language="en")))

        for iri, qid in sorted(papers.items()):
            w, item = works[iri], self.item(qid)
            out.append(ox.Triple(ox.NamedNode(iri), same, entity(qid)))
            labels(qid)
            for prop, values in sorted(item.ids.items()):
                ours = w.ids().get(prop)
                if ours is not None and ours not in values:
                    continue  # a conflict: reported, not written
                for value in sorted(values):
                    if enrichment.ID_PATTERNS[str(WDT[prop])].match(value):
                        add(iri, str(WDT[prop]), ox.Literal(value))
            years = {d[:4] for d in item.dates}
            if not (w.year and years and w.year not in years):
                for d in sorted(item.dates):
                    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d):
                        add(iri, str(WDT.P577), ox.Literal(d, datatype=XSD_DATETIME))
            # citations (P2860): to our work when the cited item is one of ours, else to the item
            ours_by_qid = {q: i for i, q in papers.items()}
            for cited in sorted(item.cites):
                if not re.fullmatch(r"Q[1-9]\d*", cited) or ours_by_qid.get(cited) == iri:
                    continue
                target = ours_by_qid.get(cited)
                out.append(ox.Triple(ox.NamedNode(iri), ox.NamedNode(enrichment.CITES),
                                     ox.NamedNode(target) if target else entity(cited)))
                if target is None:
                    labels(cited)
            for subject in sorted(item.subjects):
                if re.fullmatch(r"Q[1-9]\d*", subject):
                    out.append(ox.Triple(ox.NamedNode(iri), ox.NamedNode(str(WDT.P921)),
                                         entity(subject)))
                    labels(subject)
        for iri, qid in sorted(people.items()):
            out.append(ox.Triple(ox.NamedNode(iri), same, entity(qid)))
            labels(qid)
            for prop, values in sorted(self.item(qid).person_ids.items()):
                pattern = enrichment.ID_PATTERNS.get(str(WDT[prop]))
                for value in sorted(values):
                    if pattern is not None and pattern.match(value):
                        add(iri, str(WDT[prop]), ox.Literal(value))
        for iri, qid in sorted(venues.items()):
            out.append(ox.Triple(ox.NamedNode(iri), same, entity(qid)))
            labels(qid)
        return sorted(set(out), key=str)


def _ordinal(statement: dict[str, Any]) -> int:
    for q in (statement.get("qualifiers") or {}).get("P1545", []):
        value = (q.get("datavalue") or {}).get("value")
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return 0


def provenance(inst: Instances, started: str, ended: str,
               queries_used: dict[str, str]) -> list[ox.Triple]:
    """The run as a ``prov:Activity`` that generated the enrichment graph."""
    graph = ox.NamedNode(str(inst.enrichment_graph))
    activity = ox.NamedNode(f"{inst.enrichment_graph}#activity")
    agent = ox.NamedNode(f"{inst.enrichment_graph}#caikg")
    prov = enrichment.PROV
    rdf_type = ox.NamedNode(enrichment.RDF_TYPE)
    out = [
        ox.Triple(graph, rdf_type, ox.NamedNode(prov + "Entity")),
        ox.Triple(graph, ox.NamedNode(prov + "wasGeneratedBy"), activity),
        ox.Triple(activity, rdf_type, ox.NamedNode(prov + "Activity")),
        ox.Triple(activity, ox.NamedNode(prov + "startedAtTime"),
                  ox.Literal(started, datatype=XSD_DATETIME)),
        ox.Triple(activity, ox.NamedNode(prov + "endedAtTime"),
                  ox.Literal(ended, datatype=XSD_DATETIME)),
        ox.Triple(activity, ox.NamedNode(prov + "wasAssociatedWith"), agent),
        ox.Triple(agent, rdf_type, ox.NamedNode(prov + "SoftwareAgent")),
        ox.Triple(agent, ox.NamedNode(enrichment.RDFS_LABEL), ox.Literal(f"caikg {__version__}")),
    ]
    for endpoint in sorted(set(queries_used.values())):
        out.append(ox.Triple(activity, ox.NamedNode(prov + "used"), ox.NamedNode(endpoint)))
    for digest, endpoint in sorted(queries_used.items()):
        node = ox.NamedNode(f"{inst.enrichment_graph}#query-{digest[:16]}")
        out += [
            ox.Triple(activity, ox.NamedNode(prov + "used"), node),
            ox.Triple(node, rdf_type, ox.NamedNode(prov + "Entity")),
            ox.Triple(node, ox.NamedNode(enrichment.DCTERMS_IDENTIFIER),
                      ox.Literal(f"sha256:{digest}")),
            ox.Triple(node, ox.NamedNode(prov + "atLocation"), ox.NamedNode(endpoint)),
        ]
    return out


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass
class EnrichResult:
    report: Report
    triples: list[ox.Triple]
    changed: bool


def enrich(settings: Settings, *, client: WikidataClient | None = None, offline: bool = False,
           dry_run: bool = False, limit: int | None = None, rebuild: bool = True,
           now: Callable[[], float] = time.time, stream: Any = None,
           progress: Callable[[str], None] = lambda _m: None) -> EnrichResult:
    """Run the enrichment, write the file atomically and rebuild the store.

    Any failure raises :class:`EnrichError` and leaves the previous enrichment file and store
    as they were."""
    inst = Instances(CANONICAL_BASE_IRI)
    started = now()
    try:
        client = client or WikidataClient(settings, offline=offline)
        enricher = Enricher(settings, client, read_curated(settings), stream)
        facts = enricher.run(limit)
    except WikidataError as exc:
        raise EnrichError(f"{exc}; the previous enrichment was kept") from None
    triples = facts + provenance(inst, _stamp(started), _stamp(now()), client.log.queries)
    report = enricher.report
    try:
        enrichment.check(triples, inst, enricher.curated.subjects)
    except enrichment.EnrichmentError as exc:  # a bug, but never write a broken file
        raise EnrichError(f"the enrichment is malformed: {exc}") from None
    if dry_run:
        return EnrichResult(report, triples, False)
    path = settings.enrichment_file
    previous = path.read_bytes() if path.exists() else None
    data = enrichment.serialize(triples, {k: PREFIXES[k] for k in (
        "owl", "wd", "wdt", "prov", "rdfs", "xsd", "dcterms", "cito")} | {
        "paper": f"{CANONICAL_BASE_IRI}paper/", "person": f"{CANONICAL_BASE_IRI}person/",
        "venue": f"{CANONICAL_BASE_IRI}venue/"})
    write_atomically(path, data)
    report.written = str(path)
    write_atomically(settings.enrichment_dir / "report.json", report.to_json().encode())
    if rebuild:
        try:
            build(settings, progress=progress)
        except (BuildError, StoreError) as exc:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, previous)
            raise EnrichError(f"the rebuild failed, the previous enrichment was restored: "
                              f"{exc}") from None
    return EnrichResult(report, triples, previous != data)
