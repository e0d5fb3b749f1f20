"""HTTP caching: the knowledge base is read-only between builds, so an answer is a function of
the data version and the request alone.

* **ETags** (strong) on the successful ``GET``/``HEAD`` responses of every data route (pages,
  twins, ``/sparql``, ``/api``, ``/downloads``, ``/ontology`` …): a hash of the data version,
  the request's origin, path and sorted query parameters and its ``Accept`` header — everything
  a representation depends on (the negotiated ``Content-Type`` is a function of these). No
  process-local state goes in, so every ``caikg serve`` process and host over the same data
  gives the same ETag. A matching ``If-None-Match`` (a list, ``W/`` tags and ``*`` included;
  weak comparison) is answered ``304`` in ``before_request``, without running a query.
* **Cache-Control**: ``public, max-age=60`` on those responses; ``no-store`` on ``/healthz``
  and on every error (4xx, 5xx), which never get an ETag and are never cached.
* **A result cache** in each process (LRU bounded by ``CAIKG_CACHE_SIZE`` MiB; 0 turns it off)
  of the 200 responses to ``GET``/``HEAD`` and ``POST /sparql`` (keyed by the body and its
  ``Content-Type`` too): a repeated query or page is answered without touching the store.
  Keys include the data version; when it changes, the old entries are dropped. Responses say
  ``X-CAIKG-Cache: hit`` (answered from this cache, or a 304 known before running the route)
  or ``miss``.
* **Dataset downloads** are written once per data version to
  ``$CAIKG_HOME/exports/<version>/caikg.<ext>`` (atomically; other versions are removed) and
  served from there (:func:`export_file`).

Every use of the data version goes through :func:`current_version`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request

from caikg.config import Settings
from caikg.export.dumps import export_bytes
from caikg.files import write_atomically
from caikg.rdf.formats import Format
from caikg.store.base import KnowledgeStore
from caikg.web import context as common

log = logging.getLogger(__name__)

MAX_AGE = 60
"""Seconds a shared or browser cache may reuse a data response without revalidating it."""
DATA_CACHE_CONTROL = f"public, max-age={MAX_AGE}"
CACHE_HEADER = "X-CAIKG-Cache"
VERSION_HEADER = "X-CAIKG-Data-Version"
MIB = 1024 * 1024
ENTRY_OVERHEAD = 256
"""Bytes counted for an entry on top of its body and headers (key, bookkeeping)."""



@dataclass(frozen=True)
class CachePolicy:
    """How a route's responses are validated and cached; a route declares it with
    :func:`policy` (the default: cached, one representation, no CORS)."""

    cached: bool = True
    """Inside ETags and the result cache."""
    negotiates: bool | Callable[[dict[str, Any]], bool] = False
    """The representation is chosen from ``Accept`` (``Vary: Accept``); a function of the
    view's arguments when only some of its URLs negotiate."""
    cors: bool = False
    """Answers with open CORS headers (also on a 304)."""
    post: bool = False
    """POST requests are cached too (the SPARQL protocol's POST forms)."""
    no_store: bool = False
    """``Cache-Control: no-store`` (health checks)."""


DEFAULT_POLICY = CachePolicy()
STATIC_POLICY = CachePolicy(cached=False)
"""Flask's static files carry Flask's own validators."""
View = Callable[..., Any]


def policy(**fields: Any) -> Callable[[View], View]:
    """Declare the :class:`CachePolicy` of a route (put it below ``@bp.get``)."""
    def declare(view: View) -> View:
        view.caikg_cache_policy = CachePolicy(**fields)  # type: ignore[attr-defined]
        return view

    return declare


def _policy() -> CachePolicy:
    if request.endpoint == "static":
        return STATIC_POLICY
    view = current_app.view_functions.get(request.endpoint or "")
    found: CachePolicy = getattr(view, "caikg_cache_policy", DEFAULT_POLICY)
    return found
KEPT_ON_304 = ("Cache-Control", "Content-Location", "ETag", "Vary", VERSION_HEADER,
               "Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
               "Access-Control-Allow-Headers", "Access-Control-Expose-Headers")
NOT_STORED = frozenset({CACHE_HEADER.lower(), "date", "set-cookie"})
_SAFE_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,127}")


# -- the data version ------------------------------------------------------------------------

def current_version() -> str:
    """The data version the next answer comes from: the ``caikg_data_version`` extension (a
    zero-argument callable, e.g. for a remote store) when installed, else the executor's."""
    custom = current_app.extensions.get("caikg_data_version")
    if custom is not None:
        version: Callable[[], object] = custom
        return str(version())
    return common.executor().version


# -- the result cache ------------------------------------------------------------------------

@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + ENTRY_OVERHEAD

    def response(self) -> Response:
        resp = Response(self.body, status=self.status)
        resp.headers.clear()
        for name, value in self.headers:
            resp.headers.add(name, value)
        return resp


