"""The SPARQL 1.1 Service Description of the endpoint."""

from __future__ import annotations

import pyoxigraph as ox

from caikg.rdf.formats import GRAPH_FORMATS, RESULT_FORMATS, W3C_FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"



def describe_service(endpoint: str, named_graphs: list[str], void_dataset: str | None = None
                     ) -> list[ox.Triple]:
    n = ox.NamedNode
    service = n(endpoint)
    dataset = ox.NamedNode(endpoint + "#dataset")
    default = ox.NamedNode(endpoint + "#default-graph")
    out = [
        ox.Triple(service, n(RDF_TYPE), n(SD + "Service")),
        ox.Triple(service, n(SD + "endpoint"), service),
        ox.Triple(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        ox.Triple(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
        ox.Triple(service, n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, n(RDF_TYPE), n(SD + "Dataset")),
        ox.Triple(dataset, n(SD + "defaultGraph"), default),
        ox.Triple(default, n(RDF_TYPE), n(SD + "Graph")),
    ]
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        out.append(ox.Triple(service, n(SD + "resultFormat"), n(W3C_FORMATS + str(fmt.w3c))))
    if void_dataset:
        out.append(ox.Triple(default, n("http://rdfs.org/ns/void#inDataset"), n(void_dataset)))
    for index, graph in enumerate(named_graphs, start=1):
        node = ox.NamedNode(f"{endpoint}#graph-{index}")
        out += [
            ox.Triple(dataset, n(SD + "namedGraph"), node),
            ox.Triple(node, n(RDF_TYPE), n(SD + "NamedGraph")),
            ox.Triple(node, n(SD + "name"), n(graph)),
        ]
    return out
