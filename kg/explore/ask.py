"""The named competency questions: SPARQL files in ``kg/queries/`` that ``kg ask`` runs by name.

A file ``cq01-foundation-members.rq`` is the question ``cq01-foundation-members``. It starts with
comment lines::

    # title: Members of a foundation
    # description: Which organisations are members of a foundation, with tier and join date?
    # param: foundation = kg:pytorch-foundation

and, for each ``param``, a ``VALUES ?foundation { kg:pytorch-foundation }`` clause whose body a
``--param foundation=…`` value replaces. A value is written as SPARQL (``kg:linux-foundation``,
``<https://…>``, ``"2023"^^xsd:gYear``) or plainly, in which case it takes the form of the
default: a bare word or a name (``linux-foundation``, ``Linux Foundation``, ``华为``) becomes the
entity it names when the default is an IRI; ``2023`` becomes ``"2023"^^xsd:gYear`` when the
default is a year. A value must have the default's type: a year (``"2022"^^xsd:gYear``) takes
only a year, a number only a number, a date only a real date, an entity only an entity; anything
else is a one-line :class:`~kg.errors.InputError` naming the parameter and the type. Giving a
parameter twice supplies several values.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError, UnknownTermError

__all__ = [
    "NamedQuery",
    "Param",
    "bind",
    "catalog_json",
    "default_queries_dir",
    "find_query",
    "list_queries",
    "parse_param_options",
    "render_catalog",
]

_HEADER = re.compile(r"^#\s*(title|description|param)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_PARAM = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(.+)$")
_IRI = re.compile(r'^<[^<>"{}|^`\\\s]*>$')
_CURIE = re.compile(r"^([A-Za-z][\w\-]*)?:[\w\-]*(?:\.[\w\-]+)*$")
_LITERAL = re.compile(
    r'^"(?:[^"\\\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<[^<>\s]*>|[A-Za-z][\w\-]*:\w*))?$'
)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Param:
    name: str
    default: str  # as written in the file: a SPARQL term


@dataclass(frozen=True)
class NamedQuery:
    id: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str
    path: Path

    @property
    def summary(self) -> str:
        """One line: the description, else the title."""
        return self.description or self.title


def default_queries_dir() -> Path:
    """The queries shipped with the package (``kg/queries/``)."""
    return Path(__file__).resolve().parents[1] / "queries"


def _read(path: Path) -> NamedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read named query: {exc}") from None
    fields: dict[str, str] = {}
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break  # the header ends at the first line of SPARQL
        match = _HEADER.match(stripped)
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2)
        if key == "param":
            param = _PARAM.match(value)
            if not param:
                raise InputError(f"{path}:{number}: expected '# param: name = default'")
            params.append(Param(param.group(1), param.group(2).strip()))
        else:
            fields.setdefault(key, value)
    return NamedQuery(
        id=path.stem,
        title=fields.get("title", path.stem),
        description=fields.get("description", ""),
        params=tuple(params),
        text=text,
        path=path,
    )


def list_queries(queries_dir: Path | None = None) -> tuple[NamedQuery, ...]:
    """Every ``*.rq`` file of ``queries_dir`` (default: the package's), sorted by id."""
    directory = Path(queries_dir) if queries_dir else default_queries_dir()
    if not directory.is_dir():
        raise InputError(f"{directory}: no such queries directory")
    return tuple(_read(path) for path in sorted(directory.glob("*.rq")))


def _short(query_id: str) -> str:
    """``foundation-members`` for ``cq01-foundation-members``."""
    return re.sub(r"^cq\d+-", "", query_id)


def find_query(name: str, queries_dir: Path | None = None) -> NamedQuery:
    """The query called ``name``: its id, a unique id prefix (``cq01``) or its id without the
    ``cqNN-`` number (``foundation-members``), case-insensitively."""
    queries = list_queries(queries_dir)
    wanted = name.strip().lower().removesuffix(".rq")
    for query in queries:
        if query.id.lower() == wanted or _short(query.id).lower() == wanted:
            return query
    prefixed = [q for q in queries if q.id.lower().startswith(wanted)] if wanted else []
    if len(prefixed) == 1:
        return prefixed[0]
    if not queries:
        directory = queries_dir or default_queries_dir()
        raise InputError(f"no competency questions (*.rq) in {directory}")
    ids = [q.id for q in queries]
    close = [q.id for q in prefixed] or difflib.get_close_matches(wanted, ids, n=5, cutoff=0.4)
    if not close:
        shorts = {_short(i): i for i in ids}
        close = [shorts[s] for s in difflib.get_close_matches(wanted, list(shorts), 5, 0.4)]
    raise UnknownTermError("competency question", name, close)


def parse_param_options(options: Iterable[str]) -> list[tuple[str, str]]:
    """``["year=2023", "market=kg:x"]`` as pairs; a malformed one is an :class:`InputError`."""
    pairs = []
    for option in options:
        name, equals, value = option.partition("=")
        if not equals or not name.strip():
            raise InputError(f"--param {option!r}: expected NAME=VALUE")
        pairs.append((name.strip(), value.strip()))
    return pairs


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


_XSD = "http://www.w3.org/2001/XMLSchema#"
_TZ = r"(?:Z|[+-]\d\d:\d\d)?"
#: Datatypes a parameter's default may have: (what a value must look like, how to say so).
_DATATYPES = {
    "gYear": (re.compile(rf"-?\d{{4,}}{_TZ}"), "a year (xsd:gYear), like 2022"),
    "gYearMonth": (
        re.compile(rf"-?\d{{4,}}-(0[1-9]|1[0-2]){_TZ}"),
        "a month (xsd:gYearMonth), like 2022-06",
    ),
    "date": (re.compile(rf"-?\d{{4,}}-\d\d-\d\d{_TZ}"), "a date (xsd:date), like 2023-10-17"),
    "dateTime": (
        re.compile(rf"-?\d{{4,}}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?{_TZ}"),
        "a date and time (xsd:dateTime), like 2023-10-17T09:00:00",
    ),
    "integer": (re.compile(r"[+-]?\d+"), "a whole number (xsd:integer), like 3"),
    "decimal": (re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"), "a number (xsd:decimal), like 1.5"),
    "double": (
        re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN"),
        "a number (xsd:double), like 1.5e3",
    ),
    "boolean": (re.compile(r"true|false|1|0"), "true or false (xsd:boolean)"),
}
_DATATYPES["float"] = _DATATYPES["double"]
_ENTITY = "an entity (a kg: id, a name, a CURIE or an <IRI>)"


def _datatype(literal: str) -> str | None:
    """The datatype IRI of a SPARQL literal (``"2022"^^xsd:gYear``); None if it has none."""
    if "^^" not in literal[literal.rindex('"') :]:
        return None
    written = literal[literal.rindex("^^") + 2 :]
    if written.startswith("<"):
        return written[1:-1]
    from kg.sparql.terms import PREFIXES

    prefix, _, local = written.partition(":")
    return PREFIXES.get(prefix, prefix + ":") + local


def _number_type(number: str) -> str:
    if re.fullmatch(r"[+-]?\d+", number):
        return "integer"
    return "double" if "e" in number.lower() else "decimal"


def _check_lexical(where: str, datatype: str | None, lexical: str) -> None:
    """An :class:`InputError` unless ``lexical`` is a valid value of ``datatype`` (when kg
    knows that datatype; other literals are taken as they are)."""
    if datatype is None or not datatype.startswith(_XSD):
        return
    known = _DATATYPES.get(datatype[len(_XSD) :])
    if known is None:
        return
    pattern, description = known
    valid = pattern.fullmatch(lexical) is not None
    if valid and datatype.endswith(("#date", "#dateTime")):
        import datetime

        try:
            datetime.date.fromisoformat(lexical.lstrip("-")[:10])
        except ValueError:
            valid = False
    if not valid:
        raise InputError(f"{where}: expected {description}")


def _unquote(literal: str) -> str:
    return literal[1 : literal.rindex('"')].replace('\\"', '"').replace("\\\\", "\\")


def _term(query: NamedQuery, param: Param, value: str, graph) -> str:
    """``value`` as a SPARQL term shaped like ``param.default`` (see the module doc), checked
    against the default's type: an entity for an IRI, a year for a year, and so on."""
    where = f"{query.id}: --param {param.name}={value}"
    if not value:
        raise InputError(f"{where}: empty value")
    default = param.default
    literal = _LITERAL.match(default)
    if _NUMBER.match(default) or literal:
        number = _NUMBER.match(default)
        datatype = _XSD + _number_type(default) if number else _datatype(default)
        description = _DATATYPES.get((datatype or "")[len(_XSD) :], (None, "a literal"))[1]
        if _IRI.match(value) or (_CURIE.match(value) and ":" in value and not _NUMBER.match(value)):
            raise InputError(f"{where}: expected {description}, not an entity")
        if _LITERAL.match(value):
            _check_lexical(where, _datatype(value), _unquote(value))
            return value
        if number:
            if not _NUMBER.match(value):
                raise InputError(f"{where}: expected a number like {default}")
            return value
        _check_lexical(where, datatype, value)
        suffix = default[default.rindex('"') + 1 :]
        return _quote(value) + suffix
    # The default is an entity.
    if _LITERAL.match(value):
        raise InputError(f"{where}: expected {_ENTITY}, not a literal")
    if _IRI.match(value):
        return value
    if _CURIE.match(value) and ":" in value:
        from kg.sparql.terms import PREFIXES

        prefix = value.split(":", 1)[0]
        if prefix not in PREFIXES:
            raise InputError(f"{where}: unknown prefix {prefix}:")
        if graph is None:
            return value
    if graph is None:
        if re.match(r"^[a-z0-9][a-z0-9.\-]*$", value):
            return f"kg:{value}"
        raise InputError(f"{where}: expected {_ENTITY}")
    from kg.explore.search import resolve
    from kg.sparql.terms import curie

    return curie(resolve(graph, value, kind=f"value for {param.name}"))


def bind(query: NamedQuery, values: Sequence[tuple[str, str]] = (), graph=None) -> str:
    """The query's SPARQL with each given parameter's ``VALUES`` body replaced.

    With ``graph`` (a store from :func:`kg.store.open_graph`, or an rdflib graph), plain names
    are resolved to the entities they name (and an unknown one is an :class:`UnknownTermError`
    listing the closest); without it, only ids are accepted.
    """
    params = {p.name: p for p in query.params}
    chosen: dict[str, list[str]] = {}
    for name, value in values:
        if name not in params:
            known = ", ".join(params) or "none"
            raise InputError(f"{query.id} has no parameter {name!r} (parameters: {known})")
        chosen.setdefault(name, []).append(_term(query, params[name], value, graph))
    text = query.text
    for name, terms in chosen.items():
        pattern = re.compile(rf"(VALUES\s+[?$]{name}\s*\{{)[^}}]*(\}})", re.IGNORECASE)
        if not pattern.search(text):
            raise InputError(f"{query.path}: param {name} has no 'VALUES ?{name} {{ … }}' clause")
        body = " " + " ".join(terms) + " "
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    return text


def catalog_json(queries: Iterable[NamedQuery]) -> list[dict]:
    """The questions as JSON-ready dicts: id, title, description, parameters and file."""
    return [
        {
            "id": q.id,
            "title": q.title,
            "description": q.description,
            "params": {p.name: p.default for p in q.params},
            "path": str(q.path),
        }
        for q in queries
    ]


def render_catalog(queries: Sequence[NamedQuery]) -> str:
    """The questions as ``kg ask`` lists them: id and title, description, ``--param`` lines."""
    from kg.tables import display_width

    width = max((display_width(q.id) for q in queries), default=0)
    lines = []
    for q in queries:
        lines.append(f"{q.id}{' ' * (width - display_width(q.id))}  {q.title}")
        if q.description and q.description != q.title:
            lines.append(f"{' ' * (width + 2)}{q.description}")
        lines.extend(f"{' ' * (width + 2)}--param {p.name}={p.default}" for p in q.params)
    return "".join(line + "\n" for line in lines)
