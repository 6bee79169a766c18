"""The interactive HTML viewer: the entity graph as one self-contained, offline, script-safe page.

Built on pyvis: nodes and edges are assembled with :class:`pyvis.network.Network` and drawn by
the vis-network build that pyvis ships, inlined as pyvis does with ``cdn_resources="in_line"``.
The page itself comes from ``kg/templates/viewer.html`` rather than pyvis's template, because
that template links Bootstrap from a CDN whatever ``cdn_resources`` says, and writes the heading,
the select-menu ids and (when any title contains "href") every tooltip into the page unescaped.

Safety does not rest on one mechanism:

* the graph travels as JSON in a ``<script type="application/json">`` block with ``<``, ``>``,
  ``&`` escaped, and the page's script builds every label, tooltip and menu entry with
  ``textContent`` (tooltips are DOM elements, never HTML strings);
* a Content-Security-Policy allows only the page's own two scripts (by SHA-256 hash) and no
  network access at all, so even a missed escape could neither run nor phone home.

What the page draws first is decided in :mod:`kg.viz.scene` (catalogue-only and reference
entities hidden, chip SKUs folded into families) and :mod:`kg.viz.presets` (named views); the
layout of every view is computed here (:mod:`kg.viz.layout`), so physics is off and a page is
the same bytes for the same facts. The page's script names entities where their labels fit.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS, XSD

from kg.errors import InputError, UnknownTermError
from kg.export.build import register
from kg.export.entity_graph import curie, entity_graph, expand_curie
from kg.facts.load import LoadedGraph
from kg.ns import AICHIP
from kg.viz.layout import layout_positions, view_layout
from kg.viz.presets import PRESETS, ViewLink, preset
from kg.viz.scene import GROUP_PREFIX, Scene, scene

__all__ = [
    "DEFAULT_TITLE",
    "LAYOUT_THRESHOLD",
    "Viewer",
    "layout_positions",
    "render_html",
    "render_viewer",
    "select_view",
    "viewer_export",
]

#: Kept for callers: layouts are now always computed in Python (physics is always off).
LAYOUT_THRESHOLD = 300
DEFAULT_TITLE = "AI-chip ecosystem · 人工智能芯片生态"

_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
_MAX_FIGURES = 8
_MAX_SOURCES = 6
_MAX_QUOTE = 280

# (colour, vis-network shape) by class; shapes mark the family, colours the class.
_STYLE: dict[str, tuple[str, str]] = {
    "aichip:Company": ("#4e79a7", "dot"),
    "aichip:Foundation": ("#59a14f", "dot"),
    "aichip:ResearchFirm": ("#9c755f", "dot"),
    "aichip:NewsOutlet": ("#b07aa1", "dot"),
    "aichip:GovernmentAgency": ("#e15759", "dot"),
    "aichip:Organization": ("#76b7b2", "dot"),
    "aichip:Person": ("#f28e2b", "star"),
    "aichip:Country": ("#8cd17d", "triangle"),
    "aichip:City": ("#b6992d", "triangle"),
    "aichip:Place": ("#86bcb6", "triangle"),
    "aichip:Market": ("#ff9da7", "diamond"),
    "aichip:GPU": ("#76b900", "square"),
    "aichip:NPU": ("#c8102e", "square"),
    "aichip:AIAccelerator": ("#d37295", "square"),
    "aichip:CPU": ("#499894", "square"),
    "aichip:Chip": ("#a0cbe8", "square"),
    "aichip:ChipFamily": ("#ffbe7d", "square"),
    "aichip:Architecture": ("#f1ce63", "square"),
    "aichip:Product": ("#d4a6c8", "square"),
    "aichip:SoftwareFramework": ("#ee6a24", "hexagon"),
    "aichip:SoftwarePlatform": ("#2f6b9a", "hexagon"),
    "aichip:Software": ("#9d7660", "hexagon"),
    "aichip:ExportControlRule": ("#bc3c29", "triangleDown"),
    "aichip:ECCN": ("#7a3a2f", "triangleDown"),
    "aichip:EntityListing": ("#e07b91", "triangleDown"),
    "aichip:ExportControl": ("#d95f02", "triangleDown"),
    "org:Role": ("#c7c7c7", "dot"),
}
# Families in legend order, each with the shape of its members and the class that roots it.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("aichip:Organization", "dot"),
    ("aichip:Person", "star"),
    ("aichip:Product", "square"),
    ("aichip:Architecture", "square"),
    ("aichip:Software", "hexagon"),
    ("aichip:Market", "diamond"),
    ("aichip:Place", "triangle"),
    ("aichip:ExportControl", "triangleDown"),
    ("aichip:Source", "dot"),
    ("org:Role", "dot"),
)
_SOURCE_COLOUR = "#bab0ac"
_OTHER = ("#9e9e9e", "dot")
# Colours for classes the table does not know (imported datasets bring their own).
_SPARE_COLOURS = ("#17becf", "#bcbd22", "#7f7f7f", "#8c564b", "#e377c2", "#1f77b4", "#ff7f0e")
_FONT_STACK = (
    'system-ui, "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", '
    '"WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", "Droid Sans Fallback", sans-serif'
)


@dataclass(frozen=True)
class Viewer:
    """A rendered page and what it shows."""

    html: str
    nodes: int
    edges: int
    physics: bool  # False when the layout was computed in Python
    focus: str | None  # CURIE of the focus entity
    classes: tuple[str, ...]  # CURIEs of the classes shown (all present ones when unrestricted)
    views: tuple[str, ...] = ()  # names of the views the page offers
    view: str | None = None  # the view it opens on


# ---------------------------------------------------------------------------------------------
# What to show
# ---------------------------------------------------------------------------------------------


def _normal(text: str) -> str:
    from kg.explore.search import normalize

    return normalize(text)


def _class_names(graph: Graph) -> dict[str, URIRef]:
    """Every way a user may name a class (CURIE, local name, labels), normalised, to its IRI."""
    classes = {c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    classes |= {c for c in graph.subjects(RDF.type, RDFS.Class) if isinstance(c, URIRef)}
    names: dict[str, URIRef] = {}
    for cls in sorted(classes):
        key = curie(cls)
        for name in (key, key.partition(":")[2], str(cls)):
            names.setdefault(_normal(name), cls)
        for label in sorted(graph.objects(cls, RDFS.label)):
            names.setdefault(_normal(str(label)), cls)
    return names


def _resolve_classes(graph: Graph, names: Iterable[str]) -> set[str]:
    """CURIEs of the named classes and all their subclasses; unknown names fail with hints."""
    import difflib

    known = _class_names(graph)
    allowed: set[str] = set()
    for name in names:
        cls = known.get(_normal(name))
        if cls is None:
            pretty = sorted({curie(c).partition(":")[2] for c in known.values()})
            hints = difflib.get_close_matches(name, pretty, n=5, cutoff=0.5)
            if not hints:
                hints = [p for p in pretty if _normal(name) in _normal(p)][:5]
            raise UnknownTermError("class", name, hints)
        allowed |= {curie(c) for c in graph.transitive_subjects(RDFS.subClassOf, cls)}
    return allowed


def _resolve_focus(graph: Graph, G: nx.MultiDiGraph, term: str) -> str:
    from kg.explore.search import resolve

    iri = resolve(graph, term, kind="entity")
    key = curie(iri)
    if key not in G:
        raise UnknownTermError("entity", term, sorted(n for n in G if term.lower() in n)[:5])
    return key


def select_view(
    graph: Graph,
    G: nx.MultiDiGraph,
    *,
    focus: str | None = None,
    depth: int = 1,
    classes: Iterable[str] | None = None,
) -> tuple[nx.MultiDiGraph, str | None]:
    """The part of the entity graph ``G`` to draw, and the focus entity's CURIE.

    ``focus`` keeps the entities within ``depth`` links of it (in either direction);
    ``classes`` then keeps entities of those classes or their subclasses. The neighbourhood is
    taken on the whole graph first, so ``--focus huawei --depth 2 --classes Company`` shows the
    companies two links from Huawei even when the link between passes through a foundation.
    The focus entity is always kept.
    """
    if depth < 0:
        raise InputError(f"depth must be 0 or more, not {depth}")
    view = G
    focus_key = None
    if focus is not None:
        focus_key = _resolve_focus(graph, G, focus)
        view = nx.ego_graph(G, focus_key, radius=depth, undirected=True)
    names = [n for n in (classes or ()) if n.strip()]
    if names:
        allowed = _resolve_classes(graph, names)
        keep = [n for n, cls in view.nodes(data="class") if cls in allowed or n == focus_key]
        view = view.subgraph(keep)
    return view, focus_key


# ---------------------------------------------------------------------------------------------
# Tooltip content: names, key figures and sources from the RDF graph
# ---------------------------------------------------------------------------------------------


def _labels(graph: Graph, term: URIRef) -> dict[str, str]:
    """The smallest ``rdfs:label`` per language tag (lower-cased; "" for untagged)."""
    found: dict[str, str] = {}
    for literal in graph.objects(term, RDFS.label):
        if isinstance(literal, Literal):
            language = (literal.language or "").lower()
            text = str(literal)
            if language not in found or text < found[language]:
                found[language] = text
    return found


def _name(graph: Graph, term: URIRef) -> str:
    labels = _labels(graph, term)
    return labels.get("en") or labels.get("") or next(iter(sorted(labels.values())), curie(term))


def _source_text(graph: Graph, source: URIRef, cache: dict) -> str:
    if source not in cache:
        title = graph.value(source, DCTERMS.title)
        name = _labels(graph, source).get("en") or (str(title) if title else curie(source))
        issued = graph.value(source, DCTERMS.issued)
        publisher = graph.value(source, DCTERMS.publisher)
        extra = [str(issued)] if issued else []
        if isinstance(publisher, URIRef):
            extra.insert(0, _name(graph, publisher))
        cache[source] = f"{name} ({', '.join(extra)})" if extra else name
    return cache[source]


def _number(value: Literal) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if number == number.to_integral_value() and abs(number) >= 10**4:
        return f"{int(number):,}"
    return format(number.normalize(), "f")


@dataclass
class _Notes:
    """What tooltips say beyond names, gathered in one pass over the claims."""

    figures: dict[str, list[tuple]]  # node CURIE -> [(sort key, text)]
    sources: dict[str, set[URIRef]]  # node CURIE -> sources of claims about it
    edge_claims: dict[tuple, list[tuple]]  # (s, p, o) CURIEs -> [(rank, quote, sources)]


_RANKS = {AICHIP.Preferred: 0, AICHIP.Normal: 1, AICHIP.Deprecated: 2}
_RANK_NAMES = {0: "preferred", 1: "", 2: "deprecated"}


def _quote_order(quote) -> tuple:
    """Original-language Chinese quotes first (they are what the claims rest on), then English."""
    preference = {"zh-hant": 0, "zh-hans": 1, "zh": 2}
    return (preference.get((quote.language or "").lower(), 3), quote.language or "", str(quote))


def _gather_notes(graph: Graph, wanted: set[str]) -> _Notes:
    figures: dict[str, list[tuple]] = defaultdict(list)
    sources: dict[str, set[URIRef]] = defaultdict(set)
    edge_claims: dict[tuple, list[tuple]] = defaultdict(list)
    label_cache: dict[URIRef, str] = {}

    def name(term: URIRef) -> str:
        if term not in label_cache:
            label_cache[term] = _name(graph, term)
        return label_cache[term]

    for statement in graph.subjects(RDF.type, AICHIP.Statement):
        s, p, o = (graph.value(statement, t) for t in (RDF.subject, RDF.predicate, RDF.object))
        if s is None or p is None or o is None:
            continue
        s_key, o_key = curie(s), curie(o) if isinstance(o, URIRef) else None
        if s_key not in wanted and o_key not in wanted:
            continue
        rank = _RANKS.get(graph.value(statement, AICHIP.rank), 1)
        refs = set(graph.objects(statement, PROV.wasDerivedFrom))
        for key in (s_key, o_key):
            if key in wanted:
                sources[key] |= refs
        if isinstance(o, Literal) and s_key in wanted and _is_figure(p, o) and rank < 2:
            text = f"{name(p)}: {_number(o) if o.datatype in _NUMERIC else o}"
            figures[s_key].append(((1, rank, text), text))
        elif o_key is not None:
            # A statement may quote its source in several languages; graph.value() would pick
            # one by store order, which varies between runs. Take the first in a fixed order.
            quote = min(graph.objects(statement, AICHIP.quote), key=_quote_order, default=None)
            edge_claims[(s_key, curie(p), o_key)].append((rank, str(quote) if quote else "", refs))

    observation_classes = set(graph.transitive_subjects(RDFS.subClassOf, AICHIP.Observation))
    for cls in sorted(observation_classes):
        for obs in graph.subjects(RDF.type, cls):
            vendor = graph.value(obs, AICHIP.vendor)
            market = graph.value(obs, AICHIP.market)
            keys = [curie(t) for t in (vendor, market) if isinstance(t, URIRef)]
            keys = [k for k in keys if k in wanted]
            if not keys:
                continue
            text, sort_key = _figure_text(graph, obs, cls, vendor, market, name)
            refs = set(graph.objects(obs, PROV.wasDerivedFrom))
            for key in keys:
                figures[key].append((sort_key, text))
                sources[key] |= refs
    return _Notes(figures=figures, sources=sources, edge_claims=edge_claims)


_NUMERIC = frozenset(
    XSD[name]
    for name in ("decimal", "integer", "nonNegativeInteger", "positiveInteger", "int", "long")
)
_NOT_FIGURES = frozenset({RDFS.label, RDFS.comment, SKOS.altLabel, AICHIP.description})


def _is_figure(predicate: URIRef, value: Literal) -> bool:
    """Short literal facts (a date, a count, a node size, a ticker), not prose or names."""
    return predicate not in _NOT_FIGURES and len(str(value)) <= 60


def _figure_text(graph, obs, cls, vendor, market, name) -> tuple[str, tuple]:
    value = graph.value(obs, AICHIP.value)
    unit = graph.value(obs, AICHIP.unit)
    notation = graph.value(unit, SKOS.notation) if unit is not None else None
    period = graph.value(obs, AICHIP.period) or graph.value(obs, AICHIP.year)
    rank = _RANKS.get(graph.value(obs, AICHIP.rank), 1)
    amount = _number(value) if value is not None else "?"
    if notation is not None:
        amount = f"{amount} %" if str(notation) == "%" else f"{amount} {notation}"
    if graph.value(obs, AICHIP.approximate) is not None and str(
        graph.value(obs, AICHIP.approximate)
    ).lower() in ("true", "1"):
        amount = "≈" + amount
    who = name(vendor) if isinstance(vendor, URIRef) else graph.value(obs, AICHIP.vendorGroup)
    parts = [f"{_labels(graph, cls).get('en', curie(cls))}: {amount}"]
    parts += [str(x) for x in (who, name(market) if isinstance(market, URIRef) else None) if x]
    if period is not None:
        parts.append(str(period))
    text = " · ".join(parts)
    if _RANK_NAMES[rank]:
        text += f" [{_RANK_NAMES[rank]}]"
    if graph.value(obs, AICHIP.isForecast) is not None and str(
        graph.value(obs, AICHIP.isForecast)
    ).lower() in ("true", "1"):
        text += " (forecast)"
    return text, (0, rank, "" if period is None else _negate(str(period)), text)


def _negate(text: str) -> str:
    """A sort key putting later periods first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def _class_style(G: nx.MultiDiGraph, graph: Graph) -> dict[str, dict]:
    """Legend entries (colour, shape, en/zh labels, family order) for the classes in ``G``."""
    present = sorted({cls or "" for _, cls in G.nodes(data="class")})
    sources = {curie(c) for c in graph.transitive_subjects(RDFS.subClassOf, AICHIP.Source)}
    families = [
        (
            root,
            shape,
            {curie(c) for c in graph.transitive_subjects(RDFS.subClassOf, expand_curie(root))},
        )
        for root, shape in _FAMILIES
    ]
    spare = iter(_SPARE_COLOURS * (1 + len(present) // len(_SPARE_COLOURS)))
    styles: dict[str, dict] = {}
    for cls in present:
        family = next(
            (i for i, (_r, _s, members) in enumerate(families) if cls in members), len(families)
        )
        if cls in _STYLE:
            colour, shape = _STYLE[cls]
        elif cls in sources:
            colour, shape = _SOURCE_COLOUR, "dot"
        elif family < len(families):
            colour, shape = next(spare), families[family][1]
        else:
            colour, shape = _OTHER if not cls else (next(spare), "dot")
        labels = _labels(graph, expand_curie(cls)) if cls else {}
        en = labels.get("en") or (cls.partition(":")[2] if cls else "other")
        styles[cls] = {
            "id": cls,
            "en": en,
            "zhHans": labels.get("zh-hans", ""),
            "zhHant": labels.get("zh-hant", ""),
            "colour": colour,
            "shape": shape,
            "order": family,
            "minor": cls in sources or cls == "org:Role",
        }
    return styles


def _alt_labels(graph: Graph, term: URIRef) -> list[str]:
    return sorted({str(x) for x in graph.objects(term, SKOS.altLabel)})


def _node_record(graph: Graph, key: str, data: dict, style: dict, notes: _Notes, cache) -> dict:
    iri = URIRef(data.get("iri") or expand_curie(key))
    figures = [text for _, text in sorted(notes.figures.get(key, ()))]
    refs = sorted({_source_text(graph, s, cache) for s in notes.sources.get(key, ())})
    names = [["en", data.get("label") or key]]
    for tag, attr in (("zh-Hans", "label_zh_hans"), ("zh-Hant", "label_zh_hant")):
        if data.get(attr):
            names.append([tag, data[attr]])
    return {
        "id": key,
        "cls": data.get("class") or "",
        "names": names,
        "alt": _alt_labels(graph, iri),
        "figures": figures[:_MAX_FIGURES],
        "moreFigures": max(0, len(figures) - _MAX_FIGURES),
        "sources": refs[:_MAX_SOURCES],
        "moreSources": max(0, len(refs) - _MAX_SOURCES),
        "shape": style["shape"],
        "color": style["colour"],
    }


def _edge_record(graph, G, s, o, key, data, notes, cache, predicate_zh) -> dict:
    claims = sorted(
        notes.edge_claims.get((s, data.get("predicate", key), o), ()), key=lambda c: (c[0], c[1])
    )
    best = [c for c in claims if c[0] == claims[0][0]] if claims else []
    refs = sorted({_source_text(graph, r, cache) for c in best for r in c[2]})
    if not refs and data.get("sources"):
        refs = sorted(_source_text(graph, expand_curie(r), cache) for r in data["sources"].split())
    quote = next((c[1] for c in best if c[1]), "")
    if len(quote) > _MAX_QUOTE:
        quote = quote[: _MAX_QUOTE - 1] + "…"
    return {
        "from": s,
        "to": o,
        "label": data.get("label") or key,
        "predicate": data.get("predicate", key),
        "labelZh": predicate_zh,
        "sources": refs[:_MAX_SOURCES],
        "moreSources": max(0, len(refs) - _MAX_SOURCES),
        "quote": quote,
    }


def _script_json(payload: object) -> str:
    """JSON that cannot end its ``<script>`` element or open markup: <, >, & are \\u-escaped."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    """vis-network's script and stylesheet as pyvis ships them, and the viewer's own script."""
    import pyvis

    lib = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"
    vis_js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    vis_css = (lib / "vis-network.css").read_text(encoding="utf-8")
    app_js = (_TEMPLATES / "viewer.js").read_text(encoding="utf-8")
    for name, text in (("vis-network.min.js", vis_js), ("viewer.js", app_js)):
        if "</script" in text.lower():
            raise RuntimeError(f"{name} contains '</script' and cannot be inlined")
    if "</style" in vis_css.lower():
        raise RuntimeError("vis-network.css contains '</style' and cannot be inlined")
    return vis_js, vis_css, app_js


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


#: Above this many edges arrowheads are not drawn: they are most of a redraw's cost and too
#: small to see at the zoom such a graph opens at (direction stays in labels and tooltips).
ARROW_LIMIT = 3000


def _options(physics: bool, large: bool, arrows: bool = True) -> dict:
    """vis-network options; the font stack falls back to CJK fonts installed locally.

    Positions come from Python, so physics stays off; edges are straight, so a label the page
    puts on one sits at its middle."""
    font = {"face": _FONT_STACK, "size": 14, "strokeWidth": 4, "strokeColor": "#ffffff"}
    return {
        "autoResize": True,
        "layout": {"randomSeed": 7, "improvedLayout": not large},
        "nodes": {"font": font, "size": 14, "borderWidth": 1},
        "edges": {
            "arrows": {"to": {"enabled": arrows, "scaleFactor": 0.4}},
            "color": {"color": "#b8c2cc", "highlight": "#1f2933", "hover": "#3e4c59"},
            "font": {**font, "size": 11, "color": "#3e4c59", "align": "horizontal"},
            "smooth": False,
            "width": 1,
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "hideEdgesOnDrag": False,
            "hideEdgesOnZoom": False,
            "navigationButtons": False,
            "keyboard": False,
        },
        "physics": {
            "enabled": physics,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"springLength": 110, "gravitationalConstant": -60},
            "stabilization": {"enabled": physics, "iterations": 400, "fit": True},
        },
    }


class _IdList(list):
    """pyvis tests membership in its node-id list for every node and edge added (O(n) each,
    a second at 10,000 edges); this list answers from a set and behaves as a list otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self._members: set = set()

    def append(self, item) -> None:
        super().append(item)
        self._members.add(item)

    def __contains__(self, item) -> bool:
        return item in self._members


def render_viewer(
    graph: Graph,
    *,
    focus: str | None = None,
    depth: int = 1,
    classes: Iterable[str] | None = None,
    view: str | None = None,
    catalogue: bool = False,
    title: str = DEFAULT_TITLE,
    layout_threshold: int = LAYOUT_THRESHOLD,
) -> Viewer:
    """Render the viewer page for ``graph`` (ontology + facts + truthy triples); see module doc.

    ``view`` opens the page on a preset view (:data:`kg.viz.presets.PRESETS`); it cannot be
    combined with ``focus`` or ``classes``, which make a page of their own selection.
    ``catalogue`` opens it with catalogue-only entities shown.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup
    from pyvis.network import Network

    class_names = [n for n in (classes or ()) if n.strip()]
    if view is not None:
        preset(view)  # an unknown name fails here, listing the names
        if focus is not None or class_names:
            raise InputError("a preset view cannot be combined with a focus or classes")
    G = entity_graph(graph)
    selection, focus_key = select_view(graph, G, focus=focus, depth=depth, classes=class_names)
    whole = focus is None and not class_names
    flags = scene(graph, G)
    groups = _page_groups(flags, set(selection))
    styles = _class_style(selection, graph)
    notes = _gather_notes(graph, set(selection))
    cache: dict = {}
    predicate_zh: dict[str, str] = {}

    # pyvis assembles the vis-network node and edge records; extra keys ride along as data.
    net = Network(directed=True, cdn_resources="in_line", heading=title)
    net.node_ids = _IdList()
    nodes_extra: dict[str, dict] = {}
    for key in sorted(selection):
        data = selection.nodes[key]
        style_of = styles[data.get("class") or ""]
        record = _node_record(graph, key, data, style_of, notes, cache)
        if style_of["minor"]:
            # Sources and roles are context, not the subject: draw them small.
            record["size"] = 7
        if key in flags.catalogue:
            record["cat"] = 1
        if key in flags.reference:
            record["ref"] = 1
        if key == focus_key:
            record["borderWidth"] = 4
            record["size"] = 22
        shape = record.pop("shape")
        color = record.pop("color")
        net.add_node(key, label=record["names"][0][1], shape=shape, color=color, **record)
    for group_id, members in groups.items():
        for member in members:
            nodes_extra.setdefault(member, {})["grp"] = group_id
        if group_id.startswith(GROUP_PREFIX):
            record = _group_record(graph, group_id, members, selection, styles)
            record["size"] = 20
        else:
            nodes_extra.setdefault(group_id, {})["members"] = list(members)
            continue
        shape, color = record.pop("shape"), record.pop("color")
        net.add_node(record["id"], label=record["names"][0][1], shape=shape, color=color, **record)
    pair_count: dict[tuple, int] = defaultdict(int)
    edge_ids: dict[tuple[str, str, str], str] = {}
    for number, (s, o, key, data) in enumerate(
        sorted(selection.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2])))
    ):
        predicate = data.get("predicate", key)
        if predicate not in predicate_zh:
            labels = _labels(graph, expand_curie(predicate))
            predicate_zh[predicate] = labels.get("zh-hans", "")
        record = _edge_record(
            graph, selection, s, o, key, data, notes, cache, predicate_zh[predicate]
        )
        record["id"] = f"e{number}"
        edge_ids[(s, predicate, o)] = record["id"]
        pair = (min(s, o), max(s, o))
        if pair_count[pair]:
            # Parallel edges would be drawn on top of each other: bend each a little more.
            record["smooth"] = {
                "enabled": True,
                "type": "curvedCW",
                "roundness": 0.2 * pair_count[pair],
            }
        pair_count[pair] += 1
        net.add_edge(record.pop("from"), record.pop("to"), **record)
    nodes, edges, heading, _height, _width, _options_json = net.get_network_data()
    for node in nodes:
        node.pop("label", None)  # the page writes labels itself, by language and zoom
        node.pop("font", None)
        node.update(nodes_extra.get(node["id"], {}))

    legend = sorted(styles.values(), key=lambda s: (s["order"], s["en"].casefold(), s["id"]))
    counts: dict[str, int] = defaultdict(int)
    for _, cls in selection.nodes(data="class"):
        counts[cls or ""] += 1
    for entry in legend:
        entry["count"] = counts[entry["id"]]
    views = _views(graph, G, selection, flags, groups, whole, focus_key, catalogue, edge_ids)
    payload = {
        "title": heading,
        "nodes": nodes,
        "edges": edges,
        "legend": legend,
        "focus": focus_key,
        "views": views,
        "view": view or views[0]["name"],
        "catalogue": catalogue,
        "catalogueSource": "kg:src-epoch-ml-hardware",
        "physics": False,
        "options": _options(physics=False, large=True, arrows=len(edges) <= ARROW_LIMIT),
        "font": _FONT_STACK,
    }
    vis_js, vis_css, app_js = _assets()
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    entity_count = selection.number_of_nodes()
    html = env.get_template("viewer.html").render(
        title=heading,
        # Built from constants and base64 digests only, so it needs no escaping.
        csp=Markup(
            "; ".join(
                [
                    "default-src 'none'",
                    f"script-src {_csp_hash(vis_js)} {_csp_hash(app_js)}",
                    "style-src 'unsafe-inline'",
                    "img-src data:",
                    "font-src 'none'",
                    "connect-src 'none'",
                    "base-uri 'none'",
                    "form-action 'none'",
                ]
            )
        ),
        vis_css=Markup(vis_css),
        vis_js=Markup(vis_js),
        app_js=Markup(app_js),
        data_json=Markup(_script_json(payload)),
        font_stack=Markup(_FONT_STACK),
        node_count=entity_count,
        edge_count=len(edges),
    )
    return Viewer(
        html=html,
        nodes=entity_count,
        edges=len(edges),
        physics=False,
        focus=focus_key,
        classes=tuple(entry["id"] for entry in legend),
        views=tuple(v["name"] for v in views),
        view=payload["view"],
    )


def _page_groups(flags: Scene, selection: set[str]) -> dict[str, tuple[str, ...]]:
    """Group id -> members, for the groups of the page with members in its selection.

    A group whose family or root chip is outside the selection (a focus page) is left out:
    its members are drawn as they are rather than folded into a node the page does not have.
    """
    found = {}
    for group in flags.groups:
        members = tuple(m for m in group.members if m in selection)
        if group.synthetic and len(members) < 2:
            continue
        if not members or (not group.synthetic and group.id not in selection):
            continue
        found[group.id] = members
    return found


def _group_record(
    graph: Graph, group_id: str, members: tuple[str, ...], G: nx.MultiDiGraph, styles: dict
) -> dict:
    """The node of a maker's other chips, which no entity stands for."""
    maker = group_id[len(GROUP_PREFIX) :]
    data = G.nodes[maker] if maker in G else {}
    classes = sorted(G.nodes[m].get("class") or "" for m in members)
    cls = max(sorted(set(classes)), key=classes.count)
    style = styles[cls]
    en = data.get("label") or _name(graph, expand_curie(maker))
    names = [["en", f"{en} chips"]]
    for tag, attr, word in (
        ("zh-Hans", "label_zh_hans", "芯片"),
        ("zh-Hant", "label_zh_hant", "晶片"),
    ):
        if data.get(attr):
            names.append([tag, data[attr] + word])
    return {
        "id": group_id,
        "cls": cls,
        "names": names,
        "alt": [],
        "figures": [],
        "moreFigures": 0,
        "sources": [],
        "moreSources": 0,
        "synthetic": 1,
        "members": list(members),
        "maker": maker,
        "shape": style["shape"],
        "color": style["colour"],
    }


def _views(
    graph: Graph,
    G: nx.MultiDiGraph,
    selection: nx.MultiDiGraph,
    flags: Scene,
    groups: dict[str, tuple[str, ...]],
    whole: bool,
    focus_key: str | None,
    catalogue: bool,
    edge_ids: dict[tuple[str, str, str], str],
) -> list[dict]:
    """The page's views, each with its nodes, its own links and its positions.

    A page of the whole graph has the whole graph and the presets; a page of a focus or of
    some classes has that selection only."""
    labels_of: dict[str, dict[str, str]] = {}
    if whole:
        choices = [("all", "Whole graph", "全图", "every entity", False, set(G), [])]
        for p in PRESETS.values():
            chosen, links = p.select(graph, G)
            choices.append((p.name, p.title, p.title_zh, p.description, p.expand, chosen, links))
            if p.edge_labels is not None:
                wanted = p.edge_labels(graph, G)
                labels_of[p.name] = {
                    edge_ids[key]: text for key, text in wanted.items() if key in edge_ids
                }
    else:
        label, about = "Selection", "the chosen classes"
        if focus_key is not None:
            name = selection.nodes[focus_key].get("label") or focus_key
            label, about = f"Around {name}", f"{name} and what links to it, near and far"
        choices = [("selection", label, "所选", about, False, set(selection), [])]
    member_of = {m: g for g, members in groups.items() for m in members}
    views = []
    for name, title, title_zh, description, expand, chosen, links in choices:
        chosen = set(chosen) & set(selection)
        # A view with a family's chips has the family (or the maker's group) to fold them in.
        chosen |= {member_of[n] for n in chosen if n in member_of}
        folded = {} if expand else {n: member_of[n] for n in chosen if n in member_of}

        def drawn(n: str) -> bool:
            return (catalogue or n not in flags.catalogue) and n not in flags.reference

        shown = {n for n in chosen if not n.startswith(GROUP_PREFIX) and n not in folded}
        shown = {n for n in shown if drawn(n)}
        for group_id, members in groups.items():
            live = any(drawn(m) for m in members if m in chosen)
            if group_id in chosen and not expand and live:
                shown.add(group_id)
        pairs = []
        for u, v in selection.edges():
            if u in chosen and v in chosen:
                pairs.append((folded.get(u, u), folded.get(v, v)))
        pairs += [(link.source, link.target) for link in links]
        hidden: dict[str, set[str]] = defaultdict(set)
        for u, v in selection.edges():
            if u in chosen and v in chosen:
                hidden[u].add(v)
                hidden[v].add(u)
        anchors = {n: g for n, g in member_of.items() if n in chosen and g in chosen}
        if expand:
            anchors = {n: g for n, g in anchors.items() if not drawn(n)}
        for member, group_id in anchors.items():
            hidden[member].add(group_id)
            hidden[group_id].add(member)
        rest = {n: hidden.get(n, set()) for n in chosen if n not in shown}
        positions = view_layout(shown, pairs, rest, anchors)
        views.append(
            {
                "name": name,
                "title": title,
                "titleZh": title_zh,
                "description": description,
                "expand": expand,
                "nodes": None if chosen >= set(selection) else sorted(chosen),
                "pos": {n: list(xy) for n, xy in positions.items()},
                "links": [_view_link(name, i, link) for i, link in enumerate(links)],
                "edgeLabels": labels_of.get(name, {}),
            }
        )
    return views


def _view_link(view: str, number: int, link: ViewLink) -> dict:
    return {
        "id": f"{view}:{number}",
        "from": link.source,
        "to": link.target,
        "label": link.label,
        "details": list(link.details),
    }


def render_html(
    graph: Graph,
    *,
    focus: str | None = None,
    depth: int = 1,
    classes: Iterable[str] | None = None,
    view: str | None = None,
    catalogue: bool = False,
    title: str = DEFAULT_TITLE,
) -> str:
    """The viewer page for ``graph`` as a string (same graph and arguments, same bytes)."""
    return render_viewer(
        graph,
        focus=focus,
        depth=depth,
        classes=classes,
        view=view,
        catalogue=catalogue,
        title=title,
    ).html


def viewer_export(loaded: LoadedGraph) -> bytes:
    """``exports/graph.html``: the whole graph."""
    return render_html(loaded.graph).encode("utf-8")


register("graph.html", viewer_export)
