"""The benchmark fixtures: the synthetic data generator and the query mix (benchmarks/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import generate, mix

from caikg.build.pipeline import build
from caikg.store.embedded import EmbeddedStore
from tests.helpers.project import REPO, make_settings

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

TINY = 2_000


def test_generator_is_deterministic_and_the_mix_runs_on_its_output(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.nt", tmp_path / "b.nt", tmp_path / "c.nt"
    stats = generate.generate(TINY, first, seed=7)
    generate.generate(TINY, second, seed=7)
    generate.generate(TINY, other, seed=8)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert TINY <= stats["triples"] < TINY + 200
    assert stats["papers"] > 10 and stats["people"] > 10

    # conforms to the shapes: build() raises BuildError on any violation
    settings = make_settings(tmp_path / "home")
    result = build(settings, [first, REPO / "data" / "techniques.ttl",
                              REPO / "data" / "venues.ttl"])
    assert result.report.conforms

    store = EmbeddedStore.open(settings, in_memory=True)
    params = mix.resolve_params(mix.store_select_first(store))
    assert params["author"].startswith("https://w3id.org/caikg/person/syn-")
    assert params["paper"].startswith("https://w3id.org/caikg/paper/syn-")
    queries = mix.load_mix()
    assert {q.name for q in queries} >= {"entity_lookup", "author_papers", "top_coauthors",
                                         "technique_year", "title_search",
                                         "author_neighbourhood"}
    assert {q.weight for q in queries} == {"light", "heavy"}
    for q in queries:
        text = q.render(params)
        assert "urn:caikg-bench:" not in text
        rows = list(store.query(text))
        assert rows, f"{q.name} returned nothing"


def test_suite_parses_sizes() -> None:
    from benchmarks import suite

    assert suite.parse_size("10000") == 10_000
    assert suite.parse_size("1e6") == 1_000_000
    assert suite.parse_size("1M") == 1_000_000
    assert suite.parse_size("100k") == 100_000
    assert suite.parse_size("1_000") == 1_000


def test_suite_smoke_run_writes_a_consistent_report(tmp_path: Path) -> None:
    """The whole suite at a tiny size, a handful of requests, rdflib included (127.0.0.1)."""
    import json
    import xml.etree.ElementTree as ET

    from benchmarks import suite

    out = tmp_path / "results"
    code = suite.main(["--triples", "3000", "--quick", "--cache", str(tmp_path / "cache"),
                       "--out", str(out), "--inject", "5", "--concurrency", "1", "2"])
    assert code == 0
    md = (out / "suite-3k-quick.md").read_text(encoding="utf-8")
    raw = json.loads((out / "suite-3k-quick.json").read_text(encoding="utf-8"))
    svg = ET.parse(out / "suite-3k-quick.svg").getroot()
    assert svg.tag.endswith("svg") and len(svg) > 20

    # every query ran on the three engines with the same number of results
    names = {q.name for q in mix.load_mix()}
    assert {q["name"] for q in raw["queries"]} == names
    for q in raw["queries"]:
        assert set(q["counts"]) >= {"caikg", "oxigraph-mem", "rdflib"}, q["name"]
        assert len(set(q["counts"].values())) == 1 and q["counts_equal"], q
        for c in ("c1", "c2"):
            ck, ox = q[c]["caikg"], q[c]["oxigraph"]
            assert ck["requests"] > 0 and ox["requests"] > 0 and not ck["errors"]
            assert abs(q[c]["ratio"] - ck["throughput"] / ox["throughput"]) < 1e-9
        assert q["rdflib"]["runs"] >= 1 and q["rdflib_speedup"] > 0
        assert f"`{q['name']}`" in md and " (same)" in md

    # build, export, SHACL and memory numbers are there and hang together
    assert raw["build"]["seconds"] > 0
    assert {"parse", "SHACL", "load"} <= set(raw["build"]["steps"])
    assert sum(raw["build"]["steps"].values()) <= raw["build"]["seconds"]
    assert raw["export"]["ttl_seconds"] > 0 and raw["export"]["ttl_mib"] > 0
    assert raw["servers"]["oxigraph_quads"] == raw["dataset"]["exported_quads"]
    assert raw["rdflib"]["quads"] == raw["dataset"]["exported_quads"]
    shacl = raw["shacl"]
    assert shacl["clean"]["same_verdict"] and shacl["injected"]["same_violations"]
    for run in shacl["clean"]["runs"]:
        assert run["conforms"] and run["violations"] == 0
    for run in shacl["injected"]["runs"]:
        # each of the 5 papers has no title and a year that is not an xsd:gYear
        assert not run["conforms"] and run["violations"] >= 2 * 5
    mem = raw["servers"]["memory"]["caikg"]
    assert 0 < mem["peak_pss_mib"] <= mem["peak_rss_mib"] and mem["samples"] >= 1
    assert mem["max_processes"] >= 2  # the server and its query workers

    targets = {t["target"]: t for t in raw["targets"]}
    assert len(targets) >= 6 and all(t["target"] in md for t in raw["targets"])
    assert targets["same results on every engine"]["met"] is True
    assert targets["build (parse + validate + load)"]["met"] == (
        raw["build"]["seconds"] <= suite.TARGET_BUILD_S)
    # the build's own peak memory, and the invalid graph of the same size refused apart
    assert 10 < raw["build"]["peak_rss_mb"] < 4000
    refused = targets["invalid graph refused"]
    assert raw["invalid"]["exit_code"] == 1 and raw["invalid"]["store_created"] is False
    assert refused["met"] is (raw["invalid"]["refusal_s"] <= suite.TARGET_REFUSAL_S)
    assert "caikg serve / oxigraph serve (in memory), light queries" in targets


def test_the_second_shape_differs_where_it_says_and_conforms(tmp_path: Path) -> None:
    """``--shape teams``: more authors a paper with a longer tail, steeper productivity, more
    venue editions; and still caikg's model (it builds)."""
    systems, teams = tmp_path / "systems.nt", tmp_path / "teams.nt"
    a = generate.generate(60_000, systems, seed=3)
    b = generate.generate(60_000, teams, seed=3, shape="teams")
    assert a["max_authors"] <= 15 < b["max_authors"] <= 40
    assert b["authorships"] / b["papers"] > 1.4 * a["authorships"] / a["papers"]
    assert b["most_papers"] > a["most_papers"]
    assert b["editions"] > a["editions"]
    assert generate.SHAPES["teams"].mean_authors > generate.SHAPES["systems"].mean_authors + 2
    settings = make_settings(tmp_path / "home")
    result = build(settings, [teams, REPO / "data" / "techniques.ttl",
                              REPO / "data" / "venues.ttl"])
    assert result.report.conforms


def test_invalid_graph_is_refused_with_a_short_report(tmp_path: Path) -> None:
    from benchmarks import invalid

    path = tmp_path / "invalid.ttl"
    written = invalid.generate(path, 20_000)
    result = invalid.measure(path, tmp_path / "home")
    assert result["triples"] == written
    assert result["exit_code"] == 1 and result["store_created"] is False
    assert isinstance(result["report_lines"], int) and result["report_lines"] < 100
    assert any("results on" in str(line) for line in result["summary"])  # type: ignore[attr-defined]
