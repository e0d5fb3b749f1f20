"""The example queries shown to users: well described, parameterised by bindings, and useful on
the shipped data (each returns at least one row or triple)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator

import pyoxigraph as ox
import pytest

from caikg import queries
from caikg.config import Settings
from caikg.queries import Param, Query, _parse
from caikg.store.embedded import EmbeddedStore

ENTITIES = ("work", "person", "venue", "technique", "section", "scheme", "dataset", "system",
            "claim")
NAME = re.compile(rf"^({'|'.join(ENTITIES)})_[a-z0-9]+(_[a-z0-9]+)*$")
KINDS = {"iri", "string", "integer", "year"}
XSD = "http://www.w3.org/2001/XMLSchema#"

EXAMPLES = queries.examples()


def term(param: Param, value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term for a parameter value, according to the parameter's kind."""
    if param.kind == "iri":
        return ox.NamedNode(value)
    if param.kind == "integer":
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if param.kind == "year":
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "gYear"))
    return ox.Literal(value)


def default_bindings(query: Query) -> dict[str, ox.NamedNode | ox.Literal]:
    params = {p.name: p for p in query.params}
    return {name: term(params[name], value) for name, value in query.defaults.items()}


def test_there_are_enough_examples() -> None:
    assert len(EXAMPLES) >= 10


def test_titles_and_descriptions_are_present_and_unique() -> None:
    titles = [q.title for q in EXAMPLES]
    descriptions = [q.description for q in EXAMPLES]
    assert all(titles) and all(descriptions)
    assert len(set(titles)) == len(titles)
    assert len(set(descriptions)) == len(descriptions)


@pytest.mark.parametrize("name", [q.name for q in EXAMPLES])
def test_examples_are_named_entity_purpose(name: str) -> None:
    assert NAME.match(name), f"{name}.rq: name it <entity>_<purpose>, entity one of {ENTITIES}"


def test_every_query_is_named_something_purpose() -> None:
    assert all(re.fullmatch(r"[a-z]+_[a-z0-9_]+", name) for name in queries.names())


@pytest.mark.parametrize("query", EXAMPLES, ids=lambda q: q.name)
def test_example_metadata(query: Query) -> None:
    names = [p.name for p in query.params]
    assert len(set(names)) == len(names)
    for param in query.params:
        assert param.kind in KINDS, f"{query.name}: unknown kind {param.kind!r}"
        assert param.description, f"{query.name}: describe parameter {param.name}"
        # substitution needs the variable in the projection (or the CONSTRUCT pattern)
        assert f"?{param.name}" in query.text
        if param.required:
            assert param.name in query.defaults, f"{query.name}: give ?{param.name} a default"
    assert set(query.defaults) <= set(names), f"{query.name}: default for an unknown parameter"
    # self-contained: every prefix the query uses is declared in it
    declared = set(re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w-]*)?:", query.text))
    body = "\n".join(line for line in query.text.splitlines()
                     if not line.lstrip().startswith(("#", "PREFIX", "prefix")))
    body = re.sub(r"<[^>]*>|\"[^\"]*\"", "", body)
    used = set(re.findall(r"(?<![\w?$])([A-Za-z][\w-]*):[A-Za-z_]", body))
    assert used <= declared, f"{query.name}: undeclared prefixes {used - declared}"


@pytest.mark.parametrize("query", EXAMPLES, ids=lambda q: q.name)
def test_example_returns_results(store: EmbeddedStore, query: Query) -> None:
    bindings = default_bindings(query)
    result = store.query(query.text, bindings=bindings)
    if isinstance(result, ox.QuerySolutions):
        variables = {v.value for v in result.variables}
        rows = list(result)
        assert rows, f"{query.name}: no rows on the shipped data"
        for name, value in bindings.items():
            assert name in variables
            assert all(row[name] == value for row in rows)
    elif isinstance(result, ox.QueryTriples):
        assert list(result), f"{query.name}: no triples on the shipped data"
    else:
        assert isinstance(result, ox.QueryBoolean)


