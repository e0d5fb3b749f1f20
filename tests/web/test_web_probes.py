"""Probes of a real ``caikg serve`` as an attacker would send them: size limits (413, 414, and
waitress's own limits behind them), security headers on every kind of response, no open
redirect, and search text that cannot break out of its HTML attribute."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

import pytest
import requests

from caikg.build.pipeline import BuildResult
from caikg.web.app import CSP, MAX_REQUEST_TARGET
from tests.helpers.servers import caikg_server

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check

MAX_BODY = 4096
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": CSP,
                    "Referrer-Policy": "no-referrer"}


@pytest.fixture(scope="module")
def base(built: BuildResult) -> Iterator[str]:
    assert built.store_dir is not None
    home = built.store_dir.parent.parent
    with caikg_server(home, CAIKG_MAX_BODY=str(MAX_BODY), CAIKG_WORKERS="1",
                      CAIKG_QUEUE_TIMEOUT="0.3", CAIKG_QUERY_TIMEOUT="2") as url:
        yield url


def raw(base: str, method: str, target: str, headers: dict[str, str] | None = None,
        body: bytes | None = None) -> http.client.HTTPResponse:
    """Send ``target`` exactly as given (no normalisation by a client library)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=15)
    conn.putrequest(method, target, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def assert_secure(headers: requests.structures.CaseInsensitiveDict[str] | http.client.HTTPMessage,
                  what: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{what}: {name} is {headers.get(name)!r}"


# -- size limits -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/sparql", "/browse", "/", "/paper/flexgen", "/nowhere"])
def test_body_over_the_limit_is_413_on_every_route(base: str, path: str) -> None:
    resp = requests.post(base + path, data=b"q" * (MAX_BODY + 1), timeout=10,
                         headers={"Content-Type": "application/sparql-query"})
    assert resp.status_code == 413, (path, resp.status_code)
    assert_secure(resp.headers, f"413 {path}")


def test_body_at_the_limit_is_read(base: str) -> None:
    query = "ASK {}"
    body = (query + " " * (MAX_BODY - len(query))).encode()
    resp = requests.post(base + "/sparql", data=body, timeout=10,
                         headers={"Content-Type": "application/sparql-query"})
    assert resp.status_code == 200


@pytest.mark.parametrize("path", ["/browse?q=", "/sparql?query=", "/nowhere?x=", "/paper/",
                                  "/api/work_authors?work="])
def test_request_target_over_the_limit_is_414(base: str, path: str) -> None:
    target = path + "a" * (MAX_REQUEST_TARGET + 1 - len(path))
    resp = raw(base, "GET", target)
    assert resp.status == 414, (path, resp.status)
    assert_secure(resp.headers, f"414 {path}")
    fits = path + "a" * (MAX_REQUEST_TARGET - len(path))
    assert raw(base, "GET", fits).status != 414


def test_waitress_refuses_what_the_app_never_sees(base: str) -> None:
    """Behind the app's limits: header blocks over 64 KiB (431) and bodies over four times
    CAIKG_MAX_BODY (413) are refused by waitress before they are read."""
    assert raw(base, "GET", "/browse?q=" + "a" * 70_000).status == 431
    resp = requests.post(base + "/sparql", data=b"q" * (4 * MAX_BODY + 1), timeout=10,
                         headers={"Content-Type": "application/sparql-query"})
    assert resp.status_code == 413
    assert requests.get(base + "/healthz", timeout=5).status_code == 200


# -- security headers ------------------------------------------------------------------------

@pytest.mark.parametrize("method,path,headers,status", [
    ("GET", "/", {}, 200),
    ("GET", "/healthz", {}, 200),
    ("GET", "/paper/flexgen", {"Accept": "text/turtle"}, 200),
    ("GET", "/paper/flexgen.bib", {}, 200),
    ("GET", "/downloads/caikg.nt", {}, 200),
    ("GET", "/api/openapi.json", {}, 200),
    ("GET", "/api/venue_paper_counts?format=csv", {}, 200),
    ("GET", "/sparql?query=ASK%20%7B%7D", {"Accept": "application/sparql-results+json"}, 200),
    ("OPTIONS", "/sparql", {}, 204),
    ("GET", "/static/css/site.css", {}, 200),
    ("GET", "/sparql?query=SELEC", {}, 400),
    ("GET", "/api/work_authors", {}, 400),
    ("GET", "/paper/no-such-paper", {}, 404),
    ("GET", "/no/such/page", {}, 404),
    ("DELETE", "/sparql", {}, 405),
    ("POST", "/browse", {}, 405),
    ("GET", "/paper/flexgen", {"Accept": "image/png"}, 406),
    ("GET", "/api/venue_paper_counts", {"Accept": "image/png"}, 406),
    ("POST", "/sparql", {"Content-Type": "text/plain"}, 415),
])
def test_security_headers(base: str, method: str, path: str, headers: dict[str, str],
                          status: int) -> None:
    resp = requests.request(method, base + path, headers=headers, timeout=10,
                            data=b"x" if method == "POST" else None)
    assert resp.status_code == status
    assert_secure(resp.headers, f"{method} {path}")


def test_security_headers_on_503(base: str) -> None:
    """One worker: of three heavy queries at once, one times out and two find every worker
    busy (Retry-After); all 503s carry the headers."""

    def heavy(_: int) -> requests.Response:
        return requests.post(base + "/sparql", data={"query": HEAVY}, timeout=15)

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(heavy, range(3)))
    assert sorted(r.status_code for r in answers) == [503, 503, 503]
    assert any("Retry-After" in r.headers for r in answers)
    assert any("timed out" in r.text for r in answers)
    for r in answers:
        assert_secure(r.headers, "503")
    assert requests.get(base + "/healthz", timeout=5).status_code == 200


# -- no open redirect ------------------------------------------------------------------------

REDIRECT_PROBES = [
    "/paper/x?next=//evil.example", "/paper/flexgen?next=//evil.example&url=http://evil.example",
    "//evil.example/", "//evil.example/%2e%2e", "/%2F%2Fevil.example", "/%2f%2fevil.example/",
    "/\\evil.example", "/%5Cevil.example", "/\\\\evil.example/", "/paper/%2F%2Fevil.example",
    "/paper//evil.example", "/paper/flexgen/", "/paper/flexgen/..//evil.example",
    "/browse/", "/sparql/", "/api/", "/static", "/static//evil.example", "/static/..%2F..%2F",
    "/./evil.example", "/..//evil.example", "/downloads/", "/downloads/caikg.ttl/",
    "http://evil.example/", "/sparql?example=//evil.example",
]


@pytest.mark.parametrize("target", REDIRECT_PROBES)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "*/*"])
@pytest.mark.parametrize("host", [None, "evil.example"])
def test_no_open_redirect(base: str, target: str, accept: str, host: str | None) -> None:
    headers = {"Accept": accept}
    if host:
        headers["Host"] = host
        headers["X-Forwarded-Host"] = host
    resp = raw(base, "GET", target, headers)
    assert resp.status < 500, (target, resp.status)
    if 300 <= resp.status < 400:
        location = resp.headers.get("Location", "")
        parts = urlsplit(location)
        assert not parts.netloc and not location.startswith(("//", "/\\", "\\")), (
            target, resp.status, location)


# -- reflected search text -------------------------------------------------------------------

BREAKOUTS = ['"><script>alert(1)</script>', "' onfocus=alert(1) autofocus x='",
             '" onmouseover="alert(1)', "</textarea><script>alert(1)</script>",
             "javascript:alert(1)//", "{{7*7}}<img src=x onerror=alert(1)>"]


@pytest.mark.parametrize("payload", BREAKOUTS)
@pytest.mark.parametrize("where", ["/browse?q=", "/browse?technique=", "/sparql?example=",
                                   "/paper/"])
def test_reflected_text_is_escaped(base: str, payload: str, where: str) -> None:
    resp = requests.get(base + where + quote(payload, safe=""), timeout=10,
                        headers={"Accept": "text/html"})
    assert resp.status_code in {200, 400, 404}
    body = resp.text
    for fragment in ["<script>alert", 'onmouseover="alert', "<img src=x",
                     "' onfocus", '" onmouseover', '"><script']:
        assert fragment not in body, (where, payload, fragment)
    if where == "/browse?q=" and "{{7*7}}" in payload:
        assert "{{7*7}}" in body  # shown as text, not evaluated as a template
