"""Rewriting a query for a remote server: bound variables replaced by RDF terms token by token
(what SEP-0007 substitution does in Oxigraph), FROM clauses split off, standard prefixes
declared."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import pyoxigraph as ox

from caikg.rdf.namespaces import PREFIXES
from caikg.sparql.guard import TOKEN
from caikg.store.base import Term

log = logging.getLogger(__name__)


# -- substitution --------------------------------------------------------------------------

_CLAUSE_END = frozenset({"WHERE", "FROM", "{"})
_MODIFIER_END = frozenset({"HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES", "}", "GROUP"})


_EMPTY_MODIFIER = re.compile(
    r"\b(?:GROUP|ORDER)\s+BY\s*(?=\}|\)|$|(?:ORDER|LIMIT|OFFSET|HAVING|VALUES)\b)",
    re.IGNORECASE)
"""A GROUP BY/ORDER BY whose only variables were bound (and dropped)."""


def _ends(clause: str, word: str) -> bool:
    if clause == "select":
        return word in _CLAUSE_END
    return clause in {"group", "order"} and word in _MODIFIER_END - {clause.upper()}


def substitute(text: str, bindings: Mapping[str, Term]) -> str:
    """``text`` with the variables of ``bindings`` replaced by their terms.

    Inside expressions and triple patterns a variable becomes its term; the outermost
    projection keeps it as ``(term AS ?var)``; a bare variable in a subquery's projection or a
    ``GROUP BY``/``ORDER BY`` list is dropped (it is a constant now).
    """
    if not bindings:
        return text
    values = {name.lstrip("?$"): term for name, term in bindings.items()}
    for name, term in values.items():
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ValueError(f"?{name}: only IRIs and literals can be bound, not {term!r}")
    out: list[str] = []
    clause = ""  # "select", "group", "order" or "" (patterns and expressions)
    depth = 0  # brackets opened inside the current clause
    braces = 0  # curly brackets: 0 = the outermost query
    outer = False  # the current SELECT clause is the outermost query's
    for m in TOKEN.finditer(text):
        kind, tok = m.lastgroup or "other", m.group(0)
        word = tok.upper() if kind in {"run", "word"} else tok
        if kind in {"run", "word"} or (kind == "other" and tok in "{}"):
            if word == "SELECT":
                clause, depth, outer = "select", 0, braces == 0
            elif word in {"GROUP", "ORDER"}:
                clause, depth = word.lower(), 0
            elif depth == 0 and _ends(clause, word):
                clause = ""
        if kind == "other" and tok in "([":
            depth += 1
        elif kind == "other" and tok in ")]":
            depth -= 1
        elif kind == "other" and tok == "{":
            braces += 1
        elif kind == "other" and tok == "}":
            braces -= 1
        if kind == "var" and tok[1:] in values:
            if clause == "select" and depth == 0 and outer:
                out.append(f"({values[tok[1:]]} AS {tok})")  # constant now, still projected
            elif clause in {"select", "group", "order"} and depth == 0:
                continue  # a bare variable of a subquery's projection or a modifier: dropped
            else:
                out.append(str(values[tok[1:]]))
            continue
        out.append(tok)
    result = _EMPTY_MODIFIER.sub(" ", "".join(out))
    return re.sub(r"\bSELECT(\s+(?:DISTINCT|REDUCED))?\s+(WHERE|\{)",
                  lambda m: f"SELECT{m.group(1) or ''} * {m.group(2)}", result,
                  flags=re.IGNORECASE)


def split_dataset(text: str) -> tuple[str, list[str], list[str]]:
    """``text`` without its ``FROM``/``FROM NAMED`` clauses, and their graphs.

    The graphs are then sent as protocol parameters, which every server reads the same way
    (Virtuoso merges ``FROM`` with ``default-graph-uri`` instead of letting one win).
    """
    prefixes: dict[str, str] = {}
    toks = [(m.lastgroup or "other", m.group(0)) for m in TOKEN.finditer(text)]
    out: list[str] = []
    froms: list[str] = []
    named: list[str] = []
    significant = [i for i, (kind, _) in enumerate(toks) if kind not in {"ws", "comment"}]
    skip: set[int] = set()
    for n, i in enumerate(significant):
        kind, tok = toks[i]
        if kind in {"word", "run"} and tok.upper() == "PREFIX" and n + 2 < len(significant):
            name, iri = toks[significant[n + 1]][1], toks[significant[n + 2]]
            if iri[0] == "iri":
                prefixes[name.rstrip(":")] = iri[1][1:-1]
        if kind in {"word", "run"} and tok.upper() == "FROM" and n + 1 < len(significant):
            j = n + 1
            is_named = toks[significant[j]][1].upper() == "NAMED"
            if is_named:
                j += 1
            if j >= len(significant):
                continue
            target_kind, target = toks[significant[j]]
            if target_kind == "iri":
                graph = target[1:-1]
            elif target_kind == "pname" and target.partition(":")[0] in prefixes:
                prefix, _, local = target.partition(":")
                graph = prefixes[prefix] + local
            else:
                continue
            (named if is_named else froms).append(graph)
            skip.update(significant[n:j + 1])
    for i, (_kind, tok) in enumerate(toks):
        if i not in skip:
            out.append(tok)
    return "".join(out), froms, named


def with_prefixes(text: str) -> str:
    """Our ``.rq`` files may use the standard prefixes without declaring them (Oxigraph is
    given them as defaults); a remote server needs them declared."""
    declared = {m.group(1) for m in re.finditer(r"PREFIX\s+([\w\-]*):", text, re.IGNORECASE)}
    missing = [f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p not in declared]
    return "\n".join([*missing, text]) if missing else text
