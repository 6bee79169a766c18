"""Fast paths for big graphs: PageRank, communities and betweenness behind a networkx graph.

networkx keeps a graph as dicts of dicts and runs its algorithms in Python; past a few hundred
thousand edges that takes minutes. These functions take the same networkx graph the analytics
modules use, convert it once to integer ids (``igraph.Graph(n, edges)``, or a scipy sparse
matrix), run C code, and map the answer back to the networkx nodes:

* :func:`pagerank`: igraph's PRPACK (exact up to float precision), the same stationary
  distribution :func:`networkx.pagerank` iterates towards; isolated nodes get the uniform
  teleport share as in networkx.
* :func:`louvain_communities` / :func:`leiden_communities`: igraph's multilevel (Louvain) and
  Leiden modularity optimisers, seeded; :func:`modularity` scores a partition. Prefer Leiden
  for big graphs: faster than Louvain here, and its communities are connected.
* :func:`betweenness`: igraph's Brandes betweenness, exact or estimated from ``k`` pivots
  (networkx's pivots for the same seed), normalised like networkx's.

The graph is read as undirected and simple (one edge per related pair, no self-loops), as
:func:`kg.analytics.projection.simple_view` makes it; edge weights are ignored. Results are
deterministic: node order is the graph's, and the community optimisers draw from a
``random.Random(seed)``. :data:`LARGE_EDGES` is where switching pays off (networkx is fine, and
the reference, below it).
"""

from __future__ import annotations

import gc
import random
from collections.abc import Hashable
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "LARGE_EDGES",
    "SEED",
    "IntGraph",
    "betweenness",
    "int_graph",
    "is_large",
    "leiden_communities",
    "louvain_communities",
    "modularity",
    "pagerank",
]

#: Above this many edges the analytics modules should take these paths.
LARGE_EDGES = 50_000
SEED = 42


@dataclass(frozen=True)
class IntGraph:
    """A networkx graph as igraph sees it: ``nodes[i]`` is vertex ``i`` of ``graph``."""

    nodes: tuple[Hashable, ...]
    graph: Any  # igraph.Graph, undirected and simple

    @property
    def edges(self) -> int:
        return self.graph.ecount()


def is_large(G: nx.Graph) -> bool:
    """True when ``G`` is big enough for the fast paths to be worth the conversion."""
    return G.number_of_edges() > LARGE_EDGES


def int_graph(G: nx.Graph) -> IntGraph:
    """Convert once: vertices in ``G``'s node order, one undirected edge per related pair.

    Pass the result instead of ``G`` to several of these functions to pay for it once (for a
    million edges the conversion costs more than PageRank itself).
    """
    import igraph

    if not G.is_directed() and not G.is_multigraph() and type(G._adj) is dict:
        pairs = _paired_by_edge_data(G)
        if pairs is not None:
            return IntGraph(nodes=tuple(G), graph=igraph.Graph(n=len(G), edges=pairs))
    nodes = tuple(G)
    index = {node: i for i, node in enumerate(nodes)}.__getitem__
    sources: list[int] = []
    targets: list[int] = []
    add_source, add_target = sources.append, targets.append
    # Walking the adjacency directly beats G.edges(), and the collector has nothing to find
    # among a million fresh ints: pausing it saves a further fifth.
    collecting = gc.isenabled()
    gc.disable()
    try:
        directed = G.is_directed()
        for u, neighbours in G.adjacency():
            iu = index(u)
            for v in neighbours:
                iv = index(v)
                if iv > iu or (directed and iv < iu):
                    add_source(iu)
                    add_target(iv)
        graph = igraph.Graph(
            n=len(nodes), edges=list(zip(sources, targets, strict=True)), directed=False
        )
    finally:
        if collecting:
            gc.enable()
    if G.is_multigraph() or directed:
        graph.simplify(multiple=True, loops=True)
    return IntGraph(nodes=nodes, graph=graph)


