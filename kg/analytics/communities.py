"""Clusters of the ecosystem: Louvain communities (networkx) with their modularity."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from kg.analytics.projection import node_label, simple_view

__all__ = ["SEED", "CommunitiesResult", "Community", "Member", "communities"]

#: Louvain is randomised; a fixed seed makes the same facts give the same communities.
SEED = 42


@dataclass(frozen=True)
class Member:
    node: str
    label: str
    cls: str | None
    degree: int  # distinct neighbours in the whole graph
    members: tuple[str, ...] = ()  # SKUs or products folded into it (see kg.analytics.focus)


@dataclass(frozen=True)
class Community:
    number: int  # 1 = largest
    members: tuple[Member, ...]  # by degree, then CURIE: the hub first
    sources: tuple[str, ...] = ()  # the documents behind the links inside the community

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class CommunitiesResult:
    communities: tuple[Community, ...]  # largest first, ties by first member CURIE
    modularity: float
    resolution: float
    seed: int
    nodes: int
    edges: int
    singletons: int  # isolated entities (no relationship at all), not listed as communities
    method: str = "louvain (networkx)"
    view: str = ""  # what the graph was focused on (kg.analytics.focus.Focus.describe)
    excluded_sources: tuple[str, ...] = ()


def communities(
    G: nx.MultiDiGraph,
    *,
    resolution: float = 1.0,
    seed: int = SEED,
    lang: str = "en",
) -> CommunitiesResult:
    """Louvain communities of the undirected simple view of ``G``.

    Entities without any relationship form trivial one-member communities; they count in the
    modularity (as Louvain returns them) but are reported only as ``singletons``.

    Above ``fast.LARGE_EDGES`` edges, and when igraph is installed (the ``scale`` extra), the
    partition comes from igraph's Leiden instead: at a million edges networkx's Louvain takes
    minutes, Leiden seconds, with higher modularity (bench/README.md). ``method`` says which.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> result = communities(G)
    >>> result.modularity > 0.3, len(result.communities) > 3
    (True, True)
    """
    from kg.analytics import fast

    view = simple_view(G)
    method = "louvain (networkx)"
    if view.number_of_edges() == 0:
        parts: list[set[str]] = [{node} for node in view]
        modularity = 0.0
    elif fast.is_large(view) and _igraph_available():
        ints = fast.int_graph(view)
        parts = fast.leiden_communities(ints, resolution=resolution, seed=seed)
        modularity = fast.modularity(ints, parts, resolution=resolution)
        method = "leiden (igraph)"
    else:
        parts = nx.community.louvain_communities(view, resolution=resolution, seed=seed)
        modularity = nx.community.modularity(view, parts, resolution=resolution)
    found = []
    singletons = 0
    for part in parts:
        if len(part) == 1 and view.degree(next(iter(part))) == 0:
            singletons += 1
            continue
        members = sorted(
            (
                Member(
                    node=node,
                    label=node_label(G, node, lang),
                    cls=G.nodes[node].get("class"),
                    degree=view.degree(node),
                    members=tuple(G.nodes[node].get("members", ())),
                )
                for node in part
            ),
            key=lambda m: (-m.degree, m.node),
        )
        found.append(members)
    found.sort(key=lambda members: (-len(members), min(m.node for m in members)))
    focus = G.graph.get("focus")
    return CommunitiesResult(
        communities=tuple(
            Community(
                number=i,
                members=tuple(members),
                sources=_inner_sources(view, {m.node for m in members}),
            )
            for i, members in enumerate(found, 1)
        ),
        modularity=round(modularity, 6),
        resolution=resolution,
        seed=seed,
        nodes=view.number_of_nodes(),
        edges=view.number_of_edges(),
        singletons=singletons,
        method=method,
        view=focus.describe() if focus is not None else "every SKU its own node",
        excluded_sources=tuple(focus.exclude_sources) if focus is not None else (),
    )


def _inner_sources(view: nx.Graph, nodes: set[str]) -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                s
                for u, v, data in view.edges(nodes, data=True)
                if u in nodes and v in nodes
                for s in data["sources"]
            }
        )
    )


def _igraph_available() -> bool:
    try:
        import igraph  # noqa: F401
    except ImportError:
        return False
    return True
