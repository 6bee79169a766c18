"""What a page shows, gathered from an entity's bounded description and the ontology.

The functions here read two small rdflib graphs, the entity's description
(:func:`kg.pages.queries.entity_query`) and the ontology (:data:`~kg.pages.queries.ONTOLOGY_QUERY`),
and return frozen dataclasses the templates render; they decide nothing about HTML. Every value
is a :class:`Term`: an IRI (the templates link it to its page) or a literal (shown as text).
Orders are fixed (by label, then IRI) so that the same graph gives the same page, byte for byte.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDFS, SKOS

from kg.ns import AICHIP, KG
from kg.sparql.terms import PREFIXES, curie, term_text

__all__ = [
    "ClaimView",
    "EntityPage",
    "FigureView",
    "Neighbour",
    "Names",
    "PropertyGroup",
    "SourceView",
    "Term",
    "TermPage",
    "ValueRow",
    "entity_page",
    "safe_url",
    "term_page",
]

SCHEMA_URL = URIRef(PREFIXES["schema"] + "url")
ORG = PREFIXES["org"]
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
_RANKS = {AICHIP.Preferred: "preferred", AICHIP.Normal: "normal", AICHIP.Deprecated: "deprecated"}
_NAME_PROPS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
_LINKS_TO_CLAIM = (RDF.subject, RDF.object, AICHIP.vendor, AICHIP.market, AICHIP.vendorGroup)
#: Claim properties shown in their own place on a claim card, not as qualifiers.
_CLAIM_CORE = {
    RDF.type,
    RDF.subject,
    RDF.predicate,
    RDF.object,
    PROV.wasDerivedFrom,
    AICHIP.citedSource,
    AICHIP.quote,
    AICHIP.gloss,
    AICHIP.rank,
    AICHIP.verification,
    AICHIP.conflictsWith,
    SKOS.note,
    URIRef(ORG + "member"),
    URIRef(ORG + "organization"),
}
_FIGURE_CORE = {AICHIP.value, AICHIP.unit, AICHIP.vendor, AICHIP.vendorGroup, AICHIP.market}
_MAX_NEIGHBOURS = 24


def safe_url(text: str) -> str | None:
    """``text`` if it is an http(s) URL a page may link to, else None (``javascript:``…)."""
    text = text.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if (
        parts.scheme.lower() in ("http", "https")
        and parts.netloc
        and not any(ch.isspace() or ord(ch) < 32 for ch in text)
    ):
        return text
    return None


@dataclass(frozen=True)
class Term:
    """An IRI (``iri`` set; ``text`` is its label) or a literal (``text``, ``lang``)."""

    text: str
    iri: str | None = None
    lang: str = ""
    curie: str = ""
    numeric: bool = False

    @property
    def is_iri(self) -> bool:
        return self.iri is not None


@dataclass(frozen=True)
class SourceView:
    term: Term
    title: str
    url: str | None  # linkable (http/https) only
    raw_url: str | None  # the URL as written, shown as text when it is not linkable
    date: str
    publisher: Term | None


@dataclass(frozen=True)
class ClaimView:
    term: Term
    rank: str  # preferred, normal, deprecated
    verification: str
    qualifiers: tuple[tuple[Term, Term], ...]
    sources: tuple[SourceView, ...]
    cited: tuple[SourceView, ...]
    quote: Term | None
    gloss: str
    notes: tuple[str, ...]
    conflicts: tuple[Term, ...]


@dataclass(frozen=True)
class ValueRow:
    value: Term
    holds: bool  # a truthy triple carries it (the best-ranked claim, or an unsourced link)
    claims: tuple[ClaimView, ...]


@dataclass(frozen=True)
class PropertyGroup:
    predicate: Term
    rows: tuple[ValueRow, ...]

    @property
    def conflicting(self) -> bool:
        """Several claims that do not all agree in rank or value: shown side by side."""
        return len(self.rows) > 1 or len({c.rank for r in self.rows for c in r.claims}) > 1


@dataclass(frozen=True)
class FigureView:
    kind: Term
    value: str
    unit: str
    market: Term | None
    vendor: Term | None
    period: str
    claim: ClaimView


@dataclass(frozen=True)
class Neighbour:
    node: Term
    predicate: Term
    outgoing: bool
    kind: str  # the node's class label, for colour


@dataclass(frozen=True)
class EntityPage:
    term: Term
    slug: str
    labels: tuple[tuple[str, tuple[str, ...]], ...]  # (language, names) for en, 简体, 繁體
    other_names: tuple[Term, ...]
    classes: tuple[Term, ...]
    metadata: tuple[tuple[Term, Term], ...]  # unsourced values: notes, titles, URLs
    groups: tuple[PropertyGroup, ...]  # every claimed (or unsourced) link and fact, by property
    figures: tuple[FigureView, ...]
    incoming: tuple[PropertyGroup, ...]
    derived: tuple[Term, ...]  # claims taken from this entity, when it is a source
    instances: tuple[Term, ...]
    neighbours: tuple[Neighbour, ...]
    url: str | None = None  # a source's own address (linkable)
    counts: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class TermPage:
    term: Term
    local: str
    kind: str  # class, object property, datatype property, annotation property…
    labels: tuple[tuple[str, tuple[str, ...]], ...]
    definition: str
    domains: tuple[Term, ...]
    ranges: tuple[Term, ...]
    parents: tuple[Term, ...]
    children: tuple[Term, ...]
    usage: int
    usage_kind: str  # "triples use it" / "instances"


class Names:
    """Labels of IRIs from the entity's description and the ontology, English first."""

    def __init__(self, *graphs: Graph) -> None:
        self.graphs = graphs
        self._cache: dict = {}

    def objects(self, subject, predicate) -> list:
        seen: dict = {}
        for graph in self.graphs:
            for value in graph.objects(subject, predicate):
                seen.setdefault(value, None)
        return list(seen)

    def label(self, iri) -> str:
        if iri in self._cache:
            return self._cache[iri]
        values = [
            v
            for prop in (RDFS.label, SKOS.prefLabel, DCTERMS.title)
            for v in self.objects(iri, prop)
            if isinstance(v, Literal)
        ]
        order = {"en": 0, "": 1, "zh-hans": 2, "zh-hant": 3}
        values.sort(key=lambda v: (order.get((v.language or "").lower(), 4), str(v)))
        text = str(values[0]) if values else curie(str(iri)).strip("<>")
        self._cache[iri] = text
        return text

    def term(self, value) -> Term:
        if isinstance(value, URIRef):
            return Term(text=self.label(value), iri=str(value), curie=curie(str(value)))
        if isinstance(value, Literal):
            from kg.sparql.terms import is_numeric

            return Term(
                text=str(value),
                lang=value.language or "",
                numeric=is_numeric(value),
            )
        return Term(text=term_text(value))

    def labels(self, iri) -> tuple[tuple[str, tuple[str, ...]], ...]:
        by_lang: dict[str, set[str]] = defaultdict(set)
        for prop in (RDFS.label, SKOS.prefLabel):
            for value in self.objects(iri, prop):
                if isinstance(value, Literal):
                    by_lang[value.language or ""].add(str(value))
        return tuple((lang, tuple(sorted(by_lang.get(lang, ())))) for lang in LANGUAGES)


