"""What the viewer draws by default: catalogue-only entities, the bibliography, chip groups.

A knowledge graph drawn whole is unreadable: the Epoch hardware catalogue brings a hundred SKUs
that say nothing but "designed by NVIDIA, made by TSMC", and hundreds of sources hang off their
publishers. This module marks those so the page can hide or fold them:

* **catalogue-only** entities: every claim about them (as subject or object of a statement, or
  as an observation's vendor or market) comes from the Epoch dataset alone;
* **reference** entities: sources, the publishers only sources link to, and membership roles —
  the bibliography and vocabulary behind the claims rather than the ecosystem itself;
* **chip groups**: a chip's SKUs and variants fold into their chip family (``aichip:inFamily``,
  else the chip they are variants of, followed to the root), and a maker's other chips that
  take part in nothing but their specifications fold into one group per maker.

Everything is computed in sorted order, so the page is the same for the same facts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import PROV

from kg.export.entity_graph import curie
from kg.ns import AICHIP

__all__ = [
    "CATALOGUE_SOURCE",
    "GROUP_PREFIX",
    "ChipGroup",
    "Scene",
    "catalogue_only",
    "chip_groups",
    "reference_entities",
    "scene",
]

#: The dataset whose entities are a catalogue: hidden unless asked for.
CATALOGUE_SOURCE = "kg:src-epoch-ml-hardware"
#: Ids of synthetic group nodes (one per maker) start with this; CURIEs never do.
GROUP_PREFIX = "group:"
#: A maker's loose chips are folded only when there are at least this many.
_MIN_MAKER_GROUP = 3

# Links that only describe a chip's make-up; a chip with any other link (a rule restricting it,
# software supporting it) takes part in the story and stays out of its maker's group.
_SPEC_PREDICATES = frozenset(
    {
        "aichip:designedBy",
        "aichip:fabricatedBy",
        "aichip:inFamily",
        "aichip:variantOf",
        "aichip:basedOnArchitecture",
        "aichip:memorySuppliedBy",
        "aichip:packagedWith",
        "aichip:successorOf",
    }
)


@dataclass(frozen=True)
class ChipGroup:
    """Chips drawn as one node until expanded."""

    id: str  # the family's or root chip's CURIE, or GROUP_PREFIX + maker CURIE
    members: tuple[str, ...]
    maker: str | None  # CURIE of the designer of a synthetic group
    synthetic: bool  # True when no entity stands for the group


@dataclass(frozen=True)
class Scene:
    """Flags and groups for the entities of one entity graph."""

    catalogue: frozenset[str]
    reference: frozenset[str]
    groups: tuple[ChipGroup, ...]

    def group_of(self) -> dict[str, str]:
        """Member CURIE -> group id."""
        return {m: g.id for g in self.groups for m in g.members}


def _classes_under(graph: Graph, root: URIRef) -> set[str]:
    return {curie(c) for c in graph.transitive_subjects(RDFS.subClassOf, root)}


def catalogue_only(graph: Graph, entities: set[str]) -> set[str]:
    """Entities all of whose claims derive from :data:`CATALOGUE_SOURCE` alone."""
    sources: dict[str, set[str]] = defaultdict(set)
    for statement in graph.subjects(RDF.type, AICHIP.Statement):
        refs = {curie(r) for r in graph.objects(statement, PROV.wasDerivedFrom)} or {"?"}
        for term in (graph.value(statement, RDF.subject), graph.value(statement, RDF.object)):
            if isinstance(term, URIRef):
                key = curie(term)
                if key in entities:
                    sources[key] |= refs
    for cls in graph.transitive_subjects(RDFS.subClassOf, AICHIP.Observation):
        for obs in graph.subjects(RDF.type, cls):
            refs = {curie(r) for r in graph.objects(obs, PROV.wasDerivedFrom)} or {"?"}
            for term in (graph.value(obs, AICHIP.vendor), graph.value(obs, AICHIP.market)):
                if isinstance(term, URIRef) and curie(term) in entities:
                    sources[curie(term)] |= refs
    return {key for key, refs in sources.items() if refs == {CATALOGUE_SOURCE}}


def reference_entities(graph: Graph, G: nx.MultiDiGraph) -> set[str]:
    """Sources, entities linked to sources only (their publishers), and membership roles."""
    source_classes = _classes_under(graph, AICHIP.Source)
    outlet_classes = _classes_under(graph, AICHIP.NewsOutlet)
    sources = {n for n, cls in G.nodes(data="class") if cls in source_classes}
    found = set(sources)
    for node, cls in G.nodes(data="class"):
        if node in found:
            continue
        neighbours = set(G.predecessors(node)) | set(G.successors(node))
        publisher_only = bool(neighbours) and neighbours <= sources
        unlinked_outlet = not neighbours and cls in outlet_classes
        if cls == "org:Role" or publisher_only or unlinked_outlet:
            found.add(node)
    return found


def chip_groups(graph: Graph, G: nx.MultiDiGraph) -> list[ChipGroup]:
    """Chip families with their SKUs and variants, and each maker's loose spec-only chips."""
    chip_classes = _classes_under(graph, AICHIP.Chip) - _classes_under(graph, AICHIP.ChipFamily)
    chips = sorted(n for n, cls in G.nodes(data="class") if cls in chip_classes)

    def targets(node: str, predicate: str) -> list[str]:
        return sorted(v for _, v, k in G.out_edges(node, keys=True) if k == predicate)

    def parent(node: str) -> str | None:
        found = targets(node, "aichip:inFamily") or targets(node, "aichip:variantOf")
        return found[0] if found else None

    members: dict[str, list[str]] = defaultdict(list)
    loose: dict[str, list[str]] = defaultdict(list)
    for chip in chips:
        root, seen = chip, {chip}
        while (up := parent(root)) is not None and up not in seen:
            seen.add(up)
            root = up
        if root != chip:
            members[root].append(chip)
            continue
        links = {k for _, _, k in G.out_edges(chip, keys=True)}
        links |= {k for _, _, k in G.in_edges(chip, keys=True)}
        makers = targets(chip, "aichip:designedBy")
        if makers and links <= _SPEC_PREDICATES:
            loose[makers[0]].append(chip)
    groups = [
        ChipGroup(id=root, members=tuple(sorted(found)), maker=None, synthetic=False)
        for root, found in sorted(members.items())
    ]
    grouped = set(members)
    for maker, found in sorted(loose.items()):
        kept = [c for c in found if c not in grouped]
        if len(kept) >= _MIN_MAKER_GROUP:
            groups.append(
                ChipGroup(id=GROUP_PREFIX + maker, members=tuple(kept), maker=maker, synthetic=True)
            )
    return groups


def scene(graph: Graph, G: nx.MultiDiGraph) -> Scene:
    """The flags and groups of the entity graph ``G`` (built from ``graph``)."""
    return Scene(
        catalogue=frozenset(catalogue_only(graph, set(G))),
        reference=frozenset(reference_entities(graph, G)),
        groups=tuple(chip_groups(graph, G)),
    )
