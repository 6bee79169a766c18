"""What if a vendor left: the market without it, and the ecosystem without it.

Removing a vendor removes the organisation, its subsidiaries (``org:subOrganizationOf``), the
products only they design or develop (chips, families, and software such as CUDA), the chips
of removed families and the variants of removed chips. A product another organisation governs
(``aichip:governs``: the PyTorch Foundation governs PyTorch, which Meta developed) stays, and
the result says so and why (``kept``). Then:

* **market**: the remaining vendors' shares renormalised to 100 %, with the new HHI (on the
  renormalised shares), CR1/CR4 and leader; the candidates to fill the gap, with their
  hardware and the software that supports it (e.g. PyTorch via torch_npu, CANN);
* **ecosystem**: frameworks and platforms left without any supported hardware, those that lose
  some, and the parts of the graph that were connected only through what was removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import networkx as nx

from kg.analytics.concentration import (
    Concentration,
    concentration,
    concentration_ratio,
    hhi,
    share_periods,
)
from kg.analytics.projection import (
    OBSERVATION,
    has_class,
    is_hardware,
    is_software,
    node_label,
    simple_view,
)
from kg.analytics.support import column_of, makers, stack_graph, support_matrix
from kg.errors import InputError, KGError

__all__ = [
    "Candidate",
    "Component",
    "Kept",
    "MarketWithout",
    "RenormalisedShare",
    "SoftwareImpact",
    "SupportLink",
    "WhatIfResult",
    "removal_set",
    "whatif",
]

_HUNDRED = Decimal(100)
GOVERNS = "aichip:governs"


@dataclass(frozen=True)
class Kept:
    """A product the vendor makes that stays: another organisation governs it."""

    node: str
    label: str
    governed_by: tuple[str, ...]
    governed_by_labels: tuple[str, ...]
    sources: tuple[str, ...]  # the documents stating the governance
    reason: str


@dataclass(frozen=True)
class SupportLink:
    software: str
    label: str
    cls: str | None
    hardware: str  # the candidate's column (family or chip) it supports
    routes: tuple[tuple[str, ...], ...]  # software layers in between (CURIEs), shortest first
    route_labels: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Candidate:
    vendor: str
    label: str
    share: Decimal  # as published
    renormalised: Decimal  # share of the market left, percent
    hardware: tuple[str, ...]  # its chip families / chips: supported ones first, by label
    hardware_labels: tuple[str, ...]
    supported_by: tuple[SupportLink, ...]  # frameworks first


@dataclass(frozen=True)
class RenormalisedShare:
    vendor: str
    label: str
    share: Decimal
    renormalised: Decimal


@dataclass(frozen=True)
class MarketWithout:
    before: Concentration
    removed_share: Decimal
    remaining: tuple[RenormalisedShare, ...]  # largest first
    hhi_after: Decimal | None  # on the renormalised shares; None when nobody is left
    cr1_after: Decimal | None
    cr4_after: Decimal | None
    leader_after: str | None
    leader_after_label: str | None
    candidates: tuple[Candidate, ...]
    basis_after: str = "remaining shares renormalised to 100 %"


@dataclass(frozen=True)
class SoftwareImpact:
    software: str
    label: str
    cls: str | None
    lost: tuple[str, ...]  # hardware columns it no longer reaches
    lost_layers: tuple[str, ...]  # removed software it ran on directly (e.g. CUDA)
    kept: tuple[str, ...]  # hardware columns it still reaches


@dataclass(frozen=True)
class Component:
    nodes: tuple[str, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class WhatIfResult:
    vendor: str
    vendor_label: str
    removed: tuple[str, ...]  # every node taken out, the vendor first
    removed_software: tuple[str, ...]  # the software among them (e.g. CUDA)
    removed_hardware: tuple[str, ...]  # the chips and families among them
    markets: tuple[MarketWithout, ...]
    skipped: tuple[str, ...]  # markets that could not be analysed, with the reason
    stranded: tuple[SoftwareImpact, ...]  # software left without any supported hardware
    affected: tuple[SoftwareImpact, ...]  # loses hardware or a software layer, keeps hardware
    disconnected: tuple[Component, ...]  # cut off from the rest of the vendor's component
    kept: tuple[Kept, ...] = ()  # its products that stay, and why


def _edges_to(G: nx.MultiDiGraph, node: str, predicates: tuple[str, ...]) -> list[str]:
    return sorted(
        u
        for u, _v, data in G.in_edges(node, data=True)
        if data.get("predicate") in predicates and data.get("kind") != OBSERVATION
    )


def _organisations(G: nx.MultiDiGraph, vendor: str) -> set[str]:
    orgs = {vendor}
    frontier = [vendor]
    while frontier:
        for child in _edges_to(G, frontier.pop(), ("org:subOrganizationOf",)):
            if child not in orgs:
                orgs.add(child)
                frontier.append(child)
    return orgs


def _governors(G: nx.MultiDiGraph, product: str, orgs: set[str]) -> list[str]:
    """Organisations outside ``orgs`` that govern ``product`` (a foundation hosting it)."""
    return [g for g in _edges_to(G, product, (GOVERNS,)) if g not in orgs]


def _products_and_kept(
    G: nx.MultiDiGraph, orgs: set[str], lang: str = "en"
) -> tuple[set[str], list[Kept]]:
    """Products made only by ``orgs``, with the chips of their families and their variants;
    and the products they make that stay because someone else governs them."""
    products: set[str] = set()
    kept: list[Kept] = []
    for p in sorted(
        {p for org in orgs for p in _edges_to(G, org, ("aichip:designedBy", "aichip:developedBy"))}
    ):
        if not has_class(G, p, "aichip:Product") or not set(makers(G, p)) <= orgs:
            continue
        governors = _governors(G, p, orgs)
        if governors:
            kept.append(_kept(G, p, governors, orgs, lang))
            continue
        products.add(p)
    frontier = sorted(products)
    while frontier:
        node = frontier.pop()
        for child in _edges_to(G, node, ("aichip:inFamily", "aichip:variantOf")):
            if child not in products and set(makers(G, child)) <= orgs | products:
                if _governors(G, child, orgs):
                    continue
                products.add(child)
                frontier.append(child)
    return products, kept


def _kept(G: nx.MultiDiGraph, product: str, governors: list[str], orgs: set[str], lang: str):
    developers = sorted(set(makers(G, product)) & orgs)
    sources = sorted(
        {
            s
            for g in governors
            for key, data in G.get_edge_data(g, product, default={}).items()
            if key == GOVERNS
            for s in (data.get("sources") or "").split()
        }
    )
    who = ", ".join(node_label(G, g, lang) for g in governors)
    made = ", ".join(node_label(G, d, lang) for d in developers)
    return Kept(
        node=product,
        label=node_label(G, product, lang),
        governed_by=tuple(governors),
        governed_by_labels=tuple(node_label(G, g, lang) for g in governors),
        sources=tuple(sources),
        reason=f"{who} governs it ({GOVERNS}): it does not depend on {made} alone",
    )


def _products_of(G: nx.MultiDiGraph, orgs: set[str]) -> set[str]:
    return _products_and_kept(G, orgs)[0]


def removal_set(G: nx.MultiDiGraph, vendor: str) -> tuple[str, ...]:
    """The vendor, its subsidiaries and the products only they make; the vendor first.
    A product another organisation governs (``aichip:governs``) stays.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> gone = removal_set(G, "kg:meta")
    >>> "kg:pytorch" in gone, "kg:meta-mtia" in gone  # the PyTorch Foundation governs PyTorch
    (False, True)
    """
    orgs = _organisations(G, vendor)
    rest = (orgs - {vendor}) | _products_of(G, orgs)
    return (vendor, *sorted(rest))


def _renormalise(before: Concentration, vendor: str) -> list[RenormalisedShare]:
    left = [s for s in before.shares if s.vendor != vendor]
    total = sum((s.share for s in left), Decimal(0))
    return [
        RenormalisedShare(
            vendor=s.vendor,
            label=s.label,
            share=s.share,
            renormalised=s.share * _HUNDRED / total if total else Decimal(0),
        )
        for s in left
    ]


def _candidate(
    G: nx.MultiDiGraph, share: RenormalisedShare, matrix, removed: set[str], lang: str
) -> Candidate:
    orgs = _organisations(G, share.vendor)
    hardware = sorted(
        {column_of(G, p) for p in _products_of(G, orgs) if is_hardware(G, p)} - removed
    )
    links = []
    for cell in matrix.cells:
        if cell.hardware in hardware:
            links.append(
                SupportLink(
                    software=cell.software,
                    label=node_label(G, cell.software, lang),
                    cls=G.nodes[cell.software].get("class"),
                    hardware=cell.hardware,
                    routes=cell.routes,
                    route_labels=tuple(
                        tuple(node_label(G, n, lang) for n in route) for route in cell.routes
                    ),
                )
            )
    supported = {link.hardware for link in links}
    # hardware with supporting software first, each group by label
    hardware.sort(key=lambda h: (h not in supported, node_label(G, h, lang).casefold(), h))
    return Candidate(
        vendor=share.vendor,
        label=share.label,
        share=share.share,
        renormalised=share.renormalised,
        hardware=tuple(hardware),
        hardware_labels=tuple(node_label(G, h, lang) for h in hardware),
        supported_by=tuple(links),  # matrix order: frameworks first
    )


def _market_without(
    G: nx.MultiDiGraph, before: Concentration, vendor: str, matrix, removed: set[str], lang: str
) -> MarketWithout:
    remaining = _renormalise(before, vendor)
    values = [s.renormalised for s in remaining]
    removed_share = next((s.share for s in before.shares if s.vendor == vendor), Decimal(0))
    leader = remaining[0] if remaining else None
    return MarketWithout(
        before=before,
        removed_share=removed_share,
        remaining=tuple(remaining),
        hhi_after=hhi(values) if remaining else None,
        cr1_after=concentration_ratio(values, 1) if remaining else None,
        cr4_after=concentration_ratio(values, 4) if remaining else None,
        leader_after=leader.vendor if leader else None,
        leader_after_label=leader.label if leader else None,
        candidates=tuple(_candidate(G, s, matrix, removed, lang) for s in remaining),
    )


def _vendor_markets(G: nx.MultiDiGraph, vendor: str) -> list[tuple[str, str]]:
    pairs = {
        (market, data.get("period") or "")
        for _v, market, data in G.out_edges(vendor, data=True)
        if data.get("kind") == OBSERVATION
        and data.get("predicate") == "aichip:MarketShareObservation"
        and data.get("rank") != "aichip:Deprecated"
    }
    return sorted(pairs)


def _disconnected(G: nx.MultiDiGraph, vendor: str, removed: set[str], lang: str):
    before = simple_view(G)
    component = nx.node_connected_component(before, vendor)
    after = before.subgraph(component - removed)
    pieces = sorted(nx.connected_components(after), key=lambda c: (-len(c), min(c)))
    return tuple(
        Component(
            nodes=tuple(sorted(piece)),
            labels=tuple(node_label(G, n, lang) for n in sorted(piece)),
        )
        for piece in pieces[1:]
    )


def whatif(
    G: nx.MultiDiGraph,
    vendor: str,
    *,
    market: str | None = None,
    period: str | None = None,
    lang: str = "en",
) -> WhatIfResult:
    """The market(s) and ecosystem of ``G`` without ``vendor`` (a node CURIE).

    Without ``market``, every market and period in which the vendor has a share figure is
    analysed; one that cannot be (conflicting figures) is listed in ``skipped``. With ``market``
    the vendor must have a share there, and conflicts raise.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> gone = whatif(G, "kg:nvidia", market="kg:market-china-ai-accelerator-cards", period="2022")
    >>> gone.markets[0].leader_after
    'kg:huawei'
    """
    removed_nodes = removal_set(G, vendor)
    removed = set(removed_nodes)
    staying = _products_and_kept(G, _organisations(G, vendor), lang)[1]
    pairs = _vendor_markets(G, vendor)
    if market is not None:
        pairs = [(m, p) for m, p in pairs if m == market]
        if not pairs:
            periods = share_periods(G, market)
            raise InputError(
                f"{node_label(G, vendor)} has no share figure in {market}"
                + (f" (periods with shares: {', '.join(periods)})" if periods else "")
            )
    if period is not None:
        pairs = [(m, p) for m, p in pairs if p == str(period)]
        if not pairs:
            raise InputError(f"{node_label(G, vendor)} has no share figure for {period}")
    after = support_matrix(G, removed=removed, lang=lang)
    markets: list[MarketWithout] = []
    skipped: list[str] = []
    for market_node, market_period in pairs:
        try:
            before = concentration(G, market_node, market_period, lang=lang)
        except KGError as exc:
            if market is not None:
                raise
            skipped.append(f"{market_node} {market_period}: {exc}")
            continue
        markets.append(_market_without(G, before, vendor, after, removed, lang))

    full = support_matrix(G, lang=lang)
    reach_before: dict[str, set[str]] = {}
    for cell in full.cells:
        reach_before.setdefault(cell.software, set()).add(cell.hardware)
    reach_after: dict[str, set[str]] = {}
    for cell in after.cells:
        reach_after.setdefault(cell.software, set()).add(cell.hardware)
    stack = stack_graph(G)
    stranded, affected = [], []
    for software in sorted(n for n in stack if is_software(G, n) and n not in removed):
        kept = reach_after.get(software, set())
        lost = reach_before.get(software, set()) - kept
        layers = sorted(n for n in stack.successors(software) if n in removed and is_software(G, n))
        if not lost and not layers:
            continue
        impact = SoftwareImpact(
            software=software,
            label=node_label(G, software, lang),
            cls=G.nodes[software].get("class"),
            lost=tuple(sorted(lost)),
            lost_layers=tuple(layers),
            kept=tuple(sorted(kept)),
        )
        (stranded if lost and not kept else affected).append(impact)
    return WhatIfResult(
        vendor=vendor,
        vendor_label=node_label(G, vendor, lang),
        removed=removed_nodes,
        removed_software=tuple(n for n in removed_nodes if is_software(G, n)),
        removed_hardware=tuple(n for n in removed_nodes if is_hardware(G, n)),
        markets=tuple(markets),
        skipped=tuple(skipped),
        stranded=tuple(stranded),
        affected=tuple(affected),
        disconnected=_disconnected(G, vendor, removed, lang),
        kept=tuple(staying),
    )
