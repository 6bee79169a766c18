"""The SPARQL queries behind the pages: the same text runs in ``kg serve``'s workers and, for
the static site, on the project store, so both show the same thing.

An entity's page is built from its *bounded description* (:func:`entity_query`): its own
triples (and those of blank nodes it points to), the triples pointing at it, every claim about
it (statements whose subject or object it is, observations whose vendor or market it is) with
all their qualifiers, the sources of those claims (title, URL, date, publisher, type), and the
labels, types and notations of everything these mention. That is also the RDF served for the
entity. The ontology (:data:`ONTOLOGY_QUERY`) and the names (:data:`NAMES_QUERY`) are fetched
once per server: the graph a server answers from does not change while it runs.
"""

from __future__ import annotations

import re

from kg.sparql.terms import PREFIXES

__all__ = [
    "NAMES_QUERY",
    "ONTOLOGY_QUERY",
    "USAGE_QUERY",
    "SLUG",
    "entity_query",
    "prologue",
]

#: What an entity's local name may be: slugs as the facts write them. Anything else is not an
#: entity of this graph (and never reaches a query text).
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,199}$")


def prologue() -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


_CLAIM_LINKS = "rdf:subject|rdf:object|aichip:vendor|aichip:market|aichip:vendorGroup"
_SOURCE_FIELDS = (
    "dcterms:title, schema:url, dcterms:issued, dcterms:publisher, dcterms:language, rdfs:label, "
    "rdf:type"
)
_NAME_FIELDS = "rdfs:label, skos:prefLabel, skos:notation, rdf:type, dcterms:title"


def entity_query(iri: str) -> str:
    """The CONSTRUCT query of ``iri``'s bounded description (see the module doc)."""
    if not iri.startswith(PREFIXES["kg"]) or not SLUG.match(iri[len(PREFIXES["kg"]) :]):
        raise ValueError(f"not an entity IRI of this graph: {iri!r}")
    e = f"<{iri}>"
    # Self-contained branches, filters rather than VALUES joins: pyoxigraph plans these well
    # (tens of milliseconds for the biggest entity, against seconds for a nested form).
    return (
        prologue()
        + f"""CONSTRUCT {{
  {e} ?p ?o . ?b ?bp ?bo . ?s ?q {e} . ?c ?cp ?co . ?src ?sp ?so . ?n ?np ?nv .
}} WHERE {{
  {{ {e} ?p ?o }}
  UNION {{ {e} ?bl ?b FILTER(isBlank(?b)) ?b ?bp ?bo }}
  UNION {{ ?s ?q {e} }}
  UNION {{ ?c {_CLAIM_LINKS} {e} . ?c ?cp ?co }}
  UNION {{
    ?c {_CLAIM_LINKS} {e} . ?c prov:wasDerivedFrom|aichip:citedSource ?src .
    ?src ?sp ?so FILTER(?sp IN ({_SOURCE_FIELDS}))
  }}
  UNION {{
    {{ {e} ?x ?n }} UNION {{ ?n ?x {e} }} UNION {{ {e} ?x1 ?b1 FILTER(isBlank(?b1)) ?b1 ?x ?n }}
    UNION {{ ?c2 {_CLAIM_LINKS} {e} . ?c2 ?x ?n }}
    FILTER(isIRI(?n)) ?n ?np ?nv FILTER(?np IN ({_NAME_FIELDS}))
  }}
}}"""
    )


#: Classes and properties (their labels, definitions, domains, ranges, hierarchy) and the
#: ontology's named individuals (ranks, units): what every page needs to name things.
ONTOLOGY_QUERY = (
    prologue()
    + """CONSTRUCT { ?t ?p ?o } WHERE {
  { ?t a ?kind FILTER(?kind IN (owl:Class, rdfs:Class, owl:ObjectProperty, owl:DatatypeProperty,
      owl:AnnotationProperty, rdf:Property, owl:NamedIndividual)) ?t ?p ?o }
  UNION { ?t ?p ?o FILTER(STRSTARTS(STR(?t), STR(aichip:))) }
  FILTER(!isBlank(?o))
}"""
)

#: Every name of every ``kg:`` entity, and its types: what search compares against.
NAMES_QUERY = (
    prologue()
    + """CONSTRUCT { ?s ?p ?name } WHERE {
  VALUES ?p { rdfs:label skos:prefLabel skos:altLabel skos:hiddenLabel dcterms:title rdf:type }
  ?s ?p ?name FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR(kg:)))
}"""
)

#: How often each predicate is used and each class instantiated (ontology term pages).
USAGE_QUERY = (
    prologue()
    + """SELECT ?term ?kind (COUNT(*) AS ?n) WHERE {
  { ?s ?term ?o BIND("property" AS ?kind) } UNION { ?s a ?term BIND("class" AS ?kind) }
} GROUP BY ?term ?kind"""
)
