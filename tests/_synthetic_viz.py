"""A synthetic entity graph for viewer tests and the viewer benchmark (bench/viz_bench.py)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, Namespace

REPO = Path(__file__).resolve().parent.parent
AICHIP = Namespace("https://w3id.org/aichip-kg/ontology#")
KG = Namespace("https://w3id.org/aichip-kg/id/")


def synthetic_graph(nodes: int, seed: int = 3) -> Graph:
    """The ontology plus ``nodes`` companies, chips and markets in a scale-free web of truthy
    relations (Barabási–Albert, two links per new node), labelled in English and Chinese."""
    graph = Graph()
    graph.parse(REPO / "ontology" / "aichip.ttl")
    classes = [AICHIP.Company, AICHIP.GPU, AICHIP.NPU, AICHIP.Market, AICHIP.SoftwareFramework]
    predicates = [AICHIP.competesWith, AICHIP.designedBy, AICHIP.supports, AICHIP.competesIn]
    skeleton = nx.barabasi_albert_graph(nodes, 2, seed=seed)
    for n in skeleton:
        entity = KG[f"n{n}"]
        graph.add((entity, RDF.type, classes[n % len(classes)]))
        graph.add((entity, RDFS.label, Literal(f"Entity {n}", lang="en")))
        graph.add((entity, RDFS.label, Literal(f"实体{n}", lang="zh-Hans")))
    for i, (u, v) in enumerate(skeleton.edges()):
        graph.add((KG[f"n{u}"], predicates[i % len(predicates)], KG[f"n{v}"]))
    return graph
