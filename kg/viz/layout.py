"""Node positions for the viewer, computed here so a page opens at once and the same every time.

:func:`layout_positions` lays out any graph in time roughly linear in its size.
:func:`view_layout` lays out one view of the viewer: first what the view shows when it opens
(chip groups folded, catalogue and reference entities hidden), so that is spread over the
whole canvas; then the rest near what it links to, ready to be shown by a click.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

import networkx as nx

__all__ = ["layout_positions", "view_layout"]


_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def layout_positions(G: nx.Graph, *, seed: int = 7, skeleton: int = 400) -> dict:
    """Node positions in screen pixels for a large graph, in time roughly linear in its size.

    networkx's force-directed layouts cost O(n²) per iteration (over a minute at 5,000 nodes),
    so only a skeleton — the ``skeleton`` best-connected nodes — gets a spring layout. Every
    other node is placed next to the already placed neighbours it links to, on a sunflower
    spiral around their centre, breadth-first outwards; components without a skeleton node
    are laid out on their own and packed in rows below.
    """
    U = nx.Graph(G.to_undirected(as_view=True)) if G.is_directed() else nx.Graph(G)
    if U.number_of_nodes() == 0:
        return {}
    order = sorted(U, key=lambda n: (-U.degree(n), str(n)))
    top = U.subgraph(order[:skeleton])
    # Only the largest connected part of the top nodes: a skeleton node with no skeleton
    # neighbour would drift to the edge of the spring layout and squash everything else.
    core = max(nx.connected_components(top), key=lambda c: (len(c), sorted(map(str, c))[0]))
    spacing = 90.0
    scale = spacing * math.sqrt(len(core)) * 1.6
    # Sorting before the layout keeps positions independent of insertion order.
    S = nx.Graph()
    S.add_nodes_from(sorted(core, key=str))
    S.add_edges_from(sorted((u, v) for u, v in U.subgraph(core).edges()))
    pos: dict = {
        n: (float(x), float(y))
        for n, (x, y) in nx.spring_layout(S, seed=seed, scale=scale, iterations=60).items()
    }
    _grow(U, pos, spacing)
    left = [n for n in order if n not in pos]
    if left:
        _pack_components(U.subgraph(left), pos, spacing, seed)
    return {n: (round(x), round(y)) for n, (x, y) in pos.items()}


def _grow(U: nx.Graph, pos: dict, spacing: float) -> None:
    """Place unplaced nodes around their placed neighbours, breadth-first (in place)."""
    frontier = sorted((n for n in pos), key=str)
    children_of: dict = defaultdict(int)
    while frontier:
        nxt = []
        for parent in frontier:
            for child in sorted(U[parent], key=str):
                if child in pos:
                    continue
                placed = [pos[m] for m in U[child] if m in pos]
                cx = sum(p[0] for p in placed) / len(placed)
                cy = sum(p[1] for p in placed) / len(placed)
                k = children_of[parent]
                children_of[parent] += 1
                radius = spacing * 0.6 * math.sqrt(k + 1)
                angle = k * _GOLDEN_ANGLE
                pos[child] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
                nxt.append(child)
        frontier = nxt


def _pack_components(H: nx.Graph, pos: dict, spacing: float, seed: int) -> None:
    """Lay out the components of ``H`` one by one and pack them in rows under ``pos``."""
    bottom = max((p[1] for p in pos.values()), default=0.0) + 3 * spacing
    left_edge = min((p[0] for p in pos.values()), default=0.0)
    width = (
        max((p[0] for p in pos.values()), default=left_edge + 40 * spacing) - left_edge
        or 40 * spacing
    )
    x, y, row_height = left_edge, bottom, 0.0
    components = sorted(nx.connected_components(H), key=lambda c: (-len(c), min(map(str, c))))
    for component in components:
        part = H.subgraph(component)
        if len(component) == 1:
            local = {next(iter(component)): (0.0, 0.0)}
        else:
            sub = (
                layout_positions(part, seed=seed, skeleton=400)
                if len(component) > 400
                else {
                    n: (float(a), float(b))
                    for n, (a, b) in nx.spring_layout(
                        _sorted_graph(part),
                        seed=seed,
                        scale=spacing * math.sqrt(len(component)) * 0.8,
                    ).items()
                }
            )
            local = {n: (float(a), float(b)) for n, (a, b) in sub.items()}
        xs = [p[0] for p in local.values()]
        ys = [p[1] for p in local.values()]
        w, h = max(xs) - min(xs) + spacing, max(ys) - min(ys) + spacing
        if x + w > left_edge + width and x > left_edge:
            x, y, row_height = left_edge, y + row_height, 0.0
        for n, (a, b) in local.items():
            pos[n] = (x + a - min(xs), y + b - min(ys))
        x += w
        row_height = max(row_height, h)


def _sorted_graph(H: nx.Graph) -> nx.Graph:
    S = nx.Graph()
    S.add_nodes_from(sorted(H, key=str))
    S.add_edges_from(sorted(H.edges(), key=lambda e: (str(e[0]), str(e[1]))))
    return S


#: Room per node in the spring layouts (canvas units); labels are drawn at a fixed screen size.
_SPACING = 90.0
#: Kamada-Kawai costs O(n²) memory and about 6 s at 200 nodes: above this, a spring layout.
_KAMADA_KAWAI_LIMIT = 250


def view_layout(
    shown: Iterable[str],
    links: Iterable[tuple[str, str]],
    hidden: Mapping[str, Iterable[str]],
    anchors: Mapping[str, str],
    *,
    seed: int = 7,
) -> dict[str, tuple[int, int]]:
    """Positions for one view.

    ``shown`` are the nodes drawn when the view opens and ``links`` the links between them;
    connected parts get spring layouts packed from the largest down, and unlinked nodes a
    compact block, so none of them is spread along rows. ``anchors`` maps a node that opens
    folded (a chip in its family) to the node it folds into: it is placed on a small spiral
    around it. ``hidden`` maps every other node of the view to the nodes it links to; they
    are placed next to those, breadth-first, and what still has no place is packed below.
    """
    shown = sorted(set(shown))
    core = nx.Graph()
    core.add_nodes_from(shown)
    core.add_edges_from(sorted((u, v) for u, v in links if u != v and u in core and v in core))
    pos: dict = {}
    parts = sorted(
        (c for c in nx.connected_components(core) if len(c) > 1),
        key=lambda c: (-len(c), min(c)),
    )
    blocks = []
    for part in parts:
        sub = _sorted_graph(core.subgraph(part))
        if len(part) > 400:
            local = {n: (float(x), float(y)) for n, (x, y) in layout_positions(sub).items()}
        elif len(part) > _KAMADA_KAWAI_LIMIT:
            local = {
                n: (float(x), float(y))
                for n, (x, y) in nx.spring_layout(
                    sub, seed=seed, iterations=100, scale=_SPACING * math.sqrt(len(part))
                ).items()
            }
        else:
            # Kamada-Kawai spreads a few hundred nodes more evenly than a spring layout (hubs
            # do not swallow their neighbourhood), which is what leaves room for labels.
            start = nx.spring_layout(sub, seed=seed, iterations=50)
            local = {
                n: (float(x), float(y))
                for n, (x, y) in nx.kamada_kawai_layout(
                    sub, pos=start, scale=_SPACING * math.sqrt(len(part)) * 0.9
                ).items()
            }
        blocks.append(local)
    single = sorted(n for n in core if core.degree(n) == 0)
    if single:
        columns = max(1, math.ceil(math.sqrt(len(single))))
        blocks.append(
            {
                n: ((i % columns) * _SPACING * 1.2, (i // columns) * _SPACING * 0.8)
                for i, n in enumerate(single)
            }
        )
    _shelve(blocks, pos)

    # Folded members on a sunflower around the node they fold into.
    children: dict[str, int] = defaultdict(int)
    for node, anchor in sorted(anchors.items()):
        if anchor not in pos or node in pos:
            continue
        k = children[anchor]
        children[anchor] += 1
        radius = _SPACING * 0.55 * math.sqrt(k + 1)
        angle = k * _GOLDEN_ANGLE
        ax, ay = pos[anchor]
        pos[node] = (ax + radius * math.cos(angle), ay + radius * math.sin(angle))

    rest = nx.Graph()
    rest.add_nodes_from(sorted(set(pos) | set(hidden)))
    for node, neighbours in sorted(hidden.items()):
        rest.add_edges_from((node, m) for m in sorted(neighbours) if m in rest)
    _grow(rest, pos, _SPACING * 0.8)
    left = [n for n in sorted(rest) if n not in pos]
    if left:
        _pack_components(rest.subgraph(left), pos, _SPACING, seed)
    return {n: (round(x), round(y)) for n, (x, y) in sorted(pos.items())}


def _shelve(blocks: list[dict], pos: dict) -> None:
    """Pack laid-out blocks (largest first) into rows about as wide as the canvas is, in place.

    The width aims at a 4:3 picture of the whole, the shape of the viewer's canvas, so the
    opening zoom is not wasted on a long strip."""
    if not blocks:
        return
    sizes = []
    for local in blocks:
        xs = [p[0] for p in local.values()]
        ys = [p[1] for p in local.values()]
        sizes.append((min(xs), min(ys), max(xs) - min(xs) + _SPACING, max(ys) - min(ys) + _SPACING))
    area = sum(w * h for _, _, w, h in sizes)
    width = max(max(w for _, _, w, _ in sizes), math.sqrt(area * 4 / 3))
    x = y = row = 0.0
    for local, (x0, y0, w, h) in zip(blocks, sizes, strict=True):
        if x > 0 and x + w > width:
            x, y, row = 0.0, y + row, 0.0
        for n, (a, b) in local.items():
            pos[n] = (x + a - x0, y + b - y0)
        x += w
        row = max(row, h)
