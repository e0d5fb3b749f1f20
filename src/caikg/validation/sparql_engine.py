"""A SHACL engine that evaluates caikg's shapes as SPARQL queries over an Oxigraph store.

pySHACL (the reference engine, ``CAIKG_SHACL_ENGINE=pyshacl``) walks every focus node in Python
and needs the data as an rdflib graph; at a million triples it takes minutes. This engine
(``CAIKG_SHACL_ENGINE=sparql``, the default) compiles the shapes graph into SPARQL queries that
find the violations of *all* focus nodes of a shape at once (set-at-a-time), and runs them on
an in-memory Oxigraph store loaded with the data's triples. It produces the same results as
pySHACL (same focus node, severity, source shape, constraint component, path, value and
message); ``tests/test_shacl_engines.py`` compares both engines on every example and on
generated data with injected errors.

How shapes are compiled
-----------------------
- The focus nodes of a shape are one SPARQL sub-select: the union of its targets
  (``sh:targetClass`` with ``rdfs:subClassOf*`` when the data has subclass triples,
  ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf`` and SPARQL-based targets
  ``sh:target [ a sh:SPARQLTarget ; sh:select … ]``, whose query is nested as a sub-select).
  Property shapes of a node shape (``sh:property``) get the node shape's focus nodes.
- Cardinality (``sh:minCount``, ``sh:maxCount``, ``sh:qualifiedValueShape`` with
  ``sh:qualifiedMinCount``/``sh:qualifiedMaxCount``) uses ``FILTER NOT EXISTS`` or
  ``GROUP BY … HAVING (COUNT(DISTINCT ?value) …)``; ``sh:hasValue`` uses ``NOT EXISTS``;
  ``sh:disjoint`` a join.
- The value-node constraints of one shape (``sh:datatype``, ``sh:nodeKind``, ``sh:class``,
  ``sh:pattern`` with ``sh:flags``, ``sh:in``, ``sh:languageIn``, ``sh:min/maxInclusive``,
  ``sh:min/maxExclusive``, ``sh:or``, ``sh:and``, ``sh:not``, ``sh:node``) become boolean SPARQL
  expressions evaluated in *one* query over the shape's (focus, value) pairs; nested shapes
  (members of ``sh:or``, ``sh:node``, ``sh:qualifiedValueShape``) are compiled to expressions
  too, their property shapes to ``EXISTS``/``NOT EXISTS``.
- A SPARQL-based constraint (``sh:sparql [ a sh:SPARQLConstraint ; sh:select … ]``) is
  evaluated for all focus nodes at once: ``$this`` becomes ``?this`` and the focus nodes'
  sub-select is joined at the start of the query's outermost group, which equals pySHACL's
  pre-binding of ``$this`` as long as every group that uses ``$this`` also binds it with a
  triple pattern (true of caikg's shapes, and checked by the tests against pySHACL). Queries
  with ``MINUS``, ``VALUES``, ``SERVICE``, ``GRAPH``, sub-selects, aggregates or solution
  modifiers, whose meaning could change under that rewrite, are not compiled. Messages are
  worded like pySHACL's (``{$this}``, ``{?value}`` and the other projected variables are
  substituted with the same rules).
- Datatype checks follow rdflib (which pySHACL uses): ``xsd:gYear`` is checked by datatype
  only, ``xsd:integer``/``xsd:date``/… must also be well-formed. ``sh:pattern`` uses SPARQL
  ``REGEX``; Python's ``$`` (which also matches before a final newline) is translated.

Anything else in the shapes graph (e.g. ``sh:xone``, ``sh:closed``, ``sh:equals``, complex
paths, ``sh:rule``, a constraint-bearing shape without ``sh:message`` whose wording pySHACL
would generate) makes :func:`compile_shapes` raise :class:`Unsupported`;
:func:`caikg.validation.validate_sources` then logs a note and validates the whole data with
pySHACL instead, so no constraint is ever skipped.

Results are returned as an rdflib ``sh:ValidationReport`` graph with the same structure as
pySHACL's (one ``sh:result`` per result; the source shape and path nodes are those of the
shapes graph, blank-node paths copied), which ``validation.py`` turns into
:class:`~caikg.validation.ValidationResult` objects with the same code for both engines.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from caikg.rdf.sources import rdflib_term

__all__ = ["CompiledShapes", "Unsupported", "compile_shapes", "load_store", "run"]

OWL_CLASS = URIRef("http://www.w3.org/2002/07/owl#Class")


class Unsupported(Exception):
    """The shapes graph uses a SHACL feature this engine does not compile."""


# Predicates of the sh: namespace the compiler understands (anything else → Unsupported).
_KNOWN = {SH[n] for n in [
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target", "property",
    "path", "inversePath", "minCount", "maxCount", "datatype", "class", "nodeKind", "pattern",
    "flags", "in", "hasValue", "languageIn", "minInclusive", "maxInclusive", "minExclusive",
    "maxExclusive", "or", "and", "not", "node", "disjoint", "qualifiedValueShape",
    "qualifiedMinCount", "qualifiedMaxCount", "qualifiedValueShapesDisjoint", "sparql", "select",
    "prefixes", "declare", "prefix", "namespace", "message", "severity", "deactivated", "name",
    "description", "order", "group", "defaultValue"]}
_SEVERITIES = {SH.Violation, SH.Warning, SH.Info}
_VALUE_PARAMS = [SH.datatype, SH.nodeKind, SH["class"], SH.pattern, SH["in"], SH.languageIn,
                 SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive,
                 SH["or"], SH["and"], SH["not"], SH.node]
_COMPONENT = {
    SH.datatype: SH.DatatypeConstraintComponent, SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent, SH.pattern: SH.PatternConstraintComponent,
    SH["in"]: SH.InConstraintComponent, SH.languageIn: SH.LanguageInConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH["or"]: SH.OrConstraintComponent, SH["and"]: SH.AndConstraintComponent,
    SH["not"]: SH.NotConstraintComponent, SH.node: SH.NodeConstraintComponent,
}
# Datatypes checked as rdflib does: by datatype IRI only, or also for a well-formed lexical
# form (rdflib parses these; pySHACL reports ill-typed literals).
_DATATYPE_ONLY = {XSD.string, RDF.langString, XSD.gYear}
_WELL_FORMED = {XSD.integer, XSD.date}
# Oxigraph's store changes literals of these datatypes (integer subtypes become xsd:integer,
# "1.0"^^xsd:decimal becomes "1", …) where rdflib keeps datatype and its own lexical form, so
# they are loaded under a private datatype ``WRAP + datatype`` with rdflib's lexical form and
# unwrapped in the results. Comparisons cast them back (see _numeric).
WRAP = "urn:x-caikg-shacl-literal:"
_INTEGER_SUBTYPES = {XSD[n] for n in (
    "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
    "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    "positiveInteger")}
_CAST = {**{t: XSD.integer for t in _INTEGER_SUBTYPES}, XSD.decimal: XSD.decimal,
         XSD.double: XSD.double, XSD.float: XSD.float, XSD.boolean: XSD.boolean,
         XSD.dateTime: XSD.dateTime, XSD.time: XSD.time}
_WRAPPED = frozenset(str(t) for t in _CAST)
_WRAPPED_CHECKED = {XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.dateTime, XSD.time}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.Literal: "isLiteral({v})", SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_FORBIDDEN_IN_SPARQL = re.compile(
    r"\b(MINUS|VALUES|SERVICE|GRAPH|GROUP\s+BY|HAVING|ORDER\s+BY|LIMIT|OFFSET|COUNT|SUM|MIN|MAX|"
    r"AVG|SAMPLE|GROUP_CONCAT|PREFIX|BASE)\b|\$shapesGraph\b", re.IGNORECASE)
_SELECT_HEAD = re.compile(r"^\s*SELECT\s+(DISTINCT\s+|REDUCED\s+)?(.*?)\s*(?:WHERE\s*)?\{",
                          re.IGNORECASE | re.DOTALL)


def _iri(node: Node) -> str:
    return f"<{node}>"


def _sparql_string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def _term(node: Node) -> str:
    """``node`` of the shapes graph as a SPARQL term."""
    if isinstance(node, URIRef):
        return _iri(node)
    if isinstance(node, Literal):
        lexical = _sparql_string(str(node))
        if node.language:
            return f"{lexical}@{node.language}"
        if node.datatype is not None and str(node.datatype) in _WRAPPED:
            return f"{lexical}^^<{WRAP}{node.datatype}>"
        if node.datatype is not None and node.datatype != XSD.string:
            return f"{lexical}^^{_iri(node.datatype)}"
        return lexical
    raise Unsupported(f"blank node {node} used as a value in a constraint")


def _numeric(v: str) -> str:
    """The value of ``v`` for comparisons, with wrapped literals cast back."""
    expr = v
    for cast in sorted(set(_CAST.values()), key=str):
        wrapped = [t for t, c in _CAST.items() if c == cast]
        test = " || ".join(f"sameTerm(DATATYPE({v}), <{WRAP}{t}>)" for t in sorted(wrapped))
        expr = f"IF(isLiteral({v}) && ({test}), {_iri(cast)}(STR({v})), {expr})"
    return expr


def _python_regex_to_sparql(pattern: str, multiline: bool) -> str:
    """Python's ``$`` also matches before a final newline; Oxigraph's (Rust) does not."""
    if multiline:
        return pattern
    out: list[str] = []
    in_class = escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            out.append(ch)
            in_class = ch != "]"
        elif ch == "[":
            out.append(ch)
            in_class = True
        elif ch == "$":
            out.append("(?:\\n?$)")
        else:
            out.append(ch)
    return "".join(out)


_NOT_EXISTS = re.compile(r"FILTER\s+NOT\s+EXISTS\s*\{([^{}]*)\}", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$](\w+)")


def _strip_nested(text: str) -> str:
    """``text`` without balanced ``{…}`` groups and ``FILTER (…)`` expressions."""
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    flat = "".join(out)
    while True:
        m = re.search(r"FILTER\s*\(", flat, re.IGNORECASE)
        if m is None:
            return flat
        level, i = 1, m.end()
        while i < len(flat) and level:
            level += {"(": 1, ")": -1}.get(flat[i], 0)
            i += 1
        flat = flat[:m.start()] + flat[i:]


def _rewrite_not_exists(query: str) -> str:
    """``FILTER NOT EXISTS { simple group }`` → ``OPTIONAL { … } FILTER (!BOUND(…))``.

    Oxigraph evaluates a ``NOT EXISTS`` whose group joins several patterns (or a sequence
    path) without using the outer bindings, which is quadratic (minutes at 100k triples). The
    rewrite is only applied when it means the same: the group has no nested group, and each
    of its variables is either used nowhere else in the query or already bound, before the
    filter, by a pattern of the enclosing group (so the OPTIONAL joins on it exactly as
    ``NOT EXISTS`` substitutes it)."""
    counter = 0
    pos = 0
    while True:
        m = _NOT_EXISTS.search(query, pos)
        if m is None:
            return query
        inner = m.group(1)
        rest = query[:m.start()] + query[m.end():]
        depth, start = 0, m.start()
        while start > 0:
            start -= 1
            if query[start] == "}":
                depth += 1
            elif query[start] == "{":
                if depth == 0:
                    break
                depth -= 1
        before = set(_VARIABLE.findall(_strip_nested(query[start + 1:m.start()])))
        safe = all(v in before or v not in _VARIABLE.findall(rest)
                   for v in set(_VARIABLE.findall(inner)))
        if not safe:
            pos = m.end()
            continue
        counter += 1
        flag = f"?_absent{counter}"
        replacement = f"OPTIONAL {{ {inner} BIND (true AS {flag}) }} FILTER (!BOUND({flag}))"
        query = query[:m.start()] + replacement + query[m.end():]
        pos = m.start() + len(replacement)


@dataclass
class Check:
    """One query; each row gives results through ``components``."""

    query: str
    shape: Node
    path: Node | None
    severity: URIRef
    messages: list[Literal]
    # (result variable that is false when violated or None = every row violates,
    #  component IRI, variable holding sh:value or None)
    components: list[tuple[str | None, URIRef, str | None]]
    source_constraint: Node | None = None
    sparql_vars: bool = False  # message placeholders are filled from the row (SPARQL)
    this_projected: bool = True  # SPARQL constraint: the query selects $this
    focus_is_value: bool = False  # SPARQL constraint of a node shape: sh:value defaults to $this
    constraint_messages: list[Literal] = field(default_factory=list)


@dataclass
class CompiledShapes:
    checks: list[Check]
    shapes: Graph


class _Compiler:
    def __init__(self, shapes: Graph, subclasses: bool) -> None:
        self.g = shapes
        self.subclasses = subclasses
        self.fresh = 0
        self.checks: list[Check] = []

    # -- helpers ----------------------------------------------------------------------------
    def var(self, stem: str = "x") -> str:
        self.fresh += 1
        return f"?_{stem}{self.fresh}"

    def one(self, node: Node, pred: URIRef) -> Node | None:
        values = list(self.g.objects(node, pred))
        if len(values) > 1:
            raise Unsupported(f"{node} has {len(values)} values of {pred}")
        return values[0] if values else None

    def int_value(self, node: Node, pred: URIRef) -> int | None:
        value = self.one(node, pred)
        if value is None:
            return None
        if not isinstance(value, Literal) or not isinstance(value.value, int):
            raise Unsupported(f"{pred} of {node} is not an integer")
        return int(value.value)

    def items(self, node: Node) -> list[Node]:
        return list(Collection(self.g, node))

    def deactivated(self, shape: Node) -> bool:
        value = self.one(shape, SH.deactivated)
        return isinstance(value, Literal) and value.value is True

    def severity(self, shape: Node) -> URIRef:
        value = self.one(shape, SH.severity)
        if value is None:
            return SH.Violation
        if value not in _SEVERITIES:
            raise Unsupported(f"severity {value} of {shape}")
        assert isinstance(value, URIRef)
        return value

    def path(self, shape: Node) -> tuple[Node | None, str | None]:
        path = self.one(shape, SH.path)
        if path is None:
            return None, None
        if isinstance(path, URIRef):
            return path, _iri(path)
        inverse = self.one(path, SH.inversePath)
        if isinstance(inverse, URIRef) and len(list(self.g.predicate_objects(path))) == 1:
            return path, "^" + _iri(inverse)
        raise Unsupported(f"path of {shape} (only IRIs and sh:inversePath of an IRI)")

    def prefixes(self, node: Node) -> dict[str, str]:
        found: dict[str, str] = {}
        for declarer in self.g.objects(node, SH.prefixes):
            for decl in self.g.objects(declarer, SH.declare):
                prefix = self.one(decl, SH.prefix)
                ns = self.one(decl, SH.namespace)
                if prefix is None or ns is None:
                    raise Unsupported(f"incomplete sh:declare on {declarer}")
                found[str(prefix)] = str(ns)
        return found

    @staticmethod
    def prologue(*maps: dict[str, str]) -> str:
        merged: dict[str, str] = {}
        for m in maps:
            for prefix, ns in m.items():
                if merged.get(prefix, ns) != ns:
                    raise Unsupported(f"prefix {prefix}: declared with two namespaces")
                merged[prefix] = ns
        return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(merged.items()))

    # -- checking the shapes graph ---------------------------------------------------------
    def check_vocabulary(self) -> None:
        for _s, p, _o in self.g:
            if isinstance(p, URIRef) and str(p).startswith(str(SH)) and p not in _KNOWN:
                raise Unsupported(f"{self.g.namespace_manager.normalizeUri(p)} is not supported")
        for cls in (RDFS.Class, OWL_CLASS):
            for shape in self.g.subjects(RDF.type, cls):
                if (shape, RDF.type, SH.NodeShape) in self.g or (
                        shape, RDF.type, SH.PropertyShape) in self.g:
                    raise Unsupported(f"implicit class target of {shape}")
        for value in self.g.objects(None, SH.qualifiedValueShapesDisjoint):
            if not (isinstance(value, Literal) and value.value is False):
                raise Unsupported("sh:qualifiedValueShapesDisjoint true")
        for target in self.g.objects(None, SH.target):
            if (target, RDF.type, SH.SPARQLTarget) not in self.g:
                raise Unsupported(f"sh:target {target} is not a sh:SPARQLTarget")
        for constraint in self.g.objects(None, SH.sparql):
            if (constraint, RDF.type, SH.SPARQLConstraint) not in self.g and not list(
                    self.g.objects(constraint, SH.select)):
                raise Unsupported(f"sh:sparql {constraint} is not a SELECT constraint")

    # -- focus nodes -------------------------------------------------------------------------
    def targets(self, shape: Node) -> tuple[list[str], dict[str, str]]:
        parts: list[str] = []
        prefixes: dict[str, str] = {}
        for cls in self.g.objects(shape, SH.targetClass):
            path = "a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*" if self.subclasses \
                else "a"
            parts.append(f"?this {path} {_term(cls)} .")
        nodes = list(self.g.objects(shape, SH.targetNode))
        if nodes:
            parts.append("VALUES ?this { " + " ".join(_term(n) for n in nodes) + " }")
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {_term(p)} [] .")
        for p in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(f"[] {_term(p)} ?this .")
        for target in self.g.objects(shape, SH.target):
            if self.deactivated(target):
                continue
            select = self.one(target, SH.select)
            if select is None:
                raise Unsupported(f"SPARQL target of {shape} without sh:select")
            text = str(select)
            if re.search(r"\b(PREFIX|BASE)\b", text, re.IGNORECASE):
                raise Unsupported(f"SPARQL target of {shape} declares prefixes in its text")
            for k, v in self.prefixes(target).items():
                if prefixes.get(k, v) != v:
                    raise Unsupported(f"prefix {k}: declared with two namespaces")
                prefixes[k] = v
            parts.append("{ " + _rewrite_not_exists(text) + " }")
        return parts, prefixes

    @staticmethod
    def focus_pattern(parts: Sequence[str]) -> str:
        """The union of the targets; a node may come more than once (every query is
        DISTINCT or counts DISTINCT values, so that does not change the results)."""
        if len(parts) == 1:
            return "{ " + parts[0] + " }"
        return "{ " + " UNION ".join("{ " + p + " }" for p in parts) + " }"

    # -- conditions on one node ------------------------------------------------------------
    def value_condition(self, param: URIRef, value: Node, v: str, shape: Node) -> str:
        """A SPARQL expression, true when the node in ``v`` satisfies ``param value``."""
        if param == SH.datatype:
            if value == RDFS.Literal:
                return f"isLiteral({v})"
            if value in _DATATYPE_ONLY:
                return f"(isLiteral({v}) && sameTerm(DATATYPE({v}), {_term(value)}))"
            if value in _WRAPPED_CHECKED:
                return (f"(isLiteral({v}) && sameTerm(DATATYPE({v}), <{WRAP}{value}>) && "
                        f"COALESCE(sameTerm(DATATYPE({_iri(value)}(STR({v}))), "
                        f"{_iri(value)}), false))")
            if value in _WELL_FORMED:
                return (f"(isLiteral({v}) && sameTerm(DATATYPE({v}), {_term(value)}) && "
                        f"COALESCE(sameTerm(DATATYPE({_term(value)}(STR({v}))), "
                        f"{_term(value)}), false))")
            raise Unsupported(f"sh:datatype {value}")
        if param == SH.nodeKind:
            if not isinstance(value, URIRef) or value not in _NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {value}")
            return _NODE_KINDS[value].format(v=v)
        if param == SH["class"]:
            path = "a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*" if self.subclasses \
                else "a"
            return f"(!isLiteral({v}) && EXISTS {{ {v} {path} {_term(value)} }})"
        if param == SH.pattern:
            flags_node = self.one(shape, SH.flags)
            flags = str(flags_node).lower() if flags_node is not None else ""
            sparql_flags = "".join(f for f in "im" if f in flags)
            regex = _python_regex_to_sparql(str(value), "m" in sparql_flags)
            return (f"(!isBlank({v}) && REGEX(STR({v}), {_sparql_string(regex)}, "
                    f"{_sparql_string(sparql_flags)}))")
        if param == SH["in"]:
            members = self.items(value)
            if not members:
                return "false"
            return "(" + " || ".join(f"sameTerm({v}, {_term(m)})" for m in members) + ")"
        if param == SH.languageIn:
            langs = [str(x).lower() for x in self.items(value)]
            if "*" in langs:
                return f"(LANG({v}) != \"\")"
            listed = ", ".join(_sparql_string(x) for x in langs) or '""'
            return (f"(LANG({v}) != \"\" && (LCASE(LANG({v})) IN ({listed}) || "
                    f"LCASE(IF(CONTAINS(LANG({v}), \"-\"), STRBEFORE(LANG({v}), \"-\"), "
                    f"LANG({v}))) IN ({listed})))")
        if param in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
            if not isinstance(value, Literal) or isinstance(value.value, str):
                raise Unsupported(f"{param} with a non-numeric value")
            op = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">",
                  SH.maxExclusive: "<"}[param]
            bound = Literal(str(value), datatype=_CAST.get(value.datatype, value.datatype)) \
                if value.datatype is not None else value
            return (f"(isLiteral({v}) && !(isLiteral({v}) && DATATYPE({v}) IN "
                    f"(<{XSD.string}>, <{RDF.langString}>)) && {_numeric(v)} {op} "
                    f"{_term(bound)})")
        if param == SH["or"]:
            members = self.items(value)
            return "(" + (" || ".join(self.shape_condition(m, v) for m in members) or "false") \
                + ")"
        if param == SH["and"]:
            members = self.items(value)
            return "(" + (" && ".join(self.shape_condition(m, v) for m in members) or "true") \
                + ")"
        if param == SH["not"]:
            return f"(!{self.shape_condition(value, v)})"
        if param == SH.node:
            return self.shape_condition(value, v)
        raise Unsupported(f"{param}")

    def shape_condition(self, shape: Node, v: str) -> str:
        """A SPARQL expression, true when the node in ``v`` conforms to ``shape``."""
        if self.deactivated(shape):
            return "true"
        if self.severity(shape) != SH.Violation:
            raise Unsupported(f"nested shape {shape} with a severity other than sh:Violation")
        if list(self.g.objects(shape, SH.sparql)):
            raise Unsupported(f"SPARQL constraint in nested shape {shape}")
        conds: list[str] = []
        path, sparql_path = self.path(shape)
        if sparql_path is None:
            for param in _VALUE_PARAMS:
                for value in self.g.objects(shape, param):
                    conds.append(f"COALESCE({self.value_condition(param, value, v, shape)}, "
                                 "false)")
            for value in self.g.objects(shape, SH.hasValue):
                conds.append(f"sameTerm({v}, {_term(value)})")
            for prop in self.g.objects(shape, SH.property):
                conds.append(self.shape_condition(prop, v))
            for p in (SH.minCount, SH.maxCount, SH.disjoint, SH.qualifiedValueShape):
                if (shape, p, None) in self.g:
                    raise Unsupported(f"{p} on node shape {shape}")
        else:
            x = self.var("v")
            for param in _VALUE_PARAMS:
                for value in self.g.objects(shape, param):
                    cond = self.value_condition(param, value, x, shape)
                    conds.append(f"NOT EXISTS {{ {v} {sparql_path} {x} . "
                                 f"FILTER (!COALESCE({cond}, false)) }}")
            min_count = self.int_value(shape, SH.minCount)
            max_count = self.int_value(shape, SH.maxCount)
            if min_count is not None and min_count > 1 or max_count is not None and max_count > 0:
                raise Unsupported(f"counts on nested property shape {shape}")
            if min_count == 1:
                conds.append(f"EXISTS {{ {v} {sparql_path} {self.var('v')} }}")
            if max_count == 0:
                conds.append(f"NOT EXISTS {{ {v} {sparql_path} {self.var('v')} }}")
            for value in self.g.objects(shape, SH.hasValue):
                conds.append(f"EXISTS {{ {v} {sparql_path} {_term(value)} }}")
            for p in (SH.property, SH.disjoint, SH.qualifiedValueShape):
                if (shape, p, None) in self.g:
                    raise Unsupported(f"{p} on nested property shape {shape}")
        return "(" + (" && ".join(conds) or "true") + ")"

    # -- top-level shapes --------------------------------------------------------------------
    def compile_shape(self, shape: Node, focus: str, prefixes: dict[str, str]) -> None:
        if self.deactivated(shape):
            return
        path, sparql_path = self.path(shape)
        severity = self.severity(shape)
        messages = [m for m in self.g.objects(shape, SH.message) if isinstance(m, Literal)]

        def add(query: str, components: list[tuple[str | None, URIRef, str | None]],
                with_prefixes: dict[str, str] | None = None) -> None:
            if not messages:
                raise Unsupported(f"{shape} has no sh:message (pySHACL would word one)")
            self.checks.append(Check(self.prologue(prefixes, with_prefixes or {}) + query,
                                     shape, path, severity, messages, components))

        this_value = "?value" if sparql_path else "?this"
        values = f"?this {sparql_path} ?value ." if sparql_path else ""
        # value-node constraints: one query per shape
        binds: list[str] = []
        comps: list[tuple[str | None, URIRef, str | None]] = []
        for param in _VALUE_PARAMS:
            for value in self.g.objects(shape, param):
                flag = f"?_ok{len(binds)}"
                cond = self.value_condition(param, value, this_value, shape)
                binds.append(f"BIND (COALESCE({cond}, false) AS {flag})")
                comps.append((flag, _COMPONENT[param], this_value))
        if binds:
            failing = " || ".join(f"!{flag}" for flag, _c, _v in comps)
            add(f"SELECT DISTINCT ?this {'?value ' if sparql_path else ''}"
                f"{' '.join(str(f) for f, _c, _v in comps)} WHERE {{ {focus} {values} "
                f"{' '.join(binds)} FILTER ({failing}) }}", comps)
        # sh:hasValue: no sh:value in the result
        for value in self.g.objects(shape, SH.hasValue):
            if sparql_path:
                cond = f"EXISTS {{ ?this {sparql_path} {_term(value)} }}"
            else:
                cond = f"sameTerm(?this, {_term(value)})"
            add(f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER (!{cond}) }}",
                [(None, SH.HasValueConstraintComponent, None)])
        for p in (SH.minCount, SH.maxCount, SH.disjoint, SH.qualifiedValueShape):
            if sparql_path is None and (shape, p, None) in self.g:
                raise Unsupported(f"{p} on node shape {shape}")
        min_count = self.int_value(shape, SH.minCount)
        if min_count is not None and min_count > 0:
            if min_count == 1:
                q = f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ {values} }} }}"
            else:
                q = (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ {values} }} }} GROUP BY ?this "
                     f"HAVING (COUNT(DISTINCT ?value) < {min_count})")
            add(q, [(None, SH.MinCountConstraintComponent, None)])
        max_count = self.int_value(shape, SH.maxCount)
        if max_count is not None:
            if max_count == 0:
                q = f"SELECT DISTINCT ?this WHERE {{ {focus} {values} }}"
            elif max_count == 1:
                q = (f"SELECT DISTINCT ?this WHERE {{ {focus} {values} ?this {sparql_path} "
                     f"?_other . FILTER (!sameTerm(?value, ?_other)) }}")
            else:
                q = (f"SELECT ?this WHERE {{ {focus} {values} }} GROUP BY ?this "
                     f"HAVING (COUNT(DISTINCT ?value) > {max_count})")
            add(q, [(None, SH.MaxCountConstraintComponent, None)])
        for other in self.g.objects(shape, SH.disjoint):
            add(f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} "
                f"?this {_term(other)} ?value . }}",
                [(None, SH.DisjointConstraintComponent, "?value")])
        qualified = self.one(shape, SH.qualifiedValueShape)
        if qualified is not None:
            cond = self.shape_condition(qualified, "?value")
            qmin = self.int_value(shape, SH.qualifiedMinCount)
            qmax = self.int_value(shape, SH.qualifiedMaxCount)
            if qmin is not None:
                if qmin == 1:
                    q = (f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ {values} "
                         f"FILTER (COALESCE({cond}, false)) }} }}")
                else:
                    q = (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ {values} "
                         f"FILTER (COALESCE({cond}, false)) }} }} GROUP BY ?this "
                         f"HAVING (COUNT(DISTINCT ?value) < {qmin})")
                add(q, [(None, SH.QualifiedMinCountConstraintComponent, None)])
            if qmax is not None:
                q = (f"SELECT ?this WHERE {{ {focus} {values} FILTER (COALESCE({cond}, false)) }}"
                     f" GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {qmax})")
                add(q, [(None, SH.QualifiedMaxCountConstraintComponent, None)])
        for constraint in self.g.objects(shape, SH.sparql):
            if self.deactivated(constraint):
                continue
            self.compile_sparql(shape, constraint, focus, prefixes, path, sparql_path,
                                severity, messages)
        for prop in self.g.objects(shape, SH.property):
            if sparql_path is not None:
                raise Unsupported(f"sh:property on property shape {shape}")
            if list(self.g.objects(prop, SH.property)):
                raise Unsupported(f"sh:property nested in {prop}")
            self.compile_shape(prop, focus, prefixes)

    def compile_sparql(self, shape: Node, constraint: Node, focus: str,
                       prefixes: dict[str, str], path: Node | None, sparql_path: str | None,
                       severity: URIRef, messages: list[Literal]) -> None:
        select = self.one(constraint, SH.select)
        if select is None:
            raise Unsupported(f"SPARQL constraint {constraint} without sh:select")
        text = str(select)
        if _FORBIDDEN_IN_SPARQL.search(text) or len(re.findall(r"\bSELECT\b", text,
                                                                  re.IGNORECASE)) != 1:
            raise Unsupported(f"SPARQL constraint {constraint}: a construct whose meaning could "
                              "change when $this is joined instead of pre-bound")
        if "$PATH" in text:
            if sparql_path is None:
                raise Unsupported(f"$PATH in {constraint} of a node shape")
            text = text.replace("$PATH", sparql_path)
        text = re.sub(r"[$?]currentShape\b", _term(shape) if isinstance(shape, URIRef)
                      else "?_noshape", text)
        if not isinstance(shape, URIRef) and "?_noshape" in text:
            raise Unsupported("$currentShape of a blank-node shape")
        text = re.sub(r"\$this\b", "?this", text)
        head = _SELECT_HEAD.match(text)
        if head is None:
            raise Unsupported(f"cannot read the SELECT of {constraint}")
        projection = head.group(2)
        if "(" in projection:
            raise Unsupported(f"expressions in the SELECT of {constraint}")
        if projection.strip() == "*":
            raise Unsupported(f"SELECT * in {constraint}")
        variables = re.findall(r"[?$](\w+)", projection)
        if "failure" in variables or "path" in variables:
            raise Unsupported(f"?failure or ?path in {constraint}")
        if "this" not in variables and "value" not in variables:
            raise Unsupported(f"{constraint} selects neither $this nor ?value")
        out_vars = ["this"] + [v for v in variables if v != "this"]
        body = text[head.end():]
        query = (f"SELECT DISTINCT {' '.join('?' + v for v in out_vars)} WHERE {{ "
                 f"?this <urn:caikg:focus> ?this . {body}")
        query = _rewrite_not_exists(query).replace("?this <urn:caikg:focus> ?this .", focus, 1)
        c_messages = [m for m in self.g.objects(constraint, SH.message)
                      if isinstance(m, Literal)]
        if not messages and not c_messages:
            raise Unsupported(f"{shape} / {constraint} has no sh:message")
        value_var = "?value" if "value" in variables else None
        self.checks.append(Check(
            self.prologue(prefixes, self.prefixes(constraint)) + query, shape, path, severity,
            messages, [(None, SH.SPARQLConstraintComponent, value_var)],
            source_constraint=constraint, sparql_vars=True, constraint_messages=c_messages,
            focus_is_value=sparql_path is None, this_projected="this" in variables))

    def compile(self) -> list[Check]:
        self.check_vocabulary()
        shapes: set[Node] = set()
        for pred in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
                     SH.target):
            shapes.update(self.g.subjects(pred, None))
        for shape in sorted(shapes, key=str):
            parts, prefixes = self.targets(shape)
            if parts:
                self.compile_shape(shape, self.focus_pattern(parts), prefixes)
        return self.checks


def compile_shapes(shapes: Graph, subclasses: bool = True) -> CompiledShapes:
    """Compile ``shapes``; raise :class:`Unsupported` for a feature outside the subset.

    ``subclasses`` says whether class membership must follow ``rdfs:subClassOf*`` (only
    needed when the data has ``rdfs:subClassOf`` triples)."""
    return CompiledShapes(_Compiler(shapes, subclasses).compile(), shapes)


def _loadable(triples: Iterable[ox.Triple]) -> Iterator[ox.Quad]:
    wrapped: dict[tuple[str, str], ox.Literal] = {}
    for t in triples:
        o = t.object
        if type(o) is ox.Literal:
            dt = o.datatype.value
            if dt in _WRAPPED:
                key = (o.value, dt)
                w = wrapped.get(key)
                if w is None:
                    lexical = str(Literal(o.value, datatype=URIRef(dt)))  # rdflib's form
                    w = wrapped[key] = ox.Literal(lexical, datatype=ox.NamedNode(WRAP + dt))
                o = w
        yield ox.Quad(t.subject, t.predicate, o)


def load_store(triples: Iterable[ox.Triple]) -> ox.Store:
    """An in-memory store of ``triples`` (literals Oxigraph would change are wrapped)."""
    store = ox.Store()
    store.bulk_extend(_loadable(triples))
    return store


def has_subclass_triples(store: ox.Store) -> bool:
    return bool(store.query(
        "ASK { ?a <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?b }"))


def _rdflib(term: object) -> Node:
    """The rdflib term of a result term (wrapped literals unwrapped)."""
    if isinstance(term, ox.Literal) and not term.language \
            and term.datatype.value.startswith(WRAP):
        return Literal(term.value, datatype=URIRef(term.datatype.value[len(WRAP):]))
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return rdflib_term(term)
    raise TypeError(f"unsupported term {term!r}")


def _substitute(message: str, bound: dict[str, str]) -> str:
    """pySHACL's substitution of ``{?var}`` / ``{$var}`` in SPARQL constraint messages."""
    for var, val in bound.items():
        message = re.sub(f"{{[?$]{var}}}", val, message)
    return message


