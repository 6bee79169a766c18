"""Results as JSON-ready data: dataclass fields and properties, Decimals as plain numbers."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

__all__ = ["to_jsonable"]

_PLACES = Decimal("0.000001")


def _number(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value.quantize(_PLACES))


def to_jsonable(value: Any) -> Any:
    """``value`` with dataclasses turned into dicts (fields, then read-only properties),
    tuples into lists and Decimals into ints or floats (six decimal places).

    >>> from decimal import Decimal
    >>> to_jsonable({"share": Decimal("85.0"), "of": ("kg:nvidia",)})
    {'share': 85, 'of': ['kg:nvidia']}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in sorted(vars(type(value))):
            if isinstance(getattr(type(value), name), property) and not name.startswith("_"):
                out[name] = to_jsonable(getattr(value, name))
        return out
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v) for v in items]
    return value
