"""``kg show``: everything the graph says about one entity, with the source of every claim.

With ``as_of`` (a day), every claim says whether it held then (``aichip:startDate`` /
``aichip:endDate`` on the claim, see :mod:`kg.facts.time`; a rule's or a listing's claims
start when it takes effect) and an entity with an
``aichip:effectiveDate`` says whether it was in force; undated claims are marked undated, not
hidden.

An entity's relationships come from two places: the truthy triples (what holds, by best rank)
and the statement nodes behind them (who says so, where, in which words). Both are gathered so
that a relationship shows each claim backing it, a deprecated claim shows up marked as such
even though no truthy triple carries it, and a link without any claim (a definitional one, or
an unsourced one ``kg validate`` would flag) is shown as unsourced rather than hidden.

All of it is read from the store with a handful of SPARQL queries (:class:`_Around`), whichever
engine answers; an rdflib graph is accepted as well.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from kg.explore.reading import (
    RDF_TYPE,
    as_store,
    iri,
    iri_of,
    objects_of,
    select,
    shown,
    sparql_iri,
    text_of,
)
from kg.explore.search import NAME_PROPERTIES, RDFS_LABEL, SKOS_PREF, pick_label
from kg.facts.time import ENDED, HELD, NOT_YET, UNCERTAIN, UNDATED, status_at
from kg.sparql.terms import PREFIXES, curie, parts, term_text

__all__ = [
    "Claim",
    "Description",
    "Figure",
    "Relation",
    "describe",
    "description_json",
    "render_description",
]

_RDF, _RDFS, _OWL = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["owl"]
_SKOS, _PROV, _AICHIP = PREFIXES["skos"], PREFIXES["prov"], PREFIXES["aichip"]
RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT = _RDF + "subject", _RDF + "predicate", _RDF + "object"
DERIVED_FROM = _PROV + "wasDerivedFrom"
STATEMENT = _AICHIP + "Statement"
VENDOR, VENDOR_GROUP, MARKET = _AICHIP + "vendor", _AICHIP + "vendorGroup", _AICHIP + "market"
UNIT, NOTATION = _AICHIP + "unit", _SKOS + "notation"
EFFECTIVE, START, END = _AICHIP + "effectiveDate", _AICHIP + "startDate", _AICHIP + "endDate"

_RANKS = {
    _AICHIP + "Preferred": "preferred",
    _AICHIP + "Normal": "normal",
    _AICHIP + "Deprecated": "deprecated",
}
# Claim properties that are not qualifiers: the triple itself and its references.
_CLAIM_CORE = {
    RDF_TYPE,
    RDF_SUBJECT,
    RDF_PREDICATE,
    RDF_OBJECT,
    DERIVED_FROM,
    _AICHIP + "citedSource",
    _AICHIP + "quote",
    _AICHIP + "gloss",
    _AICHIP + "rank",
    _AICHIP + "verification",
    PREFIXES["org"] + "member",
    PREFIXES["org"] + "organization",
}
_OBSERVATION_CORE = {
    _AICHIP + "value",
    UNIT,
    MARKET,
    VENDOR,
    VENDOR_GROUP,
    _AICHIP + "year",
    _AICHIP + "period",
}
_SKIP_OUT = {RDF_TYPE, *(p for p in NAME_PROPERTIES if p != PREFIXES["dcterms"] + "title")}
_SCHEMA_LINKS = {_RDFS + "subClassOf", _RDFS + "subPropertyOf"}
#: What the entity's neighbours are read for: their names, a unit's symbol, a rule's start.
_ABOUT_NEIGHBOURS = (RDFS_LABEL, SKOS_PREF, NOTATION, EFFECTIVE)


@dataclass(frozen=True)
class Claim:
    """One sourced claim: its node, rank, source, quote and qualifiers."""

    node: str
    rank: str
    source: str | None
    source_label: str | None
    quote: str | None
    gloss: str | None
    cited: tuple[str, ...]
    qualifiers: tuple[tuple[str, str], ...]  # (predicate CURIE, value text)
    verification: str | None
    as_of: str | None = None  # with a day asked about: held, not yet, ended, uncertain, undated


@dataclass(frozen=True)
class Relation:
    """A link to or from the entity (or a literal fact about it) and the claims behind it."""

    direction: str  # "out" or "in"
    predicate: str
    predicate_label: str
    other: str  # CURIE, or literal text for a fact
    other_label: str
    holds: bool  # a truthy triple carries it (some claim of the best rank, or definitional)
    claims: tuple[Claim, ...]
    literal: bool = False  # ``other`` is a value (a fact), not an entity
    as_of: str | None = None  # with a day asked about: the best status of its claims


@dataclass(frozen=True)
class Figure:
    """An observation about the entity (as vendor or as market)."""

    node: str
    kind: str  # the observation class's label, e.g. "market-share observation"
    value: str
    unit: str
    market: str
    vendor: str
    period: str
    forecast: bool
    claim: Claim


@dataclass(frozen=True)
class Description:
    iri: str
    curie: str
    label: str
    labels: tuple[tuple[str, str], ...]  # (language, text) of rdfs:label / skos:prefLabel
    alt_labels: tuple[tuple[str, str], ...]
    types: tuple[tuple[str, str], ...]  # (CURIE, label)
    properties: tuple[tuple[str, str], ...]  # unsourced literal metadata (titles, notes, URLs)
    facts: tuple[Relation, ...]  # sourced literal facts (founding date, TDP…)
    out: tuple[Relation, ...]
    inbound: tuple[Relation, ...]
    figures: tuple[Figure, ...]
    quoted_by: tuple[str, ...]  # when the entity is a source: the claims derived from it
    instances: tuple[tuple[str, str], ...] = ()  # when the entity is a class: (CURIE, label)
    as_of: str | None = None  # the day asked about (ISO), if any
    in_force: str | None = None  # for a rule with an effective date: its status on that day


def _first(values: list | tuple | None) -> Any:
    """One of several values, the same one on every engine and every run."""
    return min(values, key=parts) if values else None


def _quote(values: list | None) -> Any:
    """Of a claim's quotes in several languages (a bilingual source), the English one first,
    as with labels."""
    if not values:
        return None
    order = {"en": 0, "zh-Hans": 1, "zh-Hant": 2}
    return min(values, key=lambda q: (order.get(parts(q).language or "", 3), parts(q)))


def _is_true(term: Any) -> bool:
    return term is not None and parts(term).value in ("true", "1")


class _Around:
    """What the store says around one entity, read in a handful of queries: its own triples,
    the triples pointing at it, the claim nodes about it (with all their triples) and the
    names of everything shown."""

    def __init__(self, store: Any, entity: str) -> None:
        self.entity = entity
        at = sparql_iri(entity)
        self.out = [(iri_of(p), o) for p, o in select(store, f"SELECT ?p ?o {{ {at} ?p ?o }}")]
        self.inbound = [(s, iri_of(p)) for s, p in select(store, f"SELECT ?s ?p {{ ?s ?p {at} }}")]
        self.claim_classes = {
            iri_of(c) for (c,) in select(store, "SELECT ?c { ?c rdfs:subClassOf* aichip:Claim }")
        }
        types: dict[Any, set] = defaultdict(set)
        for s, t in select(store, f"SELECT DISTINCT ?s ?t {{ ?s ?p {at} . ?s a ?t }}"):
            types[s].add(iri(t))
        #: Claim nodes that point at the entity: not neighbours, not instances.
        self.claims = {s for s, kinds in types.items() if kinds & self.claim_classes}
        self.nodes: dict[Any, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        links = f"<{RDF_SUBJECT}> <{RDF_OBJECT}> <{VENDOR}> <{MARKET}>"
        for n, p, o in select(
            store,
            f"SELECT DISTINCT ?n ?p ?o {{ VALUES ?link {{ {links} }} ?n ?link {at} . ?n ?p ?o }}",
        ):
            self.nodes[n][iri_of(p)].append(o)
        shown = {entity, *self.claim_classes}
        shown.update(p for p, _ in self.out)
        shown.update(p for _, p in self.inbound)
        shown.update(iri(o) for _, o in self.out)
        shown.update(iri(s) for s, _ in self.inbound if s not in self.claims)
        for props in self.nodes.values():
            for p in (RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT, DERIVED_FROM, UNIT, VENDOR_GROUP):
                shown.update(iri(o) for o in props.get(p, ()))
        shown.discard(None)
        self.about = objects_of(store, shown, _ABOUT_NEIGHBOURS)

    def objects(self, predicate: str) -> list:
        return [o for p, o in self.out if p == predicate]

    def subjects(self, predicate: str) -> list:
        return [s for s, p in self.inbound if p == predicate]

    def linked(self, node: Any, predicate: str) -> bool:
        """``node`` has ``predicate`` pointing at the entity."""
        return any(iri(o) == self.entity for o in self.nodes[node].get(predicate, ()))

    def label(self, term: Any) -> str:
        name = iri(term)
        if name is None:
            return shown(term)
        about = self.about.get(name, {})
        return pick_label([*about.get(RDFS_LABEL, ()), *about.get(SKOS_PREF, ())], name)


def _claim(around: _Around, node: Any, skip: set) -> Claim:
    props = around.nodes[node]
    source = _first(props.get(DERIVED_FROM))
    quote = _quote(props.get(_AICHIP + "quote"))
    gloss = _first(props.get(_AICHIP + "gloss"))
    rank = _first(props.get(_AICHIP + "rank"))
    verification = _first(props.get(_AICHIP + "verification"))
    qualifiers = sorted(
        (curie(p), shown(o)) for p, values in props.items() if p not in skip for o in values
    )
    return Claim(
        node=term_text(node),
        rank=_RANKS.get(iri(rank), "normal"),
        source=term_text(source) if source is not None else None,
        source_label=around.label(source) if source is not None else None,
        quote=term_text(quote) if quote is not None else None,
        gloss=text_of(gloss) if gloss is not None else None,
        cited=tuple(sorted(term_text(c) for c in props.get(_AICHIP + "citedSource", ()))),
        qualifiers=tuple(qualifiers),
        verification=text_of(verification) if verification is not None else None,
    )


def _relations(around: _Around, direction: str, when: date | None) -> list[Relation]:
    """Links out of (or into) the entity: statements grouped by triple, plus truthy triples;
    with ``when``, whether each held on that day."""
    end, other_end = (RDF_SUBJECT, RDF_OBJECT) if direction == "out" else (RDF_OBJECT, RDF_SUBJECT)
    grouped: dict[tuple, list] = defaultdict(list)
    for statement, props in around.nodes.items():
        if not around.linked(statement, end):
            continue
        if STATEMENT not in {iri(t) for t in props.get(RDF_TYPE, ())}:
            continue
        predicate = _first(props.get(RDF_PREDICATE))
        other = _first(props.get(other_end))
        if predicate is None or other is None:
            continue
        grouped[(text_of(predicate), other)].append(statement)
    if direction == "out":
        truthy = {(p, o) for p, o in around.out if p not in _SKIP_OUT}
    else:
        truthy = {
            (p, s)
            for s, p in around.inbound
            if s not in around.claims and p != RDF_TYPE and parts(s).kind != "bnode"
        }
    # Ontology-level annotations (rdfs:domain and the like) are not what `show` is for.
    truthy = {(p, o) for p, o in truthy if p in _SCHEMA_LINKS or not p.startswith((_RDFS, _OWL))}
    relations = []
    for predicate, other in sorted(
        grouped.keys() | truthy, key=lambda k: (curie(k[0]), shown(k[1]))
    ):
        nodes = sorted(grouped.get((predicate, other), []), key=term_text)
        relation = Relation(
            direction=direction,
            predicate=curie(predicate),
            predicate_label=around.label(predicate),
            other=shown(other),
            other_label=around.label(other),
            holds=(predicate, other) in truthy,
            claims=tuple(_claim(around, n, _CLAIM_CORE) for n in nodes),
            literal=parts(other).kind == "literal",
        )
        relations.append(relation if when is None else _dated(around, relation, nodes, when))
    return relations


def _figures(around: _Around) -> list[Figure]:
    figures = []
    for node, props in around.nodes.items():
        if not (around.linked(node, VENDOR) or around.linked(node, MARKET)):
            continue
        kinds = [t for t in props.get(RDF_TYPE, ()) if iri(t) in around.claim_classes]
        if not kinds:
            continue
        kind = min((around.label(k) for k in kinds), key=lambda k: (k == "observation", k))
        unit = _first(props.get(UNIT))
        notation = _first(around.about.get(iri(unit), {}).get(NOTATION)) if unit else None
        period = _first(props.get(_AICHIP + "year")) or _first(props.get(_AICHIP + "period"))
        vendor = _first(props.get(VENDOR)) or _first(props.get(VENDOR_GROUP))
        value = _first(props.get(_AICHIP + "value"))
        market = _first(props.get(MARKET))
        figures.append(
            Figure(
                node=term_text(node),
                kind=kind,
                value=text_of(value) if value is not None else "",
                unit=text_of(notation)
                if notation is not None
                else (term_text(unit) if unit else ""),
                market=term_text(market) if market is not None else "",
                vendor=term_text(vendor) if vendor is not None else "",
                period=text_of(period) if period is not None else "",
                forecast=_is_true(_first(props.get(_AICHIP + "isForecast"))),
                claim=_claim(around, node, _CLAIM_CORE | _OBSERVATION_CORE),
            )
        )
    return sorted(figures, key=lambda f: (f.market, f.kind, f.period, f.vendor, f.node))


def _labels(around: _Around, props: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    values = {
        (term.language or "", term.value)
        for p, o in around.out
        if p in props
        for term in [parts(o)]
        if term.kind == "literal"
    }
    order = {"en": 0, "zh-Hans": 1, "zh-Hant": 2}
    return tuple(sorted(values, key=lambda lv: (order.get(lv[0], 3), lv[0], lv[1])))


_STATUS_ORDER = (HELD, UNCERTAIN, UNDATED, NOT_YET, ENDED)


def _claim_status(around: _Around, node: Any, when: date) -> str:
    props = around.nodes.get(node, {})
    start = _first(props.get(START))
    end = _first(props.get(END))
    begins = text_of(start) if start is not None else None
    if begins is None:
        # What a rule or listing says (restricts, listedEntity) holds once it takes effect.
        subject = iri(_first(props.get(RDF_SUBJECT)))
        effective = sorted(text_of(d) for d in around.about.get(subject, {}).get(EFFECTIVE, ()))
        begins = effective[0] if effective else None
    return status_at(when, begins, text_of(end) if end is not None else None)


def _dated(around: _Around, relation: Relation, nodes: list, when: date) -> Relation:
    claims = [
        replace(claim, as_of=_claim_status(around, node, when))
        for claim, node in zip(relation.claims, nodes, strict=True)
    ]
    live = [c.as_of for c in claims if c.rank != "deprecated"] or [c.as_of for c in claims]
    # A claim that dates the relationship says more than one that does not (the undated claim
    # is still marked undated on its own line).
    dated = [status for status in live if status != UNDATED]
    best = min(dated, key=_STATUS_ORDER.index) if dated else UNDATED
    return replace(relation, claims=tuple(claims), as_of=best)


def _in_force(around: _Around, when: date) -> str | None:
    """A rule's status on ``when`` from its best-ranked effective and end dates."""
    effective = sorted(text_of(d) for d in around.objects(EFFECTIVE))
    if not effective:
        return None
    ends = sorted(text_of(d) for d in around.objects(END))
    return status_at(when, effective[0], ends[0] if ends else None)