def _copy_path(shapes: Graph, report: Graph, node: Node) -> None:
    if isinstance(node, BNode):
        for p, o in shapes.predicate_objects(node):
            report.add((node, p, o))
            _copy_path(shapes, report, o)


def result_term(term: object) -> Node:
    """The rdflib term of a result's focus node or value."""
    return _rdflib(term)


def _run_check(store: ox.Store, check: Check) -> list[tuple[Check, dict[str, object]]]:
    rows = []
    solutions = store.query(check.query)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        row = {name: term for name, term in zip(names, solution, strict=True)
               if term is not None}
        rows.append((check, row))
    return rows


PARALLEL_MIN = 200_000
"""Stores of at least this many triples are validated by forked processes (one per core, at
most :data:`MAX_PROCESSES`), which share the store copy-on-write; smaller ones in this
process (forking costs more than it saves, and test processes have threads)."""
MAX_PROCESSES = 4

_FORKED: tuple[ox.Store, list[Check]] | None = None
"""What forked validation processes inherit (set just before the fork)."""


def _run_forked_check(index: int) -> list[dict[str, object]]:
    assert _FORKED is not None
    store, checks = _FORKED
    return [row for _check, row in _run_check(store, checks[index])]


def _run_all(store: ox.Store, checks: list[Check], processes: int | None
             ) -> list[list[tuple[Check, dict[str, object]]]]:
    global _FORKED
    n = processes if processes is not None else (
        min(os.cpu_count() or 1, MAX_PROCESSES) if len(store) >= PARALLEL_MIN else 1)
    if n <= 1 or len(checks) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_run_check(store, c) for c in checks]
    _FORKED = (store, checks)
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            rows = pool.map(_run_forked_check, range(len(checks)), chunksize=1)
    finally:
        _FORKED = None
    return [[(check, row) for row in found] for check, found in zip(checks, rows, strict=True)]


