"""The polite, robust HTTP client every enrichment source uses, with an on-disk cache.

One request at a time per client, at least ``min_interval`` seconds apart; ``Retry-After``
honoured (429, 503); exponential backoff with jitter on 5xx, timeouts and dropped connections;
a response that is cut off or not what the protocol promises (the ``check`` of the request
fails) is retried like a timeout; answers are cached on disk with a time to live, and
``--offline`` answers from the cache only (any age). Every request carries
``User-Agent: caikg/<version> (<CAIKG_CONTACT>)``; sources that ask for it also get the contact
as ``mailto`` (OpenAlex's and Crossref's "polite pool").

Sleeping, the monotonic clock, the wall clock and the jitter are injectable, so tests run in
no time. Only this module and :mod:`caikg.enrich.wikidata` talk to the network.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import requests

from caikg import __version__
from caikg.config import Settings
from caikg.files import write_atomically

MAX_ATTEMPTS = 6
BACKOFF_BASE = 2.0
BACKOFF_CAP = 120.0


class SourceError(Exception):
    """A request to a source failed for good (after retries, or a refusal such as 403)."""


class NotFound(SourceError):
    """The source has no record for this request (HTTP 404): an answer, not a failure."""


class CacheMiss(NotFound):
    """``--offline``: the response is not in the cache (the lookup is skipped, as for a 404,
    and counted in the request log's ``cache_misses``)."""


class Retry(Exception):
    """One attempt failed in a way that is worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def user_agent(contact: str) -> str:
    return f"caikg/{__version__} ({contact})"


def retry_after(value: str | None) -> float | None:
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


NOT_FOUND = b'{"caikg:not-found": true}'
"""What the cache keeps for a 404, so that a warm cache answers "no record" without asking."""


@dataclass
class RequestLog:
    """What the client did, for the provenance record and for tests."""

    sent: list[tuple[float, str]] = field(default_factory=list)
    """(monotonic time, endpoint) of every request that went out."""
    cache_hits: int = 0
    cache_misses: list[str] = field(default_factory=list)
    queries: dict[str, str] = field(default_factory=dict)
    """sha256 of each request (query text or parameters) → endpoint."""
    sleeps: list[float] = field(default_factory=list)
    first: float | None = None
    """Wall-clock time of the first request or cache answer (the activity's start)."""


class PoliteClient:
    """One request at a time, spaced, retried, cached."""

    error: type[SourceError] = SourceError
    miss: type[SourceError] = CacheMiss

    def __init__(self, settings: Settings, name: str, *, offline: bool = False,
                 min_interval: float | None = None, ttl: float | None = None,
                 timeout: float | None = None,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None,
                 now: Callable[[], float] | None = None,
                 jitter: Callable[[], float] | None = None,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        if not settings.contact:
            raise self.error(
                "set CAIKG_CONTACT to an e-mail address or URL where the operators of the "
                "sources can reach you (it goes into the User-Agent, and as mailto to OpenAlex "
                "and Crossref)")
        self.settings = settings
        self.name = name
        self.offline = offline
        self.user_agent = user_agent(settings.contact)
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._now = now or time.time
        self._jitter = jitter or random.random
        self.max_attempts = max_attempts
        self.min_interval = (settings.literature_min_interval if min_interval is None
                             else min_interval)
        self.timeout = settings.wikidata_timeout if timeout is None else timeout
        self.cache = ResponseCache(settings.cache_dir / name,
                                   settings.literature_cache_ttl if ttl is None else ttl,
                                   self._now)
        self.log = RequestLog()
        self._last: float | None = None
        self._session = requests.Session()
        self._session.headers["User-Agent"] = self.user_agent

    @property
    def mailto(self) -> str | None:
        """The contact as an e-mail address, for services that ask for ``mailto``."""
        contact = self.settings.contact
        return contact.removeprefix("mailto:") if "@" in contact else None

    # -- public ------------------------------------------------------------------------------
    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """The JSON answer of ``GET url?params``; :class:`NotFound` for a 404."""
        body = self.get(url, params, _json)
        return _json(body)

    def get(self, url: str, params: Mapping[str, str] | None,
            check: Callable[[bytes], object]) -> bytes:
        """The body of ``GET url?params`` once ``check`` accepts it (it raises ValueError on
        a truncated or malformed body); :class:`NotFound` for a 404."""
        params = dict(params or {})
        request = url + ("?" + "&".join(f"{k}={params[k]}" for k in sorted(params))
                         if params else "")
        body = self.fetch(url, request, lambda: self._get_once(url, params), check)
        if body == NOT_FOUND:
            raise NotFound(f"{url}: no such record")
        return body

    # -- the retry loop ----------------------------------------------------------------------
    def fetch(self, endpoint: str, request: str, once: Callable[[], bytes],
              check: Callable[[bytes], object]) -> bytes:
        digest = hashlib.sha256(request.encode()).hexdigest()
        self.log.queries[digest] = endpoint
        if self.log.first is None:
            self.log.first = self._now()
        cached = self.cache.get(endpoint, request, any_age=self.offline)
        if cached is not None:
            self.log.cache_hits += 1
            return cached
        if self.offline:
            self.log.cache_misses.append(f"{endpoint} {digest[:12]}")
            raise self.miss(f"offline: no cached answer for a request to {endpoint}")
        reason = ""
        for attempt in range(self.max_attempts):
            self._wait_turn()
            try:
                body = once()
                if body != NOT_FOUND:
                    try:
                        check(body)
                    except (ValueError, UnicodeError) as exc:
                        raise Retry(f"invalid or truncated response: {exc}") from None
            except Retry as exc:
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
        raise self.error(f"{endpoint}: giving up after {self.max_attempts} attempts: {reason}")

    def _wait_turn(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self.min_interval:
            self._pause(self.min_interval - (now - self._last))
        self._last = self._clock()

    def _pause(self, seconds: float) -> None:
        self.log.sleeps.append(seconds)
        self._sleep(seconds)

    def sent(self, endpoint: str) -> None:
        self._last = self._clock()
        self.log.sent.append((self._last, endpoint))

    # -- one attempt -------------------------------------------------------------------------
    def _get_once(self, url: str, params: Mapping[str, str]) -> bytes:
        self.sent(url)
        try:
            response = self._session.get(url, params=dict(params), timeout=self.timeout)
            body = response.content
        except (requests.Timeout, requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError) as exc:
            raise Retry(f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        self.refused(status, url)
        if status == 429 or status >= 500:
            raise Retry(f"HTTP {status}", retry_after(response.headers.get("Retry-After")))
        if status == 404:
            return NOT_FOUND
        if status != 200:
            raise self.error(f"{url}: HTTP {status}")
        return body

    def refused(self, status: int, endpoint: str) -> None:
        if status == 403:
            raise self.error(
                f"{endpoint}: 403 Forbidden — the service refuses our requests; sent "
                f"User-Agent {self.user_agent!r} (set CAIKG_CONTACT to a working contact)")


def _json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


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
