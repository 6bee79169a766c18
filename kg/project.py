"""Where a project's ontology, facts and exports live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Project", "default_project"]

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Project:
    """A project tree: ``ontology/*.ttl`` + ``shapes.ttl``, ``facts/**/*.ttl``, ``exports/``."""

    root: Path
    facts_dir: Path
    ontology_dir: Path
    exports_dir: Path

    @classmethod
    def at(cls, root: Path | str, facts_dir: Path | str | None = None) -> Project:
        root = Path(root).resolve()
        return cls(
            root=root,
            facts_dir=Path(facts_dir).resolve() if facts_dir else root / "facts",
            ontology_dir=root / "ontology",
            exports_dir=root / "exports",
        )

    @property
    def shapes_path(self) -> Path:
        return self.ontology_dir / "shapes.ttl"

    def ontology_files(self) -> list[Path]:
        return sorted(p for p in self.ontology_dir.glob("*.ttl") if p.name != "shapes.ttl")

    def facts_files(self) -> list[Path]:
        return sorted(self.facts_dir.rglob("*.ttl"))

    def display(self, path: Path) -> str:
        """A path as shown in messages: relative to the project root when inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


def default_project() -> Project:
    """The project named by ``KG_ROOT`` (and ``KG_FACTS``), else the checkout this package is in."""
    return Project.at(os.environ.get("KG_ROOT", _PACKAGE_ROOT), os.environ.get("KG_FACTS"))