class ResultCache:
    """Responses by key, least recently used first out, at most ``max_bytes`` in all; only
    entries of one data version at a time. Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 8
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._size = 0
        self._version: str | None = None

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def size(self) -> int:
        """Bytes held."""
        with self._lock:
            return self._size

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _switch(self, version: str) -> None:
        if version != self._version:
            self._entries.clear()
            self._size = 0
            self._version = version

    def get(self, version: str, key: str) -> CachedResponse | None:
        if not self.enabled:
            return None
        with self._lock:
            self._switch(version)
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, version: str, key: str, entry: CachedResponse) -> bool:
        """Keep ``entry`` unless it is larger than an eighth of the budget; True if kept."""
        size = entry.size
        if not self.enabled or size > self.max_entry:
            return False
        with self._lock:
            self._switch(version)
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._entries[key] = entry
            self._size += size
            while self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= dropped.size
            return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


def result_cache() -> ResultCache:
    cache = current_app.extensions["caikg_cache"]
    assert isinstance(cache, ResultCache)
    return cache


# -- keys ------------------------------------------------------------------------------------

@dataclass
class _State:
    """What ``before_request`` worked out for this request."""

    version: str
    key: str
    etag: str | None
    """None for POST (never a validator, never a 304)."""
    answered: bool = False
    """The response came from the cache (or is a 304) and must not be processed again."""
    stale: bool = False
    """The app's store is not at ``version``: no validator, no cache entry."""


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _target() -> list[object]:
    """The request as far as any representation depends on it, whatever its method."""
    args = sorted(request.args.items(multi=True))
    return [request.host_url, request.path, args, (request.headers.get("Accept") or "").strip()]


def etag_for(version: str) -> str:
    """The (unquoted) strong ETag of the answer to the current GET/HEAD request."""
    digest = _digest("etag", version, *_target())[:32]
    return f"{version}-{digest}" if _SAFE_VERSION.fullmatch(version) else digest


def _cache_key(version: str) -> str:
    if request.method == "POST":
        body = request.get_data(cache=True)  # the route reads the same cached bytes
        return _digest("POST", version, *_target(), request.content_type or "",
                       hashlib.sha256(body).hexdigest())
    return _digest("GET", version, *_target())  # HEAD is GET without the body


def _negotiates() -> bool:
    negotiates = _policy().negotiates
    if callable(negotiates):
        return negotiates(dict(request.view_args or {}))
    return negotiates


def _matches(etag: str, *, exists: bool) -> bool:
    """Does ``If-None-Match`` match ``etag`` (weak comparison; ``*`` only if ``exists``)?"""
    condition = request.if_none_match
    if not condition:
        return False
    if condition.star_tag:
        return exists
    return condition.contains_weak(etag)


def _add_vary(response: Response, header: str) -> None:
    present = {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}
    if header.lower() not in present and "*" not in present:
        response.headers["Vary"] = ", ".join(
            v for v in (response.headers.get("Vary", "").strip(), header) if v)


def _not_modified(state: _State, entry: CachedResponse | None) -> Response:
    """The 304 for ``state``: the headers a 200 would carry that caches update from."""
    assert state.etag is not None
    resp = Response(status=304)
    resp.headers.remove("Content-Type")
    if entry is not None:
        for name, value in entry.headers:
            if name in KEPT_ON_304:
                resp.headers.add(name, value)
    else:
        resp.set_etag(state.etag)
        resp.headers["Cache-Control"] = DATA_CACHE_CONTROL
        if _negotiates():
            resp.headers["Vary"] = "Accept"
        if _policy().cors:
            common.cors(resp)
    resp.headers.setdefault(VERSION_HEADER, state.version)
    return resp


def _store_version() -> str | None:
    """Data version of the app's store (pages, downloads), if it says."""
    try:
        info = common.store().info
    except Exception:
        return None
    return info.version if info is not None else None


_warned: set[tuple[str, str]] = set()


def _warn_stale(served: str, current: str) -> None:
    if (served, current) not in _warned:
        _warned.add((served, current))
        log.warning("pages are served from data version %s but the current version is %s: "
                    "no ETags and no result cache until caikg serve is restarted",
                    served, current)


# -- the hooks -------------------------------------------------------------------------------

