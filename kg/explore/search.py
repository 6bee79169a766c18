"""Find entities by any of their names, in any script, and resolve what a user typed to an IRI.

Every name of an entity (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``,
``skos:hiddenLabel``, a source's ``dcterms:title`` and the slug of its IRI) is compared in a
*normal form*: Unicode NFKC, case-folded, converted from traditional to simplified Chinese with
OpenCC's ``t2s`` tables (so 華為 and 华为 are one name, and 昇騰 is 昇腾), with spaces and
punctuation removed (so "Ascend 910B", "ascend-910b" and "ascend910b" agree). Alternative
spellings that are different characters, such as 升腾 for 昇腾, are found because the facts list
them as ``skos:altLabel``; no hand-made character table is involved.

Ranking: an exact name beats a name that starts with the text, which beats a name containing
it; ties go to the shorter name. When nothing matches, near misses (difflib similarity over the
same normal forms) are offered as "did you mean".
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDFS, SKOS

from kg.errors import InputError, UnknownTermError
from kg.facts.load import PREFIXES
from kg.ns import AICHIP, KG
from kg.sparql.terms import curie

__all__ = [
    "NAME_PROPERTIES",
    "Match",
    "SearchResult",
    "best_label",
    "entity_names",
    "normalize",
    "resolve",
    "search",
]

RDFS_LABEL = RDFS.label
#: Properties whose values are names of the subject, best first.
NAME_PROPERTIES = (RDFS_LABEL, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, DCTERMS.title)
_PRIMARY = {RDFS_LABEL, SKOS.prefLabel}
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
_LANGUAGE_ORDER = {"en": 0, "zh-hans": 1, "zh-hant": 2, "zh": 3}

EXACT, PREFIX, SUBSTRING = 100, 80, 60


@dataclass(frozen=True)
class Match:
    """One entity found: how it is called, what it is, and which of its names matched."""

    iri: str
    curie: str
    label: str  # the English label when there is one
    types: tuple[str, ...]
    matched: str  # the name (label, alternative name or slug) that matched
    score: int


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]
    suggestions: tuple[Match, ...]  # near misses, only when nothing matched


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC  # pure Python tables; loaded once, on first non-ASCII name

    return OpenCC("t2s")


def normalize(text: str) -> str:
    """The normal form names are compared in (see the module doc)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _converter().convert(text)
    return _SEPARATORS.sub("", text)


def _curie(iri: URIRef) -> str:
    return curie(iri)


def _claims(graph: Graph) -> set[URIRef]:
    """Statement and observation nodes: they carry claims, they are not things to look up."""
    classes = set(graph.transitive_subjects(RDFS.subClassOf, AICHIP.Claim))
    return {node for cls in classes for node in graph.subjects(RDF.type, cls)}


#: Vocabulary namespaces and kinds of term: labelled classes, properties and ontologies are
#: not entities.
_TERM_CLASSES = (
    OWL.Ontology,
    OWL.Class,
    RDFS.Class,
    RDF.Property,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
)
_VOCABULARIES = tuple(ns for prefix, ns in PREFIXES.items() if prefix != "kg")


def entity_names(graph: Graph) -> dict[URIRef, list[tuple[str, bool]]]:
    """Every entity with its names as ``(text, is_primary_label)``: ``kg:`` entities (slug
    included) and any other labelled IRI outside the vocabularies, such as what ``kg load``
    brought from another dataset."""
    names: dict[URIRef, list[tuple[str, bool]]] = defaultdict(list)
    for prop in NAME_PROPERTIES:
        for subject, value in graph.subject_objects(prop):
            if isinstance(subject, URIRef) and not str(subject).startswith(_VOCABULARIES):
                names[subject].append((str(value), prop in _PRIMARY))
    for subject in set(graph.subjects(RDF.type, None)):
        if isinstance(subject, URIRef) and str(subject).startswith(str(KG)):
            names[subject].append((str(subject)[len(str(KG)) :], False))
    claims = _claims(graph)
    terms = {s for cls in _TERM_CLASSES for s in graph.subjects(RDF.type, cls)}
    return {
        s: v
        for s, v in names.items()
        if s not in claims and (str(s).startswith(str(KG)) or s not in terms)
    }


def best_label(graph: Graph, iri: URIRef) -> str:
    """The English ``rdfs:label`` (else any label, else the CURIE) of ``iri``."""
    labels = [v for v in graph.objects(iri, RDFS_LABEL) if isinstance(v, Literal)]
    labels += [v for v in graph.objects(iri, SKOS.prefLabel) if isinstance(v, Literal)]
    if not labels:
        return _curie(iri)
    labels.sort(key=lambda v: (_LANGUAGE_ORDER.get((v.language or "").lower(), 5), str(v)))
    return str(labels[0])


