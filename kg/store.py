"""Where the graph lives: rdflib in memory (the default) or pyoxigraph, in memory or on disk.

``open_store(spec)`` takes ``memory``, ``oxigraph`` (pyoxigraph in memory) or
``oxigraph:PATH`` (pyoxigraph on disk, kept between CLI calls); with no spec it reads
``$KG_STORE`` and falls back to ``memory``. Both stores offer the same operations, so load,
query and export code does not care which one it runs on:

* ``use_curated(project)``: put the project's curated graph (ontology + facts + derived truthy
  triples, from :mod:`kg.cache`) in the store. An on-disk store remembers the inputs' hash and
  skips the work when nothing changed, like the build cache.
* ``load_rdf(data, fmt)``: add a serialised dataset (the fast native parser; :mod:`kg.bulkload`
  adds line-numbered errors, all-or-nothing loading and progress on top).
* ``query(text)``: SPARQL with the project's prefixes, read-only; a :class:`StoreResult` gives
  rdflib-compatible rows and serialises to SPARQL JSON, CSV, TSV and XML (natively on pyoxigraph).
* ``serialize(fmt)``: Turtle, N-Triples or N-Quads (pyoxigraph's serialiser on pyoxigraph).
* ``as_rdflib()``: an rdflib ``Graph`` for code that needs one (through oxrdflib on pyoxigraph,
  so nothing is copied).

Layout of ``oxigraph:PATH``: a directory holding ``kg-store.json`` (what was loaded, the curated
graph's input hash) and ``oxigraph/`` (the RocksDB database). The default graph is the merged
graph every query sees, as a set of triples: the curated graph plus every loaded triple file.
Two bookkeeping named graphs, hidden from ``GRAPH`` queries, let a changed facts directory
replace the curated triples without deleting loaded triples that happen to be equal to one:
:data:`CURATED_GRAPH` (a copy of the curated graph) and :data:`SHARED_GRAPH` (curated triples a
loaded file also holds). N-Quads keep their named graphs, which queries reach with ``GRAPH``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .errors import InputError, KGError, QueryError
from .load import PREFIXES, bind_prefixes
from .project import Project
from .query import QUERY_BASE
from .storespec import DEFAULT_SPEC, STORE_ENV, StoreSpec, parse_spec

__all__ = [
    "CURATED_GRAPH",
    "DEFAULT_SPEC",
    "RDF_FORMATS",
    "SHARED_GRAPH",
    "STORE_ENV",
    "MemoryStore",
    "OxigraphStore",
    "Store",
    "StoreResult",
    "StoreSpec",
    "open_store",
    "ox_query_error",
    "parse_spec",
    "rows_from_ox",
    "scan_query",
    "term_from_ox",
    "term_to_ox",
    "triple_from_ox",
]

#: The curated graph's copy in an on-disk store (the IRI ``kg push`` uses for it too).
CURATED_GRAPH = "https://w3id.org/aichip-kg/graph"
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
MANIFEST = "kg-store.json"
MANIFEST_FORMAT = 1
_XSD_STRING = str(XSD.string)
_RESULT_FORMATS = ("json", "csv", "tsv", "xml")
_GRAPH_RESULT_FORMATS = {"ttl": "turtle", "turtle": "turtle", "nt": "ntriples"}
_GRAPH_RESULT_FORMATS.update({"ntriples": "ntriples", "xml": "rdfxml", "rdfxml": "rdfxml"})


# -- opening ------------------------------------------------------------------------------------


def open_store(spec: str | StoreSpec | None = None, *, read_only: bool = False) -> Store:
    """Open the store ``spec`` names (see :func:`parse_spec`). ``read_only`` applies to disk."""
    parsed = parse_spec(spec)
    if parsed.kind == "memory":
        return MemoryStore()
    return OxigraphStore(parsed.path, read_only=read_only)


# -- term conversion ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _language(tag: str) -> str:
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


def term_from_ox(term: Any) -> Any:
    """A pyoxigraph term as the rdflib term rdflib's own parser would make."""
    convert = _FROM_OX.get(type(term))
    if convert is None:
        if term is None:
            return None
        _init_from_ox()
        convert = _FROM_OX.get(type(term))
        if convert is None:
            raise KGError(f"unsupported term from pyoxigraph: {term!r}")
    return convert(term)


def triple_from_ox(statement: Any) -> tuple[Any, Any, Any]:
    """A pyoxigraph Triple or Quad's subject, predicate and object as rdflib terms."""
    return (
        term_from_ox(statement.subject),
        term_from_ox(statement.predicate),
        term_from_ox(statement.object),
    )


