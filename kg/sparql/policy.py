"""What a query may do, decided once for every engine, the CLI and the endpoint alike.

:func:`check_query` is the only gate: both engines evaluate the text it returns, never the text
the user sent, so the check and the engine cannot read the query differently. Line ends are
normalised first (SPARQL ends a ``#`` comment at CR as well as LF; a checker that only knew LF
would take ``#\\rSERVICE <…>`` for a comment that the engine then runs). Refused:

* an UPDATE (INSERT, DELETE, LOAD, CLEAR…): :class:`~kg.errors.UpdateRefused`, HTTP 403;
* ``SERVICE`` anywhere, and ``FROM`` / ``FROM NAMED`` (unless the SPARQL protocol request
  names the dataset itself): they would make an engine fetch from the network;
* an empty query (only whitespace, comments or a prologue) and one nested deeper than
  :data:`MAX_DEPTH` brackets, which parsers answer with a stack overflow.

Relative IRIs resolve against :data:`QUERY_BASE` (``<huawei>`` is ``kg:huawei``) on every
engine, and the project prefixes (:data:`kg.sparql.terms.PREFIXES`) are pre-declared.
``SELECT *`` lists its columns in the order the variables first appear in the query text, on
every engine (:func:`column_order`). Engine errors become ``source:line:col: message``
through :func:`engine_error`.

>>> check_query("SELECT * WHERE { ?s ?p ?o }").kind
'SELECT'
>>> check_query("SELECT * WHERE { #\\rSERVICE <http://example.org/> { ?s ?p ?o } }")
Traceback (most recent call last):
...
kg.errors.QueryError: query:2:1: SERVICE is not supported: kg never fetches from the network
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kg.errors import QueryError, UpdateRefused
from kg.sparql.terms import PREFIXES

__all__ = [
    "FORMS",
    "MAX_DEPTH",
    "QUERY_BASE",
    "CheckedQuery",
    "check_query",
    "column_order",
    "engine_error",
    "line_col",
    "normalise",
    "tokens",
]

#: Relative IRIs in a query resolve against the project's entity namespace.
QUERY_BASE = PREFIXES["kg"]
#: Brackets (``{``, ``(``, ``[``) a query may nest; past this the parsers overflow their stack.
MAX_DEPTH = 128
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}
_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                   |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
      | (?P<word>[A-Za-z_][\w\-.]*(?::[\w\-.%]*)?|:[\w\-.%]*)
      | (?P<open>[{(\[])
      | (?P<close>[})\]])
      | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed the policy. ``text`` is what every engine must evaluate."""

    text: str
    source: str
    kind: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    has_dataset: bool = False  # FROM / FROM NAMED, allowed only when the protocol replaces it
    #: For ``SELECT *``: variables in order of first appearance, the columns' documented order.
    star_order: tuple[str, ...] = ()


def normalise(text: str) -> str:
    """CR LF and lone CR as LF: what SPARQL's grammar treats as a line end, made explicit."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def tokens(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    """``(kind, match)`` for each token of ``text`` (kinds: comment, string, iri, var, word,
    open, close, other): the one reading of a query's text that every check shares."""
    for match in _TOKEN.finditer(text):
        yield match.lastgroup, match


