"""Static checks that keep the public SPARQL endpoint read-only and off the network.

Both engines caikg could use fetch from the network on a query's behalf (``SERVICE`` in
Oxigraph; ``SERVICE``, ``LOAD`` and ``FROM <url>`` in rdflib), and neither can switch that off,
so queries are checked before they run. The check works on tokens, after the SPARQL
codepoint escapes (``\\uXXXX``, ``\\UXXXXXXXX``) are decoded, exactly as a SPARQL parser does
before it reads the grammar: ``SERV\\u0049CE`` is ``SERVICE``. Strings, IRIs and comments are
skipped, so the words may still appear inside them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_NAME_CHAR = r"[\w.\-\u00b7\u00c0-\uffff]"
TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<long_string>'''(?:[^'\\]|\\.|'(?!''))*+'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*+\"\"\")
  | (?P<open_long_string>'''|\"\"\")
  | (?P<string>'(?:[^'\\\n\r]|\\.)*+'|"(?:[^"\\\n\r]|\\.)*+")
  | (?P<open_string>['"])
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*+>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<pname>[A-Za-z\u00c0-\uffff]NAME*+:[^\s{}()\[\],;<>"'=!|&^/*+?]*
              |:[^\s{}()\[\],;<>"'=!|&^/*+?]*)
  | (?P<run>[A-Za-z\u00c0-\uffff]NAME*+)
  | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<other>.)
    """.replace("NAME", _NAME_CHAR),
    re.VERBOSE | re.DOTALL,
)
"""SPARQL's tokens, in one pass that is linear in the length of the query (possessive
quantifiers; no alternative is retried from every character of a long run): a run of name
characters that does not end in ``:`` (no prefixed name) is matched whole and split by
:data:`_RUN_TOKEN` into the words and characters that it holds. A quote that opens no string
(before the end of its line, or of the query for a long string) is refused: the parser would
reject the query anyway, and rescanning from every later quote would take quadratic time."""

_RUN_TOKEN = re.compile(r"(?P<ws>\s+)|(?P<word>[A-Za-z_][A-Za-z_0-9]*)|(?P<other>.)",
                        re.DOTALL)

UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "COPY",
                          "MOVE", "ADD", "WITH", "USING"})


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class QueryRefused(ValueError):
    """The query is not allowed here; the message says why (HTTP 400)."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def decode_escapes(text: str) -> str:
    """Apply SPARQL codepoint escapes (SPARQL 1.1 §19.2)."""

    def repl(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise QueryRefused(f"invalid codepoint escape {m.group(0)!r}")
        return chr(code)

    return _ESCAPE.sub(repl, text)


def iter_tokens(text: str) -> Iterator[Token]:
    for m in TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in {"ws", "comment"}:
            continue
        if kind == "run":
            for r in _RUN_TOKEN.finditer(m.group(0)):
                if r.lastgroup != "ws":
                    yield Token(r.lastgroup or "other", r.group(0))
        elif kind in {"open_string", "open_long_string"}:
            line = text.count("\n", 0, m.start()) + 1
            raise QueryRefused(f"unterminated string: the quote {m.group(0)} on line {line} "
                               "is never closed")
        else:
            yield Token(kind, m.group(0))


def tokens(text: str) -> list[Token]:
    return list(iter_tokens(text))


def _resolve(tok: Token, prefixes: dict[str, str]) -> str | None:
    if tok.kind == "iri":
        return tok.text[1:-1]
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        ns = prefixes.get(prefix)
        return None if ns is None else ns + local
    return None


MAX_TOKENS = 100_000
MAX_NESTING = 500
"""Bounds on a query's size and nesting: Oxigraph recurses over both, and a query beyond
them could crash a worker (see ``caikg.store.pool.worker.JOB_STACK``) instead of being answered."""


def check_size(toks: list[Token]) -> None:
    """Raise :class:`QueryRefused` for more than ``MAX_TOKENS`` tokens or brackets nested
    deeper than ``MAX_NESTING``."""
    if len(toks) > MAX_TOKENS:
        raise QueryRefused(f"the query is too long: {len(toks)} tokens (at most {MAX_TOKENS})")
    depth = 0
    for tok in toks:
        if tok.kind == "other":
            if tok.text in "{([":
                depth += 1
                if depth > MAX_NESTING:
                    raise QueryRefused(f"the query is nested too deeply: more than "
                                       f"{MAX_NESTING} levels of brackets")
            elif tok.text in "})]":
                depth -= 1


@dataclass(frozen=True)
class CheckedQuery:
    """A user's query that passed the guard, with what the one pass over its tokens found."""

    text: str
    form: str | None
    """``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE``, or None (the parser will say why)."""
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    """The request's dataset (``default-graph-uri``, ``named-graph-uri``), if it names one."""


def check_query(text: str, allowed_graphs: Collection[str]) -> CheckedQuery:
    """Raise :class:`QueryRefused` if ``text`` would update, fetch, or read foreign graphs,
    or is too large or too deeply nested to be parsed safely."""
    return check_request(text, allowed_graphs)


def _check_tokens(toks: list[Token], allowed_graphs: Collection[str]) -> None:
    check_size(toks)
    prefixes: dict[str, str] = {}
    for i, tok in enumerate(toks):
        word = tok.text.upper() if tok.kind == "word" else ""
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
        elif word == "SERVICE":
            raise QueryRefused("SERVICE is not allowed: this endpoint makes no requests to "
                               "other services")
        elif word in UPDATE_WORDS:
            raise QueryRefused(f"SPARQL Update ({word}) is not allowed: this endpoint is "
                               "read-only")
        elif word == "FROM":
            j = i + 1
            if j < len(toks) and toks[j].kind == "word" and toks[j].text.upper() == "NAMED":
                j += 1
            target = _resolve(toks[j], prefixes) if j < len(toks) else None
            if target is None or target not in allowed_graphs:
                shown = toks[j].text if j < len(toks) else ""
                raise QueryRefused(
                    f"FROM {shown} is not allowed: only this dataset's graphs can be "
                    f"selected ({', '.join(sorted(allowed_graphs))})")


def check_request(text: str, allowed_graphs: Collection[str],
                  default_graphs: Collection[str] | None = None,
                  named_graphs: Collection[str] | None = None) -> CheckedQuery:
    """The one check of a user's query (the SPARQL endpoint, ``caikg query``): its tokens are
    read once, for the guard and the query form; the request's dataset may name only
    ``allowed_graphs``."""
    toks = tokens(decode_escapes(text))
    _check_tokens(toks, allowed_graphs)
    for name, graphs in (("default-graph-uri", default_graphs or ()),
                         ("named-graph-uri", named_graphs or ())):
        for g in graphs:
            if g not in allowed_graphs:
                raise QueryRefused(f"'{name}' names a graph this dataset does not have: <{g}> "
                                   f"(its graphs: {', '.join(sorted(allowed_graphs))})")
    form = next((tok.text.upper() for tok in toks
                 if tok.kind == "word" and tok.text.upper() in QUERY_FORMS), None)
    return CheckedQuery(text, form, list(default_graphs) if default_graphs else None,
                        list(named_graphs) if named_graphs else None)


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the first such keyword after the
    prologue, or None when there is none (the parser will then report the syntax error)."""
    try:
        for tok in iter_tokens(decode_escapes(text)):
            if tok.kind == "word" and tok.text.upper() in QUERY_FORMS:
                return tok.text.upper()
    except QueryRefused:
        return None
    return None
