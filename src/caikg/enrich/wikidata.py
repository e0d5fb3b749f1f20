"""A polite, robust client for Wikidata's query services (SPARQLWrapper) and action API
(requests), with an on-disk response cache.

Wikimedia's rules are followed: a descriptive ``User-Agent`` with a contact, one request at a
time with at least ``CAIKG_WIKIDATA_MIN_INTERVAL`` seconds between requests, ``Retry-After``
honoured (429, 503, ``maxlag``), exponential backoff with jitter on 5xx and timeouts, and
``maxlag`` sent to the action API. A response that is cut off or not what the protocol promises
(JSON that does not parse, SPARQL JSON without ``results.bindings``) is retried like a timeout.

Sleeping, the monotonic clock, the wall clock and the jitter are injectable, so tests run in
no time. Only this module talks to the network.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import sys
import time
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import requests
from SPARQLWrapper import GET, JSON, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

from caikg import __version__
from caikg.config import Settings
from caikg.files import write_atomically
from caikg.sparql import json_terms as sparql_json

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Binding = dict[str, Term]

MAX_ATTEMPTS = 6
BACKOFF_BASE = 2.0
BACKOFF_CAP = 120.0
MAXLAG = 5
"""Seconds of replication lag above which the action API refuses us (``maxlag``)."""


class WikidataError(Exception):
    """A request to Wikidata failed for good (after retries, or a refusal such as 403)."""


class CacheMiss(WikidataError):
    """``--offline``: the response is not in the cache."""


class _Retry(Exception):
    """One attempt failed in a way that is worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def user_agent(contact: str) -> str:
    return f"caikg/{__version__} ({contact})"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# -- SPARQL JSON results ----------------------------------------------------------------------