def _literal_from_ox(term: Any) -> Literal:
    if term.language:
        return Literal(term.value, lang=_language(term.language))
    datatype = term.datatype.value
    if datatype == _XSD_STRING:  # RDF 1.1: "x" and "x"^^xsd:string are one term
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def rows_from_ox(solutions: Iterable[Any], width: int) -> tuple[tuple[Any, ...], ...]:
    """Solutions as tuples of rdflib terms. Answers repeat terms (a label per row, the same
    source…), and an rdflib Literal costs far more to build than a lookup, so each distinct
    term is converted once per answer."""
    memo: dict[Any, Any] = {None: None}
    rows = []
    for solution in solutions:
        row = []
        for i in range(width):
            term = solution[i]
            converted = memo.get(term, memo)
            if converted is memo:
                converted = memo[term] = term_from_ox(term)
            row.append(converted)
        rows.append(tuple(row))
    return tuple(rows)


# Type -> converter, filled on first use so that importing this module never loads pyoxigraph.
_FROM_OX: dict[type, Callable[[Any], Any]] = {}


def _init_from_ox() -> None:
    import pyoxigraph as ox

    _FROM_OX[ox.NamedNode] = lambda term: URIRef(term.value)
    _FROM_OX[ox.Literal] = _literal_from_ox
    _FROM_OX[ox.BlankNode] = lambda term: BNode(term.value)
    _FROM_OX[ox.DefaultGraph] = lambda term: None


def term_to_ox(term: Any) -> Any:
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(re.sub(r"[^A-Za-z0-9_\-]", "_", str(term)))
    raise KGError(f"unsupported rdflib term: {term!r}")


# -- query scanning ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                   |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
      | (?P<word>[A-Za-z_][\w\-.]*(?::[\w\-.%]*)?|:[\w\-.%]*)
      | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"}
_FORMS = {"SELECT": "SELECT", "ASK": "ASK", "CONSTRUCT": "CONSTRUCT", "DESCRIBE": "DESCRIBE"}


@dataclass(frozen=True)
class ScannedQuery:
    """What a lexical pass finds out about a query without a full (slow) parse."""

    kind: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE (None if no form keyword was seen)
    update: str | None  # the UPDATE keyword it starts with, if any
    service: tuple[int, int] | None  # line, column of a SERVICE keyword
    dataset: tuple[int, int] | None  # line, column of FROM


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan_query(text: str) -> ScannedQuery:
    """Find the query form, UPDATE keywords, SERVICE and FROM outside strings, IRIs and comments.

    A whole-query parse with rdflib takes longer than pyoxigraph takes to answer most queries,
    so the pyoxigraph store checks what must be refused with this scan and leaves syntax to
    pyoxigraph's own parser.
    """
    kind = update = None
    service = dataset = None
    prologue = True
    for match in _TOKEN.finditer(text):
        if match.lastgroup != "word":
            continue
        word = match.group().upper()
        if prologue and word in ("PREFIX", "BASE"):
            continue
        if prologue and word in _UPDATE_WORDS | {"WITH"}:
            update = word
        if prologue and ":" not in word:
            prologue = False
        if kind is None and word in _FORMS:
            kind = _FORMS[word]
        elif word == "SERVICE" and service is None:
            service = _line_col(text, match.start())
        elif word == "FROM" and dataset is None:
            dataset = _line_col(text, match.start())
    return ScannedQuery(kind=kind, update=update, service=service, dataset=dataset)


def _check_refusals(text: str, source: str) -> ScannedQuery:
    if not text.strip():
        raise QueryError(f"{source}: the query is empty")
    scanned = scan_query(text)
    if scanned.update:
        raise QueryError(
            f"{source}: {scanned.update} is a SPARQL UPDATE; kg query is read-only "
            "(edit facts/*.ttl to change the graph)"
        )
    if scanned.service:
        line, col = scanned.service
        raise QueryError(
            f"{source}:{line}:{col}: SERVICE is not supported: kg query never fetches from "
            "the network"
        )
    if scanned.dataset:
        line, col = scanned.dataset
        raise QueryError(
            f"{source}:{line}:{col}: FROM / FROM NAMED is not supported: queries run over "
            "the project graph"
        )
    return scanned


