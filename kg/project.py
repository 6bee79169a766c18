"""Where a project's ontology, facts and exports live, and how kg finds the project.

Like git, kg looks for the nearest ``kg.toml`` upward from the current directory; that
directory is the project root. ``--root`` (or ``$KG_ROOT``) names one explicitly and wins.
A root that has its own ``ontology/`` is a self-contained project (the checkout); one without
is a *workspace* (``kg init``): its ``facts/`` are layered over the graph installed with the
package, and its ``exports/`` receive ``kg build``. With no ``kg.toml`` anywhere above, kg
answers from the installed graph, read-only: nothing is ever written into the installation.

The installed graph is ``kg/data/{ontology,facts}`` in a wheel (copied there at build time by
``setup.py``); in a checkout or an editable install it is the checkout's own ``ontology/`` and
``facts/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from kg.errors import InputError

__all__ = [
    "CONFIG_FILE",
    "Project",
    "ReadOnlyProject",
    "default_project",
    "discover_project",
    "find_project_root",
    "packaged_root",
]

#: The file that marks a project root (also its settings; see :mod:`kg.config`).
CONFIG_FILE = "kg.toml"

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE_DIR.parent


class ReadOnlyProject(InputError):
    """A command would write into the installed graph, which is never written."""


def packaged_root() -> Path:
    """The directory holding the installed ``ontology/`` and ``facts/``: ``kg/data`` in a
    wheel, else the checkout this package runs from (editable install, ``python cli.py``)."""
    data = _PACKAGE_DIR / "data"
    return data if (data / "ontology").is_dir() else _CHECKOUT


@dataclass(frozen=True)
class Project:
    """A project tree: ``ontology/*.ttl`` + ``shapes.ttl``, ``facts/**/*.ttl``, ``exports/``.

    ``core_facts_dirs`` are read before ``facts_dir`` (a workspace's layer over the installed
    facts); ``writable`` is False for the installed graph itself.
    """

    root: Path
    facts_dir: Path
    ontology_dir: Path
    exports_dir: Path
    core_facts_dirs: tuple[Path, ...] = ()
    writable: bool = True

    @classmethod
    def at(cls, root: Path | str, facts_dir: Path | str | None = None) -> Project:
        """A self-contained project: ``root/ontology``, ``root/facts`` (or ``facts_dir``)."""
        root = Path(root).resolve()
        return cls(
            root=root,
            facts_dir=Path(facts_dir).resolve() if facts_dir else root / "facts",
            ontology_dir=root / "ontology",
            exports_dir=root / "exports",
        )

    @classmethod
    def workspace(cls, root: Path | str, facts_dir: Path | str | None = None) -> Project:
        """A workspace: its own facts over the installed ontology and facts."""
        root = Path(root).resolve()
        core = packaged_root()
        return cls(
            root=root,
            facts_dir=Path(facts_dir).resolve() if facts_dir else root / "facts",
            ontology_dir=core / "ontology",
            exports_dir=root / "exports",
            core_facts_dirs=(core / "facts",),
        )

    @classmethod
    def packaged(cls, facts_dir: Path | str | None = None) -> Project:
        """The installed graph, read-only (``facts_dir`` replaces its facts)."""
        return replace(cls.at(packaged_root(), facts_dir), writable=False)

    @classmethod
    def open(cls, root: Path | str, facts_dir: Path | str | None = None) -> Project:
        """The project at ``root``: self-contained if it has ``ontology/``, else a workspace."""
        root = Path(root).resolve()
        if (root / "ontology").is_dir():
            return cls.at(root, facts_dir)
        return cls.workspace(root, facts_dir)

    @property
    def is_workspace(self) -> bool:
        return bool(self.core_facts_dirs)

    @property
    def shapes_path(self) -> Path:
        return self.ontology_dir / "shapes.ttl"

    @property
    def facts_dirs(self) -> tuple[Path, ...]:
        """Every facts directory, the installed layer first and this project's own last."""
        return (*self.core_facts_dirs, self.facts_dir)

    def ontology_files(self) -> list[Path]:
        return sorted(p for p in self.ontology_dir.glob("*.ttl") if p.name != "shapes.ttl")

    def facts_files(self) -> list[Path]:
        return [path for directory in self.facts_dirs for path in sorted(directory.rglob("*.ttl"))]

    def display(self, path: Path) -> str:
        """A path as shown in messages: relative to the project root when inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def check_writable(self, command: str, target: Path) -> None:
        """Raise :class:`ReadOnlyProject` when ``command`` would write ``target`` into the
        installed graph (no ``kg.toml`` found, so no project to write to)."""
        if self.writable:
            return
        raise ReadOnlyProject(
            f"{command} would write to {target}, but no {CONFIG_FILE} was found in "
            f"{Path.cwd()} or above, and the installed graph is read-only; "
            f"run `kg init DIR` to make a workspace and run {command} in it"
        )


def find_project_root(start: Path | str | None = None) -> Path | None:
    """The nearest directory at or above ``start`` (default: the current one) holding
    ``kg.toml``, or None."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / CONFIG_FILE).is_file():
            return directory
    return None


def discover_project(
    root: Path | str | None = None,
    facts_dir: Path | str | None = None,
    *,
    start: Path | str | None = None,
) -> Project:
    """The project kg works on: ``root`` if given, else the nearest ``kg.toml`` upward from
    ``start``, else the installed graph (read-only). ``facts_dir`` replaces the project's own
    facts directory."""
    if root:
        return Project.open(root, facts_dir)
    found = find_project_root(start)
    if found is not None:
        return Project.open(found, facts_dir)
    return Project.packaged(facts_dir)


def default_project() -> Project:
    """The project named by ``$KG_ROOT`` (and ``$KG_FACTS``), else the one found from the
    current directory (see :func:`discover_project`)."""
    return discover_project(os.environ.get("KG_ROOT"), os.environ.get("KG_FACTS"))
