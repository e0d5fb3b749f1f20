"""The literature graphs' vocabulary, their check, and their (deterministic) file form.

``caikg enrich --source openalex,crossref,openreview,arxiv`` writes one file per source,
``$CAIKG_HOME/enrichment/literature-<source>.ttl``, with the canonical base IRI; ``caikg build``
reads each, rebases it, checks it with :func:`check` and loads it into
``{base}graph/literature/<source>``. Only the terms below may appear, and only about curated
works and people, their source records (``<work>#<source>…``), outside works
(``{base}cited/…``) and institutions (``{base}institution/…``): a literature file adds what a
source says, never a curated fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from caikg.build.enrichment_graph import EnrichmentError
from caikg.config import Settings
from caikg.rdf.namespaces import Instances

SOURCES = ("openalex", "crossref", "openreview", "arxiv")

CAIKG = "https://w3id.org/caikg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

SOURCE_RECORD = CAIKG + "literatureRecord"
SOURCE_RECORD_CLASS = CAIKG + "SourceRecord"
SOURCE_NAME = CAIKG + "sourceName"
CHECKED = CAIKG + "checkedOn"
DCT_SOURCE = DCT + "source"
DCT_LICENSE = DCT + "license"
DCT_TITLE = DCT + "title"
DCT_ABSTRACT = DCT + "abstract"
DCT_DATE = DCT + "date"
DCT_IDENTIFIER = DCT + "identifier"
YEAR = "http://purl.org/spar/fabio/hasPublicationYear"
DOI = "http://purl.org/ontology/bibo/doi"
ARXIV = CAIKG + "arxivId"
OPENALEX_ID = CAIKG + "openAlexId"
VENUE_NAME = CAIKG + "venueName"
WORK_TYPE = CAIKG + "workType"
JOURNAL_REF = CAIKG + "journalRef"
CITED_BY_COUNT = CAIKG + "citedByCount"
CITED_BY_YEAR = CAIKG + "citedByInYear"
VERSION = CAIKG + "version"
VERSION_LABEL = CAIKG + "versionLabel"
SUBMISSION = CAIKG + "submission"
SUBMISSION_CLASS = CAIKG + "Submission"
DECISION = CAIKG + "decision"
DECISION_TEXT = CAIKG + "decisionText"
PRESENTATION = CAIKG + "presentationType"
OUTCOME_CONCEPTS = {"accepted-oral": ("Accepted", "oral"),
                    "accepted-spotlight": ("Accepted", "spotlight"),
                    "accepted-poster": ("Accepted", "poster"), "accepted": ("Accepted", None),
                    "rejected": ("Rejected", None), "withdrawn": ("Withdrawn", None),
                    "desk-rejected": ("DeskRejected", None), "under-review": ("Pending", None)}
"""An OpenReview outcome as the decision concept of the curated record (and its type)."""
CITES = "http://purl.org/spar/cito/cites"
EXTERNAL_WORK = CAIKG + "ExternalWork"
AUTHOR_RECORD = CAIKG + "authorRecord"
NAME = "https://schema.org/name"
ORDINAL = CAIKG + "ordinal"
AGENT = PROV + "agent"
ORCID = "http://www.wikidata.org/prop/direct/P496"  # as the curated data state ORCID iDs
AFFILIATION = "https://schema.org/affiliation"
ORGANIZATION = "https://schema.org/Organization"
SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"

ORCID_FORM = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")

LITERALS = {SOURCE_NAME, CHECKED, DCT_TITLE, DCT_ABSTRACT, DCT_DATE, YEAR, DOI, ARXIV,
            OPENALEX_ID, VENUE_NAME, WORK_TYPE, JOURNAL_REF, CITED_BY_COUNT, VERSION_LABEL,
            DECISION_TEXT, PRESENTATION, NAME, ORDINAL, ORCID}
LINKS = {SOURCE_RECORD, DCT_SOURCE, DCT_LICENSE, CITED_BY_YEAR, VERSION, CITES,
         AUTHOR_RECORD, AGENT, AFFILIATION, SAME_AS, SUBMISSION, DECISION}
TYPES = {SOURCE_RECORD_CLASS, EXTERNAL_WORK, ORGANIZATION, SUBMISSION_CLASS}
ENTITY_PROPERTIES = {CITES, SOURCE_RECORD, ORCID}
PROVENANCE = {RDF_TYPE, DCT_IDENTIFIER, RDFS_LABEL} | {
    PROV + name for name in ("wasGeneratedBy", "startedAtTime", "endedAtTime", "used",
                             "wasAssociatedWith", "atLocation")}


class LiteratureError(EnrichmentError):
    """A literature graph has triples it may not have."""


def graph_iri(inst: Instances, source: str) -> str:
    return str(inst.graph(f"literature/{source}"))


def file_of(settings: Settings, source: str) -> Path:
    return settings.enrichment_dir / f"literature-{source}.ttl"


def files(settings: Settings) -> dict[str, Path]:
    """The literature files that exist, by source."""
    return {s: p for s in SOURCES if (p := file_of(settings, s)).exists()}


def _owner(subject: str) -> str:
    """The curated entity a source record (or its parts) hangs from: ``<work>#<source>…``."""
    return subject.split("#", 1)[0]


