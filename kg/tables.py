"""Plain-text tables for the terminal, aligned by display width (CJK characters count two).

Text from the graph is made safe to print first: control characters (an ANSI or OSC escape
in an imported label) are shown as visible escapes, never sent to the terminal.

>>> print(format_table(("id", "label"), [("kg:huawei", "华为")]), end="")
id         label
---------  -----
kg:huawei  华为
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = ["FORMULA_STARTS", "display_width", "format_table", "printable", "spreadsheet_safe"]


def printable(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1) shown as ``\\xNN`` escapes."""
    if text.isprintable():
        return text
    return "".join(
        c
        if c.isprintable() or c in " "
        else f"\\x{ord(c):02x}"
        if ord(c) < 0x100
        else f"\\u{ord(c):04x}"
        for c in text
    )


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and fullwidth characters count two, marks zero."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def format_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    align_right: Sequence[bool] | None = None,
) -> str:
    """An aligned plain-text table (header, dashes, rows), by display width."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    right = list(align_right or [False] * len(headers))

    def line(cells: Sequence[str], is_header: bool = False) -> str:
        parts = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - display_width(cell))
            parts.append(pad + cell if right[i] and not is_header else cell + pad)
        return "  ".join(parts).rstrip()

    out = [line(headers, True), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in rows)
    return "\n".join(out) + "\n"


#: First characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def spreadsheet_safe(cell: object) -> str:
    """``cell`` as text a spreadsheet shows rather than runs: a value that would start a
    formula (``=HYPERLINK(…)`` in a label from an imported file) gets a leading apostrophe,
    which spreadsheets hide and treat as "this is text". Plain numbers are left alone."""
    text = "" if cell is None else str(cell)
    # Apostrophes already in front count as part of the value ("'=x" becomes "''=x"), so
    # removing one apostrophe where the rest would be a formula gives the value back exactly.
    rest = text.lstrip("'")
    if rest.startswith(FORMULA_STARTS) and not _NUMBER.match(rest):
        return "'" + text
    return text
