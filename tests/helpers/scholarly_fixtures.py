"""The records the fake scholarly services (``tests/helpers/fake_scholarly.py``) serve, and what
``caikg enrich`` is expected to make of them.

The fixture works are keyed by the real identifiers of curated papers in ``data/survey.ttl``
(arXiv ids, DOI, OpenReview forum ids) and carry the curated titles, years and author names, so
that caikg finds them by exact identifier as it would on the real services. Everything else is
made up for the tests and says so by its form:

- abstracts, institutions, outside works' titles and review texts are synthetic words;
- OpenAlex ids are ``W9000000…`` (works), ``A9000000…`` (authors), ``I9000000…`` (institutions),
  ``S9000000…`` (sources); ROR ids are ``https://ror.org/0fake…``; ORCID iDs are
  ``0000-0000-0000-0xxC`` with a valid ISO 7064 11,2 check character;
- outside works' DOIs use Crossref's test prefix ``10.5555`` (and the one outside arXiv work a
  well-formed arXiv id that no real paper has);
- OpenReview submission numbers are ``91xx``.

The traps and expectations at the end (``TRAP_*``, ``FOUNDATIONS`` …) name what the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

PAPER = "https://w3id.org/caikg/paper/"
PERSON = "https://w3id.org/caikg/person/"
OPENALEX = "https://openalex.org/"
ROR = "https://ror.org/"
ORCID = "https://orcid.org/"
DOI_URL = "https://doi.org/"


def arxiv_doi(arxiv_id: str) -> str:
    """The DataCite DOI arXiv registers for every paper (lower case, as OpenAlex gives it)."""
    return f"10.48550/arxiv.{arxiv_id}"


def orcid_is_valid(orcid: str) -> bool:
    """Whether a bare ORCID iD has the right form and ISO 7064 11,2 check character."""
    digits = orcid.replace("-", "")
    if len(digits) != 16 or not digits[:15].isdigit() or len(orcid) != 19:
        return False
    total = 0
    for ch in digits[:15]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[15] == ("X" if check == 10 else str(check))


def epoch_ms(iso: str) -> int:
    """Milliseconds since the epoch of an ISO date or date-time in UTC, as OpenReview counts."""
    when = datetime.fromisoformat(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


# -- the curated papers used ------------------------------------------------------------------
@dataclass(frozen=True)
class Curated:
    """A paper of ``data/survey.ttl`` as curated: the facts the fixtures must agree with."""

    slug: str  # the IRI is PAPER + slug
    title: str
    year: int
    status: str  # the curated bibo:status, e.g. "Preprint"
    authors: tuple[str, ...] = ()  # schema:name of the person at ordinal 1, 2, …
    arxiv: str | None = None
    doi: str | None = None
    openreview: str | None = None

    @property
    def iri(self) -> str:
        return PAPER + self.slug


_CURATED = [
    Curated("flexgen", "FlexGen: High-Throughput Generative Inference of Large Language Models "
            "with a Single GPU", 2023, "Published",
            ("Ying Sheng", "Lianmin Zheng", "Binhang Yuan", "Zhuohan Li", "Max Ryabinin",
             "Daniel Y. Fu", "Zhiqiang Xie", "Beidi Chen", "Clark Barrett", "Joseph E. Gonzalez",
             "Percy Liang", "Christopher Ré", "Ion Stoica", "Ce Zhang"), arxiv="2303.06865"),
    Curated("infinigen", "InfiniGen: Efficient Generative Inference of Large Language Models with "
            "Dynamic KV Cache Management", 2024, "Published",
            ("Wonbeom Lee", "Jungi Lee", "Junghwan Seo", "Jaewoong Sim"), arxiv="2406.19707"),
    Curated("moe-infinity", "MoE-Infinity: Offloading-Efficient MoE Model Serving", 2024,
            "Preprint", ("Leyang Xue", "Yao Fu", "Zhan Lu", "Luo Mai", "Mahesh Marina"),
            arxiv="2401.14361"),
    Curated("compute-or-load-kv-cache-why", "Compute Or Load KV Cache? Why Not Both?", 2024,
            "Preprint", ("Shuowei Jin", "Xueshen Liu", "Qingzhao Zhang", "Z. Morley Mao"),
            arxiv="2410.03065"),
    Curated("do-large-language-models-need-a",
            "Do Large Language Models Need a Content Delivery Network?", 2024, "Preprint",
            ("Yihua Cheng", "Kuntai Du", "Jiayi Yao", "Junchen Jiang"), arxiv="2409.13761"),
    Curated("zero-delay-qkv-compression-for-mitigating-kv",
            "Zero-Delay QKV Compression for Mitigating KV Cache and Network Bottlenecks in LLM "
            "Inference", 2024, "Preprint", ("Zeyu Zhang", "Haiying Shen"), arxiv="2408.04107"),
    Curated("turborag", "TurboRAG: Accelerating Retrieval-Augmented Generation with Precomputed "
            "KV Caches for Chunked Text", 2024, "Preprint",
            ("Songshuo Lu", "Hua Wang", "Yutian Rong", "Zhi Chen", "Yaohua Tang"),
            arxiv="2410.07590"),
    Curated("alto", "ALTO: An Efficient Network Orchestrator for Compound AI Systems", 2024,
            "Published",
            ("Keshav Santhanam", "Deepti Raghavan", "Muhammad Shahir Rahman", "Thejas Venkatesh",
             "Neha Kunjal", "Pratiksha Thaker", "Philip Levis", "Matei Zaharia"),
            doi="10.1145/3642970.3655844"),
    Curated("metagpt", "MetaGPT: Meta Programming for A Multi-Agent Collaborative Framework", 2024,
            "Published",
            ("Sirui Hong", "Mingchen Zhuge", "Jonathan Chen", "Xiawu Zheng", "Yuheng Cheng",
             "Ceyao Zhang", "Jinlin Wang", "Zili Wang", "Steven Ka Shing Yau", "Zijuan Lin",
             "Liyang Zhou", "Chenyu Ran", "Lingfeng Xiao", "Chenglin Wu", "Jürgen Schmidhuber"),
            openreview="VtmBAGCN7o"),
    Curated("conveyor", "Conveyor: Efficient Tool-aware LLM Serving with Tool Partial Execution",
            2025, "UnderReview", openreview="A0VvDN4arV"),
    Curated("improving-planning-with-large-language-models",
            "Improving Planning with Large Language Models: A Modular Agentic Architecture", 2025,
            "InSubmission", openreview="iNcEChuYXD"),
]
CURATED: dict[str, Curated] = {c.slug: c for c in _CURATED}
"""slug → the curated paper, for every paper a fixture record is keyed by."""


# -- OpenAlex -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Institution:
    key: str  # I9000000…
    name: str
    ror: str  # the full https://ror.org/0fake… URL
    country_code: str

    @property
    def url(self) -> str:
        return OPENALEX + self.key


@dataclass(frozen=True)
class Authorship:
    name: str  # OpenAlex's display_name (and raw_author_name)
    key: str  # A9000000…
    orcid: str | None = None  # bare iD
    institutions: tuple[Institution, ...] = ()


@dataclass(frozen=True)
class Work:
    """An OpenAlex work. Outside works (``curated`` None) are only cited, never looked up by the
    tests, so most of them carry no authors or abstract, as many OpenAlex records don't."""

    key: str  # W9000000…
    title: str
    year: int
    date: str
    doi: str | None = None  # bare, lower case
    work_type: str = "article"  # OpenAlex's type: "article", "preprint" …
    source: str | None = None  # primary_location.source.display_name
    authors: tuple[Authorship, ...] = ()
    abstract: str | None = None
    references: tuple[str, ...] = ()  # W keys
    cited_by_count: int = 0
    counts_by_year: tuple[tuple[int, int], ...] = ()  # (year, cited_by_count), newest first
    curated: str | None = None  # the slug of the curated paper this is (None: outside work)

    @property
    def url(self) -> str:
        return OPENALEX + self.key


