"""Which software runs on which hardware: the support matrix, and who makes what.

Support is read from ``aichip:supports``, ``aichip:compatibleWith`` and ``aichip:dependsOn``.
Their direction in the facts says who asserted what (``CANN supports PyTorch`` as a frontend,
``PyTorch supports CUDA`` as a backend, ``Ascend compatibleWith MindSpore``), not which layer
sits on which, so each link is read as a *stack* link:

* software and hardware: the software runs on the hardware;
* a framework and a platform: the framework runs on the platform;
* otherwise (two platforms, two frameworks): the subject runs on the object.

A framework supports a piece of hardware when a chain of stack links leads from it to the
hardware through software only: PyTorch → torch_npu → CANN → Ascend puts PyTorch × Ascend in the
matrix *via torch_npu, CANN*. Every such chain (up to :data:`MAX_LAYERS` layers) is kept as a
route, shortest first. Chips are grouped under their family (``aichip:inFamily``); each column
names its designer (``aichip:designedBy`` or ``aichip:developedBy``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import networkx as nx

from kg.analytics.projection import OBSERVATION, has_class, is_hardware, is_software, node_label

__all__ = [
    "LEGEND",
    "MAX_LAYERS",
    "Column",
    "Row",
    "SupportCell",
    "SupportMatrix",
    "column_of",
    "hardware_routes",
    "makers",
    "stack_graph",
    "support_matrix",
]

STACK_PREDICATES = ("aichip:supports", "aichip:compatibleWith", "aichip:dependsOn")
IN_FAMILY = "aichip:inFamily"
MAKER_PREDICATES = ("aichip:designedBy", "aichip:developedBy")
#: Longest chain of software layers between a framework and its hardware that is followed.
MAX_LAYERS = 4
_MAX_ROUTES = 8  # per cell; more would not be read

#: What each mark of the matrix means (also in the JSON, as ``legend``).
LEGEND = {
    "direct": "a sourced claim that the software runs on the hardware directly",
    "via": "sourced claims of a route through other software layers",
    "no sourced claim": (
        "no source in the graph says either way; the graph records no negative claims, so "
        "this is not a claim that it is unsupported"
    ),
    "not supported": "only an explicit sourced claim could say so; the graph has none",
}


@dataclass(frozen=True)
class Row:
    node: str
    label: str
    cls: str | None


@dataclass(frozen=True)
class Column:
    node: str  # a chip family, or a chip (or other hardware) that has none
    label: str
    makers: tuple[str, ...]  # designers/developers (CURIEs)
    maker_labels: tuple[str, ...]


@dataclass(frozen=True)
class SupportCell:
    software: str
    hardware: str  # the column
    reached: str  # the node a support statement names (the family, or one of its chips)
    routes: tuple[tuple[str, ...], ...]  # software layers in between, shortest route first
    sources: tuple[str, ...] = ()  # the documents behind each link of the shortest route

    @property
    def via(self) -> tuple[str, ...]:
        """The shortest route; empty when the software names the hardware directly."""
        return self.routes[0]

    @property
    def direct(self) -> bool:
        return not self.via


@dataclass(frozen=True)
class SupportMatrix:
    rows: tuple[Row, ...]  # frameworks first, then platforms; by label
    columns: tuple[Column, ...]  # by maker, then label
    cells: tuple[SupportCell, ...]

    @property
    def legend(self) -> dict[str, str]:
        """What a cell means. There are no negative claims in the graph, so an empty cell
        is "no sourced claim", never "not supported"."""
        return LEGEND

    def cell(self, software: str, hardware: str) -> SupportCell | None:
        for cell in self.cells:
            if cell.software == software and cell.hardware == hardware:
                return cell
        return None


def _relations(G: nx.MultiDiGraph, predicate: str, node: str, *, out: bool) -> Iterable[str]:
    edges = G.out_edges(node, data=True) if out else G.in_edges(node, data=True)
    for u, v, data in edges:
        if data.get("predicate") == predicate and data.get("kind") != OBSERVATION:
            yield v if out else u


def _level(G: nx.MultiDiGraph, node: str) -> int:
    if is_hardware(G, node):
        return 0
    return 2 if has_class(G, node, "aichip:SoftwareFramework") else 1


def stack_graph(G: nx.MultiDiGraph) -> nx.DiGraph:
    """``upper → lower`` for every stack link of ``G`` (see the module doc)."""
    stack = nx.DiGraph()
    for u, v, data in G.edges(data=True):
        if data.get("predicate") not in STACK_PREDICATES or data.get("kind") == OBSERVATION:
            continue
        if not (is_software(G, u) or is_software(G, v)):
            continue  # hardware–hardware, or links to things that are neither
        if not (is_hardware(G, u) or is_software(G, u)) or not (
            is_hardware(G, v) or is_software(G, v)
        ):
            continue
        upper, lower = (v, u) if _level(G, v) > _level(G, u) else (u, v)
        found = set((data.get("sources") or "").split())
        if stack.has_edge(upper, lower):
            found |= set(stack.edges[upper, lower]["sources"])
        stack.add_edge(upper, lower, sources=tuple(sorted(found)))
    return stack


def _route_sources(stack: nx.DiGraph, path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        sorted(
            {s for a, b in zip(path, path[1:], strict=False) for s in stack.edges[a, b]["sources"]}
        )
    )


def hardware_routes(
    G: nx.MultiDiGraph,
    software: str,
    *,
    removed: Collection[str] = frozenset(),
    stack: nx.DiGraph | None = None,
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Hardware reachable from ``software`` down the stack, with every route of software
    layers in between (shortest first, then by CURIEs). ``removed`` nodes are gone: not
    reachable, not traversable.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> hardware_routes(G, "kg:mindspore")["kg:ascend"]  # directly, and through CANN
    ((), ('kg:cann',))
    """
    stack = stack_graph(G) if stack is None else stack
    if software in removed or software not in stack:
        return {}
    routes: dict[str, set[tuple[str, ...]]] = {}

    def walk(node: str, path: tuple[str, ...]) -> None:
        for target in sorted(stack.successors(node)):
            if target in removed or target == software or target in path:
                continue
            if is_hardware(G, target):
                routes.setdefault(target, set()).add(path)
            elif len(path) < MAX_LAYERS:
                walk(target, (*path, target))

    walk(software, ())
    return {
        hardware: tuple(sorted(found, key=lambda r: (len(r), r))[:_MAX_ROUTES])
        for hardware, found in routes.items()
    }