def check_query(
    text: str, *, source: str = "query", protocol_dataset: bool = False
) -> CheckedQuery:
    """The query as every engine must run it, or :class:`QueryError` / :class:`UpdateRefused`.

    ``protocol_dataset``: the request names its dataset (``default-graph-uri``…), which then
    replaces the query's own FROM clauses (SPARQL 1.1 Protocol 2.1.4), so FROM is allowed.
    """
    text = normalise(text)
    kind = update = None
    dataset: tuple[int, int] | None = None
    prologue = True  # PREFIX and BASE declarations, before the query or update proper
    first = 0  # where the query proper starts
    depth = 0
    star = False
    previous = ""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        if group == "comment":
            continue
        token = match.group()
        word = token.upper() if group == "word" else ""
        if prologue:
            if word in ("PREFIX", "BASE") or word.endswith(":") or group == "iri":
                continue
            prologue = False
            first = match.start()
            if word in _UPDATE_WORDS:
                update = word
        if group == "var":
            seen.setdefault(token[1:], None)
        elif group == "other" and token == "*" and previous in ("SELECT", "DISTINCT", "REDUCED"):
            star = star or kind == "SELECT"
        previous = word or token
        if group == "open":
            depth += 1
            if depth > MAX_DEPTH:
                line, col = line_col(text, match.start())
                raise QueryError(
                    f"{source}:{line}:{col}: the query nests brackets more than {MAX_DEPTH} "
                    "deep; write it flatter"
                )
        elif group == "close":
            depth -= 1
        elif word == "SERVICE":
            line, col = line_col(text, match.start())
            raise QueryError(
                f"{source}:{line}:{col}: SERVICE is not supported: kg never fetches from the "
                "network"
            )
        elif word in FORMS and kind is None:
            kind = word
        elif word == "FROM" and dataset is None:
            dataset = line_col(text, match.start())
    if update:
        raise UpdateRefused(
            f"{source}: {update} is a SPARQL UPDATE; the graph is read-only here "
            "(edit facts/*.ttl to change it)"
        )
    if kind is None:
        if prologue:
            raise QueryError(
                f"{source}: the query is empty (no SELECT, ASK, CONSTRUCT or DESCRIBE)"
            )
        line, col = line_col(text, first)
        raise QueryError(
            f"{source}:{line}:{col}: syntax error: a query starts with SELECT, ASK, CONSTRUCT or "
            "DESCRIBE (after any PREFIX and BASE lines)"
        )
    if dataset and not protocol_dataset:
        line, col = dataset
        raise QueryError(
            f"{source}:{line}:{col}: FROM / FROM NAMED is not supported: queries run over the "
            "project graph"
        )
    return CheckedQuery(
        text=text,
        source=source,
        kind=kind,
        has_dataset=dataset is not None,
        star_order=tuple(seen) if star else (),
    )


def column_order(checked: CheckedQuery, names: list[str]) -> list[int]:
    """Indexes into an engine's ``names`` giving the columns in the project's order.

    ``SELECT *`` lists variables in the order they first appear in the query, on every engine
    and every run (engines are free to pick any order, and rdflib's changes between runs); an
    explicit projection keeps its own order.
    """
    if not checked.star_order:
        return list(range(len(names)))
    rank = {name: i for i, name in enumerate(checked.star_order)}
    return sorted(range(len(names)), key=lambda i: (rank.get(names[i], len(rank)), names[i]))


def engine_error(exc: BaseException, checked: CheckedQuery) -> QueryError:
    """An engine's parse or evaluation error as ``source:line:col: message``."""
    source, text = checked.source, checked.text
    message = " ".join(str(exc).split())
    lineno, col = getattr(exc, "lineno", None), getattr(exc, "col", None)
    if lineno is not None and col is not None and hasattr(exc, "msg"):  # pyparsing (rdflib)
        found = getattr(exc, "found", "")
        detail = f"{exc.msg}, found {found}" if found else exc.msg
        return QueryError(f"{source}:{lineno}:{col}: syntax error: {detail}")
    if "Unknown namespace prefix" in message:  # rdflib names the prefix but not where
        prefix = re.search(r"Unknown namespace prefix\s*:\s*(\S+)", message).group(1)
        use = re.search(rf"(?<![\w<\"'?$]){re.escape(prefix)}:", text)
        return _unknown_prefix(source, prefix, line_col(text, use.start()) if use else None)
    match = re.match(r"error at (\d+):(\d+): (.*)", message, re.S)  # pyoxigraph
    if not match:
        return QueryError(f"{source}: query failed: {message}")
    line, col, detail = int(match.group(1)), int(match.group(2)), match.group(3)
    if "Prefix not found" in detail:
        # pyoxigraph points just past the prefixed name; find the name and where it starts.
        lines = text.splitlines()
        before = lines[line - 1][: col - 1] if line <= len(lines) else ""
        name = re.search(r"(?<![\w?$:])([A-Za-z][\w.\-]*)?:[\w.\-%]*\s*$", before)
        prefix = (name.group(1) or "") if name else "?"
        return _unknown_prefix(source, prefix, (line, name.start() + 1 if name else col))
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return QueryError(f"{source}:{line}:{col}: syntax error: {detail}")


def _unknown_prefix(source: str, prefix: str, where: tuple[int, int] | None) -> QueryError:
    known = ", ".join(f"{p}:" for p in PREFIXES)
    hint = f"unknown prefix {prefix}: (declare it with PREFIX, or use one of {known})"
    if where is None:
        return QueryError(f"{source}: {hint}")
    return QueryError(f"{source}:{where[0]}:{where[1]}: {hint}")
