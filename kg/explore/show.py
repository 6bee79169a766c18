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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDFS, SKOS

from kg.explore.search import NAME_PROPERTIES, best_label
from kg.facts.time import ENDED, HELD, NOT_YET, UNCERTAIN, UNDATED, status_at
from kg.ns import AICHIP
from kg.sparql.terms import curie, term_text

__all__ = [
    "Claim",
    "Description",
    "Figure",
    "Relation",
    "describe",
    "description_json",
    "render_description",
]

_RANKS = {AICHIP.Preferred: "preferred", AICHIP.Normal: "normal", AICHIP.Deprecated: "deprecated"}
# Claim properties that are not qualifiers: the triple itself and its references.
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
    URIRef("http://www.w3.org/ns/org#member"),
    URIRef("http://www.w3.org/ns/org#organization"),
}
_OBSERVATION_CORE = {
    AICHIP.value,
    AICHIP.unit,
    AICHIP.market,
    AICHIP.vendor,
    AICHIP.vendorGroup,
    AICHIP.year,
    AICHIP.period,
}
_SKIP_OUT = {RDF.type, *(p for p in NAME_PROPERTIES if p != DCTERMS.title)}
_SCHEMA_LINKS = {RDFS.subClassOf, RDFS.subPropertyOf}


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


def _label(graph: Graph, term: Any) -> str:
    if isinstance(term, URIRef):
        return best_label(graph, term)
    return term_text(term)


def _text(term: Any) -> str:
    return curie(term) if isinstance(term, URIRef) else term_text(term)


def _claim_classes(graph: Graph) -> set:
    return set(graph.transitive_subjects(RDFS.subClassOf, AICHIP.Claim))


def _claim(graph: Graph, node: Any, skip: set) -> Claim:
    source = graph.value(node, PROV.wasDerivedFrom)
    quote = graph.value(node, AICHIP.quote)
    gloss = graph.value(node, AICHIP.gloss)
    rank = graph.value(node, AICHIP.rank)
    verification = graph.value(node, AICHIP.verification)
    qualifiers = sorted(
        (curie(p), _text(o))
        for p, o in graph.predicate_objects(node)
        if p not in skip and isinstance(p, URIRef)
    )
    return Claim(
        node=_text(node),
        rank=_RANKS.get(rank, "normal"),
        source=_text(source) if source is not None else None,
        source_label=_label(graph, source) if source is not None else None,
        quote=term_text(quote) if quote is not None else None,
        gloss=str(gloss) if gloss is not None else None,
        cited=tuple(sorted(_text(c) for c in graph.objects(node, AICHIP.citedSource))),
        qualifiers=tuple(qualifiers),
        verification=str(verification) if verification is not None else None,
    )


def _relations(graph: Graph, entity: URIRef, claims: set, direction: str) -> list[Relation]:
    """Links out of (or into) ``entity``: statements grouped by triple, plus truthy triples."""
    end, other_end = (RDF.subject, RDF.object) if direction == "out" else (RDF.object, RDF.subject)
    grouped: dict[tuple, list] = defaultdict(list)
    for statement in graph.subjects(end, entity):
        if (statement, RDF.type, AICHIP.Statement) not in graph:
            continue
        predicate = graph.value(statement, RDF.predicate)
        other = graph.value(statement, other_end)
        if predicate is None or other is None:
            continue
        grouped[(predicate, other)].append(statement)
    if direction == "out":
        truthy = {(p, o) for p, o in graph.predicate_objects(entity) if p not in _SKIP_OUT}
    else:
        truthy = {
            (p, s)
            for s, p in graph.subject_predicates(entity)
            if s not in claims and p != RDF.type and not isinstance(s, BNode)
        }
    # Ontology-level annotations (rdfs:domain and the like) are not what `show` is for.
    truthy = {
        (p, o)
        for p, o in truthy
        if p in _SCHEMA_LINKS or not str(p).startswith((str(RDFS), str(OWL)))
    }
    relations = []
    for predicate, other in sorted(
        grouped.keys() | truthy, key=lambda k: (_text(k[0]), _text(k[1]))
    ):
        nodes = sorted(grouped.get((predicate, other), []), key=_text)
        relations.append(
            Relation(
                direction=direction,
                predicate=curie(predicate),
                predicate_label=_label(graph, predicate),
                other=_text(other),
                other_label=_label(graph, other),
                holds=(predicate, other) in truthy,
                claims=tuple(_claim(graph, n, _CLAIM_CORE) for n in nodes),
                literal=isinstance(other, Literal),
            )
        )
    return relations


def _figures(graph: Graph, entity: URIRef, claim_classes: set) -> list[Figure]:
    nodes = set(graph.subjects(AICHIP.vendor, entity)) | set(graph.subjects(AICHIP.market, entity))
    figures = []
    for node in nodes:
        kinds = [t for t in graph.objects(node, RDF.type) if t in claim_classes]
        if not kinds:
            continue
        kind = min((_label(graph, k) for k in kinds), key=lambda k: (k == "observation", k))
        unit = graph.value(node, AICHIP.unit)
        notation = graph.value(unit, SKOS.notation) if unit is not None else None
        period = graph.value(node, AICHIP.year) or graph.value(node, AICHIP.period)
        vendor = graph.value(node, AICHIP.vendor) or graph.value(node, AICHIP.vendorGroup)
        figures.append(
            Figure(
                node=_text(node),
                kind=kind,
                value=str(graph.value(node, AICHIP.value) or ""),
                unit=str(notation) if notation is not None else (_text(unit) if unit else ""),
                market=_text(graph.value(node, AICHIP.market) or ""),
                vendor=_text(vendor) if vendor is not None else "",
                period=str(period or ""),
                forecast=bool(graph.value(node, AICHIP.isForecast)),
                claim=_claim(graph, node, _CLAIM_CORE | _OBSERVATION_CORE),
            )
        )
    return sorted(figures, key=lambda f: (f.market, f.kind, f.period, f.vendor, f.node))


