"""q-value content negotiation."""

from __future__ import annotations

import pytest

from caikg.web.negotiation import negotiate, parse_accept

OFFERS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
          "text/tab-separated-values"]


@pytest.mark.parametrize("accept, expected", [
    (None, "application/sparql-results+json"),
    ("", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/csv", "text/csv"),
    ("text/*", "text/csv"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+xml;q=0.9, */*;q=0.1", "application/sparql-results+xml"),
    ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    ("TEXT/CSV", "text/csv"),
    ("image/png", None),
    ("text/csv;q=0", None),
    ("text/csv;q=abc, text/tab-separated-values;q=0.2", "text/tab-separated-values"),
    ("text/*;q=0.3, text/csv;q=0", "text/tab-separated-values"),
])
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, OFFERS) == expected


def test_parse_accept_ignores_malformed() -> None:
    ranges = parse_accept("text/html;level=1;q=0.7, garbage, */json, application/json;q=2")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "html", 0.7)]
