"""A polite, robust client for Wikidata's query services (SPARQLWrapper) and action API
(requests), with an on-disk response cache (the machinery of :mod:`caikg.enrich.client`).

Wikimedia's rules are followed: a descriptive ``User-Agent`` with a contact, one request at a
time with at least ``CAIKG_WIKIDATA_MIN_INTERVAL`` seconds between requests, ``Retry-After``
honoured (429, 503, ``maxlag``), exponential backoff with jitter on 5xx and timeouts, and
``maxlag`` sent to the action API. A response that is cut off or not what the protocol promises
(JSON that does not parse, SPARQL JSON without ``results.bindings``) is retried like a timeout.

Sleeping, the monotonic clock, the wall clock and the jitter are injectable, so tests run in
no time.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
import requests
from SPARQLWrapper import GET, JSON, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

from caikg.config import Settings
from caikg.enrich import client as polite
from caikg.enrich.client import Progress, RequestLog, ResponseCache, Retry, retry_after, user_agent
from caikg.sparql import json_terms as sparql_json

__all__ = ["Binding", "CacheMiss", "Progress", "RequestLog", "ResponseCache", "WikidataClient",
           "WikidataError", "parse_sparql_json", "user_agent"]

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Binding = dict[str, Term]

MAXLAG = 5
"""Seconds of replication lag above which the action API refuses us (``maxlag``)."""


class WikidataError(polite.SourceError):
    """A request to Wikidata failed for good (after retries, or a refusal such as 403)."""


class CacheMiss(polite.CacheMiss, WikidataError):
    """``--offline``: the response is not in the cache."""


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


class WikidataClient(polite.PoliteClient):
    """One request at a time, spaced, retried, cached; Wikimedia's rules followed."""

    error = WikidataError
    miss = CacheMiss

    def __init__(self, settings: Settings, *, offline: bool = False, **kwargs: Any) -> None:
        if not settings.contact:
            raise WikidataError("set CAIKG_CONTACT to an e-mail address or URL where the "
                                "operators of Wikidata can reach you (Wikimedia's User-Agent "
                                "policy requires one)")
        super().__init__(settings, "wikidata", offline=offline,
                         min_interval=settings.wikidata_min_interval,
                         ttl=settings.wikidata_cache_ttl, timeout=settings.wikidata_timeout,
                         **kwargs)

    # -- public ------------------------------------------------------------------------------
    def select(self, endpoint: str, query: str) -> list[Binding]:
        """Rows of a SPARQL SELECT ``query`` sent to ``endpoint``."""
        body = self.fetch(endpoint, query, lambda: self._sparql_once(endpoint, query),
                          parse_sparql_json)
        return parse_sparql_json(body)

    def api(self, params: Mapping[str, str]) -> dict[str, Any]:
        """A JSON answer of the action API (``format=json`` and ``maxlag`` are added)."""
        full = {**params, "format": "json", "formatversion": "2", "maxlag": str(MAXLAG)}
        request = "&".join(f"{k}={full[k]}" for k in sorted(full))
        endpoint = self.settings.wikidata_api
        body = self.fetch(endpoint, request, lambda: self._api_once(endpoint, full),
                          _parse_api)
        return _parse_api(body)

    # -- one attempt -------------------------------------------------------------------------
    def _sparql_once(self, endpoint: str, query: str) -> bytes:
        wrapper = SPARQLWrapper(endpoint, agent=self.user_agent)
        wrapper.setQuery(query)
        wrapper.setMethod(GET)
        wrapper.setReturnFormat(JSON)
        wrapper.setOnlyConneg(True)
        wrapper.setTimeout(int(self.timeout))
        self.sent(endpoint)
        try:
            result = wrapper.query()
            return bytes(result.response.read())
        except EndPointInternalError as exc:  # HTTP 500, e.g. a query timeout
            text = str(exc)
            hint = " (query timeout)" if "TimeoutException" in text else ""
            raise Retry(f"HTTP 500{hint}") from None
        except urllib.error.HTTPError as exc:
            self.refused(exc.code, endpoint)
            if exc.code == 429 or exc.code >= 500:
                raise Retry(f"HTTP {exc.code}", retry_after(exc.headers.get("Retry-After"))
                            ) from None
            raise WikidataError(f"{endpoint}: HTTP {exc.code} {exc.reason}") from None
        except SPARQLWrapperException as exc:
            raise WikidataError(f"{endpoint}: {exc}") from None
        except (TimeoutError, http.client.IncompleteRead, http.client.RemoteDisconnected,
                ConnectionError) as exc:
            raise Retry(f"{type(exc).__name__}: {exc}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | ConnectionError):
                raise Retry(f"{exc.reason}") from None
            raise WikidataError(f"{endpoint}: {exc.reason}") from None

    def _api_once(self, endpoint: str, params: Mapping[str, str]) -> bytes:
        self.sent(endpoint)
        try:
            response = self._session.get(endpoint, params=dict(params), timeout=self.timeout)
            body = response.content
        except (requests.Timeout, requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError) as exc:
            raise Retry(f"{type(exc).__name__}: {exc}") from None
        self.refused(response.status_code, endpoint)
        if response.status_code == 429 or response.status_code >= 500:
            raise Retry(f"HTTP {response.status_code}",
                        retry_after(response.headers.get("Retry-After")))
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
                raise Retry(f"API error {code}",
                            retry_after(response.headers.get("Retry-After")) or MAXLAG)
            raise WikidataError(f"{endpoint}: API error {code}: {error.get('info', '')}")
        return body

    def refused(self, status: int, endpoint: str) -> None:
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
