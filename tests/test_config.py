"""Settings from CAIKG_* variables and overrides, with errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from caikg.config import CANONICAL_BASE_IRI, SettingsError, load_settings


def test_defaults() -> None:
    s = load_settings(environ={})
    assert s.base_iri == CANONICAL_BASE_IRI
    assert s.home.name == "caikg"
    assert (s.ontology_dir / "shapes.ttl").exists()
    assert (s.data_dir / "survey.ttl").exists()


def test_environment_and_overrides(tmp_path: Path) -> None:
    env = {"CAIKG_HOME": str(tmp_path), "CAIKG_BASE_IRI": "http://example.org/kg/",
           "CAIKG_PORT": "9000", "CAIKG_QUERY_TIMEOUT": "2.5"}
    s = load_settings(environ=env)
    assert (s.home, s.base_iri, s.port, s.query_timeout) == (
        tmp_path, "http://example.org/kg/", 9000, 2.5)
    assert s.store_link == tmp_path / "store"
    assert load_settings(environ=env, port=9100).port == 9100


@pytest.mark.parametrize("env, name", [
    ({"CAIKG_PORT": "eighty"}, "CAIKG_PORT"),
    ({"CAIKG_PORT": "70000"}, "CAIKG_PORT"),
    ({"CAIKG_BASE_IRI": "ftp://example.org/"}, "CAIKG_BASE_IRI"),
    ({"CAIKG_BASE_IRI": "http://example.org/kg"}, "CAIKG_BASE_IRI"),
    ({"CAIKG_BASE_IRI": "http://example.org/<x>/"}, "CAIKG_BASE_IRI"),
    ({"CAIKG_QUERY_TIMEOUT": "0"}, "CAIKG_QUERY_TIMEOUT"),
    ({"CAIKG_RESULT_LIMIT": "-1"}, "CAIKG_RESULT_LIMIT"),
    ({"CAIKG_STORE_QUERY_URL": "store:7878/query"}, "CAIKG_STORE_QUERY_URL"),
    ({"CAIKG_STORE_UPDATE_URL": "http://127.0.0.1:7878/update"}, "CAIKG_STORE_QUERY_URL"),
    ({"CAIKG_STORE_QUERY_URL": "http://127.0.0.1:7878/query",
      "CAIKG_STORE_GSP_URL": "file:///tmp/x"}, "CAIKG_STORE_GSP_URL"),
    ({"CAIKG_STORE_AUTH": "kerberos"}, "CAIKG_STORE_AUTH"),
    ({"CAIKG_STORE_MEMORY": "ram"}, "CAIKG_STORE_MEMORY"),
    ({"CAIKG_MEMORY_LIMIT": "10"}, "CAIKG_MEMORY_LIMIT"),
    ({"CAIKG_MEMORY_LIMIT": "1G"}, "CAIKG_MEMORY_LIMIT"),
    ({"CAIKG_SHACL_ENGINE": "topbraid"}, "CAIKG_SHACL_ENGINE"),
    ({"CAIKG_CACHE_SIZE": "-1"}, "CAIKG_CACHE_SIZE"),
    ({"CAIKG_VERSION_TTL": "-2"}, "CAIKG_VERSION_TTL"),
])
def test_bad_values_name_the_setting(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(environ=env)
