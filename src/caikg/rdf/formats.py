"""The one registry of formats: every result, RDF, table, feed and citation format caikg reads
or writes, with its media type, file extension, the names the ``format`` (or ``output``)
parameter accepts, its W3C format IRI and its pyoxigraph counterpart. Every module reads
formats from here: the SPARQL endpoint and its result writers, the entity twins (RDF and
citation records), the dumps, the source reader, the API tables and the service description;
each picks the formats of its kind, so a citation format is never a SPARQL result or a dump."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    key: str
    """Our name for it (``format=`` value, executor argument, ``caikg export --format``)."""
    label: str
    media_type: str
    extension: str
    """File extension of a dump or an entity twin (``/paper/x.ttl``)."""
    kind: str
    """``"results"`` (SELECT/ASK), ``"graph"`` (RDF), ``"table"`` (API tables), ``"source"``
    (read only, from data files), ``"feed"`` (the Atom feeds of changes) or ``"citation"``
    (citation records of works: twins of the paper and technique pages and of paper lists)."""
    aliases: tuple[str, ...] = ()
    w3c: str | None = None
    """Local name under http://www.w3.org/ns/formats/ (service description)."""
    twin: bool = False
    """Offered as an entity page's machine twin."""
    prefixed: bool = False
    """Written with our prefixes (the formats that abbreviate IRIs)."""
    suffixes: tuple[str, ...] = ()
    """Data files read in this format (``caikg build --data``)."""

    @property
    def rdf_format(self) -> ox.RdfFormat:
        """pyoxigraph's RDF format (graph and source formats)."""
        return ox.RdfFormat.from_media_type(self.media_type)  # type: ignore[return-value]

    @property
    def results_format(self) -> ox.QueryResultsFormat:
        """pyoxigraph's query results format (result formats)."""
        return ox.QueryResultsFormat.from_media_type(self.media_type)  # type: ignore[return-value]

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of a response in this format: pyoxigraph's, which names the
        charset where the media type does not imply it (``text/csv; charset=utf-8``)."""
        if self.kind == "results":
            return self.results_format.media_type
        if self.kind == "citation" and not self.media_type.endswith("json"):
            return self.media_type + "; charset=utf-8"
        return self.media_type

    @property
    def dataset(self) -> bool:
        """The format carries named graphs (TriG, N-Quads)."""
        return self.kind == "graph" and self.rdf_format.supports_datasets


FORMATS: tuple[Format, ...] = (
    # SELECT and ASK results, in order of preference
    Format("json", "SPARQL JSON", "application/sparql-results+json", "srj", "results",
           ("json", "srj", "application/json", "text/javascript"), "SPARQL_Results_JSON"),
    Format("xml", "SPARQL XML", "application/sparql-results+xml", "srx", "results",
           ("xml", "srx", "application/xml"), "SPARQL_Results_XML"),
    Format("csv", "CSV", "text/csv", "csv", "results", ("csv",), "SPARQL_Results_CSV"),
    Format("tsv", "TSV", "text/tab-separated-values", "tsv", "results", ("tsv",),
           "SPARQL_Results_TSV"),
    # RDF: CONSTRUCT and DESCRIBE results, entity documents and dumps, in order of preference
    Format("ttl", "Turtle", "text/turtle", "ttl", "graph",
           ("turtle", "ttl", "n3", "application/x-turtle", "application/turtle", "text/n3",
            "text/rdf+n3"), "Turtle", twin=True, prefixed=True, suffixes=(".ttl",)),
    Format("nt", "N-Triples", "application/n-triples", "nt", "graph",
           ("ntriples", "n-triples", "nt"), "N-Triples", twin=True, suffixes=(".nt",)),
    Format("jsonld", "JSON-LD", "application/ld+json", "jsonld", "graph",
           ("json-ld", "jsonld", "json", "application/json", "application/x-json+ld"),
           "JSON-LD", twin=True, suffixes=(".jsonld",)),
    Format("rdfxml", "RDF/XML", "application/rdf+xml", "rdf", "graph",
           ("rdf", "rdfxml", "rdf+xml", "xml", "application/xml"), "RDF_XML", twin=True,
           prefixed=True, suffixes=(".rdf", ".owl")),
    Format("trig", "TriG", "application/trig", "trig", "graph", ("trig",), "TriG",
           prefixed=True, suffixes=(".trig",)),
    Format("nq", "N-Quads", "application/n-quads", "nq", "graph", ("nquads", "n-quads", "nq"),
           "N-Quads", suffixes=(".nq",)),
    Format("n3", "N3", "text/n3", "n3", "source", suffixes=(".n3",)),
    # tables of the API and of the record pages (/compare.csv, /api/...?format=csv)
    Format("json", "JSON", "application/json", "json", "table", ("json",)),
    Format("csv", "CSV", "text/csv", "csv", "table", ("csv",)),
    # the feeds of works added or changed per data version (/feed.atom, /technique/<slug>.atom)
    Format("atom", "Atom feed", "application/atom+xml", "atom", "feed", ("atom",)),
    # citation records of works (/paper/<slug>.ris, /technique/<slug>.ris, /browse.ris?q=…)
    Format("bibtex", "BibTeX", "application/x-bibtex", "bib", "citation", ("bibtex", "bib")),
    Format("ris", "RIS", "application/x-research-info-systems", "ris", "citation", ("ris",)),
    Format("csljson", "CSL-JSON", "application/vnd.citationstyles.csl+json", "csl.json",
           "citation", ("csl-json", "csljson", "csl")),
)

RESULT_FORMATS = tuple(f for f in FORMATS if f.kind == "results")
"""For SELECT and ASK, in order of preference."""
GRAPH_FORMATS = tuple(f for f in FORMATS if f.kind == "graph")
"""For CONSTRUCT, DESCRIBE, entity documents and dumps, in order of preference."""
TABLE_FORMATS = tuple(f for f in FORMATS if f.kind == "table")
"""For the API's and the record pages' tables."""
TWIN_FORMATS = tuple(f for f in GRAPH_FORMATS if f.twin)
"""An entity page's machine twins."""
CITATION_FORMATS = tuple(f for f in FORMATS if f.kind == "citation")
"""Citation records: twins of the pages that list works (a paper, a technique, a paper list)."""
FEED_FORMAT = next(f for f in FORMATS if f.kind == "feed")
"""Atom: the feeds of changes of the whole graph, a technique and a person."""
RESULT_BY_KEY = {f.key: f for f in RESULT_FORMATS}
GRAPH_BY_KEY = {f.key: f for f in GRAPH_FORMATS}
SOURCE_SUFFIXES: dict[str, ox.RdfFormat] = {
    suffix: f.rdf_format for f in FORMATS for suffix in f.suffixes}
"""File suffix → how a data file is parsed."""


def by_name(name: str, formats: tuple[Format, ...]) -> Format | None:
    """The format a ``format=`` value names (a short name or a media type)."""
    wanted = name.strip().lower()
    for fmt in formats:
        if wanted == fmt.media_type or wanted in fmt.aliases or wanted == fmt.key:
            return fmt
    return None


def by_media_type(media_type: str, formats: tuple[Format, ...]) -> Format:
    return next(f for f in formats if f.media_type == media_type)


def by_extension(extension: str, formats: tuple[Format, ...]) -> Format | None:
    return next((f for f in formats if f.extension == extension), None)