def parse_sparql_json(body: bytes) -> list[Binding]:
    """Rows of a SPARQL 1.1 JSON result, with ``xml:lang`` and datatypes honoured.

    Raises :class:`ValueError` when the body is not a complete SPARQL JSON result."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict) or \
            not isinstance(data["results"].get("bindings"), list):
        raise ValueError("not a SPARQL JSON result (results.bindings missing)")
    rows: list[Binding] = []
    for raw in data["results"]["bindings"]:
        row: Binding = {}
        for var, value in raw.items():
            row[var] = sparql_json.term(value)
        rows.append(row)
    return rows


# -- the cache --------------------------------------------------------------------------------
@dataclass
class ResponseCache:
    """Responses on disk, one file per (endpoint, request), with a time to live."""

    directory: Path
    ttl: float
    now: Callable[[], float] = time.time

    @staticmethod
    def key(endpoint: str, request: str) -> str:
        return hashlib.sha256(f"{endpoint}\n{request}".encode()).hexdigest()

    def _path(self, endpoint: str, request: str) -> Path:
        k = self.key(endpoint, request)
        return self.directory / k[:2] / f"{k}.json"

    def get(self, endpoint: str, request: str, *, any_age: bool = False) -> bytes | None:
        path = self._path(endpoint, request)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            body = entry["body"].encode("utf-8")
            fetched = float(entry["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not any_age and self.now() - fetched > self.ttl:
            return None
        return body

    def put(self, endpoint: str, request: str, body: bytes) -> None:
        entry = {"endpoint": endpoint, "request": request, "fetched_at": self.now(),
                 "body": body.decode("utf-8")}
        write_atomically(self._path(endpoint, request),
                         json.dumps(entry, ensure_ascii=False).encode("utf-8"))


# -- the client -------------------------------------------------------------------------------
@dataclass
class RequestLog:
    """What the client did, for the provenance record and for tests."""

    sent: list[tuple[float, str]] = field(default_factory=list)
    """(monotonic time, endpoint) of every request that went out."""
    cache_hits: int = 0
    cache_misses: list[str] = field(default_factory=list)
    queries: dict[str, str] = field(default_factory=dict)
    """sha256 of each request (query text or API parameters) → endpoint."""
    sleeps: list[float] = field(default_factory=list)


class WikidataClient:
    """One request at a time, spaced, retried, cached."""

    def __init__(self, settings: Settings, *, offline: bool = False,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None,
                 now: Callable[[], float] | None = None,
                 jitter: Callable[[], float] | None = None,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        if not settings.contact:
            raise WikidataError("set CAIKG_CONTACT to an e-mail address or URL where the "
                                "operators of Wikidata can reach you (Wikimedia's User-Agent "
                                "policy requires one)")
        self.settings = settings
        self.offline = offline
        self.user_agent = user_agent(settings.contact)
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._jitter = jitter or random.random
        self.max_attempts = max_attempts
        self.min_interval = settings.wikidata_min_interval
        self.timeout = settings.wikidata_timeout
        self.cache = ResponseCache(settings.cache_dir / "wikidata", settings.wikidata_cache_ttl,
                                   now or time.time)
        self.log = RequestLog()
        self._last: float | None = None
        self._session = requests.Session()
        self._session.headers["User-Agent"] = self.user_agent

    # -- public ------------------------------------------------------------------------------
    def select(self, endpoint: str, query: str) -> list[Binding]:
        """Rows of a SPARQL SELECT ``query`` sent to ``endpoint``."""
        body = self._fetch(endpoint, query, lambda: self._sparql_once(endpoint, query),
                           parse_sparql_json)
        return parse_sparql_json(body)

    def api(self, params: Mapping[str, str]) -> dict[str, Any]:
        """A JSON answer of the action API (``format=json`` and ``maxlag`` are added)."""
        full = {**params, "format": "json", "formatversion": "2", "maxlag": str(MAXLAG)}
        request = "&".join(f"{k}={full[k]}" for k in sorted(full))
        endpoint = self.settings.wikidata_api
        body = self._fetch(endpoint, request, lambda: self._api_once(endpoint, full),
                           _parse_api)
        return _parse_api(body)

    # -- the retry loop ----------------------------------------------------------------------
    def _fetch(self, endpoint: str, request: str, once: Callable[[], bytes],
               check: Callable[[bytes], object]) -> bytes:
        digest = hashlib.sha256(request.encode()).hexdigest()
        self.log.queries[digest] = endpoint
        cached = self.cache.get(endpoint, request, any_age=self.offline)
        if cached is not None:
            self.log.cache_hits += 1
            return cached
        if self.offline:
            self.log.cache_misses.append(f"{endpoint} {digest[:12]}")
            raise CacheMiss(f"offline: no cached answer for a request to {endpoint}")
        reason = ""
        for attempt in range(self.max_attempts):
            self._wait_turn()
            try:
                body = once()
                try:
                    check(body)
                except (ValueError, UnicodeError) as exc:
                    raise _Retry(f"invalid or truncated response: {exc}") from None
            except _Retry as exc:
                reason = str(exc)
                if attempt + 1 >= self.max_attempts:
                    break
                delay = exc.retry_after
                if delay is None:
                    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt)
                    delay *= 1 + 0.5 * self._jitter()
                self._pause(delay)
                continue
            self.cache.put(endpoint, request, body)
            return body
        raise WikidataError(f"{endpoint}: giving up after {self.max_attempts} attempts: "
                            f"{reason}")

    def _wait_turn(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self.min_interval:
            self._pause(self.min_interval - (now - self._last))
        self._last = self._clock()

    def _pause(self, seconds: float) -> None:
        self.log.sleeps.append(seconds)
        self._sleep(seconds)

    def _sent(self, endpoint: str) -> None:
        self._last = self._clock()
        self.log.sent.append((self._last, endpoint))

    # -- one attempt -------------------------------------------------------------------------
    def _sparql_once(self, endpoint: str, query: str) -> bytes:
        wrapper = SPARQLWrapper(endpoint, agent=self.user_agent)
        wrapper.setQuery(query)
        wrapper.setMethod(GET)
        wrapper.setReturnFormat(JSON)
        wrapper.setOnlyConneg(True)
        wrapper.setTimeout(int(self.timeout))
        self._sent(endpoint)
        try:
            result = wrapper.query()
            return bytes(result.response.read())
        except EndPointInternalError as exc:  # HTTP 500, e.g. a query timeout
            text = str(exc)
            hint = " (query timeout)" if "TimeoutException" in text else ""
            raise _Retry(f"HTTP 500{hint}") from None
        except urllib.error.HTTPError as exc:
            self._refused(exc.code, endpoint)
            if exc.code == 429 or exc.code >= 500:
                raise _Retry(f"HTTP {exc.code}", _retry_after(exc.headers.get("Retry-After"))
                             ) from None
            raise WikidataError(f"{endpoint}: HTTP {exc.code} {exc.reason}") from None
        except SPARQLWrapperException as exc:
            raise WikidataError(f"{endpoint}: {exc}") from None
        except (TimeoutError, http.client.IncompleteRead, http.client.RemoteDisconnected,
                ConnectionError) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | ConnectionError):
                raise _Retry(f"{exc.reason}") from None
            raise WikidataError(f"{endpoint}: {exc.reason}") from None

    def _api_once(self, endpoint: str, params: Mapping[str, str]) -> bytes:
        self._sent(endpoint)
        try:
            response = self._session.get(endpoint, params=dict(params), timeout=self.timeout)
            body = response.content
        except (requests.Timeout, requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None
        self._refused(response.status_code, endpoint)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code}",
                         _retry_after(response.headers.get("Retry-After")))
        if response.status_code != 200:
            raise WikidataError(f"{endpoint}: HTTP {response.status_code}")
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeError):
            return body  # the check reports it as truncated and it is retried
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code = error.get("code", "")
            if code in {"maxlag", "ratelimited", "readonly"}:
                raise _Retry(f"API error {code}",
                             _retry_after(response.headers.get("Retry-After")) or MAXLAG)
            raise WikidataError(f"{endpoint}: API error {code}: {error.get('info', '')}")
        return body

    def _refused(self, status: int, endpoint: str) -> None:
        if status == 403:
            raise WikidataError(
                f"{endpoint}: 403 Forbidden — Wikimedia refuses requests without a "
                f"descriptive User-Agent with a contact; sent {self.user_agent!r} "
                f"(set CAIKG_CONTACT)")


def _parse_api(body: bytes) -> dict[str, Any]:
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("the API answer is not a JSON object")
    return data


class Progress:
    """A simple text progress bar on stderr."""

    def __init__(self, label: str, total: int, stream: Any = None) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream if stream is not None else sys.stderr

    def step(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        width = 30
        filled = int(width * self.done / self.total)
        self.stream.write(f"\r{self.label:<10} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{self.done}/{self.total}")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
