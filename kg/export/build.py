"""``kg build``: load, validate, and write every export deterministically and atomically."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ExportError, ValidationFailed, disk_error
from kg.facts.load import LoadedGraph, load
from kg.facts.validate import validate
from kg.project import Project
from kg.write import write_set_atomic

__all__ = [
    "BuildResult",
    "EXPORTERS",
    "EXPORTER_MODULES",
    "build_exports",
    "exporters",
    "register",
    "render_exports",
]

#: File name -> function rendering that export's bytes, filled by ``register``.
EXPORTERS: dict[str, Callable[[LoadedGraph], bytes]] = {}

#: Modules that call ``register`` when imported; imported on first use, not at start-up.
EXPORTER_MODULES: tuple[str, ...] = ("kg.export.formats", "kg.viz.viewer")


def register(file_name: str, render: Callable[[LoadedGraph], bytes]) -> None:
    """Have ``kg build`` write ``render(loaded)`` to ``exports/<file_name>``."""
    EXPORTERS[file_name] = render


def exporters() -> dict[str, Callable[[LoadedGraph], bytes]]:
    """Every registered exporter, after importing the modules that register them."""
    for module in EXPORTER_MODULES:
        importlib.import_module(module)
    return EXPORTERS


@dataclass(frozen=True)
class BuildResult:
    files: tuple[str, ...]  # written (or, with check, compared) file names
    stale: tuple[str, ...]  # with check: files missing or different on disk


def render_exports(loaded: LoadedGraph) -> dict[str, bytes]:
    """Every export's bytes, keyed by file name, in a stable order."""
    return {name: render(loaded) for name, render in sorted(exporters().items())}


def build_exports(
    project: Project,
    out_dir: Path,
    *,
    check: bool = False,
    progress: Callable[[str], None] = lambda _message: None,
) -> BuildResult:
    """Validate, then write (or with ``check`` compare) all exports under ``out_dir``.

    Everything is rendered in memory, then written as one set (:func:`kg.write.write_set_atomic`):
    a failure in any exporter, a full disk or a kill leaves every existing export untouched.
    """
    progress("loading ontology and facts…")
    loaded = load(project)
    progress(f"validating {len(loaded.graph)} triples…")
    report = validate(loaded)
    if report.problems:
        raise ValidationFailed(list(report.problems))
    progress("rendering exports…")
    outputs = render_exports(loaded)
    if check:
        stale = tuple(
            name
            for name, data in outputs.items()
            if not (out_dir / name).is_file() or (out_dir / name).read_bytes() != data
        )
        return BuildResult(files=tuple(outputs), stale=stale)
    try:
        write_set_atomic(out_dir, outputs, lambda name: progress(f"wrote {name}"))
    except OSError as exc:
        raise disk_error(
            exc,
            out_dir,
            "cannot write the exports (the previous ones are unchanged)",
            ExportError,
            name_file=False,
        ) from None
    return BuildResult(files=tuple(outputs), stale=())