QUILLON = Institution("I9000000001", "Quillon Institute of Computing", ROR + "0fake0001", "US")
MARROWGATE = Institution("I9000000002", "Marrowgate University", ROR + "0fake0002", "KR")
HOLLENBECK = Institution("I9000000003", "Hollenbeck Polytechnic", ROR + "0fake0003", "GB")
SALTMERE = Institution("I9000000004", "Saltmere Research Laboratory", ROR + "0fake0004", "CN")
FENWICK = Institution("I9000000005", "University of Fenwick Reach", ROR + "0fake0005", "CA")
INSTITUTIONS = (QUILLON, MARROWGATE, HOLLENBECK, SALTMERE, FENWICK)

ARXIV_SOURCE = "arXiv (Cornell University)"


def _authors(names: tuple[str, ...], first_key: int,
             special: dict[int, Authorship] | None = None,
             orcids: dict[int, str] | None = None,
             affiliations: dict[int, tuple[Institution, ...]] | None = None,
             default: tuple[Institution, ...] = ()) -> tuple[Authorship, ...]:
    """Authorships for ``names`` (position → override), with author keys counted from
    ``first_key`` so that every fixture author has a distinct fake id."""
    out = []
    for n, name in enumerate(names, start=1):
        if special and n in special:
            out.append(special[n])
            continue
        out.append(Authorship(name, f"A9{first_key + n:09d}", (orcids or {}).get(n),
                              (affiliations or {}).get(n, default)))
    return tuple(out)


