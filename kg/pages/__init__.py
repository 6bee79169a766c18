"""Linked Data pages: one HTML page (and its RDF) per entity and ontology term, served by
``kg serve`` (:mod:`kg.serve.pages`) or written as a static site (:mod:`kg.pages.site`)."""
