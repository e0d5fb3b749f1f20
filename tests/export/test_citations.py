"""Citation records and formatted references (caikg.export.citations): RIS read back with rispy,
CSL-JSON checked against the CSL schema's types and variables, and references rendered by
citeproc-py in APA, IEEE and ACM."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from importlib.resources import files
from typing import Any

import pyoxigraph as ox
import pytest
import rispy

from caikg.export import citations
from caikg.export.bibtex import PREPRINT, PUBLISHED, UNDER_REVIEW, Work, work_for, works
from caikg.export.citations import (
    STYLES,
    Dataset,
    UnknownStyle,
    csl_item,
    csl_items,
    csl_json,
    format_references,
    name_parts,
    ris,
    style_named,
    unique_keys,
)
from caikg.store.embedded import EmbeddedStore
from tests.helpers.works import work_iris as all_work_iris

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCHEMA = "https://schema.org/"
CAIKG = "https://w3id.org/caikg/ontology#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
BIBO = "http://purl.org/ontology/bibo/"
FABIO = "http://purl.org/spar/fabio/"
CSL_SCHEMA = files("citeproc") / "data" / "schema" / "schemas" / "styles"
"""The CSL schema (RELAX NG) that citeproc-py ships: its item types and variables."""


# -- the data, read without the code under test ---------------------------------------------
def objects(store: EmbeddedStore, subject: str, predicate: str) -> list[str]:
    return [q.object.value for q in store._store.quads_for_pattern(
        ox.NamedNode(subject), ox.NamedNode(predicate), None, None)
        if not isinstance(q.object, ox.Triple)]


def one(store: EmbeddedStore, subject: str, predicate: str) -> str | None:
    values = sorted(set(objects(store, subject, predicate)))
    assert len(values) <= 1, (subject, predicate, values)
    return values[0] if values else None


def printed_authors(store: EmbeddedStore, work: str) -> list[str]:
    """The names as printed in ``work`` (else the person's name), in author order."""
    entries = []
    for node in objects(store, work, PROV + "qualifiedAttribution"):
        ordinal = one(store, node, CAIKG + "ordinal")
        agent = one(store, node, PROV + "agent")
        assert ordinal is not None and agent is not None
        name = one(store, node, CAIKG + "statedName") or one(store, agent, SCHEMA + "name")
        entries.append((int(ordinal), name or ""))
    return [name for _, name in sorted(entries)]


def expected_ris_type(store: EmbeddedStore, work: str) -> str:
    if SCHEMA + "BlogPosting" in objects(store, work, RDF_TYPE):
        return "BLOG"
    status = one(store, work, BIBO + "status")
    venue = one(store, work, CAIKG + "venue")
    if status == PUBLISHED and venue and objects(store, venue, DCTERMS + "isPartOf"):
        series = one(store, venue, DCTERMS + "isPartOf")
        assert series is not None
        kinds = objects(store, series, RDF_TYPE)
        return "JOUR" if BIBO + "Journal" in kinds else "CPAPER"
    return "UNPB"


def rnc_strings(name: str, start: str) -> set[str]:
    """The quoted names of a RELAX NG compact pattern (``item-types = "article" | …``)."""
    text = (CSL_SCHEMA / name).read_text(encoding="utf-8")
    text = re.sub(r"#[^\n]*", "", text)  # comments (some sit inside the alternatives)
    found: set[str] = set()
    for block in re.findall(re.escape(start) + r"\s*=\s*((?:\s*\|?\s*\"[^\"]+\")+)", text):
        found.update(re.findall(r"\"([^\"]+)\"", block))
    return found


CSL_TYPES = rnc_strings("csl-types.rnc", "item-types")
CSL_NAMES = rnc_strings("csl-variables.rnc", "variables.names")
CSL_DATES = rnc_strings("csl-variables.rnc", "variables.dates")
CSL_VARIABLES = (CSL_NAMES | CSL_DATES
                 | rnc_strings("csl-variables.rnc", "variables.numbers")
                 | rnc_strings("csl-variables.rnc", "variables.titles")
                 | rnc_strings("csl-variables.rnc", "variables.strings"))
NAME_PARTS = {"family", "given", "non-dropping-particle", "dropping-particle", "suffix",
              "literal"}


def check_csl_item(item: dict[str, Any]) -> list[str]:
    """What in ``item`` the CSL-JSON schema (csl-data.json) would refuse: ``id`` and ``type``
    required, the type and every key known to CSL, names as name objects, dates as
    ``date-parts`` of integers, every other value a string or a number."""
    problems = []
    if not isinstance(item.get("id"), str | int) or item.get("id") == "":
        problems.append("id")
    if item.get("type") not in CSL_TYPES:
        problems.append(f"type {item.get('type')!r}")
    for key, value in item.items():
        if key in ("id", "type"):
            continue
        if key not in CSL_VARIABLES:
            problems.append(f"unknown variable {key}")
        elif key in CSL_NAMES:
            if not isinstance(value, list) or not value:
                problems.append(f"{key} is not a list of names")
                continue
            for name in value:
                if not isinstance(name, dict) or not set(name) <= NAME_PARTS or not name:
                    problems.append(f"{key}: {name!r}")
                elif "literal" in name and len(name) > 1:
                    problems.append(f"{key}: literal with parts {name!r}")
                elif "literal" not in name and not name.get("family"):
                    problems.append(f"{key}: no family name {name!r}")
                elif not all(isinstance(v, str) and v.strip() == v and v for v in name.values()):
                    problems.append(f"{key}: empty or padded part {name!r}")
        elif key in CSL_DATES:
            parts = value.get("date-parts") if isinstance(value, dict) else None
            if not (isinstance(parts, list) and len(parts) == 1 and 1 <= len(parts[0]) <= 3
                    and all(isinstance(p, int) for p in parts[0])):
                problems.append(f"{key}: {value!r}")
        elif not isinstance(value, str | int) or value == "":
            problems.append(f"{key}: {value!r}")
    return problems


def test_the_csl_schema_lists_were_read() -> None:
    assert {"article", "paper-conference", "article-journal", "post-weblog", "manuscript",
            "dataset"} <= CSL_TYPES
    assert {"author", "editor"} <= CSL_NAMES and {"issued", "accessed"} <= CSL_DATES
    assert {"title", "container-title", "DOI", "URL", "number", "publisher", "note",
            "version", "license"} <= CSL_VARIABLES
    assert "abstract" in CSL_VARIABLES  # allowed by CSL, left out by us (below)
    assert check_csl_item({"id": "x", "type": "book", "abstract": "y", "foo": 1}) == [
        "unknown variable foo"]
    assert check_csl_item({"id": "x", "type": "paper", "author": [{"given": "A"}]}) == [
        "type 'paper'", "author: no family name {'given': 'A'}"]


# -- works and names -----------------------------------------------------------------------
def test_every_work_reads_the_same_alone_and_in_bulk(store: EmbeddedStore) -> None:
    found = works(store)
    assert sorted(found) == all_work_iris(store)
    for iri, work in found.items():
        assert work == work_for(store, iri), iri


@pytest.mark.parametrize(("name", "parts"), [
    ("Sirui Hong", {"given": "Sirui", "family": "Hong"}),
    ("Joseph E. Gonzalez", {"given": "Joseph E.", "family": "Gonzalez"}),
    ("Reza Yazdani Aminabadi", {"given": "Reza Yazdani", "family": "Aminabadi"}),
    ("  Ludwig  van der Berg ", {"given": "Ludwig", "non-dropping-particle": "van der",
                                 "family": "Berg"}),
    ("Martin Luther King Jr.", {"given": "Martin Luther", "family": "King", "suffix": "Jr."}),
    # kept whole where a split would be a guess
    ("zili wang", {"literal": "zili wang"}),
    ("Jean dupont Martin", {"literal": "Jean dupont Martin"}),
    ("de Vries", {"literal": "de Vries"}),
    ("Madonna", {"literal": "Madonna"}),
    ("Hong, Sirui", {"literal": "Hong, Sirui"}),
    ("Research and Development Team", {"literal": "Research and Development Team"}),
])
def test_name_parts(name: str, parts: dict[str, str]) -> None:
    assert name_parts(name) == parts
    assert citations.ris_name(parts) == {
        "Sirui Hong": "Hong, Sirui", "  Ludwig  van der Berg ": "van der Berg, Ludwig",
        "Martin Luther King Jr.": "King, Martin Luther, Jr."}.get(name, citations.ris_name(parts))


def test_unique_keys() -> None:
    def work(title: str, author: str = "Ann Lee") -> Work:
        return Work(iri="x", title=title, year="2024", authors=[(author, author)])

    keys = unique_keys([work("Fast serving"), work("Fast caching"), work("Fast serving"),
                        work("Other"), work("Fast serving")])
    assert keys == ["lee2024fast", "lee2024fasta", "lee2024fastb", "lee2024other",
                    "lee2024fastc"]
    assert len(set(keys)) == len(keys)


# -- RIS -------------------------------------------------------------------------------------
def test_ris_of_every_work(store: EmbeddedStore) -> None:
    """rispy reads back every work: type, all authors in order, year, DOI, URL, no abstract."""
    iris = all_work_iris(store)
    found = works(store)
    text = ris(csl_items([found[i] for i in iris]))
    entries = rispy.loads(text)
    assert len(entries) == len(iris) == 42
    types = set()
    for iri, entry in zip(iris, entries, strict=True):
        title = one(store, iri, DCTERMS + "title")
        assert entry["title"] == title
        assert entry["type_of_reference"] == expected_ris_type(store, iri), iri
        types.add(entry["type_of_reference"])
        names = printed_authors(store, iri)
        assert len(entry.get("authors", [])) == len(names), iri
        for got, printed in zip(entry.get("authors", []), names, strict=True):
            family = name_parts(printed).get("family")
            if family is None:
                assert got == " ".join(printed.split())
            else:
                assert got.split(",")[0].endswith(family) and got.split(", ")[1] in printed
        year = one(store, iri, FABIO + "hasPublicationYear")
        assert entry.get("year") == year
        doi = one(store, iri, BIBO + "doi")
        assert entry.get("doi") == doi
        assert entry.get("urls"), iri
        assert "abstract" not in entry and "notes_abstract" not in entry
        summary = one(store, iri, SCHEMA + "description")
        if summary:
            assert summary not in text
    assert types == {"CPAPER", "JOUR", "UNPB", "BLOG"}


def test_ris_of_known_works(store: EmbeddedStore) -> None:
    base = store.instances.base + "paper/"
    found = works(store)
    metagpt, tpi, layerkv = (rispy.loads(ris([csl_item(found[base + slug])]))[0]
                             for slug in ("metagpt", "tpi-llm", "layerkv"))
    assert metagpt["type_of_reference"] == "CPAPER"
    assert metagpt["id"] == "hong2024metagpt"
    assert metagpt["authors"][:2] == ["Hong, Sirui", "Zhuge, Mingchen"]
    assert "zili wang" in metagpt["authors"]  # printed so, kept whole
    assert metagpt["authors"][-1] == "Schmidhuber, Jürgen"
    assert metagpt["secondary_title"] == ("International Conference on Learning "
                                          "Representations (ICLR 2024)")
    assert metagpt["year"] == "2024"
    assert tpi["type_of_reference"] == "JOUR"
    assert tpi["doi"] == "10.1109/tsc.2025.3596892"
    assert tpi["secondary_title"] == "IEEE Transactions on Services Computing"
    assert layerkv["type_of_reference"] == "UNPB"
    assert layerkv["publisher"] == "arXiv"
    assert "arXiv:2410.00428" in layerkv["notes"]


# -- CSL-JSON --------------------------------------------------------------------------------
def test_csl_json_of_every_work_is_valid(store: EmbeddedStore) -> None:
    found = works(store)
    items = json.loads(csl_json(csl_items(list(found.values()))))
    assert isinstance(items, list) and len(items) == len(found)
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        assert check_csl_item(item) == [], item
        assert "abstract" not in item
    kinds = {i["type"] for i in items}
    assert kinds == {"paper-conference", "article-journal", "article", "post-weblog",
                     "manuscript"}, kinds


def test_csl_types_follow_the_status(store: EmbeddedStore) -> None:
    base = store.instances.base + "paper/"
    found = works(store)
    item = csl_item(found[base + "metagpt"])
    assert item["type"] == "paper-conference"
    assert item["author"][0] == {"given": "Sirui", "family": "Hong"}
    assert item["issued"] == {"date-parts": [[2024]]}
    assert item["note"] == "arXiv:2308.00352"
    preprint = csl_item(found[base + "layerkv"])
    assert found[base + "layerkv"].status == PREPRINT
    assert (preprint["type"], preprint["publisher"], preprint["number"]) == (
        "article", "arXiv", "arXiv:2410.00428")
    assert preprint["URL"] == "https://arxiv.org/abs/2410.00428"
    blog = next(w for w in found.values() if w.is_blog)
    blog_item = csl_item(blog)
    assert blog_item["type"] == "post-weblog" and blog_item["container-title"]
    assert blog_item["issued"]["date-parts"][0][:1] == [int(blog.year or 0)]
    review = Work(iri="x", title="T", year="2025", status=UNDER_REVIEW, venue_name="ICLR 2025",
                  venue_kind="edition", authors=[("Ann Lee", "Ann Lee")])
    assert csl_item(review)["type"] == "manuscript"
    assert csl_item(review)["note"] == "Under review at ICLR 2025"
    assert citations.ris_entry(csl_item(review))["type_of_reference"] == "UNPB"
    assert check_csl_item(csl_item(review)) == []


# -- formatted references ------------------------------------------------------------------
def test_every_work_in_every_style(store: EmbeddedStore) -> None:
    found = works(store)
    items = csl_items(list(found.values()))
    for style in STYLES.values():
        refs = format_references(items, style)
        assert len(refs) == len(items), style.key
        for ref in refs:
            assert ref == ref.strip() and "\n" not in ref
            assert not re.search(r"\.\s+\.(\s|$)|[?!]\.(\s|$)", ref), (style.key, ref)
        for work in found.values():
            assert any(work.title in ref for ref in refs), (style.key, work.title)
        if style.key != "apa":
            numbers = [int(re.match(r"\[(\d+)\] ", ref).group(1))  # type: ignore[union-attr]
                       for ref in refs]
            assert numbers == list(range(1, len(refs) + 1))


def test_the_shape_of_each_style(store: EmbeddedStore) -> None:
    work = works(store)[store.instances.base + "paper/tpi-llm"]
    item = csl_item(work)
    apa, = format_references([item], STYLES["apa"])
    ieee, = format_references([item], STYLES["ieee"])
    acm, = format_references([item], STYLES["acm"])
    # APA: "Family, I., … & Family, I. (Year). Title. Journal. https://doi.org/…"
    assert apa.startswith("Li, Z., Feng, W., Guizani, M., & Yu, H. (2025). TPI-LLM: ")
    assert apa.endswith("IEEE Transactions on Services Computing. "
                        "https://doi.org/10.1109/tsc.2025.3596892")
    # IEEE: "[1] I. Family, …, and I. Family, “Title”, Journal, Year, doi: …"
    assert ieee.startswith("[1] Z. Li, W. Feng, M. Guizani, and H. Yu, “TPI-LLM: ")
    assert "”, IEEE Transactions on Services Computing, 2025, doi: 10.1109/tsc.2025.3596892" \
        in ieee
    # ACM: "[1] Given Family, … and Given Family. Year. Title. Journal (Year). https://doi…"
    assert acm.startswith("[1] Zonghang Li, Wenjiao Feng, Mohsen Guizani, and Hongfang Yu. "
                          "2025. TPI-LLM: ")
    # a conference paper and a preprint
    found = works(store)
    metagpt = csl_item(found[store.instances.base + "paper/metagpt"])
    layerkv = csl_item(found[store.instances.base + "paper/layerkv"])
    apa_conf, apa_pre = format_references([metagpt, layerkv], STYLES["apa"])
    assert apa_conf.startswith("Hong, S., Zhuge, M., ") and " (2024). MetaGPT: " in apa_conf
    assert "zili wang" in apa_conf
    assert "(arXiv:2410.00428). arXiv. https://arxiv.org/abs/2410.00428" in apa_pre
    ieee_conf, = format_references([metagpt], STYLES["ieee"])
    assert ieee_conf.startswith("[1] S. Hong et al., “MetaGPT: ")
    assert "in International Conference on Learning Representations (ICLR 2024), 2024" \
        in ieee_conf


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_references_escape_the_data() -> None:
    hostile = Work(iri="x", title='<script>alert("x")</script> & <b>KV</b> caches', year="2024",
                   status=PUBLISHED, venue_name="Conf <i>2024</i>", venue_kind="edition",
                   series_name="A & B", series_kind="conference",
                   authors=[("Ann <img src=x onerror=alert(1)> Lee", "Ann Lee"),
                            ("Bo Chen", "Bo Chen")], url="https://example.org/?a=1&b=<2>")
    item = csl_item(hostile)
    for style in STYLES.values():
        plain, = format_references([item], style)
        rich, = format_references([item], style, as_html=True)
        parser = Tags()
        parser.feed(rich)
        assert set(parser.tags) <= {"i", "b", "span", "sup", "sub"}, (style.key, rich)
        assert "<script" not in rich and "<img" not in rich and "&lt;script&gt;" in rich
        # the HTML says what the plain text says
        assert html.unescape("".join(parser.text)) == plain, style.key


def test_words_with_inner_capitals_keep_their_case() -> None:
    work = Work(iri="x", title="vLLM and arXiv", year="2024", arxiv_id="2401.00001",
                authors=[("Ann Lee", "Ann Lee")])
    apa, = format_references([csl_item(work)], STYLES["apa"])
    assert "(arXiv:2401.00001). arXiv." in apa and "ArXiv" not in apa and "VLLM" not in apa
    assert csl_item(work)["title"] == "vLLM and arXiv"  # the record is left as it is


def test_style_names() -> None:
    assert style_named(None).key == "apa"
    assert style_named(" IEEE ").key == "ieee"
    assert style_named("acm").csl == "association-for-computing-machinery"
    with pytest.raises(UnknownStyle):
        style_named("")
    with pytest.raises(UnknownStyle) as exc:
        style_named("chicago")
    assert str(exc.value) == "parameter 'style' must be one of apa, ieee, acm (not 'chicago')"


# -- the dataset -----------------------------------------------------------------------------
def test_dataset_citation() -> None:
    dataset = Dataset(title="Compound AI Knowledge Graph", version="21a2df0450b9750e",
                      built="2026-12-06", url="https://w3id.org/caikg/",
                      license="https://creativecommons.org/licenses/by/4.0/")
    item = dataset.csl_item()
    assert check_csl_item(item) == []
    assert item["type"] == "dataset" and item["issued"] == {"date-parts": [[2026, 12, 6]]}
    apa, = format_references([item], STYLES["apa"])
    assert apa == ("The caikg contributors. (2026). Compound AI Knowledge Graph "
                   "(Version 21a2df0450b9750e) [Dataset]. https://w3id.org/caikg/")
    for style in ("ieee", "acm"):
        ref, = format_references([item], STYLES[style])
        assert "Compound AI Knowledge Graph" in ref and "The caikg contributors" in ref
    entry = rispy.loads(ris([item]))[0]
    assert (entry["type_of_reference"], entry["year"], entry["date"]) == (
        "DATA", "2026", "2026/12/06/")
    bib = dataset.bibtex()
    assert bib.startswith("@misc{caikg2026,\n") and "version      = {21a2df0450b9750e}" in bib
    assert r"howpublished = {\url{https://w3id.org/caikg/}}" in bib


# -- the format registry ---------------------------------------------------------------------
def test_citation_formats_in_the_registry() -> None:
    from caikg.export.dumps import EXPORT_FORMATS
    from caikg.rdf import formats

    assert {(f.key, f.media_type, f.extension) for f in formats.CITATION_FORMATS} == {
        ("bibtex", "application/x-bibtex", "bib"),
        ("ris", "application/x-research-info-systems", "ris"),
        ("csljson", "application/vnd.citationstyles.csl+json", "csl.json")}
    others = (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS, *formats.TABLE_FORMATS,
              *formats.TWIN_FORMATS, *EXPORT_FORMATS.values())
    assert not {f.kind for f in others} & {"citation"}
    assert not set(formats.SOURCE_SUFFIXES) & {".bib", ".ris", ".json"}
    for name in ("ris", "bibtex", "csl-json", "application/x-research-info-systems"):
        assert formats.by_name(name, formats.GRAPH_FORMATS) is None
        assert formats.by_name(name, formats.RESULT_FORMATS) is None
        assert formats.by_name(name, formats.CITATION_FORMATS) is not None
    assert formats.by_extension("csl.json", formats.CITATION_FORMATS) is not None
    ris_format = formats.by_name("ris", formats.CITATION_FORMATS)
    assert ris_format is not None
    assert ris_format.content_type == "application/x-research-info-systems; charset=utf-8"


def test_ris_is_plain_ris() -> None:
    """Every line a ``XX  - value`` tag line or the blank line between references (no
    rispy ``1.`` numbering), each reference from ``TY`` to ``ER``."""
    work = Work(iri="x", title="T", year="2024", authors=[("Ann Lee", "Ann Lee")])
    text = ris([csl_item(work), csl_item(work, "other")])
    lines = text.split("\n")
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", ln) or ln == "" for ln in lines), text
    assert [ln[:2] for ln in lines if ln[:2] in ("TY", "ER")] == ["TY", "ER", "TY", "ER"]