TRAP_NAME_ORCID = "0000-0000-0000-0095"
"""The ORCID iD on the authorship whose name disagrees: it must not reach the curated person."""

_WORKS = [
    Work("W9000000001", CURATED["flexgen"].title, 2023, "2023-03-13", arxiv_doi("2303.06865"),
         "preprint", ARXIV_SOURCE,
         _authors(CURATED["flexgen"].authors, 100, orcids={1: "0000-0000-0000-001X"},
                  affiliations={1: (QUILLON,), 14: (FENWICK,)}, default=(QUILLON,)),
         "Fixture abstract for tests only. A lantern scheduler moves tensor pages between three "
         "storage tiers so that one modest accelerator keeps very long batches warm.",
         ("W9000000104",), 412, ((2025, 150), (2024, 201), (2023, 61)),
         curated="flexgen"),
    Work("W9000000002", CURATED["infinigen"].title, 2024, "2024-06-28", arxiv_doi("2406.19707"),
         "preprint", ARXIV_SOURCE,
         _authors(CURATED["infinigen"].authors, 200, orcids={1: "0000-0000-0000-0028"},
                  special={2: Authorship("Marguerite Okafor-Lind", "A9000000202",
                                         TRAP_NAME_ORCID, (HOLLENBECK,))},
                  default=(MARROWGATE,)),
         "Fixture abstract for tests only. Speculative lookahead picks which cached key rows a "
         "decoder will need and fetches only those from the slow tier.",
         ("W9000000001", "W9000000101", "W9000000102"), 87, ((2025, 55), (2024, 32)),
         curated="infinigen"),
    Work("W9000000003", CURATED["moe-infinity"].title, 2024, "2024-01-25",
         arxiv_doi("2401.14361"), "preprint", ARXIV_SOURCE,
         _authors(CURATED["moe-infinity"].authors, 300, orcids={4: "0000-0000-0000-0036"},
                  default=(HOLLENBECK,)),
         "Fixture abstract for tests only. Expert shelves are paged in by a tracer that "
         "remembers which experts each request woke, trimming the copies across the bus.",
         ("W9000000001", "W9000000101", "W9000000105"), 64, ((2025, 40), (2024, 24)),
         curated="moe-infinity"),
    Work("W9000000004", CURATED["compute-or-load-kv-cache-why"].title, 2024, "2024-10-04",
         arxiv_doi("2410.03065"), "preprint", ARXIV_SOURCE,
         _authors(CURATED["compute-or-load-kv-cache-why"].authors, 400,
                  orcids={4: "0000-0000-0000-0044"}, default=(QUILLON,)),
         "Fixture abstract for tests only. A planner splits each prefix between recomputing "
         "and loading so that both the disk and the arithmetic units stay busy.",
         ("W9000000001", "W9000000002", "W9000000005", "W9000000101", "W9000000102"),
         9, ((2025, 9),), curated="compute-or-load-kv-cache-why"),
    Work("W9000000005", CURATED["do-large-language-models-need-a"].title, 2024, "2024-09-18",
         arxiv_doi("2409.13761"), "preprint", ARXIV_SOURCE,
         _authors(CURATED["do-large-language-models-need-a"].authors, 500,
                  default=(SALTMERE,)),
         "Fixture abstract for tests only. A delivery layer for cached knowledge would sit "
         "beside serving engines the way mirrors sit beside web origins.",
         ("W9000000102", "W9000000103"), 21, ((2025, 17), (2024, 4)),
         curated="do-large-language-models-need-a"),
    Work("W9000000006", CURATED["zero-delay-qkv-compression-for-mitigating-kv"].title, 2024,
         "2024-08-07", arxiv_doi("2408.04107"), "preprint", ARXIV_SOURCE,
         _authors(CURATED["zero-delay-qkv-compression-for-mitigating-kv"].authors, 600,
                  orcids={2: "0000-0000-0000-0052"}, default=(FENWICK,)),
         "Fixture abstract for tests only. Query, key and value rows are squeezed on the fly "
         "with a codec whose cost hides entirely behind the network transfer.",
         ("W9000000002", "W9000000101"), 5, ((2025, 4), (2024, 1)),
         curated="zero-delay-qkv-compression-for-mitigating-kv"),
    # The work OpenAlex wrongly files under ALTO's DOI (TRAP_WRONG_DOI_WORK). It cites FlexGen,
    # so an enricher that believed it would also invent a cites link for ALTO.
    Work("W9000000090", "Tidal Ledger Compaction for Seasonal Archives", 2021, "2021-05-02",
         CURATED["alto"].doi, "article", "Journal of Fixture Archival Studies",
         (Authorship("Oswin Tarrant-Vale", "A9000000901", "0000-0000-0000-0060", (SALTMERE,)),
          Authorship("Bettany Quorl", "A9000000902", None, (SALTMERE,))),
         "Fixture abstract for tests only. Seasonal archives fold their ledgers at each tide "
         "so that old entries cost nothing to keep.",
         ("W9000000001",), 3, ((2023, 2), (2022, 1))),
    # Outside works: cited by the fixture works, unknown to the curated graph.
    Work("W9000000101", "Paged Attention Arenas for Elastic Decoding", 2023, "2023-09-11",
         "10.5555/caikg-fake.0101", "article", "Proceedings of the Fixture Symposium on Systems",
         (Authorship("Ilse Varnholt", "A9000001011"),), cited_by_count=950,
         counts_by_year=((2025, 400), (2024, 450), (2023, 100))),
    Work("W9000000102", "Sparse Ledger Transformers", 2021, "2021-12-30", arxiv_doi("2112.99901"),
         "preprint", ARXIV_SOURCE, (Authorship("Caspar Ondrejka", "A9000001021"),),
         cited_by_count=310, counts_by_year=((2025, 80), (2024, 120), (2023, 70), (2022, 40))),
    Work("W9000000103", "Cold Tier Vector Shelving", 2022, "2022-06-01", "10.5555/caikg-fake.0103",
         "article", "Fixture Transactions on Storage", cited_by_count=44),
    Work("W9000000104", "Batch Lantern: Throughput Notes", 2020, "2020-02-14",
         "10.5555/caikg-fake.0104", "article", "Fixture Letters", cited_by_count=120),
    Work("W9000000105", "On Quiet Gradients", 2019, "2019-07-19", None, "article",
         cited_by_count=18),
]
OPENALEX_WORKS: dict[str, Work] = {w.key: w for w in _WORKS}
"""W key → work. Looked up by DOI (``/works/doi:…``) or by id filter (``openalex_id:W…|W…``)."""

