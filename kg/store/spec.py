"""``--store`` values: which store, and where. Nothing heavy here, so the CLI can check a
value (and ``kg.toml`` can name one) before rdflib or pyoxigraph is imported;
:func:`kg.store.open_graph` opens it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError

__all__ = ["DEFAULT_SPEC", "STORE_ENV", "StoreSpec", "parse_spec"]

STORE_ENV = "KG_STORE"
DEFAULT_SPEC = "default"


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``--store`` value: ``kind`` is default (pyoxigraph over the project's cached
    copy), memory (rdflib) or oxigraph; ``path`` only for an on-disk oxigraph store."""

    kind: str
    path: Path | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}" if self.path else self.kind

    @property
    def persistent(self) -> bool:
        return self.path is not None


def parse_spec(spec: str | StoreSpec | None = None) -> StoreSpec:
    """``default``, ``memory``, ``oxigraph`` or ``oxigraph:PATH``; None reads ``$KG_STORE``
    (else ``default``)."""
    if isinstance(spec, StoreSpec):
        return spec
    text = (spec if spec is not None else os.environ.get(STORE_ENV) or DEFAULT_SPEC).strip()
    kind, _, path = text.partition(":")
    kind = kind.lower()
    if kind in ("memory", "rdflib") and not path:
        return StoreSpec("memory")
    if kind in ("default", "") and not path:
        return StoreSpec("default")
    if kind == "oxigraph":
        return StoreSpec("oxigraph", Path(path).expanduser() if path else None)
    raise InputError(f"unknown store {text!r}; use default, memory, oxigraph or oxigraph:PATH")
