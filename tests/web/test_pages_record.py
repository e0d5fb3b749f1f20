"""Pages of the curated record: sources and history on paper pages, system pages, the
comparison of claimed results with its CSV/JSON twins, and the coverage page."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from caikg.store.embedded import EmbeddedStore

BASE = "https://w3id.org/caikg/"
VLLM = BASE + "system/vllm"
THROUGHPUT = BASE + "metric/throughput"


class Text(HTMLParser):
    """The visible text of a page and the hrefs of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.extend(v for k, v in attrs if k == "href" and v)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts))


def page(client: FlaskClient, path: str) -> Text:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    parsed = Text()
    parsed.feed(resp.get_data(as_text=True))
    return parsed


def select(store: EmbeddedStore, query: str) -> list[dict[str, str]]:
    return [{v: row[v].value for v in ("s", "o") if row[v] is not None}
            for row in store.query(query)]


# -- paper pages ----------------------------------------------------------------------------


def test_paper_page_numbers_each_source_and_links_facts_to_them(client: FlaskClient) -> None:
    resp = client.get("/paper/preble")
    html = resp.get_data(as_text=True)
    p = Text()
    p.feed(html)
    assert "https://openreview.net/forum?id=meKEKDhdnx" in p.links
    assert "checked 2026-12-05" in p.text
    # the status has references, and each reference number points at a listed source
    status = re.search(r"<dt>Status</dt><dd>published(.*?)</dd>", html, re.S)
    assert status is not None
    cited = re.findall(r'href="#ref-(\d+)"', status.group(1))
    assert cited
    for n in cited:
        assert f'id="ref-{n}"' in html


def test_paper_page_shows_the_lists_status_as_history(client: FlaskClient) -> None:
    text = page(client, "/paper/preble").text
    assert "Publication history" in text
    assert "stated by the reading list: under review" in text
    assert "submitted to ICLR 2025: accepted (poster)" in text
    assert "now: published, ICLR 2025" in text


def test_a_withdrawn_submission_without_a_known_status(client: FlaskClient) -> None:
    text = page(client, "/paper/conveyor").text
    assert "submitted to ICLR 2025: withdrawn" in text
    assert "stated by the reading list: under review, ICLR 2025" in text
    assert "No authors are listed: The OpenReview forum" in text
    assert "now:" not in text  # the record does not know where it stands now


def test_paper_page_summary_systems_code_and_claims(client: FlaskClient) -> None:
    p = page(client, "/paper/dlora")
    assert "summary written by the caikg curators" in p.text
    assert "/system/dlora" in p.links
    assert "https://github.com/LLMServe/dLoRA-artifact" in p.links
    assert "Claimed results" in p.text and "57.9×" in p.text


def test_renamed_work_keeps_its_list_title(client: FlaskClient, store: EmbeddedStore) -> None:
    text = page(client, "/paper/improving-planning-with-large-language-models").text
    assert "A brain-inspired agentic architecture to improve planning with LLMs" in text
    assert "Also known as" in text
    assert "Improving Planning with Large Language Models: A Modular Agentic Architecture" in text


def test_paper_twin_carries_the_statements_of_its_facts(client: FlaskClient) -> None:
    resp = client.get("/paper/preble.ttl")
    store = ox.Store()
    store.load(resp.get_data(), format=ox.RdfFormat.TURTLE)
    assert store.query("""ASK {
        ?s a <https://w3id.org/caikg/ontology#Statement> ;
           <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject>
               <https://w3id.org/caikg/paper/preble> ;
           <http://www.w3.org/ns/prov#wasDerivedFrom>
               <https://openreview.net/forum?id=meKEKDhdnx> }""")


def test_browse_searches_summaries_and_system_names(client: FlaskClient) -> None:
    # "Semantic Variable" is in Parrot's title; "ParrotServe"-free words from its summary are
    # not, so search for the system a work introduced and for a summary phrase instead
    found = page(client, "/browse?q=zeroc").links
    assert "/paper/zero-delay-qkv-compression-for-mitigating-kv" in found
    found = page(client, "/browse?q=brain-inspired").links
    assert "/paper/improving-planning-with-large-language-models" in found


# -- systems ---------------------------------------------------------------------------------


def test_system_page(client: FlaskClient) -> None:
    p = page(client, "/system/slora")
    assert "/paper/slora" in p.links  # introduced in
    assert "https://github.com/S-LoRA/S-LoRA" in p.links
    assert "/system/lightllm" in p.links  # builds on
    assert "/system/vllm" in p.links  # compared with
    assert "Sources" in p.text and "checked 2026-12-05" in p.text


def test_system_page_of_a_baseline_lists_claims_against_it(client: FlaskClient) -> None:
    p = page(client, "/system/vllm")
    assert "Claims against vLLM" in p.text
    assert "/system/dlora" in p.links and "/system/slora" in p.links
    assert any(link.startswith("/compare?baseline=") for link in p.links)


def test_system_twins_and_headers(client: FlaskClient) -> None:
    resp = client.get("/system/vllm")
    assert 'rel="alternate"' in resp.headers["Link"] and "/system/vllm.ttl" in resp.headers["Link"]
    twin = client.get("/system/vllm.ttl")
    g = ox.Store()
    g.load(twin.get_data(), format=ox.RdfFormat.TURTLE)
    assert g.query("ASK { <https://w3id.org/caikg/system/vllm> "
                   "<https://schema.org/codeRepository> <https://github.com/vllm-project/vllm> }")


