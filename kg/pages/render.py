"""HTML for the pages: jinja2 templates (``kg/templates/pages/``) with autoescape on.

Graph text is data, never markup: every label, quote and URL goes through jinja2's escaping,
links to sources are made only for http(s) URLs (:func:`kg.pages.model.safe_url`), and the
pages carry no inline script or style, so the server's Content-Security-Policy
(``script-src 'self'; style-src 'self'``) holds. :class:`Links` is the one place that decides
where an IRI links to: the server's paths (``/id/huawei``) or, for the static site, relative
files (``../id/huawei.html``) that work from ``file://``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from kg.pages.model import EntityPage, Neighbour, Term, TermPage, safe_url
from kg.sparql.terms import PREFIXES

__all__ = ["Links", "Renderer", "neighbourhood_svg"]

_TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "pages"
KG_NS = PREFIXES["kg"]
ONTOLOGY_NS = PREFIXES["aichip"]
LANGUAGE_NAMES = {"en": "English", "zh-Hans": "简体", "zh-Hant": "繁體"}


def _same(curie: str) -> str:
    return curie


@dataclass(frozen=True)
class Links:
    """Where things link: ``static`` pages are files (``.html``) reached by relative paths."""

    static: bool = False
    root: str = "/"  # "/" on the server; "../" or "" (the index) in the static site

    def iri(self, iri: str | None) -> str | None:
        """The page of ``iri``: this site's for entities and ontology terms, else the IRI itself
        when it is http(s); None when it cannot be linked (``javascript:``, ``urn:``…)."""
        if not iri:
            return None
        if iri.startswith(KG_NS):
            return self.entity(iri[len(KG_NS) :])
        if iri.startswith(ONTOLOGY_NS):
            return self.term(iri[len(ONTOLOGY_NS) :])
        return safe_url(iri)

    def curie(self, text: str) -> str | None:
        """The page of a CURIE such as ``aichip:Company`` (or ``<iri>``)."""
        prefix, colon, local = text.partition(":")
        if text.startswith("<") and text.endswith(">"):
            return self.iri(text[1:-1])
        return self.iri(PREFIXES[prefix] + local) if colon and prefix in PREFIXES else None

    def entity(self, slug: str, fmt: str = "") -> str:
        if fmt:
            return f"{self.root}id/{quote(slug)}.{fmt}"
        return f"{self.root}id/{quote(slug)}" + (".html" if self.static else "")

    def term(self, local: str) -> str:
        return f"{self.root}ontology/{quote(local)}" + (".html" if self.static else "")

    def ontology(self) -> str:
        return f"{self.root}ontology" + (".html" if self.static else "")

    def asset(self, name: str) -> str:
        return f"{self.root}static/{name}"

    def home(self) -> str:
        return self.root + ("index.html" if self.static else "")

    def search(self, text: str = "") -> str:
        if self.static:
            return self.home()
        return f"{self.root}search" + (f"?{urlencode({'q': text})}" if text else "")

    def query(self, text: str, view: str = "") -> str | None:
        if self.static:
            return None
        params = {"query": text, **({"view": view} if view else {})}
        return f"{self.root}?{urlencode(params, quote_via=quote)}"

    def viz(self, slug: str) -> str | None:
        return None if self.static else f"{self.root}viz?{urlencode({'focus': slug})}"


# -- the neighbourhood graph -------------------------------------------------------------------

_PALETTE = (
    "#2f6fbf",
    "#c2571a",
    "#2e8540",
    "#8e44ad",
    "#b7950b",
    "#16a085",
    "#c0392b",
    "#566573",
    "#d35486",
    "#6b8e23",
    "#1b4f72",
    "#a0522d",
)


@dataclass(frozen=True)
class SvgNode:
    x: float
    y: float
    term: Term
    label: str
    colour: str
    predicate: str
    outgoing: bool
    anchor: str
    tx: float  # where the node's label goes
    ty: float


@dataclass(frozen=True)
class SvgLabel:
    x: float
    y: float
    text: str


def _short(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def neighbourhood_svg(page: EntityPage, width: int = 700, height: int = 440) -> dict:
    """A radial drawing: the entity in the middle, its neighbours around it, grouped by link
    (one label per run of neighbours linked the same way, so labels do not pile up)."""
    kinds = sorted({n.kind for n in page.neighbours})
    colours = {kind: _PALETTE[i % len(_PALETTE)] for i, kind in enumerate(kinds)}
    cx, cy = width / 2, height / 2
    rx, ry = width / 2 - 180, height / 2 - 45
    count = len(page.neighbours)
    nodes: list[SvgNode] = []
    runs: list[tuple[str, list[float]]] = []
    for index, neighbour in enumerate(page.neighbours):
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        x, y = cx + rx * math.cos(angle), cy + ry * math.sin(angle)
        nodes.append(_node(neighbour, x, y, cx, cy, colours))
        arrow = ("→ " if neighbour.outgoing else "← ") + neighbour.predicate.text
        if runs and runs[-1][0] == arrow:
            runs[-1][1].append(angle)
        else:
            runs.append((arrow, [angle]))
    labels = []
    for number, (text, angles) in enumerate(runs):
        middle = sum(angles) / len(angles)
        # Neighbours alone on their link sit close together: stagger their labels in depth.
        reach = 0.5 if len(angles) > 1 else (0.4, 0.72)[number % 2]
        if len(runs) == 1:
            reach = 0.3
        labels.append(
            SvgLabel(
                x=round(cx + rx * reach * math.cos(middle), 1),
                y=round(cy + ry * reach * math.sin(middle) + 4, 1),
                text=_short(text, 22),
            )
        )
    return {
        "width": width,
        "height": height,
        "cx": cx,
        "cy": cy,
        "nodes": nodes,
        "labels": labels,
        "centre": _short(page.term.text, 28),
        "legend": [(kind or "other", colours[kind]) for kind in kinds],
    }


def _node(n: Neighbour, x: float, y: float, cx: float, cy: float, colours: dict) -> SvgNode:
    if abs(x - cx) < 30:
        anchor, tx, ty = "middle", x, (y - 12 if y < cy else y + 20)
    else:
        anchor, tx, ty = ("start", x + 10, y + 4) if x > cx else ("end", x - 10, y + 4)
    return SvgNode(
        x=round(x, 1),
        y=round(y, 1),
        term=n.node,
        label=_short(n.node.text, 22),
        colour=colours[n.kind],
        predicate=("→ " if n.outgoing else "← ") + n.predicate.text,
        outgoing=n.outgoing,
        anchor=anchor,
        tx=round(tx, 1),
        ty=round(ty, 1),
    )


# -- rendering ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    return env


def _queries(page: EntityPage) -> list[tuple[str, str, str]]:
    """(title, query, view) of the queries a page offers about its entity."""
    e = f"kg:{page.slug}"
    numbers = f"""SELECT ?thing ?thingLabel ?property ?value WHERE {{
  {{ BIND({e} AS ?thing) }} UNION {{ ?thing ?link {e} }} UNION {{ {e} ?link ?thing }}
  ?thing ?property ?value FILTER(isNumeric(?value))
  OPTIONAL {{ ?thing rdfs:label ?thingLabel FILTER(lang(?thingLabel) = "en") }}
}} ORDER BY ?property DESC(?value)"""
    return [
        ("Describe it", f"DESCRIBE {e}", ""),
        ("Its figures and those of its neighbours", numbers, "table"),
    ]


class Renderer:
    """Renders pages with one set of :class:`Links`."""

    def __init__(self, links: Links, *, search: bool = True, title: str = "aichip-kg") -> None:
        self.links = links
        self.search = search  # the static site's box leads to its self-filtering index
        self.title = title

    def _render(self, template: str, **context) -> str:
        # Tables of matches name classes by label when the caller knows the ontology.
        if context.get("class_label") is None:
            context["class_label"] = _same
        return (
            _environment()
            .get_template(template)
            .render(links=self.links, search_box=self.search, site_title=self.title, **context)
        )

    def entity(self, page: EntityPage, *, rdf_links: bool = True) -> str:
        queries = [(title, self.links.query(text, view)) for title, text, view in _queries(page)]
        return self._render(
            "entity.html",
            page=page,
            svg=neighbourhood_svg(page),
            queries=[(t, href) for t, href in queries if href],
            viz=self.links.viz(page.slug),
            rdf_links=rdf_links and not self.links.static,
        )

    def term(self, page: TermPage) -> str:
        usage_query = self.links.query(
            f"SELECT ?s ?o WHERE {{ ?s aichip:{page.local} ?o }} LIMIT 100"
            if page.usage_kind != "instances"
            else f"SELECT ?s ?label WHERE {{ ?s a aichip:{page.local} "
            'OPTIONAL { ?s rdfs:label ?label FILTER(lang(?label) = "en") } } LIMIT 500'
        )
        return self._render("term.html", term=page, usage_query=usage_query)

    def ontology(self, pages: list[TermPage]) -> str:
        return self._render("ontology.html", terms=pages)

    def search_page(
        self, query: str, matches, suggestions, *, error: str = "", class_label=None
    ) -> str:
        return self._render(
            "search.html",
            query=query,
            matches=matches,
            suggestions=suggestions,
            error=error,
            class_label=class_label,
        )

    def index(self, entries) -> str:
        return self._render("index.html", entries=entries)

    def not_found(self, what: str, suggestions, *, class_label=None) -> str:
        return self._render(
            "notfound.html", what=what, suggestions=suggestions, class_label=class_label
        )
