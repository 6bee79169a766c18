"""Answer one SPARQL query request: parse, refuse, negotiate, evaluate, serialise.

This is what a query worker of ``kg serve`` runs (see :mod:`kg.serve.pool`); it does no I/O of
its own and knows nothing about HTTP connections or processes, so it is tested directly too.

What a query may do comes from :mod:`kg.sparql.policy` and the answer is a
:class:`kg.sparql.results.Result`, so the endpoint and ``kg query`` accept the same queries
and write the same bytes. What is added here is what only an endpoint needs:

* HTTP status codes: 400 for a malformed or refused query, 403 for an UPDATE (the endpoint is
  read-only), 406 when no format the client accepts fits the query form;
* content negotiation over ``Accept`` (or an explicit ``format``);
* the protocol's dataset parameters (``default-graph-uri``, ``named-graph-uri``), resolved
  among the graphs this endpoint holds and never fetched: a graph it does not hold is refused;
* an explicit row cap: at most ``max_rows`` solutions (or triples), and a response that says so:
  the ``KG-Truncated`` header, and a note in the body of every format with room for one (JSON,
  XML, Turtle, N-Triples, RDF/XML). CSV, TSV and JSON-LD have no such room, and a client (pandas,
  a spreadsheet) would take the cut answer for the whole one, so a cut answer in those formats
  is refused (413) unless the request asks for it with ``partial=true``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kg.errors import QueryError, UpdateRefused
from kg.remote.client import KG_GRAPH_IRI
from kg.sparql.policy import CheckedQuery, check_query
from kg.sparql.results import Result
from kg.sparql.vocabulary import TermChecker

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

__all__ = [
    "accept_ranges",
    "default_graph",
    "media_quality",
    "GRAPH_MEDIA_TYPES",
    "SOLUTION_MEDIA_TYPES",
    "Job",
    "UNMARKED_FORMATS",
    "Refusal",
    "Reply",
    "Served",
    "ServedData",
    "execute",
    "unserved_graph",
    "negotiate",
    "read_named_graphs",
    "served_data",
    "term_checker",
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
#: Formats whose body has no room for a "truncated" note (see the module doc).
UNMARKED_FORMATS = frozenset({"csv", "tsv", "jsonld"})
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
    partial: bool = False  # a cut answer is wanted even in a format that cannot say it was cut


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


class Served(Protocol):
    """What the endpoint answers from: the project graph (also called ``graph_iri``) and
    named graphs, evaluated by rdflib (:class:`ServedData`) or by pyoxigraph
    (:class:`kg.serve.oxigraph.OxigraphServed`)."""

    graph_iri: str
    #: The engine writes language tags in lower case (pyoxigraph does).
    lowercases_tags: bool

    @property
    def names(self) -> list[str]: ...

    def in_worker(self) -> None:
        """Called in each query worker right after it is forked, before its memory is capped:
        open what cannot cross a fork (a database with threads of its own)."""
        ...

    def answer(self, checked: CheckedQuery, job: Job) -> Result:
        """Evaluate ``checked`` over the dataset ``job`` names, capped at ``job.max_rows``;
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
    lowercases_tags = False

    @property
    def names(self) -> list[str]:
        named = sorted(str(g.identifier) for g in self.dataset.graphs() if self._is_named(g))
        return [self.graph_iri, *named]

    def _is_named(self, graph: Graph) -> bool:
        return graph.identifier != default_graph(self.dataset).identifier

    def graph(self, iri: str) -> Graph:
        """The served graph called ``iri``; :class:`Refusal` (400) if there is none."""
        if iri == self.graph_iri:
            return default_graph(self.dataset)
        from rdflib import URIRef

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
        from rdflib import Dataset, URIRef

        graphs = {iri: self.graph(iri) for iri in (*default, *named)}  # refuse before copying
        dataset = Dataset(default_union=False)
        for iri in dict.fromkeys(default):
            default_graph(dataset).addN(
                (s, p, o, default_graph(dataset)) for s, p, o in graphs[iri]
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

    def answer(self, checked: CheckedQuery, job: Job) -> Result:
        import rdflib.plugins.sparql

        from kg.store.memory import rdflib_answer

        # The default graph is the project graph only; named graphs are reached through GRAPH.
        rdflib.plugins.sparql.SPARQL_DEFAULT_GRAPH_UNION = False
        dataset = self.dataset_for(job.default_graphs, job.named_graphs)
        return rdflib_answer(dataset, checked, job.max_rows)


def default_graph(dataset: Dataset) -> Graph:
    """The default graph of an rdflib ``Dataset``: ``default_graph`` where rdflib has it (its
    older name, ``default_context``, warns since rdflib 7.5; rdflib 7.0 has only that)."""
    if hasattr(type(dataset), "default_graph"):
        return dataset.default_graph
    return dataset.default_context


def served_data(
    graph: Graph, *, graph_iri: str = KG_GRAPH_IRI, named: Dataset | None = None
) -> ServedData:
    """Serve ``graph`` as the default graph (also called ``graph_iri``) plus ``named``'s graphs."""
    from rdflib import Dataset

    from kg.sparql.terms import PREFIXES

    dataset = Dataset(default_union=False)
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace, override=True, replace=True)
    default = default_graph(dataset)
    default.addN((s, p, o, default) for s, p, o in graph)
    for context in named.graphs() if named is not None else ():
        if context.identifier == default_graph(named).identifier or not len(context):
            continue
        target = dataset.graph(context.identifier)
        target.addN((s, p, o, target) for s, p, o in context)
    return ServedData(dataset=dataset, graph_iri=graph_iri)


