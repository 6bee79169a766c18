"""Which entities hold the ecosystem together: degree, PageRank and betweenness, ranked.

All three are computed on the undirected :func:`~kg.analytics.projection.simple_view` of the
whole graph (direction in RDF is a naming convention), and only then filtered by class, so a
company's score does not change when you list companies only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import networkx as nx

from kg.analytics.projection import has_class, node_label, simple_view

__all__ = ["SORT_KEYS", "CentralityResult", "CentralityRow", "centrality"]

#: What rows can be ranked by.
SORT_KEYS = ("pagerank", "degree", "betweenness")

SEED = 42  # for sampled betweenness
_DIGITS = 6  # enough to rank by, few enough that float noise never changes the output


@dataclass(frozen=True)
class CentralityRow:
    node: str  # CURIE
    label: str
    cls: str | None  # most specific class, as the base graph gives it
    degree: int  # number of distinct neighbours
    degree_centrality: float  # degree / (n - 1)
    pagerank: float
    betweenness: float  # normalised: share of all node pairs whose shortest paths pass here
    sources: tuple[str, ...] = ()  # the documents behind its links
    members: tuple[str, ...] = ()  # SKUs or products folded into it (see kg.analytics.focus)


@dataclass(frozen=True)
class CentralityResult:
    rows: tuple[CentralityRow, ...]  # ranked, ties broken by CURIE
    sort: str
    classes: tuple[str, ...]  # the class filter, empty for all
    sampled: int | None  # pivots betweenness was estimated from; None when exact
    nodes: int  # of the whole graph the scores were computed on
    edges: int
    view: str = ""  # what the graph was focused on (kg.analytics.focus.Focus.describe)
    excluded_sources: tuple[str, ...] = ()


def centrality(
    G: nx.MultiDiGraph,
    *,
    sort: str = "pagerank",
    classes: Collection[str] = (),
    top: int | None = None,
    sample: int | None = None,
    lang: str = "en",
) -> CentralityResult:
    """Rank the entities of the analytics graph ``G`` by ``sort`` (one of :data:`SORT_KEYS`).

    ``classes`` (CURIEs) keeps rows that are instances of any of them, subclasses included.
    ``sample`` estimates betweenness from that many pivot nodes (seeded, so still
    deterministic) instead of all of them: exact betweenness is O(nodes × edges).

    Run it on a :func:`~kg.analytics.focus.focus` view: on SKUs, a vendor's catalogue size
    dominates every score.

    >>> import kg
    >>> from kg.analytics.focus import Focus, focus
    >>> G = focus(kg.open().analytics_graph(), Focus("family"))
    >>> top = centrality(G, sort="degree", top=1).rows[0]
    >>> top.node, len(top.sources) > 10
    ('kg:nvidia', True)
    """
    if sort not in SORT_KEYS:
        raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}")
    view = simple_view(G)
    n = view.number_of_nodes()
    degree_c = nx.degree_centrality(view) if n > 1 else dict.fromkeys(view, 0.0)
    pagerank = nx.pagerank(view) if n else {}
    pivots = sample if sample is not None and sample < n else None
    betweenness = (
        nx.betweenness_centrality(view, k=pivots, normalized=True, seed=SEED if pivots else None)
        if n
        else {}
    )
    rows = [
        CentralityRow(
            node=node,
            label=node_label(G, node, lang),
            cls=G.nodes[node].get("class"),
            degree=view.degree(node),
            degree_centrality=round(degree_c[node], _DIGITS),
            pagerank=round(pagerank[node], _DIGITS),
            betweenness=round(betweenness[node], _DIGITS),
            sources=_node_sources(view, node),
            members=tuple(G.nodes[node].get("members", ())),
        )
        for node in view
        if not classes or any(has_class(G, node, cls) for cls in classes)
    ]
    rows.sort(key=lambda r: (-getattr(r, sort), r.node))
    if top:  # None and 0 both mean every row, as --top 0 does
        rows = rows[:top]
    focus = G.graph.get("focus")
    return CentralityResult(
        rows=tuple(rows),
        sort=sort,
        classes=tuple(sorted(classes)),
        sampled=pivots,
        nodes=n,
        edges=view.number_of_edges(),
        view=focus.describe() if focus is not None else "every SKU its own node",
        excluded_sources=tuple(focus.exclude_sources) if focus is not None else (),
    )


def _node_sources(view: nx.Graph, node: str) -> tuple[str, ...]:
    return tuple(
        sorted({s for _u, _v, data in view.edges(node, data=True) for s in data["sources"]})
    )
