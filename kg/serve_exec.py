"""Answer one SPARQL query request: parse, refuse, negotiate, evaluate, serialise.

This is what a query worker of ``kg serve`` runs (see :mod:`kg.serve_pool`); it does no I/O of
its own and knows nothing about HTTP connections or processes, so it is tested directly too.

Parsing, the project prefixes, the refusal of SERVICE and of FROM / FROM NAMED, and the result
formats come from :mod:`kg.query`, so the endpoint and ``kg query`` accept the same queries and
write the same bytes. What is added here is what only an endpoint needs:

* HTTP status codes: 400 for a malformed or refused query, 403 for an UPDATE (the endpoint is
  read-only), 406 when no format the client accepts fits the query form;
* content negotiation over ``Accept`` (or an explicit ``format``), plus SPARQL XML results and
  RDF/XML, which :func:`kg.query.format_result` does not write;
* the protocol's dataset parameters (``default-graph-uri``, ``named-graph-uri``), resolved
  among the graphs this endpoint holds and never fetched: a graph it does not hold is refused;
* an explicit row cap: at most ``max_rows`` solutions (or triples), and a response that says so.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Protocol

import rdflib.plugins.sparql
from rdflib import Dataset, Graph, URIRef, Variable
from rdflib.query import Result

from .errors import QueryError
from .load import PREFIXES, bind_prefixes
from .query import (
    QUERY_BASE,
    ParsedQuery,
    QueryResult,
    format_result,
    parse_query,
    walk_algebra,
)
from .remote import KG_GRAPH_IRI

__all__ = [
    "GRAPH_MEDIA_TYPES",
    "SOLUTION_MEDIA_TYPES",
    "Answer",
    "Job",
    "Refusal",
    "Reply",
    "Served",
    "ServedData",
    "ask_answer",
    "capped_graph",
    "capped_solutions",
    "execute",
    "unserved_graph",
    "negotiate",
    "read_named_graphs",
    "served_data",
]

#: (media type, format) for SELECT and ASK, in the order the server prefers them.
SOLUTION_MEDIA_TYPES: tuple[tuple[str, str], ...] = (
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
)
#: (media type, format) for CONSTRUCT and DESCRIBE, in the order the server prefers them.
GRAPH_MEDIA_TYPES: tuple[tuple[str, str], ...] = (
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/x-turtle", "ttl"),
    ("text/plain", "nt"),
    ("application/json", "jsonld"),
    ("application/xml", "rdfxml"),
)
#: Values of the ``format`` / ``output`` / ``results`` request parameters (download links use
#: them; SPARQLWrapper sends all three) and the formats each may mean, by query form.
_FORMAT_NAMES = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv",),
    "tsv": ("tsv",),
    "ttl": ("ttl",),
    "turtle": ("ttl",),
    "n3": ("ttl",),  # Turtle is N3
    "nt": ("nt",),
    "ntriples": ("nt",),
    "n-triples": ("nt",),
    "jsonld": ("jsonld",),
    "json-ld": ("jsonld",),
    "rdf": ("rdfxml",),
    "rdfxml": ("rdfxml",),
    "rdf+xml": ("rdfxml",),
}
READ_ONLY = "updates are refused: this endpoint is read-only (edit facts/*.ttl and rebuild)"
_DATASET_CACHE_SIZE = 4


class Refusal(Exception):
    """A request the endpoint answers with an error status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = " ".join(message.split())  # one line, whatever the parser said


@dataclass(frozen=True)
class Job:
    """One query request, as the HTTP layer hands it to a worker (picklable)."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    accept: str = ""
    formats: tuple[str, ...] = ()  # explicit format parameters; they win over ``accept``
    max_rows: int = 10_000


@dataclass(frozen=True)
class Reply:
    """What the HTTP layer sends back: status, content type, body and extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        line = " ".join(message.split())
        return cls(status, "text/plain; charset=utf-8", f"{line}\n".encode())


@dataclass(frozen=True)
class Answer:
    """An evaluated query, capped: what is shown, whether rows were left out, and of how many
    (``total`` is known for graphs only: counting solutions would mean computing them all)."""

    result: QueryResult
    truncated: bool = False
    total: int | None = None


