"""One answer type for every engine: :class:`Result`, and how it is written out.

A :class:`Result` holds solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)
as the engine's own terms (rdflib's or pyoxigraph's; :mod:`kg.sparql.terms` reads both), so a
pyoxigraph answer prints without importing rdflib. ``rows`` gives rdflib terms for Python
callers (converted once, on first use); ``serialize`` writes every format the project offers:

* solutions: ``table`` (aligned, wide characters counted twice), ``csv``, ``tsv``, ``json``,
  ``xml`` (the SPARQL 1.1 result formats);
* graphs: ``table``, ``ttl``, ``nt``, ``jsonld`` (inline context, never a remote one),
  ``rdfxml``.

A result cut at a row limit says so: ``truncated`` (and ``total`` when known), and the body
of every format that has room for a note carries one.

>>> from rdflib import Literal
>>> r = Result("SELECT", ("n",), rows=[(Literal(1),), (Literal(2),)])
>>> r.serialize("csv").decode().splitlines()
['n', '1', '2']
>>> r.capped(1).truncated
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from kg.errors import QueryError
from kg.sparql.terms import PREFIXES, TurtleTerms, is_numeric, ntriples, parts, term_text
from kg.tables import format_table, spreadsheet_safe

__all__ = [
    "FORMATS",
    "GRAPH_FORMATS",
    "SOLUTION_FORMATS",
    "Result",
    "canonical_format",
    "format_names",
]

SOLUTION_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("table", "ttl", "nt", "jsonld", "rdfxml")
FORMATS = ("table", "csv", "tsv", "json", "xml", "ttl", "nt", "jsonld", "rdfxml")
#: Other names users type for the same formats (one set of names for query, export, serve).
_ALIASES = {
    "turtle": "ttl",
    "ntriples": "nt",
    "n-triples": "nt",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "rdf+xml": "rdfxml",
    "text": "table",
}


def format_names() -> tuple[str, ...]:
    """Every format name accepted, canonical names first."""
    return FORMATS + tuple(_ALIASES)


#: ``json`` and ``xml`` name the graph serialisations for CONSTRUCT and DESCRIBE, as they do
#: for ``kg serve``'s ``format`` parameter.
_FOR_GRAPHS = {"json": "jsonld", "xml": "rdfxml"}


def canonical_format(fmt: str) -> str:
    """The canonical name of a format name (``turtle`` -> ``ttl``), for query, export, serve."""
    return _ALIASES.get(fmt.lower(), fmt.lower())


_canonical = canonical_format


class Result:
    """An answer: ``kind`` SELECT (``variables``, rows), ASK (``boolean``), CONSTRUCT or
    DESCRIBE (``triples``). Rows and triples hold the engine's terms; None is unbound."""

    def __init__(
        self,
        kind: str,
        variables: Sequence[str] = (),
        *,
        rows: Iterable[tuple] | None = None,
        boolean: bool | None = None,
        triples: Iterable[tuple] | None = None,
        truncated: bool = False,
        total: int | None = None,
    ) -> None:
        self.kind = kind
        self.variables = tuple(variables)
        self.boolean = boolean
        self.native_rows: tuple[tuple, ...] = tuple(rows or ())
        self.native_triples: tuple[tuple, ...] = tuple(triples or ())
        self.truncated = truncated
        self.total = total
        #: What makes the answer suspect (a term the graph lacks…); see kg.sparql.vocabulary.
        self.warnings: tuple[str, ...] = ()
        self._rdflib_rows: tuple | None = None

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def solutions(
        cls, variables: Sequence[str], rows: Iterable[tuple], limit: int | None = None
    ) -> Result:
        """A SELECT answer from an iterator of rows, reading at most ``limit`` + 1 of them."""
        if limit is None:
            return cls("SELECT", variables, rows=rows)
        shown = tuple(islice(rows, limit + 1))
        return cls("SELECT", variables, rows=shown[:limit], truncated=len(shown) > limit)

    @classmethod
    def from_triples(cls, kind: str, triples: Iterable[tuple], limit: int | None = None) -> Result:
        """A CONSTRUCT/DESCRIBE answer: distinct triples, at most ``limit`` of them shown."""
        distinct = tuple(dict(_triple_key_pairs(triples)).values())
        if limit is None or len(distinct) <= limit:
            return cls(kind, triples=distinct)
        return cls(kind, triples=distinct[:limit], truncated=True, total=len(distinct))

    @classmethod
    def ask(cls, boolean: bool) -> Result:
        return cls("ASK", boolean=bool(boolean))

    def capped(self, limit: int) -> Result:
        """This answer cut to ``limit`` rows or triples (marked ``truncated`` if anything went)."""
        if self.kind == "SELECT" and len(self.native_rows) > limit:
            cut = Result(
                "SELECT",
                self.variables,
                rows=self.native_rows[:limit],
                truncated=True,
                total=len(self.native_rows),
            )
        elif self.kind in ("CONSTRUCT", "DESCRIBE") and len(self.native_triples) > limit:
            cut = Result(
                self.kind,
                triples=self.native_triples[:limit],
                truncated=True,
                total=len(self.native_triples),
            )
        else:
            return self
        cut.warnings = self.warnings
        return cut

    # -- reading -----------------------------------------------------------------------------

    @property
    def is_graph(self) -> bool:
        return self.kind in ("CONSTRUCT", "DESCRIBE")

    @property
    def rows(self) -> tuple[tuple, ...]:
        """Solutions as tuples of rdflib terms, in ``variables`` order (None when unbound)."""
        if self._rdflib_rows is None:
            from kg.store.convert import to_rdflib

            self._rdflib_rows = tuple(tuple(to_rdflib(t) for t in row) for row in self.native_rows)
        return self._rdflib_rows

    def triples(self) -> list[tuple]:
        """The graph's triples as rdflib terms."""
        from kg.store.convert import to_rdflib

        return [tuple(to_rdflib(t) for t in triple) for triple in self.native_triples]

    def to_graph(self):
        """CONSTRUCT/DESCRIBE triples as an rdflib ``Graph`` with the project's prefixes."""
        from rdflib import Graph

        graph = Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace, override=True, replace=True)
        for triple in self.triples():
            graph.add(triple)
        return graph

    def to_dicts(self) -> list[dict[str, Any]]:
        """Rows as ``{variable: Python value}``: numbers as numbers, dates as dates, IRIs as
        strings, unbound as None (what a notebook or a DataFrame wants)."""
        return [
            {v: _python(t) for v, t in zip(self.variables, row, strict=True)} for row in self.rows
        ]

    def to_dataframe(self):
        """The rows as a pandas ``DataFrame`` (pandas is optional: ``pip install pandas``)."""
        try:
            import pandas
        except ImportError:
            raise QueryError("to_dataframe() needs pandas: pip install pandas") from None
        return pandas.DataFrame(self.to_dicts(), columns=list(self.variables))

    def __len__(self) -> int:
        if self.kind == "ASK":
            return 1
        return len(self.native_triples) if self.is_graph else len(self.native_rows)

    def __iter__(self) -> Iterator:
        if self.kind == "ASK":
            return iter((self.boolean,))
        return iter(self.triples() if self.is_graph else self.rows)

    def __bool__(self) -> bool:
        return bool(self.boolean) if self.kind == "ASK" else len(self) > 0

    def __repr__(self) -> str:
        return f"<Result {self.kind} {len(self)}{' (truncated)' if self.truncated else ''}>"

    def _repr_html_(self) -> str:  # Jupyter
        from html import escape

        if self.kind == "ASK":
            return f"<pre>{'true' if self.boolean else 'false'}</pre>"
        return f"<pre>{escape(self.serialize('table').decode())}</pre>"

    # -- writing -----------------------------------------------------------------------------

    def serialize(self, fmt: str = "table", *, spreadsheet_safe: bool = False) -> bytes:
        """The answer in ``fmt`` (see the module doc), UTF-8.

        ``spreadsheet_safe``: in CSV, a cell a spreadsheet would run as a formula gets a
        leading apostrophe, as in the CSV exports (:func:`kg.tables.spreadsheet_safe`).
        For files people open, not for the SPARQL protocol, whose clients want the values.
        """
        fmt = _canonical(fmt)
        if self.is_graph:
            fmt = _FOR_GRAPHS.get(fmt, fmt)
        if fmt not in FORMATS:
            raise QueryError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        allowed = GRAPH_FORMATS if self.is_graph else SOLUTION_FORMATS
        if fmt not in allowed:
            raise QueryError(
                f"format {fmt} does not fit a {self.kind} query; use one of {', '.join(allowed)}"
            )
        if fmt == "csv" and spreadsheet_safe:
            return _csv(self, safe=True)
        writer = _WRITERS[fmt]
        return writer(self)


