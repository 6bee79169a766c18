"""Where the graph lives, and the one way to get it: :func:`open_graph`.

Every command, the server, the analytics and the Python API get the project's graph from
:func:`open_graph`, as a :class:`~kg.store.base.Store` whose ``query`` returns a
:class:`~kg.sparql.results.Result`, whichever engine answers:

* by default, pyoxigraph over the project's cached copy of the curated graph (built on first
  use under ``.kg-cache/``, rebuilt when ontology/ or facts/ change, opened read-only);
* ``memory``: rdflib in memory (the modelling library's own engine, the reference answers);
* ``oxigraph``: pyoxigraph in memory; ``oxigraph:PATH``: pyoxigraph on disk, kept between
  calls and filled by ``kg load`` besides the curated graph.

Importing this package loads neither rdflib nor pyoxigraph; opening a store loads what it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.errors import InputError
from kg.store.spec import STORE_ENV, StoreSpec, parse_spec

if TYPE_CHECKING:
    from kg.project import Project
    from kg.store.base import Store

__all__ = ["STORE_ENV", "StoreSpec", "open_graph", "open_store", "parse_spec"]


def open_store(spec: str | StoreSpec | None = None, *, read_only: bool = False) -> Store:
    """An empty (or, on disk, the existing) store ``spec`` names, without the curated graph."""
    parsed = parse_spec(spec)
    if parsed.kind == "memory":
        from kg.store.memory import MemoryStore

        return MemoryStore()
    from kg.store.oxigraph import OxigraphStore

    if parsed.kind == "default":
        return OxigraphStore()
    return OxigraphStore(parsed.path, read_only=read_only)


def open_graph(
    project: Project | None = None,
    spec: str | StoreSpec | None = None,
    *,
    infer: bool = False,
    use_cache: bool = True,
) -> Store:
    """The project's graph (ontology + facts + derived truthy triples) in the store ``spec``
    names (None: ``$KG_STORE``, else the cached pyoxigraph copy). ``infer`` answers over the
    OWL 2 RL closure. Use it as a context manager, or call ``close()``.

    >>> import kg.store
    >>> with kg.store.open_graph() as g:
    ...     bool(g.query("ASK { kg:huawei a aichip:Company }"))
    True
    """
    from kg.project import default_project

    project = project or default_project()
    parsed = parse_spec(spec)
    if parsed.kind == "default":
        from kg.facts.cache import cached_store_path
        from kg.store.oxigraph import OxigraphStore

        path = cached_store_path(project, infer=infer) if use_cache else None
        if path is not None:
            return OxigraphStore.cached(path, origin=(project, infer))
        store = OxigraphStore()
        store.use_curated(project, use_cache=use_cache, infer=infer)
        return store
    if infer and parsed.persistent:
        raise InputError(
            f"--infer reasons over the curated graph, not over {parsed}: drop --store for an "
            "inferred answer, or query the store without --infer"
        )
    store = open_store(parsed)
    try:
        store.use_curated(project, use_cache=use_cache, infer=infer)
    except BaseException:
        store.close()
        raise
    return store
