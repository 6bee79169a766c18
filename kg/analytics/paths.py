"""The shortest explanation between two entities, as a readable chain of relationships.

The search ignores direction (``A memberOf F`` links A and F either way), but every hop keeps
the direction its relationship has in the graph, so the chain reads
"Huawei —member of→ PyTorch Foundation ←founded by— Meta".
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from kg.analytics.projection import (
    OBSERVATION,
    RANK_ORDER,
    node_label,
    relation_label,
    simple_view,
)

__all__ = ["Hop", "PathResult", "chain_text", "shortest_path"]


@dataclass(frozen=True)
class Hop:
    start: str  # CURIE of the node the walk leaves
    end: str  # CURIE of the node it reaches
    predicate: str  # CURIE of the relationship (observation class for collapsed figures)
    label: str  # readable relationship, e.g. "member of" or "share 85 % (2022)"
    forward: bool  # whether the relationship points from start to end
    sources: tuple[str, ...]  # documents behind the relationship or figure


@dataclass(frozen=True)
class PathResult:
    nodes: tuple[str, ...]
    labels: tuple[str, ...]  # node labels, same order
    hops: tuple[Hop, ...]

    @property
    def length(self) -> int:
        return len(self.hops)

    @property
    def text(self) -> str:
        return chain_text(self)


def _figure(data: dict) -> str:
    value = data["value"]
    unit = {"aichip:Percent": " %", "aichip:USD": " USD", "aichip:UnitCount": " units"}.get(
        data.get("unit") or "", ""
    )
    period = f" ({data['period']})" if data.get("period") else ""
    return f"{data['label']} {value.normalize():f}{unit}{period}"


def _hop(G: nx.MultiDiGraph, u: str, v: str, lang: str = "en") -> Hop:
    """The relationship to show between neighbours ``u`` and ``v``: entity relationships
    before figures, the walk's direction before the reverse, best rank, then by predicate."""
    options = []
    for forward, (a, b) in ((True, (u, v)), (False, (v, u))):
        for key, data in (G.get_edge_data(a, b) or {}).items():
            if data.get("rank") == "aichip:Deprecated":
                continue
            is_figure = data.get("kind") == OBSERVATION
            order = (
                is_figure,
                not forward,
                RANK_ORDER.get(data.get("rank") or "", 1),
                data.get("predicate") or "",
                str(key),
            )
            options.append((order, forward, data))
    _order, forward, data = min(options, key=lambda option: option[0])
    predicate = data.get("predicate") or ""
    named = dict(data, label=relation_label(G, predicate, data.get("label") or "", lang))
    label = _figure(named) if data.get("kind") == OBSERVATION else named["label"]
    return Hop(
        start=u,
        end=v,
        predicate=data.get("predicate") or "",
        label=label or data.get("predicate") or "",
        forward=forward,
        sources=tuple((data.get("sources") or data.get("source") or "").split()),
    )


def shortest_path(G: nx.MultiDiGraph, a: str, b: str, *, lang: str = "en") -> PathResult | None:
    """The shortest chain of relationships between nodes ``a`` and ``b`` of ``G``, or None.

    Among equally short chains the choice is deterministic (breadth-first over nodes kept in
    CURIE order), not random.
    """
    view = simple_view(G)
    try:
        nodes = nx.shortest_path(view, a, b)
    except nx.NetworkXNoPath:
        return None
    hops = tuple(_hop(G, u, v, lang) for u, v in zip(nodes, nodes[1:], strict=False))
    return PathResult(
        nodes=tuple(nodes),
        labels=tuple(node_label(G, node, lang) for node in nodes),
        hops=hops,
    )


def chain_text(path: PathResult) -> str:
    """``Huawei —member of→ PyTorch Foundation ←founded by— Meta``.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> chain_text(shortest_path(G, "kg:huawei", "kg:pytorch-foundation"))
    'Huawei —member of→ PyTorch Foundation'
    """
    parts = [path.labels[0]]
    for hop, label in zip(path.hops, path.labels[1:], strict=True):
        arrow = f" —{hop.label}→ " if hop.forward else f" ←{hop.label}— "
        parts.append(arrow + label)
    return "".join(parts)
