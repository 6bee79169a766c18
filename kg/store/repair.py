"""``kg store check`` and ``kg store repair``: is an on-disk store consistent, and make it so.

A store is consistent when no load is marked unfinished and every triple of the curated
graph's copy (:data:`~kg.store.base.CURATED_GRAPH`) is in the default graph that queries see.
Repair rolls an unfinished load back to the snapshot taken before it (or, with no snapshot,
loads its files again: loading is a set union, so that completes it), puts missing curated
triples back, brings the curated graph up to date with the facts, and removes work directories
that a killed process left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError
from kg.project import Project
from kg.store.base import CURATED_GRAPH, SHARED_GRAPH
from kg.store.oxigraph import BACKUP, DATABASE, MANIFEST, TEMP_PREFIX, OxigraphStore
from kg.store.spec import StoreSpec

__all__ = ["RepairReport", "StoreCheck", "check_store", "repair_store"]


@dataclass(frozen=True)
class StoreCheck:
    store: str
    ok: bool
    problems: tuple[str, ...]  # each a sentence saying what is wrong and what fixes it
    notes: tuple[str, ...]  # harmless: removed by the next write
    interrupted_load: tuple[str, ...] | None  # the files of an unfinished load
    triples: int | None  # in the default graph (None: the database is missing)
    named_graphs: int | None
    curated_triples: int | None
    curated_missing: int | None  # curated triples not in the default graph
    curated_current: bool | None  # the curated copy is of the present facts (None: unknown)
    loads: int


@dataclass(frozen=True)
class RepairReport:
    store: str
    actions: tuple[str, ...]
    check: StoreCheck  # after the repair


def _path(spec: StoreSpec) -> Path:
    if spec.kind != "oxigraph" or spec.path is None:
        raise InputError(
            f"kg store works on an on-disk store, and --store is {spec}: "
            "give --store oxigraph:PATH (or KG_STORE)"
        )
    path = spec.path.expanduser().resolve()
    if not (path / MANIFEST).is_file():
        raise InputError(f"{path}: not a kg store (no {MANIFEST})")
    return path


def _missing_curated(store: OxigraphStore) -> tuple[int, int]:
    import pyoxigraph as ox

    default = ox.DefaultGraph()
    total = missing = 0
    for quad in store.ox.quads_for_pattern(None, None, None, ox.NamedNode(CURATED_GRAPH)):
        total += 1
        here = store.ox.quads_for_pattern(quad.subject, quad.predicate, quad.object, default)
        if next(iter(here), None) is None:
            missing += 1
    return total, missing


def check_store(spec: StoreSpec, project: Project | None = None) -> StoreCheck:
    """Look at the store without changing it (it is opened read-only)."""
    import pyoxigraph as ox

    path = _path(spec)
    problems: list[str] = []
    notes: list[str] = []
    # The database may be missing (a repair killed half-way): then only the manifest is read.
    store = None
    if (path / DATABASE).is_dir():
        store = OxigraphStore(path, read_only=True, repairing=True)
    manifest = store.manifest() if store else _read_manifest(path)
    shown = f"oxigraph:{path}"
    interrupted = manifest.get("incomplete")
    if interrupted:
        files = ", ".join(interrupted.get("files") or ()) or "(unknown files)"
        problems.append(f"a `kg load` of {files} did not finish; `kg store repair` rolls it back")
    triples = named = curated = missing = None
    if store is None:
        problems.append(f"the database {path / DATABASE} is missing; `kg store repair` restores it")
    else:
        triples = sum(1 for _ in store.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        hidden = {CURATED_GRAPH, SHARED_GRAPH}
        named = sum(1 for g in store.ox.named_graphs() if getattr(g, "value", None) not in hidden)
        curated, missing = _missing_curated(store)
        if missing:
            problems.append(
                f"{missing} of the {curated} curated triples are missing from the graph queries "
                "see; `kg store repair` puts them back"
            )
        for leftover in store.leftovers():
            notes.append(f"leftover work directory {leftover.name} (removed by the next write)")
        store.close()
    current = None
    if project is not None and manifest.get("curated_key") is not None:
        from kg.facts.cache import cache_key

        current = manifest.get("curated_key") == cache_key(project)
    if manifest.get("curated_key") is None and curated:
        problems.append(
            "the curated graph was being rewritten when kg stopped; `kg store repair` (or the "
            "next query) finishes it"
        )
    return StoreCheck(
        store=shown,
        ok=not problems,
        problems=tuple(problems),
        notes=tuple(notes),
        interrupted_load=tuple(interrupted.get("files") or ()) if interrupted else None,
        triples=triples,
        named_graphs=named,
        curated_triples=curated,
        curated_missing=missing,
        curated_current=current,
        loads=len(manifest.get("loads") or ()),
    )


def _read_manifest(path: Path) -> dict:
    import json

    try:
        return json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path / MANIFEST}: unreadable store manifest: {exc}") from None


def repair_store(spec: StoreSpec, project: Project | None = None) -> RepairReport:
    """Make the store consistent (see the module doc); returns what was done."""
    import pyoxigraph as ox

    path = _path(spec)
    actions: list[str] = []
    database = path / DATABASE
    interrupted = _read_manifest(path).get("incomplete")
    if not database.is_dir() and not (interrupted and (path / BACKUP).is_dir()):
        actions.append(f"the database was missing: started an empty one at {database}")
    store = OxigraphStore(path, repairing=True)
    try:
        if interrupted:
            restorable = (
                interrupted.get("was_empty")
                or (path / BACKUP).exists()
                or (path / f"{TEMP_PREFIX}interrupted").exists()
            )
            if restorable:
                actions.append(store.roll_back())
            else:
                actions.append(_complete(store, list(interrupted.get("files") or ())))
        default = ox.DefaultGraph()
        curated, missing = _missing_curated(store)
        if missing:
            store.ox.extend(
                ox.Quad(q.subject, q.predicate, q.object, default)
                for q in store.ox.quads_for_pattern(None, None, None, ox.NamedNode(CURATED_GRAPH))
            )
            store.ox.flush()
            actions.append(f"put back {missing} curated triples missing from the default graph")
        if project is not None and store.use_curated(project):
            actions.append("brought the curated graph up to date with the facts")
        for leftover in store.remove_leftovers():
            actions.append(f"removed the leftover work directory {leftover.name}")
    finally:
        store.close()
    return RepairReport(
        store=f"oxigraph:{path}", actions=tuple(actions), check=check_store(spec, project)
    )


def _complete(store: OxigraphStore, files: list[str]) -> str:
    """No snapshot to roll back to: load the files again (a set union, so this completes)."""
    from kg.store.bulkload import load_files

    store.update_manifest(incomplete=None)
    absent = [f for f in files if not Path(f).is_file()]
    if absent or not files:
        return (
            "no snapshot to roll back to and the files to complete the load with are gone "
            f"({', '.join(absent) or 'none recorded'}): kept what was loaded"
        )
    load_files(store, files)
    return f"no snapshot to roll back to: completed the interrupted load of {', '.join(files)}"
