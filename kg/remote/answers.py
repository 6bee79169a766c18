"""Parse a remote store's answer completely, safely and in bounded time, or refuse it.

A store's answer is untrusted input. Before rdflib sees it:

* JSON-LD must not name a remote context in any form (a string or an array holding one, or an
  ``@import``, at any depth): rdflib would fetch it;
* XML (RDF/XML, SPARQL XML results) must not carry a DTD: entity expansion turns a 1 KB
  answer into gigabytes ("billion laughs") and external entities fetch or read files. It is
  checked with defusedxml, which stops at the declaration;
* the parse runs against the exchange's deadline; past it the answer is refused (a graph
  parse also stops at its next triple).

A body that does not parse completely is an error, never a short answer: Oxigraph answers a
timed-out query 200 with a body cut mid-result.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from typing import Any

__all__ = ["GRAPH_FORMATS", "RESULT_FORMATS", "ParseTimeout", "parse_answer"]

RESULT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_FORMATS = {
    "application/n-triples": "nt",
    "text/plain": "nt",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
}


class ParseTimeout(Exception):
    """The answer did not parse by the deadline."""


class _Stopped(Exception):
    pass


def _check_csv(body: bytes, delimiter: str) -> None:
    text = body.decode("utf-8")
    if text and not text.endswith("\n"):
        raise ValueError("the last row does not end with a line break")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    if delimiter == "\t":  # TSV has no quoting: fields are split on tabs, nothing else
        rows = [line.split("\t") for line in text.splitlines()]
    if not rows:
        raise ValueError("no header row")
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise ValueError(f"row {number} has {len(row)} fields, the header {width}")


def _check_jsonld(body: bytes) -> None:
    """Refuse every way JSON-LD can point at a context elsewhere (which rdflib would fetch)."""

    def remote(context: Any) -> bool:
        items = context if isinstance(context, list) else [context]
        return any(isinstance(item, str) for item in items) or any(
            isinstance(item, dict) and "@import" in item for item in items
        )

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "@context" in node and remote(node["@context"]):
                raise ValueError("it refers to a remote @context, which kg does not fetch")
            if "@import" in node:
                raise ValueError("it @imports a remote context, which kg does not fetch")
            for value in node.values():
                walk(value)  # contexts nest: in term definitions and in nodes
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body))


def _check_xml(body: bytes) -> None:
    """Refuse XML with a DTD before any parser expands or fetches an entity."""
    import defusedxml
    import defusedxml.ElementTree

    try:
        defusedxml.ElementTree.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise ValueError(
            f"it carries a DTD or entity declarations ({type(exc).__name__}), which kg refuses "
            "in answers: entity expansion can make a small answer enormous"
        ) from None


def _parse_results(fmt: str, kind: str, body: bytes) -> Any:
    from rdflib.query import Result as RdflibResult

    from kg.sparql.results import Result

    if fmt == "json":
        data = json.loads(body)  # strict: trailing text after the document fails
        if not isinstance(data, dict) or not (
            isinstance(data.get("boolean"), bool)
            or isinstance(data.get("results", {}).get("bindings"), list)
        ):
            raise ValueError("not a SPARQL JSON result (no boolean, no results.bindings)")
    elif fmt in ("csv", "tsv"):
        _check_csv(body, "," if fmt == "csv" else "\t")
    result = RdflibResult.parse(io.BytesIO(body), format=fmt)
    if result.type == "ASK":
        return Result.ask(bool(result.askAnswer))
    variables = tuple(str(v) for v in result.vars or ())
    rows = tuple(tuple(row.get(v) for v in result.vars) for row in result.bindings)
    return Result.solutions(variables, rows)


def _parse_graph(fmt: str, kind: str, body: bytes, stop: threading.Event) -> Any:
    from rdflib import Graph

    from kg.sparql.results import Result

    class StoppableGraph(Graph):
        """Every parser adds triple by triple: the place to stop one that ran out of time."""

        def add(self, triple: Any) -> StoppableGraph:
            if stop.is_set():
                raise _Stopped
            return super().add(triple)

    graph = StoppableGraph()
    graph.parse(data=body, format=fmt)
    return Result.from_triples(kind, graph)


def parse_answer(kind: str, media: str, body: bytes, *, deadline: float) -> Any:
    """Parse the whole ``body`` into a :class:`kg.sparql.results.Result` by ``deadline``.

    Raises ValueError when it is not a complete answer of a kind ``kind`` can have, or is
    refused (see the module doc); :class:`ParseTimeout` past the deadline.
    """
    table = RESULT_FORMATS if kind in ("SELECT", "ASK") else GRAPH_FORMATS
    fmt = table.get(media)
    if fmt is None:
        raise ValueError(f"a {kind} answer cannot be {media or 'untyped'}")
    if fmt == "json-ld":
        _check_jsonld(body)
    elif fmt == "xml":
        _check_xml(body)

    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            if kind in ("SELECT", "ASK"):
                outcome["result"] = _parse_results(fmt, kind, body)
            else:
                outcome["result"] = _parse_graph(fmt, kind, body, stop)
        except _Stopped:
            pass
        except Exception as exc:
            outcome["error"] = exc

    # A thread, because a parser cannot be interrupted from outside: the caller gets its
    # answer (or the refusal) at the deadline; a graph parse then ends at its next triple.
    worker = threading.Thread(target=run, name="kg-remote-parse", daemon=True)
    worker.start()
    worker.join(max(deadline - time.monotonic(), 0))
    if worker.is_alive():
        stop.set()
        raise ParseTimeout
    if "error" in outcome:
        raise ValueError(str(outcome["error"]) or type(outcome["error"]).__name__)
    return outcome["result"]
