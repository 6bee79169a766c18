"""SPARQL: what a query may do, and one result type for every engine."""
