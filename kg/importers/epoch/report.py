"""What an Epoch import found: frozen results the CLI prints and ``--json`` dumps."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.tables import printable

__all__ = ["Conflict", "EpochReport", "Match", "NewChip", "RowError"]


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    problem: str

    def format(self, file: str) -> str:
        """``FILE:ROW: column: problem``, safe to print (control characters escaped)."""
        return printable(f"{file}:{self.row}: {self.column}: {self.problem}")


@dataclass(frozen=True)
class Match:
    """A row that denotes an entity the curated facts already have: its statements get the
    curated subject. ``evidence`` says why (a curated_names.csv line, or maker + name key)."""

    row: int
    name: str
    chip: str  # slug
    evidence: str = ""


@dataclass(frozen=True)
class NewChip:
    row: int
    name: str
    chip: str  # slug
    chip_class: str  # CURIE of the class
    variant_of: str | None = None  # slug of the product it is a SKU of
    family: str | None = None  # slug of the curated chip family its name starts with


@dataclass(frozen=True)
class Conflict:
    row: int
    chip: str
    property: str  # CURIE
    curated: tuple[tuple[str, str], ...]  # (statement CURIE, value)
    imported: str
    imported_statement: str


@dataclass(frozen=True)
class EpochReport:
    file: str
    sha256: str
    rows: int
    matches: tuple[Match, ...] = ()
    new_chips: tuple[NewChip, ...] = ()
    new_organizations: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    agreements: int = 0
    statements: int = 0
    errors: tuple[RowError, ...] = ()
    more_errors: int = 0  # problems found past the ones listed (a bounded list)
    validated_rows: int = 0  # rows whose triples went through `kg validate`'s rules
    distinct: tuple[tuple[int, str, str], ...] = field(default=())  # (row, chip, curated)

    @property
    def ok(self) -> bool:
        return not self.errors
