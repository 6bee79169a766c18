"""Reading the graph for ``show``, ``search`` and ``stats``: SPARQL on a store, engine's terms.

The explore commands ask the store (:func:`kg.store.open_graph`) a few queries each and read
``Result.native_rows`` with :func:`kg.sparql.terms.parts`, so on the default engine (pyoxigraph
over the cached graph) they never load rdflib. An rdflib ``Graph`` is accepted too, wrapped in a
:class:`~kg.store.memory.MemoryStore`, so there is one implementation for both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from kg.sparql.terms import PREFIXES, parts, term_text

__all__ = [
    "RDF_TYPE",
    "as_store",
    "iri",
    "iri_of",
    "objects_of",
    "select",
    "shown",
    "sparql_iri",
    "text_of",
]

RDF_TYPE = PREFIXES["rdf"] + "type"
_DECIMAL = PREFIXES["xsd"] + "decimal"
# Characters an IRIREF may not hold: such a "term" names nothing in the graph.
_NOT_IN_IRI = set('<>"{}|^`\\') | {chr(c) for c in range(0x21)}
#: IRIs per VALUES block: large enough for one query in practice, small enough for any parser.
_CHUNK = 2000


def as_store(source: Any) -> Any:
    """``source`` as a :class:`~kg.store.base.Store` (an rdflib graph is wrapped, not copied)."""
    from kg.store.base import Store

    if isinstance(source, Store):
        return source
    from kg.store.memory import MemoryStore

    return MemoryStore(source)


def select(store: Any, text: str) -> tuple[tuple, ...]:
    """The rows of a SELECT, as the engine's own terms (None where unbound)."""
    return store.query(text, source="kg explore").native_rows


def sparql_iri(value: str) -> str | None:
    """``<value>`` for SPARQL, or None when ``value`` cannot be an IRI."""
    if not value or any(c in _NOT_IN_IRI for c in value):
        return None
    return f"<{value}>"


def iri(term: Any) -> str | None:
    """The IRI of a term that is one, else None."""
    if term is None:
        return None
    p = parts(term)
    return p.value if p.kind == "iri" else None


def iri_of(term: Any) -> str:
    """The IRI of a term known to be one."""
    return parts(term).value


def text_of(term: Any) -> str:
    """A term's lexical value (an IRI's IRI), as ``str()`` of an rdflib term reads; a whole
    decimal with its fraction digit (``10.0``), as Turtle writes it: pyoxigraph keeps numbers
    in their XSD 1.1 canonical form (``10``), rdflib as they were written."""
    p = parts(term)
    if p.datatype == _DECIMAL and p.value.lstrip("+-").isdigit():
        return p.value + ".0"
    return p.value


def shown(term: Any) -> str:
    """:func:`kg.sparql.terms.term_text`, with decimals as :func:`text_of` writes them."""
    p = parts(term)
    if p.datatype == _DECIMAL:
        return text_of(term)
    return term_text(term)


def objects_of(
    store: Any, subjects: Iterable[str], predicates: Iterable[str] = ()
) -> dict[str, dict[str, list]]:
    """subject IRI → predicate IRI → objects, for the IRIs ``subjects`` (only ``predicates``,
    when given); a few queries however many subjects there are."""
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    wanted = sorted({s for s in subjects if sparql_iri(s)})
    only = tuple(predicates)
    # One VALUES block of (subject, predicate) pairs: rdflib's engine joins two separate
    # VALUES blocks by scanning every triple, pyoxigraph either way by index.
    if only:
        rows = [f"(<{s}> <{p}>)" for s in wanted for p in only]
        head = "VALUES (?s ?p)"
    else:
        rows = [f"<{s}>" for s in wanted]
        head = "VALUES ?s"
    for start in range(0, len(rows), _CHUNK):
        block = " ".join(rows[start : start + _CHUNK])
        text = f"SELECT ?s ?p ?o WHERE {{ {head} {{ {block} }} ?s ?p ?o }}"
        for s, p, o in select(store, text):
            found[iri_of(s)][iri_of(p)].append(o)
    return found