@dataclass(frozen=True)
class RawResult:
    """One validation result as the compiled queries found it (before any report graph)."""

    check: Check
    component: URIRef
    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    messages: tuple[Literal, ...]


def evaluate(compiled: CompiledShapes, store: ox.Store, threads: int = 1,
             processes: int | None = None) -> list[RawResult]:
    """Evaluate the compiled shapes on ``store``: every result, in check order.

    ``processes``: how many forked processes run the queries (default: one per core for
    large stores, see :data:`PARALLEL_MIN`); ``threads`` > 1 runs them in threads instead.
    Results are plain records: building an rdflib report graph costs more than finding the
    results when there are hundreds of thousands (see :func:`report_graph`)."""
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            batches = list(pool.map(lambda c: _run_check(store, c), compiled.checks))
    else:
        batches = _run_all(store, compiled.checks, processes)
    found: list[RawResult] = []
    for batch in batches:
        for check, row in batch:
            for flag, component, value_var in check.components:
                if flag is not None:
                    ok = row.get(flag[1:])
                    if isinstance(ok, ox.Literal) and ok.value == "true":
                        continue
                focus = row["this"]
                value = row.get(value_var[1:]) if value_var else None
                if value is None and check.focus_is_value:
                    value = focus
                if check.sparql_vars:
                    bound = {k: str(_rdflib(v)) for k, v in row.items()
                             if k not in ("this", "path", "value")}
                    if check.this_projected:
                        bound["this"] = str(_rdflib(focus))
                    if "path" in row:
                        bound["path"] = str(_rdflib(row["path"]))
                    if value is not None:
                        bound["value"] = str(_rdflib(value))
                    messages = tuple(Literal(_substitute(str(m), bound))
                                     for m in [*check.constraint_messages, *check.messages])
                else:
                    messages = tuple(check.messages)
                found.append(RawResult(check, component, focus,  # type: ignore[arg-type]
                                       value, messages))  # type: ignore[arg-type]
    return found


