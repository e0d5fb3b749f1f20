"""The enrichment graph's vocabulary, its check, and its (deterministic) file form.

``caikg enrich`` writes ``$CAIKG_HOME/enrichment/enrichment.ttl`` with the canonical base IRI
(like ``data/``); ``caikg build`` reads it, rebases it, checks it with :func:`check` and loads it
into ``{base}graph/enrichment``. Only the terms below may appear, so an enrichment file can add
links and identifiers but never restate (or contradict) a curated fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from caikg.rdf.namespaces import WD, WDT, Instances

OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SKOS_EXACT = SKOS + "exactMatch"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS_IDENTIFIER = "http://purl.org/dc/terms/identifier"
XSD = "http://www.w3.org/2001/XMLSchema#"

ENTITY = str(WD)
QID = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")

# facts about our entities: Wikidata's own direct properties, with the forms they allow
ID_PATTERNS: dict[str, re.Pattern[str]] = {
    str(WDT.P496): re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$"),  # ORCID iD
    str(WDT.P2456): re.compile(r"^[a-z]/[\w.'-]+(?:/[\w.'-]+)*$|^\d+/[\w-]+$"),  # DBLP author
    str(WDT.P1960): re.compile(r"^[-_0-9A-Za-z]{12}$"),  # Google Scholar author
    str(WDT.P356): re.compile(r"^10\.\d{4,9}/\S+$"),  # DOI (Wikidata: upper-case)
    str(WDT.P818): re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z.-]+/\d{7})$"),  # arXiv
    str(WDT.P8968): re.compile(r"^[\w-]{6,20}$"),  # OpenReview
}
ITEM_VALUED = {str(WDT.P921)}
CITES = "http://purl.org/spar/cito/cites"
"""Wikidata's "cites work" (P2860) between works: to our work, or to the Wikidata item."""
DATES = {str(WDT.P577)}
LINKS = {OWL_SAMEAS, SKOS_EXACT}
PROVENANCE = {RDF_TYPE, DCTERMS_IDENTIFIER, RDFS_LABEL} | {
    PROV + name for name in ("wasGeneratedBy", "startedAtTime", "endedAtTime", "used",
                             "wasAssociatedWith", "atLocation", "generatedAtTime")}


class EnrichmentError(ValueError):
    """The enrichment graph has triples it may not have."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "; ".join(self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{len(self.problems)} problem(s): {shown}{more}")


def provenance_node(inst: Instances) -> str:
    """The graph IRI; the activity and query nodes are fragments of it."""
    return str(inst.enrichment_graph)


def is_provenance(triple: ox.Triple, inst: Instances) -> bool:
    subject = triple.subject
    return isinstance(subject, ox.NamedNode) and subject.value.startswith(provenance_node(inst))


def facts(triples: Iterable[ox.Triple], inst: Instances) -> list[ox.Triple]:
    """The enrichment without its provenance record (what two runs must agree on)."""
    return [t for t in triples if not is_provenance(t, inst)]


def check(triples: Sequence[ox.Triple], inst: Instances, curated_subjects: set[str]
          ) -> tuple[list[ox.Triple], list[str]]:
    """The triples to load and the stale ones dropped; raise :class:`EnrichmentError` for
    triples no enrichment may contain."""
    problems: list[str] = []
    keep: list[ox.Triple] = []
    stale: list[str] = []
    for t in triples:
        s, p, o = t.subject, t.predicate.value, t.object
        if not isinstance(s, ox.NamedNode):
            problems.append(f"blank node subject in {t}")
            continue
        if is_provenance(t, inst):
            if p not in PROVENANCE:
                problems.append(f"{p} is not allowed in the provenance record")
            keep.append(t)
            continue
        if s.value.startswith(ENTITY):
            if not QID.match(s.value) or p != RDFS_LABEL or not isinstance(o, ox.Literal):
                problems.append(f"only rdfs:label literals may describe Wikidata items: {t}")
            keep.append(t)
            continue
        if not inst.is_instance(s.value):
            problems.append(f"subject {s.value} is neither ours nor a Wikidata item")
            continue
        if p == CITES:
            if not (isinstance(o, ox.NamedNode) and (QID.match(o.value) or (
                    inst.is_instance(o.value) and o.value in curated_subjects))):
                if isinstance(o, ox.NamedNode) and inst.is_instance(o.value):
                    stale.append(o.value)
                    continue
                problems.append(f"{p} must point at one of our works or a Wikidata item: {t}")
        elif p in LINKS or p in ITEM_VALUED:
            if not (isinstance(o, ox.NamedNode) and QID.match(o.value)):
                problems.append(f"{p} must point at a Wikidata item: {t}")
        elif p in ID_PATTERNS:
            if not (isinstance(o, ox.Literal) and ID_PATTERNS[p].match(o.value)):
                problems.append(f"malformed identifier: {t}")
        elif p in DATES:
            if not (isinstance(o, ox.Literal) and o.datatype.value == XSD + "dateTime"):
                problems.append(f"{p} must be an xsd:dateTime: {t}")
        else:
            problems.append(f"predicate {p} is not an enrichment property")
        if s.value not in curated_subjects:
            stale.append(s.value)
            continue
        keep.append(t)
    if problems:
        raise EnrichmentError(problems)
    return keep, sorted(set(stale))


def serialize(triples: Iterable[ox.Triple], prefixes: dict[str, str]) -> bytes:
    """Sorted Turtle: the same triples always give the same bytes."""
    ordered = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate),
                                                  str(t.object)))
    header = b"# caikg enrichment from Wikidata (written by 'caikg enrich'; do not edit)\n"
    return header + (ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
                     or b"")
