"""Reading RDF source files (ontology, shapes, data) with errors that name file and line.

Files are parsed with Oxigraph's parsers (fast, precise positions, and they never fetch
anything from the network); :func:`to_rdflib` converts for the libraries that need rdflib
(pySHACL, serialisers of formats Oxigraph lacks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}
"""File extensions caikg reads as RDF. JSON-LD is deliberately absent: a remote
``@context`` would make reading a file fetch from the network."""


class SourceError(Exception):
    """A source file cannot be read; ``str()`` names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None,
                 column: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        where = f"{self.path}"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


@dataclass
class SourceSet:
    """Triples read from a set of files, remembering which file each subject came from."""

    triples: list[ox.Triple] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    subject_files: dict[str, Path] = field(default_factory=dict)
    """For each IRI subject, the file that types it (else the first file it appears in)."""

    def __len__(self) -> int:
        return len(self.triples)

    def locate(self, subject: str) -> tuple[Path | None, int | None]:
        """File and (first) line where ``subject`` is described, if it can be found."""
        path = self.subject_files.get(subject)
        if path is None:
            return None, None
        return path, find_subject_line(path, subject)


def rdf_files(paths: Iterable[Path]) -> list[Path]:
    """The RDF files named by ``paths`` (directories are expanded, sorted by name)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in FORMATS))
        elif path.exists():
            if path.suffix not in FORMATS:
                raise SourceError(path, f"unsupported RDF file type {path.suffix!r} "
                                  f"(use one of {', '.join(sorted(FORMATS))})")
            found.append(path)
        else:
            raise SourceError(path, "no such file or directory")
    return found


_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_POSITION = re.compile(r"line (\d+) column (\d+)")


def parse_file(path: Path) -> Iterator[ox.Triple]:
    """Triples of one file; any syntax or encoding problem becomes a :class:`SourceError`."""
    fmt = FORMATS.get(path.suffix)
    if fmt is None:
        raise SourceError(path, f"unsupported RDF file type {path.suffix!r}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, exc.strerror or str(exc)) from None
    try:
        # No base IRI: a relative IRI in a source file is an error, not a local file: IRI.
        for quad in ox.parse(data, format=fmt):
            if quad.graph_name != ox.DefaultGraph():
                raise SourceError(path, "named graphs are not allowed in a source file")
            yield quad.triple
    except SyntaxError as exc:
        msg = str(exc)
        m = _POSITION.search(msg)
        line = int(m.group(1)) if m else getattr(exc, "lineno", None)
        column = int(m.group(2)) if m else None
        raise SourceError(path, f"syntax error: {msg}", line, column) from None
    except (ValueError, UnicodeError) as exc:
        raise SourceError(path, f"cannot be read: {exc}") from None


def read_sources(paths: Iterable[Path]) -> SourceSet:
    """Parse every RDF file in ``paths``."""
    out = SourceSet()
    typed: set[str] = set()
    for path in rdf_files(paths):
        out.files.append(path)
        for triple in parse_file(path):
            out.triples.append(triple)
            subject = triple.subject
            if isinstance(subject, ox.NamedNode):
                iri = subject.value
                if triple.predicate == _RDF_TYPE and iri not in typed:
                    typed.add(iri)
                    out.subject_files[iri] = path
                else:
                    out.subject_files.setdefault(iri, path)
    return out


def find_subject_line(path: Path, iri: str) -> int | None:
    """Line of ``path`` where ``iri`` first appears as a subject (full or prefixed form)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return None
    prefixes = dict(re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>", text))
    forms = [f"<{iri}>"]
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and ns:
            forms.append(f"{prefix}:{iri[len(ns):]}")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if any(stripped.startswith(form) and stripped[len(form):][:1] in {"", " ", "\t"}
               for form in forms):
            return number
    return None


def _term(node: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    if isinstance(node, ox.NamedNode):
        return URIRef(node.value)
    if isinstance(node, ox.BlankNode):
        return BNode(node.value)
    if isinstance(node, ox.Literal):
        if node.language:
            return Literal(node.value, lang=node.language)
        datatype = node.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(node.value)
        return Literal(node.value, datatype=URIRef(datatype))
    raise TypeError(f"RDF-star triple terms are not supported: {node}")


def to_rdflib(triples: Iterable[ox.Triple], graph: Graph | None = None) -> Graph:
    """Oxigraph triples as an rdflib graph (added to ``graph`` when given)."""
    out = Graph() if graph is None else graph
    add = out.add
    for t in triples:
        add((_term(t.subject), _term(t.predicate), _term(t.object)))
    return out


def from_rdflib_term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(f"unsupported term {node!r}")


def from_rdflib(graph: Graph) -> list[ox.Triple]:
    return [ox.Triple(from_rdflib_term(s), from_rdflib_term(p),  # type: ignore[arg-type]
                      from_rdflib_term(o)) for s, p, o in graph]
