"""Generate a synthetic scholarly graph that conforms to caikg's SHACL shapes.

The output is N-Triples (also written for ``.ttl``, since N-Triples is valid Turtle) describing
papers, people, authorships, venue series and editions, and a synthetic reading list with its
sections. Papers are tagged (``dcterms:subject``) with the most specific concepts of the
curated taxonomy in ``data/techniques.ttl`` and some appear in editions of the series of
``data/venues.ttl`` or in ``venue/arxiv``, so build with those two files::

    python benchmarks/generate.py --triples 100000 -o /tmp/syn-100k.nt
    caikg build --data /tmp/syn-100k.nt data/techniques.ttl data/venues.ttl

What makes it look like a bibliography:

- author productivity is Zipf-distributed (a few prolific authors, a long tail of one-paper
  authors), and authors mostly publish with their own group (co-author clusters), with an
  occasional outside collaborator;
- each group works on one or two techniques; a paper is tagged with one to three leaves of the
  technique hierarchy, and its title uses their labels;
- years 2015-2025, more papers in recent years; statuses follow the year (recent work is more
  often a preprint or under review); published papers are in a venue edition of that year and
  have a DOI, the others are on arXiv with an id of the right pattern (``YYMM.NNNNN``).

Two shapes (``--shape``), so that no target is met only on data made to suit it:

- ``systems`` (the default): a systems field: 1-15 authors (mean ~4.9), Zipf exponent 0.8,
  groups of 3-14 with a focus of one or two techniques, three quarters of the older papers
  published, a dozen venue series;
- ``teams``: a large-team, preprint-heavy field: 1-40 authors (mean ~8, long tail), steeper
  productivity (Zipf 1.1, so a few people have thousands of papers), groups of 10-40, subjects
  drawn from a skewed (Zipf) popularity over the techniques rather than a group focus, one to
  four subjects per paper, most papers preprints, and some forty workshop series besides the
  conferences (many small venue editions).

The same seed, size and shape give byte-identical output. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parent.parent
TECHNIQUES_FILE = REPO / "data" / "techniques.ttl"

BASE = "https://w3id.org/caikg/"
CAIKG = "https://w3id.org/caikg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCHEMA = "https://schema.org/"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
FABIO = "http://purl.org/spar/fabio/"
BIBO = "http://purl.org/ontology/bibo/"
XSD = "http://www.w3.org/2001/XMLSchema#"

READING_LIST = BASE + "scheme/syn-benchmark"
TECHNIQUE_SCHEME = BASE + "scheme/techniques"

YEARS = list(range(2015, 2026))
# Recent years have more papers (the field is growing).
YEAR_WEIGHTS = [1.3 ** i for i in range(len(YEARS))]

# Series curated in data/venues.ttl (editions are added here) and synthetic ones (added whole).
CURATED_SERIES = ["osdi", "iclr", "icml", "mlsys", "euromlsys", "tosem"]
SYNTHETIC_SERIES = [
    ("nsdi", "NSDI", "USENIX Symposium on Networked Systems Design and Implementation"),
    ("sosp", "SOSP", "ACM Symposium on Operating Systems Principles"),
    ("eurosys", "EuroSys", "European Conference on Computer Systems"),
    ("atc", "ATC", "USENIX Annual Technical Conference"),
    ("neurips", "NeurIPS", "Conference on Neural Information Processing Systems"),
    ("acl", "ACL", "Annual Meeting of the Association for Computational Linguistics"),
    ("emnlp", "EMNLP", "Conference on Empirical Methods in Natural Language Processing"),
    ("vldb", "VLDB", "International Conference on Very Large Data Bases"),
    ("asplos", "ASPLOS", "International Conference on Architectural Support for Programming "
     "Languages and Operating Systems"),
    ("socc", "SoCC", "ACM Symposium on Cloud Computing"),
    ("sc", "SC", "International Conference for High Performance Computing, Networking, "
     "Storage and Analysis"),
    ("icse", "ICSE", "International Conference on Software Engineering"),
]

def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words("Wei Jing Li Ming Xin Yu Hao Chen Lei Tao Ana Maria Elena Sofia Lucas Mateo Ioana "
               "Andrei Olga Ivan Dmitri Priya Arjun Ravi Ananya Vikram Sara Omar Layla Yusuf Amir "
               "Noah Emma Liam Olivia Ethan Ava Mason Isabella James Mia Benjamin Charlotte "
               "Hiroshi Yuki Kenji Aiko Min-jun Ji-woo Seo-yeon Hye-jin Lukas Anna Felix Lena "
               "Jonas Clara "
               "Pierre Camille Hugo Chloe Marco Giulia Luca Chiara Tomasz Zofia Jakub Katarzyna "
               "Kwame Amara Chidi Zainab Diego Valentina Joao Beatriz")
LAST = _words("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo "
              "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Lopez "
              "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
              "White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Nguyen "
              "Hill Flores "
              "Patel Sharma Gupta Singh Kumar Iyer Reddy Rao Kim Park Choi Jung Kang Tanaka Suzuki "
              "Sato Watanabe Yamamoto Muller Schmidt Schneider Fischer Weber Dubois Moreau Laurent "
              "Rossi Russo Ferrari Esposito Kowalski Nowak Popescu Ionescu Ivanov Petrov Okafor "
              "Mensah Silva Santos Oliveira Costa")
SYLLABLES = _words("ka lo mi ra ze to vu ne si pa fu go lu be da xi yo ri na te mo su ki")
ADJECTIVES = _words("Efficient Scalable Fast Adaptive Practical Robust Elastic Cost-effective "
                    "Low-latency Fair Predictable Lightweight Unified Transparent")
VERBS = _words("Towards Rethinking Accelerating Scaling Optimizing Serving Understanding "
               "Taming Revisiting Automating")
CONTEXTS = ("large language models", "multi-tenant clusters", "long-context inference",
            "compound AI systems", "retrieval-augmented generation", "heterogeneous GPUs",
            "edge devices", "agentic workloads", "mixture-of-experts models",
            "serverless platforms", "production traces", "multi-modal pipelines")
STATUSES = {
    "Published": CAIKG + "Published",
    "Preprint": CAIKG + "Preprint",
    "UnderReview": CAIKG + "UnderReview",
    "InSubmission": CAIKG + "InSubmission",
}
YEAR_CUM = list(itertools.accumulate(YEAR_WEIGHTS))
TRIPLES_PER_PAPER = 40  # a rough average, used only to size the population of authors


@dataclass(frozen=True)
class Shape:
    """The distributions of one kind of bibliography."""

    name: str
    author_weights: tuple[float, ...]  # weight of 1, 2, 3 … authors
    zipf: float  # productivity: weight of the person of rank r is 1 / r ** zipf
    group_size: tuple[int, int]
    focus: bool  # subjects from the group's focus (True) or a global Zipf over techniques
    extra_subjects: tuple[int, float]  # up to n more subjects, each with probability p
    published_before_2024: float
    workshops: int  # synthetic workshop series besides the conferences
    venue_loyalty: float  # share of published papers in one of the group's series

    @property
    def author_cum(self) -> list[float]:
        return list(itertools.accumulate(self.author_weights))

    @property
    def mean_authors(self) -> float:
        return (sum(k * w for k, w in enumerate(self.author_weights, start=1))
                / sum(self.author_weights))


SHAPES = {
    "systems": Shape("systems",
                     (5, 12, 18, 18, 14, 10, 8, 5, 3, 2, 1.5, 1, 1, 0.8, 0.7),
                     zipf=0.8, group_size=(3, 14), focus=True, extra_subjects=(2, 0.35),
                     published_before_2024=0.75, workshops=0, venue_loyalty=0.8),
    "teams": Shape("teams",
                   tuple([2, 5, 8, 10, 11, 11, 10, 9, 8, 7, 6, 5, 4, 3.5, 3, 2.5, 2, 1.8, 1.6,
                          1.4, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3, 0.3,
                          0.25, 0.25, 0.2, 0.2, 0.2, 0.15, 0.15, 0.15]),
                   zipf=1.1, group_size=(10, 40), focus=False, extra_subjects=(3, 0.3),
                   published_before_2024=0.4, workshops=40, venue_loyalty=0.5),
}


# -- techniques (read from the curated taxonomy) ---------------------------------------------

@dataclass(frozen=True)
class Technique:
    iri: str
    label: str
    top: str  # the IRI of its top concept


def load_techniques(path: Path = TECHNIQUES_FILE) -> tuple[list[Technique], dict[str, str]]:
    """The most specific techniques (leaves), and the label of every top concept."""
    import pyoxigraph as ox

    labels: dict[str, str] = {}
    broader: dict[str, list[str]] = {}
    narrower_of: set[str] = set()
    in_scheme: list[str] = []
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        s, p, o = quad.subject, quad.predicate.value, quad.object
        if not isinstance(s, ox.NamedNode):
            continue
        if p == SKOS + "prefLabel" and isinstance(o, ox.Literal):
            labels[s.value] = o.value
        elif p == SKOS + "broader" and isinstance(o, ox.NamedNode):
            broader.setdefault(s.value, []).append(o.value)
            narrower_of.add(o.value)
        elif p == SKOS + "narrower" and isinstance(o, ox.NamedNode):
            narrower_of.add(s.value)
        elif p == SKOS + "inScheme" and o.value == TECHNIQUE_SCHEME:
            in_scheme.append(s.value)

    def top(iri: str) -> str:
        seen = 0
        while broader.get(iri) and seen < 20:
            iri = sorted(broader[iri])[0]
            seen += 1
        return iri

    concepts = sorted(set(in_scheme))
    leaves = [Technique(c, labels[c], top(c)) for c in concepts if c not in narrower_of]
    tops = {c: labels[c] for c in concepts if not broader.get(c)}
    if not leaves:
        raise SystemExit(f"{path}: no techniques found")
    return leaves, tops


# -- N-Triples output ------------------------------------------------------------------------

def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r"))


def iri(value: str) -> str:
    return f"<{value}>"


def lit(value: str, datatype: str | None = None, lang: str | None = None) -> str:
    if lang:
        return f'"{_escape(value)}"@{lang}'
    if datatype:
        return f'"{_escape(value)}"^^<{datatype}>'
    return f'"{_escape(value)}"'


class Writer:
    """Writes N-Triples lines and counts them."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def t(self, s: str, p: str, o: str) -> None:
        self.out.write(f"<{s}> <{p}> {o} .\n")
        self.count += 1