def describe(source: Any, entity: str, *, as_of: date | None = None) -> Description:
    """Gather what ``source`` (a store, or an rdflib graph) says about the IRI ``entity``
    (resolve names with kg.explore.search); with ``as_of``, whether each claim held that day.

    >>> import kg
    >>> from datetime import date
    >>> huawei = describe(kg.open().store, "https://w3id.org/aichip-kg/id/huawei",
    ...                   as_of=date(2023, 1, 1))
    >>> [r.as_of for r in huawei.out if r.other == "kg:pytorch-foundation"]
    ['not yet']
    """
    entity = parts(entity).value
    around = _Around(as_store(source), entity)
    out = _relations(around, "out", as_of)
    types = tuple(
        sorted((curie(t), around.label(t)) for t in map(iri, around.objects(RDF_TYPE)) if t)
    )
    # Literal values without a claim are metadata (a source's title, a note); with one, facts.
    inbound = _relations(around, "in", as_of)
    properties = tuple((r.predicate, r.other) for r in out if r.literal and not r.claims)
    facts = tuple(r for r in out if r.literal and r.claims)
    links = tuple(r for r in out if not r.literal)
    quoted_by = tuple(sorted(term_text(n) for n in around.subjects(DERIVED_FROM)))
    return Description(
        iri=entity,
        curie=curie(entity),
        label=around.label(entity),
        labels=_labels(around, (RDFS_LABEL, SKOS_PREF)),
        alt_labels=_labels(around, (_SKOS + "altLabel", _SKOS + "hiddenLabel")),
        types=types,
        properties=properties,
        facts=facts,
        out=links,
        inbound=tuple(inbound),
        figures=tuple(_figures(around)),
        quoted_by=quoted_by,
        instances=tuple(
            sorted(
                (curie(i), around.label(i))
                for s in around.subjects(RDF_TYPE)
                if s not in around.claims and (i := iri(s))
            )
        ),
        as_of=as_of.isoformat() if as_of is not None else None,
        in_force=_in_force(around, as_of) if as_of is not None else None,
    )


