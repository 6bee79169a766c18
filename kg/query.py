"""SPARQL over the project graph: parse with the project's prefixes, run, and format results.

The prefixes of :data:`kg.load.PREFIXES` are passed to rdflib as initial namespaces rather than
pasted in front of the text, so the line and column of a syntax error are the user's own. A
query may still declare its own ``PREFIX`` lines; they win.

Read-only by construction: an UPDATE (INSERT, DELETE, LOAD…) is refused before parsing, and
so are ``SERVICE`` and ``FROM``/``FROM NAMED``, which would make rdflib fetch from the network.

Formats: ``table`` (aligned, East Asian wide characters counted as two columns) for every kind
of query; ``csv`` and ``json`` (SPARQL 1.1 results) through rdflib's result serializers and
``tsv`` (SPARQL 1.1 TSV, which rdflib cannot write) for SELECT and ASK; ``ttl``, ``nt`` and
``jsonld`` (with an inline context, never a remote one) for CONSTRUCT and DESCRIBE.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .errors import QueryError
from .load import PREFIXES, bind_prefixes

#: Relative IRIs in a query resolve against the project's entity namespace (``<huawei>`` is
#: ``kg:huawei``), whichever engine evaluates it, so no answer ever holds a relative IRI.
QUERY_BASE = PREFIXES["kg"]

__all__ = [
    "FORMATS",
    "GRAPH_FORMATS",
    "QUERY_BASE",
    "SOLUTION_FORMATS",
    "ParsedQuery",
    "QueryResult",
    "curie",
    "display_width",
    "format_result",
    "format_table",
    "infer_closure",
    "parse_query",
    "run_query",
    "walk_algebra",
    "term_text",
]

SOLUTION_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_FORMATS = ("table", "ttl", "nt", "jsonld")
FORMATS = ("table", "csv", "tsv", "json", "ttl", "nt", "jsonld")

_UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")
_PROLOGUE_ITEM = re.compile(
    r"""\s+                                   # whitespace
      | \#[^\n]*                              # a comment
      | PREFIX\s+[^\s:]*:\s*<[^>]*>           # a prefix declaration
      | BASE\s*<[^>]*>                        # a base declaration
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NUMERIC = {
    XSD.integer,
    XSD.decimal,
    XSD.double,
    XSD.float,
    XSD.int,
    XSD.long,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
}
# Longest namespace first so that e.g. a kg: IRI never abbreviates with a shorter prefix.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[\w.\-]*[\w\-])?$|^$")


@dataclass(frozen=True)
class ParsedQuery:
    """A query that parsed; ``source`` names it in messages (``query``, ``<stdin>``, a path)."""

    text: str
    source: str
    kind: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    prepared: Any = field(repr=False, compare=False)  # rdflib.plugins.sparql.sparql.Query


@dataclass(frozen=True)
class QueryResult:
    """Answers, materialised: ``rows`` for SELECT, ``boolean`` for ASK, ``graph`` otherwise."""

    kind: str
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    boolean: bool | None = None
    graph: Graph | None = field(default=None, compare=False)
    raw: Any = field(default=None, repr=False, compare=False)  # rdflib Result, for serializers

    def __len__(self) -> int:
        if self.kind == "ASK":
            return 1
        return len(self.graph) if self.graph is not None else len(self.rows)


# -- parsing -----------------------------------------------------------------------------------


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _update_keyword(text: str) -> str | None:
    """The update operation ``text`` starts with (after its prologue), if it is an UPDATE."""
    position = 0
    while True:
        match = _PROLOGUE_ITEM.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
    word = re.match(r"[A-Za-z]+", text[position:])
    if word and word.group(0).upper() in (*_UPDATE_KEYWORDS, "WITH"):
        return word.group(0).upper()
    return None


