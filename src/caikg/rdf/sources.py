"""Reading RDF source files (ontology, shapes, data) with errors that name file and line.

Files are parsed with Oxigraph's parsers (fast, precise positions, and they never fetch
anything from the network); :func:`to_rdflib` converts for the libraries that need rdflib
(pySHACL, serialisers of formats Oxigraph lacks).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from caikg.config import CANONICAL_BASE_IRI
from caikg.rdf.formats import SOURCE_SUFFIXES
from caikg.rdf.namespaces import Instances

"""File extensions caikg reads as RDF. Reading never touches the network: Oxigraph's JSON-LD
parser has no document loader here, so a remote ``@context`` is an error (see
:func:`_remote_context_error`), and RDF/XML with entity declarations or an external DTD is
refused before it is parsed (see :func:`check_xml_prolog`)."""


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
    subject_lines: dict[str, tuple[Path, int | None]] = field(default_factory=dict)
    """Where to report nodes that no file names as a subject (the statements a build derives
    from the curated record are reported at the line of their source record)."""
    _line_index: dict[Path, SubjectLines] = field(default_factory=dict, repr=False,
                                                  compare=False)

    def __len__(self) -> int:
        return len(self.triples)

    def locate(self, subject: str) -> tuple[Path | None, int | None]:
        """File and (first) line where ``subject`` is described, if it can be found."""
        if subject in self.subject_lines:
            return self.subject_lines[subject]
        path = self.subject_files.get(subject)
        if path is None:
            return None, None
        index = self._line_index.get(path)
        if index is None:  # each file is read and indexed once, however many results it has
            index = self._line_index[path] = SubjectLines.of(path)
        return path, index.line(subject)


def rdf_files(paths: Iterable[Path]) -> list[Path]:
    """The RDF files named by ``paths`` (directories are expanded, sorted by name)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in SOURCE_SUFFIXES))
        elif path.exists():
            if path.suffix not in SOURCE_SUFFIXES:
                raise SourceError(path, f"unsupported RDF file type {path.suffix!r} "
                                  f"(use one of {', '.join(sorted(SOURCE_SUFFIXES))})")
            found.append(path)
        else:
            raise SourceError(path, "no such file or directory")
    return found


_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_POSITION = re.compile(r"line (\d+) column (\d+)")
_DTD_DANGER = re.compile(rb"<!ENTITY\b|<!DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM|PUBLIC)\b")


