"""The zygote behind the query workers, and the PooledStore the pages use."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from caikg.build.pipeline import build
from caikg.config import Settings
from caikg.store.base import BuildInfo, KnowledgeStore, Overloaded, QueryError, QueryTimeout
from caikg.store.embedded import EmbeddedStore
from caikg.store.pool import memory as memory_module
from caikg.store.pool.executor import QueryExecutor
from caikg.store.pool.memory import estimated_memory, store_mode
from caikg.store.pool.store import PooledStore
from tests.helpers.pool import HEAVY, LIGHT, PEOPLE, assert_gone, person_file, run, solutions
from tests.helpers.project import REPO, make_settings

PEOPLE_GRAPH = "CONSTRUCT WHERE { ?p a schema:Person ; schema:name ?name }"


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@pytest.fixture(scope="module")
def pooled(built_settings: Settings) -> Iterator[PooledStore]:
    store = PooledStore(built_settings)
    yield store
    pids = store.executor.worker_pids
    store.close()
    assert_gone(store.executor, pids)


# -- the zygote ------------------------------------------------------------------------------

def test_workers_are_forked_from_one_zygote(built_settings: Settings) -> None:
    with QueryExecutor(built_settings, workers=2) as ex, \
            QueryExecutor(built_settings, workers=1) as other:
        zygote = ex.zygote_pid
        assert zygote is not None and zygote == other.zygote_pid  # one copy of the store
        assert parent_of(zygote) == os.getpid()
        pids = ex.worker_pids + other.worker_pids
        assert len(set(pids)) == 3
        assert all(parent_of(pid) == zygote for pid in pids)
        assert ex.store_mode == "memory"  # the shipped data is small
        assert run(ex, LIGHT).kind == run(other, LIGHT).kind == "ask"
    assert_gone(ex, pids)
    assert_gone(other, [])
    wait_for(lambda: gone(zygote))  # the last executor of the zygote closed


def test_a_killed_worker_is_replaced_by_a_fork(built_settings: Settings) -> None:
    with QueryExecutor(built_settings, workers=1) as ex:
        [before] = ex.worker_pids
        with pytest.raises(QueryTimeout):
            run(ex, HEAVY, timeout=0.5)
        stopped = time.monotonic()
        assert run(ex, LIGHT).kind == "ask"  # waits for the replacement
        replaced_in = time.monotonic() - stopped
        [after] = ex.worker_pids
        assert after != before and gone(before)
        assert parent_of(after) == ex.zygote_pid
        # a fork, not a new interpreter that imports pyoxigraph and loads the store
        assert replaced_in < 0.5, replaced_in
    assert_gone(ex, [after])


def test_rebuild_loads_a_new_zygote(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    build(settings, [person_file(tmp_path / "a.ttl", "ada", "Ada Lovelace")])
    query = "SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name }"
    with QueryExecutor(settings, workers=2) as ex:
        assert [r[0].value for r in solutions(run(ex, query).body, "json")] == ["Ada Lovelace"]
        old_zygote, old_workers = ex.zygote_pid, ex.worker_pids
        assert old_zygote is not None
        build(settings, [person_file(tmp_path / "b.ttl", "grace", "Grace Hopper")])
        for _ in range(4):
            again = run(ex, query)
            assert [r[0].value for r in solutions(again.body, "json")] == ["Grace Hopper"]
            assert again.version == ex.version
        assert ex.zygote_pid not in {None, old_zygote}
        wait_for(lambda: gone(old_zygote))
        wait_for(lambda: len(ex.worker_pids) == 2)
        pids = ex.worker_pids
        assert not set(pids) & set(old_workers)
        assert all(parent_of(pid) == ex.zygote_pid for pid in pids)
        assert all(gone(pid) for pid in old_workers)
    assert_gone(ex, pids)


def test_disk_and_memory_answer_the_same(built_settings: Settings) -> None:
    queries = [PEOPLE, LIGHT, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"]
    answers: dict[str, list[bytes]] = {}
    for mode in ("memory", "disk"):
        settings = make_settings(built_settings.home, store_memory=mode)
        with QueryExecutor(settings, workers=1) as ex:
            answers[mode] = [run(ex, q).body for q in queries]
            graph = run(ex, PEOPLE_GRAPH, graph_format="nt").body  # in storage order
            answers[mode].append(b"".join(sorted(graph.splitlines(keepends=True))))
            assert ex.store_mode == mode
            pids = ex.worker_pids
        assert_gone(ex, pids)
    assert answers["memory"] == answers["disk"]
    assert json.loads(answers["disk"][0])["results"]["bindings"]


def test_auto_picks_disk_when_the_store_does_not_fit(built_settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    big = BuildInfo(version="x", built_at="", base_iri="https://w3id.org/caikg/",
                    graphs={"https://w3id.org/caikg/graph/curated": 1_000_000})
    assert 500 * 2**20 < estimated_memory(big) < 700 * 2**20  # measured: 656 MiB at the peak
    assert store_mode(make_settings(built_settings.home), big) == "memory"  # 1 GiB default
    assert store_mode(make_settings(built_settings.home, memory_limit=64), big) == "disk"
    assert store_mode(make_settings(built_settings.home, memory_limit=64,
                                    store_memory="memory"), big) == "memory"
    small = BuildInfo.read(built_settings.store_link.resolve())
    assert store_mode(make_settings(built_settings.home, memory_limit=64), small) == "memory"

    # the shipped data, as if a triple took 1 MiB: the zygote keeps it on disk
    monkeypatch.setattr(memory_module, "BYTES_PER_TRIPLE", 2**20)
    settings = make_settings(built_settings.home, memory_limit=64)
    with QueryExecutor(settings, workers=1) as ex:
        assert ex.store_mode == "disk"
        assert run(ex, PEOPLE).count > 50
        pids = ex.worker_pids
    assert_gone(ex, pids)


def test_workers_exit_with_the_executor_process(built_settings: Settings) -> None:
    """SIGKILL the process that holds the executor, while one worker runs a long query: the
    zygote and every worker go too."""
    script = textwrap.dedent(f"""
        import json, sys, threading
        from caikg.store.pool.executor import QueryExecutor
        from tests.helpers.project import make_settings
        ex = QueryExecutor(make_settings(__import__("pathlib").Path({str(built_settings.home)!r})),
                           workers=2)
        busy = threading.Thread(target=lambda: ex.execute({HEAVY!r}, result_format="json",
                                                          graph_format="nt", timeout=60),
                                daemon=True)
        busy.start()
        while ex.jobs < 1:
            pass
        print(json.dumps([ex.zygote_pid, *ex.worker_pids]), flush=True)
        threading.Event().wait()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        pids = json.loads(proc.stdout.readline())
        assert len(pids) == 3 and all(not gone(pid) for pid in pids)
    finally:
        proc.kill()
        proc.wait(10)
    wait_for(lambda: all(gone(pid) for pid in pids))


