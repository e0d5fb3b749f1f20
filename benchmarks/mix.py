"""The benchmark query mix: ``benchmarks/queries/*.rq`` with their metadata.

Each file starts with comment lines::

    # title: An author's papers …
    # weight: light            (or heavy)
    # param: author -- the most prolific author

A parameter appears in the query as the placeholder IRI ``<urn:caikg-bench:NAME>``, usually in
a ``VALUES`` clause, so every file parses as it is. :func:`resolve_params` picks a concrete IRI
for each parameter from the data, deterministically, and :meth:`BenchQuery.render` writes it in
(these are benchmark fixtures sent over HTTP, where there are no bindings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent / "queries"
_META = re.compile(r"^#\s*(title|weight|param):\s*(.*?)\s*$")
_PLACEHOLDER = re.compile(r"<urn:caikg-bench:([a-z_]+)>")

# How each parameter is chosen (the most prolific author, ties broken by IRI; their most recent
# paper, ties broken by IRI).
PARAM_QUERIES: dict[str, str] = {
    "author": """
        PREFIX schema: <https://schema.org/>
        SELECT ?value (COUNT(DISTINCT ?work) AS ?n)
        WHERE { ?work schema:author ?value }
        GROUP BY ?value ORDER BY DESC(?n) ?value LIMIT 1""",
    "paper": """
        PREFIX schema: <https://schema.org/>
        PREFIX fabio: <http://purl.org/spar/fabio/>
        SELECT ?value
        WHERE { ?value schema:author <urn:caikg-bench:author> ;
                       fabio:hasPublicationYear ?year }
        ORDER BY DESC(?year) ?value LIMIT 1""",
}
PARAM_ORDER = ("author", "paper")


@dataclass(frozen=True)
class BenchQuery:
    name: str
    text: str
    title: str
    weight: str  # "light" or "heavy"
    params: tuple[str, ...]

    @property
    def form(self) -> str:
        body = "\n".join(line for line in self.text.splitlines()
                         if not line.lstrip().startswith(("#", "PREFIX")))
        return "CONSTRUCT" if "CONSTRUCT" in body.split("WHERE")[0] else "SELECT"

    def render(self, params: Mapping[str, str]) -> str:
        def repl(m: re.Match[str]) -> str:
            return f"<{params[m.group(1)]}>"

        return _PLACEHOLDER.sub(repl, self.text)


def load_mix(directory: Path = QUERY_DIR) -> list[BenchQuery]:
    out: list[BenchQuery] = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        title, weight, params = "", "", []
        for line in text.splitlines():
            m = _META.match(line)
            if not m:
                continue
            key, value = m.groups()
            if key == "title":
                title = value
            elif key == "weight":
                weight = value
            elif key == "param":
                params.append(value.split("--")[0].strip())
        if weight not in {"light", "heavy"}:
            raise ValueError(f"{path}: '# weight:' must be light or heavy, not {weight!r}")
        used = sorted(set(_PLACEHOLDER.findall(text)))
        if used != sorted(params):
            raise ValueError(f"{path}: placeholders {used} do not match '# param:' {params}")
        out.append(BenchQuery(path.stem, text, title, weight, tuple(params)))
    # light queries first, then heavy ones, each in file-name order
    return sorted(out, key=lambda q: (q.weight != "light", q.name))


def resolve_params(select_first: Callable[[str], str | None]) -> dict[str, str]:
    """Concrete IRIs for the parameters; ``select_first(query)`` returns the first row's
    ``?value`` (an IRI string) or None."""
    params: dict[str, str] = {}
    for name in PARAM_ORDER:
        query = _PLACEHOLDER.sub(lambda m: f"<{params[m.group(1)]}>", PARAM_QUERIES[name])
        value = select_first(query)
        if value is None:
            raise ValueError(f"no value for parameter {name!r}: is the store empty?")
        params[name] = value
    return params


def store_select_first(store: object) -> Callable[[str], str | None]:
    """:func:`resolve_params`' helper for a :class:`caikg.store.EmbeddedStore`."""

    def run(query: str) -> str | None:
        for row in store.query(query):  # type: ignore[attr-defined]
            return str(row["value"].value)
        return None

    return run
