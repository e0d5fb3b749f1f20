"""The change log of a build on a remote store (caikg.build.changes): the previous data are
the live graphs of a real ``oxigraph serve`` on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from caikg.build import changes
from caikg.build.pipeline import build
from tests.helpers.data import data_variant, wait_for_the_next_second
from tests.helpers.project import make_settings
from tests.helpers.remote_servers import available, missing, oxigraph_server

pytestmark = pytest.mark.system  # a real server: make test, not make check

BASE = "https://w3id.org/caikg/"


@pytest.mark.skipif(not available("oxigraph"), reason=missing("oxigraph"))
def test_a_remote_build_compares_with_the_live_graphs(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "server") as endpoint:
        settings = make_settings(tmp_path / "home", store_query_url=endpoint.query_url,
                                 store_update_url=endpoint.update_url,
                                 store_gsp_url=endpoint.gsp_url, version_ttl=0.0)
        first = build(settings)
        wait_for_the_next_second()
        data = data_variant(tmp_path, "graphteam", "bibo:status caikg:Preprint",
                            "bibo:status caikg:Published")
        second = build(settings, [data])
    newest, oldest = changes.read_history(settings)
    assert oldest.version == first.info.version and len(oldest.added) == 42
    assert newest.version == second.info.version
    assert newest.previous_version == first.info.version
    assert [(c.work, changes.describe(c)) for c in newest.changed] == [
        (f"{BASE}paper/graphteam", ["status: preprint → published"])]
