"""The build cache: the loaded graph (and its inferred closure) pickled under ``.kg-cache/``.

Parsing every Turtle file and deriving the truthy triples on every ``kg query`` is wasted work.
The cache stores the merged graph that :func:`kg.facts.load.load_graph` returns (pickled, and
as a pyoxigraph store that queries open read-only), keyed by a SHA-256 of

* every ontology and facts file (absolute path and bytes), so any edit invalidates it;
* the source of ``kg/load.py`` and of this module, so a change in how the graph is derived does
  too (the package version alone does not change between commits);
* the package, rdflib and Python versions (pickles are not portable across them);
* for the inferred variant, the source of ``kg/facts/infer.py`` and the version of its reasoner
  (``reasonable``).

Cached loads do **not** validate. Validation (SHACL and the integrity rules) is what ``kg build``
and ``kg validate`` are for; queries answer over whatever parses, which is also what you want
while fixing a fact. A syntax error still stops a cold load with ``file:line``.

Where: ``$KG_CACHE_DIR`` if set, else ``ROOT/.kg-cache/`` of a project or workspace (never
for the installed graph, which is not written: see :mod:`kg.project`); otherwise the
user cache (``$XDG_CACHE_HOME/aichip-kg``, default ``~/.cache/aichip-kg``); if neither can, the
graph is simply rebuilt each time. Files are written atomically (``kg.write``); one that is
corrupt, truncated or written by another version is ignored and rebuilt. Pickle, like a
``.pyc`` file, is executable data: the cache directory must be as trusted as the checkout.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.project import Project, default_project

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "CachedGraph",
    "cache_dir",
    "cache_key",
    "cached_store_path",
    "installed_version",
    "cached_graph",
    "clear_cache",
    "load_cached",
]

#: Bump when the pickled payload changes shape.
CACHE_FORMAT = 1
#: Cache files kept per kind; older ones are removed (other facts directories, old edits).
KEEP = 8
_MAGIC = b"aichip-kg-cache\n"
_CODE_FILES = ("load.py", "cache.py")
#: The closure's own code: a change in its rules invalidates cached closures, not plain graphs.
_INFER_CODE_FILES = ("infer.py",)
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CachedGraph:
    """A graph and where it came from: ``hit`` is True when it was read from ``path``."""

    graph: Graph
    key: str
    hit: bool
    path: Path | None


def _versions(infer: bool) -> str:
    from kg import __version__

    parts = [f"format={CACHE_FORMAT}", f"kg={__version__}", f"python={sys.version_info[:2]}"]
    for package in ("rdflib", "pyoxigraph", *(("reasonable",) if infer else ())):
        parts.append(f"{package}={installed_version(package)}")
    return ";".join(parts)


def installed_version(package: str) -> str:
    """The installed version of ``package`` from its ``*.dist-info`` directory name, "?" if
    not found. Neither the package nor importlib.metadata (tens of milliseconds each) is
    imported: a cached query must not pay for them."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return "?"
    site = Path(spec.origin).parent.parent
    prefix = f"{package.replace('-', '_').lower()}-"
    try:
        names = os.listdir(site)
    except OSError:
        return "?"
    for name in names:
        if name.lower().startswith(prefix) and name.endswith(".dist-info"):
            return name[len(prefix) : -len(".dist-info")]
    return "?"


def cache_key(project: Project | None = None, *, infer: bool = False, remember: bool = True) -> str:
    """Hex SHA-256 over the inputs that determine the loaded graph (see the module doc).

    Hashing every facts file costs more than a cached query; so the key is remembered in the
    cache directory against the files' stat signature (path, size, mtime, inode), and the
    bytes are hashed again only when one of those changed.
    """
    project = project or default_project()
    package = Path(__file__).resolve().parent
    code = [package / n for n in (*_CODE_FILES, *(_INFER_CODE_FILES if infer else ()))]
    inputs = [
        (kind, path)
        for kind, paths in (
            ("ontology", project.ontology_files()),
            ("facts", project.facts_files()),
        )
        for path in paths
    ]
    signature = _stat_signature(infer, code, inputs)
    memo = _key_memo(project) if remember else None  # --no-cache: touch no cache file
    if signature is not None and memo is not None:
        known = memo.get(signature)
        if known:
            return known
    digest = hashlib.sha256()
    digest.update(_versions(infer).encode())
    digest.update(b"infer" if infer else b"plain")
    for path in code:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for kind, path in inputs:
        try:
            data = path.read_bytes()
        except OSError:
            data = b"\xff unreadable"  # the loader reports it; never cache around it
        # The absolute path, because the loader resolves relative IRIs against it.
        digest.update(f"{kind}\0{path.resolve()}\0{len(data)}\0".encode())
        digest.update(data)
    key = digest.hexdigest()
    if signature is not None and memo is not None:
        memo.remember(signature, key)
    return key


