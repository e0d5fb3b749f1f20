"""The shipped curated record (data/record/): every work of the list has a record file, every
source is a page a reader can open, checked on a real day, and the record's own words are not
the title again."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest

from caikg.build.record import Record, read_record, record_files
from caikg.rdf.sources import read_sources
from tests.helpers.project import REPO

DATA = REPO / "data"
SCHEMA = "https://schema.org/"
NOT_SOURCES = ("liner.com", "tomesphere.com", "emergentmind.com", "thelatestinai.com",
               "catalyzex.com", "paperhub.cn", "scribd.com", "medium.com")
"""Aggregators and reposts: a fact seen only there is left out, never sourced to them."""


@cache
def record() -> Record:
    return read_record(record_files([DATA]))


def works() -> list[str]:
    listed = read_sources([DATA / "survey.ttl"])
    types = {ox.NamedNode(SCHEMA + "ScholarlyArticle"), ox.NamedNode(SCHEMA + "BlogPosting")}
    return sorted(t.subject.value for t in listed.triples  # type: ignore[union-attr]
                  if t.predicate.value.endswith("#type") and t.object in types)


def test_every_work_of_the_list_has_a_record_file() -> None:
    slugs = {p.stem for p in record_files([DATA])}
    missing = [w for w in works() if w.rsplit("/", 1)[-1] not in slugs]
    assert len(works()) == 42
    assert not missing, missing


def test_every_source_is_a_web_page_checked_on_a_real_day() -> None:
    today = dt.date.today()
    seen = 0
    for _triple, source in record().facts:
        assert source.page is not None, f"{source.path}: {source.graph} has no page"
        url = urlsplit(source.page.value)
        assert url.scheme in ("https", "http") and url.netloc, source.page
        assert not url.netloc.endswith(NOT_SOURCES), f"{source.path}: {source.page}"
        assert source.checked is not None, f"{source.path}: {source.graph} was never checked"
        assert source.checked.datatype.value.endswith("#date")
        checked = dt.date.fromisoformat(source.checked.value)
        assert dt.date(2024, 1, 1) <= checked <= today, (source.graph, checked)
        seen += 1
    assert seen > 500


def test_code_repositories_are_repository_urls() -> None:
    repos = {t.object.value for t, _ in record().facts  # type: ignore[union-attr]
             if t.predicate.value == SCHEMA + "codeRepository"}
    assert len(repos) >= 20
    for repo in repos:
        assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo), repo


def test_a_repository_is_sourced_by_the_repository_itself() -> None:
    for t, source in record().facts:
        if t.predicate.value == SCHEMA + "codeRepository":
            assert source.page is not None
            assert source.page.value.rstrip("/") == t.object.value.rstrip("/"), (  # type: ignore[union-attr]
                f"{source.path}: the repository {t.object} is sourced to {source.page}")


def summaries() -> list[tuple[str, str]]:
    return [(t.subject.value, t.object.value) for t, _ in record().facts  # type: ignore[union-attr]
            if t.predicate.value == SCHEMA + "description"]


def test_summaries_are_short_and_our_own() -> None:
    titles = {t.subject.value: t.object.value for t, _ in record().facts  # type: ignore[union-attr]
              if t.predicate.value == "http://purl.org/dc/terms/title"}
    found = summaries()
    assert len(found) >= 40
    for subject, text in found:
        assert 20 <= len(text) <= 600, (subject, text)
        assert text.lower() != titles.get(subject, "").lower()
        # one or two sentences (a "vs." or "e.g." is not a sentence end)
        ends = re.findall(r"[.!?](?:\s|$)", re.sub(r"\b(e\.g|i\.e|vs|et al)\.", "", text))
        assert len(ends) <= 3, (subject, text)


@pytest.mark.parametrize("path", record_files([DATA]), ids=lambda p: p.name)
def test_record_file_graphs_belong_to_the_file(path: object) -> None:
    """A record file's graphs are named after it (``record:<file>--<source>``), so that a
    curator finds a fact's file from its source record."""
    stem = path.stem  # type: ignore[attr-defined]
    for _t, source in read_record([path]).facts:  # type: ignore[list-item]
        local = source.graph.value.rsplit("/", 1)[-1]
        assert local.startswith(stem + "--"), (path, source.graph)