# -- negotiation -------------------------------------------------------------------------------


def accept_ranges(header: str) -> list[tuple[str, float]]:
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


def media_quality(media: str, ranges: list[tuple[str, float]]) -> float:
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
    ranges = accept_ranges(accept or "")
    if not ranges:
        return offered[0][1], offered[0][0]
    best: tuple[float, int] | None = None
    for position, (media, _name) in enumerate(offered):
        quality = media_quality(media, ranges)
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, position)
    if best is None:
        types = ", ".join(dict.fromkeys(media for media, _ in offered))
        raise Refusal(406, f"no acceptable format for {kind} results; this endpoint offers {types}")
    media, name = offered[best[1]]
    return name, media


def execute(served: Served, job: Job) -> Reply:
    """Answer ``job`` from ``served``. Never fetches anything; MemoryError propagates."""
    try:
        try:
            checked = check_query(
                job.query, protocol_dataset=bool(job.default_graphs or job.named_graphs)
            )
        except UpdateRefused:
            raise Refusal(403, READ_ONLY) from None
        fmt, media = negotiate(checked.kind, job.accept, job.formats)
        warnings = term_checker(served).warnings(checked)
        result = served.answer(checked, job)
        result.warnings = warnings
        if result.truncated and fmt in UNMARKED_FORMATS and not job.partial:
            return _refuse_cut(fmt, job.max_rows)
        body = result.serialize(fmt)
    except Refusal as refusal:
        return Reply.error(refusal.status, refusal.message)
    except QueryError as exc:
        return Reply.error(400, str(exc))
    except MemoryError:
        raise
    except Exception as exc:  # the engines raise assorted errors while evaluating
        return Reply.error(500, f"query failed: {type(exc).__name__}: {exc}")
    headers: tuple[tuple[str, str], ...] = ()
    if result.truncated:
        headers = (("KG-Truncated", "true"), ("KG-Max-Rows", str(job.max_rows)))
    if warnings:  # a JSON array, ASCII-escaped: one header whatever the text holds
        headers += (("KG-Warnings", json.dumps(list(warnings))),)
    return Reply(200, f"{media}; charset=utf-8", body, headers)


def _refuse_cut(fmt: str, max_rows: int) -> Reply:
    name = {"csv": "CSV", "tsv": "TSV", "jsonld": "JSON-LD"}[fmt]
    reply = Reply.error(
        413,
        f"the answer has more than {max_rows} results, this endpoint's cap, and {name} cannot "
        f"say it was cut: add LIMIT {max_rows} or less, send partial=true to get the first "
        f"{max_rows} anyway, or ask for SPARQL JSON/XML or Turtle, which mark the cut",
    )
    return Reply(reply.status, reply.content_type, reply.body, (("KG-Max-Rows", str(max_rows)),))


def term_checker(served: Served) -> TermChecker:
    """The :class:`~kg.sparql.vocabulary.TermChecker` of ``served``, made once per worker."""
    checker = getattr(served, "_term_checker", None)
    if checker is None:

        def run(text: str) -> Result:
            checked = check_query(text, source="vocabulary")
            return served.answer(checked, Job(text, max_rows=1 << 30))

        checker = TermChecker(
            run, named_graphs=True, lowercases_tags=getattr(served, "lowercases_tags", False)
        )
        served._term_checker = checker  # type: ignore[attr-defined]
    return checker


def read_named_graphs(path: Path) -> Dataset:
    """The named graphs of a TriG or N-Quads file, to serve next to the project graph."""
    from rdflib import Dataset

    from kg.errors import ParseError

    fmt = {".trig": "trig", ".nq": "nquads", ".nquads": "nquads"}.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(str(path), None, "named graphs must be a .trig or .nq file")
    dataset = Dataset(default_union=False)
    try:
        dataset.parse(path, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib's parsers raise assorted errors
        raise ParseError(str(path), None, f"cannot parse: {' '.join(str(exc).split())}") from None
    return dataset