def _types(graph: Graph, iri: URIRef) -> tuple[str, ...]:
    return tuple(sorted(_curie(t) for t in graph.objects(iri, RDF.type) if isinstance(t, URIRef)))


def _score(query: str, name: str) -> int:
    if name == query:
        return EXACT
    if name.startswith(query):
        return PREFIX
    if query in name:
        return SUBSTRING
    return 0


def _match(graph: Graph, iri: URIRef, matched: str, score: int) -> Match:
    return Match(
        iri=str(iri),
        curie=_curie(iri),
        label=best_label(graph, iri),
        types=_types(graph, iri),
        matched=matched,
        score=score,
    )


def _query_form(text: str) -> str:
    text = text.strip()
    if text.startswith("kg:"):
        text = text[3:]
    elif text.startswith(str(KG)):
        text = text[len(str(KG)) :]
    return normalize(text)


def search(graph: Graph, text: str, *, limit: int | None = 20, suggest: int = 5) -> SearchResult:
    """Entities whose names match ``text`` (see the module doc for the rules and ranking); at
    most ``limit`` of them (None or 0: all)."""
    query = _query_form(text)
    if not query:
        raise InputError(f"nothing to search for in {text!r}")
    typed = text.strip().casefold()
    best: dict[URIRef, tuple[int, bool, bool, bool, int, str]] = {}
    names = entity_names(graph)
    for iri, entity in names.items():
        for name, primary in entity:
            score = _score(query, normalize(name))
            if not score:
                continue
            # Per entity, report the name closest to what was typed (same script, a label);
            # across entities, the shorter name wins a tie: "Ascend" before "Ascend 910B".
            folded = name.casefold()
            rank = (score, folded == typed, typed in folded, primary, -len(name), name)
            if iri not in best or rank[:5] > best[iri][:5]:
                best[iri] = rank
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][4], _curie(item[0])))
    if limit:  # None and 0 both mean every match, as --limit 0 does
        ordered = ordered[:limit]
    matches = tuple(_match(graph, iri, rank[5], rank[0]) for iri, rank in ordered)
    suggestions: tuple[Match, ...] = ()
    if not matches and suggest:
        suggestions = _near_misses(graph, names, query, suggest)
    return SearchResult(query=text, matches=matches, suggestions=suggestions)


def _near_misses(
    graph: Graph, names: dict[URIRef, list[tuple[str, bool]]], query: str, count: int
) -> tuple[Match, ...]:
    # Short names differ by one character at 0.5 (华伟/华为); longer ones need to be closer.
    cutoff = 0.5 if len(query) <= 3 else 0.6
    scored: dict[URIRef, tuple[float, str]] = {}
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(query)
    for iri, entity in names.items():
        for name, _primary in entity:
            matcher.set_seq1(normalize(name))
            if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
                continue
            ratio = matcher.ratio()
            if ratio >= cutoff and (iri not in scored or ratio > scored[iri][0]):
                scored[iri] = (ratio, name)
    ordered = sorted(scored.items(), key=lambda item: (-item[1][0], _curie(item[0])))[:count]
    return tuple(_match(graph, iri, name, int(ratio * 100)) for iri, (ratio, name) in ordered)


def _known(graph: Graph, iri: URIRef) -> bool:
    return (iri, None, None) in graph or (None, None, iri) in graph


def _expand(text: str) -> URIRef | None:
    """An IRI for ``<iri>``, ``http…`` or a CURIE with a project prefix, else None."""
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if re.match(r"^https?://\S+$", text):
        return URIRef(text)
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and re.match(r"^[\w.\-]*$", local):
        return URIRef(PREFIXES[prefix] + local)
    return None


def _describe_match(match: Match) -> str:
    return match.curie if match.label == match.curie else f"{match.curie} ({match.label})"


def resolve(graph: Graph, text: str, *, kind: str = "term") -> URIRef:
    """The IRI ``text`` names: an IRI, a CURIE, a ``kg:`` slug, or an exact (normalised) name.

    Raises :class:`UnknownTermError` listing the closest entities when nothing fits, and
    :class:`InputError` when a name is shared by several entities.
    """
    text = text.strip()
    iri = _expand(text)
    if iri is not None and _known(graph, iri):
        return iri
    if iri is None and re.match(r"^[a-z0-9][a-z0-9.\-]*$", text) and _known(graph, KG[text]):
        return KG[text]
    found = search(graph, text, limit=10, suggest=5) if _query_form(text) else None
    exact = [m for m in found.matches if m.score == EXACT] if found else []
    if len(exact) == 1:
        return URIRef(exact[0].iri)
    if len(exact) > 1:
        names = ", ".join(_describe_match(m) for m in exact)
        raise InputError(f"{kind} {text!r} is ambiguous: {names}; give the kg: id")
    near = (found.matches or found.suggestions) if found else ()
    raise UnknownTermError(kind, text, [_describe_match(m) for m in near[:5]])