def test_systems_index_lists_every_system(client: FlaskClient, store: EmbeddedStore) -> None:
    systems = {r["s"] for r in select(store, "SELECT ?s ?o WHERE { ?s a "
                                      "<https://schema.org/SoftwareApplication> }")}
    links = set(page(client, "/systems").links)
    assert len(systems) > 40
    assert {"/" + s[len(BASE):] for s in systems} <= links


def test_systems_twins_parse_and_match(client: FlaskClient) -> None:
    resp = client.get("/systems")
    assert "/systems.csv" in resp.headers["Link"] and "/systems.json" in resp.headers["Link"]
    rows = list(csv.DictReader(io.StringIO(client.get("/systems.csv").get_data(as_text=True))))
    data = json.loads(client.get("/systems.json").data)["rows"]
    assert [r["system"] for r in rows] == [r["system"] for r in data]
    vllm = next(r for r in rows if r["system"] == VLLM)
    assert vllm["repository"] == "https://github.com/vllm-project/vllm" and vllm["paper"] == ""


# -- comparison ------------------------------------------------------------------------------


def test_which_systems_claim_a_throughput_gain_over_vllm(client: FlaskClient,
                                                         store: EmbeddedStore) -> None:
    resp = client.get("/compare.csv", query_string={"baseline": VLLM, "metric": THROUGHPUT})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    expected = {(r["s"], r["o"]) for r in select(store, f"""
        PREFIX caikg: <https://w3id.org/caikg/ontology#>
        SELECT ?s ?o WHERE {{ ?c caikg:baseline <{VLLM}> ; caikg:metric <{THROUGHPUT}> ;
                               caikg:system ?s ; caikg:factor ?o }}""")}
    assert expected, "the shipped record has throughput claims over vLLM"
    assert {(r["system"], r["factor"]) for r in rows} == expected
    assert all(r["baseline"] == VLLM and r["source"].startswith("https://") for r in rows)
    gains = [float(r["factor"]) for r in rows]
    assert gains == sorted(gains, reverse=True)  # sorted by gain, largest first


def test_comparison_json_twin_matches_the_page(client: FlaskClient) -> None:
    html = page(client, "/compare?baseline=" + VLLM)
    data = json.loads(client.get("/compare.json", query_string={"baseline": VLLM}).data)
    assert data["filters"] == {"baseline": VLLM}
    assert data["rows"]
    for row in data["rows"]:
        assert "/" + row["system"][len(BASE):] in html.links
        assert row["baseline"] == VLLM


def test_comparison_sorts_by_every_column(client: FlaskClient) -> None:
    for sort, key in (("system", "systemName"), ("baseline", "baselineName"),
                      ("metric", "metricLabel")):
        for order in ("asc", "desc"):
            data = json.loads(client.get("/compare.json", query_string={
                "sort": sort, "order": order}).data)
            values = [(r[key] or "").lower() for r in data["rows"]]
            assert values == sorted(values, reverse=order == "desc"), (sort, order)


def test_comparison_headers_advertise_twins(client: FlaskClient) -> None:
    resp = client.get("/compare?metric=" + THROUGHPUT)
    link = resp.headers["Link"]
    assert "/compare.csv?metric=" in link and "/compare.json?metric=" in link
    assert 'type="text/csv"' in link and 'type="application/json"' in link


@pytest.mark.parametrize("args", [{"baseline": "vllm"}, {"metric": "javascript:alert(1)"},
                                  {"sort": "colour"}])
def test_comparison_refuses_bad_filters_by_name(client: FlaskClient,
                                                args: dict[str, str]) -> None:
    resp = client.get("/compare.json", query_string=args)
    assert resp.status_code == 400
    assert next(iter(args)) in resp.get_data(as_text=True)


def test_comparison_by_technique(client: FlaskClient) -> None:
    lora = BASE + "technique/lora-adapter-serving"
    data = json.loads(client.get("/compare.json", query_string={"technique": lora}).data)
    papers = {r["paper"] for r in data["rows"]}
    assert papers and papers <= {BASE + "paper/dlora", BASE + "paper/slora",
                                 BASE + "paper/punica", BASE + "paper/compress-then-serve"}


def test_api_answers_the_comparison_question(client: FlaskClient) -> None:
    resp = client.get("/api/claim_comparison", query_string={"baseline": VLLM,
                                                             "metric": THROUGHPUT})
    assert resp.status_code == 200
    body = resp.get_json()
    rows = body["results"]["bindings"] if "results" in body else body["rows"]
    assert rows


# -- coverage --------------------------------------------------------------------------------


def test_coverage_counts_agree_with_the_store(client: FlaskClient,
                                              store: EmbeddedStore) -> None:
    data = json.loads(client.get("/coverage.json").data)
    assert data["works"] == 42
    with_doi = select(store, "SELECT DISTINCT ?s WHERE { ?s <http://purl.org/ontology/bibo/doi> "
                             "?o ; a <https://schema.org/ScholarlyArticle> }")
    assert data["counts"]["doi"] == len(with_doi)
    rows = {r["work"]: r for r in data["rows"]}
    assert rows[BASE + "paper/dlora"]["code"] == "true"
    assert rows[BASE + "paper/networks-of-networks"]["system"] == "false"


def test_coverage_page_lists_gaps(client: FlaskClient) -> None:
    p = page(client, "/coverage")
    assert "Gaps" in p.text and "No DOI" in p.text
    assert "/paper/networks-of-networks" in p.links
    assert client.get("/coverage?months=0").status_code == 400
