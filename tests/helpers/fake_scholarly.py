"""Fake OpenAlex, Crossref, OpenReview (API v2) and arXiv on one port of 127.0.0.1, for tests of
``caikg enrich``. They speak the real services' protocols and JSON / Atom shapes over the records
of ``tests/helpers/scholarly_fixtures.py``:

- ``/openalex/works/doi:{doi}`` (also ``/works/https://doi.org/{doi}`` and ``/works/W…``; DOIs
  compared ignoring case) → a work object, or 404 with a JSON error body;
  ``/openalex/works?filter=openalex_id:W1|W2&per-page=50&select=…`` → ``{"meta", "results"}``,
  400 for ``per-page`` above 200 or an unknown filter or select field;
- ``/crossref/works/{doi}`` → ``{"status": "ok", "message-type": "work", "message": …}``, or 404
  with the plain text ``Resource not found.``;
- ``/openreview/notes?forum={id}`` → ``{"notes": [...], "count": n}`` (submission, reviews,
  decision or withdrawal notes); an unknown forum → no notes;
- ``/arxiv/api/query?id_list=a,b&max_results=n`` → an Atom 1.0 feed with arXiv's and
  OpenSearch's extension elements, titles and summaries hard-wrapped as arXiv sends them; a
  malformed id turns the whole answer into arXiv's ``Error`` entry, a well-formed id of no paper
  is left out.

Like the real services' policies, a missing or generic User-Agent (python-requests, curl …) gets
403. Faults can be queued per path prefix with :meth:`FakeScholarly.fail`; every request is
logged (path, query, User-Agent, the fault it got) in :attr:`FakeScholarly.requests`.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.helpers.scholarly_fixtures import (
    ARXIV_ENTRIES,
    CROSSREF_WORKS,
    DOI_URL,
    OPENALEX,
    OPENALEX_WORKS,
    OPENREVIEW_FORUMS,
    ORCID,
    SOURCE_IDS,
    ArxivEntry,
    CrossrefWork,
    Forum,
    Work,
)

FAULTS = ("429", "500", "503", "truncated", "invalid", "slow", "403")
"""What :meth:`FakeScholarly.fail` can queue."""

GENERIC_AGENTS = ("python-requests", "python-urllib", "python-httpx", "curl", "wget",
                  "aiohttp", "go-http-client", "java/", "okhttp", "libwww-perl")
"""User-Agent prefixes the fake refuses, as the services ask for one that names the tool and a
contact (caikg sends ``caikg/<version> (<contact>)``)."""

ATOM = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
FEED_UPDATED = "2025-01-06T00:00:00-05:00"  # fixed, so answers are byte-for-byte repeatable

# arXiv identifiers: new style (YYMM.NNNN until 2014, YYMM.NNNNN since) and old style
# (archive[.SC]/YYMMNNN), with an optional version.
_ARXIV_ID = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?")
_W_KEY = re.compile(r"(?:https?://openalex\.org/)?([Ww]\d+)")
SELECTABLE = frozenset({
    "id", "doi", "title", "display_name", "publication_year", "publication_date", "ids",
    "language", "primary_location", "type", "authorships", "cited_by_count", "counts_by_year",
    "referenced_works", "referenced_works_count", "related_works", "abstract_inverted_index",
    "is_retracted", "cited_by_api_url", "updated_date", "created_date",
})

JSON_TYPE = "application/json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=UTF-8"
TEXT_TYPE = "text/plain; charset=utf-8"

Answer = tuple[int, bytes, str]  # status, body, Content-Type


@dataclass
class Request:
    service: str  # "openalex", "crossref", "openreview", "arxiv" or "" (no such service)
    path: str  # unquoted, without the query
    query: dict[str, str]  # the last value of each query parameter
    user_agent: str
    method: str = "GET"
    fault: str | None = None  # the fault this request got ("ua-403" for a refused agent)

    @property
    def mailto(self) -> str | None:
        """The polite-pool contact OpenAlex and Crossref ask clients to send."""
        return self.query.get("mailto")


def _json(status: int, data: object) -> Answer:
    return status, json.dumps(data, ensure_ascii=False).encode(), JSON_TYPE


def _text(status: int, text: str) -> Answer:
    return status, text.encode(), TEXT_TYPE


@dataclass
class FakeScholarly:
    """The four services on one port. The record dicts are per-instance copies of the fixtures,
    so a test can add, drop or replace records without touching other tests."""

    works: dict[str, Work] = field(default_factory=lambda: dict(OPENALEX_WORKS))
    crossref: dict[str, CrossrefWork] = field(default_factory=lambda: dict(CROSSREF_WORKS))
    forums: dict[str, Forum] = field(default_factory=lambda: dict(OPENREVIEW_FORUMS))
    arxiv: dict[str, ArxivEntry] = field(default_factory=lambda: dict(ARXIV_ENTRIES))
    slow_seconds: float = 3.0
    """How long a ``slow`` fault waits before answering (a client timeout below it times out)."""
    retry_after: int = 7
    """The ``Retry-After`` of ``429`` and ``503`` answers, in seconds."""
    max_per_page: int = 200
    max_or_values: int = 100
    """OpenAlex refuses a filter with more ``|``-separated values than this."""
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)
    """path prefix → faults, each used by one request, in order."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a handler still in a slow fault must not block stop
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self._routes: list[tuple[str, str, Callable[[Request], Answer]]] = [
            ("/openalex/works", "openalex", self._openalex),
            ("/crossref/works/", "crossref", self._crossref),
            ("/openreview/notes", "openreview", self._openreview),
            ("/arxiv/api/query", "arxiv", self._arxiv),
        ]

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers waiting in a slow fault
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoints(self) -> dict[str, str]:
        """The environment variables that point caikg at this fake."""
        return {"CAIKG_OPENALEX_API": f"{self.url}/openalex",
                "CAIKG_CROSSREF_API": f"{self.url}/crossref",
                "CAIKG_OPENREVIEW_API": f"{self.url}/openreview",
                "CAIKG_ARXIV_API": f"{self.url}/arxiv/api/query"}

    # -- faults and the log --------------------------------------------------------------------
    def fail(self, prefix: str, *kinds: str) -> None:
        """Queue faults for the next requests whose path starts with ``prefix`` (e.g.
        ``/openalex``, ``/openalex/works/doi:``, ``/arxiv``; ``/`` for any), one per request."""
        unknown = [k for k in kinds if k not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {FAULTS}")
        with self._lock:
            self.faults.setdefault(prefix, []).extend(kinds)

    def count(self, prefix: str = "/") -> int:
        """How many requests had a path starting with ``prefix``."""
        return len(self.log(prefix))

    def log(self, prefix: str = "/") -> list[Request]:
        """The requests whose path starts with ``prefix``, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            # The longest matching prefix wins, so a narrow fault is not eaten by a broad one.
            for prefix in sorted(self.faults, key=len, reverse=True):
                queue = self.faults[prefix]
                if queue and path.startswith(prefix):
                    return queue.pop(0)
        return None

    # -- dispatch ------------------------------------------------------------------------------
    def _handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if h.command == "POST":  # arXiv accepts its parameters as a form too
            length = int(h.headers.get("Content-Length") or 0)
            form = h.rfile.read(length).decode()
            query.update({k: v[-1] for k, v in parse_qs(form).items()})
        agent = h.headers.get("User-Agent", "")
        route = next(((svc, fn) for prefix, svc, fn in self._routes
                      if path.startswith(prefix)), None)
        req = Request(route[0] if route else "", path, query, agent, h.command)
        with self._lock:
            self.requests.append(req)
        if not agent.strip() or agent.lower().startswith(GENERIC_AGENTS):
            req.fault = "ua-403"
            return self._send(h, *_text(403, "Forbidden: send a User-Agent that names your "
                                             "client and a contact address."))
        fault = req.fault = self._take_fault(path)
        if fault == "slow" and self._stopping.wait(self.slow_seconds):
            return None
        if fault in {"403", "429", "500", "503"}:
            return self._send(h, *self._error(req.service, int(fault)),
                              retry=fault in {"429", "503"})
        if route is None:
            return self._send(h, *_text(404, "Not Found"))
        try:
            status, body, ctype = route[1](req)
        except Exception as exc:  # a bug in the fake must show, not hang the client
            status, body, ctype = _text(500, f"fake_scholarly error: {exc!r}")
        if fault == "truncated":
            body = body[: max(1, len(body) // 2)]
            status = 200
        elif fault == "invalid":
            status, body, ctype = self._invalid(req.service)
        self._send(h, status, body, ctype)

    def _error(self, service: str, status: int) -> Answer:
        """A refusal or failure in the style of each service."""
        reason = {403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error",
                  503: "Service Unavailable"}[status]
        if service == "openalex":
            return _json(status, {"error": reason, "message": f"{reason} (fault injected)"})
        if service == "openreview":
            return _json(status, {"name": reason.replace(" ", "") + "Error",
                                  "message": reason, "status": status})
        if service == "arxiv" and status == 429:
            return _text(429, "Rate exceeded.")
        return _text(status, reason)

    @staticmethod
    def _invalid(service: str) -> Answer:
        """A 200 whose body is of the wrong shape: JSON without the expected keys, or for arXiv
        an HTML page (as a proxy or a maintenance page sends)."""
        if service == "arxiv":
            return 200, (b"<!DOCTYPE html><html><head><title>arXiv is down for maintenance"
                         b"</title></head><body><p>Back soon.</p></body></html>"), \
                "text/html; charset=utf-8"
        return _json(200, {"unexpected": True})

    def _send(self, h: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
              ctype: str, retry: bool = False) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            if retry:
                h.send_header("Retry-After", str(self.retry_after))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout on a slow fault): nothing to answer

    # -- OpenAlex ------------------------------------------------------------------------------
    def _openalex(self, req: Request) -> Answer:
        rest = req.path[len("/openalex/works"):]
        if rest in {"", "/"}:
            return self._openalex_list(req)
        ident = rest.lstrip("/")
        work = self._openalex_find(ident)
        if work is None:
            return _json(404, {"error": "Not Found", "message": f"No work found for {ident!r}."})
        return self._openalex_select(req, [self._openalex_work(work)], single=True)

    def _doi_index(self) -> dict[str, Work]:
        return {w.doi.lower(): w for w in self.works.values() if w.doi}

    def _openalex_find(self, ident: str) -> Work | None:
        low = ident.lower()
        for prefix in ("doi:", "https://doi.org/", "http://doi.org/"):
            if low.startswith(prefix):
                return self._doi_index().get(low[len(prefix):])
        m = _W_KEY.fullmatch(ident)
        return self.works.get(m.group(1).upper()) if m else None

    def _openalex_list(self, req: Request) -> Answer:
        raw_per_page = req.query.get("per-page", req.query.get("per_page", "25"))
        try:
            per_page, page = int(raw_per_page), int(req.query.get("page", "1"))
        except ValueError:
            return self._openalex_bad("per-page and page must be integers")
        if not 1 <= per_page <= self.max_per_page:
            return self._openalex_bad(f"per-page parameter must be between 1 and "
                                      f"{self.max_per_page}")
        if page < 1:
            return self._openalex_bad("page parameter must be greater than 0")
        found: list[Work] = list(self.works.values())
        for clause in filter(None, req.query.get("filter", "").split(",")):
            key, _, value = clause.partition(":")
            values = [v for v in value.split("|") if v]
            if len(values) > self.max_or_values:
                return self._openalex_bad(f"Maximum number of values exceeded for {key}. "
                                          f"Decrease values to {self.max_or_values} or below.")
            if key in {"openalex_id", "openalex", "ids.openalex"}:
                keys = [m.group(1).upper() for v in values if (m := _W_KEY.fullmatch(v))]
                found = [w for k in keys for w in found if w.key == k]
            elif key == "doi":
                dois = [v.lower().removeprefix(DOI_URL) for v in values]
                found = [w for d in dois for w in found if w.doi and w.doi.lower() == d]
            else:
                return self._openalex_bad(f"{key} is not a valid filter field for works.")
        start = (page - 1) * per_page
        results = [self._openalex_work(w) for w in found[start:start + per_page]]
        answer = self._openalex_select(req, results, single=False)
        if answer[0] != 200:
            return answer
        return _json(200, {"meta": {"count": len(found), "db_response_time_ms": 4,
                                    "page": page, "per_page": per_page, "groups_count": None},
                           "results": json.loads(answer[1]), "group_by": []})

    @staticmethod
    def _openalex_bad(message: str) -> Answer:
        return _json(400, {"error": "Invalid query parameters error.", "message": message})

    def _openalex_select(self, req: Request, objects: list[dict[str, Any]],
                         single: bool) -> Answer:
        """Apply ``select`` (a comma-separated list of top-level fields), as OpenAlex does."""
        fields = [f for f in req.query.get("select", "").split(",") if f]
        bad = [f for f in fields if f not in SELECTABLE]
        if bad:
            return self._openalex_bad(f"{bad[0]} is not a valid select field. Valid fields for "
                                      f"select are: {', '.join(sorted(SELECTABLE))}.")
        if fields:
            objects = [{k: o[k] for k in fields if k in o} for o in objects]
        return _json(200, objects[0] if single else objects)

    def _openalex_work(self, w: Work) -> dict[str, Any]:
        doi_url = DOI_URL + w.doi if w.doi else None
        n = len(w.authors)
        authorships = []
        for i, a in enumerate(w.authors):
            position = "first" if i == 0 else "last" if i == n - 1 else "middle"
            institutions = [{"id": inst.url, "display_name": inst.name, "ror": inst.ror,
                             "country_code": inst.country_code, "type": "education",
                             "lineage": [inst.url]} for inst in a.institutions]
            authorships.append({
                "author_position": position,
                "author": {"id": OPENALEX + a.key, "display_name": a.name,
                           "orcid": ORCID + a.orcid if a.orcid else None},
                "institutions": institutions,
                "countries": sorted({inst.country_code for inst in a.institutions}),
                "is_corresponding": i == 0,
                "raw_author_name": a.name,
                "raw_affiliation_strings": [inst.name for inst in a.institutions],
                "affiliations": [{"raw_affiliation_string": inst.name,
                                  "institution_ids": [inst.url]} for inst in a.institutions],
            })
        source = None
        if w.source:
            source = {"id": OPENALEX + SOURCE_IDS.get(w.source, "S9000000000"),
                      "display_name": w.source,
                      "type": "repository" if w.work_type == "preprint" else "conference"}
        return {
            "id": w.url,
            "doi": doi_url,
            "title": w.title,
            "display_name": w.title,
            "publication_year": w.year,
            "publication_date": w.date,
            "ids": {"openalex": w.url, **({"doi": doi_url} if doi_url else {})},
            "language": "en",
            "primary_location": {"is_oa": w.work_type == "preprint", "landing_page_url": doi_url,
                                 "pdf_url": None, "source": source, "version":
                                 "submittedVersion" if w.work_type == "preprint" else
                                 "publishedVersion"},
            "type": w.work_type,
            "authorships": authorships,
            "cited_by_count": w.cited_by_count,
            "counts_by_year": [{"year": y, "cited_by_count": c} for y, c in w.counts_by_year],
            "referenced_works": [OPENALEX + k for k in w.references],
            "referenced_works_count": len(w.references),
            "related_works": [],
            "abstract_inverted_index": inverted_index(w.abstract),
            "is_retracted": False,
            "cited_by_api_url": f"https://api.openalex.org/works?filter=cites:{w.key}",
            "updated_date": "2025-01-05T00:00:00.000000",
            "created_date": f"{w.date}T00:00:00",
        }

    # -- Crossref ------------------------------------------------------------------------------
    def _crossref(self, req: Request) -> Answer:
        doi = req.path[len("/crossref/works/"):].strip("/").lower().removeprefix(DOI_URL)
        record = self.crossref.get(doi)
        if record is None:
            return _text(404, "Resource not found.")
        authors = []
        for i, a in enumerate(record.authors):
            author: dict[str, Any] = {"given": a.given, "family": a.family,
                                      "sequence": "first" if i == 0 else "additional",
                                      "affiliation": [{"name": n} for n in a.affiliations]}
            if a.orcid:
                author["ORCID"] = f"http://orcid.org/{a.orcid}"
                author["authenticated-orcid"] = False
            authors.append(author)
        parts = [list(record.issued)]
        message = {
            "DOI": record.doi,
            "URL": DOI_URL + record.doi,
            "title": [record.title],
            "container-title": [record.container],
            "type": record.work_type,
            "publisher": record.publisher,
            "prefix": record.doi.split("/")[0],
            "member": "99999",
            "source": "Crossref",
            "issued": {"date-parts": parts},
            "published": {"date-parts": parts},
            "author": authors,
            "reference-count": 0,
            "is-referenced-by-count": 0,
            "relation": {kind: [{"id-type": "doi", "id": doi_, "asserted-by": "subject"}
                                for doi_ in dois] for kind, dois in record.relation.items()},
            "score": 1,
        }
        return _json(200, {"status": "ok", "message-type": "work", "message-version": "1.0.0",
                           "message": message})

    # -- OpenReview ----------------------------------------------------------------------------
    def _openreview(self, req: Request) -> Answer:
        forum_id = req.query.get("forum") or req.query.get("id")
        if not forum_id:
            return _json(400, {"name": "ValidationError", "status": 400,
                               "message": "the fake answers only forum= or id= queries"})
        forum = self.forums.get(forum_id)
        notes = forum_notes(forum) if forum else []
        if "forum" not in req.query:  # id=: the note itself
            notes = [n for n in notes if n["id"] == forum_id]
        offset = int(req.query.get("offset", "0"))
        limit = int(req.query.get("limit", "1000"))
        return _json(200, {"notes": notes[offset:offset + limit], "count": len(notes)})

    # -- arXiv ---------------------------------------------------------------------------------
    def _arxiv(self, req: Request) -> Answer:
        q = req.query
        ids = [i.strip() for i in q.get("id_list", "").split(",") if i.strip()]
        head = (f"search_query={q.get('search_query', '')}&id_list={q.get('id_list', '')}"
                f"&start={q.get('start', '0')}&max_results={q.get('max_results', '10')}")
        for name in ("start", "max_results"):
            value = q.get(name, "0")
            if not value.lstrip("-").isdigit():
                return arxiv_error_feed(head, f"{name}_must_be_an_integer",
                                        f"{name} must be an integer")
            if int(value) < 0:
                return arxiv_error_feed(head, f"{name}_must_be_non-negative",
                                        f"{name} must be non-negative")
        for i in ids:
            if not _ARXIV_ID.fullmatch(i):
                return arxiv_error_feed(head, f"incorrect_id_format_for_{i}",
                                        f"incorrect id format for {i}")
        start, max_results = int(q.get("start", "0")), int(q.get("max_results", "10"))
        found: list[tuple[ArxivEntry, int]] = []
        for i in ids:
            m = _ARXIV_ID.fullmatch(i)
            assert m
            entry = self.arxiv.get(i[: m.start(1) - 1] if m.group(1) else i)
            version = int(m.group(1)) if m.group(1) else entry.version if entry else 0
            if entry and 1 <= version <= entry.version:
                found.append((entry, version))
        page = found[start:start + max_results]
        return 200, arxiv_feed(head, [arxiv_entry(e, v) for e, v in page], len(found), start,
                               len(page)).encode(), ATOM_TYPE


# -- shapes ----------------------------------------------------------------------------------------
def inverted_index(text: str | None) -> dict[str, list[int]] | None:
    """OpenAlex's abstract_inverted_index: each word → the positions it stands at."""
    if not text:
        return None
    index: dict[str, list[int]] = {}
    for pos, word in enumerate(text.split()):
        index.setdefault(word, []).append(pos)
    return index


def forum_notes(f: Forum) -> list[dict[str, Any]]:
    """The notes of an OpenReview forum as API v2 gives them: the submission first, then its
    replies (reviews, the decision or the withdrawal) by creation date."""
    d, n = f.domain, f.number
    paper = f"{d}/Submission{n}"
    replies: list[dict[str, Any]] = []

    def note(suffix: str, invitation: str, cdate: int, signature: str,
             content: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"{f.forum_id[:4]}{suffix}", "forum": f.forum_id,
                "replyto": f.forum_id, "invitations": [invitation], "domain": d,
                "cdate": cdate, "mdate": cdate, "tcdate": cdate, "tmdate": cdate,
                "signatures": [signature], "readers": ["everyone"], "writers": [d],
                "content": content, "version": 2}

    for r in range(f.reviews):
        replies.append(note(f"Rv{r:04d}", f"{paper}/-/Official_Review",
                            f.submitted + (r + 30) * 86_400_000, f"{paper}/Reviewer_x{r}",
                            {"summary": {"value": "Fixture review text, not a decision."},
                             "rating": {"value": 6}, "confidence": {"value": 3}}))
    if f.decision and f.decided:
        replies.append(note("Dc0001", f"{paper}/-/Decision", f.decided, f"{d}/Program_Chairs",
                            {"title": {"value": "Paper Decision"},
                             "decision": {"value": f.decision},
                             "comment": {"value": "Fixture decision comment."}}))
    if f.withdrawn:
        replies.append(note("Wd0001", f"{paper}/-/Withdrawal", f.withdrawn,
                            f"{paper}/Authors",
                            {"title": {"value": "Withdrawal by Authors"},
                             "comment": {"value": "Fixture withdrawal comment."}}))
    replies.sort(key=lambda r: r["cdate"])
    invitations = [f"{d}/-/Submission", f"{d}/-/Post_Submission"]
    if f.withdrawn:
        invitations.append(f"{d}/-/Withdrawn_Submission")
    if f.decision:
        invitations.append(f"{paper}/-/Camera_Ready_Revision")
    content: dict[str, Any] = {
        "title": {"value": f.title},
        "abstract": {"value": "Fixture abstract for tests only."},
        "keywords": {"value": ["fixture"]},
        "venue": {"value": f.venue},
        "venueid": {"value": f.venueid},
        "pdf": {"value": f"/pdf/{hashlib.sha1(f.forum_id.encode()).hexdigest()}.pdf"},
    }
    if f.authors:  # hidden ones are left out of the content, as OpenReview does
        content["authors"] = {"value": list(f.authors)}
        content["authorids"] = {"value": [f"~{a.replace(' ', '_')}1" for a in f.authors]}
    last = max([f.submitted] + [r["cdate"] for r in replies])
    submission = {"id": f.forum_id, "forum": f.forum_id, "number": n,
                  "invitations": invitations, "domain": d, "cdate": f.submitted,
                  "mdate": last, "tcdate": f.submitted, "tmdate": last, "odate": f.submitted,
                  "signatures": [f"{paper}/Authors"], "readers": ["everyone"],
                  "writers": [d, f"{paper}/Authors"], "content": content, "version": 2}
    if f.decision and f.decided:
        submission["pdate"] = f.decided
    return [submission, *replies]


def _wrapped(text: str, indent: str) -> str:
    """Hard-wrap as arXiv does: titles and summaries arrive broken across indented lines."""
    return f"\n{indent}".join(textwrap.wrap(text, 72)) if text else ""


def arxiv_entry(e: ArxivEntry, version: int) -> str:
    vid = f"{e.arxiv_id}v{version}"
    lines = ["  <entry>",
             f"    <id>http://arxiv.org/abs/{vid}</id>",
             f"    <updated>{e.updated if version == e.version else e.published}</updated>",
             f"    <published>{e.published}</published>",
             f"    <title>{escape(_wrapped(e.title, '  '))}</title>",
             f"    <summary>  {escape(_wrapped(e.summary, ''))}\n</summary>"]
    lines += [f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in e.authors]
    if e.doi:
        lines.append(f"    <arxiv:doi xmlns:arxiv={quoteattr(ARXIV_NS)}>{escape(e.doi)}"
                     f"</arxiv:doi>")
        lines.append(f"    <link title=\"doi\" href={quoteattr('http://dx.doi.org/' + e.doi)}"
                     f" rel=\"related\"/>")
    if e.comment:
        lines.append(f"    <arxiv:comment xmlns:arxiv={quoteattr(ARXIV_NS)}>"
                     f"{escape(e.comment)}</arxiv:comment>")
    if e.journal_ref:
        lines.append(f"    <arxiv:journal_ref xmlns:arxiv={quoteattr(ARXIV_NS)}>"
                     f"{escape(e.journal_ref)}</arxiv:journal_ref>")
    lines += [f"    <link href=\"http://arxiv.org/abs/{vid}\" rel=\"alternate\" "
              f"type=\"text/html\"/>",
              f"    <link title=\"pdf\" href=\"http://arxiv.org/pdf/{vid}\" rel=\"related\" "
              f"type=\"application/pdf\"/>",
              f"    <arxiv:primary_category xmlns:arxiv={quoteattr(ARXIV_NS)} "
              f"term={quoteattr(e.primary_category)} scheme={quoteattr(ARXIV_NS)}/>"]
    lines += [f"    <category term={quoteattr(c)} scheme={quoteattr(ARXIV_NS)}/>"
              for c in (e.primary_category, *e.categories)]
    lines.append("  </entry>")
    return "\n".join(lines)


def arxiv_feed(head: str, entries: list[str], total: int, start: int, per_page: int) -> str:
    """The Atom feed arXiv's query API answers with (the classic export API's layout)."""
    feed_id = hashlib.sha1(head.encode()).digest().hex()[:27]
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<feed xmlns={quoteattr(ATOM)}>",
        f"  <link href={quoteattr('http://arxiv.org/api/query?' + quote(head, safe=''))} "
        f'rel="self" type="application/atom+xml"/>',
        f'  <title type="html">ArXiv Query: {escape(head)}</title>',
        f"  <id>http://arxiv.org/api/{feed_id}</id>",
        f"  <updated>{FEED_UPDATED}</updated>",
        f"  <opensearch:totalResults xmlns:opensearch={quoteattr(OPENSEARCH)}>{total}"
        f"</opensearch:totalResults>",
        f"  <opensearch:startIndex xmlns:opensearch={quoteattr(OPENSEARCH)}>{start}"
        f"</opensearch:startIndex>",
        f"  <opensearch:itemsPerPage xmlns:opensearch={quoteattr(OPENSEARCH)}>{per_page}"
        f"</opensearch:itemsPerPage>",
        *entries,
        "</feed>",
        "",
    ])


def arxiv_error_feed(head: str, anchor: str, message: str) -> Answer:
    """arXiv's answer to a malformed query: a 200 feed whose one entry is the error (the API
    manual's section 3.4), titled ``Error``, by "arXiv api core"."""
    url = f"http://arxiv.org/api/errors#{anchor}"
    entry = "\n".join(["  <entry>",
                       f"    <id>{escape(url)}</id>",
                       "    <title>Error</title>",
                       f"    <summary>{escape(message)}</summary>",
                       f"    <updated>{FEED_UPDATED}</updated>",
                       f"    <link href={quoteattr(url)} rel=\"alternate\" type=\"text/html\"/>",
                       "    <author>\n      <name>arXiv api core</name>\n    </author>",
                       "  </entry>"])
    return 200, arxiv_feed(head, [entry], 1, 0, 1).encode(), ATOM_TYPE
