"""pyoxigraph, in memory (``--store oxigraph``) or on disk (``oxigraph:PATH``).

Layout of ``oxigraph:PATH``: a directory holding ``kg-store.json`` (what was loaded, the curated
graph's input hash) and ``oxigraph/`` (the RocksDB database). The default graph is the merged
graph every query sees, as a set of triples: the curated graph plus every loaded triple file.
Two bookkeeping named graphs, hidden from ``GRAPH`` queries, let a changed facts directory
replace the curated triples without deleting loaded triples that happen to be equal to one:
:data:`~kg.store.base.CURATED_GRAPH` (a copy of the curated graph) and
:data:`~kg.store.base.SHARED_GRAPH` (curated triples a loaded file also holds). N-Quads keep
their named graphs, which queries reach with ``GRAPH``.

A load into a store that holds something runs as a transaction
(:meth:`OxigraphStore.load_transaction`): the database is first snapshotted into
``oxigraph.before-load/`` (a RocksDB checkpoint: hard links, no copy) and the manifest marks the
load ``incomplete``; the manifest write that records the finished load also clears the mark. A
load that fails is rolled back to the snapshot at once; one that is killed leaves the mark, and
every later open refuses the store with a one-line error until ``kg store repair``
(:mod:`kg.store.repair`) rolls it back. A first load into an empty store is undone by emptying
the store again, on the next open.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from kg.errors import InputError, KGError, QueryError, StoreError, disk_error
from kg.faults import point
from kg.project import Project
from kg.sparql.policy import QUERY_BASE, CheckedQuery, column_order, engine_error
from kg.sparql.results import Result
from kg.sparql.terms import PREFIXES, XSD_STRING, bcp47_case
from kg.store.base import CURATED_GRAPH, SHARED_GRAPH, Store, ox_format
from kg.store.spec import StoreSpec

__all__ = ["BACKUP", "DATABASE", "MANIFEST", "MANIFEST_FORMAT", "OxigraphStore", "ox_answer"]

MANIFEST = "kg-store.json"
MANIFEST_FORMAT = 1
DATABASE = "oxigraph"
#: The snapshot a load into a non-empty store rolls back to.
BACKUP = "oxigraph.before-load"
#: Names of work directories (a snapshot being taken, a database being thrown away).
TEMP_PREFIX = ".kg-tmp-"


def repair_hint(spec: object) -> str:
    return f"run `kg --store {spec} store repair`"


class OxigraphStore(Store):
    """pyoxigraph, in memory (``path`` None) or in the directory ``path``; see the module doc."""

    def __init__(
        self, path: Path | str | None = None, *, read_only: bool = False, repairing: bool = False
    ) -> None:
        """``repairing`` opens a store whose last load did not finish, as it is (for
        :mod:`kg.store.repair`); otherwise such a store is refused with a :class:`StoreError`."""
        try:
            import pyoxigraph as ox
        except ImportError:
            raise KGError(
                "the oxigraph store needs pyoxigraph: pip install 'aichip-kg[scale]'"
            ) from None
        self.path = Path(path).expanduser().resolve() if path is not None else None
        self.spec = StoreSpec("oxigraph", self.path)
        self.read_only = read_only
        self._manifest: dict[str, Any] = {"format": MANIFEST_FORMAT, "curated_key": None}
        self._manifest["loads"] = []
        self.repairing = repairing
        if self.path is None:
            self.ox = ox.Store()
        else:
            self._open_disk(ox)
        self._user_graphs: list | None = None

    @classmethod
    def cached(cls, path: Path, *, origin: tuple[Project, bool] | None = None) -> OxigraphStore:
        """The project's cached copy of the curated graph, read-only (see
        :func:`kg.facts.cache.cached_store_path`); always current: ``use_curated`` skips it."""
        import pyoxigraph as ox

        store = cls.__new__(cls)
        store.path = None  # nothing of ours to write next to it
        store.spec = StoreSpec("default")
        store.read_only = True
        store._manifest = {"format": MANIFEST_FORMAT, "curated_key": "cached", "loads": []}
        store._user_graphs = None
        store._cached = True
        store._origin = origin
        try:
            store.ox = ox.Store.read_only(str(path / "oxigraph"))
        except OSError as exc:
            raise KGError(
                f"{path}: cannot open the cached graph ({exc}); run `kg cache clear`"
            ) from None
        return store

    def _open_disk(self, ox) -> None:
        assert self.path is not None
        manifest_path = self.path / MANIFEST
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{self.path}: not a directory (oxigraph:PATH names a directory)")
        if self.path.is_dir() and any(self.path.iterdir()) and not manifest_path.exists():
            raise InputError(
                f"{self.path}: not a kg store (no {MANIFEST}); give a new or empty directory"
            )
        if manifest_path.exists():
            try:
                self._manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"{manifest_path}: unreadable store manifest: {exc}") from None
            if self._manifest.get("format") != MANIFEST_FORMAT:
                raise InputError(f"{manifest_path}: written by another version of kg")
        elif self.read_only:
            raise InputError(f"{self.path}: no store here yet (load something into it first)")
        interrupted = self._manifest.get("incomplete")
        if interrupted and not self.repairing:
            if interrupted.get("was_empty") and not self.read_only:
                # A first load into this store died half-way: it held nothing before, so
                # emptying it undoes exactly that load.
                self._remove_database()
                self._manifest["incomplete"] = None
                self._save_manifest()
            else:
                raise StoreError(
                    f"{self.spec}: a `kg load` into this store did not finish (it was "
                    f"interrupted, or is still running); {repair_hint(self.spec)}"
                )
        database = self.path / DATABASE
        try:
            if self.read_only:
                self.ox = ox.Store.read_only(str(database))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self.ox = ox.Store(str(database))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise KGError(
                    f"{self.path}: the store is open in another kg process (for instance "
                    "kg serve); stop it or use another store"
                ) from None
            raise disk_error(exc, self.path, "cannot open the store") from None
        if not manifest_path.exists():
            self._save_manifest()
        if not self.read_only and not self.repairing:
            self.remove_leftovers()

    def leftovers(self) -> list[Path]:
        """Work directories a killed load or repair left behind that nothing refers to."""
        if self.path is None or not self.path.is_dir():
            return []
        found = sorted(self.path.glob(TEMP_PREFIX + "*"))
        if (self.path / BACKUP).exists() and not self._manifest.get("incomplete"):
            found.append(self.path / BACKUP)
        return found

    def remove_leftovers(self) -> list[Path]:
        found = self.leftovers()
        for path in found:
            shutil.rmtree(path, ignore_errors=True)
        return found

    def _release(self) -> None:
        """Let go of the database so that its directory can be moved (frees RocksDB's lock)."""
        self.ox = None
        gc.collect()

    def _reopen(self) -> None:
        import pyoxigraph as ox

        assert self.path is not None
        try:
            self.ox = ox.Store(str(self.path / DATABASE))
        except OSError as exc:
            raise disk_error(exc, self.path, "cannot reopen the store") from None
        self._user_graphs = None

    def _remove_database(self) -> None:
        """Throw the database away (not row by row: that would need room on a full disk)."""
        assert self.path is not None
        database = self.path / DATABASE
        if database.exists():
            doomed = self.path / f"{TEMP_PREFIX}discarded"
            shutil.rmtree(doomed, ignore_errors=True)
            os.rename(database, doomed)
            shutil.rmtree(doomed, ignore_errors=True)

    # transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def load_transaction(self, files: list[str], entries: list[dict[str, Any]]) -> Iterator[None]:
        """Make what the body loads all or nothing, on disk (see the module doc); on success
        ``entries`` are recorded as loads, in the same manifest write that ends the load."""
        if self.path is None:
            yield
            return
        was_empty = self.is_empty()
        if was_empty:
            self.update_manifest(incomplete={"files": files, "was_empty": True})
        else:
            self._snapshot()
            try:
                self.update_manifest(incomplete={"files": files, "backup": BACKUP})
            except BaseException:
                shutil.rmtree(self.path / BACKUP, ignore_errors=True)
                raise
        point("load-start", self.path)
        try:
            yield
            point("load-before-commit", self.path)
            self.ox.flush()
        except BaseException as exc:
            self._abort(exc)
            raise  # _abort raises a clearer error for disk failures
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        loads = self._manifest.setdefault("loads", [])
        loads.extend({"at": stamp, **entry} for entry in entries)
        self.update_manifest(incomplete=None)
        point("load-after-commit", self.path)
        shutil.rmtree(self.path / BACKUP, ignore_errors=True)

    def _snapshot(self) -> None:
        assert self.path is not None
        shutil.rmtree(self.path / BACKUP, ignore_errors=True)
        work = self.path / f"{TEMP_PREFIX}snapshot"
        shutil.rmtree(work, ignore_errors=True)
        try:
            point("snapshot", self.path)
            self.ox.flush()
            self.ox.backup(str(work))
            os.rename(work, self.path / BACKUP)
        except OSError as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise disk_error(
                exc, self.path, "cannot snapshot the store before loading (nothing was loaded)"
            ) from None

    def _abort(self, exc: BaseException) -> None:
        """Undo a failed load; raise a one-line error when the disk was the cause."""
        try:
            self.roll_back()
        except (OSError, KGError) as failed:
            raise StoreError(
                f"{self.spec}: the load failed ({_reason(exc)}) and could not be undone "
                f"({_reason(failed)}); {repair_hint(self.spec)}"
            ) from None
        if isinstance(exc, OSError):
            raise disk_error(
                exc, self.spec, "loading failed (nothing was loaded: the store is as it was)"
            ) from None

    def roll_back(self) -> str:
        """Undo an unfinished load: empty a store that was empty, else restore the snapshot.
        Returns what was done."""
        assert self.path is not None
        interrupted = self._manifest.get("incomplete") or {}
        if interrupted.get("was_empty"):
            self._release()
            self._remove_database()
            self._reopen()
            done = "emptied the store again (the interrupted load was its first)"
        else:
            backup = self.path / BACKUP
            database = self.path / DATABASE
            broken = self.path / f"{TEMP_PREFIX}interrupted"
            if not backup.exists():
                if broken.exists():  # restored already; the manifest was not yet updated
                    done = "the snapshot was already back in place"
                else:
                    raise StoreError(
                        f"{self.spec}: the snapshot taken before the interrupted load is gone"
                    )
            else:
                self._release()
                if database.exists():
                    shutil.rmtree(broken, ignore_errors=True)
                    os.rename(database, broken)
                point("restore", self.path)
                os.rename(backup, database)
                self._reopen()
                done = "restored the snapshot taken before the interrupted load"
            shutil.rmtree(broken, ignore_errors=True)
        self.update_manifest(incomplete=None)
        return done

    # bookkeeping ----------------------------------------------------------------------------

    def is_empty(self) -> bool:
        """No quad in any graph, and nothing ever loaded or curated."""
        if self._manifest.get("loads") or self._manifest.get("curated_key"):
            return False
        return next(iter(self.ox), None) is None

    def manifest(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._manifest))

    def _save_manifest(self) -> None:
        if self.path is None or self.read_only:
            return
        from kg.write import write_text_atomic

        try:
            write_text_atomic(self.path / MANIFEST, json.dumps(self._manifest, indent=2) + "\n")
        except OSError as exc:
            raise disk_error(exc, self.path / MANIFEST, "cannot write the store manifest") from None

    def update_manifest(self, **changes: Any) -> None:
        """Record ``changes`` (and save them at once when on disk)."""
        self._manifest.update(changes)
        self._save_manifest()

    def record_load(self, entry: dict[str, Any]) -> None:
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
        self._manifest.setdefault("loads", []).append(entry)
        self._save_manifest()

    def close(self) -> None:
        """Flush and let go of the database (its lock is freed once nothing refers to it,
        rdflib views from :meth:`as_rdflib` included: they stop working)."""
        store = getattr(self, "ox", None)
        if store is not None and self.path is not None and not self.read_only:
            with contextlib.suppress(OSError):
                store.flush()
        for view in getattr(self, "_views", ()):
            view._store = None
        self._views = []
        self.ox = None

    def _graph_node(self, iri: str):
        import pyoxigraph as ox

        return ox.NamedNode(iri)

    def _triples_in(self, iri: str | None) -> set:
        import pyoxigraph as ox

        graph = ox.DefaultGraph() if iri is None else self._graph_node(iri)
        return {q.triple for q in self.ox.quads_for_pattern(None, None, None, graph)}

    def user_graphs(self) -> list:
        """Named graphs a ``GRAPH`` pattern may reach: all but the bookkeeping ones."""
        if self._user_graphs is None:
            hidden = {CURATED_GRAPH, SHARED_GRAPH}
            self._user_graphs = [
                g for g in self.ox.named_graphs() if getattr(g, "value", None) not in hidden
            ]
        return self._user_graphs

    # the curated graph ----------------------------------------------------------------------

    def use_curated(self, project: Project, *, use_cache: bool = True, infer: bool = False) -> bool:
        from kg.facts.cache import cache_key, cached_graph

        if getattr(self, "_cached", False):
            return False
        key = cache_key(project, infer=infer, remember=use_cache)
        if self._manifest.get("curated_key") == key:
            return False
        if self.read_only:
            raise KGError(
                f"{self.path}: the facts changed since the store was last written, and it is "
                "open read-only elsewhere; stop the other kg process and retry"
            )
        curated = cached_graph(project, use_cache=use_cache, infer=infer)
        self.replace_curated(curated, key)
        return True

    def replace_curated(self, curated: Any, key: str | None) -> None:
        """Make ``curated`` the store's curated graph (see the module doc for the invariant)."""
        import pyoxigraph as ox

        from kg.store.convert import term_to_ox

        new = {ox.Triple(*(term_to_ox(t) for t in triple)) for triple in curated}
        try:
            self._replace_curated(new)
        except OSError as exc:
            raise disk_error(
                exc, self.spec, "cannot write the curated graph into the store"
            ) from None
        self.update_manifest(curated_key=key)

    def _replace_curated(self, new: set) -> None:
        import pyoxigraph as ox

        default = ox.DefaultGraph()
        old = self._triples_in(CURATED_GRAPH)
        shared = self._triples_in(SHARED_GRAPH)
        self.update_manifest(curated_key=None)  # a crash from here on forces a redo
        for t in old - new - shared:
            self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, default))
        self.ox.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in new - old)
        curated_node, shared_node = self._graph_node(CURATED_GRAPH), self._graph_node(SHARED_GRAPH)
        for t in old - new:
            self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, curated_node))
        self.ox.extend(ox.Quad(t.subject, t.predicate, t.object, curated_node) for t in new - old)
        for t in shared - new:
            self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, shared_node))
        self.ox.flush()

    @contextlib.contextmanager
    def loading(self) -> Iterator[None]:
        """Bracket a load of triples into the default graph so that curated triples the loaded
        data also holds are remembered in :data:`SHARED_GRAPH` (see the module doc): they are
        taken out of the default graph first, so that what is there afterwards was loaded.
        Only safe inside :meth:`load_transaction` on disk, which undoes a failure (in memory,
        a failure loses nothing that outlives the process)."""
        import pyoxigraph as ox

        curated = self._triples_in(CURATED_GRAPH)
        shared = self._triples_in(SHARED_GRAPH) if curated else set()
        only_curated = curated - shared
        default = ox.DefaultGraph()
        for t in only_curated:
            self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, default))
        point("curated-removed", self.path)
        try:
            yield
        except BaseException:
            if self.path is None:  # in memory: put them back, the store lives on
                self.ox.extend(
                    ox.Quad(t.subject, t.predicate, t.object, default) for t in only_curated
                )
            raise
        finally:
            self._user_graphs = None
        if only_curated:
            shared_node = self._graph_node(SHARED_GRAPH)
            also_loaded = [
                t
                for t in only_curated
                if next(
                    iter(self.ox.quads_for_pattern(t.subject, t.predicate, t.object, default)),
                    None,
                )
            ]
            self.ox.extend(
                ox.Quad(t.subject, t.predicate, t.object, shared_node) for t in also_loaded
            )
            self.ox.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in only_curated)

    # data -----------------------------------------------------------------------------------

    def __len__(self) -> int:
        if next(iter(self.ox.named_graphs()), None) is None:
            return len(self.ox)  # all quads are in the default graph; twice as fast as COUNT
        solution = next(iter(self.ox.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))
        return int(solution[0].value)

    def add_graph(self, graph: Any) -> int:
        import pyoxigraph as ox

        from kg.store.convert import term_to_ox

        default = ox.DefaultGraph()
        quads = [ox.Quad(*(term_to_ox(t) for t in triple), default) for triple in graph]
        self.ox.extend(quads)
        return len(quads)

    def load_rdf(self, data, fmt, *, base_iri=None, bulk=True) -> None:
        kwargs: dict[str, Any] = {"format": ox_format(fmt), "base_iri": base_iri}
        if isinstance(data, Path):
            kwargs["path"] = str(data)
        else:
            kwargs["input"] = data
        if bulk:
            self.ox.bulk_load(**kwargs)
        else:
            self.ox.load(**kwargs)
        self._user_graphs = None

    lowercases_tags = True
    has_named_graphs = True

    def answer(self, checked: CheckedQuery, limit: int | None = None) -> Result:
        return ox_answer(self.ox, checked, limit, named_graphs=self.user_graphs())

    def serialize(
        self, fmt: str = "turtle", output: IO[bytes] | Path | str | None = None
    ) -> bytes | None:
        """As :meth:`Store.serialize`; ``output`` may also be a path, which pyoxigraph then
        writes itself (no Python call per buffer)."""
        import pyoxigraph as ox

        form = ox_format(fmt)
        if isinstance(output, Path):
            output = str(output)
        if fmt in ("nquads", "trig"):
            graphs = [ox.DefaultGraph(), *self.user_graphs()]
            quads = (q for g in graphs for q in self.ox.quads_for_pattern(None, None, None, g))
            return ox.serialize(quads, output, format=form, prefixes=PREFIXES)
        return self.ox.dump(output, format=form, from_graph=ox.DefaultGraph(), prefixes=PREFIXES)

    def as_rdflib(self) -> Any:
        """An rdflib ``Graph`` of the default graph: for the project's cached copy, the cached
        rdflib graph it was built from (same triples); otherwise a view over the store through
        oxrdflib (nothing is copied)."""
        origin = getattr(self, "_origin", None)
        if origin is not None:
            from kg.facts.cache import cached_graph

            project, infer = origin
            return cached_graph(project, infer=infer)
        from rdflib import Graph
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        view = _kg_oxrdflib()(store=self.ox)
        self._views = [*getattr(self, "_views", []), view]
        graph = Graph(store=view, identifier=DATASET_DEFAULT_GRAPH_ID)
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace, override=True, replace=True)
        return graph


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _plain(term: Any) -> Any:
    """``"x"^^xsd:string`` as rdflib's parser makes it: a plain literal."""
    from rdflib import Literal

    if isinstance(term, Literal) and str(term.datatype or "") == XSD_STRING:
        return Literal(str(term))
    if isinstance(term, Literal) and term.language and term.language != bcp47_case(term.language):
        return Literal(str(term), lang=bcp47_case(term.language))
    return term