def ox_query_error(exc: Exception, text: str, source: str) -> QueryError:
    """pyoxigraph's ``error at L:C: …`` as ``source:L:C: syntax error: …`` (prefix named)."""
    message = str(exc)
    match = re.match(r"error at (\d+):(\d+): (.*)", message, re.S)
    if not match:
        return QueryError(f"{source}: query failed: {message}")
    line, col, detail = int(match.group(1)), int(match.group(2)), match.group(3)
    if "Prefix not found" in detail:
        # pyoxigraph points just past the prefixed name; find the name and where it starts.
        lines = text.splitlines()
        before = lines[line - 1][: col - 1] if line <= len(lines) else ""
        name = re.search(r"(?<![\w?$:])([A-Za-z][\w.\-]*)?:[\w.\-%]*\s*$", before)
        prefix = (name.group(1) or "") if name else "?"
        if name:
            col = name.start() + 1
        known = ", ".join(f"{p}:" for p in PREFIXES)
        return QueryError(
            f"{source}:{line}:{col}: unknown prefix {prefix}: (declare it with PREFIX, "
            f"or use one of {known})"
        )
    detail = " ".join(detail.split())
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return QueryError(f"{source}:{line}:{col}: syntax error: {detail}")


# -- results -----------------------------------------------------------------------------------


def _json_term(term: Any) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None and str(term.datatype) != _XSD_STRING:
        out["datatype"] = str(term.datatype)
    return out


