"""rdflib's in-memory store: ``--store memory``, and the reference for answers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from rdflib import Graph

from kg.errors import InputError, QueryError
from kg.project import Project
from kg.sparql.policy import (
    QUERY_BASE,
    CheckedQuery,
    check_query,
    column_order,
    engine_error,
)
from kg.sparql.results import Result
from kg.sparql.terms import PREFIXES
from kg.store.base import RDF_FORMATS, Store, ox_format
from kg.store.convert import term_from_ox, term_to_ox, triple_from_ox
from kg.store.spec import StoreSpec

__all__ = ["MemoryStore", "rdflib_answer", "rdflib_query"]


def _bound(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


class MemoryStore(Store):
    """rdflib's in-memory store: the project's default, and the reference for answers."""

    def __init__(self, graph: Graph | None = None) -> None:
        self.spec = StoreSpec("memory")
        self.graph = graph if graph is not None else _bound(Graph())
        self._named: Any = None  # an rdflib Dataset for N-Quads/TriG graphs, made on demand

    def __len__(self) -> int:
        return len(self.graph)

    def use_curated(self, project: Project, *, use_cache: bool = True, infer: bool = False) -> bool:
        from kg.facts.cache import cached_graph

        curated = cached_graph(project, use_cache=use_cache, infer=infer)
        if len(self.graph) == 0:
            self.graph = curated  # no copy: the common case of the default store
        else:
            self.add_graph(curated)
        return True

    def add_graph(self, graph: Graph) -> int:
        add = self.graph.add
        count = 0
        for triple in graph:
            add(triple)
            count += 1
        return count

    def load_rdf(self, data, fmt, *, base_iri=None, bulk=True) -> None:
        try:
            import pyoxigraph as ox
        except ImportError:  # rdflib's own parsers: slower, same triples
            self._load_with_rdflib(data, fmt, base_iri)
            return
        kwargs: dict[str, Any] = {"format": ox_format(fmt), "base_iri": base_iri}
        kwargs["rename_blank_nodes"] = True  # each file's _:b0 is its own node, as in rdflib
        if isinstance(data, Path):
            kwargs["path"] = str(data)
        else:
            kwargs["input"] = data
        add = self.graph.add
        for quad in ox.parse(**kwargs):
            triple = triple_from_ox(quad)
            if type(quad.graph_name) is ox.DefaultGraph:
                add(triple)
            else:
                self._named_graph(term_from_ox(quad.graph_name)).add(triple)

    def _named_graph(self, name: Any) -> Graph:
        from rdflib import Dataset

        if self._named is None:
            self._named = Dataset()
        return self._named.graph(name)

    def _load_with_rdflib(self, data, fmt, base_iri) -> None:
        if isinstance(data, Path):
            data = data.read_bytes()
        elif not isinstance(data, bytes):
            data = data.read()
        if fmt in ("nquads", "trig"):
            from rdflib import Dataset

            dataset = Dataset()
            dataset.parse(data=data, format=RDF_FORMATS[fmt][1], publicID=base_iri)
            for s, p, o, g in dataset.quads():
                if g is None or str(g) == "urn:x-rdflib:default":
                    self.graph.add((s, p, o))
                else:
                    self._named_graph(g).add((s, p, o))
            return
        self.graph.parse(data=data, format=RDF_FORMATS[fmt][1], publicID=base_iri)

    def answer(self, checked: CheckedQuery, limit: int | None = None) -> Result:
        return rdflib_answer(self.graph, checked, limit)

    def serialize(self, fmt: str = "turtle", output: IO[bytes] | None = None) -> bytes | None:
        """Turtle and N-Triples by kg's canonical writers (:mod:`kg.export.formats`: exact lexical
        forms, canonical order, as ``kg export`` writes them); other formats by pyoxigraph."""
        if fmt not in RDF_FORMATS:
            raise InputError(f"unknown RDF format {fmt!r}; choose one of {', '.join(RDF_FORMATS)}")
        if fmt in ("turtle", "ntriples"):
            from kg.export.formats import to_ntriples, to_turtle

            data = (to_turtle if fmt == "turtle" else to_ntriples)(self.graph)
        else:
            import pyoxigraph as ox

            default = ox.DefaultGraph()
            quads = [ox.Quad(*(term_to_ox(t) for t in triple), default) for triple in self.graph]
            if self._named is not None:
                for s, p, o, g in self._named.quads():
                    if g is not None and str(g) != "urn:x-rdflib:default":
                        name = term_to_ox(g.identifier if isinstance(g, Graph) else g)
                        quads.append(ox.Quad(term_to_ox(s), term_to_ox(p), term_to_ox(o), name))
            if fmt in ("nquads", "trig"):
                data = ox.serialize(quads, format=ox_format(fmt), prefixes=PREFIXES)
            else:
                triples = [q.triple for q in quads if q.graph_name == default]
                data = ox.serialize(triples, format=ox_format(fmt), prefixes=PREFIXES)
        if output is None:
            return data
        output.write(data)
        return None

    def as_rdflib(self) -> Graph:
        return self.graph


def rdflib_query(
    graph: Any, text: str, *, source: str = "query", limit: int | None = None
) -> Result:
    """Answer ``text`` over an rdflib graph or dataset with rdflib's engine, under the policy."""
    return rdflib_answer(graph, check_query(text, source=source), limit)


def rdflib_answer(graph: Any, checked: CheckedQuery, limit: int | None = None) -> Result:
    """Evaluate a checked query with rdflib's engine over ``graph`` (a Graph or Dataset). A
    query whose FROM the protocol replaces (``checked.has_dataset``) is run without it."""
    import rdflib.plugins.sparql

    # Belt and braces: the policy refuses FROM, but one must never turn into a download.
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    prepared = _prepared(checked)
    try:
        result = graph.query(prepared)
        if checked.kind == "ASK":
            return Result.ask(bool(result.askAnswer))
        if checked.kind in ("CONSTRUCT", "DESCRIBE"):
            return Result.from_triples(checked.kind, result.graph or (), limit)
        variables = list(result.vars or ())
        order = column_order(checked, [str(v) for v in variables])
        rows = (tuple(row[i] for i in order) for row in result)  # lazily: a cap stops early
        return Result.solutions([str(variables[i]) for i in order], rows, limit)
    except (QueryError, MemoryError):
        raise
    except RecursionError:
        raise QueryError(f"{checked.source}: the query is too deeply nested to run") from None
    except Exception as exc:  # rdflib raises evaluation errors lazily, in many types
        raise QueryError(f"{checked.source}: query failed: {exc}") from None


@lru_cache(maxsize=256)
def _prepared(checked: CheckedQuery) -> Any:
    """rdflib's parsed and translated query; cached, as parsing costs more than many answers."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        prepared = translateQuery(parseQuery(checked.text), base=QUERY_BASE, initNs=PREFIXES)
    except (ParseBaseException, RecursionError) as exc:
        raise engine_error(exc, checked) from None
    except Exception as exc:  # rdflib raises bare Exceptions for unknown prefixes and the like
        raise engine_error(exc, checked) from None
    if _uses_service(prepared.algebra):  # the policy's check, confirmed on the parse tree
        raise QueryError(
            f"{checked.source}: SERVICE is not supported: kg never fetches from the network"
        )
    if checked.has_dataset:
        prepared.algebra["datasetClause"] = None  # the protocol's dataset replaces it
    return prepared


def _uses_service(node: Any) -> bool:
    if getattr(node, "name", None) == "ServiceGraphPattern":
        return True
    if isinstance(node, dict):
        return any(_uses_service(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_uses_service(v) for v in node)
    return False
