"""SPARQL lives here, in ``<entity>_<purpose>.rq`` files.

Each file may start with comment lines of metadata::

    # title: Papers per technique per year
    # description: How many papers each technique has, year by year.
    # param: technique iri  -- a technique IRI (optional parameters end with '?')
    # default: technique=https://w3id.org/caikg/technique/kv-cache-reuse
    # example: yes

``default`` lines give an example value for a parameter (one ``name=value`` per line; IRIs
are written without angle brackets); ``example: yes`` marks the queries shown to users.

Values are passed to the store as bindings (SEP-0007 substitutions), never formatted in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_META = re.compile(r"^#\s*(title|description|param|example|default):\s*(.*?)\s*$")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "iri", "string", "integer", "year"
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    title: str = ""
    description: str = ""
    params: tuple[Param, ...] = field(default_factory=tuple)
    example: bool = False
    defaults: dict[str, str] = field(default_factory=dict, hash=False)


def _parse(name: str, text: str) -> Query:
    title = description = ""
    params: list[Param] = []
    example = False
    defaults: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _META.match(line)
        if not m:
            continue
        key, value = m.groups()
        if key == "title":
            title = value
        elif key == "description":
            description = (description + " " + value).strip()
        elif key == "example":
            example = value.lower() in {"yes", "true", "1"}
        elif key == "param":
            spec, _, doc = value.partition("--")
            pname, kind = (spec.split() + ["string"])[:2]
            required = not pname.endswith("?")
            params.append(Param(pname.rstrip("?"), kind, required, doc.strip()))
        elif key == "default":
            dname, sep, dvalue = value.partition("=")
            if sep and dname.strip():
                defaults[dname.strip().lstrip("?$").rstrip("?")] = dvalue.strip()
    return Query(name, text, title, description, tuple(params), example, defaults)


@cache
def load(name: str) -> Query:
    """The query in ``<name>.rq``."""
    path = resources.files(__name__) / f"{name}.rq"
    return _parse(name, path.read_text(encoding="utf-8"))


def names() -> list[str]:
    return sorted(p.name[:-3] for p in resources.files(__name__).iterdir()
                  if p.name.endswith(".rq"))


def examples() -> list[Query]:
    """The queries marked ``# example: yes``, by name."""
    return [q for q in map(load, names()) if q.example]
