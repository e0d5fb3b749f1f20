"""Shared fixtures: settings pointing at a temporary CAIKG_HOME, and one built store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caikg.build.pipeline import BuildResult, build
from caikg.config import Settings
from caikg.store.embedded import EmbeddedStore
from tests.helpers.project import make_settings

NOWHERE = "http://127.0.0.1:9"
"""The discard port of the loopback interface: nothing listens, a request is refused at once."""

OUTSIDE_SERVICES = ("CAIKG_WIKIDATA_SPARQL", "CAIKG_WIKIDATA_SCHOLARLY_SPARQL",
                    "CAIKG_WIKIDATA_API", "CAIKG_OPENALEX_API", "CAIKG_CROSSREF_API",
                    "CAIKG_OPENREVIEW_API", "CAIKG_ARXIV_API")


@pytest.fixture(autouse=True)
def no_outside_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach a real service: every outside endpoint points at a closed loopback
    port unless the test points it at its own stand-in (an explicit environment given to
    ``load_settings`` or a later ``monkeypatch.setenv`` wins; subprocesses inherit this)."""
    for var in OUTSIDE_SERVICES:
        monkeypatch.setenv(var, f"{NOWHERE}/{var.lower()}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The shipped data, built once for the whole session (treat as read-only)."""
    return build(make_settings(tmp_path_factory.mktemp("built") / "home"))


@pytest.fixture(scope="session")
def built_settings(built: BuildResult) -> Settings:
    assert built.store_dir is not None
    return make_settings(built.store_dir.parent.parent)


@pytest.fixture(scope="session")
def store(built_settings: Settings) -> EmbeddedStore:
    return EmbeddedStore.open(built_settings, in_memory=True)


@pytest.fixture(scope="module")
def app(built_settings: Settings, store: EmbeddedStore) -> Iterator[Flask]:
    """The web application over the shipped data (one per test module)."""
    from caikg.web.app import create_app

    application = create_app(built_settings, store=store)
    yield application
    application.extensions["caikg_executor"].close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for running the ``caikg`` command in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIKG_")}
    env["CAIKG_HOME"] = str(tmp_path / "cli-home")
    yield env


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.slow`` tests (long variants) run only with ``CAIKG_LONG_TESTS=1``."""
    if os.environ.get("CAIKG_LONG_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="long variant: set CAIKG_LONG_TESTS=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