def _stat_signature(infer: bool, code: list[Path], inputs: list[tuple[str, Path]]) -> str | None:
    """A digest of every input's path, size, mtime and inode (and the versions), or None if a
    file cannot be stat'ed (then the bytes decide)."""
    digest = hashlib.sha256(_versions(infer).encode())
    try:
        for kind, path in [("code", c) for c in code] + inputs:
            info = path.stat()
            digest.update(
                f"{kind}\0{path.resolve()}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n".encode()
            )
    except OSError:
        return None
    return digest.hexdigest()


class _KeyMemo:
    """``keys.json`` in the cache directory: stat signature -> content key (newest first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import json

            self.entries = dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            self.entries = {}

    def get(self, signature: str) -> str | None:
        value = self.entries.get(signature)
        return value if isinstance(value, str) else None

    def remember(self, signature: str, key: str) -> None:
        import json

        from kg.write import write_text_atomic

        entries = {signature: key, **{s: k for s, k in self.entries.items() if s != signature}}
        kept = dict(list(entries.items())[: 4 * KEEP])
        with contextlib.suppress(OSError):  # read-only cache: computed again next time
            write_text_atomic(self.path, json.dumps(kept, indent=0) + "\n")


def _key_memo(project: Project) -> _KeyMemo | None:
    directory = cache_dir(project)
    return _KeyMemo(directory / "keys.json") if directory is not None else None


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK | os.X_OK)


def cache_dir(project: Project | None = None) -> Path | None:
    """The directory cache files go in, or None when no candidate is writable."""
    project = project or default_project()
    explicit = os.environ.get("KG_CACHE_DIR")
    if explicit:
        return Path(explicit) if _writable(Path(explicit)) else None
    local = project.root / ".kg-cache"
    # The installed graph is read-only: its cache goes to the user cache, never beside it.
    if project.writable and not local.is_relative_to(_PACKAGE_DIR) and _writable(local):
        return local
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    user = Path(xdg) / "aichip-kg"
    return user if _writable(user) else None


def _file_name(key: str, infer: bool) -> str:
    return f"{'closure' if infer else 'graph'}-{key[:40]}.pickle"


def _read(path: Path, key: str) -> Graph | None:
    """The cached graph at ``path`` if it is intact and for ``key``, else None."""
    import pickle

    from rdflib import Graph

    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(_MAGIC):
        return None
    try:
        payload = pickle.loads(data[len(_MAGIC) :])
    except Exception:  # truncated or foreign pickle: rebuild
        return None
    if not isinstance(payload, dict) or payload.get("key") != key:
        return None
    graph = payload.get("graph")
    return graph if isinstance(graph, Graph) else None


def _prune(directory: Path, infer: bool, keep: Path) -> None:
    prefix = "closure-" if infer else "graph-"
    try:
        entries = [p for p in directory.glob(f"{prefix}*.pickle") if p != keep]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP - 1 :]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # another process pruned first; harmless


def _interned(graph: Graph) -> Graph:
    """A copy of ``graph`` in which equal terms are one object.

    The parser makes a new term object for every occurrence, and pickle can only share
    identical objects: interning halves the cache file and makes loading it several times
    faster (rdflib validates every IRI it rebuilds).
    """
    from rdflib import Graph

    terms: dict = {}
    intern = terms.setdefault
    copy = Graph()
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace, override=True, replace=True)
    copy.addN((intern(s, s), intern(p, p), intern(o, o), copy) for s, p, o in graph)
    return copy


def _build(project: Project, infer: bool, use_cache: bool, directory: Path | None) -> Graph:
    if not infer:
        from kg.facts.load import load_graph

        return _interned(load_graph(project))
    from kg.facts.infer import expand
    from kg.sparql.terms import PREFIXES

    # The plain graph is this call's own (just unpickled or built), so the closure is added to
    # it in place rather than copied; it already holds one object per term, so no _interned
    # copy either.
    graph = load_cached(project, infer=False, use_cache=use_cache, directory=directory).graph
    expand(graph)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def load_cached(
    project: Project | None = None,
    *,
    infer: bool = False,
    use_cache: bool = True,
    directory: Path | None = None,
) -> CachedGraph:
    """The project's merged graph (with ``infer``, its RDFS/OWL-RL closure), from the cache
    when it is current, else built and stored. ``use_cache=False`` neither reads nor writes."""
    import pickle

    from kg.write import write_bytes_atomic

    project = project or default_project()
    key = cache_key(project, infer=infer, remember=use_cache)
    if use_cache:
        directory = directory or cache_dir(project)
    path = directory / _file_name(key, infer) if use_cache and directory else None
    if path is not None:
        graph = _read(path, key)
        if graph is not None:
            return CachedGraph(graph=graph, key=key, hit=True, path=path)
    graph = _build(project, infer, use_cache, directory)
    if path is not None:
        payload = {"key": key, "graph": graph}
        data = _MAGIC + pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            write_bytes_atomic(path, data)
        except OSError:
            path = None  # read-only or full disk: the answer is still right, just not cached
        else:
            _prune(path.parent, infer, path)
    return CachedGraph(graph=graph, key=key, hit=False, path=path)


def cached_graph(
    project: Project | None = None, *, infer: bool = False, use_cache: bool = True
) -> Graph:
    """The merged graph (ontology + facts + truthy triples), cached; see :func:`load_cached`."""
    return load_cached(project, infer=infer, use_cache=use_cache).graph


def clear_cache(project: Project | None = None) -> int:
    """Remove this project's cache files; returns how many were removed."""
    import shutil

    directory = cache_dir(project)
    if directory is None:
        return 0
    removed = 0
    for path in [*directory.glob("graph-*.pickle"), *directory.glob("closure-*.pickle")]:
        path.unlink(missing_ok=True)
        removed += 1
    for path in directory.glob("*-oxigraph-*"):
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def cached_store_path(project: Project | None = None, *, infer: bool = False) -> Path | None:
    """The cached pyoxigraph copy of the graph (built if missing), or None without a cache dir.

    Keyed like the pickled graph, so it is rebuilt exactly when ontology/ or facts/ change. It
    is built in a temporary directory and renamed into place, so a reader never opens half of
    one; readers open it read-only, any number at a time.
    """
    import shutil
    import tempfile

    project = project or default_project()
    path = _store_location(project, infer)
    if path is None:
        return None
    if (path / _STORE_DONE).exists():
        return path
    directory, kind = path.parent, "closure" if infer else "graph"
    graph = load_cached(project, infer=infer, directory=directory).graph
    building = Path(tempfile.mkdtemp(prefix=f".{kind}-oxigraph-", dir=directory))
    try:
        _write_store(building, graph)
        try:
            os.replace(building, path)
        except OSError:  # another process put its copy in place first: use that one
            shutil.rmtree(building, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _prune_stores(directory, kind, path)
    return path


_STORE_DONE = "complete"


def is_cached(project: Project | None = None, *, infer: bool = False) -> bool:
    """Whether the graph (or its closure) is already cached: opening it is then quick."""
    path = _store_location(project or default_project(), infer)
    return path is not None and (path / _STORE_DONE).exists()


def _store_location(project: Project, infer: bool) -> Path | None:
    """Where the cached pyoxigraph copy of ``project``'s graph lives (None: no cache dir)."""
    directory = cache_dir(project)
    if directory is None:
        return None
    kind = "closure" if infer else "graph"
    return directory / f"{kind}-oxigraph-{cache_key(project, infer=infer)[:40]}"


def _write_store(path: Path, graph: Graph) -> None:
    import pyoxigraph as ox

    from kg.store.convert import term_to_ox

    store = ox.Store(str(path / "oxigraph"))
    default = ox.DefaultGraph()
    store.bulk_extend(ox.Quad(*(term_to_ox(t) for t in triple), default) for triple in graph)
    store.flush()
    store.optimize()
    del store
    (path / _STORE_DONE).write_text("built from the pickled graph of the same key\n")


def _prune_stores(directory: Path, kind: str, keep: Path) -> None:
    import shutil
    import time

    try:
        entries = [p for p in directory.glob(f"{kind}-oxigraph-*") if p != keep]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP - 1 :]:
            shutil.rmtree(old, ignore_errors=True)
        for stale in directory.glob(f".{kind}-oxigraph-*"):  # a build killed half-way
            if time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        pass  # another process pruned first; harmless
