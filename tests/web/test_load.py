"""Load and overload against a real ``caikg serve`` (benchmarks/load.py does the work).

The default variant runs 50 clients for 8 s after a 3 s warm-up; the ``slow`` one is the
benchmark's 60 s run after a 60 s warm-up. Both require: no 5xx other than 503 with
``Retry-After``, no failed request, and the server's memory (its process and the query
workers) within 10 % of what it was after the warm-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import load

from caikg.build.pipeline import BuildResult

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

MAX_GROWTH = 0.10


def _load(built: BuildResult, tmp_path: Path, warmup: float, duration: float) -> None:
    assert built.store_dir is not None
    home = built.store_dir.parent.parent
    with load.serving(home, tmp_path / "serve.log") as server:
        report = load.load_run(server, clients=50, warmup=warmup, duration=duration,
                               settings={})
        assert server.proc.poll() is None, "the server died"
    print(load.markdown(report, None, MAX_GROWTH))
    assert report.problems(MAX_GROWTH) == []
    s = report.stats
    assert s.served >= 100
    assert set(s.kinds.values()) == {"page", "sparql", "api", "download"}
    assert len(report.memory_start.by_pid) >= 3  # the server and its two query workers


def test_50_clients_for_8_seconds(built: BuildResult, tmp_path: Path) -> None:
    _load(built, tmp_path, warmup=3, duration=8)


@pytest.mark.slow
def test_50_clients_for_60_seconds(built: BuildResult, tmp_path: Path) -> None:
    _load(built, tmp_path, warmup=60, duration=60)


def test_more_heavy_queries_than_workers_get_503_with_retry_after(
        built: BuildResult, tmp_path: Path) -> None:
    """One worker, twelve heavy queries at once (more than waitress's 8 threads too): each
    gets an answer in time — a timeout or 503 with Retry-After — and /healthz answers right
    after; the endpoint answers again once the killed worker is replaced."""
    assert built.store_dir is not None
    home = built.store_dir.parent.parent
    settings = load.OVERLOAD_SETTINGS
    with load.serving(home, tmp_path / "serve.log", **settings) as server:
        report = load.overload_run(server, load.OVERLOAD_CONCURRENT, settings,
                                   client_timeout=float(settings["CAIKG_QUERY_TIMEOUT"]) + 5)
        assert server.proc.poll() is None, "the server died"
        log = server.log_text()
    assert report.problems(float(settings["CAIKG_QUERY_TIMEOUT"]),
                           float(settings["CAIKG_QUEUE_TIMEOUT"])) == []
    overloaded = [a for a in report.answers if a[0] == 503 and a[1]]
    assert len(overloaded) >= load.OVERLOAD_CONCURRENT - 2
    assert "Traceback" not in log
