"""kg.analytics.fast: igraph behind a networkx graph gives networkx's answers.

PageRank is compared with networkx run to a tight tolerance (networkx's default stops at
1e-6 per node on average; PRPACK solves exactly), betweenness exactly (also the sampled
estimate: same pivots, same rescaling), communities by determinism and modularity.
"""

from __future__ import annotations

import pytest

nx = pytest.importorskip("networkx")
pytest.importorskip("igraph")

from kg.analytics import fast  # noqa: E402


@pytest.fixture(scope="module")
def graph():
    G = nx.gnm_random_graph(400, 1200, seed=5)
    G = nx.relabel_nodes(G, {n: f"kg:node-{n:03d}" for n in G})
    G.add_nodes_from(["kg:alone-1", "kg:alone-2"])  # isolated nodes, as entities without links
    return G


def test_pagerank_matches_networkx(graph):
    expected = nx.pagerank(graph, tol=1e-12, max_iter=1000)
    got = fast.pagerank(graph)
    assert set(got) == set(graph)
    assert max(abs(expected[n] - got[n]) for n in graph) < 1e-9
    assert sum(got.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("k", [None, 50])
@pytest.mark.parametrize("normalized", [True, False])
def test_betweenness_matches_networkx(graph, k, normalized):
    expected = nx.betweenness_centrality(graph, k=k, seed=42, normalized=normalized)
    got = fast.betweenness(graph, k=k, seed=42, normalized=normalized)
    scale = max(expected.values())
    assert scale > 0
    assert max(abs(expected[n] - got[n]) for n in graph) < 1e-9 * scale


def test_communities_are_deterministic_partitions(graph):
    for find in (fast.louvain_communities, fast.leiden_communities):
        parts = find(graph, seed=3)
        assert parts == find(graph, seed=3)
        members = [node for part in parts for node in part]
        assert sorted(members) == sorted(graph)  # every node exactly once
        score = fast.modularity(graph, parts)
        assert score == pytest.approx(nx.community.modularity(graph, parts))
        assert score > 0.3  # a random graph with 3 edges per node still has structure


def test_multigraph_is_read_as_simple_undirected():
    G = nx.MultiDiGraph()
    G.add_edges_from([("a", "b"), ("b", "a"), ("a", "b"), ("b", "c"), ("c", "c")])
    converted = fast.int_graph(G)
    assert converted.nodes == ("a", "b", "c")
    assert converted.edges == 2
    simple = nx.Graph([("a", "b"), ("b", "c")])
    assert fast.pagerank(G) == pytest.approx(nx.pagerank(simple, tol=1e-10, max_iter=10_000))


def test_empty_and_edgeless_graphs():
    assert fast.pagerank(nx.Graph()) == {}
    G = nx.Graph()
    G.add_nodes_from("xyz")
    assert sorted(map(sorted, fast.louvain_communities(G))) == [["x"], ["y"], ["z"]]
    assert fast.modularity(G, [{"x"}, {"y"}, {"z"}]) == 0.0
    assert fast.betweenness(G) == {"x": 0.0, "y": 0.0, "z": 0.0}


def test_is_large():
    small = nx.path_graph(10)
    assert not fast.is_large(small)
    assert fast.LARGE_EDGES > 1000


def _walk_pairs(G: nx.Graph) -> list[tuple[int, int]]:
    """The edge list a plain adjacency walk gives: (i, j) with j > i, in walk order."""
    index = {node: i for i, node in enumerate(G)}
    return [(index[u], index[v]) for u in G for v in G[u] if index[v] > index[u]]


@pytest.mark.parametrize("seed", range(5))
def test_conversion_pairs_edges_exactly_as_the_adjacency_walk(seed):
    """The id-pairing path gives igraph the very edge list (and order) of a name look-up walk,
    self-loops left out, on graphs with string, int and tuple nodes."""
    G = nx.gnm_random_graph(300, 1200, seed=seed)
    G = nx.relabel_nodes(G, {n: (f"kg:e{n}" if n % 3 else (n, "t") if n % 2 else n) for n in G})
    G.add_edges_from([(node, node) for node in list(G)[:7]])  # self-loops
    converted = fast.int_graph(G)
    assert converted.nodes == tuple(G)
    assert converted.graph.get_edgelist() == _walk_pairs(G)
    assert fast._paired_by_edge_data(G) is not None  # the fast path was the one taken


def test_conversion_falls_back_when_edge_data_is_not_shared():
    """A graph whose two adjacency entries of an edge hold different dicts (or one dict under
    several edges) is converted by name look-ups, with the same result."""
    G = nx.path_graph(["a", "b", "c", "d"])
    G._adj["a"]["b"] = {}  # no longer the dict under b -> a
    assert fast._paired_by_edge_data(G) is None
    assert fast.int_graph(G).graph.get_edgelist() == [(0, 1), (1, 2), (2, 3)]
    shared = {}
    H = nx.Graph()
    H.add_nodes_from("wxyz")
    for u, v in (("w", "x"), ("y", "z")):
        H._adj[u][v] = H._adj[v][u] = shared  # one dict under four entries
    assert fast._paired_by_edge_data(H) is None
    assert fast.int_graph(H).graph.get_edgelist() == [(0, 1), (2, 3)]
