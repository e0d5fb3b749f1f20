"""The benchmark fixtures: the synthetic data generator and the query mix (benchmarks/)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import generate, mix

from caikg.build import build
from caikg.store import EmbeddedStore
from tests.conftest import REPO, make_settings

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