def walk_algebra(node: Any) -> Iterable[Any]:
    """Every node of a parsed query's algebra tree, depth first (to find SERVICE, FROM…)."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk_algebra(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from walk_algebra(value)


def _undeclared_prefix(text: str, message: str, source: str) -> str:
    """rdflib reports an unknown prefix without a position; find where it is first used."""
    match = re.search(r"Unknown namespace prefix\s*:\s*(\S+)", message)
    if not match:
        return f"{source}: {message}"
    prefix = match.group(1)
    use = re.search(rf"(?<![\w<\"'?$]){re.escape(prefix)}:", text)
    known = ", ".join(f"{p}:" for p in PREFIXES)
    hint = f"unknown prefix {prefix}: (declare it with PREFIX, or use one of {known})"
    if not use:
        return f"{source}: {hint}"
    line, col = _position(text, use.start())
    return f"{source}:{line}:{col}: {hint}"


def parse_query(text: str, *, source: str = "query") -> ParsedQuery:
    """Parse a SPARQL query with the project prefixes pre-declared.

    Raises :class:`QueryError` (``source:line:col: message``) for a syntax error, an unknown
    prefix, an UPDATE, or a feature that would reach the network (SERVICE, FROM).
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    if not text.strip():
        raise QueryError(f"{source}: the query is empty")
    keyword = _update_keyword(text)
    if keyword:
        raise QueryError(
            f"{source}: {keyword} is a SPARQL UPDATE; kg query is read-only "
            "(edit facts/*.ttl to change the graph)"
        )
    try:
        tree = parseQuery(text)
    except ParseBaseException as exc:
        found = getattr(exc, "found", "")
        detail = f"{exc.msg}, found {found}" if found else exc.msg
        raise QueryError(f"{source}:{exc.lineno}:{exc.col}: syntax error: {detail}") from None
    try:
        prepared = translateQuery(tree, base=QUERY_BASE, initNs=PREFIXES)
    except Exception as exc:  # rdflib raises bare Exceptions for unknown prefixes and the like
        raise QueryError(_undeclared_prefix(text, str(exc), source)) from None
    for node in walk_algebra(prepared.algebra):
        name = getattr(node, "name", None)
        if name == "ServiceGraphPattern":
            raise QueryError(
                f"{source}: SERVICE is not supported: kg query never fetches from the network"
            )
    if prepared.algebra.get("datasetClause"):
        raise QueryError(
            f"{source}: FROM / FROM NAMED is not supported: queries run over the project graph"
        )
    kind = prepared.algebra.name.replace("Query", "").upper()
    return ParsedQuery(text=text, source=source, kind=kind, prepared=prepared)


# -- running -----------------------------------------------------------------------------------


def run_query(graph: Graph, parsed: ParsedQuery) -> QueryResult:
    """Evaluate ``parsed`` over ``graph`` and materialise the answer."""
    # scale: a graph over a pyoxigraph store (kg.store, --store oxigraph) is answered by
    # pyoxigraph itself, not by rdflib's evaluator walking its triples.
    store = getattr(graph, "kg_store", None)
    if store is not None:
        return store.query(parsed.text, source=parsed.source).to_query_result()
    try:
        result = graph.query(parsed.prepared)
        if parsed.kind == "ASK":
            return QueryResult(kind="ASK", boolean=bool(result.askAnswer), raw=result)
        if parsed.kind in ("CONSTRUCT", "DESCRIBE"):
            answer = bind_prefixes(Graph())
            for triple in result.graph or ():
                answer.add(triple)
            return QueryResult(kind=parsed.kind, graph=answer, raw=result)
        variables = tuple(str(v) for v in result.vars or ())
        rows = tuple(tuple(row.get(v) for v in result.vars) for row in result.bindings)
        return QueryResult(kind="SELECT", variables=variables, rows=rows, raw=result)
    except QueryError:
        raise
    except Exception as exc:  # evaluation errors surface lazily and in many types
        raise QueryError(f"{parsed.source}: query failed: {exc}") from None


def infer_closure(graph: Graph) -> Graph:
    """A copy of ``graph`` with its OWL 2 RL closure (owlrl), e.g. every NPU is a Chip.

    OWL 2 RL's rules include the RDFS entailments that matter here (subclass, subproperty,
    domain, range) plus symmetric, inverse and transitive properties and equivalence.
    owlrl's combined RDFS + OWL-RL mode takes twice as long on the curated graph only to add
    ``rdf:type rdfs:Resource`` / ``owl:Thing`` / ``rdfs:Literal`` for every term, which answer
    no question about the ecosystem; axiomatic and datatype triples are left out likewise.
    """
    import owlrl  # heavy; only for --infer

    closure = bind_prefixes(Graph())
    for triple in graph:
        closure.add(triple)
    with _namespace_terms_cached(owlrl):
        owlrl.DeductiveClosure(
            owlrl.OWLRL_Semantics,
            axiomatic_triples=False,
            datatype_axioms=False,
        ).expand(closure)
    return closure


