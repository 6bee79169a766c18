"""A project's settings file, ``kg.toml`` at the project root (optional).

Settings that would otherwise be given on every call, today only the store::

    # kg.toml
    store = "oxigraph:.kg-store"   # every kg command of this project uses it

A relative ``oxigraph:PATH`` is resolved against the project root, not the current directory,
so the setting means the same store wherever kg runs from. The command line wins over the
environment, which wins over this file: ``--store`` > ``$KG_STORE`` > ``kg.toml`` > the cached
pyoxigraph copy (``default``).
Unknown keys are errors (a misspelt setting must not be silently ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError, ParseError
from kg.project import CONFIG_FILE
from kg.store.spec import StoreSpec, parse_spec

__all__ = ["CONFIG_FILE", "ProjectConfig", "read_config"]

_KEYS = {"store": "memory, oxigraph or oxigraph:PATH, a path relative to the project root"}


@dataclass(frozen=True)
class ProjectConfig:
    """What ``kg.toml`` says; None where it says nothing."""

    store: str | None = None


def _resolve_store(value: str, root: Path, where: str) -> str:
    try:
        spec = parse_spec(value)
    except InputError as exc:
        raise InputError(f"{where}: store: {exc}") from None
    if spec.path is None:
        return str(spec)
    return str(StoreSpec(spec.kind, (root / spec.path).resolve()))


def read_config(root: Path) -> ProjectConfig:
    """``root/kg.toml`` parsed and checked; an empty config when there is no such file."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return ProjectConfig()
    try:
        import tomllib  # only when there is a kg.toml to read

        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "… (at line L, column C)": name the line the way every kg error does.
        where = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ParseError(str(path), int(where.group(1)) if where else None, message) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        known = "; ".join(f"{key} ({meaning})" for key, meaning in _KEYS.items())
        raise InputError(f"{path}: unknown setting {', '.join(unknown)}; known: {known}")
    store = data.get("store")
    if store is not None and not isinstance(store, str):
        raise InputError(f'{path}: store must be a string such as "oxigraph:.kg-store"')
    return ProjectConfig(store=_resolve_store(store, root, str(path)) if store else None)