@lru_cache(maxsize=1)
def _kg_oxrdflib() -> type:
    """oxrdflib's rdflib store, with terms converted as rdflib's parser makes them
    (plain literals without ``xsd:string``, language tags in BCP 47 case)."""
    from oxrdflib import OxigraphStore as RdflibStore
    from oxrdflib._converter import to_ox_quad_pattern
    from rdflib import Graph

    from kg.store.convert import triple_from_ox

    class KGOxrdflib(RdflibStore):
        def triples(self, triple_pattern, context=None):
            try:
                quads = self._inner.quads_for_pattern(*to_ox_quad_pattern(triple_pattern, context))
            except (TypeError, ValueError):
                return iter(())
            return ((triple_from_ox(q), iter((context,))) for q in quads)

        def query(self, query, initNs, initBindings, queryGraph, **kwargs):  # noqa: N803
            result = super().query(query, initNs, initBindings, queryGraph, **kwargs)
            if result.type == "SELECT":
                result.bindings = [
                    {variable: _plain(term) for variable, term in row.items()}
                    for row in result.bindings
                ]
            elif result.type == "CONSTRUCT" and result.graph is not None:
                graph = Graph()
                for triple in result.graph:
                    graph.add(tuple(_plain(t) for t in triple))
                result.graph = graph
            return result

    return KGOxrdflib