def _before() -> Response | None:
    g.caikg_cache_state = None
    if request.endpoint is None or not _policy().cached:
        return None
    if request.method in {"GET", "HEAD"}:
        post = False
    elif request.method == "POST" and _policy().post:
        post = True
    else:
        return None
    try:
        version = current_version()
    except Exception as exc:  # no store (yet), remote store unreachable: no caching
        log.debug("no data version, so no caching: %s", exc)
        return None
    state = _State(version=version, key=_cache_key(version),
                   etag=None if post else etag_for(version))
    g.caikg_cache_state = state
    entry = result_cache().get(version, state.key)  # also drops the entries of other versions
    served = _store_version()
    if served is not None and served != version:
        # This process still holds an older store than the current version (a rebuild since
        # it started): whatever it answers must not be labelled with the current version.
        state.stale = True
        _warn_stale(served, version)
        return None
    if state.etag is not None and _matches(state.etag, exists=entry is not None):
        state.answered = True
        resp = _not_modified(state, entry)
    elif entry is not None:
        state.answered = True
        resp = entry.response()
    else:
        return None
    resp.headers[CACHE_HEADER] = "hit"
    return resp


def _after(response: Response) -> Response:
    _cors_for_validators(response)
    state = g.get("caikg_cache_state")
    status = response.status_code
    if status >= 400 or _policy().no_store:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("ETag", None)
        if isinstance(state, _State):
            response.headers[CACHE_HEADER] = "miss"
        return response
    if not isinstance(state, _State) or state.answered:
        return response
    response.headers[CACHE_HEADER] = "miss"
    if status != 200 or state.stale:
        return response
    answered_by = response.headers.get(VERSION_HEADER)
    if answered_by is not None and answered_by != state.version:
        return response  # a rebuild came between the key and the answer: no validator, no entry
    if state.etag is not None:
        response.set_etag(state.etag)
        response.headers["Cache-Control"] = DATA_CACHE_CONTROL
        if _negotiates():
            _add_vary(response, "Accept")
    cache = result_cache()
    if (cache.enabled and not response.direct_passthrough and not response.is_streamed
            and "Set-Cookie" not in response.headers):
        body = response.get_data()
        headers = tuple((k, v) for k, v in response.headers.items()
                        if k.lower() not in NOT_STORED)
        cache.put(state.version, state.key, CachedResponse(status, headers, body))
    if state.etag is not None and _matches(state.etag, exists=True):
        return _not_modified(state, CachedResponse(status, tuple(response.headers.items()), b""))
    return response


def _cors_for_validators(response: Response) -> None:
    """Let scripts on other origins revalidate (send ``If-None-Match``) and read the ETag."""
    allow = response.headers.get("Access-Control-Allow-Headers")
    if allow is not None and "if-none-match" not in allow.lower():
        response.headers["Access-Control-Allow-Headers"] = f"{allow}, If-None-Match"
    expose = response.headers.get("Access-Control-Expose-Headers")
    if expose is not None and "etag" not in expose.lower():
        response.headers["Access-Control-Expose-Headers"] = f"{expose}, ETag, {CACHE_HEADER}"


def install(app: Flask, settings: Settings) -> None:
    """Add ETags, 304s, Cache-Control and the result cache (``CAIKG_CACHE_SIZE`` MiB) to
    ``app``. Call after every other ``before_request`` hook is registered, so that request
    limits (413, 414) are checked first."""
    app.extensions["caikg_cache"] = ResultCache(settings.cache_size * MIB)
    app.before_request(_before)
    app.after_request(_after)


# -- dataset downloads, one file per data version ---------------------------------------------

_export_locks: dict[Path, threading.Lock] = {}
_export_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _export_locks_guard:
        return _export_locks.setdefault(path, threading.Lock())


def export_file(store: KnowledgeStore, fmt: Format, settings: Settings) -> Path | None:
    """``$CAIKG_HOME/exports/<version>/caikg.<ext>``: the dump of ``store`` (exactly what
    :func:`caikg.export.export_bytes` gives), written on first use, atomically; the exports of
    other versions are removed. None when it cannot be kept on disk (no data version, or the
    directory is not writable): serialise in memory then."""
    version = store.info.version if store.info else ""
    if not _SAFE_VERSION.fullmatch(version):
        return None
    path = settings.exports_dir / version / f"caikg.{fmt.extension}"
    if path.is_file():
        return path
    with _lock_for(path):
        if path.is_file():
            return path
        try:
            write_atomically(path, export_bytes(store, fmt))
        except OSError as exc:
            log.warning("cannot keep the export %s: %s", path, exc)
            return None
    _remove_old_exports(settings.exports_dir, keep={version, _published_version()})
    return path


def _published_version() -> str:
    try:
        return current_version()
    except Exception:
        return ""


def _remove_old_exports(root: Path, keep: set[str]) -> None:
    """Remove the export directories of other versions (only directories that hold nothing
    but exports: never anything an operator put there)."""
    try:
        dirs = [d for d in root.iterdir() if d.is_dir() and d.name not in keep]
    except OSError:
        return
    for d in dirs:
        try:
            ours = all(f.name.startswith(("caikg.", ".caikg.")) for f in d.iterdir())
        except OSError:
            continue
        if ours and _SAFE_VERSION.fullmatch(d.name):
            shutil.rmtree(d, ignore_errors=True)