def _sort_terms(terms) -> tuple[Term, ...]:
    return tuple(sorted(set(terms), key=_term_key))


def _term_key(t: Term) -> tuple:
    """A total order on terms (case-folded text first, so that ``ARM`` and ``Arm`` sort the same
    way in every run)."""
    return (t.text.casefold(), t.text, t.iri or "", t.lang)


def _claim_classes(onto: Graph) -> set:
    return set(onto.transitive_subjects(RDFS.subClassOf, AICHIP.Claim))


def _source(graph: Graph, names: Names, node) -> SourceView:
    title = min((str(v) for v in graph.objects(node, DCTERMS.title)), default="")
    title = title or names.label(node)
    raw = min((str(v) for v in graph.objects(node, SCHEMA_URL)), default=None)
    date = min((str(v) for v in graph.objects(node, DCTERMS.issued)), default="")
    publisher = next(iter(sorted(graph.objects(node, DCTERMS.publisher))), None)
    return SourceView(
        term=names.term(node),
        title=title,
        url=safe_url(raw) if raw else None,
        raw_url=raw,
        date=date,
        publisher=names.term(publisher) if publisher is not None else None,
    )


def _claim(graph: Graph, names: Names, node, skip: set = frozenset()) -> ClaimView:
    quote = next(iter(sorted(graph.objects(node, AICHIP.quote))), None)
    gloss = min((str(v) for v in graph.objects(node, AICHIP.gloss)), default="")
    qualifiers = sorted(
        (
            (names.term(p), names.term(o))
            for p, o in graph.predicate_objects(node)
            if p not in _CLAIM_CORE and p not in skip and not isinstance(o, BNode)
        ),
        key=lambda pair: (_term_key(pair[0]), _term_key(pair[1])),
    )
    return ClaimView(
        term=names.term(node),
        rank=_RANKS.get(graph.value(node, AICHIP.rank), "normal"),
        verification=str(graph.value(node, AICHIP.verification) or ""),
        qualifiers=tuple(qualifiers),
        sources=tuple(
            sorted(
                (_source(graph, names, s) for s in graph.objects(node, PROV.wasDerivedFrom)),
                key=lambda s: s.term.iri or "",
            )
        ),
        cited=tuple(
            sorted(
                (_source(graph, names, s) for s in graph.objects(node, AICHIP.citedSource)),
                key=lambda s: s.term.iri or "",
            )
        ),
        quote=names.term(quote) if quote is not None else None,
        gloss=gloss,
        notes=tuple(sorted(str(v) for v in graph.objects(node, SKOS.note))),
        conflicts=_sort_terms(names.term(v) for v in graph.objects(node, AICHIP.conflictsWith)),
    )


