"""What every store offers; the constants of the on-disk layout."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from kg.errors import InputError, QueryWarnings
from kg.project import Project
from kg.sparql.policy import CheckedQuery, check_query
from kg.sparql.results import Result
from kg.sparql.terms import PROJECT_GRAPH
from kg.sparql.vocabulary import TermChecker
from kg.store.spec import StoreSpec

__all__ = ["CURATED_GRAPH", "RDF_FORMATS", "SHARED_GRAPH", "Store", "ox_format"]

#: The curated graph's copy in an on-disk store (the IRI ``kg push`` uses for it too).
CURATED_GRAPH = PROJECT_GRAPH
#: Curated triples that a loaded file holds as well (they stay when the facts drop them).
SHARED_GRAPH = "https://w3id.org/aichip-kg/store/curated-also-loaded"
#: Serialisations the stores read and write: name -> (pyoxigraph format attribute, rdflib name).
RDF_FORMATS = {
    "turtle": ("TURTLE", "turtle"),
    "ntriples": ("N_TRIPLES", "nt"),
    "nquads": ("N_QUADS", "nquads"),
    "trig": ("TRIG", "trig"),
    "rdfxml": ("RDF_XML", "xml"),
}


def ox_format(name: str):
    """pyoxigraph's ``RdfFormat`` for one of :data:`RDF_FORMATS`."""
    import pyoxigraph as ox

    try:
        return getattr(ox.RdfFormat, RDF_FORMATS[name][0])
    except KeyError:
        raise InputError(
            f"unknown RDF format {name!r}; choose one of {', '.join(RDF_FORMATS)}"
        ) from None


class Store:
    """What both stores offer. Use as a context manager, or call :meth:`close`."""

    spec: StoreSpec

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __len__(self) -> int:
        raise NotImplementedError

    def use_curated(self, project: Project, *, use_cache: bool = True, infer: bool = False) -> bool:
        """Make the curated graph of ``project`` part of the store; True if it was (re)loaded."""
        raise NotImplementedError

    def add_graph(self, graph: Any) -> int:
        """Add an rdflib graph's triples to the default graph; returns how many were given."""
        raise NotImplementedError

    def load_rdf(
        self,
        data: IO[bytes] | bytes | Path,
        fmt: str,
        *,
        base_iri: str | None = None,
        bulk: bool = True,
    ) -> None:
        """Parse ``data`` (``fmt`` one of :data:`RDF_FORMATS`) into the store. Not checked:
        a syntax error may leave part of it loaded. :mod:`kg.store.bulkload` is the careful way."""
        raise NotImplementedError

    def query(
        self, text: str, *, source: str = "query", limit: int | None = None, strict: bool = False
    ) -> Result:
        """Answer ``text`` (checked by :func:`kg.sparql.policy.check_query`: read-only, nothing
        fetched); at most ``limit`` rows or triples, the result saying if more were left out.

        ``result.warnings`` lists what makes the answer suspect (:mod:`kg.sparql.vocabulary`:
        a term the graph does not hold, a comparison the engine never makes true); with
        ``strict`` they are a :class:`~kg.errors.QueryWarnings` error and nothing runs."""
        checked = check_query(text, source=source)
        warnings = self.term_checker().warnings(checked)
        if strict and warnings:
            raise QueryWarnings(warnings)
        result = self.answer(checked, limit)
        result.warnings = warnings
        return result

    def answer(self, checked: CheckedQuery, limit: int | None = None) -> Result:
        """Evaluate a query the policy passed; see :meth:`query`."""
        raise NotImplementedError

    #: The engine writes language tags in lower case (pyoxigraph does).
    lowercases_tags = False
    #: ``GRAPH`` patterns reach named graphs on this store.
    has_named_graphs = False

    def term_checker(self) -> TermChecker:
        """The store's :class:`~kg.sparql.vocabulary.TermChecker` (its suggestions are asked
        for once per store)."""
        checker = getattr(self, "_term_checker", None)
        if checker is None:
            checker = TermChecker(
                lambda text: self.answer(check_query(text, source="vocabulary")),
                named_graphs=self.has_named_graphs,
                lowercases_tags=self.lowercases_tags,
            )
            self._term_checker = checker
        return checker

    def serialize(self, fmt: str = "turtle", output: IO[bytes] | None = None) -> bytes | None:
        """The default graph (with N-Quads/TriG also the loaded named graphs) in ``fmt``."""
        raise NotImplementedError

    def as_rdflib(self) -> Any:
        """An rdflib ``Graph`` of the default graph, for code that needs rdflib's API."""
        raise NotImplementedError

    def manifest(self) -> dict[str, Any]:
        """What the store records about itself (loads, curated hash); empty in memory."""
        return {}