class Served(Protocol):
    """What the endpoint answers from: the project graph (also called ``graph_iri``) and
    named graphs, evaluated by rdflib (:class:`ServedData`) or by pyoxigraph
    (:class:`kg.serve_oxigraph.OxigraphServed`)."""

    graph_iri: str

    @property
    def names(self) -> list[str]: ...

    def in_worker(self) -> None:
        """Called in each query worker right after it is forked, before its memory is capped:
        open what cannot cross a fork (a database with threads of its own)."""
        ...

    def answer(self, parsed: ParsedQuery, job: Job) -> Answer:
        """Evaluate ``parsed`` over the dataset ``job`` names, capped at ``job.max_rows``;
        :class:`Refusal` for a graph not served here."""
        ...


def unserved_graph(iri: str, names: list[str]) -> Refusal:
    """The 400 for a protocol dataset naming a graph this endpoint does not hold."""
    shown = ", ".join(f"<{name}>" for name in names)
    return Refusal(
        400,
        f"graph <{iri}> is not served here, and this endpoint never fetches graphs; "
        f"it serves {shown}",
    )


@dataclass
class ServedData:
    """The graphs the endpoint answers from, evaluated by rdflib.

    ``dataset``'s default graph is the project graph, which queries may also name as
    ``graph_iri``; its named graphs are whatever else is served (none for a plain ``kg serve``).
    """

    dataset: Dataset
    graph_iri: str = KG_GRAPH_IRI
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)

    @property
    def names(self) -> list[str]:
        named = sorted(str(g.identifier) for g in self.dataset.contexts() if self._is_named(g))
        return [self.graph_iri, *named]

    def _is_named(self, graph: Graph) -> bool:
        return graph.identifier != self.dataset.default_context.identifier

    def graph(self, iri: str) -> Graph:
        """The served graph called ``iri``; :class:`Refusal` (400) if there is none."""
        if iri == self.graph_iri:
            return self.dataset.default_context
        graph = self.dataset.get_context(URIRef(iri))
        if iri not in self.names:
            raise unserved_graph(iri, self.names)
        return graph

    def dataset_for(self, default: tuple[str, ...], named: tuple[str, ...]) -> Dataset:
        """The RDF dataset a request's ``default-graph-uri``/``named-graph-uri`` describe."""
        if not default and not named:
            return self.dataset
        key = (default, named)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        graphs = {iri: self.graph(iri) for iri in (*default, *named)}  # refuse before copying
        dataset = Dataset(default_union=False)
        for iri in dict.fromkeys(default):
            dataset.default_context.addN(
                (s, p, o, dataset.default_context) for s, p, o in graphs[iri]
            )
        for iri in dict.fromkeys(named):
            target = dataset.graph(URIRef(iri))
            target.addN((s, p, o, target) for s, p, o in graphs[iri])
        self._cache[key] = dataset
        while len(self._cache) > _DATASET_CACHE_SIZE:
            self._cache.popitem(last=False)
        return dataset

    def in_worker(self) -> None:
        pass  # rdflib's graphs live in the zygote's memory, shared copy-on-write

    def answer(self, parsed: ParsedQuery, job: Job) -> Answer:
        # Belt and braces: FROM is refused or stripped before evaluation, but if one ever
        # reached rdflib it must not turn into a download.
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        # The default graph is the project graph only; named graphs are reached through GRAPH.
        rdflib.plugins.sparql.SPARQL_DEFAULT_GRAPH_UNION = False
        dataset = self.dataset_for(job.default_graphs, job.named_graphs)
        result = dataset.query(parsed.prepared)
        if parsed.kind == "ASK":
            return ask_answer(bool(result.askAnswer))
        if parsed.kind == "SELECT":
            variables = tuple(str(v) for v in result.vars or ())
            return capped_solutions(variables, (tuple(row) for row in result), job.max_rows)
        triples = result.graph if result.graph is not None else Graph()
        return capped_graph(parsed.kind, triples, len(triples), job.max_rows)


def served_data(
    graph: Graph, *, graph_iri: str = KG_GRAPH_IRI, named: Dataset | None = None
) -> ServedData:
    """Serve ``graph`` as the default graph (also called ``graph_iri``) plus ``named``'s graphs."""
    dataset = Dataset(default_union=False)
    bind_prefixes(dataset)
    default = dataset.default_context
    default.addN((s, p, o, default) for s, p, o in graph)
    for context in named.contexts() if named is not None else ():
        if context.identifier == named.default_context.identifier or not len(context):
            continue
        target = dataset.graph(context.identifier)
        target.addN((s, p, o, target) for s, p, o in context)
    return ServedData(dataset=dataset, graph_iri=graph_iri)