def _csv_cell(term: Any) -> str:
    if term is None:
        return ""
    text = f"_:{term}" if isinstance(term, BNode) else str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tsv_cell(term: Any) -> str:
    """The term in N-Triples syntax, one line, no tabs (what SPARQL TSV asks for)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    text = '"' + str(term).translate(_NT_ESCAPES) + '"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype is not None and str(term.datatype) != _XSD_STRING:
        return f"{text}^^<{term.datatype}>"
    return text


def _xml_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;")


def write_solutions(
    variables: Iterable[str], rows: Iterable[tuple], fmt: str, boolean: bool | None = None
) -> bytes:
    """SPARQL 1.1 results (json, csv, tsv, xml) for rdflib-term rows, or an ASK ``boolean``."""
    variables = list(variables)
    if fmt == "json":
        if boolean is not None:
            return json.dumps({"head": {}, "boolean": boolean}).encode()
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        data = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    if fmt == "csv":
        if boolean is not None:
            return b"true\r\n" if boolean else b"false\r\n"
        lines = [",".join(variables)]
        lines.extend(",".join(_csv_cell(t) for t in row) for row in rows)
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if fmt == "tsv":
        if boolean is not None:
            return b"true\n" if boolean else b"false\n"
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines.extend("\t".join(_tsv_cell(t) for t in row) for row in rows)
        return ("\n".join(lines) + "\n").encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        if boolean is not None:
            out += ["<head/>", f"<boolean>{'true' if boolean else 'false'}</boolean>", "</sparql>"]
            return ("\n".join(out) + "\n").encode("utf-8")
        out.append("<head>" + "".join(f'<variable name="{v}"/>' for v in variables) + "</head>")
        out.append("<results>")
        for row in rows:
            cells = []
            for v, t in zip(variables, row, strict=True):
                if t is None:
                    continue
                if isinstance(t, URIRef):
                    value = f"<uri>{_xml_escape(str(t))}</uri>"
                elif isinstance(t, BNode):
                    value = f"<bnode>{_xml_escape(str(t))}</bnode>"
                elif t.language:
                    value = f'<literal xml:lang="{t.language}">{_xml_escape(str(t))}</literal>'
                elif t.datatype is not None and str(t.datatype) != _XSD_STRING:
                    dt = _xml_escape(str(t.datatype))
                    value = f'<literal datatype="{dt}">{_xml_escape(str(t))}</literal>'
                else:
                    value = f"<literal>{_xml_escape(str(t))}</literal>"
                cells.append(f'<binding name="{v}">{value}</binding>')
            out.append("<result>" + "".join(cells) + "</result>")
        out += ["</results>", "</sparql>"]
        return ("\n".join(out) + "\n").encode("utf-8")
    raise QueryError(f"unknown results format {fmt!r}; choose one of {', '.join(_RESULT_FORMATS)}")


class StoreResult:
    """A query's answer from either store: ``rows`` (rdflib terms, one tuple per solution, in
    ``variables`` order), ``boolean`` for ASK, ``graph`` for CONSTRUCT and DESCRIBE.

    Rows are converted on first access. ``serialize`` has rdflib's ``Result.serialize``
    signature, so :func:`kg.query.format_result` can use it as ``raw``; on pyoxigraph an answer
    whose rows were never read is written by pyoxigraph's own serialiser.
    """

    def __init__(
        self,
        kind: str,
        variables: tuple[str, ...] = (),
        *,
        rows: Iterable[tuple] | None = None,
        boolean: bool | None = None,
        triples: Iterable[tuple] | None = None,
        native: Any = None,
    ) -> None:
        self.kind = kind
        self.variables = tuple(variables)
        self.boolean = boolean
        self._rows = tuple(rows) if rows is not None else None
        self._triples = triples
        self._graph: Graph | None = None
        self._native = native  # an unconsumed pyoxigraph QuerySolutions / QueryTriples

    # rows and graph -------------------------------------------------------------------------

    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]:
        if self._rows is None:
            if self.kind != "SELECT":
                self._rows = ()
            else:
                native, self._native = self._native, None
                self._rows = rows_from_ox(native, len(self.variables))
        return self._rows

    @property
    def graph(self) -> Graph | None:
        if self.kind not in ("CONSTRUCT", "DESCRIBE"):
            return None
        if self._graph is None:
            graph = bind_prefixes(Graph())
            if self._native is not None:
                native, self._native = self._native, None
                for t in native:
                    graph.add(triple_from_ox(t))
            else:
                for triple in self._triples or ():
                    graph.add(triple)
            self._graph = graph
        return self._graph

    def __len__(self) -> int:
        if self.kind == "ASK":
            return 1
        if self.kind == "SELECT":
            return len(self.rows)
        return len(self.graph)

    def __iter__(self) -> Iterator:
        if self.kind == "ASK":
            return iter((self.boolean,))
        if self.kind == "SELECT":
            return iter(self.rows)
        return iter(self.graph)

    def row_set(self) -> set[tuple]:
        """Solutions as a set (for comparing answers regardless of order)."""
        return set(self.rows)

    # serialising ----------------------------------------------------------------------------

    def serialize(
        self,
        destination: IO[bytes] | str | None = None,
        encoding: str = "utf-8",
        format: str = "json",  # noqa: A002 - rdflib's Result.serialize keyword
        **_: Any,
    ) -> bytes | None:
        """SPARQL results (json, csv, tsv, xml) for SELECT/ASK; turtle, nt or xml for graphs."""
        if encoding.lower().replace("-", "") != "utf8":
            raise QueryError("query results are always written in UTF-8")
        data = self._bytes(format)
        if destination is None:
            return data
        if isinstance(destination, str | Path):
            Path(destination).write_bytes(data)
        else:
            destination.write(data)
        return None

    def _bytes(self, fmt: str) -> bytes:
        if self.kind in ("CONSTRUCT", "DESCRIBE"):
            name = _GRAPH_RESULT_FORMATS.get(fmt)
            if name is None:
                raise QueryError(f"{fmt} does not fit a {self.kind} query; use turtle, nt or xml")
            import pyoxigraph as ox

            if self._native is not None and name != "rdfxml":
                native, self._native = self._native, None
                return ox.serialize(native, format=_ox_format(name), prefixes=PREFIXES)
            triples = [tuple(term_to_ox(t) for t in triple) for triple in self.graph]
            triples = [ox.Triple(*t) for t in sorted(triples, key=str)]
            return ox.serialize(triples, format=_ox_format(name), prefixes=PREFIXES)
        if fmt not in _RESULT_FORMATS:
            raise QueryError(
                f"{fmt} does not fit a {self.kind} query; use one of {', '.join(_RESULT_FORMATS)}"
            )
        if self._native is not None and self._rows is None:
            import pyoxigraph as ox

            native, self._native = self._native, None
            self._rows = None
            data = native.serialize(format=getattr(ox.QueryResultsFormat, fmt.upper()))
            # The answer is gone with the iterator; keep it readable by parsing our own bytes.
            self._rows = _rows_from_results(data, fmt, self.variables)
            return data
        return write_solutions(self.variables, self.rows, fmt, self.boolean)

    def to_query_result(self):
        """This answer as :class:`kg.query.QueryResult`, so ``format_result`` can print it."""
        from .query import QueryResult

        if self.kind == "ASK":
            return QueryResult(kind="ASK", boolean=self.boolean, raw=self)
        if self.kind == "SELECT":
            return QueryResult(kind="SELECT", variables=self.variables, rows=self.rows, raw=self)
        return QueryResult(kind=self.kind, graph=self.graph, raw=self)


def _rows_from_results(data: bytes, fmt: str, variables: tuple[str, ...]) -> tuple | None:
    import pyoxigraph as ox

    try:
        parsed = ox.parse_query_results(data, format=getattr(ox.QueryResultsFormat, fmt.upper()))
    except Exception:  # CSV loses term types: nothing faithful to rebuild
        return None
    if isinstance(parsed, ox.QueryBoolean):
        return ()
    if fmt == "csv":
        return None
    return tuple(tuple(term_from_ox(s[v]) for v in variables) for s in parsed)


def _ox_format(name: str):
    import pyoxigraph as ox

    try:
        return getattr(ox.RdfFormat, RDF_FORMATS[name][0])
    except KeyError:
        raise InputError(
            f"unknown RDF format {name!r}; choose one of {', '.join(RDF_FORMATS)}"
        ) from None


# -- the stores --------------------------------------------------------------------------------


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

    def use_curated(self, project: Project, *, use_cache: bool = True) -> bool:
        """Make the curated graph of ``project`` part of the store; True if it was (re)loaded."""
        raise NotImplementedError

    def add_graph(self, graph: Graph) -> int:
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
        a syntax error may leave part of it loaded. :mod:`kg.bulkload` is the careful way."""
        raise NotImplementedError

    def query(self, text: str, *, source: str = "query") -> StoreResult:
        raise NotImplementedError

    def serialize(self, fmt: str = "turtle", output: IO[bytes] | None = None) -> bytes | None:
        """The default graph (with N-Quads/TriG also the loaded named graphs) in ``fmt``."""
        raise NotImplementedError

    def as_rdflib(self) -> Graph:
        raise NotImplementedError

    def manifest(self) -> dict[str, Any]:
        """What the store records about itself (loads, curated hash); empty in memory."""
        return {}


