"""The analytics graph: entities as networkx nodes, relationships and figures as edges.

The base (entity nodes, predicate-labelled edges, no schema, ``rdf:type``, literals or
statement nodes) is :func:`kg.export.entity_graph.entity_graph`, the projection the graph
exports and the viewer use too. On top of it this module adds

* ``classes`` on every node: its types and all their superclasses, so analyses can ask
  "is this hardware?" without going back to RDF;
* one edge per vendor observation (``vendor —share 85 %→ market``), collapsed from the
  ``aichip:Observation`` node, with value, unit, period, source, quote and rank as attributes.

Everything downstream works on plain networkx graphs, so networkx's backend dispatch
(nx-parallel, graphblas) can take over on large graphs without code changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import PROV, SKOS

from kg.explore.search import pick_label
from kg.export.entity_graph import curie, entity_graph
from kg.ns import AICHIP
from kg.sparql.terms import bcp47_case

__all__ = [
    "OBSERVATION",
    "RANK_ORDER",
    "curie",
    "has_class",
    "is_hardware",
    "is_software",
    "node_label",
    "project",
    "simple_view",
]

#: ``kind`` attribute of the edges collapsed from observation nodes.
OBSERVATION = "observation"

#: Lower is better; unranked claims count as Normal, as in the loader.
RANK_ORDER = {"aichip:Preferred": 0, "aichip:Normal": 1, "aichip:Deprecated": 2}

# Edge labels for collapsed observations, by observation class.
_OBSERVATION_LABELS = {
    AICHIP.MarketShareObservation: "share",
    AICHIP.ShipmentObservation: "shipments",
    AICHIP.MarketSizeObservation: "sales",
    AICHIP.UsageShareObservation: "usage share",
}


def _superclasses(graph: Graph) -> dict[URIRef, set[URIRef]]:
    closure: dict[URIRef, set[URIRef]] = {}
    for cls in set(graph.subjects(RDFS.subClassOf, None)) | set(graph.objects(None, RDF.type)):
        if isinstance(cls, URIRef):
            closure[cls] = set(graph.transitive_objects(cls, RDFS.subClassOf))
    return closure


def _decimal(value) -> Decimal | None:
    if not isinstance(value, Literal):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _add_observation_edges(graph: Graph, G: nx.MultiDiGraph) -> None:
    for cls, label in sorted(_OBSERVATION_LABELS.items()):
        for obs in sorted(graph.subjects(RDF.type, cls)):
            vendor = graph.value(obs, AICHIP.vendor)
            market = graph.value(obs, AICHIP.market)
            value = _decimal(graph.value(obs, AICHIP.value))
            if vendor is None or market is None or value is None:
                continue  # market totals and vendor groups are not vendor–market edges
            source, target = curie(vendor), curie(market)
            if source not in G or target not in G:
                continue
            year = graph.value(obs, AICHIP.year)
            period = graph.value(obs, AICHIP.period)
            unit = graph.value(obs, AICHIP.unit)
            origin = graph.value(obs, PROV.wasDerivedFrom)
            cited = graph.value(obs, AICHIP.citedSource)
            rank = graph.value(obs, AICHIP.rank) or AICHIP.Normal
            quote = graph.value(obs, AICHIP.quote)
            approximate = graph.value(obs, AICHIP.approximate)
            G.add_edge(
                source,
                target,
                key=curie(obs),
                kind=OBSERVATION,
                predicate=curie(cls),
                label=label,
                observation=curie(obs),
                value=value,
                unit=curie(unit) if unit is not None else None,
                year=str(year) if year is not None else None,
                period=str(year if year is not None else period or ""),
                source=curie(origin) if origin is not None else None,
                source_label=_label(graph, origin) if origin is not None else None,
                cited_source=curie(cited) if cited is not None else None,
                rank=curie(rank),
                quote=str(quote) if quote is not None else None,
                approximate=bool(approximate.toPython()) if approximate is not None else False,
            )


def _label(graph: Graph, node: URIRef) -> str:
    # Per edge, on the rdflib graph already in hand: a store query each would cost more.
    return pick_label(
        [*graph.objects(node, RDFS.label), *graph.objects(node, SKOS.prefLabel)], node
    )


def project(source: Any, *, include_sources: bool = False) -> nx.MultiDiGraph:
    """The analytics graph of the project graph (ontology + facts + truthy triples): an rdflib
    graph, or a store from :func:`kg.store.open_graph`.

    Sources are left out unless ``include_sources``: they are bibliography, and the document
    behind each figure is kept on its edge instead. Nodes carry ``classes`` (types and their
    superclasses, as CURIEs); observation edges carry ``kind="observation"``.

    >>> import kg
    >>> G = project(kg.open().store)
    >>> G.nodes["kg:huawei"]["label"], G.nodes["kg:huawei"]["class"]
    ('Huawei', 'aichip:Company')
    """
    graph = source if isinstance(source, Graph) else source.as_rdflib()
    G = entity_graph(source, include_sources=include_sources)
    closure = _superclasses(graph)
    for node, data in G.nodes(data=True):
        iri = URIRef(data.get("iri") or node)
        classes: set[str] = set()
        for cls in graph.objects(iri, RDF.type):
            if isinstance(cls, URIRef):
                classes.update(curie(c) for c in closure.get(cls, {cls}))
        data["classes"] = tuple(sorted(classes))
    _add_observation_edges(graph, G)
    G.graph["relation_labels"] = _relation_labels(graph, G)
    return G


def _relation_labels(graph: Graph, G: nx.MultiDiGraph) -> dict[str, dict[str, str]]:
    """``{predicate CURIE: {language: label}}`` for the Chinese labels the ontology gives the
    relations (and figure classes) on ``G``'s edges; edges carry only the English one."""
    from kg.sparql.terms import PREFIXES

    out: dict[str, dict[str, str]] = {}
    for key in sorted({data.get("predicate") or "" for _, _, data in G.edges(data=True)}):
        prefix, _, local = key.partition(":")
        if prefix not in PREFIXES:
            continue
        iri = URIRef(PREFIXES[prefix] + local)
        labels: dict[str, str] = {}
        for language in ("zh-Hans", "zh-Hant"):
            for predicate in (SKOS.prefLabel, RDFS.label):  # the preferred label first
                found = sorted(
                    str(o) for o in graph.objects(iri, predicate) if _language(o) == language
                )
                if found:
                    labels[language] = found[0]
                    break
        if labels:
            out[key] = labels
    return out


