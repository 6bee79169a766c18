"""Deterministic, readable Turtle for generated facts files.

rdflib's serializer is correct but its layout is not something a curator can diff by eye;
generated files are committed, so this writer groups triples by subject, orders subjects,
predicates and objects, and puts ``rdf:type`` first. Same graph in, same bytes out.
"""

from __future__ import annotations

from collections import defaultdict

from rdflib import RDF, RDFS, BNode, Graph, URIRef

from kg.sparql.terms import PREFIXES, TurtleTerms

__all__ = ["render_turtle", "term_n3"]


def term_n3(term, prefixes: dict[str, str] = PREFIXES) -> str:
    """A term as Turtle, by the project's one Turtle term writer; no blank nodes in facts."""
    if isinstance(term, BNode):
        raise ValueError("generated facts must not contain blank nodes")
    return TurtleTerms(prefixes).term(term)


# Statement nodes read best with their triple first.
_FIRST = {RDF.type: 0, RDF.subject: 1, RDF.predicate: 2, RDF.object: 3, RDFS.label: 4}


def _sort_key(term) -> tuple:
    return (0 if isinstance(term, URIRef) else 1, str(term), str(getattr(term, "datatype", "")))


def render_turtle(graph: Graph, header: str = "", prefixes: dict[str, str] = PREFIXES) -> str:
    """Turtle text for ``graph``: ``header`` as ``#`` comments, then one block per subject."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    lines += [f"@prefix {p}: <{ns}> ." for p, ns in sorted(prefixes.items())]
    by_subject: dict = defaultdict(lambda: defaultdict(list))
    for s, p, o in graph:
        by_subject[s][p].append(o)
    for subject in sorted(by_subject, key=_sort_key):
        predicates = by_subject[subject]
        ordered = sorted(
            predicates, key=lambda p: (_FIRST.get(p, len(_FIRST)), term_n3(p, prefixes))
        )
        parts = []
        for predicate in ordered:
            objects = sorted(predicates[predicate], key=_sort_key)
            verb = "a" if predicate == RDF.type else term_n3(predicate, prefixes)
            rendered = " , ".join(term_n3(o, prefixes) for o in objects)
            parts.append(f"    {verb} {rendered}")
        lines.append("")
        lines.append(term_n3(subject, prefixes))
        lines.append(" ;\n".join(parts) + " .")
    return "\n".join(lines) + "\n"
