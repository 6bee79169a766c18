"""Warnings for queries that would run but answer wrongly: a misspelt term, a lost language tag.

A SPARQL engine answers ``?c aichip:desingedBy ?m`` or ``kg:huawai`` with an empty result, as
if the graph had nothing to say. Before a query runs, its ``kg:`` and ``aichip:`` terms
(prefixed names, full IRIs and relative IRIs, which resolve into ``kg:``) are checked against
the terms the graph holds, with a did-you-mean from the graph's labelled entities and declared
ontology terms. Strings, comments and IRIs of other namespaces are never read as terms, and a
``PREFIX`` declaration is honoured (a query that binds ``kg:`` elsewhere is not checked).

On pyoxigraph, which lower-cases language tags, ``lang(?x) = "zh-Hans"`` is never true; the
warning suggests ``langMatches``, which compares tags case-insensitively on every engine.

:func:`vocabulary_warnings` is pure (the query text and the known terms in, warnings out).
:class:`TermChecker` asks an engine, through a callback, which of a query's terms it holds
(one small query per query, answered from the indexes) and, only when one is missing, for
the names to suggest (one query, cached for the life of the checker: one per store).

>>> known = {PREFIXES["aichip"] + "designedBy", PREFIXES["kg"] + "huawei"}
>>> vocabulary_warnings("SELECT * { ?c aichip:desingedBy kg:huawei }", known)
('aichip:desingedBy is not a term of the ontology; did you mean aichip:designedBy? (query:1:15)',)
>>> vocabulary_warnings('SELECT * { ?c rdfs:comment "aichip:desingedBy" }  # kg:huawai', known)
()
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from kg.sparql.policy import QUERY_BASE, CheckedQuery, line_col, normalise, tokens
from kg.sparql.terms import PREFIXES

__all__ = [
    "closest_names",
    "closest_ontology_terms",
    "ENTITY_NAMESPACE",
    "ONTOLOGY_NAMESPACE",
    "SUGGESTIONS_QUERY",
    "TermChecker",
    "TermUse",
    "presence_query",
    "term_uses",
    "vocabulary_warnings",
]

ENTITY_NAMESPACE = PREFIXES["kg"]
ONTOLOGY_NAMESPACE = PREFIXES["aichip"]
_WHAT = {
    ENTITY_NAMESPACE: "is not an entity of the graph",
    ONTOLOGY_NAMESPACE: "is not a term of the ontology",
}
_IN_NAMESPACES = (
    f'FILTER(isIRI(?t) && (STRSTARTS(STR(?t), "{ENTITY_NAMESPACE}") '
    f'|| STRSTARTS(STR(?t), "{ONTOLOGY_NAMESPACE}")))'
)
#: What a misspelt term may have meant: labelled entities and declared ontology terms. Every
#: pattern is answered from an index, so this stays cheap on a large store.
SUGGESTIONS_QUERY = f"""SELECT DISTINCT ?t WHERE {{
  {{ ?t rdfs:label ?label }}
  UNION {{
    VALUES ?class {{ owl:Class rdfs:Class rdf:Property owl:ObjectProperty owl:DatatypeProperty
                    owl:AnnotationProperty owl:NamedIndividual }}
    ?t a ?class
  }}
  {_IN_NAMESPACES}
}}"""
_SUGGESTIONS = 3


@dataclass(frozen=True)
class TermUse:
    """A ``kg:`` or ``aichip:`` term in a query: its IRI, as written, and where."""

    iri: str
    written: str
    prefix: str | None  # the prefix it was written with; None for an <IRI>
    offset: int

    @property
    def namespace(self) -> str:
        return ENTITY_NAMESPACE if self.iri.startswith(ENTITY_NAMESPACE) else ONTOLOGY_NAMESPACE

    @property
    def local(self) -> str:
        return self.iri[len(self.namespace) :]


def term_uses(text: str) -> tuple[TermUse, ...]:
    """The ``kg:`` and ``aichip:`` terms of a query, in order (repeats included)."""
    text = normalise(text)
    prefixes = dict(PREFIXES)
    base = QUERY_BASE
    uses: list[TermUse] = []
    previous: list[str] = ["", ""]  # the last two significant tokens
    for kind, match in tokens(text):
        if kind == "comment":
            continue
        token = match.group()
        iri = prefix = None
        if kind == "iri":
            if previous[-1].upper() == "BASE":
                base = urljoin(base, token[1:-1])
            elif previous[-2].upper() == "PREFIX" and previous[-1].endswith(":"):
                prefixes[previous[-1][:-1]] = urljoin(base, token[1:-1])
            else:
                iri = urljoin(base, token[1:-1])
        elif kind == "word" and ":" in token and previous[-1].upper() != "PREFIX":
            name = token.rstrip(".")  # a local name never ends with "."; a triple's end does
            prefix, _, local = name.partition(":")
            if local and prefix in prefixes:
                iri = prefixes[prefix] + local
                token = name
        namespaces = (ENTITY_NAMESPACE, ONTOLOGY_NAMESPACE)
        if iri is not None and iri.startswith(namespaces) and iri not in namespaces:
            uses.append(TermUse(iri, token, prefix, match.start()))
        previous = [previous[-1], match.group()]
    return tuple(uses)


def vocabulary_warnings(
    text: str,
    known: Collection[str],
    *,
    source: str = "query",
    lowercases_tags: bool = False,
) -> tuple[str, ...]:
    """One line per problem of ``text``, given the IRIs the graph holds (``known``, which also
    supplies the did-you-means): unknown ``kg:``/``aichip:`` terms (each once, where first
    used) and, when the engine ``lowercases_tags``, ``lang(…) = "Mixed-Case"`` comparisons."""
    text = normalise(text)
    warnings: list[tuple[int, str]] = []
    seen: set[str] = set()
    locals_by_namespace: dict[str, list[str]] | None = None
    for use in term_uses(text):
        if use.iri in known or use.iri in seen:
            continue
        seen.add(use.iri)
        if locals_by_namespace is None:
            locals_by_namespace = _locals(known)
        message = f"{use.written} {_WHAT[use.namespace]}"
        close = closest_names(use.local, locals_by_namespace.get(use.namespace, []))
        if close:
            names = " or ".join(_written_like(use, name) for name in close)
            message += f"; did you mean {names}?"
        elif use.namespace == ENTITY_NAMESPACE:
            message += " (`kg search NAME` finds entities by any of their names)"
        warnings.append((use.offset, message))
    if lowercases_tags:
        warnings.extend(_lang_comparisons(text))
    out = []
    for offset, message in sorted(warnings):
        line, col = line_col(text, offset)
        out.append(f"{message} ({source}:{line}:{col})")
    return tuple(out)


def _locals(known: Iterable[str]) -> dict[str, list[str]]:
    by_namespace: dict[str, list[str]] = {ENTITY_NAMESPACE: [], ONTOLOGY_NAMESPACE: []}
    for iri in sorted(known):  # sorted: the same suggestions on every engine and run
        for namespace, names in by_namespace.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                names.append(iri[len(namespace) :])
    return by_namespace


def closest_names(local: str, names: list[str]) -> list[str]:
    """The known local names nearest to ``local``, case aside (``company`` finds Company)."""
    lowered: dict[str, str] = {}
    for name in names:
        lowered.setdefault(name.lower(), name)
    matches = difflib.get_close_matches(local.lower(), lowered, n=_SUGGESTIONS, cutoff=0.75)
    return [lowered[m] for m in matches]


def closest_ontology_terms(iri: str) -> list[str]:
    """The ontology's terms nearest to a misspelt ``aichip:`` IRI, as CURIEs
    (``aichip:desingedBy`` finds aichip:designedBy); [] for an IRI outside the ontology."""
    from kg.ns import AICHIP

    namespace = PREFIXES["aichip"]
    if not iri.startswith(namespace):
        return []
    return [
        f"aichip:{n}" for n in closest_names(iri[len(namespace) :], sorted(AICHIP.__annotations__))
    ]


def _written_like(use: TermUse, local: str) -> str:
    if use.prefix is not None:
        return f"{use.prefix}:{local}"
    if ":" not in use.written and use.namespace == QUERY_BASE:  # relative, as it was written
        return f"<{local}>"
    return f"<{use.namespace}{local}>"


def _lang_comparisons(text: str) -> list[tuple[int, str]]:
    """``lang(X) = "Tag"`` and ``"Tag" = lang(X)`` with an upper-case letter in the tag."""
    found: list[tuple[int, str]] = []
    significant = [(kind, m) for kind, m in tokens(text) if kind != "comment"]
    for i, (kind, match) in enumerate(significant):
        if kind != "word" or match.group().upper() != "LANG":
            continue
        end = _closing(significant, i + 1)
        if end is None:
            continue
        call = text[match.start() : significant[end][1].end()]
        after = [m.group() for _, m in significant[end + 1 : end + 3]]
        before = [m.group() for _, m in significant[max(0, i - 2) : i]]
        if len(after) == 2 and after[0] == "=" and significant[end + 2][0] == "string":
            tag, where = after[1], match.start()
        elif len(before) == 2 and before[1] == "=" and significant[i - 2][0] == "string":
            tag, where = before[0], significant[i - 2][1].start()
        else:
            continue
        value = tag.strip("'\"")
        if value != value.lower():
            found.append(
                (
                    where,
                    f"{call} = {tag} is never true on pyoxigraph, which lower-cases language "
                    f"tags; use langMatches({call}, {tag})",
                )
            )
    return found


def _closing(significant: list, start: int) -> int | None:
    """Index of the bracket closing the one opened at ``significant[start]``."""
    if start >= len(significant) or significant[start][1].group() != "(":
        return None
    depth = 0
    for j in range(start, len(significant)):
        kind = significant[j][0]
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                return j
    return None


def presence_query(iris: Iterable[str], *, named_graphs: bool = False) -> str:
    """A SELECT of those ``iris`` that occur in the graph (in any position; with
    ``named_graphs`` also in the named graphs ``GRAPH`` reaches)."""
    values = " ".join(f"<{iri}>" for iri in sorted(set(iris)))
    anywhere = "{ ?t ?p ?o } UNION { ?s ?t ?o } UNION { ?s ?p ?t }"
    if named_graphs:
        anywhere += f" UNION {{ GRAPH ?g {{ {anywhere} }} }}"
    return f"SELECT ?t WHERE {{ VALUES ?t {{ {values} }} FILTER EXISTS {{ {anywhere} }} }}"


class TermChecker:
    """:func:`vocabulary_warnings` against one engine. ``run`` answers a SELECT over the
    engine's data with a :class:`~kg.sparql.results.Result`; suggestions are asked for once."""

    def __init__(
        self,
        run: Callable[[str], object],
        *,
        named_graphs: bool = False,
        lowercases_tags: bool = False,
    ) -> None:
        self._run = run
        self._named_graphs = named_graphs
        self._lowercases_tags = lowercases_tags
        self._suggestions: frozenset[str] | None = None

    def _iris(self, query: str) -> set[str]:
        from kg.sparql.terms import parts

        result = self._run(query)
        return {parts(row[0]).value for row in result.native_rows if row[0] is not None}

    def warnings(self, checked: CheckedQuery) -> tuple[str, ...]:
        """The warnings for a query the policy passed."""
        iris = {use.iri for use in term_uses(checked.text)}
        known = self._iris(presence_query(iris, named_graphs=self._named_graphs)) if iris else set()
        if iris - known:
            if self._suggestions is None:
                self._suggestions = frozenset(self._iris(SUGGESTIONS_QUERY))
            known |= self._suggestions
        return vocabulary_warnings(
            checked.text, known, source=checked.source, lowercases_tags=self._lowercases_tags
        )
