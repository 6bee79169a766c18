"""``kg stats``: how big the graph is and how much of it is backed by a source.

Counts are over the merged graph (ontology + facts + derived truthy triples). An *entity* is a
typed ``kg:`` node that is not a claim; it is counted under each of its asserted (not inferred)
classes. A *relation* is a triple between two such entities, other than ``rdf:type``, annotations
and definitional properties (a market's region), and other than a source's own metadata; it
*carries a source* when a statement node with ``prov:wasDerivedFrom`` states that very triple.
That mirrors the ``unsourced-relation`` rule of ``kg validate``, so a valid graph scores 100 %.

The *knowledge targets* (:func:`knowledge_targets`) measure how far the curation has come: each
is one SPARQL count on the store (:data:`TARGET_QUERIES`), so it means the same on every engine.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from kg.explore.reading import as_store, select
from kg.sparql.terms import PREFIXES, curie, parts
from kg.tables import format_table

__all__ = [
    "GOALS",
    "SAME_FIELD",
    "SPEC_PREDICATES",
    "TARGET_QUERIES",
    "GraphStats",
    "Targets",
    "graph_stats",
    "knowledge_targets",
    "render_stats",
    "render_targets",
    "stats_json",
    "targets_json",
    "targets_met",
]

_AICHIP = PREFIXES["aichip"]
_RANKS = {
    _AICHIP + "Preferred": "preferred",
    _AICHIP + "Normal": "normal",
    _AICHIP + "Deprecated": "deprecated",
}
_KG = PREFIXES["kg"]


@dataclass(frozen=True)
class GraphStats:
    triples: int
    entities: int
    entities_per_class: tuple[tuple[str, int], ...]  # (class CURIE, count), largest first
    statements: int
    statements_per_rank: tuple[tuple[str, int], ...]
    observations: int
    observations_per_class: tuple[tuple[str, int], ...]
    sources: int
    sources_per_class: tuple[tuple[str, int], ...]
    claims_with_source: int
    claims_with_quote: int
    relations: int
    relations_with_source: int
    relations_per_predicate: tuple[tuple[str, int], ...]

    @property
    def claims(self) -> int:
        return self.statements + self.observations

    @property
    def relation_source_share(self) -> float:
        """Share (0–1) of relations that carry a source; 1.0 when there are none."""
        return self.relations_with_source / self.relations if self.relations else 1.0


def _instances(store: Any, root: str) -> dict[str, set]:
    """Each subclass of ``root`` (itself included) with its directly typed members."""
    members: dict[str, set] = defaultdict(set)
    for cls, member in select(
        store, f"SELECT ?c ?m WHERE {{ ?c rdfs:subClassOf* {root} . ?m a ?c }}"
    ):
        members[parts(cls).value].add(member)
    return members


def _column(store: Any, text: str) -> set:
    return {row[0] for row in select(store, text)}


def _sorted_counts(counter: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def graph_stats(source: Any) -> GraphStats:
    """Count ``source`` (a store, or an rdflib graph; see the module doc for what each number
    means), with a few SPARQL queries."""
    store = as_store(source)
    claim_members = _instances(store, "aichip:Claim")
    claims = set().union(*claim_members.values())
    statements = _column(store, "SELECT ?s WHERE { ?s a aichip:Statement }")
    observations = claims - statements
    source_members = _instances(store, "aichip:Source")
    sources = set().union(*source_members.values())

    per_class: Counter = Counter()
    entities = set()
    for subject, cls in select(
        store,
        f'SELECT ?s ?c WHERE {{ ?s a ?c FILTER(isIRI(?c) && STRSTARTS(STR(?s), "{_KG}")) }}',
    ):
        if subject not in claims and parts(subject).kind == "iri":
            entities.add(subject)
            per_class[curie(parts(cls).value)] += 1

    rank_of = dict(
        select(store, "SELECT ?s ?rank WHERE { ?s a aichip:Statement ; aichip:rank ?rank }")
    )
    ranks = Counter(
        _RANKS.get(parts(rank_of[s]).value if s in rank_of else "", "normal") for s in statements
    )
    observation_classes: Counter = Counter()
    for cls, members in claim_members.items():
        if cls not in (_AICHIP + "Claim", _AICHIP + "Statement", _AICHIP + "Observation"):
            observation_classes[curie(cls)] += len(members & observations)
    source_classes: Counter = Counter()
    for cls, members in source_members.items():
        if cls != _AICHIP + "Source" and members:
            source_classes[curie(cls)] += len(members)

    excluded = _column(
        store,
        "SELECT ?p WHERE { VALUES ?kind { owl:AnnotationProperty aichip:DefinitionalProperty } "
        "?p a ?kind }",
    )
    sourced_triples = set(
        select(
            store,
            "SELECT DISTINCT ?s ?p ?o WHERE { ?statement a aichip:Statement ; "
            "prov:wasDerivedFrom ?source ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }",
        )
    )
    relations = with_source = 0
    per_predicate: Counter = Counter()
    # Entities are kg: IRIs, so only triples between two of those can be relations.
    for triple in select(
        store,
        f'SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{_KG}") '
        f'&& STRSTARTS(STR(?s), "{_KG}") && ?p != rdf:type) }}',
    ):
        subject, predicate, obj = triple
        if (
            subject in entities
            and obj in entities
            and subject not in sources
            and predicate not in excluded
        ):
            relations += 1
            per_predicate[curie(parts(predicate).value)] += 1
            with_source += triple in sourced_triples

    with_a_source = _column(store, "SELECT DISTINCT ?c WHERE { ?c prov:wasDerivedFrom ?x }")
    quoted = _column(store, "SELECT DISTINCT ?c WHERE { ?c aichip:quote ?q FILTER(isLiteral(?q)) }")
    return GraphStats(
        triples=len(store),
        entities=len(entities),
        entities_per_class=_sorted_counts(per_class),
        statements=len(statements),
        statements_per_rank=_sorted_counts(ranks),
        observations=len(observations),
        observations_per_class=_sorted_counts(+observation_classes),
        sources=len(sources),
        sources_per_class=_sorted_counts(source_classes),
        claims_with_source=len(claims & with_a_source),
        claims_with_quote=len(claims & quoted),
        relations=relations,
        relations_with_source=with_source,
        relations_per_predicate=_sorted_counts(per_predicate),
    )


def stats_json(stats: GraphStats) -> dict:
    data = asdict(stats)
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = dict(value)
    data["claims"] = stats.claims
    data["relation_source_share"] = round(stats.relation_source_share, 4)
    return data


def render_stats(stats: GraphStats) -> str:
    """The human-readable ``kg stats`` text: a summary, then the breakdowns as tables."""
    share = f"{stats.relation_source_share * 100:.1f} %"
    summary = [
        ("triples", str(stats.triples)),
        ("entities", str(stats.entities)),
        ("claims", str(stats.claims)),
        ("  statements", str(stats.statements)),
        ("  observations", str(stats.observations)),
        ("  with a source", str(stats.claims_with_source)),
        ("  with a quote", str(stats.claims_with_quote)),
        ("sources", str(stats.sources)),
        ("relations", str(stats.relations)),
        ("  with a source", f"{stats.relations_with_source} ({share})"),
    ]
    parts = [format_table(("measure", "count"), summary, align_right=(False, True))]
    for title, rows in (
        ("class", stats.entities_per_class),
        ("statement rank", stats.statements_per_rank),
        ("observation class", stats.observations_per_class),
        ("source class", stats.sources_per_class),
        ("relation predicate", stats.relations_per_predicate),
    ):
        if rows:
            body = ((name, str(count)) for name, count in rows)
            parts.append(format_table((title, "count"), body, align_right=(False, True)))
    return "\n".join(parts)


# -- knowledge targets -----------------------------------------------------------------------

#: The reference sheet the graph was seeded from, and the Epoch catalogue it imports.
REFERENCE_SHEET = "kg:src-reference-sheet"
EPOCH = "kg:src-epoch-ml-hardware"
#: Specification fields counted for "data-centre chips with ≥ 8 sourced spec fields".
SPEC_PREDICATES = (
    "processNode",
    "dieAreaMM2",
    "transistorsBillion",
    "memoryGB",
    "memoryGiB",
    "memoryType",
    "memoryBandwidthGBps",
    "memorySuppliedBy",
    "packagedWith",
    "interconnect",
    "interconnectGBps",
    "tdpWatts",
    "fp16DenseTFLOPS",
    "bf16DenseTFLOPS",
    "fp8DenseTFLOPS",
    "fp4DenseTFLOPS",
    "int8DenseTOPS",
    "fp32TFLOPS",
    "tf32DenseTFLOPS",
    "releaseDate",
    "announcedDate",
    "fabricatedBy",
)
#: Predicates that state one field in another unit: a capacity in GiB and one in GB are one
#: field (the source's unit is kept, see facts/README.md), not two.
SAME_FIELD = {"memoryGiB": "memoryGB"}
SPEC_FIELDS_WANTED = 8
CHINESE_VENDOR_CLAIMS_WANTED = 5

#: Each spec predicate with the field it states: VALUES (?p ?field) in the queries below.
_SPEC_FIELDS = " ".join(f"(aichip:{p} aichip:{SAME_FIELD.get(p, p)})" for p in SPEC_PREDICATES)
_CLAIM = "?claim a/rdfs:subClassOf* aichip:Claim ."
#: A data-centre part: an accelerator (GPU, NPU…; not a server CPU) that a sourced claim puts
#: in the data-centre segment. The Epoch catalogue says nothing about segments, so its
#: consumer GPUs do not count.
_DATACENTRE_CHIP = (
    "?chip a/rdfs:subClassOf* aichip:AIAccelerator . ?segment rdf:subject ?chip ; "
    "rdf:predicate aichip:marketSegment ; rdf:object aichip:DataCentre ; "
    "prov:wasDerivedFrom ?segmentSource ."
)

#: Data-centre parts with fewer than SPEC_FIELDS_WANTED sourced spec fields, fewest first.
SHORT_DATACENTRE_QUERY = f"""
    SELECT ?chip (COUNT(DISTINCT ?field) AS ?fields) WHERE {{
      {_DATACENTRE_CHIP}
      OPTIONAL {{
        ?claim rdf:subject ?chip ; rdf:predicate ?p ; prov:wasDerivedFrom ?source .
        VALUES (?p ?field) {{ {_SPEC_FIELDS} }} }}
    }} GROUP BY ?chip HAVING (COUNT(DISTINCT ?field) < {SPEC_FIELDS_WANTED})
    ORDER BY ?fields ?chip"""

#: Each target's SPARQL: one row, one ?n. Shared with the tests' independent counts only
#: through these definitions' wording, not their text.
TARGET_QUERIES: dict[str, str] = {
    "chips": "SELECT (COUNT(DISTINCT ?chip) AS ?n) WHERE { ?chip a/rdfs:subClassOf* aichip:Chip }",
    "chips_with_curated_claims": f"""
        SELECT (COUNT(DISTINCT ?chip) AS ?n) WHERE {{
          ?chip a/rdfs:subClassOf* aichip:Chip .
          ?claim rdf:subject ?chip ; prov:wasDerivedFrom ?source .
          FILTER(?source != {EPOCH}) }}""",
    "datacentre_chips": f"""
        SELECT (COUNT(DISTINCT ?chip) AS ?n) WHERE {{ {_DATACENTRE_CHIP} }}""",
    "datacentre_chips_with_8_spec_fields": f"""
        SELECT (COUNT(?chip) AS ?n) WHERE {{
          SELECT ?chip (COUNT(DISTINCT ?field) AS ?fields) WHERE {{
            {_DATACENTRE_CHIP}
            ?claim rdf:subject ?chip ; rdf:predicate ?p ; prov:wasDerivedFrom ?source .
            VALUES (?p ?field) {{ {_SPEC_FIELDS} }}
          }} GROUP BY ?chip HAVING (COUNT(DISTINCT ?field) >= {SPEC_FIELDS_WANTED}) }}""",
    "companies": "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a aichip:Company }",
    "companies_with_hq_country_founding": """
        SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?c a aichip:Company ; aichip:headquarters ?hq ; aichip:country ?country ;
             aichip:foundingDate ?founded }""",
    "chinese_ai_chip_vendors": """
        SELECT (COUNT(DISTINCT ?vendor) AS ?n) WHERE {
          ?vendor aichip:country kg:china .
          ?product aichip:designedBy ?vendor .
          { ?product a/rdfs:subClassOf* aichip:Chip } UNION { ?product a aichip:ChipFamily } }""",
    "chinese_ai_chip_vendors_with_5_claims": f"""
        SELECT (COUNT(?vendor) AS ?n) WHERE {{
          SELECT ?vendor WHERE {{
            {{ SELECT DISTINCT ?vendor WHERE {{
                ?vendor aichip:country kg:china .
                ?product aichip:designedBy ?vendor .
                {{ ?product a/rdfs:subClassOf* aichip:Chip }}
                UNION {{ ?product a aichip:ChipFamily }}
            }} }}
            {{ ?claim rdf:subject ?vendor }} UNION {{ ?claim aichip:vendor ?vendor }}
            ?claim prov:wasDerivedFrom ?source .
          }} GROUP BY ?vendor
          HAVING (COUNT(DISTINCT ?claim) >= {CHINESE_VENDOR_CLAIMS_WANTED}) }}""",
    "claims": f"SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE {{ {_CLAIM} }}",
    "claims_with_explicit_rank": f"""
        SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE {{ {_CLAIM} ?claim aichip:rank ?rank }}""",
    "claims_beyond_reference_sheet": f"""
        SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE {{
          {_CLAIM} ?claim prov:wasDerivedFrom ?source . FILTER(?source != {REFERENCE_SHEET}) }}""",
    "claims_with_date_or_period": f"""
        SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE {{
          {_CLAIM} ?claim ?when ?date .
          VALUES ?when {{ aichip:startDate aichip:endDate aichip:pointInTime aichip:year
                         aichip:period }} }}""",
    "claims_without_upstream_source": f"""
        SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE {{
          {_CLAIM}
          FILTER NOT EXISTS {{
            ?claim prov:wasDerivedFrom ?source . FILTER(?source != {REFERENCE_SHEET}) }}
          FILTER NOT EXISTS {{ ?claim aichip:citedSource ?cited }} }}""",
}


@dataclass(frozen=True)
class Targets:
    """The knowledge targets, each counted by one query of :data:`TARGET_QUERIES`."""

    chips: int
    chips_with_curated_claims: int  # a claim from a source other than the Epoch import
    datacentre_chips: int  # accelerators a sourced marketSegment claim puts in DataCentre
    datacentre_chips_with_8_spec_fields: int  # distinct sourced fields (SAME_FIELD merged) ≥ 8
    companies: int
    companies_with_hq_country_founding: int
    chinese_ai_chip_vendors: int  # country China, designer of a chip or chip family
    chinese_ai_chip_vendors_with_5_claims: int  # ≥ 5 sourced claims about them
    likely_duplicates: int  # findings of kg validate's duplicate rule; 0 without the rule
    duplicate_rule: str | None  # that rule's name, None when kg validate has none
    claims: int
    claims_with_explicit_rank: int
    claims_beyond_reference_sheet: int  # derived from a document other than the sheet
    claims_with_date_or_period: int  # startDate, endDate, pointInTime, year or period
    claims_without_upstream_source: int  # only the reference sheet (or nothing), citing none
    #: data-centre parts under the spec-field goal, (CURIE, fields), so a miss names them
    datacentre_chips_short: tuple[tuple[str, int], ...] = ()

    def share(self, count: int) -> float:
        """``count`` as a share (0–1) of all claims; 0.0 when there are none.

        >>> _example().share(25)
        0.25
        """
        return round(count / self.claims, 4) if self.claims else 0.0


#: What each target asks of the graph: target → (the goal in words, whether it is met).
#: Data-centre parts are held to "every one", not a count, so adding a part without its
#: specifications shows up as a miss.
GOALS: dict[str, tuple[str, Callable[[Targets], bool]]] = {
    "chips_with_curated_claims": ("≥ 80", lambda t: t.chips_with_curated_claims >= 80),
    "datacentre_chips_with_8_spec_fields": (
        "all",
        lambda t: (
            t.datacentre_chips > 0 and t.datacentre_chips_with_8_spec_fields == t.datacentre_chips
        ),
    ),
    "companies_with_hq_country_founding": (
        "≥ 45",
        lambda t: t.companies_with_hq_country_founding >= 45,
    ),
    "chinese_ai_chip_vendors_with_5_claims": (
        "all",
        lambda t: (
            t.chinese_ai_chip_vendors > 0
            and t.chinese_ai_chip_vendors_with_5_claims == t.chinese_ai_chip_vendors
        ),
    ),
    "likely_duplicates": ("0", lambda t: t.duplicate_rule is not None and t.likely_duplicates == 0),
    "claims_with_explicit_rank": (
        "100 %",
        lambda t: t.claims > 0 and t.claims_with_explicit_rank == t.claims,
    ),
    "claims_beyond_reference_sheet": (
        "≥ 90 %",
        lambda t: t.share(t.claims_beyond_reference_sheet) >= 0.9,
    ),
    "claims_with_date_or_period": ("≥ 150", lambda t: t.claims_with_date_or_period >= 150),
}


def targets_met(targets: Targets) -> dict[str, bool]:
    """Whether each goal of :data:`GOALS` is met.

    >>> targets_met(_example())["likely_duplicates"]
    False
    """
    return {name: met(targets) for name, (_goal, met) in GOALS.items()}


def _example() -> Targets:
    return Targets(*(0,) * 9, None, 100, *(0,) * 4)


def _count(store, text: str) -> int:
    rows = select(store, text)
    return int(parts(rows[0][0]).value) if rows and rows[0][0] is not None else 0


#: ``kg validate``'s rule that :func:`likely_duplicates` counts (a test keeps them in step).
DUPLICATE_RULE = "likely-duplicate"


def duplicate_rule() -> str | None:
    """The name of ``kg validate``'s likely-duplicate rule."""
    return DUPLICATE_RULE


