"""The entity projection of the RDF graph: entities as nodes, relationships as labelled edges.

Graph tools (Gephi, Cytoscape, networkx, spreadsheets) want "things and how they relate", not
RDF's schema triples, ``rdf:type`` arcs, literals and reified statements. This module is the one
place that decides what that projection is; the graph exports, the viewer and the analytics
build on :func:`entity_graph`.

* Nodes are the typed IRIs that are neither vocabulary (classes, properties, the ontology's
  own individuals such as ranks and units) nor claims (statements, observations, the
  ``org:Membership`` view of statements). They are keyed by CURIE.
* Edges are the triples between two such nodes, except ``rdf:type``. For relationships
  authored as statements these are the loader's truthy triples; the statements behind each
  edge are collapsed into its ``statements`` and ``sources`` attributes.

Everything is inserted in sorted order, so iteration order (and every export built on it) is
the same on every run and every ``PYTHONHASHSEED``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, SKOS

from kg.facts.load import PREFIXES
from kg.ns import AICHIP

__all__ = [
    "EDGE_ATTRIBUTES",
    "NODE_ATTRIBUTES",
    "curie",
    "entity_graph",
    "expand_curie",
]

#: Attributes every node carries, all strings ("" when the graph has no value).
NODE_ATTRIBUTES = ("iri", "label", "label_zh_hans", "label_zh_hant", "class")
#: Attributes every edge carries, all strings; ``statements``/``sources`` are space-separated.
EDGE_ATTRIBUTES = ("predicate", "label", "statements", "sources")

_ORG_MEMBERSHIP = URIRef("http://www.w3.org/ns/org#Membership")
_VOCABULARY_TYPES = frozenset(
    {
        OWL.Class,
        RDFS.Class,
        RDF.Property,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.SymmetricProperty,
        OWL.TransitiveProperty,
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.Ontology,
        OWL.Restriction,
        RDFS.Datatype,
    }
)
_PREFIX_ORDER = sorted(PREFIXES.items(), key=lambda item: (-len(item[1]), item[0]))
_ONTOLOGY_NS = PREFIXES["aichip"]


def curie(term: URIRef | str) -> str:
    """``kg:huawei`` for a term in one of the project's namespaces, else the full IRI."""
    text = str(term)
    for prefix, namespace in _PREFIX_ORDER:
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return text


def expand_curie(name: str) -> URIRef:
    """The IRI of a CURIE made by :func:`curie` (a full IRI is returned unchanged)."""
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return URIRef(PREFIXES[prefix] + local)
    return URIRef(name)


def _closure(graph: Graph, root: URIRef, predicate: URIRef) -> set[URIRef]:
    """``root`` and everything reaching it through ``predicate`` (e.g. all subclasses)."""
    return {t for t in graph.transitive_subjects(predicate, root) if isinstance(t, URIRef)}


def _is_entity(types: set, claim_types: set, property_types: set) -> bool:
    return bool(types) and not (types & claim_types or types & property_types)


def _pick(literals: Iterable[Literal], languages: tuple[str | None, ...]) -> str:
    """The smallest label in the first of ``languages`` that has one ("" if none)."""
    by_language: dict[str | None, list[str]] = defaultdict(list)
    for literal in literals:
        if isinstance(literal, Literal):
            language = literal.language.lower() if literal.language else None
            by_language[language].append(str(literal))
    for language in languages:
        found = by_language.get(language.lower() if language else None)
        if found:
            return min(found)
    return ""


def _label(graph: Graph, term: URIRef, languages: tuple[str | None, ...]) -> str:
    """skos:prefLabel, else rdfs:label, in the first of ``languages`` that has one."""
    return _pick(graph.objects(term, SKOS.prefLabel), languages) or _pick(
        graph.objects(term, RDFS.label), languages
    )


def _most_specific(graph: Graph, types: set[URIRef], superclasses: dict) -> str:
    """The CURIE of the most specific type, preferring the project ontology's classes."""
    candidates = sorted(t for t in types if str(t).startswith(_ONTOLOGY_NS)) or sorted(types)
    if not candidates:
        return ""
    for cls in candidates:
        superclasses.setdefault(cls, set(graph.transitive_objects(cls, RDFS.subClassOf)) - {cls})
    leaves = [c for c in candidates if not any(c in superclasses[o] for o in candidates)]
    return curie(min(leaves or candidates, key=curie))


#: Every triple :func:`entity_graph` reads: all but literal-valued ones other than labels.
_PROJECTION_INPUT = (
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o "
    "FILTER(!isLiteral(?o) || ?p IN (rdfs:label, skos:prefLabel)) }"
)