class _CachedNamespace:
    """A namespace whose terms are plain attributes once looked up: the same URIRefs."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> Any:
        return self._namespace[name]

    def __contains__(self, term: Any) -> bool:
        return term in self._namespace

    def __str__(self) -> str:
        return str(self._namespace)


@contextmanager
def _namespace_terms_cached(owlrl: Any):
    """owlrl reads ``OWL.sameAs``, ``RDF.type``… millions of times in its rule loops, and each
    read of an rdflib namespace attribute builds and checks the term again (a fifth of the
    closure's time). Swap owlrl's module-level RDF/RDFS/OWL/XSD for caching stand-ins while
    it runs; the terms, and so the closure, are the same."""
    import importlib
    import pkgutil

    swapped = []
    for info in pkgutil.iter_modules(owlrl.__path__):
        module = importlib.import_module(f"owlrl.{info.name}")
        for name in ("RDF", "RDFS", "OWL", "XSD"):
            original = vars(module).get(name)
            if original is not None and not isinstance(original, _CachedNamespace):
                setattr(module, name, _CachedNamespace(original))
                swapped.append((module, name, original))
    try:
        yield
    finally:
        for module, name, original in swapped:
            setattr(module, name, original)


# -- formatting --------------------------------------------------------------------------------


def curie(term: URIRef) -> str:
    """``kg:huawei`` for an IRI in a project namespace, else ``<iri>``."""
    text = str(term)
    for prefix, namespace in _BY_LENGTH:
        if text.startswith(namespace) and _LOCAL.match(text[len(namespace) :]):
            return f"{prefix}:{text[len(namespace) :]}"
    return f"<{text}>"


def term_text(term: Any) -> str:
    """How a term reads in a table: CURIEs for IRIs, ``text@lang`` for tagged strings."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return curie(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = str(term)
        if term.language:
            text = f"{text}@{term.language}"
        return text.replace("\r", "").replace("\n", "\\n").replace("\t", " ")
    return str(term)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and fullwidth characters count two, marks zero."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def format_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    align_right: Sequence[bool] | None = None,
) -> str:
    """An aligned plain-text table (header, dashes, rows), by display width."""
    rows = [list(row) for row in rows]
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    right = list(align_right or [False] * len(headers))

    def line(cells: Sequence[str], is_header: bool = False) -> str:
        parts = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - display_width(cell))
            parts.append(pad + cell if right[i] and not is_header else cell + pad)
        return "  ".join(parts).rstrip()

    out = [line(headers, True), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in rows)
    return "\n".join(out) + "\n"


def _is_numeric(term: Any) -> bool:
    return isinstance(term, Literal) and term.datatype in _NUMERIC


def _solutions_table(result: QueryResult) -> str:
    if result.kind == "ASK":
        return "true\n" if result.boolean else "false\n"
    columns = list(zip(*result.rows, strict=False)) if result.rows else []
    right = [bool(col) and all(t is None or _is_numeric(t) for t in col) for col in columns]
    body = ([term_text(t) for t in row] for row in result.rows)
    return format_table(result.variables, body, align_right=right or None)


def _graph_rows(graph: Graph) -> list[tuple[Any, Any, Any]]:
    return sorted(graph, key=lambda t: tuple(term_text(x) for x in t))


def _tsv_term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.decimal, XSD.double):
        return str(term)  # the abbreviated numeric form SPARQL TSV allows
    from .export import ntriples_term

    # Not term.n3(): it writes a literal with a newline as a multi-line """…""" string,
    # which splits a TSV row. The N-Triples form escapes \t, \n and \r.
    return ntriples_term(term)


def _tsv(result: QueryResult) -> str:
    if result.kind == "ASK":
        return "true\n" if result.boolean else "false\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines.extend("\t".join(_tsv_term(t) for t in row) for row in result.rows)
    return "\n".join(lines) + "\n"


def _serialize_result(result: QueryResult, fmt: str) -> bytes:
    stream = io.BytesIO()
    result.raw.serialize(destination=stream, format=fmt, encoding="utf-8")
    return stream.getvalue()


def _jsonld(graph: Graph) -> bytes:
    context = {prefix: namespace for prefix, namespace in PREFIXES.items()}
    data = graph.serialize(format="json-ld", context=context, encoding="utf-8", indent=2)
    # Re-dump with sorted keys: rdflib's node order follows its store, not the data.
    document = json.loads(data)
    nodes = document.get("@graph")
    if isinstance(nodes, list):
        nodes.sort(key=lambda node: json.dumps(node, sort_keys=True, ensure_ascii=False))
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def format_result(result: QueryResult, fmt: str) -> bytes:
    """Serialise ``result`` in ``fmt`` (one of :data:`FORMATS`); UTF-8 bytes."""
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    is_graph = result.graph is not None
    allowed = GRAPH_FORMATS if is_graph else SOLUTION_FORMATS
    if fmt not in allowed:
        raise QueryError(
            f"--format {fmt} does not fit a {result.kind} query; use one of {', '.join(allowed)}"
        )
    if fmt == "table":
        if is_graph:
            rows = ([term_text(x) for x in triple] for triple in _graph_rows(result.graph))
            return format_table(("subject", "predicate", "object"), rows).encode()
        return _solutions_table(result).encode()
    if fmt == "tsv":
        return _tsv(result).encode()
    if fmt == "csv":
        if result.kind == "ASK":
            return b"true\r\n" if result.boolean else b"false\r\n"
        return _serialize_result(result, "csv")
    if fmt == "json":
        data = json.loads(_serialize_result(result, "json"))
        ordered = {"head": data.pop("head", {}), **data}  # head first, as the spec shows it
        return (json.dumps(ordered, indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "ttl":
        return result.graph.serialize(format="turtle", encoding="utf-8")
    if fmt == "nt":
        lines = result.graph.serialize(format="nt", encoding="utf-8").decode().splitlines()
        return ("\n".join(sorted(line for line in lines if line.strip())) + "\n").encode()
    return _jsonld(result.graph)
