"""RDF terms as text, for both engines: the project prefixes, CURIEs, N-Triples terms.

A term is an rdflib term (``URIRef``, ``BNode``, ``Literal``) or a pyoxigraph one
(``NamedNode``, ``BlankNode``, ``Literal``); :func:`parts` reads either without importing
rdflib, so answers from the pyoxigraph engine print without loading it. This is the one term
writer of the project: query results, exports and importers all write terms through it.

>>> curie("https://w3id.org/aichip-kg/id/huawei")
'kg:huawei'
>>> from rdflib import Literal
>>> ntriples(Literal("华为", lang="zh-Hans"))
'"华为"@zh-Hans'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = [
    "PREFIXES",
    "PROJECT_GRAPH",
    "XSD_STRING",
    "TermParts",
    "TurtleTerms",
    "bcp47_case",
    "curie",
    "is_numeric",
    "ntriples",
    "parts",
    "quote",
    "term_text",
]

#: The prefixes every query may use without declaring them (and every Turtle export declares).
PREFIXES: dict[str, str] = {
    "kg": "https://w3id.org/aichip-kg/id/",
    "aichip": "https://w3id.org/aichip-kg/ontology#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
}
#: The IRI of the project graph: the named graph ``kg push`` fills, the name ``kg serve`` gives
#: its default graph, and the curated graph's copy in an on-disk store.
PROJECT_GRAPH = "https://w3id.org/aichip-kg/graph"
XSD = PREFIXES["xsd"]
XSD_STRING = XSD + "string"
RDF_LANG_STRING = PREFIXES["rdf"] + "langString"
_NUMERIC = {
    XSD + name
    for name in (
        "integer",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedInt",
        "unsignedLong",
    )
}
# Longest namespace first so that a kg: IRI never abbreviates with a shorter prefix.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f]')
# A conservative subset of Turtle's PN_LOCAL: anything else is written as a full <IRI>.
_SAFE_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")
_TURTLE_NUMBER = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "boolean": re.compile(r"true|false"),
}


@lru_cache(maxsize=256)
def bcp47_case(tag: str) -> str:
    """BCP 47 case (zh-Hant, en-US): pyoxigraph lower-cases tags, the facts do not."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


class TermParts(NamedTuple):
    """``kind`` is ``iri``, ``bnode`` or ``literal``; ``datatype`` is None for plain strings."""

    kind: str
    value: str
    language: str | None = None
    datatype: str | None = None


def parts(term: Any) -> TermParts:
    """What any engine's term is: kind, lexical value, language tag, datatype IRI."""
    name = type(term).__name__
    if name == "URIRef":
        return TermParts("iri", str.__str__(term))
    if name == "NamedNode":
        return TermParts("iri", term.value)
    if name == "BNode":
        return TermParts("bnode", str.__str__(term))
    if name == "BlankNode":
        return TermParts("bnode", term.value)
    if name == "Literal":
        if isinstance(term, str):  # rdflib: the string is the lexical form
            value, datatype = str.__str__(term), term.datatype
        else:  # pyoxigraph: always a datatype, xsd:string or rdf:langString included
            value, datatype = term.value, term.datatype.value
        language = bcp47_case(term.language) if term.language else None
        if language or datatype in (XSD_STRING, RDF_LANG_STRING):
            datatype = None
        return TermParts("literal", value, language, str(datatype) if datatype else None)
    if isinstance(term, str):  # a bare IRI string
        return TermParts("iri", term)
    raise TypeError(f"not an RDF term: {term!r}")


def curie(iri: str) -> str:
    """``kg:huawei`` for an IRI in a project namespace, else ``<iri>``."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and _is_local(iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _is_local(name: str) -> bool:
    if not name:
        return True
    if not (name[0].isalnum() or name[0] == "_") or name[-1] == ".":
        return False
    return all(c.isalnum() or c in "_-." for c in name)


def is_numeric(term: Any) -> bool:
    if term is None:
        return False
    p = parts(term)
    return p.kind == "literal" and p.datatype in _NUMERIC


def term_text(term: Any) -> str:
    """How a term reads in a table: CURIEs for IRIs, ``text@lang`` for tagged strings, one
    line (newlines shown as ``\\n``)."""
    if term is None:
        return ""
    p = parts(term)
    if p.kind == "iri":
        return curie(p.value)
    if p.kind == "bnode":
        return f"_:{p.value}"
    text = f"{p.value}@{p.language}" if p.language else p.value
    return text.replace("\r", "").replace("\n", "\\n").replace("\t", " ")


def quote(text: str) -> str:
    """A string literal as N-Triples and Turtle both read it: one line, controls escaped."""
    return (
        '"'
        + _NEEDS_ESCAPE.sub(lambda m: _ECHAR.get(m.group(), f"\\u{ord(m.group()):04X}"), text)
        + '"'
    )


def ntriples(term: Any) -> str:
    """The term in N-Triples syntax, on one line (also SPARQL TSV's cell syntax)."""
    if term is None:
        return ""
    p = parts(term)
    if p.kind == "iri":
        return f"<{p.value}>"
    if p.kind == "bnode":
        return f"_:{p.value}"
    if p.language:
        return f"{quote(p.value)}@{p.language}"
    if p.datatype:
        return f"{quote(p.value)}^^<{p.datatype}>"
    return quote(p.value)


class TurtleTerms:
    """Terms in Turtle: prefixed names where the local name is plainly safe, numbers and
    booleans as bare tokens when that keeps their exact lexical form; remembers the prefixes
    it used (``used``) so a writer declares only those."""

    def __init__(self, prefixes: dict[str, str] = PREFIXES) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda item: (-len(item[1]), item[0]))
        self.used: dict[str, str] = {}
        self._datatypes: dict[str, str] = {}  # a datatype recurs in every literal of its kind

    def iri(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and _SAFE_LOCAL.fullmatch(iri[len(namespace) :]):
                self.used[prefix] = namespace
                return f"{prefix}:{iri[len(namespace) :]}"
        return f"<{iri}>"

    def term(self, term: Any) -> str:
        p = parts(term)
        if p.kind == "iri":
            return self.iri(p.value)
        if p.kind == "bnode":
            return f"_:{p.value}"
        return self.literal(p.value, p.language, p.datatype)

    def literal(self, value: str, language: str | None = None, datatype: str | None = None) -> str:
        """A literal from its parts (as :func:`parts` gives them: no datatype for plain and
        language-tagged strings), for writers that make many without building term objects."""
        if language:
            return f"{quote(value)}@{language}"
        if datatype is None:
            return quote(value)
        number = _TURTLE_NUMBER.get(datatype)
        if number is not None and number.fullmatch(value):
            return value  # the token's text is the literal's lexical form, kept exactly
        written = self._datatypes.get(datatype)
        if written is None:
            written = self._datatypes[datatype] = self.iri(datatype)  # (and marks it used)
        return f"{quote(value)}^^{written}"