def knowledge_targets(store, project=None) -> Targets:
    """Count the knowledge targets on ``store`` (a :func:`kg.store.open_graph` store) with
    SPARQL; likely duplicates come from ``kg validate`` on ``project`` when it has that rule.
    """
    counts = {name: _count(store, text) for name, text in TARGET_QUERIES.items()}
    rule = duplicate_rule()
    duplicates = len(likely_duplicates(store)) if rule is not None else 0
    short = tuple(
        (curie(parts(chip).value), int(parts(fields).value))
        for chip, fields in select(store, SHORT_DATACENTRE_QUERY)
    )
    return Targets(
        **counts, likely_duplicates=duplicates, duplicate_rule=rule, datacentre_chips_short=short
    )


def likely_duplicates(store) -> list[tuple[str, str, str, str]]:
    """``kg validate``'s likely-duplicate pairs (:func:`kg.facts.names.duplicate_pairs`), read
    from ``store`` with SPARQL rather than by loading the facts (so no rdflib)."""
    from collections import defaultdict

    from kg.facts.names import NamedEntity, duplicate_pairs

    def rows(text: str) -> list[tuple[str, ...]]:
        return [tuple(parts(t).value for t in row) for row in store.query(text).native_rows]

    chip_classes = {c for (c,) in rows("SELECT ?c WHERE { ?c rdfs:subClassOf* aichip:Chip }")}
    english: dict[str, list[str]] = defaultdict(list)
    for subject, name in rows(
        "SELECT ?x ?l WHERE { ?x rdfs:label|skos:altLabel ?l FILTER(isIRI(?x) && isLiteral(?l) "
        '&& (lang(?l) = "" || langMatches(lang(?l), "en"))) }'
    ):
        english[subject].append(name)
    related: dict[str, set[str]] = defaultdict(set)
    for child, parent in rows("SELECT ?a ?b WHERE { ?a org:subOrganizationOf ?b }"):
        related[child].add(parent)
        related[parent].add(child)
    types: dict[str, set[str]] = defaultdict(set)
    designers: dict[str, set[str]] = defaultdict(set)
    for entity, maker, cls in rows(
        "SELECT ?e ?m ?t WHERE { ?e aichip:designedBy ?m FILTER(isIRI(?e)) OPTIONAL { ?e a ?t } }"
    ):
        designers[entity].add(maker)
        if cls:
            types[entity].add(cls)
    records = []
    for entity, direct in designers.items():
        makers = {o for m in direct for o in ({m} | related[m])}
        maker_names = [n for m in makers for n in english[m]]
        maker_names += [m.rsplit("/", 1)[-1] for m in makers]
        kind = "chip" if types[entity] & chip_classes else " ".join(sorted(types[entity]))
        records.append(
            NamedEntity(entity, kind, frozenset(makers), tuple(maker_names), tuple(english[entity]))
        )
    distinct = {
        frozenset(pair)
        for pair in rows("SELECT ?a ?b WHERE { ?a owl:differentFrom|aichip:variantOf ?b }")
    }
    return duplicate_pairs(records, distinct)