def description_json(description: Description) -> dict:
    """Plain data for ``--json``."""
    return asdict(description)


# -- text ----------------------------------------------------------------------------------------


def _names(pairs: tuple[tuple[str, str], ...]) -> str:
    return " · ".join(f"{text}@{lang}" if lang else text for lang, text in pairs)


def _claim_lines(claim: Claim, indent: str, as_of: str | None = None) -> list[str]:
    head = f"{indent}[{claim.rank}] {claim.node}"
    if claim.verification:
        head += f" ({claim.verification})"
    if claim.as_of is not None and as_of is not None:
        head += f" [{_status_text(claim.as_of, as_of)}]"
    lines = [head]
    if claim.qualifiers:
        lines.append(f"{indent}  " + " · ".join(f"{p} {v}" for p, v in claim.qualifiers))
    if claim.source:
        source = claim.source
        if claim.source_label and claim.source_label != claim.source:
            source += f" ({claim.source_label})"
        lines.append(f"{indent}  source: {source}")
    else:
        lines.append(f"{indent}  source: none")
    if claim.cited:
        lines.append(f"{indent}  cites:  {', '.join(claim.cited)}")
    if claim.quote:
        lines.append(f"{indent}  quote:  {claim.quote}")
    if claim.gloss:
        lines.append(f"{indent}  gloss:  {claim.gloss}")
    return lines


