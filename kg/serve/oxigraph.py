"""The endpoint's pyoxigraph engine: ``kg --store oxigraph[:PATH] serve`` evaluates here.

Queries run in the forked, killable workers of :mod:`kg.serve.pool`, so what they read must
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
``default-graph-uri`` / ``named-graph-uri``, those graphs instead. Queries are checked by the
same policy as on rdflib (:func:`kg.serve.protocol.execute`) and evaluated by the same
function as ``kg query`` on a store (:func:`kg.store.oxigraph.ox_answer`), and answers are
written by the same :class:`~kg.sparql.results.Result`, so both engines send the same bytes
for the same answer.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KGError
from kg.remote.client import KG_GRAPH_IRI
from kg.serve.protocol import Job, Refusal, default_graph, unserved_graph
from kg.sparql.policy import CheckedQuery
from kg.sparql.results import Result
from kg.store.base import CURATED_GRAPH, SHARED_GRAPH

if TYPE_CHECKING:
    from rdflib import Dataset

    from kg.project import Project
    from kg.store.spec import StoreSpec

__all__ = ["SNAPSHOTS", "OxigraphServed", "served_in_memory", "snapshot_store"]

#: Where checkpoints for ``kg serve`` go, inside the store's directory (hard links need the
#: same file system); one per running server, removed when it stops.
SNAPSHOTS = "serve-snapshots"
_HIDDEN = frozenset({CURATED_GRAPH, SHARED_GRAPH})  # the store's bookkeeping graphs


class OxigraphServed:
    """Served graphs in pyoxigraph: an in-memory ``store``, or a checkpoint directory
    ``snapshot`` opened read-only in each worker (see the module doc)."""

    lowercases_tags = True

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

    def answer(self, checked: CheckedQuery, job: Job) -> Result:
        from kg.store.oxigraph import ox_answer

        default, named = self._dataset(job)
        return ox_answer(
            self._open(), checked, job.max_rows, named_graphs=named, default_graph=default
        )


def _add_named(target: Any, named: Dataset | None) -> None:
    import pyoxigraph as ox

    from kg.store.convert import term_to_ox

    for context in named.graphs() if named is not None else ():
        if context.identifier == default_graph(named).identifier or not len(context):
            continue
        graph = ox.NamedNode(str(context.identifier))
        target.extend(ox.Quad(*(term_to_ox(t) for t in triple), graph) for triple in context)


def served_in_memory(
    graph: Any, *, named: Dataset | None = None, graph_iri: str = KG_GRAPH_IRI
) -> OxigraphServed:
    """``graph`` (an rdflib graph: the curated graph of ``--store oxigraph``) and ``named``'s
    graphs in an in-memory pyoxigraph store, the project graph named ``graph_iri``."""
    import pyoxigraph as ox

    from kg.store.convert import term_to_ox

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
    from kg.serve.protocol import read_named_graphs
    from kg.store.oxigraph import OxigraphStore

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
