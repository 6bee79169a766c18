"""What the user typed → a node of the analytics graph, or a class to filter by.

Entities are resolved by :func:`kg.explore.search.resolve` (CURIE, slug, or any label in any
script); this module only adds the checks analytics needs: that the entity is a node of the
analytics graph (not a source or a claim) and, where asked, of the right class.
"""

from __future__ import annotations

import networkx as nx
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import OWL

from kg.analytics.projection import has_class
from kg.errors import InputError, UnknownTermError
from kg.explore.search import normalize
from kg.explore.search import resolve as resolve_term
from kg.export.entity_graph import curie

__all__ = ["resolve_class", "resolve_node"]


def resolve_node(
    graph: Graph, G: nx.MultiDiGraph, text: str, *, kind: str = "entity", cls: str | None = None
) -> str:
    """The CURIE of the node of ``G`` that ``text`` names (an instance of ``cls`` if given).

    Raises ``UnknownTermError`` (with near misses) or ``InputError`` (exit 2).

    >>> import kg
    >>> g = kg.open()
    >>> resolve_node(g.rdflib(), g.analytics_graph(), "华为")
    'kg:huawei'
    """

    # "Did you mean" names only what this command takes: asked for a vendor, the chip H100
    # one letter away is no help.
    def takes(node: str) -> bool:
        return node in G and (cls is None or has_class(G, node, cls))

    node = curie(resolve_term(graph, text, kind=kind, offer=takes))
    if node not in G:
        raise InputError(f"{text!r} ({node}) is not an entity the analytics graph covers")
    if cls is not None and not has_class(G, node, cls):
        what = G.nodes[node].get("class") or "untyped"
        raise InputError(f"{text!r} ({node}, {what}) is not a {kind}; expected a {cls}")
    return node


def resolve_class(graph: Graph, text: str) -> str:
    """The CURIE of the ontology class ``text`` names: a CURIE, a local name or a label.

    >>> import kg
    >>> resolve_class(kg.open().rdflib(), "gpu")
    'aichip:GPU'
    """
    wanted = normalize(text.removeprefix("aichip:"))
    classes = sorted(
        {c for kind in (OWL.Class, RDFS.Class) for c in graph.subjects(RDF.type, kind)},
        key=curie,
    )
    names: dict[str, set[str]] = {}
    for cls in classes:
        if not isinstance(cls, URIRef):
            continue
        key = curie(cls)
        for name in [key, key.partition(":")[2], *map(str, graph.objects(cls, RDFS.label))]:
            names.setdefault(normalize(name), set()).add(key)
    if text in names.get(normalize(text), set()):
        return text
    found = sorted(names.get(wanted, set()))
    aichip = [c for c in found if c.startswith("aichip:")]
    if len(aichip) == 1 or len(found) == 1:
        return (aichip or found)[0]
    if found:
        raise InputError(f"class {text!r} is ambiguous: {', '.join(found)}; give the CURIE")
    within = sorted({c for name, cs in names.items() if wanted and wanted in name for c in cs})
    if len(within) == 1:
        return within[0]  # "framework" for aichip:SoftwareFramework
    import difflib

    close = difflib.get_close_matches(wanted, list(names), n=5, cutoff=0.6)
    raise UnknownTermError("class", text, sorted({c for n in close for c in names[n]})[:5])