@pytest.mark.parametrize("query", [q for q in EXAMPLES if q.defaults], ids=lambda q: q.name)
def test_bindings_select_what_they_name(store: EmbeddedStore, query: Query) -> None:
    """Binding a parameter to something that does not exist gives nothing (values are bound,
    not ignored)."""
    params = {p.name: p for p in query.params}
    bindings = default_bindings(query)
    name = next(iter(bindings))
    if params[name].kind != "iri":
        pytest.skip("only IRIs have an obviously absent value")
    bindings[name] = ox.NamedNode("https://example.org/nothing")
    result = store.query(query.text, bindings=bindings)
    assert not list(result)


def test_default_lines_are_parsed() -> None:
    query = _parse("person_x", "# title: T\n# param: person iri -- who\n"
                   "# default: person=https://w3id.org/caikg/person/ion-stoica\n"
                   "# example: yes\nSELECT ?person WHERE { ?person ?p ?o }\n")
    assert query.example
    assert query.defaults == {"person": "https://w3id.org/caikg/person/ion-stoica"}
    assert query.params == (Param("person", "iri", True, "who"),)
    assert hash(query) == hash(query)  # still hashable
    assert _parse("work_y", "SELECT * WHERE { ?s ?p ?o }").defaults == {}


# -- the web pages that show the examples ---------------------------------------------------

@pytest.fixture(scope="module")
def render(built_settings: Settings, store: EmbeddedStore) -> Iterator[Callable[[str], str]]:
    """Render a page template of the real app (its layout, filters and url_for)."""
    from flask import render_template

    from caikg.rdf.namespaces import PREFIXES
    from caikg.web.app import create_app

    app = create_app(built_settings, store=store)

    def _render(template: str) -> str:
        with app.test_request_context("/"):
            return render_template(template, endpoint="/sparql", prefixes=dict(PREFIXES),
                                   examples=EXAMPLES)

    yield _render
    app.extensions["caikg_executor"].close()


@pytest.mark.parametrize("template", ["sparql.html", "examples.html"])
def test_pages_respect_the_content_security_policy(render: Callable[[str], str],
                                                   template: str) -> None:
    page = render(template)
    assert "<main" in page and "<header" in page and "<footer" in page
    assert not re.search(r"\sstyle\s*=", page), "no style attributes (CSP)"
    assert "<style" not in page
    assert not re.search(r"\son[a-z]+\s*=", page), "no inline event handlers (CSP)"
    for attrs in re.findall(r"<script([^>]*)>", page):
        assert "src=" in attrs or 'type="application/json"' in attrs, "no inline scripts"
    # nothing is loaded from another host (links to other sites are fine)
    loaded = re.findall(r'src="([^"]*)"', page) + re.findall(r'<link[^>]*href="([^"]*)"', page)
    for url in loaded:
        assert not re.match(r"(https?:)?//", url), url


def test_editor_page_config(render: Callable[[str], str]) -> None:
    page = render("sparql.html")
    assert "<title>SPARQL query editor · caikg</title>" in page
    assert '<div id="yasgui"></div>' in page
    for src in ("/static/vendor/yasgui/yasgui.min.js", "/static/vendor/yasgui/yasgui.min.css",
                "/static/js/sparql-editor.js"):
        assert src in page
    block = re.search(r'<script type="application/json" id="caikg-config">(.*?)</script>',
                      page, re.S)
    assert block
    config = json.loads(block.group(1))
    assert config["endpoint"] == "/sparql"
    assert config["prefixes"]["schema"] == "https://schema.org/"
    assert [e["name"] for e in config["examples"]] == [q.name for q in EXAMPLES]
    by_name = {e["name"]: e for e in config["examples"]}
    for query in EXAMPLES:
        assert by_name[query.name]["text"] == query.text
        assert by_name[query.name]["defaults"] == query.defaults


def test_examples_page_lists_every_example(render: Callable[[str], str]) -> None:
    page = render("examples.html")
    for query in EXAMPLES:
        assert f'id="example-{query.name}"' in page
        assert f'href="/sparql?example={query.name}"' in page
        assert html.escape(query.text, quote=False).splitlines()[-1] in page