class MemoryStore(Store):
    """rdflib's in-memory store: the project's default, and the reference for answers."""

    def __init__(self, graph: Graph | None = None) -> None:
        self.spec = StoreSpec("memory")
        self.graph = graph if graph is not None else bind_prefixes(Graph())
        self._named: Any = None  # an rdflib Dataset for N-Quads/TriG graphs, made on demand

    def __len__(self) -> int:
        return len(self.graph)

    def use_curated(self, project: Project, *, use_cache: bool = True) -> bool:
        from .cache import cached_graph

        curated = cached_graph(project, use_cache=use_cache)
        if len(self.graph) == 0:
            self.graph = curated  # no copy: the common case of the default store
        else:
            self.add_graph(curated)
        return True

    def add_graph(self, graph: Graph) -> int:
        add = self.graph.add
        count = 0
        for triple in graph:
            add(triple)
            count += 1
        return count

    def load_rdf(self, data, fmt, *, base_iri=None, bulk=True) -> None:
        try:
            import pyoxigraph as ox
        except ImportError:  # rdflib's own parsers: slower, same triples
            self._load_with_rdflib(data, fmt, base_iri)
            return
        kwargs: dict[str, Any] = {"format": _ox_format(fmt), "base_iri": base_iri}
        kwargs["rename_blank_nodes"] = True  # each file's _:b0 is its own node, as in rdflib
        if isinstance(data, Path):
            kwargs["path"] = str(data)
        else:
            kwargs["input"] = data
        add = self.graph.add
        for quad in ox.parse(**kwargs):
            triple = triple_from_ox(quad)
            if type(quad.graph_name) is ox.DefaultGraph:
                add(triple)
            else:
                self._named_graph(term_from_ox(quad.graph_name)).add(triple)

    def _named_graph(self, name: Any) -> Graph:
        from rdflib import Dataset

        if self._named is None:
            self._named = Dataset()
        return self._named.graph(name)

    def _load_with_rdflib(self, data, fmt, base_iri) -> None:
        if isinstance(data, Path):
            data = data.read_bytes()
        elif not isinstance(data, bytes):
            data = data.read()
        if fmt in ("nquads", "trig"):
            from rdflib import Dataset

            dataset = Dataset()
            dataset.parse(data=data, format=RDF_FORMATS[fmt][1], publicID=base_iri)
            for s, p, o, g in dataset.quads():
                if g is None or str(g) == "urn:x-rdflib:default":
                    self.graph.add((s, p, o))
                else:
                    self._named_graph(g).add((s, p, o))
            return
        self.graph.parse(data=data, format=RDF_FORMATS[fmt][1], publicID=base_iri)

    def query(self, text: str, *, source: str = "query") -> StoreResult:
        from .query import parse_query

        parsed = parse_query(text, source=source)
        try:
            result = self.graph.query(parsed.prepared)
            if parsed.kind == "ASK":
                return StoreResult("ASK", boolean=bool(result.askAnswer))
            if parsed.kind in ("CONSTRUCT", "DESCRIBE"):
                return StoreResult(parsed.kind, triples=list(result.graph or ()))
            variables = tuple(str(v) for v in result.vars or ())
            rows = [tuple(row.get(v) for v in result.vars) for row in result.bindings]
            return StoreResult("SELECT", variables, rows=rows)
        except QueryError:
            raise
        except Exception as exc:  # rdflib raises evaluation errors lazily, in many types
            raise QueryError(f"{source}: query failed: {exc}") from None

    def serialize(self, fmt: str = "turtle", output: IO[bytes] | None = None) -> bytes | None:
        """Turtle and N-Triples by kg's canonical writers (:mod:`kg.export`: exact lexical
        forms, canonical order, as ``kg export`` writes them); other formats by pyoxigraph."""
        if fmt not in RDF_FORMATS:
            raise InputError(f"unknown RDF format {fmt!r}; choose one of {', '.join(RDF_FORMATS)}")
        if fmt in ("turtle", "ntriples"):
            from .export import to_ntriples, to_turtle

            data = (to_turtle if fmt == "turtle" else to_ntriples)(self.graph)
        else:
            import pyoxigraph as ox

            default = ox.DefaultGraph()
            quads = [ox.Quad(*(term_to_ox(t) for t in triple), default) for triple in self.graph]
            if self._named is not None:
                for s, p, o, g in self._named.quads():
                    if g is not None and str(g) != "urn:x-rdflib:default":
                        name = term_to_ox(g.identifier if isinstance(g, Graph) else g)
                        quads.append(ox.Quad(term_to_ox(s), term_to_ox(p), term_to_ox(o), name))
            if fmt in ("nquads", "trig"):
                data = ox.serialize(quads, format=_ox_format(fmt), prefixes=PREFIXES)
            else:
                triples = [q.triple for q in quads if q.graph_name == default]
                data = ox.serialize(triples, format=_ox_format(fmt), prefixes=PREFIXES)
        if output is None:
            return data
        output.write(data)
        return None

    def as_rdflib(self) -> Graph:
        return self.graph