def check(triples: Sequence[ox.Triple], inst: Instances, source: str,
          curated_subjects: set[str]) -> tuple[list[ox.Triple], list[str]]:
    """The triples to load and the curated entities no longer there (their triples are
    dropped); raise :class:`LiteratureError` for triples no literature graph may contain."""
    problems: list[str] = []
    keep: list[ox.Triple] = []
    stale: set[str] = set()
    graph = graph_iri(inst, source)
    cited, institution = f"{inst.base}cited/", f"{inst.base}institution/"
    for t in triples:
        s, p, o = t.subject, t.predicate.value, t.object
        if not isinstance(s, ox.NamedNode):
            problems.append(f"blank node subject in {t}")
            continue
        if s.value.startswith(graph):
            if p not in PROVENANCE:
                problems.append(f"{p} is not allowed in the provenance record")
            keep.append(t)
            continue
        if not inst.is_instance(s.value):
            problems.append(f"subject {s.value} is not one of ours")
            continue
        if p == RDF_TYPE:
            if not (isinstance(o, ox.NamedNode) and o.value in TYPES):
                problems.append(f"type {o} is not a literature class: {t}")
        elif p in LINKS:
            if not isinstance(o, ox.NamedNode):
                problems.append(f"{p} must point at an IRI: {t}")
        elif p in LITERALS:
            if not isinstance(o, ox.Literal):
                problems.append(f"{p} must be a literal: {t}")
            elif p == ORCID and not ORCID_FORM.match(o.value):
                problems.append(f"malformed ORCID iD: {t}")
        else:
            problems.append(f"predicate {p} is not a literature property")
        on_entity = "#" not in s.value and not s.value.startswith((cited, institution))
        if on_entity and p not in ENTITY_PROPERTIES:
            # a curated work or person gets links only; what a source says stays on its record
            problems.append(f"{p} may not be stated of the curated {s.value} (only "
                            "cito:cites, caikg:literatureRecord and an ORCID iD)")
        if p == ORCID and on_entity and not s.value.startswith(f"{inst.base}person/"):
            problems.append(f"only people and author records have ORCID iDs: {t}")
        if s.value.startswith((cited, institution)):
            keep.append(t)
            continue
        if _owner(s.value) not in curated_subjects:
            stale.add(_owner(s.value))
            continue
        if p == CITES and isinstance(o, ox.NamedNode) and not (
                o.value.startswith(cited) or o.value in curated_subjects):
            stale.add(o.value)
            continue
        keep.append(t)
    if problems:
        raise LiteratureError(problems)
    return keep, sorted(stale)


def serialize(triples: Iterable[ox.Triple], source: str) -> bytes:
    """Sorted Turtle: the same triples always give the same bytes."""
    ordered = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate),
                                                  str(t.object)))
    prefixes = {"caikg": CAIKG, "cito": "http://purl.org/spar/cito/", "dcterms": DCT,
                "prov": PROV, "schema": "https://schema.org/", "xsd": XSD,
                "fabio": "http://purl.org/spar/fabio/", "bibo": "http://purl.org/ontology/bibo/",
                "wdt": "http://www.wikidata.org/prop/direct/",
                "paper": "https://w3id.org/caikg/paper/",
                "cited": "https://w3id.org/caikg/cited/",
                "person": "https://w3id.org/caikg/person/"}
    header = (f"# caikg literature from {source} (written by 'caikg enrich --source {source}'; "
              "do not edit)\n").encode()
    return header + (ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
                     or b"")
