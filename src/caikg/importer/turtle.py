"""Deterministic Turtle for ``data/``: the same graph is always written as the same bytes,
subjects in a stable order."""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from caikg.config import CANONICAL_BASE_IRI
from caikg.importer.markdown import ListImportError
from caikg.rdf.namespaces import PREFIXES

# --------------------------------------------------------------------------------------------
# Deterministic Turtle
# --------------------------------------------------------------------------------------------

INSTANCE_PREFIXES: dict[str, str] = {
    "paper": f"{CANONICAL_BASE_IRI}paper/",
    "person": f"{CANONICAL_BASE_IRI}person/",
    "venue": f"{CANONICAL_BASE_IRI}venue/",
    "technique": f"{CANONICAL_BASE_IRI}technique/",
    "scheme": f"{CANONICAL_BASE_IRI}scheme/",
}
"""Readable prefixes for instance data in the files the importer writes."""

_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_SUBJECT_ORDER = ("scheme/", "section/", "venue/", "person/", "paper/")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text) if t)


class _Writer:
    def __init__(self, prefixes: dict[str, str]) -> None:
        # longest namespace first, so "paper:" wins over a shorter enclosing namespace
        self.prefixes = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        for prefix, ns in self.prefixes:
            if iri.startswith(ns):
                local = iri[len(ns):]
                if local == "" or _LOCAL.match(local):
                    self.used.add(prefix)
                    return f"{prefix}:{local}"
        return f"<{iri}>"

    def literal(self, lit: Literal) -> str:
        text = "".join(_ESCAPES.get(c, c if c >= " " else f"\\u{ord(c):04X}")
                       for c in str(lit))
        if lit.language:
            return f'"{text}"@{lit.language}'
        if lit.datatype is not None and lit.datatype != XSD.string:
            return f'"{text}"^^{self.iri(str(lit.datatype))}'
        return f'"{text}"'

    def term(self, node: Node) -> str:
        if isinstance(node, URIRef):
            return self.iri(str(node))
        if isinstance(node, Literal):
            return self.literal(node)
        raise ListImportError(f"cannot write {node!r}: only IRIs and literals are supported "
                           f"(no blank nodes) in imported data")


def _subject_key(iri: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    rest = iri[len(CANONICAL_BASE_IRI):] if iri.startswith(CANONICAL_BASE_IRI) else None
    for i, segment in enumerate(_SUBJECT_ORDER):
        if rest is not None and rest.startswith(segment):
            return (i, _natural(iri))
    return (len(_SUBJECT_ORDER), _natural(iri))


def _object_key(node: Node) -> tuple[int, tuple[tuple[int, int | str], ...], str, str]:
    if isinstance(node, Literal):
        return (1, _natural(str(node)), str(node.datatype or ""), node.language or "")
    return (0, _natural(str(node)), "", "")


def serialize_turtle(graph: Graph, header: str = "") -> bytes:
    """``graph`` as Turtle whose bytes depend only on the triples (no blank nodes allowed).

    Subjects are grouped (scheme, sections, venues, people, papers) and sorted naturally
    (``#author-2`` before ``#author-10``); ``rdf:type`` comes first, then predicates and
    objects in sorted order; only the prefixes used are declared.
    """
    writer = _Writer({**PREFIXES, **INSTANCE_PREFIXES})
    subjects = sorted(set(graph.subjects()), key=lambda s: _subject_key(str(s)))
    blocks: list[str] = []
    for s in subjects:
        preds = sorted(set(graph.predicates(s)),
                       key=lambda p: (p != RDF.type, writer.iri(str(p))))
        lines = [writer.term(s)]
        for j, p in enumerate(preds):
            objs = sorted(graph.objects(s, p), key=_object_key)
            verb = "a" if p == RDF.type else writer.term(p)
            rendered = [writer.term(o) for o in objs]
            end = " ." if j == len(preds) - 1 else " ;"
            if len(rendered) == 1:
                lines.append(f"    {verb} {rendered[0]}{end}")
            else:
                lines.append(f"    {verb} {rendered[0]} ,")
                lines.extend(f"        {o} ," for o in rendered[1:-1])
                lines.append(f"        {rendered[-1]}{end}")
        blocks.append("\n".join(lines))
    all_prefixes = {**PREFIXES, **INSTANCE_PREFIXES}
    head = [f"@prefix {p}: <{all_prefixes[p]}> ." for p in sorted(writer.used)]
    parts = [header.rstrip("\n")] if header else []
    parts.append("\n".join(head))
    parts.extend(blocks)
    return ("\n\n".join(parts) + "\n").encode("utf-8")
