"""SPARQL 1.1 Protocol, Update and Graph Store Protocol requests to one server, and the errors
they raise."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from caikg.config import Settings
from caikg.sparql import json_terms as sparql_json
from caikg.store.base import Solutions, StoreError, Term

log = logging.getLogger(__name__)

UPLOAD_CHUNK = 50_000
"""Triples per upload request (servers limit request sizes)."""

JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


class RemoteError(StoreError):
    """The remote store answered with an error or could not be reached."""


class RemoteSyntaxError(RemoteError):
    """The remote store rejected the query as malformed (HTTP 400)."""


class RemoteTimeout(RemoteError):
    """The remote store did not answer in time."""


# -- the HTTP client -----------------------------------------------------------------------

def _term(value: Mapping[str, Any]) -> Term:
    """A term of the store's SPARQL JSON results (:func:`caikg.sparql_json.term`)."""
    try:
        return sparql_json.term(value)
    except ValueError as exc:
        raise RemoteError(f"{exc} in the store's results") from None



class RemoteClient:
    """SPARQL 1.1 Protocol, Update and Graph Store Protocol requests to one server."""

    def __init__(self, settings: Settings, *, timeout: float | None = None) -> None:
        self.settings = settings
        self.query_url = settings.store_query_url
        self.update_url = settings.store_update_url
        self.gsp_url = settings.store_gsp_url
        self.timeout = settings.query_timeout if timeout is None else timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        """This thread's session (digest auth is stateful: nonce counts, one per thread)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "caikg (remote store client)"
            if self.settings.store_user:
                auth = HTTPDigestAuth if self.settings.store_auth == "digest" else HTTPBasicAuth
                session.auth = auth(self.settings.store_user, self.settings.store_password)
            self._local.session = session
        return session

    def _request(self, method: str, url: str, *, timeout: float | None = None,
                 **kwargs: Any) -> requests.Response:
        session = self._session()
        wait = self.timeout if timeout is None else timeout
        try:
            resp = session.request(method, url, timeout=(min(10.0, wait), wait),
                                   **kwargs)
        except requests.Timeout:
            raise RemoteTimeout(f"the store at {url} did not answer within {wait:g} s") from None
        except requests.RequestException as exc:
            raise RemoteError(f"cannot reach the store at {url}: {exc}") from None
        if resp.status_code >= 400:
            message = resp.text.strip()[:2000] or resp.reason
            if resp.status_code == 400:
                raise RemoteSyntaxError(f"the store refused the request: {message}")
            if resp.status_code in {408, 504} or "timeout" in message.lower()[:300]:
                raise RemoteTimeout(f"the store stopped the query: {message}")
            raise RemoteError(f"the store at {url} answered HTTP {resp.status_code}: {message}")
        return resp

    def _dataset(self, default_graphs: Sequence[str] | None,
                 named_graphs: Sequence[str] | None) -> list[tuple[str, str]]:
        params = [("default-graph-uri", g) for g in default_graphs or []]
        params += [("named-graph-uri", g) for g in named_graphs or []]
        return params

    def query(self, text: str, accept: str, *, default_graphs: Sequence[str] | None = None,
              named_graphs: Sequence[str] | None = None,
              timeout: float | None = None) -> requests.Response:
        """POST ``text`` as a form (``query=`` and the dataset's graphs): every server takes
        that form (Virtuoso 7 never answers a ``application/sparql-query`` body)."""
        form = [("query", text), *self._dataset(default_graphs, named_graphs)]
        resp = self._request("POST", self.query_url, timeout=timeout, data=form,
                             headers={"Accept": accept})
        if resp.headers.get("X-SQL-State") == "S1TAT":  # Virtuoso's "anytime" partial answer
            raise RemoteTimeout("the store cut the query short and returned incomplete "
                                f"results: {resp.headers.get('X-SQL-Message', '')}")
        return resp

    def select_text(self, text: str, **kwargs: Any) -> Solutions:
        resp = self.query(text, JSON_RESULTS, **kwargs)
        try:
            doc = resp.json()
            variables = list(doc["head"].get("vars", []))
            if variables == ["__ASK_RETVAL"]:  # Virtuoso 7's ASK
                doc = {"boolean": bool(doc["results"]["bindings"])}
            if "boolean" in doc:
                return Solutions(["boolean"], [(ox.Literal(str(doc["boolean"]).lower(),
                                                datatype=ox.NamedNode(
                                                    "http://www.w3.org/2001/XMLSchema#boolean")),)])
            rows = [tuple(_term(b[v]) if v in b else None for v in variables)
                    for b in doc["results"]["bindings"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteError(f"the store's results could not be read: {exc}") from None
        return Solutions(variables, rows)

    def ask_text(self, text: str, **kwargs: Any) -> bool:
        resp = self.query(text, JSON_RESULTS, **kwargs)
        try:
            doc = resp.json()
            if "boolean" in doc:
                return bool(doc["boolean"])
            # Virtuoso 7 answers ASK with a table: one row ("1") for true, none for false
            rows = doc["results"]["bindings"]
            return bool(rows) and all(v.get("value") in {"1", "true"} for v in rows[0].values())
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteError(f"the store's answer could not be read: {exc}") from None

    def construct_text(self, text: str, **kwargs: Any) -> list[ox.Triple]:
        resp = self.query(text, f"{N_TRIPLES}, text/plain;q=0.5", **kwargs)
        try:
            return list(ox.parse(resp.content, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as exc:
            raise RemoteError(f"the store's triples could not be read: {exc}") from None

    def update(self, text: str, timeout: float | None = None) -> None:
        if not self.update_url:
            raise RemoteError("CAIKG_STORE_UPDATE_URL is not set: caikg cannot write to the "
                              "remote store")
        self._request("POST", self.update_url, timeout=timeout, data=text.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update"})

    def upload(self, graph: str, triples: Sequence[ox.Triple],
               timeout: float | None = None) -> None:
        """Add ``triples`` to ``graph`` (GSP POST, or INSERT DATA without a GSP URL)."""
        for start in range(0, len(triples), UPLOAD_CHUNK):
            chunk = triples[start:start + UPLOAD_CHUNK]
            body = ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES) or b""
            if self.gsp_url:
                self._request("POST", self.gsp_url, timeout=timeout, params={"graph": graph},
                              data=body, headers={"Content-Type": N_TRIPLES})
            else:
                self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode()}\n}} }}",
                            timeout=timeout)