def _labels(graph: Graph, entity: URIRef, props) -> tuple[tuple[str, str], ...]:
    values = {
        (v.language or "", str(v))
        for p in props
        for v in graph.objects(entity, p)
        if isinstance(v, Literal)
    }
    order = {"en": 0, "zh-Hans": 1, "zh-Hant": 2}
    return tuple(sorted(values, key=lambda lv: (order.get(lv[0], 3), lv[0], lv[1])))


_STATUS_ORDER = (HELD, UNCERTAIN, UNDATED, NOT_YET, ENDED)


def _dated(graph: Graph, relation: Relation, when: date) -> Relation:
    claims = []
    for claim in relation.claims:
        node = _node_of(graph, claim.node)
        start = graph.value(node, AICHIP.startDate) if node is not None else None
        end = graph.value(node, AICHIP.endDate) if node is not None else None
        if start is None and node is not None:
            # What a rule or listing says (restricts, listedEntity) holds once it takes effect.
            subject = graph.value(node, RDF.subject)
            effective = sorted(str(d) for d in graph.objects(subject, AICHIP.effectiveDate))
            start = effective[0] if effective else None
        claims.append(replace(claim, as_of=status_at(when, start, end)))
    live = [c.as_of for c in claims if c.rank != "deprecated"] or [c.as_of for c in claims]
    # A claim that dates the relationship says more than one that does not (the undated claim
    # is still marked undated on its own line).
    dated = [status for status in live if status != UNDATED]
    best = min(dated, key=_STATUS_ORDER.index) if dated else UNDATED
    return replace(relation, claims=tuple(claims), as_of=best)


def _node_of(graph: Graph, text: str) -> URIRef | None:
    from kg.export.entity_graph import expand_curie

    node = expand_curie(text)
    return node if (node, None, None) in graph else None


def _in_force(graph: Graph, entity: URIRef, when: date) -> str | None:
    """A rule's status on ``when`` from its best-ranked effective and end dates."""
    effective = sorted(str(d) for d in graph.objects(entity, AICHIP.effectiveDate))
    if not effective:
        return None
    ends = sorted(str(d) for d in graph.objects(entity, AICHIP.endDate))
    return status_at(when, effective[0], ends[0] if ends else None)


def describe(graph: Graph, entity: URIRef, *, as_of: date | None = None) -> Description:
    """Gather what ``graph`` says about ``entity`` (resolve names with kg.explore.search);
    with ``as_of``, whether each claim held on that day.

    >>> import kg
    >>> from datetime import date
    >>> from kg.ns import KG
    >>> huawei = describe(kg.open().rdflib(), KG.huawei, as_of=date(2023, 1, 1))
    >>> [r.as_of for r in huawei.out if r.other == "kg:pytorch-foundation"]
    ['not yet']
    """
    claim_classes = _claim_classes(graph)
    claims = {n for cls in claim_classes for n in graph.subjects(RDF.type, cls)}
    out = _relations(graph, entity, claims, "out")
    types = tuple(
        sorted(
            (curie(t), _label(graph, t))
            for t in graph.objects(entity, RDF.type)
            if isinstance(t, URIRef)
        )
    )
    # Literal values without a claim are metadata (a source's title, a note); with one, facts.
    inbound = _relations(graph, entity, claims, "in")
    if as_of is not None:
        out = [_dated(graph, r, as_of) for r in out]
        inbound = [_dated(graph, r, as_of) for r in inbound]
    properties = tuple((r.predicate, r.other) for r in out if r.literal and not r.claims)
    facts = tuple(r for r in out if r.literal and r.claims)
    links = tuple(r for r in out if not r.literal)
    quoted_by = tuple(sorted(_text(n) for n in graph.subjects(PROV.wasDerivedFrom, entity)))
    return Description(
        iri=str(entity),
        curie=curie(entity),
        label=best_label(graph, entity),
        labels=_labels(graph, entity, (RDFS.label, SKOS.prefLabel)),
        alt_labels=_labels(graph, entity, (SKOS.altLabel, SKOS.hiddenLabel)),
        types=types,
        properties=properties,
        facts=facts,
        out=links,
        inbound=tuple(inbound),
        figures=tuple(_figures(graph, entity, claim_classes)),
        quoted_by=quoted_by,
        instances=tuple(
            sorted(
                (curie(i), _label(graph, i))
                for i in graph.subjects(RDF.type, entity)
                if isinstance(i, URIRef) and i not in claims
            )
        ),
        as_of=as_of.isoformat() if as_of is not None else None,
        in_force=_in_force(graph, entity, as_of) if as_of is not None else None,
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