def report_graph(compiled: CompiledShapes, results: list[RawResult]) -> Graph:
    """The sh:ValidationReport graph of ``results`` (what pySHACL would report)."""
    report = Graph()
    report.bind("sh", SH)
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    conforms = True
    for r in results:
        check = r.check
        result = BNode()
        report.add((root, SH.result, result))
        report.add((result, RDF.type, SH.ValidationResult))
        report.add((result, SH.focusNode, _rdflib(r.focus)))
        report.add((result, SH.resultSeverity, check.severity))
        report.add((result, SH.sourceShape, check.shape))
        report.add((result, SH.sourceConstraintComponent, r.component))
        if r.value is not None:
            report.add((result, SH.value, _rdflib(r.value)))
        if check.path is not None:
            report.add((result, SH.resultPath, check.path))
            _copy_path(compiled.shapes, report, check.path)
        if check.source_constraint is not None:
            report.add((result, SH.sourceConstraint, check.source_constraint))
        for m in r.messages:
            report.add((result, SH.resultMessage, m))
        if check.severity == SH.Violation:
            conforms = False
    report.add((root, SH.conforms, Literal(conforms)))
    return report


def run(compiled: CompiledShapes, store: ox.Store, threads: int = 1,
        processes: int | None = None) -> Graph:
    """Evaluate the compiled shapes on ``store``; return the sh:ValidationReport graph."""
    return report_graph(compiled, evaluate(compiled, store, threads, processes))
