"""The downloads page: the dataset dumps with their media types, the VoID description of the
dataset (``{base}dataset`` in the void graph), the data version, the SPARQL endpoint and how to
cite the dataset (:func:`~caikg.web.pages.citations.dataset_citation`)."""

from __future__ import annotations

import pyoxigraph as ox

from caikg.export.dumps import EXPORT_FORMATS
from caikg.store.base import KnowledgeStore
from caikg.web.pages.base import Page, plain
from caikg.web.pages.citations import dataset_citation

VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
OWL = "http://www.w3.org/2002/07/owl#"


NUMBERS = [("triples", "Triples"), ("entities", "Entities"), ("classes", "Classes"),
           ("properties", "Properties"), ("distinctSubjects", "Distinct subjects"),
           ("distinctObjects", "Distinct objects")]


def downloads_page(store: KnowledgeStore) -> Page:
    dataset = str(store.instances.dataset)
    rows = plain(store.select("dataset_void", default_graphs=[str(store.instances.void_graph)],
                              dataset=ox.NamedNode(dataset)))
    void: dict[str, list[str]] = {}
    for r in rows:
        if r["property"] and r["value"] is not None:
            void.setdefault(r["property"], []).append(r["value"])

    def first(prop: str) -> str | None:
        values = void.get(prop)
        return values[0] if values else None

    formats = [{"ext": f.extension, "name": f.label, "media_type": f.media_type,
                "graphs": f.dataset} for f in EXPORT_FORMATS.values()]
    numbers = [(label, first(VOID + prop)) for prop, label in NUMBERS if first(VOID + prop)]
    return Page("downloads.html", title="Downloads", context={
        "formats": formats,
        "dataset": dataset,
        "dataset_title": first(DCTERMS + "title"),
        "dataset_description": first(DCTERMS + "description"),
        "license": first(DCTERMS + "license"),
        "void_version": first(OWL + "versionInfo"),
        "numbers": numbers,
        "vocabularies": sorted(void.get(VOID + "vocabulary", [])),
        "dumps": sorted(void.get(VOID + "dataDump", [])),
        "endpoint": first(VOID + "sparqlEndpoint"),
        "version": store.info.version if store.info else None,
        "built_at": store.info.built_at if store.info else None,
        "triples": len(store),
        "citation": dataset_citation(store),
    })
