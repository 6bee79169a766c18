"""Build hook: the wheel carries the graph itself.

``ontology/`` and ``facts/`` stay at the repository root (that is where people edit them), so
they are copied into the built package as ``kg/data/ontology`` and ``kg/data/facts``, where
:func:`kg.project.packaged_root` finds them in an installed wheel. Editable installs skip the
copy and read the checkout. Everything else is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: (directory at the repository root, files in it that belong to the graph)
GRAPH = (("ontology", ("*.ttl",)), ("facts", ("**/*.ttl", "**/README.md")))


class BuildPyWithGraph(build_py):
    """``build_py`` plus the ontology and curated facts as package data."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        data = Path(self.build_lib) / "kg" / "data"
        shutil.rmtree(data, ignore_errors=True)  # no stale files from an earlier build
        for name, patterns in GRAPH:
            source = HERE / name
            files = sorted({path for pattern in patterns for path in source.glob(pattern)})
            if not any(path.suffix == ".ttl" for path in files):
                raise SystemExit(f"setup.py: no Turtle files in {source}; cannot build the graph")
            for path in files:
                target = data / name / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


setup(cmdclass={"build_py": BuildPyWithGraph})