def _relation_lines(relation: Relation, entity: str, as_of: str | None = None) -> list[str]:
    other = relation.other
    if relation.other_label not in (relation.other, ""):
        other += f" ({relation.other_label})"
    if relation.direction == "out":
        line = f"  {relation.predicate} → {other}"
    else:
        line = f"  {other} → {relation.predicate} → {entity}"
    if not relation.holds:
        line += "   (not current: no claim of the best rank)"
    elif not relation.claims:
        line += "   (no sourced claim)"
    if relation.as_of is not None and as_of is not None:
        line += f"   [{_status_text(relation.as_of, as_of)}]"
    lines = [line]
    for claim in relation.claims:
        lines.extend(_claim_lines(claim, "      ", as_of))
    return lines


def _status_text(status: str, day: str) -> str:
    return {
        HELD: f"held on {day}",
        NOT_YET: f"not yet on {day}",
        ENDED: f"ended before {day}",
        UNCERTAIN: f"dated too coarsely to tell for {day}",
        UNDATED: "undated",
    }[status]


def _as_of_summary(d: Description) -> str:
    counts: dict[str, int] = {}
    for relation in (*d.facts, *d.out, *d.inbound):
        counts[relation.as_of or UNDATED] = counts.get(relation.as_of or UNDATED, 0) + 1
    parts = ", ".join(f"{counts[s]} {s}" for s in _STATUS_ORDER if counts.get(s))
    line = f"  as of {d.as_of}: {parts or 'nothing to date'} (relationships and facts)"
    if d.in_force is not None:
        rule = {
            HELD: "in force",
            NOT_YET: "not yet in force",
            ENDED: "no longer in force",
            UNCERTAIN: "in force or not (dated too coarsely to tell)",
            UNDATED: "undated",
        }[d.in_force]
        line += f"; this rule: {rule}"
    return line