# -- the population --------------------------------------------------------------------------

@dataclass
class Person:
    index: int
    name: str
    alternate: str | None
    weight: float
    iri: str = ""
    emitted: bool = False
    papers: int = 0


@dataclass
class Group:
    members: list[Person]
    focus: list[Technique]
    series: list[str]
    cum: list[float] = field(default_factory=list)


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, items: Sequence[object], cum: Sequence[float]) -> object:
    return items[bisect.bisect_left(cum, rng.random() * cum[-1])]


def _person_name(rng: random.Random) -> tuple[str, str | None]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.3 else ""
    name = f"{first}{middle} {last}"
    alternate = f"{first[0]}. {last}" if rng.random() < 0.1 else None
    return name, alternate


def _acronym(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return word.capitalize() if rng.random() < 0.7 else word.upper()


class Generator:
    def __init__(self, target: int, seed: int, out: TextIO,
                 progress: Callable[[str], None] = lambda _m: None,
                 shape: Shape = SHAPES["systems"]) -> None:
        self.rng = random.Random(seed)
        self.shape = shape
        self.author_cum = shape.author_cum
        self.author_counts = list(range(1, len(shape.author_weights) + 1))
        self.target = target
        self.w = Writer(out)
        self.progress = progress
        self.leaves, self.tops = load_techniques()
        self.top_order = sorted(self.tops)
        self.editions: dict[tuple[str, int], str] = {}
        self.papers = 0
        self.authorships = 0
        self.max_authors = 0
        rng = self.rng

        # People: Zipf weights by rank, ranks shuffled so that index order means nothing.
        per_paper = TRIPLES_PER_PAPER * 4.9 / shape.mean_authors  # papers per person
        n_people = max(12, int(target / per_paper * 1.3))
        ranks = list(range(1, n_people + 1))
        rng.shuffle(ranks)
        self.people: list[Person] = []
        for i in range(n_people):
            name, alternate = _person_name(rng)
            self.people.append(Person(i + 1, name, alternate, 1.0 / ranks[i] ** shape.zipf))
        self.people_cum = _cumulative([p.weight for p in self.people])

        # Techniques by popularity (the ``teams`` shape draws subjects from it): Zipf by rank.
        popular = list(self.leaves)
        rng.shuffle(popular)
        self.popular = popular
        self.popular_cum = _cumulative([1.0 / r for r in range(1, len(popular) + 1)])
        self.workshops = [(f"ws{i:02d}", f"W{_acronym(rng).upper()}",
                           f"Workshop on {rng.choice(self.leaves).label} {i}")
                          for i in range(1, shape.workshops + 1)]

        # Groups: consecutive runs of people, each with a topical focus and favourite venues.
        # A group's weight is the sum of its members' weights.
        self.groups: list[Group] = []
        start = 0
        self.series_all = (CURATED_SERIES + [s for s, _, _ in SYNTHETIC_SERIES]
                           + [s for s, _, _ in self.workshops])
        series_all = self.series_all
        while start < n_people:
            size = rng.randint(*shape.group_size)
            members = self.people[start:start + size]
            start += size
            focus = rng.sample(self.leaves, k=min(len(self.leaves), rng.randint(1, 2)))
            series = rng.sample(series_all, k=3)
            group = Group(members, focus, series, _cumulative([m.weight for m in members]))
            self.groups.append(group)
        self.groups_cum = _cumulative([g.cum[-1] for g in self.groups])

    # -- static parts ------------------------------------------------------------------------
    def emit_static(self) -> None:
        t = self.w.t
        t(READING_LIST, RDF_TYPE, iri(SKOS + "ConceptScheme"))
        t(READING_LIST, DCT + "title", lit("Synthetic benchmark reading list"))
        t(READING_LIST, DCT + "source", lit("benchmarks/generate.py"))
        for n, top in enumerate(self.top_order, start=1):
            section = self.section_of(top)
            t(READING_LIST, SKOS + "hasTopConcept", iri(section))
            t(section, RDF_TYPE, iri(SKOS + "Concept"))
            t(section, SKOS + "prefLabel", lit(self.tops[top], lang="en"))
            t(section, SKOS + "inScheme", iri(READING_LIST))
            t(section, SKOS + "topConceptOf", iri(READING_LIST))
            t(section, SKOS + "notation", lit(str(n)))
        for slug, acronym, name in SYNTHETIC_SERIES + self.workshops:
            s = self.series_iri(slug)
            t(s, RDF_TYPE, iri(CAIKG + "VenueSeries"))
            t(s, RDF_TYPE, iri(SCHEMA + "EventSeries"))
            t(s, SCHEMA + "name", lit(name))
            t(s, CAIKG + "acronym", lit(acronym))

    @staticmethod
    def section_of(top: str) -> str:
        return f"{BASE}section/syn-benchmark/{top.rsplit('/', 1)[-1]}"

    @staticmethod
    def series_iri(slug: str) -> str:
        return f"{BASE}venue/{slug if slug in CURATED_SERIES else 'syn-' + slug}"

    def edition(self, slug: str, year: int) -> str:
        key = (slug, year)
        found = self.editions.get(key)
        if found:
            return found
        series = self.series_iri(slug)
        ed = f"{series}-{year}"
        acronym = next((a for s, a, _ in SYNTHETIC_SERIES + self.workshops if s == slug),
                       None) or {
            "osdi": "OSDI", "iclr": "ICLR", "icml": "ICML", "mlsys": "MLSys",
            "euromlsys": "EuroMLSys", "tosem": "TOSEM"}[slug]
        t = self.w.t
        t(ed, RDF_TYPE, iri(CAIKG + "VenueEdition"))
        t(ed, DCT + "isPartOf", iri(series))
        t(ed, DCT + "date", lit(str(year), XSD + "gYear"))
        t(ed, SCHEMA + "name", lit(f"{acronym} {year}"))
        self.editions[key] = ed
        return ed

    def person(self, p: Person) -> str:
        if not p.emitted:
            p.iri = f"{BASE}person/syn-{p.index:06d}"
            t = self.w.t
            t(p.iri, RDF_TYPE, iri(SCHEMA + "Person"))
            t(p.iri, RDF_TYPE, iri(FOAF + "Person"))
            t(p.iri, SCHEMA + "name", lit(p.name))
            if p.alternate:
                t(p.iri, SCHEMA + "alternateName", lit(p.alternate))
            p.emitted = True
        return p.iri

    # -- papers ------------------------------------------------------------------------------
    def choose_authors(self, group: Group) -> list[Person]:
        rng = self.rng
        k = int(_pick(rng, self.author_counts, self.author_cum))  # type: ignore[call-overload]
        chosen: list[Person] = []
        pool = list(group.members)
        weights = [m.weight for m in pool]
        for _ in range(k):
            if pool and rng.random() < 0.85:  # mostly someone from the group
                i = bisect.bisect_left(_cumulative(weights), rng.random() * sum(weights))
                i = min(i, len(pool) - 1)
                chosen.append(pool.pop(i))
                weights.pop(i)
            else:  # an outside collaborator, by global productivity
                for _attempt in range(5):
                    other = _pick(rng, self.people, self.people_cum)
                    if other not in chosen:
                        chosen.append(other)  # type: ignore[arg-type]
                        break
        if len(chosen) > 2 and rng.random() < 0.6:
            # the most prolific (the group lead) is often last
            lead = max(chosen, key=lambda p: p.weight)
            chosen.remove(lead)
            rng.shuffle(chosen)
            chosen.append(lead)
        else:
            rng.shuffle(chosen)
        return chosen

    def paper(self) -> None:
        rng = self.rng
        t = self.w.t
        self.papers += 1
        n = self.papers
        paper = f"{BASE}paper/syn-{n:06d}"
        group: Group = _pick(rng, self.groups, self.groups_cum)  # type: ignore[assignment]
        year = int(_pick(rng, YEARS, YEAR_CUM))  # type: ignore[call-overload]

        # subjects: the group's focus (or the popular techniques), sometimes another one too
        shape = self.shape
        if shape.focus:
            subjects = [rng.choice(group.focus) if rng.random() < 0.85
                        else rng.choice(self.leaves)]
        else:
            subjects = [_pick(rng, self.popular, self.popular_cum)]  # type: ignore[list-item]
        extra_n, extra_p = shape.extra_subjects
        for _ in range(extra_n):
            if rng.random() < extra_p:
                extra = (rng.choice(self.leaves) if shape.focus else
                         _pick(rng, self.popular, self.popular_cum))
                if extra not in subjects:
                    subjects.append(extra)  # type: ignore[arg-type]

        # status by year
        if year <= 2023:
            status = "Published" if rng.random() < shape.published_before_2024 else "Preprint"
        else:
            r = rng.random()
            published = 0.55 if year == 2024 else 0.3
            status = ("Published" if r < published else "Preprint" if r < published + 0.3
                      else "UnderReview" if r < published + 0.45 else "InSubmission")

        survey = rng.random() < 0.03
        t(paper, RDF_TYPE, iri(SCHEMA + "ScholarlyArticle"))
        t(paper, RDF_TYPE, iri(FABIO + ("ReviewArticle" if survey else "ResearchPaper")))
        label = subjects[0].label
        label = label if label[:3].isupper() else label[0].lower() + label[1:]
        if survey:
            title = f"A survey of {label} for {rng.choice(CONTEXTS)}"
        elif rng.random() < 0.6:
            title = (f"{_acronym(rng)}: {rng.choice(ADJECTIVES)} {label} for "
                     f"{rng.choice(CONTEXTS)}")
        else:
            title = f"{rng.choice(VERBS)} {label} in {rng.choice(CONTEXTS)}"
        t(paper, DCT + "title", lit(title))
        t(paper, FABIO + "hasPublicationYear", lit(str(year), XSD + "gYear"))
        t(paper, BIBO + "status", iri(STATUSES[status]))
        month = rng.randint(1, 12)
        if rng.random() < 0.3:
            t(paper, DCT + "issued", lit(f"{year}-{month:02d}-{rng.randint(1, 28):02d}",
                                         XSD + "date"))
        arxiv = None
        if status != "Published" or rng.random() < 0.5:
            # YYMM.NNNNN: 7919 is prime to 90000, so numbers are unique for < 90000 papers
            arxiv = f"{year % 100:02d}{month:02d}.{10000 + (n * 7919) % 90000:05d}"
            if rng.random() < 0.3:
                arxiv += f"v{rng.randint(2, 4)}"
            t(paper, CAIKG + "arxivId", lit(arxiv))
        if status == "Published":
            slug = (rng.choice(group.series) if rng.random() < shape.venue_loyalty
                    else rng.choice(self.series_all))
            t(paper, CAIKG + "venue", iri(self.edition(slug, year)))
            doi = f"10.{1145 + CURATED_SERIES.index(slug) if slug in CURATED_SERIES else 5555}"
            doi += f"/{slug}.{year}.{n}"
            t(paper, BIBO + "doi", lit(doi))
            if slug == "iclr":
                t(paper, CAIKG + "openReviewId", lit("".join(
                    rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789")
                    for _ in range(10))))
            url = f"https://doi.org/{doi}"
        else:
            t(paper, CAIKG + "venue", iri(BASE + "venue/arxiv"))
            url = f"https://arxiv.org/abs/{arxiv}"
        t(paper, SCHEMA + "url", iri(url))
        for s in subjects:
            t(paper, DCT + "subject", iri(s.iri))
        t(paper, CAIKG + "section", iri(self.section_of(subjects[0].top)))

        authors = self.choose_authors(group)
        self.max_authors = max(self.max_authors, len(authors))
        for ordinal, person in enumerate(authors, start=1):
            person_iri = self.person(person)
            person.papers += 1
            a = f"{paper}#author-{ordinal}"
            t(paper, PROV + "qualifiedAttribution", iri(a))
            t(paper, SCHEMA + "author", iri(person_iri))
            t(a, RDF_TYPE, iri(CAIKG + "Authorship"))
            t(a, RDF_TYPE, iri(PROV + "Attribution"))
            t(a, PROV + "agent", iri(person_iri))
            t(a, CAIKG + "ordinal", lit(str(ordinal), XSD + "integer"))
            stated = person.alternate if person.alternate and rng.random() < 0.5 else person.name
            t(a, CAIKG + "statedName", lit(stated))
            self.authorships += 1

    def run(self) -> dict[str, int]:
        started = time.monotonic()
        self.emit_static()
        step = max(1, self.target // 10)
        next_report = step
        while self.w.count < self.target:
            self.paper()
            if self.w.count >= next_report:
                self.progress(f"  {self.w.count:>9,} triples, {self.papers:,} papers "
                              f"({time.monotonic() - started:.1f} s)")
                next_report += step
        return {"triples": self.w.count, "papers": self.papers,
                "people": sum(1 for p in self.people if p.emitted),
                "authorships": self.authorships, "editions": len(self.editions),
                "max_authors": self.max_authors,
                "most_papers": max((p.papers for p in self.people), default=0)}


def generate(target: int, out_path: Path, seed: int = 42,
             progress: Callable[[str], None] = lambda _m: None,
             shape: str = "systems") -> dict[str, int]:
    """Write about ``target`` triples (a paper more at most) of the given shape to
    ``out_path``; return counts."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        stats = Generator(target, seed, fh, progress, SHAPES[shape]).run()
    tmp.replace(out_path)
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a synthetic scholarly graph conforming to caikg's shapes "
                    "(build it together with data/techniques.ttl and data/venues.ttl).")
    parser.add_argument("--triples", type=int, default=100_000,
                        help="target number of triples (e.g. 10000, 100000, 1000000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="systems",
                        help="the kind of bibliography (default systems; see the module's "
                             "docstring)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="output file, .nt or .ttl (N-Triples either way)")
    args = parser.parse_args(argv)
    if args.triples < 100:
        parser.error("--triples must be at least 100")
    if args.output.suffix not in {".nt", ".ttl"}:
        parser.error("the output file must end in .nt or .ttl")

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.monotonic()
    progress(f"generating ~{args.triples:,} triples ({args.shape}, seed {args.seed}) into "
             f"{args.output}")
    stats = generate(args.triples, args.output, args.seed, progress, args.shape)
    progress(f"wrote {args.output}: {stats['triples']:,} triples, {stats['papers']:,} papers, "
             f"{stats['people']:,} people, {stats['authorships']:,} authorships, "
             f"{stats['editions']:,} venue editions (up to {stats['max_authors']} authors a "
             f"paper, up to {stats['most_papers']:,} papers a person) in "
             f"{time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
