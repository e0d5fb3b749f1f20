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
    openalex_api: str = "https://api.openalex.org"
    crossref_api: str = "https://api.crossref.org"
    openreview_api: str = "https://api2.openreview.net"
    arxiv_api: str = "https://export.arxiv.org/api/query"
    literature_min_interval: float = 1.0
    literature_cache_ttl: float = 7 * 24 * 3600.0
    store_query_url: str = ""
    store_update_url: str = ""
    store_gsp_url: str = ""
    store_user: str = ""
    store_password: str = ""
    store_auth: str = "basic"
    store_memory: str = "auto"
    memory_limit: int = 1024
    shacl_engine: str = "sparql"
    cache_size: int = 64
    version_ttl: float = 2.0

    @property
    def remote(self) -> bool:
        """True when a remote SPARQL store (``CAIKG_STORE_QUERY_URL``) is configured."""
        return bool(self.store_query_url)

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
    def history_dir(self) -> Path:
        """The change logs of the last builds (``caikg.build.changes``), read by the feeds."""
        return self.home / "history"

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
    "CAIKG_OPENALEX_API": "openalex_api",
    "CAIKG_CROSSREF_API": "crossref_api",
    "CAIKG_OPENREVIEW_API": "openreview_api",
    "CAIKG_ARXIV_API": "arxiv_api",
    "CAIKG_LITERATURE_MIN_INTERVAL": "literature_min_interval",
    "CAIKG_LITERATURE_CACHE_TTL": "literature_cache_ttl",
    "CAIKG_STORE_QUERY_URL": "store_query_url",
    "CAIKG_STORE_UPDATE_URL": "store_update_url",
    "CAIKG_STORE_GSP_URL": "store_gsp_url",
    "CAIKG_STORE_USER": "store_user",
    "CAIKG_STORE_PASSWORD": "store_password",
    "CAIKG_STORE_AUTH": "store_auth",
    "CAIKG_STORE_MEMORY": "store_memory",
    "CAIKG_MEMORY_LIMIT": "memory_limit",
    "CAIKG_SHACL_ENGINE": "shacl_engine",
    "CAIKG_CACHE_SIZE": "cache_size",
    "CAIKG_VERSION_TTL": "version_ttl",
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
                    "wikidata_min_interval", "wikidata_timeout", "version_ttl",
                    "literature_min_interval", "literature_cache_ttl"}:
            return float(raw)
        if name in {"result_limit", "workers", "max_body", "memory_limit", "cache_size"}:
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
    _check_literature(settings)
    _check_store(settings)
    return settings


def _check_store(settings: Settings) -> None:
    urls = {"CAIKG_STORE_QUERY_URL": settings.store_query_url,
            "CAIKG_STORE_UPDATE_URL": settings.store_update_url,
            "CAIKG_STORE_GSP_URL": settings.store_gsp_url}
    for var, url in urls.items():
        if url:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise SettingsError(f"{var}={url!r}: must be an http(s) URL")
    if not settings.store_query_url and (settings.store_update_url or settings.store_gsp_url):
        raise SettingsError("CAIKG_STORE_UPDATE_URL and CAIKG_STORE_GSP_URL need "
                            "CAIKG_STORE_QUERY_URL (the remote store's query endpoint)")
    if settings.store_auth not in {"basic", "digest"}:
        raise SettingsError(f"CAIKG_STORE_AUTH={settings.store_auth!r}: must be 'basic' or "
                            "'digest'")
    if settings.store_memory not in {"auto", "memory", "disk"}:
        raise SettingsError(f"CAIKG_STORE_MEMORY={settings.store_memory!r}: must be 'auto', "
                            "'memory' or 'disk'")
    if settings.memory_limit < 64:
        raise SettingsError(f"CAIKG_MEMORY_LIMIT={settings.memory_limit}: must be at least 64 "
                            "(MiB)")
    if settings.shacl_engine not in {"sparql", "pyshacl"}:
        raise SettingsError(f"CAIKG_SHACL_ENGINE={settings.shacl_engine!r}: must be 'sparql' "
                            "or 'pyshacl'")
    if settings.cache_size < 0:
        raise SettingsError(f"CAIKG_CACHE_SIZE={settings.cache_size}: must not be negative "
                            "(MiB; 0 turns the result cache off)")
    if settings.version_ttl < 0:
        raise SettingsError(f"CAIKG_VERSION_TTL={settings.version_ttl}: must not be negative")


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_CONTACT = re.compile(r"^(?:[^@\s()]+@[^@\s()]+\.[^@\s()]+|https?://[^\s()]+)$")


def _check_service(endpoints: Mapping[str, str], interval_var: str, interval: float,
                   ttl_var: str, ttl: float) -> None:
    """Endpoints of one outside service are http(s) URLs; its cache TTL is not negative; its
    spacing is at least a second unless every endpoint is on the loopback interface."""
    hosts = set()
    for var, url in endpoints.items():
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingsError(f"{var}={url!r}: must be an http(s) URL")
        hosts.add(parts.hostname)
    if ttl < 0:
        raise SettingsError(f"{ttl_var}={ttl}: must not be negative")
    if interval < 0 or (interval < 1 and not hosts <= _LOOPBACK):
        raise SettingsError(f"{interval_var}={interval}: must be at least 1 "
                            "second (less only for endpoints on the loopback interface)")


def _check_wikidata(settings: Settings) -> None:
    _check_service({"CAIKG_WIKIDATA_SPARQL": settings.wikidata_sparql,
                    "CAIKG_WIKIDATA_SCHOLARLY_SPARQL": settings.wikidata_scholarly_sparql,
                    "CAIKG_WIKIDATA_API": settings.wikidata_api},
                   "CAIKG_WIKIDATA_MIN_INTERVAL", settings.wikidata_min_interval,
                   "CAIKG_WIKIDATA_CACHE_TTL", settings.wikidata_cache_ttl)
    if settings.contact and not _CONTACT.match(settings.contact):
        raise SettingsError(f"CAIKG_CONTACT={settings.contact!r}: must be an e-mail address "
                            "or an http(s) URL (it goes into the User-Agent)")
    if settings.wikidata_timeout <= 0:
        raise SettingsError(f"CAIKG_WIKIDATA_TIMEOUT={settings.wikidata_timeout}: "
                            "must be positive")


def _check_literature(settings: Settings) -> None:
    _check_service({"CAIKG_OPENALEX_API": settings.openalex_api,
                    "CAIKG_CROSSREF_API": settings.crossref_api,
                    "CAIKG_OPENREVIEW_API": settings.openreview_api,
                    "CAIKG_ARXIV_API": settings.arxiv_api},
                   "CAIKG_LITERATURE_MIN_INTERVAL", settings.literature_min_interval,
                   "CAIKG_LITERATURE_CACHE_TTL", settings.literature_cache_ttl)


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
