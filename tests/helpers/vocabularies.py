"""Terms of reused vocabularies that rdflib does not ship (FaBiO and BIBO).

Only the terms caikg uses are listed. Each was checked against the published vocabulary:
FaBiO 2.1 (http://purl.org/spar/fabio, 2019-02-19) and BIBO 1.3
(http://purl.org/ontology/bibo/). Add a term here only after finding it there.
"""

from __future__ import annotations

from rdflib import URIRef

from caikg.rdf.namespaces import BIBO, FABIO

FABIO_TERMS: frozenset[str] = frozenset({
    # classes
    "ResearchPaper",    # a scholarly work reporting original research
    "ReviewArticle",    # an article that reviews (surveys) other work
    "BlogPost",         # an entry in a blog
    "AcademicProceedings",
    "JournalArticle",
    "ConferencePaper",
    "WebContent",
    # properties
    "hasPublicationYear",  # range xsd:gYear
    "hasArXivId",
    "hasURL",
})

BIBO_TERMS: frozenset[str] = frozenset({
    # classes
    "DocumentStatus",
    "Journal",
    "Conference",
    "AcademicArticle",
    # properties
    "doi",
    "status",
    "shortTitle",
    # document status individuals (in the bibo/status/ sub-namespace)
    "status/accepted",
    "status/draft",
    "status/forthcoming",
    "status/legal",
    "status/nonPeerReviewed",
    "status/peerReviewed",
    "status/published",
    "status/rejected",
    "status/unpublished",
})

EXTRA_VOCABULARIES: dict[str, frozenset[str]] = {
    str(FABIO): FABIO_TERMS,
    str(BIBO): BIBO_TERMS,
}


def in_extra_vocabulary(term: URIRef) -> bool | None:
    """True/False if ``term`` is in FaBiO or BIBO and is/is not a real term; None otherwise."""
    for ns, names in EXTRA_VOCABULARIES.items():
        if str(term).startswith(ns):
            return str(term)[len(ns):] in names
    return None
