"""The endpoint's pyoxigraph engine: ``kg --store oxigraph[:PATH] serve`` evaluates here.

The served data is a pyoxigraph store *in memory*, copied from the ``--store`` store when the
server starts: the project graph (curated facts plus what ``kg load`` added) and the store's
named graphs, plus any ``--named-graphs`` file. The copy is what makes it safe to evaluate in
the forked query workers of :mod:`kg.serve_pool`: an in-memory pyoxigraph store has no
background threads or file locks, so a fork inherits it whole and a worker past its deadline
can be killed like any other; the on-disk store's lock is released as soon as the copy is made.

In the copy the project graph is a named graph called ``graph_iri``, and every query names its
dataset explicitly: by default the project graph as default graph and the other served graphs
as named graphs, as with rdflib; with the protocol's ``default-graph-uri`` /
``named-graph-uri``, those graphs instead. Queries are parsed and refused by the same code as on
rdflib (:func:`kg.serve_exec.execute`), and answers are converted to rdflib terms and written
by the same serialisers, so both engines send the same bytes for the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .load import PREFIXES
from .query import QUERY_BASE, ParsedQuery
from .remote import KG_GRAPH_IRI
from .serve_exec import (
    Answer,
    Job,
    Refusal,
    ask_answer,
    capped_graph,
    capped_solutions,
    unserved_graph,
)
from .store import ox_query_error, rows_from_ox, scan_query, term_to_ox, triple_from_ox

if TYPE_CHECKING:
    from rdflib import Dataset

    from .store import OxigraphStore

__all__ = ["OxigraphServed", "served_from_store"]


class OxigraphServed:
    """Served graphs in an in-memory pyoxigraph store (see the module doc)."""

    def __init__(self, store: Any, graph_iri: str = KG_GRAPH_IRI) -> None:
        import pyoxigraph as ox

        self.store = store
        self.graph_iri = graph_iri
        self._named = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
        self._others = [ox.NamedNode(iri) for iri in self._named if iri != graph_iri]

    @property
    def names(self) -> list[str]:
        return [self.graph_iri, *(iri for iri in self._named if iri != self.graph_iri)]

    def _graphs(self, iris: tuple[str, ...]) -> list:
        import pyoxigraph as ox

        served = set(self.names)
        for iri in iris:
            if iri not in served:
                raise unserved_graph(iri, self.names)
        return [ox.NamedNode(iri) for iri in dict.fromkeys(iris)]

    def _dataset(self, job: Job) -> tuple[list, list]:
        """(default graph, named graphs) for ``job``, as pyoxigraph's query arguments."""
        import pyoxigraph as ox

        if not job.default_graphs and not job.named_graphs:
            return [ox.NamedNode(self.graph_iri)], self._others
        # The protocol's dataset replaces the query's and ours; [] is an empty graph list.
        return self._graphs(job.default_graphs), self._graphs(job.named_graphs)

    def answer(self, parsed: ParsedQuery, job: Job) -> Answer:
        import pyoxigraph as ox

        # The query was parsed and refused by rdflib already (execute); pyoxigraph would
        # really call a SERVICE, so a second, lexical look costs little and guards that.
        if scan_query(parsed.text).service is not None:
            raise Refusal(400, "SERVICE is not supported: this endpoint never fetches")
        default, named = self._dataset(job)
        try:
            result = self.store.query(
                parsed.text,
                base_iri=QUERY_BASE,
                prefixes=PREFIXES,
                default_graph=default,
                named_graphs=named,
            )
        except SyntaxError as exc:
            raise Refusal(400, str(ox_query_error(exc, parsed.text, "query"))) from None
        if isinstance(result, ox.QueryBoolean):
            return ask_answer(bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = tuple(v.value for v in result.variables)
            return capped_solutions(variables, _rows(result, len(variables)), job.max_rows)
        distinct = _distinct_triples(result)
        shown = [t for _, t in zip(range(job.max_rows), distinct, strict=False)]
        total = len(shown) + sum(1 for _ in distinct)
        return capped_graph(parsed.kind, iter(shown), total, job.max_rows)


def _rows(solutions: Any, width: int) -> Iterator[tuple]:
    """Rows as rdflib terms, converted a batch at a time so a capped answer stops early."""
    from itertools import islice

    while batch := list(islice(solutions, 256)):
        yield from rows_from_ox(batch, width)


def _distinct_triples(triples: Any) -> Iterator[tuple]:
    # A CONSTRUCT answer is a graph, a set: pyoxigraph may repeat a triple, rdflib never does.
    seen: set = set()
    for triple in triples:
        if triple not in seen:
            seen.add(triple)
            yield triple_from_ox(triple)


def served_from_store(
    source: OxigraphStore, *, named: Dataset | None = None, graph_iri: str = KG_GRAPH_IRI
) -> OxigraphServed:
    """Copy what ``source`` serves (its default graph and user graphs) and ``named``'s graphs
    into an in-memory pyoxigraph store. The copy goes through N-Triples in Rust, not Python
    objects, so a million triples take seconds."""
    import pyoxigraph as ox

    copy = ox.Store()
    nt = ox.RdfFormat.N_TRIPLES
    graphs = [(ox.DefaultGraph(), ox.NamedNode(graph_iri)), *((g, g) for g in source.user_graphs())]
    for origin, target in graphs:
        data = source.ox.dump(format=nt, from_graph=origin)
        copy.load(data, format=nt, to_graph=target)
    for context in named.contexts() if named is not None else ():
        if context.identifier == named.default_context.identifier or not len(context):
            continue
        target = ox.NamedNode(str(context.identifier))
        copy.extend(ox.Quad(*(term_to_ox(t) for t in triple), target) for triple in context)
    return OxigraphServed(copy, graph_iri)
