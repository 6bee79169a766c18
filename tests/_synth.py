"""Synthetic ecosystem graphs for tests, from bench/synth.py (which is not a package)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

SYNTH = Path(__file__).resolve().parent.parent / "bench" / "synth.py"


@cache
def module():
    spec = importlib.util.spec_from_file_location("kg_bench_synth", SYNTH)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def synthetic(path: Path, triples: int, seed: int = 0) -> Path:
    """Write a synthetic graph of exactly ``triples`` N-Triples lines to ``path``."""
    module().write(path, triples, seed=seed)
    return path
