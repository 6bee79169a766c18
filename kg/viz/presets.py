"""Preset views: named questions an analyst asks of the graph, each a set of entities to draw.

A preset picks its entities from the entity graph by role rather than by a hand-kept list, so
a new member of the PyTorch Foundation or a new rule appears in its view by itself. A view may
add links of its own (the market shares, which are observations rather than relationships).
A view may also label some of the links it draws (a member's role in the foundation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from kg.errors import InputError
from kg.export.entity_graph import curie
from kg.ns import AICHIP

__all__ = ["PRESETS", "Preset", "ViewLink", "preset", "preset_names"]


@dataclass(frozen=True)
class ViewLink:
    """A link drawn only in one view (e.g. a vendor's market share)."""

    source: str
    target: str
    label: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    title_zh: str
    description: str
    expand: bool  # draw every chip rather than folding SKUs into families
    select: Callable[[Graph, nx.MultiDiGraph], tuple[set[str], list[ViewLink]]] = field(repr=False)
    #: (subject, predicate, object) CURIEs -> the label the view puts on that link
    edge_labels: Callable[[Graph, nx.MultiDiGraph], dict[tuple[str, str, str], str]] | None = field(
        default=None, repr=False
    )


def _neighbours(G: nx.MultiDiGraph, node: str, predicates: set[str] | None = None) -> set[str]:
    found = set()
    for u, _, k in G.in_edges(node, keys=True):
        if predicates is None or k in predicates:
            found.add(u)
    for _, v, k in G.out_edges(node, keys=True):
        if predicates is None or k in predicates:
            found.add(v)
    return found


def _classes(graph: Graph, root: URIRef) -> set[str]:
    return {curie(c) for c in graph.transitive_subjects(RDFS.subClassOf, root)}


def _of_class(G: nx.MultiDiGraph, classes: set[str]) -> set[str]:
    return {n for n, cls in G.nodes(data="class") if cls in classes}


def _pytorch_foundation(graph: Graph, G: nx.MultiDiGraph) -> tuple[set[str], list[ViewLink]]:
    foundation = "kg:pytorch-foundation"
    if foundation not in G:
        return set(), []
    members = {u for u, _, k in G.in_edges(foundation, keys=True) if k == "org:memberOf"}
    return {foundation} | members | _neighbours(G, foundation), []


def _membership_roles(graph: Graph, G: nx.MultiDiGraph) -> dict[tuple[str, str, str], str]:
    """Each member's role (premier, general, associate…) on its link to the foundation."""
    org = "http://www.w3.org/ns/org#"
    roles: dict[tuple[str, str, str], set[str]] = {}
    for statement in graph.subjects(RDF.predicate, URIRef(org + "memberOf")):
        member = graph.value(statement, RDF.subject)
        target = graph.value(statement, RDF.object)
        role = graph.value(statement, URIRef(org + "role"))
        if None in (member, target, role) or curie(target) != "kg:pytorch-foundation":
            continue
        name = next(
            (str(x) for x in sorted(graph.objects(role, RDFS.label)) if x.language == "en"),
            curie(role),
        )
        roles.setdefault((curie(member), "org:memberOf", curie(target)), set()).add(
            name.removesuffix(" member")
        )
    return {key: " / ".join(sorted(found)) for key, found in sorted(roles.items())}


def _chinese(G: nx.MultiDiGraph, node: str) -> bool:
    """In China: its country is China, or its headquarters city is in China."""
    for _, place, k in G.out_edges(node, keys=True):
        if k == "aichip:country" and place == "kg:china":
            return True
        if k == "aichip:headquarters" and "kg:china" in {
            v for _, v, kk in G.out_edges(place, keys=True) if kk == "aichip:country"
        }:
            return True
    return False


def _china_accelerators(graph: Graph, G: nx.MultiDiGraph) -> tuple[set[str], list[ViewLink]]:
    chips = _classes(graph, AICHIP.Chip) - _classes(graph, AICHIP.CPU)
    chips |= _classes(graph, AICHIP.ChipFamily)
    software = _classes(graph, AICHIP.Software)
    designed: dict[str, set[str]] = {}
    for u, v, k in G.edges(keys=True):
        if k == "aichip:designedBy" and G.nodes[u]["class"] in chips:
            designed.setdefault(v, set()).add(u)
    makers = {m for m in designed if _chinese(G, m)}
    keep = set(makers)
    for maker in makers:
        keep |= designed[maker]
        keep |= {
            u
            for u, _, k in G.in_edges(maker, keys=True)
            if k == "aichip:developedBy" and G.nodes[u]["class"] in software
        }
    # Families and variants of the makers' chips, and the software that supports them.
    for node in list(keep):
        for u, _, k in G.in_edges(node, keys=True):
            if k in ("aichip:inFamily", "aichip:variantOf"):
                keep.add(u)
    for node in list(keep):
        for u, _, k in G.in_edges(node, keys=True):
            if k == "aichip:supports" and G.nodes[u]["class"] in software:
                keep.add(u)
    return keep, []


def _china_market(graph: Graph, G: nx.MultiDiGraph) -> tuple[set[str], list[ViewLink]]:
    markets = {
        n
        for n in _of_class(G, _classes(graph, AICHIP.Market))
        if "kg:china" in _neighbours(G, n, {"aichip:region"})
    }
    figures: dict[tuple[str, str], list[tuple]] = {}
    share_classes = {
        c
        for c in graph.transitive_subjects(RDFS.subClassOf, AICHIP.Observation)
        if "Share" in str(c) or "Shipment" in str(c)
    }
    for cls in sorted(share_classes):
        for obs in graph.subjects(RDF.type, cls):
            vendor, market = graph.value(obs, AICHIP.vendor), graph.value(obs, AICHIP.market)
            if not isinstance(vendor, URIRef) or not isinstance(market, URIRef):
                continue
            v, m = curie(vendor), curie(market)
            if v not in G or m not in markets:
                continue
            figures.setdefault((v, m), []).append(_figure(graph, obs))
    links = []
    for (v, m), found in sorted(figures.items()):
        found.sort()
        links.append(ViewLink(v, m, found[0][3], tuple(f[4] for f in found)))
    keep = set(markets) | {link.source for link in links}
    keep |= {n for m in markets for n in _neighbours(G, m, {"aichip:subMarketOf"})}
    keep |= {u for m in markets for u, _, k in G.in_edges(m, keys=True) if k == "aichip:competesIn"}
    if markets:
        keep.add("kg:china")
    return keep, links


def _figure(graph: Graph, obs: URIRef) -> tuple:
    """(rank, later first, …, short label, long text) for one observation."""
    ranks = {AICHIP.Preferred: 0, AICHIP.Normal: 1, AICHIP.Deprecated: 2}
    value = graph.value(obs, AICHIP.value)
    unit = graph.value(obs, AICHIP.unit)
    notation = str(graph.value(unit, SKOS.notation) or "") if unit is not None else ""
    period = str(graph.value(obs, AICHIP.period) or graph.value(obs, AICHIP.year) or "")
    amount = str(value.toPython()) if isinstance(value, Literal) else "?"
    amount = f"{amount} %" if notation == "%" else f"{amount} {notation}".strip()
    kind = next(
        (
            str(label)
            for t in sorted(graph.objects(obs, RDF.type))
            for label in graph.objects(t, RDFS.label)
            if getattr(label, "language", None) == "en"
        ),
        "figure",
    )
    short = f"{amount} ({period})" if period else amount
    rank = ranks.get(graph.value(obs, AICHIP.rank), 1)
    latest = "".join(chr(0x10FFFF - ord(c)) for c in period)
    return (rank, latest, kind, short, f"{kind}: {short}")


def _export_controls(graph: Graph, G: nx.MultiDiGraph) -> tuple[set[str], list[ViewLink]]:
    rules = _of_class(G, _classes(graph, AICHIP.ExportControl))
    rules |= _of_class(G, _classes(graph, AICHIP.ExportControlRule))
    rules |= _of_class(G, _classes(graph, AICHIP.EntityListing))
    rules |= _of_class(G, _classes(graph, AICHIP.ECCN))
    keep = set(rules)
    for rule in rules:
        keep |= _neighbours(G, rule)
    return keep, []


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "pytorch-foundation",
            "PyTorch Foundation",
            "PyTorch 基金会",
            "the foundation, its members (with their roles) and the projects it governs",
            False,
            _pytorch_foundation,
            _membership_roles,
        ),
        Preset(
            "china-accelerators",
            "Chinese AI accelerators",
            "中国AI加速器",
            "Chinese accelerator makers, their chips and software",
            False,
            _china_accelerators,
        ),
        Preset(
            "china-market",
            "China market shares",
            "中国市场份额",
            "the China markets and the vendors' shares in them",
            False,
            _china_market,
        ),
        Preset(
            "export-controls",
            "Export controls",
            "出口管制",
            "rules, listings and ECCNs, and the chips, companies and countries they hit",
            True,
            _export_controls,
        ),
    )
}


def preset_names() -> list[str]:
    return list(PRESETS)


def preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name is an :class:`InputError` listing them."""
    if name not in PRESETS:
        raise InputError(f"unknown view {name!r}; views: {', '.join(PRESETS)}")
    return PRESETS[name]