_RANK_ORDER = {"preferred": 0, "normal": 1, "deprecated": 2}


def _rows(graph, names, entity, claims, direction) -> list[PropertyGroup]:
    mine, other_end = (RDF.subject, RDF.object) if direction == "out" else (RDF.object, RDF.subject)
    grouped: dict[tuple, list] = defaultdict(list)
    for node in graph.subjects(mine, entity):
        if node not in claims:
            continue
        predicate, other = graph.value(node, RDF.predicate), graph.value(node, other_end)
        if predicate is not None and other is not None:
            grouped[(predicate, other)].append(node)
    if direction == "out":
        truthy = {
            (p, o)
            for p, o in graph.predicate_objects(entity)
            if p != RDF.type and p not in _NAME_PROPS
        }
    else:
        truthy = {
            (p, s)
            for s, p in graph.subject_predicates(entity)
            if s not in claims
            and p not in (RDF.type, PROV.wasDerivedFrom, AICHIP.citedSource)
            and not isinstance(s, BNode)
        }
    by_predicate: dict = defaultdict(list)
    for predicate, other in grouped.keys() | truthy:
        nodes = grouped.get((predicate, other), [])
        if direction == "out" and isinstance(other, Literal) and not nodes:
            continue  # unsourced literal values are metadata
        views = sorted(
            (_claim(graph, names, n) for n in nodes),
            key=lambda c: (_RANK_ORDER[c.rank], c.term.iri or ""),
        )
        by_predicate[predicate].append(
            ValueRow(
                value=names.term(other), holds=(predicate, other) in truthy, claims=tuple(views)
            )
        )
    groups = []
    for predicate, rows in by_predicate.items():
        rows.sort(
            key=lambda r: (
                min((_RANK_ORDER[c.rank] for c in r.claims), default=1),
                _term_key(r.value),
            )
        )
        groups.append(PropertyGroup(predicate=names.term(predicate), rows=tuple(rows)))
    groups.sort(key=lambda g: (g.predicate.text.casefold(), g.predicate.iri or ""))
    return groups


def _figures(graph, names, entity, claim_classes) -> list[FigureView]:
    nodes = {
        n
        for p in (AICHIP.vendor, AICHIP.vendorGroup, AICHIP.market)
        for n in graph.subjects(p, entity)
    }
    figures = []
    for node in nodes:
        kinds = [t for t in graph.objects(node, RDF.type) if t in claim_classes]
        if not kinds:
            continue
        kind = min(kinds, key=lambda k: (k == AICHIP.Observation, str(k)))
        unit = graph.value(node, AICHIP.unit)
        notation = (names.objects(unit, SKOS.notation) or [None])[0] if unit is not None else None
        period = graph.value(node, AICHIP.year) or graph.value(node, AICHIP.period)
        vendor = graph.value(node, AICHIP.vendor) or graph.value(node, AICHIP.vendorGroup)
        market = graph.value(node, AICHIP.market)
        figures.append(
            FigureView(
                kind=names.term(kind),
                value=str(graph.value(node, AICHIP.value) or ""),
                unit=str(notation) if notation is not None else (names.label(unit) if unit else ""),
                market=names.term(market) if market is not None else None,
                vendor=names.term(vendor) if vendor is not None else None,
                period=str(period or ""),
                claim=_claim(graph, names, node, _FIGURE_CORE | {AICHIP.year, AICHIP.period}),
            )
        )
    figures.sort(
        key=lambda f: (
            f.market.text if f.market else "",
            f.period,
            f.vendor.text if f.vendor else "",
            f.claim.term.iri or "",
        )
    )
    return figures


def _neighbours(names, groups, incoming, onto) -> tuple[Neighbour, ...]:
    seen: dict[str, Neighbour] = {}
    for outgoing, source in ((True, groups), (False, incoming)):
        for group in source:
            for row in group.rows:
                node = row.value
                if node.iri is None or node.iri in seen or not row.holds:
                    continue
                kinds = sorted(names.label(t) for t in names.objects(URIRef(node.iri), RDF.type))
                seen[node.iri] = Neighbour(
                    node=node,
                    predicate=group.predicate,
                    outgoing=outgoing,
                    kind=kinds[0] if kinds else "",
                )
    ordered = sorted(
        seen.values(),
        key=lambda n: (not n.outgoing, n.predicate.text, n.predicate.iri, _term_key(n.node)),
    )
    return tuple(ordered[:_MAX_NEIGHBOURS])


