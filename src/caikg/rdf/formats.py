"""The result and RDF formats the web application speaks, with their media types and the
short names accepted by the ``format`` (or ``output``) parameter."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    key: str  # the executor's name for it
    media_type: str
    aliases: tuple[str, ...]
    extension: str


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ("json", "srj", "application/json",
                                                       "text/javascript"), "srj"),
    Format("xml", "application/sparql-results+xml", ("xml", "srx", "application/xml"), "srx"),
    Format("csv", "text/csv", ("csv",), "csv"),
    Format("tsv", "text/tab-separated-values", ("tsv",), "tsv"),
)
"""For SELECT and ASK, in order of preference."""

GRAPH_FORMATS: tuple[Format, ...] = (
    Format("ttl", "text/turtle", ("turtle", "ttl", "n3", "application/x-turtle",
                                  "application/turtle", "text/n3", "text/rdf+n3"), "ttl"),
    Format("nt", "application/n-triples", ("ntriples", "n-triples", "nt"), "nt"),
    Format("jsonld", "application/ld+json", ("json-ld", "jsonld", "json", "application/json",
                                             "application/x-json+ld"), "jsonld"),
    Format("rdfxml", "application/rdf+xml", ("rdf", "rdfxml", "rdf+xml", "xml",
                                             "application/xml"), "rdf"),
    Format("trig", "application/trig", ("trig",), "trig"),
    Format("nq", "application/n-quads", ("nquads", "n-quads", "nq"), "nq"),
)
"""For CONSTRUCT, DESCRIBE and entity documents, in order of preference."""


def by_name(name: str, formats: tuple[Format, ...]) -> Format | None:
    """The format a ``format=`` value names (a short name or a media type)."""
    wanted = name.strip().lower()
    for fmt in formats:
        if wanted == fmt.media_type or wanted in fmt.aliases or wanted == fmt.key:
            return fmt
    return None


def by_media_type(media_type: str, formats: tuple[Format, ...]) -> Format:
    return next(f for f in formats if f.media_type == media_type)
