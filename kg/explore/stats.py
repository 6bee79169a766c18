"""``kg stats``: how big the graph is and how much of it is backed by a source.

Counts are over the merged graph (ontology + facts + derived truthy triples). An *entity* is a
typed ``kg:`` node that is not a claim; it is counted under each of its asserted (not inferred)
classes. A *relation* is a triple between two such entities, other than ``rdf:type``, annotations
and definitional properties (a market's region), and other than a source's own metadata; it
*carries a source* when a statement node with ``prov:wasDerivedFrom`` states that very triple.
That mirrors the ``unsourced-relation`` rule of ``kg validate``, so a valid graph scores 100 %.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDFS

from kg.ns import AICHIP, KG
from kg.sparql.terms import curie
from kg.tables import format_table

__all__ = ["GraphStats", "graph_stats", "render_stats", "stats_json"]

_RANKS = {AICHIP.Preferred: "preferred", AICHIP.Normal: "normal", AICHIP.Deprecated: "deprecated"}


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


def _instances(graph: Graph, root: URIRef) -> dict[URIRef, set]:
    """Each subclass of ``root`` (itself included) with its directly typed members."""
    classes = set(graph.transitive_subjects(RDFS.subClassOf, root))
    return {cls: set(graph.subjects(RDF.type, cls)) for cls in classes}


def _sorted_counts(counter: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def graph_stats(graph: Graph) -> GraphStats:
    """Count ``graph`` (see the module doc for what each number means)."""
    claim_members = _instances(graph, AICHIP.Claim)
    claims = set().union(*claim_members.values()) if claim_members else set()
    statements = set(graph.subjects(RDF.type, AICHIP.Statement))
    observations = claims - statements
    source_members = _instances(graph, AICHIP.Source)
    sources = set().union(*source_members.values()) if source_members else set()

    per_class: Counter = Counter()
    entities = set()
    for subject, cls in graph.subject_objects(RDF.type):
        if (
            isinstance(subject, URIRef)
            and str(subject).startswith(str(KG))
            and subject not in claims
            and isinstance(cls, URIRef)
        ):
            entities.add(subject)
            per_class[curie(cls)] += 1

    ranks = Counter(_RANKS.get(graph.value(s, AICHIP.rank), "normal") for s in statements)
    observation_classes: Counter = Counter()
    for cls, members in claim_members.items():
        if cls not in (AICHIP.Claim, AICHIP.Statement, AICHIP.Observation):
            observation_classes[curie(cls)] += len(members & observations)
    source_classes: Counter = Counter()
    for cls, members in source_members.items():
        if cls != AICHIP.Source and members:
            source_classes[curie(cls)] += len(members)

    excluded = set(graph.subjects(RDF.type, OWL.AnnotationProperty))
    excluded |= set(graph.subjects(RDF.type, AICHIP.DefinitionalProperty))
    excluded.add(RDF.type)
    sourced_triples = set()
    for statement in statements:
        if graph.value(statement, PROV.wasDerivedFrom) is None:
            continue
        sourced_triples.add(
            tuple(graph.value(statement, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        )
    relations = with_source = 0
    per_predicate: Counter = Counter()
    for subject, predicate, obj in graph:
        if (
            subject in entities
            and obj in entities
            and subject not in sources
            and predicate not in excluded
        ):
            relations += 1
            per_predicate[curie(predicate)] += 1
            with_source += (subject, predicate, obj) in sourced_triples

    return GraphStats(
        triples=len(graph),
        entities=len(entities),
        entities_per_class=_sorted_counts(per_class),
        statements=len(statements),
        statements_per_rank=_sorted_counts(ranks),
        observations=len(observations),
        observations_per_class=_sorted_counts(+observation_classes),
        sources=len(sources),
        sources_per_class=_sorted_counts(source_classes),
        claims_with_source=sum(
            1 for c in claims if graph.value(c, PROV.wasDerivedFrom) is not None
        ),
        claims_with_quote=sum(
            1 for c in claims if isinstance(graph.value(c, AICHIP.quote), Literal)
        ),
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
