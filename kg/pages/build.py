"""The steps both the server and the static site take: answers to the page queries in, pages
out. Where the answers come from (the server's workers, or the store) is the caller's affair."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import RDFS

from kg.pages.model import EntityPage, TermPage, entity_page, term_page
from kg.pages.render import ONTOLOGY_NS, Renderer

__all__ = ["Ontology", "parse_ntriples", "usage_counts"]


def parse_ntriples(data: bytes) -> Graph:
    """An rdflib graph of N-Triples bytes (a page query's answer)."""
    graph = Graph()
    if data.strip():
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def usage_counts(sparql_json: bytes) -> dict[tuple[str, str], int]:
    """``(kind, term IRI) → count`` from the JSON answer of ``USAGE_QUERY``."""
    rows = json.loads(sparql_json)["results"]["bindings"]
    return {
        (row["kind"]["value"], row["term"]["value"]): int(row["n"]["value"])
        for row in rows
        if "term" in row
    }


@dataclass
class Ontology:
    """The ontology graph and how often each term is used: fetched once, used by every page."""

    graph: Graph
    usage: dict[tuple[str, str], int]

    def terms(self) -> list[str]:
        """The ontology's own terms (``aichip:``), sorted by local name."""
        found = {
            str(s)
            for s in self.graph.subjects(RDF.type, None)
            if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY_NS) and str(s) != ONTOLOGY_NS
        }
        return sorted(found, key=lambda iri: (iri[len(ONTOLOGY_NS) :].casefold(), iri))

    def term(self, local: str) -> TermPage | None:
        if not local or "#" in local or "/" in local:
            return None
        return term_page(self.graph, ONTOLOGY_NS + local, self.usage)

    def class_label(self, curie: str) -> str:
        """The English label of an ontology class written as a CURIE (``aichip:ChipFamily`` →
        "chip family"), for tables that list classes; the CURIE itself when it has none."""
        prefix, _, local = curie.partition(":")
        if prefix != "aichip" or not local:
            return curie
        labels = self.graph.objects(URIRef(ONTOLOGY_NS + local), RDFS.label)
        english = sorted(str(label) for label in labels if getattr(label, "language", None) == "en")
        return english[0] if english else curie

    def entity(self, description: Graph, iri: str) -> EntityPage | None:
        return entity_page(description, self.graph, iri)

    def names_graph(self, names: Graph) -> Graph:
        """``names`` plus the claim class hierarchy search needs to leave claims out."""
        for s, o in self.graph.subject_objects(RDFS.subClassOf):
            names.add((s, RDFS.subClassOf, o))
        return names

    def render_terms(self, renderer: Renderer) -> str:
        pages = (self.term(iri[len(ONTOLOGY_NS) :]) for iri in self.terms())
        return renderer.ontology([page for page in pages if page is not None])