def ox_answer(
    store: Any,
    checked: Any,
    limit: int | None = None,
    *,
    named_graphs: list | None = None,
    default_graph: Any = None,
) -> Result:
    """Evaluate a checked query (:func:`kg.sparql.policy.check_query`) on a pyoxigraph store:
    the one place pyoxigraph runs SPARQL, for the CLI and for ``kg serve``'s workers."""
    import pyoxigraph as ox

    kwargs: dict[str, Any] = {"base_iri": QUERY_BASE, "prefixes": PREFIXES}
    if named_graphs is not None:  # [] is "no named graph", not "all of them"
        kwargs["named_graphs"] = named_graphs
    if default_graph is not None:
        kwargs["default_graph"] = default_graph
    try:
        answer = store.query(checked.text, **kwargs)
    except SyntaxError as exc:
        raise _first_syntax_error(engine_error(exc, checked), checked) from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"{checked.source}: query failed: {exc}") from None
    if isinstance(answer, ox.QueryBoolean):
        return Result.ask(bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = [v.value for v in answer.variables]
        order = column_order(checked, names)
        rows = (tuple(solution[i] for i in order) for solution in answer)
        return Result.solutions([names[i] for i in order], rows, limit)
    triples = ((t.subject, t.predicate, t.object) for t in answer)
    kind = checked.kind if checked.kind in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT"
    return Result.from_triples(kind, triples, limit)


def _first_syntax_error(error: QueryError, checked: Any) -> QueryError:
    """pyoxigraph often notices a mistake only where the input ends; rdflib's parser points at
    the construct it could not finish. Report whichever of the two comes first in the text."""
    import re

    try:
        from kg.store.memory import _prepared

        _prepared(checked)
    except QueryError as other:

        def where(e: QueryError) -> tuple[int, int]:
            found = re.match(rf"{re.escape(checked.source)}:(\d+):(\d+): ", str(e))
            return (int(found.group(1)), int(found.group(2))) if found else (1 << 30, 0)

        return other if where(other) < where(error) else error
    except Exception:  # noqa: BLE001 - any other failure of the second opinion: keep ours
        return error
    return error
