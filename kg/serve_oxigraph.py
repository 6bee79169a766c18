"""The endpoint's pyoxigraph engine: ``kg --store oxigraph[:PATH] serve`` evaluates here.

Queries run in the forked, killable workers of :mod:`kg.serve_pool`, so what they read must
survive a fork:

* ``oxigraph:PATH`` (on disk): the server takes a RocksDB *checkpoint* of the store when it
  starts (hard links, milliseconds at any size) and each worker opens that checkpoint read-only
  after it is forked. Nothing is copied; the store itself is released at once, so ``kg load``
  and other commands can use it while the server runs; the server keeps answering from the
  moment it started. The project graph is the checkpoint's default graph.
* ``oxigraph`` (in memory): the curated graph is put in an in-memory pyoxigraph store, which
  has no threads or locks and so crosses a fork whole; the project graph is a named graph
  called ``graph_iri`` there.

RocksDB must never be opened in a process that later forks a worker (its background threads
do not survive a fork), so the checkpoint is made in a short-lived helper process started
afresh (:func:`snapshot_store`) and opened only in the workers (:meth:`OxigraphServed.in_worker`).

Every query names its dataset explicitly: by default the project graph as default graph and
the other served graphs as named graphs, as with rdflib; with the protocol's
``default-graph-uri`` / ``named-graph-uri``, those graphs instead. Queries are parsed and
refused by the same code as on rdflib (:func:`kg.serve_exec.execute`), and answers are
converted to rdflib terms and written by the same serialisers, so both engines send the same
bytes for the same answer.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import KGError
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
from .store import (
    CURATED_GRAPH,
    SHARED_GRAPH,
    ox_query_error,
    rows_from_ox,
    scan_query,
    term_to_ox,
    triple_from_ox,
)

if TYPE_CHECKING:
    from rdflib import Dataset

    from .project import Project
    from .store import StoreSpec

__all__ = ["SNAPSHOTS", "OxigraphServed", "served_in_memory", "snapshot_store"]

#: Where checkpoints for ``kg serve`` go, inside the store's directory (hard links need the
#: same file system); one per running server, removed when it stops.
SNAPSHOTS = "serve-snapshots"
_HIDDEN = frozenset({CURATED_GRAPH, SHARED_GRAPH})  # the store's bookkeeping graphs


class OxigraphServed:
    """Served graphs in pyoxigraph: an in-memory ``store``, or a checkpoint directory
    ``snapshot`` opened read-only in each worker (see the module doc)."""

    def __init__(
        self,
        *,
        store: Any = None,
        snapshot: Path | None = None,
        graph_iri: str = KG_GRAPH_IRI,
    ) -> None:
        if (store is None) == (snapshot is None):
            raise ValueError("give an in-memory store or a snapshot directory, not both")
        self.graph_iri = graph_iri
        self.snapshot = snapshot
        self._store = store
        self._names: list[str] | None = None

    # -- opening ------------------------------------------------------------------------------

    def in_worker(self) -> None:
        """Open what a worker reads from; called in each worker right after its fork."""
        self._open()

    def _open(self) -> Any:
        if self._store is None:
            import pyoxigraph as ox

            try:
                self._store = ox.Store.read_only(str(self.snapshot))
            except OSError as exc:
                raise KGError(f"{self.snapshot}: cannot open the served snapshot: {exc}") from None
        return self._store

    def _project_node(self) -> Any:
        import pyoxigraph as ox

        return ox.DefaultGraph() if self.snapshot is not None else ox.NamedNode(self.graph_iri)

    @property
    def names(self) -> list[str]:
        if self._names is None:
            import pyoxigraph as ox

            named = {
                g.value
                for g in self._open().named_graphs()
                if isinstance(g, ox.NamedNode) and g.value not in _HIDDEN
            }
            named.discard(self.graph_iri)
            self._names = [self.graph_iri, *sorted(named)]
        return self._names

    # -- answering ----------------------------------------------------------------------------

    def _graph(self, iri: str, *, named: bool) -> Any:
        import pyoxigraph as ox

        if iri not in self.names:
            raise unserved_graph(iri, self.names)
        if iri != self.graph_iri:
            return ox.NamedNode(iri)
        if named and self.snapshot is not None:
            raise Refusal(
                400,
                f"<{iri}> is the project graph; on this engine it can be the default graph "
                "(default-graph-uri) but not a named one",
            )
        return self._project_node()

    def _dataset(self, job: Job) -> tuple[list, list]:
        """(default graph, named graphs) for ``job``, as pyoxigraph's query arguments."""
        import pyoxigraph as ox

        if not job.default_graphs and not job.named_graphs:
            others = [ox.NamedNode(iri) for iri in self.names[1:]]
            return [self._project_node()], others
        # The protocol's dataset replaces the query's and ours; [] is an empty graph list.
        default = [self._graph(iri, named=False) for iri in dict.fromkeys(job.default_graphs)]
        named = [self._graph(iri, named=True) for iri in dict.fromkeys(job.named_graphs)]
        return default, named

    def answer(self, parsed: ParsedQuery, job: Job) -> Answer:
        import pyoxigraph as ox

        # The query was parsed and refused by rdflib already (execute); pyoxigraph would
        # really call a SERVICE, so a second, lexical look costs little and guards that.
        if scan_query(parsed.text).service is not None:
            raise Refusal(400, "SERVICE is not supported: this endpoint never fetches")
        default, named = self._dataset(job)
        try:
            result = self._open().query(
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
        shown = list(islice(distinct, job.max_rows))
        total = len(shown) + sum(1 for _ in distinct)
        return capped_graph(parsed.kind, iter(shown), total, job.max_rows)


def _rows(solutions: Any, width: int) -> Iterator[tuple]:
    """Rows as rdflib terms, converted a batch at a time so a capped answer stops early."""
    while batch := list(islice(solutions, 256)):
        yield from rows_from_ox(batch, width)


def _distinct_triples(triples: Any) -> Iterator[tuple]:
    # A CONSTRUCT answer is a graph, a set: pyoxigraph may repeat a triple, rdflib never does.
    seen: set = set()
    for triple in triples:
        if triple not in seen:
            seen.add(triple)
            yield triple_from_ox(triple)


def _add_named(target: Any, named: Dataset | None) -> None:
    import pyoxigraph as ox

    for context in named.contexts() if named is not None else ():
        if context.identifier == named.default_context.identifier or not len(context):
            continue
        graph = ox.NamedNode(str(context.identifier))
        target.extend(ox.Quad(*(term_to_ox(t) for t in triple), graph) for triple in context)


def served_in_memory(
    graph: Any, *, named: Dataset | None = None, graph_iri: str = KG_GRAPH_IRI
) -> OxigraphServed:
    """``graph`` (an rdflib graph: the curated graph of ``--store oxigraph``) and ``named``'s
    graphs in an in-memory pyoxigraph store, the project graph named ``graph_iri``."""
    import pyoxigraph as ox

    store = ox.Store()
    project = ox.NamedNode(graph_iri)
    store.extend(ox.Quad(*(term_to_ox(t) for t in triple), project) for triple in graph)
    _add_named(store, named)
    return OxigraphServed(store=store, graph_iri=graph_iri)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _snapshot_in_helper(
    spec: StoreSpec, project: Project, named_path: Path | None, use_cache: bool, target: Path
) -> None:
    from .serve_exec import read_named_graphs
    from .store import OxigraphStore

    named = read_named_graphs(named_path) if named_path is not None else None

    store = OxigraphStore(spec.path)
    try:
        store.use_curated(project, use_cache=use_cache)
        target.parent.mkdir(exist_ok=True)  # only now: the store's directory is a store
        store.ox.backup(str(target))
    finally:
        store.close()
    if named is not None:
        import pyoxigraph as ox

        # The checkpoint is a database of its own: adding graphs to it leaves the store as
        # it was (its files are hard links to immutable SST files).
        copy = ox.Store(str(target))
        _add_named(copy, named)
        copy.flush()


def snapshot_store(
    spec: StoreSpec, project: Project, *, named_path: Path | None = None, use_cache: bool = True
) -> OxigraphServed:
    """Bring ``spec``'s curated graph up to date, checkpoint the store for serving (plus the
    graphs of the TriG/N-Quads file ``named_path``), and return the engine over the checkpoint.

    The work runs in a helper process started afresh (spawned), so that RocksDB never runs in
    this one (it will fork the query workers); errors come back as they were raised.
    Checkpoints of servers that are no longer running are removed first.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    assert spec.path is not None
    root = spec.path.expanduser().resolve() / SNAPSHOTS
    for old in root.iterdir() if root.is_dir() else ():
        pid = old.name.split("-")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    target = root / f"{os.getpid()}-{os.urandom(4).hex()}"
    # A fresh interpreter, not a fork: RocksDB's background threads do not survive a fork, and
    # the caller (a test run, a script) may have used a store before.
    spawn = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as helper:
            helper.submit(
                _snapshot_in_helper, spec, project, named_path, use_cache, target
            ).result()
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return OxigraphServed(snapshot=target)
