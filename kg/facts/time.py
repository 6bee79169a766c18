"""Whether a dated claim holds on a given day.

Claims carry ``aichip:startDate`` / ``aichip:endDate`` (a membership, a threshold), and rules
``aichip:effectiveDate``, as precisely as their source gives them: a day (``2023-10-17``), a
month (``2022-09``) or a year (``2016``). A start in the same month or year as the day asked
about cannot say whether it had begun: that is ``uncertain``, never a guess. A claim with
neither date is ``undated``: it is shown as such, not hidden. An end date is the first day on
which the claim no longer holds (the 2022 interconnect threshold ends when the 2023 rule takes
effect).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from kg.errors import InputError

__all__ = [
    "ENDED",
    "HELD",
    "NOT_YET",
    "UNCERTAIN",
    "UNDATED",
    "date_bounds",
    "parse_day",
    "status_at",
]

HELD = "held"
NOT_YET = "not yet"
ENDED = "ended"
UNCERTAIN = "uncertain"
UNDATED = "undated"

_PARTIAL = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_day(text: str) -> date:
    """The day ``--as-of`` names (``YYYY-MM-DD``); InputError otherwise.

    >>> parse_day("2023-01-01")
    datetime.date(2023, 1, 1)
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--as-of {text!r}: give a day as YYYY-MM-DD (e.g. 2024-01-01)") from None


def date_bounds(value: object) -> tuple[date, date] | None:
    """(first day, last day) a date, month or year literal covers; None if it is no date.

    >>> date_bounds("2022-09")
    (datetime.date(2022, 9, 1), datetime.date(2022, 9, 30))
    >>> date_bounds("2016"), date_bounds("sometime")
    ((datetime.date(2016, 1, 1), datetime.date(2016, 12, 31)), None)
    """
    match = _PARTIAL.match(str(value).strip())
    if match is None:
        return None
    year = int(match.group(1))
    month, day = match.group(2), match.group(3)
    try:
        if day is not None:
            one = date(year, int(month), int(day))
            return one, one
        if month is not None:
            last = calendar.monthrange(year, int(month))[1]
            return date(year, int(month), 1), date(year, int(month), last)
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None


def status_at(when: date, start: object = None, end: object = None) -> str:
    """Whether a claim from ``start`` to ``end`` (either may be missing) holds on ``when``.

    >>> day = date(2023, 1, 1)
    >>> status_at(day, "2023-10-17"), status_at(day, "2022-09-12"), status_at(day)
    ('not yet', 'held', 'undated')
    >>> status_at(day, "2022-10-07", "2023-11-17"), status_at(day, "2023")
    ('held', 'uncertain')
    >>> status_at(day, None, "2022")
    'ended'
    """
    begins = date_bounds(start) if start is not None else None
    ends = date_bounds(end) if end is not None else None
    if begins is None and ends is None:
        return UNDATED
    if begins is not None and when < begins[0]:
        return NOT_YET
    if ends is not None and when >= ends[1]:
        return ENDED
    if (begins is not None and when < begins[1]) or (ends is not None and when >= ends[0]):
        return UNCERTAIN
    return HELD
