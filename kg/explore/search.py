"""Find entities by any of their names, in any script, and resolve what a user typed to an IRI.

Every name of an entity (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``,
``skos:hiddenLabel``, a source's ``dcterms:title`` and the slug of its IRI) is compared in a
*normal form*: Unicode NFKC, case-folded, converted from traditional to simplified Chinese with
OpenCC's ``t2s`` tables (so 華為 and 华为 are one name, and 昇騰 is 昇腾), with spaces and
punctuation removed (so "Ascend 910B", "ascend-910b" and "ascend910b" agree). Alternative
spellings that are different characters, such as 升腾 for 昇腾, are found because the facts list
them as ``skos:altLabel``; no hand-made character table is involved.

Ranking: an exact name beats a name that starts with the text, which beats a name containing
it; ties go to the shorter name. When no name matches exactly, near misses (difflib similarity
over the same normal forms) are offered as "did you mean".

Everything is read from a store with a few SPARQL queries (:mod:`kg.explore.reading`); an
rdflib graph is accepted as well.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kg.errors import InputError, UnknownTermError
from kg.explore.reading import RDF_TYPE, as_store, iri, objects_of, select, sparql_iri
from kg.sparql.terms import PREFIXES, curie, parts

__all__ = [
    "NAME_PROPERTIES",
    "Match",
    "SearchResult",
    "best_label",
    "best_labels",
    "entity_names",
    "normalize",
    "pick_label",
    "resolve",
    "search",
]

_RDFS, _SKOS = PREFIXES["rdfs"], PREFIXES["skos"]
KG = PREFIXES["kg"]
RDFS_LABEL = _RDFS + "label"
SKOS_PREF = _SKOS + "prefLabel"
#: Properties whose values are names of the subject, best first.
NAME_PROPERTIES = (
    RDFS_LABEL,
    SKOS_PREF,
    _SKOS + "altLabel",
    _SKOS + "hiddenLabel",
    PREFIXES["dcterms"] + "title",
)
_PRIMARY = {RDFS_LABEL, SKOS_PREF}
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
_LANGUAGE_ORDER = {"en": 0, "zh-hans": 1, "zh-hant": 2, "zh": 3}

EXACT, PREFIX, SUBSTRING = 100, 80, 60
#: A near miss this similar (percent) is a typo of the name, offered before longer names that
#: merely contain what was typed: "nvidiaa" is NVIDIA (92) before NVIDIA A100.
TYPO = 80


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
    suggestions: tuple[Match, ...]  # near misses not among the matches, when none is exact

    @property
    def closest(self) -> tuple[Match, ...]:
        """What to offer for a name that fits nothing: likely typos of it first ("nvidiaa":
        NVIDIA), then the names that start with or contain it, then the looser near misses."""
        typos = tuple(m for m in self.suggestions if m.score >= TYPO)
        looser = tuple(m for m in self.suggestions if m.score < TYPO)
        return typos + self.matches + looser


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


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


#: Statement and observation nodes: they carry claims, they are not things to look up.
CLAIMS_QUERY = "SELECT DISTINCT ?n WHERE { ?class rdfs:subClassOf* aichip:Claim . ?n a ?class }"
#: Vocabulary namespaces and kinds of term: labelled classes, properties and ontologies are
#: not entities.
_TERM_CLASSES = (
    "owl:Ontology owl:Class rdfs:Class rdf:Property owl:ObjectProperty "
    "owl:DatatypeProperty owl:AnnotationProperty"
)
_VOCABULARIES = tuple(ns for prefix, ns in PREFIXES.items() if prefix != "kg")


def entity_names(source: Any) -> dict[str, list[tuple[str, bool]]]:
    """Every entity (by IRI) with its names as ``(text, is_primary_label)``: ``kg:`` entities
    (slug included) and any other labelled IRI outside the vocabularies, such as what
    ``kg load`` brought from another dataset. ``source``: a store or an rdflib graph."""
    store = as_store(source)
    names: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    rows = select(
        store,
        f"SELECT ?s ?p ?name WHERE {{ VALUES ?p {{ {_values(NAME_PROPERTIES)} }} "
        "?s ?p ?name FILTER(isIRI(?s)) }",
    )
    order = {p: i for i, p in enumerate(NAME_PROPERTIES)}
    found = []
    for subject, prop, value in rows:
        s, p = parts(subject).value, parts(prop).value
        if not s.startswith(_VOCABULARIES):
            found.append((s, order[p], parts(value).value))
    # Best property first, then by name: the same order on every engine.
    for s, rank, name in sorted(found):
        names[s].append((name, NAME_PROPERTIES[rank] in _PRIMARY))
    slugs = select(
        store, f'SELECT DISTINCT ?s WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), "{KG}")) }}'
    )
    for (subject,) in slugs:
        s = iri(subject)
        if s is not None:
            names[s].append((s[len(KG) :], False))
    claims = {iri(n) for (n,) in select(store, CLAIMS_QUERY)}
    terms = {
        iri(s)
        for (s,) in select(
            store, f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {_TERM_CLASSES} }} ?s a ?c }}"
        )
    }
    return {
        s: v for s, v in names.items() if s not in claims and (s.startswith(KG) or s not in terms)
    }


def pick_label(terms: Iterable[Any], iri_text: str) -> str:
    """The English label (else any label, else the CURIE) among the ``rdfs:label`` and
    ``skos:prefLabel`` values ``terms`` of ``iri_text``: the one rule both engines use."""
    labels = [p for p in map(parts, terms) if p.kind == "literal"]
    if not labels:
        return curie(iri_text)
    labels.sort(key=lambda p: (_LANGUAGE_ORDER.get((p.language or "").lower(), 5), p.value))
    return labels[0].value


def best_labels(source: Any, iris: Iterable[str]) -> dict[str, str]:
    """The best label (:func:`pick_label`) of each IRI in ``iris``, in one query or a few."""
    iris = set(iris)
    found = objects_of(as_store(source), iris, (RDFS_LABEL, SKOS_PREF))
    return {
        i: pick_label(
            [*found.get(i, {}).get(RDFS_LABEL, ()), *found.get(i, {}).get(SKOS_PREF, ())], i
        )
        for i in iris
    }


def best_label(source: Any, iri_text: str) -> str:
    """The English ``rdfs:label`` (else any label, else the CURIE) of the IRI ``iri_text``."""
    return best_labels(source, [str(iri_text)])[str(iri_text)]


def _score(query: str, name: str) -> int:
    if name == query:
        return EXACT
    if name.startswith(query):
        return PREFIX
    if query in name:
        return SUBSTRING
    return 0


def _matches(store: Any, found: list[tuple[str, str, int]]) -> tuple[Match, ...]:
    """Matches for ``(iri, matched name, score)``, labels and types read in one query."""
    about = objects_of(store, (i for i, _, _ in found), (RDFS_LABEL, SKOS_PREF, RDF_TYPE))
    matches = []
    for subject, matched, score in found:
        props = about.get(subject, {})
        labels = [*props.get(RDFS_LABEL, ()), *props.get(SKOS_PREF, ())]
        types = {iri(t) for t in props.get(RDF_TYPE, ())} - {None}
        matches.append(
            Match(
                iri=subject,
                curie=curie(subject),
                label=pick_label(labels, subject),
                types=tuple(sorted(curie(t) for t in types)),
                matched=matched,
                score=score,
            )
        )
    return tuple(matches)


def _query_form(text: str) -> str:
    text = text.strip()
    if text.startswith("kg:"):
        text = text[3:]
    elif text.startswith(KG):
        text = text[len(KG) :]
    return normalize(text)


def search(source: Any, text: str, *, limit: int | None = 20, suggest: int = 5) -> SearchResult:
    """Entities whose names match ``text`` (see the module doc for the rules and ranking); at
    most ``limit`` of them (None or 0: all). ``source``: a store or an rdflib graph."""
    query = _query_form(text)
    if not query:
        raise InputError(f"nothing to search for in {text!r}")
    store = as_store(source)
    typed = text.strip().casefold()
    best: dict[str, tuple[int, bool, bool, bool, int, str]] = {}
    names = entity_names(store)
    for subject, entity in names.items():
        for name, primary in entity:
            score = _score(query, normalize(name))
            if not score:
                continue
            # Per entity, report the name closest to what was typed (same script, a label);
            # across entities, the shorter name wins a tie: "Ascend" before "Ascend 910B".
            folded = name.casefold()
            rank = (score, folded == typed, typed in folded, primary, -len(name), name)
            if subject not in best or rank[:5] > best[subject][:5]:
                best[subject] = rank
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][4], curie(item[0])))
    if limit:  # None and 0 both mean every match, as --limit 0 does
        ordered = ordered[:limit]
    matches = _matches(store, [(s, rank[5], rank[0]) for s, rank in ordered])
    suggestions: tuple[Match, ...] = ()
    if suggest and not any(m.score == EXACT for m in matches):
        matched = {m.iri for m in matches}
        near = _near_misses(store, names, query, suggest + len(matched))
        suggestions = tuple(m for m in near if m.iri not in matched)[:suggest]
    return SearchResult(query=text, matches=matches, suggestions=suggestions)


def _near_misses(
    store: Any, names: dict[str, list[tuple[str, bool]]], query: str, count: int
) -> tuple[Match, ...]:
    # Short names differ by one character at 0.5 (华伟/华为); longer ones need to be closer.
    cutoff = 0.5 if len(query) <= 3 else 0.6
    scored: dict[str, tuple[float, str]] = {}
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(query)
    for subject, entity in names.items():
        for name, _primary in entity:
            matcher.set_seq1(normalize(name))
            if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
                continue
            ratio = matcher.ratio()
            if ratio >= cutoff and (subject not in scored or ratio > scored[subject][0]):
                scored[subject] = (ratio, name)
    ordered = sorted(scored.items(), key=lambda item: (-item[1][0], curie(item[0])))[:count]
    return _matches(store, [(s, name, int(ratio * 100)) for s, (ratio, name) in ordered])


def _known(store: Any, iri_text: str) -> bool:
    term = sparql_iri(iri_text)
    if term is None:
        return False
    return bool(store.query(f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} }}").boolean)


def _expand(text: str) -> str | None:
    """An IRI for ``<iri>``, ``http…`` or a CURIE with a project prefix, else None."""
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if re.match(r"^https?://\S+$", text):
        return text
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and re.match(r"^[\w.\-]*$", local):
        return PREFIXES[prefix] + local
    return None


def _describe_match(match: Match) -> str:
    return match.curie if match.label == match.curie else f"{match.curie} ({match.label})"


def resolve(
    source: Any, text: str, *, kind: str = "term", offer: Callable[[str], bool] | None = None
) -> str:
    """The IRI ``text`` names: an IRI, a CURIE, a ``kg:`` slug, or an exact (normalised) name.
    ``source``: a store or an rdflib graph. ``offer``: which entities (by CURIE) a "did you
    mean" may name, when the caller takes only some (a vendor, a chip).

    Raises :class:`UnknownTermError` listing the closest entities when nothing fits, and
    :class:`InputError` when a name is shared by several entities.
    """
    store = as_store(source)
    text = text.strip()
    if not text:
        raise InputError(f"no {kind} given: name one by its kg: id or any of its names")
    expanded = _expand(text)
    if expanded is not None and _known(store, expanded):
        return expanded
    if expanded is not None and expanded.startswith(PREFIXES["aichip"]):
        # An ontology term (aichip:DataCentre): its near misses are the ontology's terms, not
        # entities whose names happen to share a word.
        from kg.sparql.vocabulary import closest_ontology_terms

        raise UnknownTermError(kind, text, closest_ontology_terms(expanded))
    if expanded is None and re.match(r"^[a-z0-9][a-z0-9.\-]*$", text) and _known(store, KG + text):
        return KG + text
    found = search(store, text, limit=10, suggest=5) if _query_form(text) else None
    exact = [m for m in found.matches if m.score == EXACT] if found else []
    if len(exact) == 1:
        return exact[0].iri
    if len(exact) > 1:
        names = ", ".join(_describe_match(m) for m in exact)
        raise InputError(f"{kind} {text!r} is ambiguous: {names}; give the kg: id")
    near = [m for m in (found.closest if found else ()) if offer is None or offer(m.curie)]
    raise UnknownTermError(kind, text, [_describe_match(m) for m in near[:5]])