def _read_at_once(source: Any) -> Graph:
    """An rdflib graph as it is; a store (:func:`kg.store.open_graph`) as an in-memory copy of
    what the projection reads: one query instead of a store call per look-up (twice as fast
    at a million triples on pyoxigraph, and the same projection)."""
    if isinstance(source, Graph):
        return source
    memory = getattr(source, "graph", None)
    if isinstance(memory, Graph):  # rdflib's own store: nothing to copy
        return memory
    copy = Graph()
    copy.addN((s, p, o, copy) for s, p, o in source.query(_PROJECTION_INPUT).rows)
    return copy


def entity_graph(
    graph: Any, *, include_sources: bool = True, include_isolated: bool = True
) -> nx.MultiDiGraph:
    """Project the graph (ontology + facts + truthy triples: an rdflib graph, or a store from
    :func:`kg.store.open_graph`) onto its entities.

    Nodes are keyed by CURIE (``kg:huawei``) with string attributes ``iri``, ``label``
    (English; else Chinese; else the CURIE), ``label_zh_hans``, ``label_zh_hant`` ("" when
    missing) and ``class`` (the most specific ``aichip:`` class, e.g. ``aichip:NPU``).

    Edges are keyed by predicate CURIE, with ``predicate`` (the CURIE), ``label`` (the
    predicate's English label), ``statements`` and ``sources`` (space-separated CURIEs of the
    best-ranked statements asserting the edge and the documents they cite; "" for triples not
    authored as statements, such as a market's region or a source's publisher).

    ``include_sources=False`` leaves out ``aichip:Source`` nodes (the bibliography);
    ``include_isolated=False`` leaves out nodes without edges.
    """
    graph = _read_at_once(graph)
    property_types = _closure(graph, RDF.Property, RDFS.subClassOf) | _VOCABULARY_TYPES
    claim_types = _closure(graph, AICHIP.Claim, RDFS.subClassOf) | {_ORG_MEMBERSHIP, RDF.Statement}
    source_types = _closure(graph, AICHIP.Source, RDFS.subClassOf)

    types_of: dict[URIRef, set[URIRef]] = defaultdict(set)
    for subject, cls in graph.subject_objects(RDF.type):
        if isinstance(subject, URIRef) and isinstance(cls, URIRef):
            types_of[subject].add(cls)
    entities = {
        subject
        for subject, types in types_of.items()
        if not str(subject).startswith(_ONTOLOGY_NS)
        and _is_entity(types, claim_types, property_types)
        and (include_sources or not types & source_types)
    }

    backing = _statements_by_triple(graph, entities)
    edges = sorted(
        (curie(s), curie(p), curie(o), s, p, o)
        for s, p, o in graph
        if p != RDF.type and s in entities and o in entities
    )

    G = nx.MultiDiGraph()
    connected = {e[0] for e in edges} | {e[2] for e in edges}
    superclasses: dict = {}
    for key, entity in sorted((curie(e), e) for e in entities):
        if not include_isolated and key not in connected:
            continue
        G.add_node(
            key,
            iri=str(entity),
            label=_label(graph, entity, ("en", None, "zh-Hans", "zh-Hant")) or key,
            label_zh_hans=_label(graph, entity, ("zh-Hans",)),
            label_zh_hant=_label(graph, entity, ("zh-Hant",)),
            **{"class": _most_specific(graph, types_of[entity], superclasses)},
        )
    predicate_labels: dict[URIRef, str] = {}
    for source_key, predicate_key, target_key, s, p, o in edges:
        if p not in predicate_labels:
            predicate_labels[p] = _label(graph, p, ("en", None)) or predicate_key
        statements = backing.get((s, p, o), [])
        G.add_edge(
            source_key,
            target_key,
            key=predicate_key,
            predicate=predicate_key,
            label=predicate_labels[p],
            statements=" ".join(sorted(curie(stmt) for stmt, _ in statements)),
            sources=" ".join(sorted({curie(src) for _, srcs in statements for src in srcs})),
        )
    return G


_RANK_ORDER = {AICHIP.Preferred: 0, AICHIP.Normal: 1, AICHIP.Deprecated: 2}


def _statements_by_triple(graph: Graph, entities: set) -> dict[tuple, list[tuple]]:
    """For each truthy triple, its best-ranked statements and the sources each cites."""
    candidates: dict[tuple, list[tuple]] = defaultdict(list)
    for statement in graph.subjects(RDF.type, AICHIP.Statement):
        s = graph.value(statement, RDF.subject)
        p = graph.value(statement, RDF.predicate)
        o = graph.value(statement, RDF.object)
        if s not in entities or o not in entities or p is None:
            continue
        rank = _RANK_ORDER.get(graph.value(statement, AICHIP.rank), 1)
        sources = set(graph.objects(statement, PROV.wasDerivedFrom))
        candidates[(s, p, o)].append((rank, statement, sources))
    best: dict[tuple, list[tuple]] = {}
    for triple, found in candidates.items():
        top = min(rank for rank, _, _ in found)
        best[triple] = [(stmt, srcs) for rank, stmt, srcs in found if rank == top]
    return best
