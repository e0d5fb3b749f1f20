"""JSON-LD to embed in a page (``<script type="application/ld+json">``): the triples of a twin,
compacted with an inline context and nested, so that a search engine reads
``"@type": "ScholarlyArticle"`` and ``"author": {"name": …}`` the way schema.org's examples
write them. Expanded, the document is exactly the graph it was made from (no remote context,
no term coercion, every literal with its datatype or language); the twins themselves stay
pyoxigraph's (``rdf/formats.py``).

* **Context**: ``@vocab`` is schema.org, so its terms are bare (``name``, ``author``); other
  vocabularies are prefixed (``prov:agent``, ``xsd:gYear``) with the prefixes given; anything
  else is a full IRI. A schema.org property whose every value is a node is declared
  ``"@type": "@id"``, so that a link is a plain string (``"url": "https://…"``).
* **Nesting**: each node is written once, in full, where a walk from ``top`` first meets it
  (schema.org properties first); later mentions are ``{"@id": …}``. A blank node nested where
  it is mentioned once goes without ``@id``. Nodes the walk does not reach are listed after.
* :func:`script_text` makes the JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` are
  written ``\\u003c``, ``\\u003e``, ``\\u0026`` (only strings can hold them), so data can
  never close the element.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_TERM = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
"""A schema.org local name written as a bare term."""
_SUFFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
"""The part of a compact IRI after ``prefix:`` (never starting with ``//``)."""

Node = ox.NamedNode | ox.BlankNode


class _Compactor:
    def __init__(self, prefixes: Mapping[str, str], reserved: set[str]) -> None:
        # longest namespace first, so that the most specific prefix wins; never a prefix named
        # like the scheme of an IRI of the graph ("urn"), which would turn it into another IRI
        self.reserved = reserved
        self.prefixes = sorted(((p, ns) for p, ns in prefixes.items()
                                if ns.endswith(("/", "#")) and _TERM.match(p)
                                and ns != SCHEMA and p not in reserved),
                               key=lambda item: (-len(item[1]), item[0]))
        self.names = {p for p, _ in self.prefixes}
        self.used: dict[str, str] = {}
        self.links: dict[str, dict[str, str]] = {}

    def vocab(self, iri: str) -> str:
        """``iri`` as a key or a type (vocabulary-relative)."""
        if iri.startswith(SCHEMA):
            local = iri[len(SCHEMA):]
            if _TERM.match(local) and local not in self.names:
                return local
        for prefix, ns in self.prefixes:
            if iri.startswith(ns) and _SUFFIX.match(iri[len(ns):]):
                self.used[prefix] = ns
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def link(self, iri: str) -> str | None:
        """The bare term of the schema.org property ``iri`` declared to take IRIs as plain
        strings (``"url": "https://…"``, as schema.org's own context has it); None if it has
        no bare term."""
        term = self.vocab(iri)
        if ":" in term or term in self.reserved:
            return None
        self.links[term] = {"@id": iri, "@type": "@id"}
        return term

    def plain_iri(self, key: str) -> bool:
        """``key`` (an IRI or ``_:`` id) reads the same as a plain string under ``@type:
        @id`` (its scheme is not a term of the context)."""
        return key.startswith("_:") or key.split(":", 1)[0] not in self.names | set(self.links)

    def context(self) -> dict[str, Any]:
        return {"@vocab": SCHEMA, **dict(sorted(self.used.items())),
                **dict(sorted(self.links.items()))}


def _key(term: Node) -> str:
    return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value


def compact(triples: Iterable[ox.Triple], prefixes: Mapping[str, str],
            top: str | None = None) -> dict[str, Any]:
    """A JSON-LD document (``@context`` and ``@graph``) of ``triples``, starting with the node
    ``top`` (an IRI) when given."""
    out: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = defaultdict(
        lambda: defaultdict(list))
    subjects: dict[str, Node] = {}
    mentions: dict[str, int] = defaultdict(int)
    for t in triples:
        s = t.subject
        if not isinstance(s, ox.NamedNode | ox.BlankNode):
            raise ValueError(f"not an RDF 1.1 triple: {t}")
        o = t.object
        if not isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal):
            raise ValueError(f"not an RDF 1.1 triple: {t}")
        subjects.setdefault(_key(s), s)
        out[_key(s)][t.predicate.value].append(o)
        if isinstance(o, ox.NamedNode | ox.BlankNode):
            mentions[_key(o)] += 1
    iris = set(subjects)
    for properties in out.values():
        iris |= set(properties)
        for values in properties.values():
            iris |= {v.datatype.value if isinstance(v, ox.Literal) else v.value
                     for v in values if not isinstance(v, ox.BlankNode)}
    cx = _Compactor(prefixes, {iri.split(":", 1)[0] for iri in iris})
    written: set[str] = set()
    literal_values: dict[str, set[bool]] = defaultdict(set)
    for properties in out.values():
        for predicate, values in properties.items():
            literal_values[predicate] |= {isinstance(v, ox.Literal) for v in values}
    linking = {p for p, kinds in literal_values.items()
               if kinds == {False} and p != RDF_TYPE and p.startswith(SCHEMA)}

    def order(predicate: str) -> tuple[int, str]:
        return (0 if predicate == RDF_TYPE else 1 if predicate.startswith(SCHEMA) else 2,
                predicate)

    def literal(lit: ox.Literal) -> str | dict[str, str]:
        if lit.language:
            return {"@value": lit.value, "@language": lit.language}
        datatype = lit.datatype.value
        if datatype == XSD_STRING:
            return lit.value
        return {"@value": lit.value, "@type": cx.vocab(datatype)}

    def reference(term: Node, plain: bool) -> str | dict[str, Any]:
        key = _key(term)
        if key in subjects and key not in written:
            return node(term, nested=True)
        return key if plain and cx.plain_iri(key) else {"@id": key}

    def node(term: Node, nested: bool = False) -> dict[str, Any]:
        key = _key(term)
        written.add(key)
        obj: dict[str, Any] = {}
        if isinstance(term, ox.NamedNode) or not nested or mentions[key] != 1:
            obj["@id"] = key
        properties = out.get(key, {})
        for predicate in sorted(properties, key=order):
            values = sorted(properties[predicate], key=lambda v: (type(v).__name__, str(v)))
            if predicate == RDF_TYPE and all(isinstance(v, ox.NamedNode) for v in values):
                types = [cx.vocab(v.value) for v in values]
                obj["@type"] = types[0] if len(types) == 1 else types
                continue
            link = cx.link(predicate) if predicate in linking else None
            written_values = [literal(v) if isinstance(v, ox.Literal)
                              else reference(v, link is not None) for v in values]
            obj[link or cx.vocab(predicate)] = (written_values[0] if len(written_values) == 1
                                                else written_values)
        return obj

    graph: list[dict[str, Any]] = []
    if top is not None and top in subjects:
        graph.append(node(subjects[top]))
    for key in sorted(subjects, key=lambda k: (mentions[k] > 0, k)):
        if key not in written:
            graph.append(node(subjects[key]))
    return {"@context": cx.context(), "@graph": graph}


def script_text(document: Mapping[str, Any]) -> str:
    """``document`` as JSON that cannot end a ``<script>`` element or start markup."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