def _language(term: Any) -> str | None:
    language = getattr(term, "language", None)
    return bcp47_case(language) if language else None


def relation_label(G: nx.Graph, predicate: str, english: str, lang: str = "en") -> str:
    """A relation's label in ``lang`` (``en``, ``zh-Hans``, ``zh-Hant``), else ``english``."""
    if lang == "en":
        return english
    return G.graph.get("relation_labels", {}).get(predicate, {}).get(lang) or english


def has_class(G: nx.Graph, node: str, cls: str) -> bool:
    """Whether ``node`` is an instance of ``cls`` (a CURIE), counting subclasses.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> has_class(G, "kg:huawei", "aichip:Organization")
    True
    """
    return cls in G.nodes[node].get("classes", ())


def is_hardware(G: nx.Graph, node: str) -> bool:
    """Chips, chip families and any other product that is not software.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> is_hardware(G, "kg:ascend"), is_hardware(G, "kg:cuda")
    (True, False)
    """
    return has_class(G, node, "aichip:Product") and not is_software(G, node)


def is_software(G: nx.Graph, node: str) -> bool:
    return has_class(G, node, "aichip:Software")


def node_label(G: nx.Graph, node: str, lang: str = "en") -> str:
    """The node's label in ``lang`` (``en``, ``zh-Hans``, ``zh-Hant``), falling back to English.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> node_label(G, "kg:huawei", "zh-Hant")
    '華為'
    """
    data = G.nodes[node]
    key = {"zh-Hans": "label_zh_hans", "zh-Hant": "label_zh_hant"}.get(lang, "label")
    return data.get(key) or data.get("label") or node


def _usable(data: dict, include_deprecated: bool) -> bool:
    return include_deprecated or data.get("rank") != "aichip:Deprecated"


def simple_view(
    G: nx.MultiDiGraph,
    *,
    nodes: Iterable[str] | None = None,
    include_deprecated: bool = False,
) -> nx.Graph:
    """Undirected, one edge per related pair: the view for centrality, communities and paths.
    Each edge carries ``relations`` (how many) and ``sources`` (the documents behind them).

    Direction in RDF is a naming convention (``designedBy`` could as well be ``designs``), so
    the structural analyses ignore it. Nodes and edges are inserted in sorted order so that
    traversal order, and with it every tie, is the same on every run.
    """
    keep = sorted(G.nodes if nodes is None else nodes)
    view = nx.Graph()
    for node in keep:
        view.add_node(node, **G.nodes[node])
    pairs: dict[tuple[str, str], int] = {}
    sources: dict[tuple[str, str], set[str]] = {}
    for u, v, data in G.edges(data=True):
        if u == v or u not in view or v not in view or not _usable(data, include_deprecated):
            continue
        pair = (u, v) if u < v else (v, u)
        pairs[pair] = pairs.get(pair, 0) + 1
        sources.setdefault(pair, set()).update((data.get("sources") or "").split())
        if data.get("source"):
            sources[pair].add(data["source"])
    for (u, v), count in sorted(pairs.items()):
        view.add_edge(u, v, relations=count, sources=tuple(sorted(sources[(u, v)])))
    return view
