"""Terms between the two engines: pyoxigraph's and rdflib's, as rdflib's parser makes them.

Nothing here is imported until a conversion is asked for, so a command that only prints
pyoxigraph answers never loads rdflib.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from rdflib import BNode, Literal, URIRef

from kg.errors import KGError
from kg.sparql.terms import XSD_STRING, bcp47_case

__all__ = ["rows_from_ox", "term_from_ox", "term_to_ox", "to_rdflib", "triple_from_ox"]

_RDFLIB_TYPES = (URIRef, BNode, Literal)


def to_rdflib(term: Any) -> Any:
    """Any engine's term as an rdflib term (rdflib terms and None pass through)."""
    if term is None or isinstance(term, _RDFLIB_TYPES):
        return term
    return term_from_ox(term)


def term_from_ox(term: Any) -> Any:
    """A pyoxigraph term as the rdflib term rdflib's own parser would make."""
    convert = _FROM_OX.get(type(term))
    if convert is None:
        if term is None:
            return None
        _init_from_ox()
        convert = _FROM_OX.get(type(term))
        if convert is None:
            raise KGError(f"unsupported term from pyoxigraph: {term!r}")
    return convert(term)


def triple_from_ox(statement: Any) -> tuple[Any, Any, Any]:
    """A pyoxigraph Triple or Quad's subject, predicate and object as rdflib terms."""
    return (
        term_from_ox(statement.subject),
        term_from_ox(statement.predicate),
        term_from_ox(statement.object),
    )


def _literal_from_ox(term: Any) -> Literal:
    if term.language:
        return Literal(term.value, lang=bcp47_case(term.language))
    datatype = term.datatype.value
    if datatype == XSD_STRING:  # RDF 1.1: "x" and "x"^^xsd:string are one term
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def rows_from_ox(solutions: Iterable[Any], width: int) -> tuple[tuple[Any, ...], ...]:
    """Solutions as tuples of rdflib terms. Answers repeat terms (a label per row, the same
    source…), and an rdflib Literal costs far more to build than a lookup, so each distinct
    term is converted once per answer."""
    memo: dict[Any, Any] = {None: None}
    rows = []
    for solution in solutions:
        row = []
        for i in range(width):
            term = solution[i]
            converted = memo.get(term, memo)
            if converted is memo:
                converted = memo[term] = term_from_ox(term)
            row.append(converted)
        rows.append(tuple(row))
    return tuple(rows)


# Type -> converter, filled on first use so that importing this module never loads pyoxigraph.
_FROM_OX: dict[type, Callable[[Any], Any]] = {}


def _init_from_ox() -> None:
    import pyoxigraph as ox

    _FROM_OX[ox.NamedNode] = lambda term: URIRef(term.value)
    _FROM_OX[ox.Literal] = _literal_from_ox
    _FROM_OX[ox.BlankNode] = lambda term: BNode(term.value)
    _FROM_OX[ox.DefaultGraph] = lambda term: None


def term_to_ox(term: Any) -> Any:
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(re.sub(r"[^A-Za-z0-9_\-]", "_", str(term)))
    raise KGError(f"unsupported rdflib term: {term!r}")