def _paired_by_edge_data(G: nx.Graph) -> list[tuple[int, int]] | None:
    """The edges of a simple undirected graph as vertex pairs, without looking names up.

    networkx stores an undirected edge as one attribute dict under both of its ends, so the
    dict's identity pairs the two adjacency entries of an edge: sorting the ids pairs them in
    C, where looking every neighbour's name up in a dict takes a Python step and a cache miss
    each (twice as slow at a million edges). Pairs come out in the order the adjacency walk
    of :func:`int_graph` gives. None when the graph does not keep that invariant (a dict
    under more than two entries, or unpaired entries that are not self-loops).
    """
    import networkx as nx
    import numpy as np

    adjacency = G._adj
    collecting = gc.isenabled()
    gc.disable()  # a million fresh ints, nothing for the collector to find
    try:
        degrees = np.fromiter(map(len, adjacency.values()), dtype=np.int64, count=len(adjacency))
        ids = np.fromiter(
            chain.from_iterable(map(id, nbrs.values()) for nbrs in adjacency.values()),
            dtype=np.uint64,
            count=int(degrees.sum()),
        )
    finally:
        if collecting:
            gc.enable()
    order = np.argsort(ids, kind="stable")  # equal ids keep their walk order
    ordered = ids[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    if same.size > 1 and np.any(same[1:] == same[:-1] + 1):
        return None  # one dict under three or more entries
    if len(ids) - 2 * same.size != nx.number_of_selfloops(G):
        return None  # entries without a partner that are not self-loops
    first, second = order[same], order[same + 1]
    partner = np.full(len(ids), -1, dtype=np.int64)
    partner[first] = second
    walk = np.flatnonzero(partner >= 0)  # each edge where the walk first meets it
    vertex = np.repeat(np.arange(len(adjacency), dtype=np.int64), degrees)
    return list(zip(vertex[walk].tolist(), vertex[partner[walk]].tolist(), strict=True))


def _as_int(G: nx.Graph | IntGraph) -> IntGraph:
    return G if isinstance(G, IntGraph) else int_graph(G)


def pagerank(G: nx.Graph | IntGraph, *, alpha: float = 0.85) -> dict[Hashable, float]:
    """PageRank of every node (sums to 1), as :func:`networkx.pagerank` with its defaults."""
    ig = _as_int(G)
    if not ig.nodes:
        return {}
    scores = ig.graph.pagerank(damping=alpha, directed=False, implementation="prpack")
    return dict(zip(ig.nodes, scores, strict=True))


@contextmanager
def _seeded(seed: int):
    """igraph draws from Python's ``random`` by default; give it its own seeded generator."""
    import igraph

    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _parts(ig: IntGraph, membership: list[int]) -> list[set[Hashable]]:
    groups: dict[int, set[Hashable]] = {}
    for vertex, group in enumerate(membership):
        groups.setdefault(group, set()).add(ig.nodes[vertex])
    return list(groups.values())


def louvain_communities(
    G: nx.Graph | IntGraph, *, resolution: float = 1.0, seed: int = SEED
) -> list[set[Hashable]]:
    """Louvain (igraph's multilevel), like :func:`networkx.community.louvain_communities`."""
    ig = _as_int(G)
    if ig.graph.ecount() == 0:
        return [{node} for node in ig.nodes]
    with _seeded(seed):
        clustering = ig.graph.community_multilevel(resolution=resolution)
    return _parts(ig, clustering.membership)


def leiden_communities(
    G: nx.Graph | IntGraph,
    *,
    resolution: float = 1.0,
    seed: int = SEED,
    iterations: int = 2,
) -> list[set[Hashable]]:
    """Leiden, optimising modularity: well-connected communities, and on the synthetic
    ecosystem graphs both faster than Louvain and of higher modularity with igraph's default
    two iterations (``iterations=-1`` iterates until nothing changes, several times slower)."""
    ig = _as_int(G)
    if ig.graph.ecount() == 0:
        return [{node} for node in ig.nodes]
    with _seeded(seed):
        clustering = ig.graph.community_leiden(
            objective_function="modularity",
            resolution=resolution,
            n_iterations=iterations,
        )
    return _parts(ig, clustering.membership)


def modularity(
    G: nx.Graph | IntGraph, parts: list[set[Hashable]], *, resolution: float = 1.0
) -> float:
    """Modularity of ``parts``, as :func:`networkx.community.modularity` computes it."""
    ig = _as_int(G)
    if ig.graph.ecount() == 0:
        return 0.0
    group = {node: i for i, part in enumerate(parts) for node in part}
    membership = [group[node] for node in ig.nodes]
    return ig.graph.modularity(membership, resolution=resolution, directed=False)


def betweenness(
    G: nx.Graph | IntGraph,
    *,
    k: int | None = None,
    seed: int = SEED,
    normalized: bool = True,
) -> dict[Hashable, float]:
    """Betweenness as :func:`networkx.betweenness_centrality` (undirected) computes it.

    Exact is O(nodes × edges). With ``k`` it is estimated from ``k`` pivot nodes, the very
    pivots networkx draws for the same ``seed`` (``random.Random(seed).sample(nodes, k)``),
    rescaled as networkx does, so the estimate is networkx's estimate.
    """
    ig = _as_int(G)
    n = len(ig.nodes)
    if n == 0:
        return {}
    pivots = None
    if k is not None and k < n:
        # networkx samples from list(G.nodes()), which is ig.nodes in the same order.
        position = {node: i for i, node in enumerate(ig.nodes)}
        pivots = [position[node] for node in random.Random(seed).sample(list(ig.nodes), k)]
    scores = ig.graph.betweenness(directed=False, sources=pivots)
    big_n = n - 1  # pairs (s, t) with s != t that can pass through v
    if big_n < 2:
        return dict.fromkeys(ig.nodes, 0.0)
    if pivots is None:
        scale = 2.0 / (big_n * (big_n - 1)) if normalized else 1.0
        return {node: s * scale for node, s in zip(ig.nodes, scores, strict=True)}
    # igraph counts each (source, target) pair once; networkx accumulates both orders and
    # rescales sources (which cannot be their own endpoints) apart from the other nodes.
    if normalized:
        on_source, off_source = 2.0 / ((k - 1) * (big_n - 1)), 2.0 / (k * (big_n - 1))
    else:
        on_source, off_source = big_n / (k - 1), big_n / k
    chosen = set(pivots)
    return {
        node: s * (on_source if i in chosen else off_source)
        for i, (node, s) in enumerate(zip(ig.nodes, scores, strict=True))
    }