def targets_json(targets: Targets) -> dict:
    data = asdict(targets)
    for name in (
        "claims_with_explicit_rank",
        "claims_beyond_reference_sheet",
        "claims_with_date_or_period",
        "claims_without_upstream_source",
    ):
        data[f"{name}_share"] = targets.share(getattr(targets, name))
    data["goals"] = {name: goal for name, (goal, _met) in GOALS.items()}
    data["met"] = targets_met(targets)
    return data


def render_targets(targets: Targets) -> str:
    t = targets

    def pct(count: int) -> str:
        return f"{count} ({t.share(count) * 100:.1f} %)"

    met = targets_met(t)

    def goal(name: str) -> tuple[str, str]:
        return GOALS[name][0], "yes" if met[name] else "NO"

    rows = [
        (
            "chips with curated claims (not only Epoch)",
            f"{t.chips_with_curated_claims} of {t.chips}",
            *goal("chips_with_curated_claims"),
        ),
        (
            f"data-centre chips with ≥ {SPEC_FIELDS_WANTED} sourced spec fields",
            f"{t.datacentre_chips_with_8_spec_fields} of {t.datacentre_chips}",
            *goal("datacentre_chips_with_8_spec_fields"),
        ),
        (
            "companies with HQ, country and founding date",
            f"{t.companies_with_hq_country_founding} of {t.companies}",
            *goal("companies_with_hq_country_founding"),
        ),
        (
            f"Chinese AI-chip vendors with ≥ {CHINESE_VENDOR_CLAIMS_WANTED} sourced claims",
            f"{t.chinese_ai_chip_vendors_with_5_claims} of {t.chinese_ai_chip_vendors}",
            *goal("chinese_ai_chip_vendors_with_5_claims"),
        ),
        (
            "likely duplicates",
            str(t.likely_duplicates) if t.duplicate_rule else "0 (kg validate has no such rule)",
            *goal("likely_duplicates"),
        ),
        (
            "claims with an explicit rank",
            pct(t.claims_with_explicit_rank),
            *goal("claims_with_explicit_rank"),
        ),
        (
            "claims from a document other than the sheet",
            pct(t.claims_beyond_reference_sheet),
            *goal("claims_beyond_reference_sheet"),
        ),
        (
            "claims with a date or period",
            pct(t.claims_with_date_or_period),
            *goal("claims_with_date_or_period"),
        ),
        # Counted so that it can be watched, with no goal: some claims have no upstream.
        ("claims naming no upstream source", pct(t.claims_without_upstream_source), "", ""),
    ]
    table = format_table(
        ("knowledge target", "count", "goal", "met"),
        rows,
        align_right=(False, True, True, False),
    )
    if t.datacentre_chips_short:
        table += (
            f"data-centre chips with fewer than {SPEC_FIELDS_WANTED} sourced spec fields: "
            + ", ".join(f"{chip} ({fields})" for chip, fields in t.datacentre_chips_short)
            + "\n"
        )
    return table