class OxigraphStore(Store):
    """pyoxigraph, in memory (``path`` None) or in the directory ``path``; see the module doc."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        try:
            import pyoxigraph as ox
        except ImportError:
            raise KGError(
                "the oxigraph store needs pyoxigraph: pip install 'aichip-kg[scale]'"
            ) from None
        self.path = Path(path).expanduser().resolve() if path is not None else None
        self.spec = StoreSpec("oxigraph", self.path)
        self.read_only = read_only
        self._manifest: dict[str, Any] = {"format": MANIFEST_FORMAT, "curated_key": None}
        self._manifest["loads"] = []
        if self.path is None:
            self.ox = ox.Store()
        else:
            self._open_disk(ox)
        self._user_graphs: list | None = None

    def _open_disk(self, ox) -> None:
        assert self.path is not None
        manifest_path = self.path / MANIFEST
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{self.path}: not a directory (oxigraph:PATH names a directory)")
        if self.path.is_dir() and any(self.path.iterdir()) and not manifest_path.exists():
            raise InputError(
                f"{self.path}: not a kg store (no {MANIFEST}); give a new or empty directory"
            )
        if manifest_path.exists():
            try:
                self._manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"{manifest_path}: unreadable store manifest: {exc}") from None
            if self._manifest.get("format") != MANIFEST_FORMAT:
                raise InputError(f"{manifest_path}: written by another version of kg")
        elif self.read_only:
            raise InputError(f"{self.path}: no store here yet (load something into it first)")
        database = self.path / "oxigraph"
        try:
            if self.read_only:
                self.ox = ox.Store.read_only(str(database))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self.ox = ox.Store(str(database))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise KGError(
                    f"{self.path}: the store is open in another kg process (for instance "
                    "kg serve); stop it or use another store"
                ) from None
            raise KGError(f"{self.path}: cannot open the store: {exc}") from None
        if not manifest_path.exists():
            self._save_manifest()
        interrupted = self._manifest.get("incomplete")
        if interrupted and interrupted.get("was_empty") and not self.read_only:
            # A first load into this store died half-way: it held nothing before, so
            # emptying it undoes exactly that load.
            self.ox.clear()
            self.update_manifest(incomplete=None)

    # bookkeeping ----------------------------------------------------------------------------

    def is_empty(self) -> bool:
        """No quad in any graph, and nothing ever loaded or curated."""
        if self._manifest.get("loads") or self._manifest.get("curated_key"):
            return False
        return next(iter(self.ox), None) is None

    def manifest(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._manifest))

    def _save_manifest(self) -> None:
        if self.path is None or self.read_only:
            return
        from .write import write_text_atomic

        write_text_atomic(self.path / MANIFEST, json.dumps(self._manifest, indent=2) + "\n")

    def update_manifest(self, **changes: Any) -> None:
        """Record ``changes`` (and save them at once when on disk)."""
        self._manifest.update(changes)
        self._save_manifest()

    def record_load(self, entry: dict[str, Any]) -> None:
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
        self._manifest.setdefault("loads", []).append(entry)
        self._save_manifest()

    def close(self) -> None:
        """Flush and let go of the database (its lock is freed once nothing refers to it,
        rdflib views from :meth:`as_rdflib` included: they stop working)."""
        store = getattr(self, "ox", None)
        if store is not None and self.path is not None and not self.read_only:
            with contextlib.suppress(OSError):
                store.flush()
        for view in getattr(self, "_views", ()):
            view._store = None
        self._views = []
        self.ox = None

    def _graph_node(self, iri: str):
        import pyoxigraph as ox

        return ox.NamedNode(iri)

    def _triples_in(self, iri: str | None) -> set:
        import pyoxigraph as ox

        graph = ox.DefaultGraph() if iri is None else self._graph_node(iri)
        return {q.triple for q in self.ox.quads_for_pattern(None, None, None, graph)}

    def user_graphs(self) -> list:
        """Named graphs a ``GRAPH`` pattern may reach: all but the bookkeeping ones."""
        if self._user_graphs is None:
            hidden = {CURATED_GRAPH, SHARED_GRAPH}
            self._user_graphs = [
                g for g in self.ox.named_graphs() if getattr(g, "value", None) not in hidden
            ]
        return self._user_graphs

    # the curated graph ----------------------------------------------------------------------

    def use_curated(self, project: Project, *, use_cache: bool = True) -> bool:
        from .cache import cache_key, cached_graph

        key = cache_key(project)
        if self._manifest.get("curated_key") == key:
            return False
        if self.read_only:
            raise KGError(
                f"{self.path}: the facts changed since the store was last written, and it is "
                "open read-only elsewhere; stop the other kg process and retry"
            )
        curated = cached_graph(project, use_cache=use_cache)
        self.replace_curated(curated, key)
        return True

    def replace_curated(self, curated: Graph, key: str | None) -> None:
        """Make ``curated`` the store's curated graph (see the module doc for the invariant)."""
        import pyoxigraph as ox

        new = {ox.Triple(*(term_to_ox(t) for t in triple)) for triple in curated}
        default = ox.DefaultGraph()
        old = self._triples_in(CURATED_GRAPH)
        shared = self._triples_in(SHARED_GRAPH)
        self.update_manifest(curated_key=None)  # a crash from here on forces a redo
        for t in old - new - shared:
            self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, default))
        self.ox.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in new - old)
        curated_node, shared_node = self._graph_node(CURATED_GRAPH), self._graph_node(SHARED_GRAPH)
        for t in old - new:
            self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, curated_node))
        self.ox.extend(ox.Quad(t.subject, t.predicate, t.object, curated_node) for t in new - old)
        for t in shared - new:
            self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, shared_node))
        self.update_manifest(curated_key=key)

    @contextlib.contextmanager
    def loading(self) -> Iterator[None]:
        """Bracket a load of triples into the default graph so that curated triples the loaded
        data also holds are remembered in :data:`SHARED_GRAPH` (see the module doc)."""
        import pyoxigraph as ox

        curated = self._triples_in(CURATED_GRAPH)
        shared = self._triples_in(SHARED_GRAPH) if curated else set()
        only_curated = curated - shared
        key = self._manifest.get("curated_key")
        default = ox.DefaultGraph()
        if only_curated:
            self.update_manifest(curated_key=None)
            for t in only_curated:
                self.ox.remove(ox.Quad(t.subject, t.predicate, t.object, default))
        try:
            yield
        finally:
            if only_curated:
                shared_node = self._graph_node(SHARED_GRAPH)
                also_loaded = [
                    t
                    for t in only_curated
                    if next(
                        iter(self.ox.quads_for_pattern(t.subject, t.predicate, t.object, default)),
                        None,
                    )
                ]
                self.ox.extend(
                    ox.Quad(t.subject, t.predicate, t.object, shared_node) for t in also_loaded
                )
                self.ox.extend(
                    ox.Quad(t.subject, t.predicate, t.object, default) for t in only_curated
                )
                self.update_manifest(curated_key=key)
            self._user_graphs = None

    # data -----------------------------------------------------------------------------------

    def __len__(self) -> int:
        if next(iter(self.ox.named_graphs()), None) is None:
            return len(self.ox)  # all quads are in the default graph; twice as fast as COUNT
        solution = next(iter(self.ox.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))
        return int(solution[0].value)

    def add_graph(self, graph: Graph) -> int:
        import pyoxigraph as ox

        default = ox.DefaultGraph()
        quads = [ox.Quad(*(term_to_ox(t) for t in triple), default) for triple in graph]
        self.ox.extend(quads)
        return len(quads)

    def load_rdf(self, data, fmt, *, base_iri=None, bulk=True) -> None:
        kwargs: dict[str, Any] = {"format": _ox_format(fmt), "base_iri": base_iri}
        if isinstance(data, Path):
            kwargs["path"] = str(data)
        else:
            kwargs["input"] = data
        if bulk:
            self.ox.bulk_load(**kwargs)
        else:
            self.ox.load(**kwargs)
        self._user_graphs = None

    def query(self, text: str, *, source: str = "query") -> StoreResult:
        import pyoxigraph as ox

        scanned = _check_refusals(text, source)
        try:
            result = self.ox.query(
                text,
                base_iri=QUERY_BASE,
                prefixes=PREFIXES,
                named_graphs=self.user_graphs() or None,
            )
        except SyntaxError as exc:
            raise ox_query_error(exc, text, source) from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"{source}: query failed: {exc}") from None
        if isinstance(result, ox.QueryBoolean):
            return StoreResult("ASK", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = tuple(v.value for v in result.variables)
            return StoreResult("SELECT", variables, native=result)
        kind = scanned.kind if scanned.kind in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT"
        return StoreResult(kind, native=result)

    def serialize(
        self, fmt: str = "turtle", output: IO[bytes] | Path | str | None = None
    ) -> bytes | None:
        """As :meth:`Store.serialize`; ``output`` may also be a path, which pyoxigraph then
        writes itself (no Python call per buffer)."""
        import pyoxigraph as ox

        form = _ox_format(fmt)
        if isinstance(output, Path):
            output = str(output)
        if fmt in ("nquads", "trig"):
            graphs = [ox.DefaultGraph(), *self.user_graphs()]
            quads = (q for g in graphs for q in self.ox.quads_for_pattern(None, None, None, g))
            return ox.serialize(quads, output, format=form, prefixes=PREFIXES)
        return self.ox.dump(output, format=form, from_graph=ox.DefaultGraph(), prefixes=PREFIXES)

    def as_rdflib(self) -> Graph:
        """An rdflib ``Graph`` over the default graph (oxrdflib: nothing is copied)."""
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        view = _kg_oxrdflib()(store=self.ox)
        self._views = [*getattr(self, "_views", []), view]
        graph = Graph(store=view, identifier=DATASET_DEFAULT_GRAPH_ID)
        graph.kg_store = self  # kg.query.run_query hands SPARQL to pyoxigraph through this
        return bind_prefixes(graph)


def _plain(term: Any) -> Any:
    """``"x"^^xsd:string`` as rdflib's parser makes it: a plain literal."""
    if isinstance(term, Literal) and str(term.datatype or "") == _XSD_STRING:
        return Literal(str(term))
    if isinstance(term, Literal) and term.language and term.language != _language(term.language):
        return Literal(str(term), lang=_language(term.language))
    return term


@lru_cache(maxsize=1)
def _kg_oxrdflib() -> type:
    """oxrdflib's rdflib store, with terms converted as rdflib's parser makes them
    (plain literals without ``xsd:string``, language tags in BCP 47 case)."""
    from oxrdflib import OxigraphStore as RdflibStore
    from oxrdflib._converter import to_ox_quad_pattern

    class KGOxrdflib(RdflibStore):
        def triples(self, triple_pattern, context=None):
            try:
                quads = self._inner.quads_for_pattern(*to_ox_quad_pattern(triple_pattern, context))
            except (TypeError, ValueError):
                return iter(())
            return ((triple_from_ox(q), iter((context,))) for q in quads)

        def query(self, query, initNs, initBindings, queryGraph, **kwargs):  # noqa: N803
            result = super().query(query, initNs, initBindings, queryGraph, **kwargs)
            if result.type == "SELECT":
                result.bindings = [
                    {variable: _plain(term) for variable, term in row.items()}
                    for row in result.bindings
                ]
            elif result.type == "CONSTRUCT" and result.graph is not None:
                graph = Graph()
                for triple in result.graph:
                    graph.add(tuple(_plain(t) for t in triple))
                result.graph = graph
            return result

    return KGOxrdflib
