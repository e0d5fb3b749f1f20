"""Paths of the repository and settings for a temporary ``CAIKG_HOME``."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from caikg.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SRC = REPO / "src" / "caikg"
SEED = TESTS / "fixtures" / "lists" / "compound-ai-survey.md"
"""The seed reading list's entries (tests/test_importer.py checks this copy against the
original in ../shared/seed when that is there)."""


def make_settings(home: Path, **overrides: object) -> Settings:
    defaults: dict[str, object] = {"ontology_dir": REPO / "ontology", "data_dir": REPO / "data",
                                   "web_dir": REPO / "web"}
    return load_settings(environ={}, home=home, **{**defaults, **overrides})


def term_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """The IRI, blank node id or lexical form of ``term`` (never an RDF-star triple here)."""
    assert not isinstance(term, ox.Triple), term
    return term.value
