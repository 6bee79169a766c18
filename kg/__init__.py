"""aichip-kg: a sourced knowledge graph of the AI-chip ecosystem.

Start with ``kg.open()``: the project's graph, queried with SPARQL (``g.query``), the competency
questions (``g.ask``), entity descriptions (``g.show``), search (``g.search``), the viewer
(``g.viz``) and the analytics (``g.concentration``, ``g.whatif``…); see ``docs/api.md``.
Subpackages by job: ``facts`` (load, validate, infer, cache), ``store`` (the engines and
``open_graph``), ``sparql`` (query policy, results, terms), ``explore``, ``export``, ``viz``,
``analytics``, ``serve``, ``remote``, ``importers``, and ``cli`` (the commands). Nothing here
prints; errors are :class:`kg.errors.KGError` subclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["__version__", "open"]

if TYPE_CHECKING:
    from kg.api import Graph


def open(root: Any = None, *, store: str | None = None, infer: bool = False) -> Graph:  # noqa: A001
    """The graph of the project at ``root`` (default: the current one) on ``store`` (default:
    pyoxigraph over the cached curated graph; ``"memory"``, ``"oxigraph"``,
    ``"oxigraph:PATH"``); ``infer`` answers over the OWL 2 RL closure. See :mod:`kg.api`."""
    from kg.api import open_graph_api

    return open_graph_api(root, store=store, infer=infer)
