"""Read Epoch's CSV as a stream of checked rows, in bounded memory.

Row numbers count CSV records with the header as row 1, as a spreadsheet shows them (a quoted
field may span several lines, so they are not file line numbers). Every cell is checked before
anything is built from it: control characters (NUL, ANSI and OSC escapes) are refused, numbers
must be finite, non-negative and inside the column's plausible range (:data:`BOUNDS`), dates
must be days of the calendar written ``YYYY-MM-DD``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kg.errors import ParseError
from kg.importers.epoch.columns import (
    BOUNDS,
    COLUMNS,
    DATE_COLUMN,
    FREE_TEXT_COLUMNS,
    INFINITY_ALLOWED,
    NAME_COLUMN,
    NUMBER_COLUMNS,
    OPTIONAL,
    SMALLEST,
)
from kg.importers.epoch.report import RowError

__all__ = ["EpochCSV", "check_row", "file_sha256", "parse_number"]

# C0 and C1 controls and DEL; free text may keep tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_FREE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _real_date(text: str) -> bool:
    """``YYYY-MM-DD`` names a day of the calendar (not 2020-02-30), as xsd:date requires."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


_LONGEST_NUMBER = 64  # characters; Epoch writes at most ~25


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_number(text: str, column: str) -> tuple[Decimal | None, str | None]:
    """(value, problem): empty cells are None; malformed or implausible ones name the problem.

    The range is checked before any arithmetic, so "1e999999" is an error here, not a
    ``decimal.Overflow`` later.
    """
    text = text.strip()
    if not text:
        return None, None
    if text.casefold() in {"inf", "+inf", "infinity"} and column in INFINITY_ALLOWED:
        return None, None
    if len(text) > _LONGEST_NUMBER:
        return None, f"not a number: {text[:20]!r}… ({len(text)} characters)"
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"not a number: {text!r}"
    if not value.is_finite():
        return None, f"not a finite number: {text!r}"
    if value < 0:
        return None, f"negative value: {text!r}"
    bound = BOUNDS.get(column)
    if bound is not None and value > bound:
        return None, f"out of range: {text!r} (at most {bound:E} is plausible)"
    if value and value < SMALLEST:
        return None, f"out of range: {text!r} (a non-zero value below {SMALLEST:E})"
    return value, None


def check_row(number: int, row: dict[str, str]) -> list[RowError]:
    errors = []
    # One search over the whole row first: most rows have no control character at all (and
    # _CONTROL finds every character either pattern would), so the cells are searched one by
    # one only when there is something to report.
    if _CONTROL.search("".join(row.values())) is not None:
        for column, cell in row.items():
            pattern = _CONTROL_IN_FREE_TEXT if column in FREE_TEXT_COLUMNS else _CONTROL
            found = pattern.search(cell)
            if found:
                errors.append(
                    RowError(
                        number,
                        column,
                        f"control character U+{ord(found.group()):04X} at position "
                        f"{found.start()}; remove it (terminal escapes and NULs are not data)",
                    )
                )
    if not row.get(NAME_COLUMN, "").strip():
        errors.append(RowError(number, NAME_COLUMN, "empty"))
    for column in NUMBER_COLUMNS:
        cell = row.get(column)
        if cell and not cell.isspace():  # a blank cell is no figure (parse_number agrees)
            _, problem = parse_number(cell, column)
            if problem:
                errors.append(RowError(number, column, problem))
    date = row.get(DATE_COLUMN, "").strip()
    if date and not _DATE.match(date):
        errors.append(RowError(number, DATE_COLUMN, f"not a YYYY-MM-DD date: {date!r}"))
    elif date and not _real_date(date):
        errors.append(RowError(number, DATE_COLUMN, f"no such day: {date!r}"))
    return errors


class EpochCSV:
    """One pass over the CSV at ``path``: iterate :meth:`rows`; problems of the file's shape
    (header, field counts, encoding) collect in ``errors``. Each pass re-opens the file, so
    nothing but the current row is held."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.errors: list[RowError] = []
        self.header: list[str] = []

    def _open(self):
        try:
            return self.path.open(encoding="utf-8-sig", newline="")
        except FileNotFoundError:
            raise ParseError(self.display, None, "no such file") from None
        except OSError as exc:
            raise ParseError(self.display, None, exc.strerror or str(exc)) from None

    def _check_header(self, header: list[str]) -> None:
        known = set(COLUMNS)
        seen: set[str] = set()
        for column in header:
            if column not in known:
                self.errors.append(RowError(1, column or "(empty)", "unknown column"))
            if column in seen:
                self.errors.append(RowError(1, column, "column appears twice"))
            seen.add(column)
        for column in COLUMNS:
            if column not in seen and column not in OPTIONAL:
                self.errors.append(RowError(1, column, "required column is missing"))

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, cells by column) for every non-blank record of the right width."""
        self.errors = []
        number = 1
        with self._open() as stream:
            reader = csv.reader(stream)
            try:
                header = next(reader)
            except StopIteration:
                self.errors.append(RowError(1, "(header)", "the file is empty"))
                return
            except csv.Error as exc:
                self.errors.append(RowError(1, "(header)", f"malformed CSV: {exc}"))
                return
            except UnicodeDecodeError as exc:
                raise ParseError(
                    self.display, None, f"not valid UTF-8 (byte {exc.start})"
                ) from None
            self.header = header
            self._check_header(header)
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    self.errors.append(RowError(number + 1, "(row)", f"malformed CSV: {exc}"))
                    return
                except UnicodeDecodeError as exc:
                    self.errors.append(
                        RowError(number + 1, "(row)", f"not valid UTF-8 (byte {exc.start})")
                    )
                    return
                number += 1
                if not any(cell.strip() for cell in fields):
                    continue  # blank line
                if len(fields) != len(header):
                    self.errors.append(
                        RowError(
                            number,
                            "(row)",
                            f"has {len(fields)} fields, the header has {len(header)}",
                        )
                    )
                    continue
                yield number, dict(zip(header, fields, strict=True))