OPENALEX_BY_CURATED: dict[str, Work] = {w.curated: w for w in _WORKS if w.curated}
"""curated slug → its OpenAlex work."""

SOURCE_IDS: dict[str, str] = {name: f"S{9000000001 + n}" for n, name in enumerate(
    dict.fromkeys(w.source for w in _WORKS if w.source))}
"""source display_name → its (fake) OpenAlex S key."""


# -- Crossref -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossrefAuthor:
    given: str
    family: str
    orcid: str | None = None  # bare iD
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossrefWork:
    doi: str  # lower case
    title: str
    container: str
    work_type: str  # Crossref's type, e.g. "proceedings-article"
    issued: tuple[int, int, int]
    publisher: str
    authors: tuple[CrossrefAuthor, ...] = ()
    relation: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """relation type (``has-preprint``, ``is-preprint-of`` …) → DOIs, asserted by the subject."""
    curated: str | None = None


PUBLISHED_DOI = "10.5555/caikg-fake.moe-infinity"
"""The DOI of MoE-Infinity's (made-up) published version."""

_CROSSREF = [
    # ALTO as Crossref has it: the right title and authors (OpenAlex's record is the trap).
    CrossrefWork(CURATED["alto"].doi or "", CURATED["alto"].title,
                 "Proceedings of the Fixture Workshop on Machine Learning and Systems",
                 "proceedings-article", (2024, 4, 22), "ACM",
                 (CrossrefAuthor("Keshav", "Santhanam", "0000-0000-0000-0079",
                                 (QUILLON.name,)),
                  CrossrefAuthor("Deepti", "Raghavan", None, (QUILLON.name,)),
                  CrossrefAuthor("Muhammad Shahir", "Rahman", None, (QUILLON.name,)),
                  CrossrefAuthor("Thejas", "Venkatesh", None, (QUILLON.name,)),
                  CrossrefAuthor("Neha", "Kunjal", None, (QUILLON.name,)),
                  CrossrefAuthor("Pratiksha", "Thaker", None, (FENWICK.name,)),
                  CrossrefAuthor("Philip", "Levis", None, (QUILLON.name,)),
                  CrossrefAuthor("Matei", "Zaharia", None, (FENWICK.name,))),
                 curated="alto"),
    # MoE-Infinity's published version. Crossref holds only Crossref DOIs: arXiv's DOIs are
    # DataCite's, so Crossref answers 404 for 10.48550/arxiv.… and the link between the two is
    # asserted here, by the published version, as has-preprint.
    CrossrefWork(PUBLISHED_DOI, CURATED["moe-infinity"].title,
                 "Proceedings of the Fixture Conference on Machine Systems",
                 "proceedings-article", (2025, 3, 30), "Fixture Press",
                 (CrossrefAuthor("Leyang", "Xue", None, (HOLLENBECK.name,)),
                  CrossrefAuthor("Yao", "Fu", None, (HOLLENBECK.name,)),
                  CrossrefAuthor("Zhan", "Lu", None, (HOLLENBECK.name,)),
                  CrossrefAuthor("Luo", "Mai", "0000-0000-0000-0036", (HOLLENBECK.name,)),
                  CrossrefAuthor("Mahesh", "Marina", None, (HOLLENBECK.name,))),
                 {"has-preprint": (arxiv_doi("2401.14361"),)}, curated="moe-infinity"),
]
CROSSREF_WORKS: dict[str, CrossrefWork] = {w.doi: w for w in _CROSSREF}
"""lower-case DOI → record; any other DOI is a 404 "Resource not found."."""


