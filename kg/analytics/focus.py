"""What the structural analyses look at: the level of detail, the sources, the relations.

The analytics graph (:func:`~kg.analytics.projection.project`) has one node per SKU, so a vendor
with a hundred catalogued chips looks a hundred times more connected than one with a single
family, and a community is "a vendor plus its SKUs". :func:`focus` gives the view an analysis
should read instead:

* **granularity** ``sku`` (as projected), ``family`` (a chip with ``aichip:inFamily`` or
  ``aichip:variantOf`` folds into its family or base product, transitively) or ``company``
  (families and products fold further into their one designer or developer; a project an
  organisation ``aichip:governs`` folds into that organisation, not into its developer);
* **exclude_sources**: relations whose every source is excluded go (an Epoch-only catalogue
  row), and so do entities that only those relations tied to the graph;
* **edges**: only relations with these predicates (CURIEs) are kept.

Folded edges keep the union of their sources, so every figure downstream can still name the
documents behind it. The result records ``merged_into`` (member → node) in ``G.graph``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
from rdflib import RDF, RDFS, Graph

from kg.analytics.projection import OBSERVATION, has_class
from kg.errors import InputError
from kg.export.entity_graph import curie
from kg.ns import AICHIP

__all__ = [
    "GRANULARITIES",
    "Focus",
    "edge_sources",
    "focus",
    "parse_edges",
    "resolve_source",
]

GRANULARITIES = ("sku", "family", "company")
_PARENT_PREDICATES = ("aichip:inFamily", "aichip:variantOf")  # family first
_MAKER_PREDICATES = ("aichip:designedBy", "aichip:developedBy")
_GOVERNS = "aichip:governs"


@dataclass(frozen=True)
class Focus:
    """The view of the analytics graph an analysis reads (see the module doc)."""

    granularity: str = "family"
    exclude_sources: tuple[str, ...] = ()  # source CURIEs
    edges: tuple[str, ...] = ()  # predicate CURIEs kept; empty keeps all

    def describe(self) -> str:
        """One line for the output: what the figures were computed on.

        >>> Focus("company", ("kg:src-epoch-ml-hardware",)).describe()
        'products folded into their designer; without kg:src-epoch-ml-hardware'
        """
        parts = [
            {
                "sku": "every SKU its own node",
                "family": "SKUs folded into their family",
                "company": "products folded into their designer",
            }[self.granularity]
        ]
        if self.exclude_sources:
            parts.append("without " + ", ".join(self.exclude_sources))
        if self.edges:
            parts.append("only " + ", ".join(self.edges))
        return "; ".join(parts)


def edge_sources(data: dict) -> tuple[str, ...]:
    """The documents behind one edge of the analytics graph (sorted CURIEs).

    >>> edge_sources({"sources": "kg:src-b kg:src-a"}), edge_sources({"source": "kg:src-c"})
    (('kg:src-a', 'kg:src-b'), ('kg:src-c',))
    """
    found = set((data.get("sources") or "").split())
    if data.get("source"):
        found.add(data["source"])
    return tuple(sorted(found))


def resolve_source(graph: Graph, text: str) -> str:
    """The source CURIE ``text`` names: a CURIE, a slug (``src-epoch-ml-hardware``) or a short
    name that begins exactly one source's slug (``epoch``).

    >>> import kg
    >>> resolve_source(kg.open().rdflib(), "epoch")
    'kg:src-epoch-ml-hardware'
    """
    sources = sorted(
        {
            curie(s)
            for cls in graph.transitive_subjects(RDFS.subClassOf, AICHIP.Source)
            for s in graph.subjects(RDF.type, cls)
        }
    )
    wanted = text.strip().lower()
    for candidate in (wanted, f"kg:{wanted}", f"kg:src-{wanted}"):
        if candidate in sources:
            return candidate
    slugs = {s: s.removeprefix("kg:").removeprefix("src-") for s in sources}
    found = [s for s, slug in slugs.items() if slug == wanted or slug.startswith(wanted + "-")]
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(found[:8]) + (", …" if len(found) > 8 else "")
        raise InputError(f"source {text!r} is ambiguous: {listed}; give the CURIE")
    raise InputError(
        f"no source named {text!r}: give a source CURIE (kg:src-…) or the start of its slug"
    )


def parse_edges(G: nx.MultiDiGraph, names: Iterable[str]) -> tuple[str, ...]:
    """Predicate CURIEs for ``names``: CURIEs, local names (``designedBy``) or edge labels
    (``share``) of the relations in ``G``.

    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("kg:a", "kg:b", key="aichip:designedBy", predicate="aichip:designedBy")
    'aichip:designedBy'
    >>> parse_edges(G, ["designedBy"])
    ('aichip:designedBy',)
    """
    known: dict[str, set[str]] = {}
    for _u, _v, data in G.edges(data=True):
        predicate = data.get("predicate")
        if not predicate:
            continue
        for name in (predicate, predicate.partition(":")[2], data.get("label") or ""):
            if name:
                known.setdefault(name.lower(), set()).add(predicate)
    out: set[str] = set()
    for name in names:
        name = name.strip()
        if not name:
            continue
        found = known.get(name.lower())
        if not found:
            available = sorted({p.partition(":")[2] for ps in known.values() for p in ps})
            raise InputError(
                f"--edges: no relation {name!r} in the graph; known: {', '.join(available)}"
            )
        out |= found
    return tuple(sorted(out))


def _without_sources(G: nx.MultiDiGraph, excluded: set[str]) -> nx.MultiDiGraph:
    H = nx.MultiDiGraph(**G.graph)
    linked = {n for edge in G.edges() for n in edge}
    for node, data in G.nodes(data=True):
        H.add_node(node, **data)
    for u, v, key, data in G.edges(keys=True, data=True):
        sources = set(edge_sources(data))
        if sources and sources <= excluded:
            continue
        kept = dict(data)
        if data.get("sources"):
            kept["sources"] = " ".join(sorted(sources - excluded))
        H.add_edge(u, v, key=key, **kept)
    # Entities that only the excluded sources tied to the graph go with them.
    H.remove_nodes_from([n for n in sorted(linked) if H.degree(n) == 0])
    return H


def _only_edges(G: nx.MultiDiGraph, predicates: set[str]) -> nx.MultiDiGraph:
    H = nx.MultiDiGraph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from(
        (u, v, k, d)
        for u, v, k, d in G.edges(keys=True, data=True)
        if d.get("predicate") in predicates
    )
    return H


def _targets(G: nx.MultiDiGraph, node: str, predicate: str) -> list[str]:
    return sorted(
        v
        for _u, v, data in G.out_edges(node, data=True)
        if data.get("predicate") == predicate and data.get("kind") != OBSERVATION
    )


def _sources_of(G: nx.MultiDiGraph, node: str, predicate: str) -> list[str]:
    return sorted(
        u
        for u, _v, data in G.in_edges(node, data=True)
        if data.get("predicate") == predicate and data.get("kind") != OBSERVATION
    )


def _parent(G: nx.MultiDiGraph, node: str) -> str | None:
    for predicate in _PARENT_PREDICATES:
        found = [t for t in _targets(G, node, predicate) if t != node]
        if found:
            return found[0]
    return None


def _chain(G: nx.MultiDiGraph, node: str) -> list[str]:
    """``node`` and its parents up to the root (variant → product → family)."""
    chain = [node]
    while (parent := _parent(G, chain[-1])) is not None and parent not in chain:
        chain.append(parent)
    return chain


def _representatives(G: nx.MultiDiGraph, granularity: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    if granularity == "sku":
        return merged
    for node in sorted(G):
        if not has_class(G, node, "aichip:Product"):
            continue
        chain = _chain(G, node)
        target = chain[-1]
        if granularity == "company":
            governors = sorted({g for step in chain for g in _sources_of(G, step, _GOVERNS)})
            if len(governors) == 1:  # a governed project belongs to no single member
                merged[node] = governors[0]
                continue
            for step in chain:
                makers = sorted({m for p in _MAKER_PREDICATES for m in _targets(G, step, p)})
                if makers:
                    if len(makers) == 1:  # a joint product stays its own node
                        target = makers[0]
                    break
        if target != node:
            merged[node] = target
    return merged


def _fold(G: nx.MultiDiGraph, merged: dict[str, str]) -> nx.MultiDiGraph:
    H = nx.MultiDiGraph(**G.graph)
    members: dict[str, list[str]] = {}
    for node in sorted(G):
        target = merged.get(node, node)
        if target != node:
            members.setdefault(target, []).append(node)
    for node, data in sorted(G.nodes(data=True)):
        if node in merged:
            continue
        H.add_node(node, **data, members=tuple(members.get(node, ())))
    for u, v, key, data in sorted(G.edges(keys=True, data=True), key=lambda e: e[:3]):
        a, b = merged.get(u, u), merged.get(v, v)
        if a == b or a not in H or b not in H:
            continue
        if H.has_edge(a, b, key):
            existing = H.edges[a, b, key]
            for attr in ("sources", "statements"):
                union = set((existing.get(attr) or "").split()) | set(
                    (data.get(attr) or "").split()
                )
                existing[attr] = " ".join(sorted(union))
            existing["folded"] = existing.get("folded", 1) + 1
        else:
            H.add_edge(a, b, key=key, **data)
    return H


def focus(G: nx.MultiDiGraph, view: Focus = Focus()) -> nx.MultiDiGraph:
    """``G`` as ``view`` sees it (a new graph; ``G`` is not changed).

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> family = focus(G, Focus("family"))
    >>> "kg:h100-sxm" in family, family.graph["merged_into"]["kg:h100-sxm"]
    (False, 'kg:h100')
    >>> company = focus(G, Focus("company")).graph["merged_into"]
    >>> company["kg:cuda"], company["kg:pytorch"]  # a governed project goes to its governor
    ('kg:nvidia', 'kg:pytorch-foundation')
    """
    if view.granularity not in GRANULARITIES:
        raise InputError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    H = _without_sources(G, set(view.exclude_sources)) if view.exclude_sources else G
    merged = _representatives(H, view.granularity)
    if view.edges:
        H = _only_edges(H, set(view.edges))
    H = _fold(H, merged)
    H.graph["merged_into"] = merged
    H.graph["focus"] = view
    return H
