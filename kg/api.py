"""The Python API: ``kg.open()`` and the :class:`Graph` it returns, for notebooks and scripts.

A :class:`Graph` wraps the store of the engine seam (:func:`kg.store.open_graph`), so Python
callers get the same answers as ``kg query``: pyoxigraph over the cached curated graph by
default, ``store="memory"`` for rdflib, ``store="oxigraph:PATH"`` for a loaded store.

>>> import kg
>>> g = kg.open()
>>> rows = g.query("SELECT ?m WHERE { ?m org:memberOf kg:pytorch-foundation }")
>>> "https://w3id.org/aichip-kg/id/huawei" in {str(m) for (m,) in rows.rows}
True
>>> g.query("SELECT ?label WHERE { ?e rdfs:label ?label } ", e="kg:huawei").to_dicts()[0]
{'label': 'Huawei'}
>>> g.ask("cq05", year=2022).variables[:2]
('vendor', 'vendorLabel')
>>> g.concentration("market-china-ai-accelerator-cards", "2022").hhi
Decimal('7331')
>>> g.close()
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.project import Project, default_project
from kg.sparql.terms import PREFIXES, quote

__all__ = ["Graph", "Viewer", "open_graph_api", "sparql_term"]


def sparql_term(value: Any) -> str:
    """A Python value as a SPARQL term: CURIEs (``kg:huawei``) and ``<IRIs>`` as they are,
    ``http(s)://…`` strings as IRIs, numbers, booleans and dates as typed literals, other
    strings as plain literals; rdflib terms by their N-Triples form.

    >>> [sparql_term(v) for v in ("kg:huawei", "Huawei", 2022, 1.5, True)]
    ['kg:huawei', '"Huawei"', '2022', '"1.5"^^<http://www.w3.org/2001/XMLSchema#double>', 'true']
    """
    if hasattr(value, "n3") and type(value).__module__.startswith("rdflib"):
        from kg.sparql.terms import ntriples

        return ntriples(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        kind = "double" if isinstance(value, float) else "decimal"
        return f'"{value}"^^<{PREFIXES["xsd"]}{kind}>'
    if isinstance(value, datetime.date):
        return f'"{value.isoformat()}"^^<{PREFIXES["xsd"]}date>'
    text = str(value)
    if text.startswith("<") and text.endswith(">"):
        return text
    if text.startswith(("http://", "https://")):
        return f"<{text}>"
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and " " not in local:
        return text
    return quote(text)


def _bind(text: str, params: dict[str, Any]) -> str:
    """``text`` with a trailing ``VALUES`` clause binding ``params`` (SPARQL allows one after
    the solution modifiers; it joins the whole query's solutions)."""
    if not params:
        return text
    names = " ".join(f"?{name}" for name in params)
    values = " ".join(sparql_term(value) for value in params.values())
    return f"{text}\nVALUES ({names}) {{ ({values}) }}"


class Viewer:
    """An HTML viewer page: shows inline in Jupyter, ``save(path)`` writes it."""

    def __init__(self, html: str, nodes: int, edges: int) -> None:
        self.html = html
        self.nodes = nodes
        self.edges = edges

    def save(self, path: str | Path) -> Path:
        from kg.write import write_text_atomic

        write_text_atomic(Path(path), self.html)
        return Path(path)

    def _repr_html_(self) -> str:
        from html import escape

        # Sandboxed frame: the page's own scripts run, nothing reaches the notebook.
        return (
            f'<iframe srcdoc="{escape(self.html, quote=True)}" sandbox="allow-scripts" '
            'style="width:100%;height:640px;border:0"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<Viewer {self.nodes} entities, {self.edges} links>"


class Graph:
    """The project's graph for Python callers; see the module doc. Close it, or use ``with``."""

    def __init__(self, store: Any, project: Project) -> None:
        self.store = store
        self.project = project
        self._rdflib: Any = None
        self._analytics: Any = None

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.store)

    def __repr__(self) -> str:
        return f"<kg.Graph {self.project.root} on {self.store.spec}>"

    # -- reading -----------------------------------------------------------------------------

    def query(self, sparql: str, **params: Any):
        """Run ``sparql`` (project prefixes pre-declared); ``params`` bind variables by name.
        Returns a :class:`kg.sparql.results.Result` (``.rows``, ``.to_dicts()``,
        ``.to_dataframe()``, ``.serialize(fmt)``)."""
        return self.store.query(_bind(sparql, params), source="query")

    def ask(self, name: str, **params: Any):
        """Run the competency question ``name`` (``cq05``, ``china-2022-shares``…) with its
        parameters set by keyword, as ``kg ask NAME --param k=v`` does."""
        from kg.explore.ask import bind, find_query

        named = find_query(name)
        pairs = [(key, str(value)) for key, value in params.items()]
        text = bind(named, pairs, self.store if pairs else None)
        return self.store.query(text, source=named.path.name)

    def rdflib(self):
        """The graph as an rdflib ``Graph`` (the modelling library's terms and API)."""
        if self._rdflib is None:
            self._rdflib = self.store.as_rdflib()
        return self._rdflib

    def show(self, term: str):
        """Everything the graph says about ``term`` (an id, CURIE or any name), with sources."""
        from kg.explore.search import resolve
        from kg.explore.show import describe

        return describe(self.store, resolve(self.store, term, kind="entity"))

    def search(self, text: str, *, limit: int = 20):
        """Entities whose names match ``text`` (any language or script)."""
        from kg.explore.search import search

        return search(self.store, text, limit=limit)

    def viz(
        self,
        *,
        focus: str | None = None,
        depth: int = 1,
        classes: list[str] | None = None,
        view: str | None = None,
        catalogue: bool = False,
    ) -> Viewer:
        """The interactive viewer (``kg viz``), shown inline in Jupyter: the whole graph, an
        entity's neighbourhood (``focus``, ``depth``), some classes, or a preset ``view``
        (``pytorch-foundation``, ``china-accelerators``, ``china-market``,
        ``export-controls``); ``catalogue`` also shows catalogue-only chips."""
        from kg.viz.viewer import render_viewer

        if depth != 1 and focus is None:
            raise InputError("depth needs a focus: viz(focus='huawei', depth=2)")
        page = render_viewer(
            self.rdflib(),
            focus=focus,
            depth=depth,
            classes=classes or [],
            view=view,
            catalogue=catalogue,
        )
        return Viewer(page.html, page.nodes, page.edges)

    # -- analytics ---------------------------------------------------------------------------

    def analytics_graph(self):
        """The networkx graph the analytics run on (:func:`kg.analytics.project`)."""
        if self._analytics is None:
            from kg.analytics import project

            self._analytics = project(self.store)
        return self._analytics

    def _node(self, text: str, **kwargs: Any) -> str:
        from kg.analytics import resolve_node

        return resolve_node(self.rdflib(), self.analytics_graph(), text, **kwargs)

    def concentration(self, market: str, period: str | None = None, *, lang: str = "en"):
        """Shares, CR1/CR4 and HHI of ``market`` (``kg analyze concentration``)."""
        from kg.analytics import concentration

        node = self._node(market, kind="market", cls="aichip:Market")
        return concentration(self.analytics_graph(), node, period, lang=lang)

    def whatif(
        self, vendor: str, *, market: str | None = None, period: str | None = None, lang="en"
    ):
        """The market and the ecosystem without ``vendor`` (``kg analyze whatif``)."""
        from kg.analytics import whatif

        node = self._node(vendor, kind="vendor", cls="aichip:Organization")
        market_node = self._node(market, kind="market", cls="aichip:Market") if market else None
        return whatif(self.analytics_graph(), node, market=market_node, period=period, lang=lang)

    def centrality(self, *, sort: str = "pagerank", top: int | None = 20, lang: str = "en"):
        """Entities ranked by PageRank, degree or betweenness (``kg analyze centrality``)."""
        from kg.analytics import centrality

        return centrality(self.analytics_graph(), sort=sort, top=top, lang=lang)

    def path(self, a: str, b: str, *, lang: str = "en"):
        """The shortest sourced chain of relationships from ``a`` to ``b``, or None."""
        from kg.analytics import shortest_path

        return shortest_path(self.analytics_graph(), self._node(a), self._node(b), lang=lang)


def open_graph_api(
    root: str | Path | None = None, *, store: str | None = None, infer: bool = False
) -> Graph:
    """The graph of the project at ``root`` (default: the current project), on ``store``."""
    from kg.store import open_graph

    project = Project.open(root) if root is not None else default_project()
    return Graph(open_graph(project, store, infer=infer), project)