# -- negotiation -------------------------------------------------------------------------------


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for item in header.split(","):
        parts = [part.strip() for part in item.split(";")]
        media = parts[0].lower()
        if "/" not in media:
            continue
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality))
    return ranges


def _quality(media: str, ranges: list[tuple[str, float]]) -> float:
    """The q the client gives ``media``: from its most specific matching range, else 0."""
    kind = media.split("/")[0]
    best: tuple[int, float] | None = None
    for pattern, quality in ranges:
        if pattern == media:
            specificity = 3
        elif pattern == f"{kind}/*":
            specificity = 2
        elif pattern == "*/*":
            specificity = 1
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best else 0.0


def negotiate(kind: str, accept: str, formats: tuple[str, ...] = ()) -> tuple[str, str]:
    """``(format, media type)`` for a ``kind`` query (SELECT, ASK, CONSTRUCT, DESCRIBE).

    Explicit ``formats`` (names such as ``csv`` or media types) win over ``accept``; a missing
    or empty ``accept`` means the server's first choice. Raises :class:`Refusal` (406) when
    nothing acceptable fits the query form.
    """
    offered = GRAPH_MEDIA_TYPES if kind in ("CONSTRUCT", "DESCRIBE") else SOLUTION_MEDIA_TYPES
    names = list(dict.fromkeys(f for _, f in offered))
    values = [value.strip().lower() for value in formats if value.strip()]
    if values:
        wanted: set[str] = set()
        for value in values:
            if "/" in value:
                media = value.split(";")[0].strip()
                wanted.update(name for offer, name in offered if offer == media)
            elif value in _FORMAT_NAMES:
                wanted.update(_FORMAT_NAMES[value])
            else:
                raise Refusal(406, f"unknown format {value!r}; use one of {', '.join(names)}")
        for media, name in offered:
            if name in wanted:
                return name, media
        raise Refusal(
            406, f"format {', '.join(values)} does not fit a {kind} query; use {', '.join(names)}"
        )
    ranges = _accept_ranges(accept or "")
    if not ranges:
        return offered[0][1], offered[0][0]
    best: tuple[float, int] | None = None
    for position, (media, _name) in enumerate(offered):
        quality = _quality(media, ranges)
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, position)
    if best is None:
        types = ", ".join(dict.fromkeys(media for media, _ in offered))
        raise Refusal(406, f"no acceptable format for {kind} results; this endpoint offers {types}")
    media, name = offered[best[1]]
    return name, media


# -- parsing -----------------------------------------------------------------------------------


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except Exception:  # pyparsing's ParseException, and rdflib's bare Exceptions
        return False
    return True


def _without_dataset_clause(text: str) -> ParsedQuery | None:
    """``text`` prepared with its FROM / FROM NAMED dropped, if that is its only problem.

    Used when the request names its dataset in the protocol: the protocol's dataset then
    replaces the query's (SPARQL 1.1 Protocol 2.1.4), so the query's clauses are never used.
    SERVICE is still refused, as :func:`kg.query.parse_query` refuses it.
    """
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        prepared = translateQuery(parseQuery(text), base=QUERY_BASE, initNs=PREFIXES)
    except Exception:
        return None
    if not prepared.algebra.get("datasetClause"):
        return None
    nodes = walk_algebra(prepared.algebra)
    if any(getattr(node, "name", None) == "ServiceGraphPattern" for node in nodes):
        return None
    prepared.algebra["datasetClause"] = None
    kind = prepared.algebra.name.replace("Query", "").upper()
    return ParsedQuery(text=text, source="query", kind=kind, prepared=prepared)


@lru_cache(maxsize=256)
def _prepare(text: str, protocol_dataset: bool) -> ParsedQuery:
    """The query ready to evaluate; cached, as parsing costs more than many answers do.

    A prepared rdflib query can be evaluated any number of times; refusals are not cached.
    """
    try:
        return parse_query(text, source="query")
    except QueryError as exc:
        message = str(exc)
    if _is_update(text):
        raise Refusal(403, READ_ONLY)
    if protocol_dataset:
        stripped = _without_dataset_clause(text)
        if stripped is not None:
            return stripped
    raise Refusal(400, message)