# -- PooledStore -----------------------------------------------------------------------------

def test_pooled_store_is_a_knowledge_store(pooled: PooledStore, store: EmbeddedStore) -> None:
    members = [m for m in vars(KnowledgeStore) if not m.startswith("_")] + ["instances"]
    attributes = {"info", "instances", "backend", "version"}
    assert all(callable(getattr(pooled, m)) for m in members if m not in attributes)
    assert pooled.info == store.info
    assert pooled.backend == store.backend == "embedded"
    assert pooled.version == store.version != ""
    assert pooled.health() == store.health() == {}
    for text in ("ASK { ?s a ?o }", "ASK { ?s <urn:caikg:none> ?o }",
                 "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                 "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } ORDER BY ?s LIMIT 5"):
        assert pooled.run(text) == store.run(text), text
    assert pooled.instances.base == store.instances.base
    assert len(pooled) == len(store)
    assert pooled.named_graphs() == store.named_graphs()
    assert pooled.data_graphs() == store.data_graphs()
    assert parent_of(pooled.executor.worker_pids[0]) == pooled.executor.zygote_pid


def test_pooled_store_answers_like_the_embedded_store(pooled: PooledStore,
                                                      store: EmbeddedStore) -> None:
    person = store.select("person_top_authors")[0]["person"]
    assert person is not None
    paper = store.select("person_papers", person=person)[0]["work"]
    assert paper is not None
    scheme = ox.NamedNode(str(store.instances.techniques_scheme))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("dataset_counts", {}), ("work_listing", {}), ("work_authors", {}),
        ("person_papers", {"person": person}), ("person_coauthor_counts", {"person": person}),
        ("paper_authors", {"paper": paper}), ("paper_facts", {"paper": paper}),
        ("scheme_concepts", {"scheme": scheme}),
    ]
    for name, bindings in cases:
        expected = store.select(name, **bindings)
        assert expected, name
        assert pooled.select(name, **bindings) == expected, name
    data = store.data_graphs()
    assert (pooled.select("dataset_class_partitions", default_graphs=data)
            == store.select("dataset_class_partitions", default_graphs=data))
    assert set(pooled.construct("entity_document", entity=paper)) == set(
        store.construct("entity_document", entity=paper))
    variables, rows = pooled.rows("SELECT ?n WHERE { ?p schema:name ?n } ORDER BY ?n LIMIT 3")
    assert variables == ["n"] and len(rows) == 3 and all(len(r) == 1 for r in rows)
    void = str(store.instances.void_graph)
    assert set(pooled.quads(void)) == set(store.quads(void))
    for fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_QUADS):
        mine, theirs = io.BytesIO(), io.BytesIO()
        pooled.dump(mine, fmt, prefixes={"schema": "https://schema.org/"})
        store.dump(theirs, fmt, prefixes={"schema": "https://schema.org/"})
        assert mine.getvalue() == theirs.getvalue()


