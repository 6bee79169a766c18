"""Pausing Python's cyclic garbage collector around work that makes millions of objects.

CPython runs a collection each time enough new objects have survived; a load or an import
that keeps a graph (and a plan of every row) alive while building millions of terms sets off
full collections again and again, which walk everything and free next to nothing (terms,
rows and text make no cycles). The work runs with the collector off; what does make cycles
(rdflib's stores refer back to their graphs) is collected once the work is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off; it is on again afterwards (if it was on),
    also when the body raises."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