# -- evaluation and serialisation --------------------------------------------------------------


def ask_answer(boolean: bool) -> Answer:
    raw = Result("ASK")
    raw.askAnswer = boolean
    return Answer(QueryResult(kind="ASK", boolean=boolean, raw=raw))


def capped_solutions(variables: tuple[str, ...], rows: Iterable[tuple], limit: int) -> Answer:
    """The first ``limit`` of ``rows`` (tuples of rdflib terms, None when unbound)."""
    shown = tuple(islice(rows, limit + 1))
    truncated = len(shown) > limit
    shown = shown[:limit]
    raw = Result("SELECT")
    raw.vars = [Variable(name) for name in variables]
    raw.bindings = [
        {var: term for var, term in zip(raw.vars, row, strict=True) if term is not None}
        for row in shown
    ]
    answer = QueryResult(kind="SELECT", variables=variables, rows=shown, raw=raw)
    return Answer(answer, truncated)


def capped_graph(kind: str, triples: Iterable[tuple], total: int, limit: int) -> Answer:
    """The first ``limit`` of ``total`` triples, as a graph with the project's prefixes."""
    graph = bind_prefixes(Graph())
    graph.addN((s, p, o, graph) for s, p, o in islice(triples, limit))
    return Answer(QueryResult(kind=kind, graph=graph), total > limit, total)


def _solutions_xml(result: QueryResult) -> bytes:
    from io import BytesIO

    raw = result.raw
    if result.kind == "ASK":
        raw = Result("ASK")
        raw.askAnswer = bool(result.boolean)
    stream = BytesIO()
    raw.serialize(destination=stream, format="xml", encoding="utf-8")
    return stream.getvalue()


def _serialise(answer: QueryResult, fmt: str) -> bytes:
    if fmt == "xml":
        return _solutions_xml(answer)
    if fmt == "rdfxml":
        return answer.graph.serialize(format="xml", encoding="utf-8")
    return format_result(answer, fmt)


def _mark_truncated(body: bytes, fmt: str, limit: int, total: int | None) -> bytes:
    """Say in the body itself, where the format has room for it, that rows were left out."""
    of = f" of {total}" if total is not None else ""
    note = f"truncated: only the first {limit}{of} results are shown (the server's --max-rows)"
    if fmt == "json":
        data = json.loads(body)
        data["truncated"] = True
        data["maxRows"] = limit
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    if fmt in ("ttl", "nt"):
        return f"# {note}\n".encode() + body
    if fmt in ("xml", "rdfxml") and body.startswith(b"<?xml"):
        end = body.index(b"?>") + 2
        return body[:end] + f"\n<!-- {note} -->".encode() + body[end:]
    return body  # CSV, TSV, JSON-LD: the KG-Truncated header says it


def execute(served: Served, job: Job) -> Reply:
    """Answer ``job`` from ``served``. Never fetches anything; MemoryError propagates."""
    try:
        parsed = _prepare(job.query, bool(job.default_graphs or job.named_graphs))
        fmt, media = negotiate(parsed.kind, job.accept, job.formats)
        answer = served.answer(parsed, job)
        body = _serialise(answer.result, fmt)
    except Refusal as refusal:
        return Reply.error(refusal.status, refusal.message)
    except MemoryError:
        raise
    except Exception as exc:  # the engines raise assorted errors while evaluating
        return Reply.error(500, f"query failed: {type(exc).__name__}: {exc}")
    headers: tuple[tuple[str, str], ...] = ()
    if answer.truncated:
        body = _mark_truncated(body, fmt, job.max_rows, answer.total)
        headers = (("KG-Truncated", "true"), ("KG-Max-Rows", str(job.max_rows)))
    return Reply(200, f"{media}; charset=utf-8", body, headers)


def read_named_graphs(path: Path) -> Dataset:
    """The named graphs of a TriG or N-Quads file, to serve next to the project graph."""
    from .errors import ParseError

    fmt = {".trig": "trig", ".nq": "nquads", ".nquads": "nquads"}.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(str(path), None, "named graphs must be a .trig or .nq file")
    dataset = Dataset(default_union=False)
    try:
        dataset.parse(path, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib's parsers raise assorted errors
        raise ParseError(str(path), None, f"cannot parse: {' '.join(str(exc).split())}") from None
    return dataset