def _triple_key_pairs(triples: Iterable[tuple]) -> Iterator[tuple[tuple, tuple]]:
    for triple in triples:
        yield tuple(parts(t) for t in triple), tuple(triple)


def _python(term: Any) -> Any:
    if term is None:
        return None
    if type(term).__name__ == "Literal" and isinstance(term, str):
        value = term.toPython()
        return str(value) if value is term else value
    return str(term)


def _note(result: Result) -> str:
    of = f" of {result.total}" if result.total is not None else ""
    return f"truncated: only the first {len(result)}{of} results are shown"


# -- solutions ---------------------------------------------------------------------------------


def _table(result: Result) -> bytes:
    if result.kind == "ASK":
        return b"true\n" if result.boolean else b"false\n"
    if result.is_graph:
        rows = sorted([term_text(t) for t in triple] for triple in result.native_triples)
        return format_table(("subject", "predicate", "object"), rows).encode()
    columns = list(zip(*result.native_rows, strict=False)) if result.native_rows else []
    right = [bool(col) and all(t is None or is_numeric(t) for t in col) for col in columns]
    body = ([term_text(t) for t in row] for row in result.native_rows)
    return format_table(result.variables, body, align_right=right or None).encode()


def _json_term(term: Any) -> dict[str, str]:
    p = parts(term)
    out = {"type": {"iri": "uri", "bnode": "bnode"}.get(p.kind, "literal"), "value": p.value}
    if p.language:
        out["xml:lang"] = p.language
    elif p.datatype:
        out["datatype"] = p.datatype
    return out