# -- arXiv --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArxivEntry:
    arxiv_id: str  # without version
    version: int  # the latest version
    published: str  # v1, ISO date-time
    updated: str  # the latest version
    title: str
    summary: str
    authors: tuple[str, ...]
    primary_category: str = "cs.DC"
    categories: tuple[str, ...] = ()  # besides the primary one
    journal_ref: str | None = None
    doi: str | None = None  # the published version's DOI, as the authors gave it
    comment: str | None = None
    curated: str | None = None


def _entry(slug: str, version: int, published: str, updated: str, *,
           summary: str | None = None, primary_category: str = "cs.DC",
           journal_ref: str | None = None, doi: str | None = None,
           comment: str | None = None) -> ArxivEntry:
    """The arXiv entry of a curated paper, with the curated title and authors and (unless
    given) the same synthetic abstract as its OpenAlex work, as the two services would agree."""
    paper = CURATED[slug]
    assert paper.arxiv
    work = OPENALEX_BY_CURATED.get(slug)
    if summary is None:
        summary = work.abstract if work and work.abstract else ""
    return ArxivEntry(paper.arxiv, version, published, updated, paper.title, summary,
                      paper.authors, primary_category, (), journal_ref, doi, comment, slug)


PUBLISHED_JOURNAL_REF = "Proceedings of the Fixture Conference on Machine Systems, 2025"