def test_pages_are_answered_while_every_sparql_worker_is_busy(built_settings: Settings,
                                                              store: EmbeddedStore) -> None:
    from caikg.web.app import create_app

    settings = make_settings(built_settings.home, workers=1, queue_timeout=0.2)
    app = create_app(settings)
    ex = app.extensions["caikg_executor"]
    pooled = app.extensions["caikg_store"]
    assert isinstance(pooled, PooledStore) and isinstance(ex, QueryExecutor)
    client = app.test_client()
    person = store.select("person_top_authors")[0]["person"]
    assert person is not None
    person_path = "/" + person.value[len(store.instances.base):]
    errors: list[Exception] = []

    def hold() -> None:
        try:
            run(ex, HEAVY, timeout=20)
        except QueryError as exc:  # killed below
            errors.append(exc)

    jobs = ex.jobs
    holder = threading.Thread(target=hold)
    holder.start()
    try:
        wait_for(lambda: ex.jobs > jobs)
        with pytest.raises(Overloaded):  # the endpoint's only worker is busy...
            run(ex, LIGHT)
        for path in ("/", person_path, "/browse"):  # ...and the pages do not wait for it
            start = time.monotonic()
            resp = client.get(path)
            assert resp.status_code == 200, path
            assert time.monotonic() - start < 5, path
        assert holder.is_alive()
    finally:
        for pid in ex.worker_pids:  # end the long query now
            os.kill(pid, signal.SIGKILL)
        holder.join(30)
        pids = ex.worker_pids + pooled.executor.worker_pids
        pooled.close()
        ex.close()
    assert_gone(ex, pids)


def test_recycling_follows_the_memory_budget() -> None:
    """Workers keep what they copied of the store while CAIKG_MEMORY_LIMIT has room for it
    (a fresh fork's first scan is ~3× slower), and give it back when it has not."""
    from caikg.config import load_settings
    from caikg.store.base import BuildInfo
    from caikg.store.pool.memory import PAGE_WORKERS, RECYCLE_AFTER, recycle_threshold

    def threshold(triples: int, limit: int, workers: int = 2) -> int:
        settings = load_settings(environ={}, memory_limit=limit, workers=workers)
        info = BuildInfo("v", "", "https://w3id.org/caikg/", graphs={"g": triples})
        return recycle_threshold(settings, info)

    mib = 1024 * 1024
    assert threshold(1_000_000, 1024) < 280 * mib < threshold(1_000_000, 2048)  # a 1M scan
    assert threshold(100_000, 1024) > threshold(1_000_000, 1024)
    assert threshold(1_000_000, 1024, workers=1) > threshold(1_000_000, 1024, workers=4)
    assert threshold(5_000_000, 1024) == RECYCLE_AFTER  # never below the floor
    total = 2 + PAGE_WORKERS
    assert threshold(0, 4096) * total <= 4096 * mib