def _json(result: Result) -> bytes:
    data: dict[str, Any] = {
        "head": {"vars": list(result.variables)} if result.kind != "ASK" else {}
    }
    if result.warnings:
        # Before "results": SPARQL JSON readers skip keys they do not know, but pyoxigraph's
        # only where they come before the bindings.
        data["warnings"] = list(result.warnings)
    if result.kind == "ASK":
        data["boolean"] = bool(result.boolean)
    else:
        bindings = [
            {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
            for row in result.native_rows
        ]
        data["results"] = {"bindings": bindings}
    if result.truncated:
        data["truncated"] = True
        data["maxRows"] = len(result)
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def _csv_cell(term: Any, safe: bool = False) -> str:
    if term is None:
        return ""
    p = parts(term)
    text = f"_:{p.value}" if p.kind == "bnode" else p.value
    if safe:
        text = spreadsheet_safe(text)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(result: Result, safe: bool = False) -> bytes:
    if result.kind == "ASK":
        return b"true\r\n" if result.boolean else b"false\r\n"
    lines = [",".join(result.variables)]
    lines.extend(",".join(_csv_cell(t, safe) for t in row) for row in result.native_rows)
    return ("\r\n".join(lines) + "\r\n").encode()


def _tsv_cell(term: Any) -> str:
    if term is not None and is_numeric(term):
        p = parts(term)
        if p.datatype and p.datatype.endswith(("#integer", "#decimal", "#double")):
            return p.value  # the abbreviated numeric form SPARQL TSV allows
    return ntriples(term)


def _tsv(result: Result) -> bytes:
    if result.kind == "ASK":
        return b"true\n" if result.boolean else b"false\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines.extend("\t".join(_tsv_cell(t) for t in row) for row in result.native_rows)
    return ("\n".join(lines) + "\n").encode()


def _xml_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;")


def _xml_value(term: Any) -> str:
    p = parts(term)
    if p.kind == "iri":
        return f"<uri>{_xml_escape(p.value)}</uri>"
    if p.kind == "bnode":
        return f"<bnode>{_xml_escape(p.value)}</bnode>"
    if p.language:
        return f'<literal xml:lang="{p.language}">{_xml_escape(p.value)}</literal>'
    if p.datatype:
        dt = _xml_escape(p.datatype)
        return f'<literal datatype="{dt}">{_xml_escape(p.value)}</literal>'
    return f"<literal>{_xml_escape(p.value)}</literal>"


def _xml(result: Result) -> bytes:
    out = ['<?xml version="1.0"?>']
    if result.truncated:
        out.append(f"<!-- {_note(result)} -->")
    out.append('<sparql xmlns="http://www.w3.org/2005/sparql-results#">')
    if result.kind == "ASK":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>"]
        out.append("</sparql>")
        return ("\n".join(out) + "\n").encode()
    names = "".join(f'<variable name="{v}"/>' for v in result.variables)
    out += [f"<head>{names}</head>", "<results>"]
    for row in result.native_rows:
        cells = "".join(
            f'<binding name="{v}">{_xml_value(t)}</binding>'
            for v, t in zip(result.variables, row, strict=True)
            if t is not None
        )
        out.append(f"<result>{cells}</result>")
    out += ["</results>", "</sparql>"]
    return ("\n".join(out) + "\n").encode()


# -- graphs ------------------------------------------------------------------------------------


def _sorted_triples(result: Result) -> list[tuple]:
    return sorted(result.native_triples, key=lambda t: tuple(ntriples(x) for x in t))


def _nt(result: Result) -> bytes:
    lines = [f"# {_note(result)}\n"] if result.truncated else []
    lines += sorted(
        {" ".join(ntriples(t) for t in triple) + " .\n" for triple in result.native_triples}
    )
    return "".join(lines).encode()


def _ttl(result: Result) -> bytes:
    terms = TurtleTerms()
    blocks: list[str] = []
    by_subject: dict[str, dict[str, list[str]]] = {}
    for s, p, o in _sorted_triples(result):
        predicates = by_subject.setdefault(terms.term(s), {})
        verb = "a" if parts(p).value == PREFIXES["rdf"] + "type" else terms.term(p)
        predicates.setdefault(verb, []).append(terms.term(o))
    for subject, predicates in by_subject.items():
        ordered = sorted(predicates, key=lambda verb: (verb != "a", verb))
        lines = [f"    {verb} {', '.join(predicates[verb])}" for verb in ordered]
        blocks.append(f"{subject}\n" + " ;\n".join(lines) + " .\n")
    header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(terms.used.items()))
    note = f"# {_note(result)}\n" if result.truncated else ""
    return (note + header + "\n" + "\n".join(blocks)).encode()


def _jsonld(result: Result) -> bytes:
    graph = result.to_graph()
    data = graph.serialize(format="json-ld", context=dict(PREFIXES), encoding="utf-8", indent=2)
    # Re-dump with sorted keys: rdflib's node order follows its store, not the data.
    document = json.loads(data)
    nodes = document.get("@graph")
    if isinstance(nodes, list):
        nodes.sort(key=lambda node: json.dumps(node, sort_keys=True, ensure_ascii=False))
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _rdfxml(result: Result) -> bytes:
    data = result.to_graph().serialize(format="xml", encoding="utf-8")
    if result.truncated and data.startswith(b"<?xml"):
        end = data.index(b"?>") + 2
        return data[:end] + f"\n<!-- {_note(result)} -->".encode() + data[end:]
    return data


_WRITERS = {
    "table": _table,
    "csv": _csv,
    "tsv": _tsv,
    "json": _json,
    "xml": _xml,
    "ttl": _ttl,
    "nt": _nt,
    "jsonld": _jsonld,
    "rdfxml": _rdfxml,
}
