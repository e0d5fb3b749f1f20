"""Settings: every value comes from a ``CAIKG_*`` environment variable or a CLI option.

This module is the bottom layer; it imports nothing else from caikg.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

CANONICAL_BASE_IRI = "https://w3id.org/caikg/"
"""The base IRI the files in ``data/`` are written with."""


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


_PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    """Directory of a shipped resource tree (``ontology``, ``data`` or ``web``).

    An installed wheel carries them as ``caikg/resources/<name>``; in a source checkout
    (editable install) they are the top-level folders of the repository.
    """
    packaged = _PACKAGE_DIR / "resources" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent.parent / name


def default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    root = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return root / "caikg"


@dataclass(frozen=True)
class Settings:
    """All of caikg's settings; documented in README.md ("Settings")."""

    home: Path = field(default_factory=default_home)
    base_iri: str = CANONICAL_BASE_IRI
    ontology_dir: Path = field(default_factory=lambda: _resource_dir("ontology"))
    data_dir: Path = field(default_factory=lambda: _resource_dir("data"))
    web_dir: Path = field(default_factory=lambda: _resource_dir("web"))
    host: str = "127.0.0.1"
    port: int = 8080
    query_timeout: float = 30.0
    result_limit: int = 10000
    workers: int = 2
    queue_timeout: float = 10.0
    max_body: int = 1_000_000
    wikidata_sparql: str = "https://query.wikidata.org/sparql"
    wikidata_scholarly_sparql: str = "https://query-scholarly.wikidata.org/sparql"
    wikidata_api: str = "https://www.wikidata.org/w/api.php"
    contact: str = ""
    wikidata_cache_ttl: float = 7 * 24 * 3600.0
    wikidata_min_interval: float = 1.0
    wikidata_timeout: float = 65.0

    @property
    def store_link(self) -> Path:
        """The symlink that always points at the current store directory."""
        return self.home / "store"

    @property
    def stores_dir(self) -> Path:
        return self.home / "stores"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def enrichment_dir(self) -> Path:
        return self.home / "enrichment"

    @property
    def enrichment_file(self) -> Path:
        """The enrichment graph written by ``caikg enrich`` and loaded by ``caikg build``."""
        return self.enrichment_dir / "enrichment.ttl"

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given (non-None) values replaced and checked."""
        values = {k: v for k, v in overrides.items() if v is not None}
        return _checked(replace(self, **values))  # type: ignore[arg-type]


ENV_VARS: dict[str, str] = {
    "CAIKG_HOME": "home",
    "CAIKG_BASE_IRI": "base_iri",
    "CAIKG_ONTOLOGY_DIR": "ontology_dir",
    "CAIKG_DATA_DIR": "data_dir",
    "CAIKG_HOST": "host",
    "CAIKG_PORT": "port",
    "CAIKG_QUERY_TIMEOUT": "query_timeout",
    "CAIKG_RESULT_LIMIT": "result_limit",
    "CAIKG_WORKERS": "workers",
    "CAIKG_QUEUE_TIMEOUT": "queue_timeout",
    "CAIKG_MAX_BODY": "max_body",
    "CAIKG_WIKIDATA_SPARQL": "wikidata_sparql",
    "CAIKG_WIKIDATA_SCHOLARLY_SPARQL": "wikidata_scholarly_sparql",
    "CAIKG_WIKIDATA_API": "wikidata_api",
    "CAIKG_CONTACT": "contact",
    "CAIKG_WIKIDATA_CACHE_TTL": "wikidata_cache_ttl",
    "CAIKG_WIKIDATA_MIN_INTERVAL": "wikidata_min_interval",
    "CAIKG_WIKIDATA_TIMEOUT": "wikidata_timeout",
}
"""Every environment variable caikg reads, and the setting it feeds."""


_PATHS = frozenset({"home", "ontology_dir", "data_dir", "web_dir"})


def _convert(var: str, name: str, raw: str) -> object:
    try:
        if name in _PATHS:
            return Path(raw).expanduser()
        if name == "port":
            return int(raw)
        if name in {"query_timeout", "queue_timeout", "wikidata_cache_ttl",
                    "wikidata_min_interval", "wikidata_timeout"}:
            return float(raw)
        if name in {"result_limit", "workers", "max_body"}:
            return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{var}={raw!r}: {exc}") from None
    return raw


def _checked(settings: Settings) -> Settings:
    base = settings.base_iri
    if not (base.startswith("http://") or base.startswith("https://")) or not base.endswith(
        ("/", "#")
    ):
        raise SettingsError(
            f"CAIKG_BASE_IRI={base!r}: must be an http(s) IRI ending in '/' or '#'"
        )
    if any(c in base for c in " <>\"{}|\\^`"):
        raise SettingsError(f"CAIKG_BASE_IRI={base!r}: contains characters not allowed in an IRI")
    if not 0 < settings.port < 65536:
        raise SettingsError(f"CAIKG_PORT={settings.port}: must be between 1 and 65535")
    if settings.query_timeout <= 0:
        raise SettingsError(f"CAIKG_QUERY_TIMEOUT={settings.query_timeout}: must be positive")
    if settings.result_limit <= 0:
        raise SettingsError(f"CAIKG_RESULT_LIMIT={settings.result_limit}: must be positive")
    if not 1 <= settings.workers <= 64:
        raise SettingsError(f"CAIKG_WORKERS={settings.workers}: must be between 1 and 64")
    if not 0 <= settings.queue_timeout <= 3600:
        raise SettingsError(f"CAIKG_QUEUE_TIMEOUT={settings.queue_timeout}: must be between 0 "
                            "and 3600 seconds")
    if settings.max_body < 1024:
        raise SettingsError(f"CAIKG_MAX_BODY={settings.max_body}: must be at least 1024")
    _check_wikidata(settings)
    return settings


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_CONTACT = re.compile(r"^(?:[^@\s()]+@[^@\s()]+\.[^@\s()]+|https?://[^\s()]+)$")


def _check_wikidata(settings: Settings) -> None:
    endpoints = {"CAIKG_WIKIDATA_SPARQL": settings.wikidata_sparql,
                 "CAIKG_WIKIDATA_SCHOLARLY_SPARQL": settings.wikidata_scholarly_sparql,
                 "CAIKG_WIKIDATA_API": settings.wikidata_api}
    hosts = set()
    for var, url in endpoints.items():
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingsError(f"{var}={url!r}: must be an http(s) URL")
        hosts.add(parts.hostname)
    if settings.contact and not _CONTACT.match(settings.contact):
        raise SettingsError(f"CAIKG_CONTACT={settings.contact!r}: must be an e-mail address "
                            "or an http(s) URL (it goes into the User-Agent)")
    if settings.wikidata_cache_ttl < 0:
        raise SettingsError(f"CAIKG_WIKIDATA_CACHE_TTL={settings.wikidata_cache_ttl}: "
                            "must not be negative")
    if settings.wikidata_timeout <= 0:
        raise SettingsError(f"CAIKG_WIKIDATA_TIMEOUT={settings.wikidata_timeout}: "
                            "must be positive")
    interval = settings.wikidata_min_interval
    if interval < 0 or (interval < 1 and not hosts <= _LOOPBACK):
        raise SettingsError(f"CAIKG_WIKIDATA_MIN_INTERVAL={interval}: must be at least 1 "
                            "second (less only for endpoints on the loopback interface)")


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment, then from explicit overrides (CLI options)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for var, name in ENV_VARS.items():
        raw = env.get(var)
        if raw is not None and raw != "":
            values[name] = _convert(var, name, raw)
    for name, value in overrides.items():
        if value is not None:
            values[name] = Path(value) if name in _PATHS and isinstance(value, str) else value
    return _checked(Settings(**values))  # type: ignore[arg-type]