def column_of(G: nx.MultiDiGraph, hardware: str) -> str:
    """The matrix column a piece of hardware falls under: its family, if it has one."""
    families = sorted(_relations(G, IN_FAMILY, hardware, out=True))
    return families[0] if families else hardware


def makers(G: nx.MultiDiGraph, product: str) -> tuple[str, ...]:
    """Who designs or develops ``product`` (for a chip without its own maker, its family's)."""
    found = {m for p in MAKER_PREDICATES for m in _relations(G, p, product, out=True)}
    if not found and has_class(G, product, "aichip:Chip"):
        for family in _relations(G, IN_FAMILY, product, out=True):
            found |= {m for p in MAKER_PREDICATES for m in _relations(G, p, family, out=True)}
    return tuple(sorted(found))


def _row_order(G: nx.MultiDiGraph, node: str, lang: str):
    kind = 0 if has_class(G, node, "aichip:SoftwareFramework") else 1
    return (kind, node_label(G, node, lang).casefold(), node)


def support_matrix(
    G: nx.MultiDiGraph,
    *,
    removed: Collection[str] = frozenset(),
    lang: str = "en",
) -> SupportMatrix:
    """The framework/platform × hardware matrix of ``G`` (without the ``removed`` nodes).

    Each cell names the documents behind its shortest route (``sources``); a pair without a
    cell has no sourced claim either way (see :data:`LEGEND`).

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> matrix = support_matrix(G)
    >>> "kg:pytorch" in {row.node for row in matrix.rows}
    True
    >>> matrix.cell("kg:mindspore", "kg:ascend").sources
    ('kg:src-mindspore-white-paper',)
    """
    stack = stack_graph(G)
    cells: list[SupportCell] = []
    for software in sorted(n for n in stack if is_software(G, n) and n not in removed):
        merged: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {}
        for hardware, routes in hardware_routes(G, software, removed=removed, stack=stack).items():
            column = column_of(G, hardware)
            merged.setdefault(column if column not in removed else hardware, {})[hardware] = routes
        for column in sorted(merged):
            reached = merged[column]
            # the family named directly beats one of its chips; then the shorter route
            best = min(reached, key=lambda h: (len(reached[h][0]), h != column, h))
            routes = sorted({r for rs in reached.values() for r in rs}, key=lambda r: (len(r), r))
            cells.append(
                SupportCell(
                    software=software,
                    hardware=column,
                    reached=best,
                    routes=tuple(routes[:_MAX_ROUTES]),
                    sources=_route_sources(stack, (software, *reached[best][0], best)),
                )
            )
    row_nodes = sorted({c.software for c in cells}, key=lambda n: _row_order(G, n, lang))
    columns = []
    for node in {c.hardware for c in cells}:
        who = makers(G, node)
        columns.append(
            Column(
                node=node,
                label=node_label(G, node, lang),
                makers=who,
                maker_labels=tuple(node_label(G, m, lang) for m in who),
            )
        )
    columns.sort(key=lambda c: (c.maker_labels[:1] or ("~",), c.label.casefold(), c.node))
    rows = tuple(
        Row(node=n, label=node_label(G, n, lang), cls=G.nodes[n].get("class") or None)
        for n in row_nodes
    )
    row_index = {n: i for i, n in enumerate(row_nodes)}
    column_index = {c.node: i for i, c in enumerate(columns)}
    cells.sort(key=lambda c: (row_index[c.software], column_index[c.hardware]))
    return SupportMatrix(rows=rows, columns=tuple(columns), cells=tuple(cells))