_ARXIV = [
    _entry("flexgen", 2, "2023-03-13T17:59:15Z", "2023-06-12T08:00:00Z",
           comment="Fixture comment"),
    _entry("infinigen", 1, "2024-06-28T03:31:00Z", "2024-06-28T03:31:00Z"),
    _entry("moe-infinity", 3, "2024-01-25T18:07:43Z", "2025-03-02T10:00:00Z",
           journal_ref=PUBLISHED_JOURNAL_REF, doi=PUBLISHED_DOI),
    _entry("compute-or-load-kv-cache-why", 1, "2024-10-04T01:10:00Z", "2024-10-04T01:10:00Z"),
    _entry("do-large-language-models-need-a", 2, "2024-09-18T19:00:00Z",
           "2024-10-01T12:00:00Z"),
    _entry("zero-delay-qkv-compression-for-mitigating-kv", 1, "2024-08-07T22:30:00Z",
           "2024-08-07T22:30:00Z"),
    # Known to arXiv only: OpenAlex answers 404 for its DataCite DOI (NOT_IN_OPENALEX).
    _entry("turborag", 1, "2024-10-10T03:00:00Z", "2024-10-10T03:00:00Z",
           primary_category="cs.CL",
           summary="Fixture abstract for tests only. Chunk caches are computed ahead of time "
                   "and stitched together when a question arrives."),
]
ARXIV_ENTRIES: dict[str, ArxivEntry] = {e.arxiv_id: e for e in _ARXIV}
"""arXiv id (no version) → entry."""


# -- OpenReview (API v2) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Forum:
    """An OpenReview forum: the submission note and what was posted in reply to it."""

    forum_id: str
    curated: str
    domain: str  # the venue's group, e.g. "ICLR.cc/2024/Conference"
    number: int  # the submission number (synthetic)
    submitted: int  # cdate of the submission, ms
    venue: str  # content.venue.value
    venueid: str  # content.venueid.value
    title: str
    authors: tuple[str, ...] = ()  # empty: hidden, as for an anonymous submission
    decision: str | None = None  # content.decision.value of the decision note
    decided: int | None = None  # its cdate
    withdrawn: int | None = None  # cdate of the withdrawal note
    reviews: int = 1  # Official_Review notes (none of them is a decision)


ACCEPTED_FORUM = Forum(
    "VtmBAGCN7o", "metagpt", "ICLR.cc/2024/Conference", 9101, epoch_ms("2023-09-22T12:00:00"),
    "ICLR 2024 oral", "ICLR.cc/2024/Conference", CURATED["metagpt"].title,
    CURATED["metagpt"].authors, "Accept (oral)", epoch_ms("2024-01-16T09:30:00"))
"""A decision note "Accept (oral)" dated 2024-01-16 (curated status: Published)."""

WITHDRAWN_FORUM = Forum(
    "A0VvDN4arV", "conveyor", "ICLR.cc/2025/Conference", 9102, epoch_ms("2024-09-27T12:00:00"),
    "ICLR 2025 Conference Withdrawn Submission", "ICLR.cc/2025/Conference/Withdrawn_Submission",
    CURATED["conveyor"].title, withdrawn=epoch_ms("2024-11-15T08:00:00"))
"""A trap: curated as UnderReview, but the authors withdrew it (a Withdrawal note, venueid
``…/Withdrawn_Submission``). Its authors are hidden: the fixture invents none for a real paper."""

UNDECIDED_FORUM = Forum(
    "iNcEChuYXD", "improving-planning-with-large-language-models", "ICLR.cc/2025/Conference", 9103,
    epoch_ms("2024-09-28T12:00:00"), "Submitted to ICLR 2025", "ICLR.cc/2025/Conference/Submission",
    CURATED["improving-planning-with-large-language-models"].title, reviews=2)
"""Still under review: reviews but no decision note, authors hidden (double-blind)."""

OPENREVIEW_FORUMS: dict[str, Forum] = {f.forum_id: f for f in (ACCEPTED_FORUM, WITHDRAWN_FORUM,
                                                               UNDECIDED_FORUM)}
"""forum id → forum; any other forum id answers ``{"notes": [], "count": 0}``."""

UNKNOWN_FORUM = "meKEKDhdnx"
"""A curated forum id (paper ``preble``) the fake has no notes for."""


# -- traps and expectations -----------------------------------------------------------------------
@dataclass(frozen=True)
class WrongDoi:
    paper: str  # the curated slug
    doi: str  # its curated DOI
    work: Work  # what OpenAlex answers for that DOI: another title, other authors