def entity_page(description: Graph, onto: Graph, iri: str) -> EntityPage | None:
    """The page of ``iri`` from its bounded description; None when the graph has no such
    entity (nothing is said about it)."""
    entity = URIRef(iri)
    if (entity, None, None) not in description and (None, None, entity) not in description:
        return None
    names = Names(description, onto)
    claim_classes = _claim_classes(onto)
    claims = {n for n, t in description.subject_objects(RDF.type) if t in claim_classes}
    # A claim about the entity whose own class the description lacks is still a claim.
    claims |= {n for p in _LINKS_TO_CLAIM for n in description.subjects(p, entity)}
    groups = _rows(description, names, entity, claims, "out")
    incoming = _rows(description, names, entity, claims, "in")
    metadata = sorted(
        (
            (names.term(p), names.term(o))
            for p, o in description.predicate_objects(entity)
            if isinstance(o, Literal)
            and p not in _NAME_PROPS
            and not any(
                (n, RDF.predicate, p) in description and (n, RDF.object, o) in description
                for n in description.subjects(RDF.subject, entity)
            )
        ),
        key=lambda pair: (_term_key(pair[0]), _term_key(pair[1])),
    )
    alt = [
        names.term(v)
        for p in (SKOS.altLabel, SKOS.hiddenLabel)
        for v in description.objects(entity, p)
        if isinstance(v, Literal)
    ]
    derived = _sort_terms(
        names.term(n)
        for p in (PROV.wasDerivedFrom, AICHIP.citedSource)
        for n in description.subjects(p, entity)
        if isinstance(n, URIRef)
    )
    instances = _sort_terms(
        names.term(n)
        for n in description.subjects(RDF.type, entity)
        if isinstance(n, URIRef) and n not in claims
    )
    raw_url = min((str(v) for v in description.objects(entity, SCHEMA_URL)), default=None)
    term = names.term(entity)
    return EntityPage(
        term=term,
        slug=iri[len(str(KG)) :] if iri.startswith(str(KG)) else iri,
        labels=names.labels(entity),
        other_names=_sort_terms(alt),
        classes=_sort_terms(
            names.term(t) for t in description.objects(entity, RDF.type) if isinstance(t, URIRef)
        ),
        metadata=tuple(metadata),
        groups=tuple(g for g in groups),
        figures=tuple(_figures(description, names, entity, claim_classes)),
        incoming=tuple(incoming),
        derived=derived,
        instances=instances,
        neighbours=_neighbours(names, groups, incoming, onto),
        url=safe_url(raw_url) if raw_url else None,
        counts={
            "claims": len({c.term.iri for g in groups for r in g.rows for c in r.claims}),
            "incoming": sum(len(g.rows) for g in incoming),
        },
    )


_KINDS = (
    (OWL.Class, "class"),
    (RDFS.Class, "class"),
    (OWL.ObjectProperty, "object property"),
    (OWL.DatatypeProperty, "datatype property"),
    (OWL.AnnotationProperty, "annotation property"),
    (RDF.Property, "property"),
    (OWL.NamedIndividual, "individual"),
)


def term_page(onto: Graph, iri: str, usage: dict[tuple[str, str], int]) -> TermPage | None:
    """The page of an ontology term (class, property, individual); None if not declared."""
    term_iri = URIRef(iri)
    if (term_iri, None, None) not in onto:
        return None
    names = Names(onto)
    types = set(onto.objects(term_iri, RDF.type))
    kind = next((label for cls, label in _KINDS if cls in types), "term")
    if kind == "term" and types:
        kind = names.label(sorted(types)[0])
    is_class = kind == "class"
    parent_prop = RDFS.subClassOf if is_class else RDFS.subPropertyOf
    definition = next(
        (
            str(v)
            for v in sorted(
                names.objects(term_iri, SKOS.definition) + names.objects(term_iri, RDFS.comment),
                key=lambda v: (getattr(v, "language", "") != "en", str(v)),
            )
        ),
        "",
    )
    local = iri.split("#", 1)[1] if "#" in iri else iri.rsplit("/", 1)[-1]
    return TermPage(
        term=names.term(term_iri),
        local=local,
        kind=kind,
        labels=names.labels(term_iri),
        definition=definition,
        domains=_sort_terms(names.term(v) for v in onto.objects(term_iri, RDFS.domain)),
        ranges=_sort_terms(names.term(v) for v in onto.objects(term_iri, RDFS.range)),
        parents=_sort_terms(
            names.term(v) for v in onto.objects(term_iri, parent_prop) if isinstance(v, URIRef)
        ),
        children=_sort_terms(
            names.term(v) for v in onto.subjects(parent_prop, term_iri) if isinstance(v, URIRef)
        ),
        usage=usage.get(("class" if is_class else "property", iri), 0),
        usage_kind="instances" if is_class else "triples use it",
    )