def line_of(data: bytes, offset: int) -> int:
    """1-based line of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, max(0, offset)) + 1


def check_xml_prolog(path: Path, data: bytes) -> None:
    """Refuse RDF/XML whose DTD declares entities or names an external DTD.

    Entity declarations allow exponential expansion ("billion laughs": Oxigraph's RDF/XML
    parser expands internal entities without a limit) and external ones name files or URLs
    (XXE); neither is needed for RDF. The error names the line of the ``<!DOCTYPE`` or
    ``<!ENTITY`` (Oxigraph's message for a DTD has no position)."""
    doctype = data.find(b"<!DOCTYPE")
    if doctype < 0:
        return
    m = _DTD_DANGER.search(data, doctype)
    if m is None:
        return
    what = ("an entity declaration (<!ENTITY>)" if m.group().startswith(b"<!ENTITY")
            else "an external DTD (<!DOCTYPE … SYSTEM/PUBLIC>)")
    raise SourceError(path, f"RDF/XML with {what} is refused: entities can expand without "
                      f"bound (billion laughs) or read other files and URLs (XXE); "
                      f"remove the DTD (write full IRIs) or convert the file to Turtle",
                      line_of(data, m.start()))


def _remote_contexts(value: object) -> Iterator[str]:
    """IRIs of the remote contexts (and ``@import``s) in a JSON-LD ``@context`` value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _remote_contexts(item)
    elif isinstance(value, dict):
        if isinstance(value.get("@import"), str):
            yield value["@import"]
        for item in value.values():
            if isinstance(item, dict) and "@context" in item:  # scoped contexts
                yield from _remote_contexts(item["@context"])


def _find_contexts(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                yield from _remote_contexts(value)
            else:
                yield from _find_contexts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _find_contexts(item)


def _remote_context_error(path: Path, data: bytes) -> SourceError:
    """The error for a JSON-LD file with a remote ``@context``, at the line that names it."""
    line = None
    iri = None
    with contextlib.suppress(ValueError, RecursionError):
        iri = next(_find_contexts(json.loads(data)), None)
    if iri is not None:
        needle = json.dumps(iri).encode()
        at = data.find(needle)
        if at < 0:
            at = data.find(b'"@context"')
        line = line_of(data, at) if at >= 0 else None
    shown = f" {iri!r}" if iri else ""
    return SourceError(path, f"remote JSON-LD context{shown} is not fetched (reading a file "
                       f"never uses the network): put the context inline", line)


def parse_file(path: Path) -> Iterator[ox.Triple]:
    """Triples of one file; any syntax or encoding problem becomes a :class:`SourceError`."""
    fmt = SOURCE_SUFFIXES.get(path.suffix)
    if fmt is None:
        raise SourceError(path, f"unsupported RDF file type {path.suffix!r}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, exc.strerror or str(exc)) from None
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml_prolog(path, data)
    try:
        # No base IRI: a relative IRI in a source file is an error, not a local file: IRI.
        default = ox.DefaultGraph()
        for quad in ox.parse(data, format=fmt):
            if quad.graph_name != default:
                raise SourceError(path, "named graphs are not allowed in a source file")
            yield quad.triple
    except SyntaxError as exc:
        msg = str(exc)
        if fmt == ox.RdfFormat.JSON_LD and "LoadDocumentCallback" in msg:
            raise _remote_context_error(path, data) from None
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
    subject_files = out.subject_files
    for path in rdf_files(paths):
        out.files.append(path)
        start = len(out.triples)
        out.triples.extend(parse_file(path))
        # which file describes each subject (a second pass in C-speed builtins where possible)
        for triple in itertools.islice(out.triples, start, None):
            subject = triple.subject
            if type(subject) is ox.NamedNode:
                iri = subject.value
                if iri not in subject_files:
                    subject_files[iri] = path
                if iri not in typed and triple.predicate == _RDF_TYPE:
                    typed.add(iri)
                    subject_files[iri] = path
    return out


@dataclass
class SubjectLines:
    """Where each subject of a Turtle-like file first starts a line, read in one pass: the
    first line that begins with each written term (``<iri>`` or ``prefix:local``)."""

    prefixes: dict[str, str]
    first: dict[str, int]

    @classmethod
    def of(cls, path: Path) -> SubjectLines:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            return cls({}, {})
        first: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.lstrip()
            if not stripped or stripped[0] in "#@":
                continue
            term = stripped.split(None, 1)[0]
            first.setdefault(term, number)
        return cls(dict(_PREFIX.findall(text)), first)

    def line(self, iri: str) -> int | None:
        found = [self.first.get(f"<{iri}>")]
        for prefix, ns in self.prefixes.items():
            if ns and iri.startswith(ns):
                found.append(self.first.get(f"{prefix}:{iri[len(ns):]}"))
        lines = [n for n in found if n is not None]
        return min(lines) if lines else None


_PREFIX = re.compile(r"@prefix\s+([\w-]*):\s*<([^>]*)>")


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


def rdflib_term(node: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """The rdflib term of a pyoxigraph term."""
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
        add((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)))
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


def rebase(triples: Iterable[ox.Triple], base_iri: str) -> list[ox.Triple]:
    """Move instance IRIs from the canonical base to ``base_iri`` (see docs/MODEL.md)."""
    if base_iri == CANONICAL_BASE_IRI:
        return list(triples)
    canonical = Instances(CANONICAL_BASE_IRI)

    Term = ox.NamedNode | ox.BlankNode | ox.Literal

    def term(node: Term) -> Term:
        if isinstance(node, ox.NamedNode) and canonical.is_instance(node.value):
            return ox.NamedNode(canonical.rebase(node.value, base_iri))
        return node

    return [ox.Triple(term(t.subject), term(t.predicate), term(t.object))  # type: ignore[arg-type]
            for t in triples]


def rebase_sources(sources: SourceSet, base_iri: str) -> SourceSet:
    """``sources`` with its instance IRIs moved to ``base_iri``."""
    if base_iri == CANONICAL_BASE_IRI:
        return sources
    canonical = Instances(CANONICAL_BASE_IRI)
    return SourceSet(
        triples=rebase(sources.triples, base_iri),
        files=sources.files,
        subject_files={canonical.rebase(s, base_iri): f for s, f in sources.subject_files.items()},
        subject_lines={canonical.rebase(s, base_iri): w for s, w in sources.subject_lines.items()},
    )