TRAP_WRONG_DOI_WORK = WrongDoi("alto", CURATED["alto"].doi or "", OPENALEX_WORKS["W9000000090"])
"""OpenAlex resolves ALTO's curated DOI to an unrelated work (W9000000090): caikg must link
nothing of it (no sameAs, abstract, authors, citations). Crossref has the right record."""


@dataclass(frozen=True)
class NameDisagrees:
    paper: str
    position: int  # 1-based
    person: str  # the curated person's slug at that position
    curated_name: str
    source_name: str  # what OpenAlex says at that position
    orcid: str  # the iD on OpenAlex's authorship


TRAP_NAME_DISAGREES = NameDisagrees("infinigen", 2, "jungi-lee", "Jungi Lee",
                                    "Marguerite Okafor-Lind", TRAP_NAME_ORCID)
"""OpenAlex's InfiniGen authorship 2 names someone else: its ORCID and institution must not be
attached to person:jungi-lee."""


@dataclass(frozen=True)
class PublishedPreprint:
    paper: str
    arxiv: str
    arxiv_doi: str
    published_doi: str
    journal_ref: str
    venue: str  # Crossref's container-title of the published version
    published: str  # ISO date Crossref gives as issued


PUBLISHED_PREPRINT = PublishedPreprint(
    "moe-infinity", "2401.14361", arxiv_doi("2401.14361"), PUBLISHED_DOI, PUBLISHED_JOURNAL_REF,
    "Proceedings of the Fixture Conference on Machine Systems", "2025-03-30")
"""Curated as a Preprint; arXiv gives journal_ref and arxiv:doi (v3), Crossref's record of the
published DOI asserts has-preprint → the arXiv DOI."""

FOUNDATIONS: dict[str, tuple[str, ...]] = {
    "W9000000101": ("infinigen", "moe-infinity", "compute-or-load-kv-cache-why",
                    "zero-delay-qkv-compression-for-mitigating-kv"),
    "W9000000102": ("infinigen", "compute-or-load-kv-cache-why",
                    "do-large-language-models-need-a"),
}
"""Outside works cited by two or more curated works → the citing slugs."""

OUTSIDE_ARXIV_WORK = "W9000000102"
"""The outside work that is an arXiv paper (DOI 10.48550/arxiv.2112.99901)."""

INTERNAL_CITES: frozenset[tuple[str, str]] = frozenset({
    ("infinigen", "flexgen"),
    ("moe-infinity", "flexgen"),
    ("compute-or-load-kv-cache-why", "flexgen"),
    ("compute-or-load-kv-cache-why", "infinigen"),
    ("compute-or-load-kv-cache-why", "do-large-language-models-need-a"),
    ("zero-delay-qkv-compression-for-mitigating-kv", "infinigen"),
})
"""(citing, cited) curated slugs: the cites links within the graph OpenAlex implies. None starts
at ``alto`` (the trap work's reference to FlexGen must not become one)."""

ARXIV_ONLY = "compute-or-load-kv-cache-why"
"""A curated paper with an arXiv id and no DOI that OpenAlex knows by its DataCite DOI (as are
all the arXiv fixture works; this one is named for tests that need one)."""

NOT_IN_OPENALEX = "turborag"
"""On arXiv, but OpenAlex answers 404 for its DataCite DOI."""

EXPECTED_ORCIDS: dict[str, str] = {
    "ying-sheng": "0000-0000-0000-001X",
    "wonbeom-lee": "0000-0000-0000-0028",
    "luo-mai": "0000-0000-0000-0036",
    "z-morley-mao": "0000-0000-0000-0044",
    "haiying-shen": "0000-0000-0000-0052",
    "keshav-santhanam": "0000-0000-0000-0079",
}
"""person slug → the ORCID iD the sources give under the person's own name at their position
(OpenAlex for most, Crossref for Keshav Santhanam; Luo Mai in both)."""

MALFORMED_ARXIV_ID = "2401.143"
"""arXiv answers the whole query with an Error entry ("incorrect id format for 2401.143")."""

UNKNOWN_ARXIV_ID = "2112.99902"
"""Well-formed but no such paper: arXiv leaves it out of the feed."""