def render_description(description: Description) -> str:
    """The human-readable ``kg show`` text."""
    d = description
    lines = [f"{d.curie}  {d.label}" if d.label != d.curie else d.curie]
    if d.types:
        lines.append(
            "  types:   " + ", ".join(f"{c} ({lab})" if lab != c else c for c, lab in d.types)
        )
    if d.labels:
        lines.append("  labels:  " + _names(d.labels))
    if d.alt_labels:
        lines.append("  also:    " + _names(d.alt_labels))
    for predicate, value in d.properties:
        lines.append(f"  {predicate}: {value}")
    if d.as_of is not None:
        lines.append(_as_of_summary(d))
    day = d.as_of
    sections = (
        ("facts", [ln for r in d.facts for ln in _relation_lines(r, d.curie, day)]),
        ("relationships out", [ln for r in d.out for ln in _relation_lines(r, d.curie, day)]),
        ("relationships in", [ln for r in d.inbound for ln in _relation_lines(r, d.curie, day)]),
    )
    for title, body in sections:
        if body:
            lines.extend(["", f"{title}:", *body])
    if d.figures:
        lines.extend(["", "figures:"])
        for f in d.figures:
            who = f.vendor or "total"
            forecast = " (forecast)" if f.forecast else ""
            lines.append(
                f"  {f.kind}: {f.market} {who} {f.period}: {f.value} {f.unit}{forecast}".rstrip()
            )
            lines.extend(_claim_lines(f.claim, "      "))
    if d.instances:
        lines.extend(["", f"instances: {len(d.instances)}"])
        lines.extend(f"  {c} ({lab})" if lab != c else f"  {c}" for c, lab in d.instances)
    if d.quoted_by:
        lines.extend(["", f"claims derived from this source: {len(d.quoted_by)}"])
        lines.extend(f"  {node}" for node in d.quoted_by)
    return "\n".join(lines) + "\n"
