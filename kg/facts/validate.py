"""Validation: SHACL shapes plus the integrity rules SHACL cannot express well.

Rules (each problem names one):

``syntax``             a facts or ontology file does not parse
``shacl``              a SHACL shape of ``ontology/shapes.ttl`` is violated
``undeclared-term``    a class or predicate used in facts is not declared in the ontology
``dangling-term``      a ``kg:`` entity is referred to but never declared (no ``rdf:type``)
``unsourced-relation`` a relationship between entities is asserted without a sourced statement
``unsourced-figure``   a literal fact or a figure has no source
``share-over-100``     vendor shares of one market and period add up to more than 100 %
``likely-duplicate``   two entities of one kind and one maker share a normalised name or model
                       number (:mod:`kg.facts.names`); ``owl:differentFrom`` (or a SKU's
                       ``aichip:variantOf``) says they differ
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import ORG, OWL, PROV, RDFS, SH, SKOS

from kg.errors import ParseError
from kg.facts.load import LoadedGraph, load
from kg.facts.names import NamedEntity, duplicate_pairs
from kg.ns import AICHIP, KG
from kg.project import Project

__all__ = ["RULES", "Problem", "ValidationReport", "validate", "validate_project"]

RULES = (
    "syntax",
    "shacl",
    "undeclared-term",
    "dangling-term",
    "unsourced-relation",
    "unsourced-figure",
    "share-over-100",
    "likely-duplicate",
    "bad-iri",
)

_PROPERTY_KINDS = (
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDF.Property,
    OWL.SymmetricProperty,
    OWL.TransitiveProperty,
)
_CLASS_KINDS = (OWL.Class, RDFS.Class)
# An IRIREF as written in Turtle, and its \u/\U escapes.
_IRIREF = re.compile(r"<((?:[^<>\\\s]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)>")
_UCHAR = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_RANK_ORDER = {AICHIP.Preferred: 0, AICHIP.Normal: 1}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, pointing at where to fix it."""

    location: str  # "facts/x.ttl:12", or the term's CURIE when no line is known
    rule: str
    term: str
    message: str

    def __str__(self) -> str:
        # A syntax error's term is its file, already at the head of "file:line".
        named = self.location == self.term or self.location.startswith(f"{self.term}:")
        head = self.location if named else f"{self.location}: {self.term}"
        return f"{head}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    problems: tuple[Problem, ...]
    triples: int

    @property
    def ok(self) -> bool:
        return not self.problems


def _did_you_mean(term) -> str:
    """``"; did you mean aichip:foundedBy?"`` for a misspelt ontology term, else ``""``."""
    from kg.sparql.vocabulary import closest_ontology_terms

    near = closest_ontology_terms(str(term))
    return f"; did you mean {', '.join(near)}?" if near else ""


def _curie(graph: Graph, term) -> str:
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:
            return f"<{term}>"
    return str(term)


class _Checker:
    def __init__(self, loaded: LoadedGraph) -> None:
        self.loaded = loaded
        self.graph = loaded.graph
        self.facts = loaded.facts
        self.problems: list[Problem] = []
        self.declared_properties = {
            s for kind in _PROPERTY_KINDS for s in loaded.ontology.subjects(RDF.type, kind)
        }
        self.declared_classes = {
            s for kind in _CLASS_KINDS for s in loaded.ontology.subjects(RDF.type, kind)
        }
        self.declared_individuals = {
            s for s in loaded.ontology.subjects(RDF.type, None) if isinstance(s, URIRef)
        }
        self.definitional = set(loaded.ontology.subjects(RDF.type, AICHIP.DefinitionalProperty))
        self.annotation = set(loaded.ontology.subjects(RDF.type, OWL.AnnotationProperty))
        self.claims = self._instances(AICHIP.Claim)
        self.sources = self._instances(AICHIP.Source)

    def _instances(self, cls: URIRef) -> set:
        classes = set(self.graph.transitive_subjects(RDFS.subClassOf, cls))
        return {s for c in classes for s in self.graph.subjects(RDF.type, c)}

    def report(self, rule: str, term, message: str) -> None:
        curie = _curie(self.graph, term)
        location = self.loaded.index.locate(term) if isinstance(term, URIRef) else None
        self.problems.append(Problem(location or curie, rule, curie, message))

    # -- rules ---------------------------------------------------------------------------

    def bad_iris(self) -> None:
        """IRIs the exporters cannot write (Turtle can smuggle them in as ``\\u003c``)."""
        from kg.export.formats import iri_problem

        seen: set = set()
        for triple in self.graph:
            for position, term in enumerate(triple):
                if isinstance(term, Literal) and term.datatype is not None:
                    iri, predicate = URIRef(term.datatype), False
                elif isinstance(term, URIRef):
                    iri, predicate = term, position == 1
                else:
                    continue
                if (iri, predicate) in seen:
                    continue
                seen.add((iri, predicate))
                problem = iri_problem(iri, predicate=predicate)
                if problem is not None:
                    shown = f"<{iri}>".encode("unicode_escape").decode("ascii")
                    where = self._iri_location(str(iri)) or shown
                    self.problems.append(
                        Problem(
                            where,
                            "bad-iri",
                            shown,
                            f"IRI {problem}; kg build would refuse it: percent-encode the "
                            "character (e.g. %3C for <)",
                        )
                    )

    def _iri_location(self, iri: str) -> str | None:
        """``file:line`` of the first IRIREF in the facts or ontology that spells ``iri``."""
        if not hasattr(self, "_iri_lines"):
            self._iri_lines: dict[str, str] = {}
            project = self.loaded.project
            for path in (*project.ontology_files(), *project.facts_files()):
                display = project.display(path)
                text = path.read_text(encoding="utf-8", errors="replace")
                for number, line in enumerate(text.splitlines(), start=1):
                    for found in _IRIREF.finditer(line):
                        decoded = _UCHAR.sub(
                            lambda m: chr(int(m.group(1) or m.group(2), 16)), found.group(1)
                        )
                        self._iri_lines.setdefault(decoded, f"{display}:{number}")
        return self._iri_lines.get(iri)

    def undeclared_terms(self) -> None:
        seen: set = set()
        for s, p, o in self.facts:
            if p not in self.declared_properties and ("p", p) not in seen:
                seen.add(("p", p))
                self.report(
                    "undeclared-term",
                    p,
                    "predicate is not declared in ontology/; fix the spelling or declare it "
                    "in ontology/aichip.ttl" + _did_you_mean(p),
                )
            if p == RDF.type and o not in self.declared_classes and ("c", o) not in seen:
                seen.update({("c", o), ("t", o)})  # one report for a misspelt class, not two
                self.report(
                    "undeclared-term",
                    o,
                    "class is not declared in ontology/; fix the spelling or declare it"
                    + _did_you_mean(o),
                )
            for term in (s, o):
                if (
                    isinstance(term, URIRef)
                    and str(term).startswith(str(AICHIP._NS))
                    and term not in self.declared_individuals
                    and ("t", term) not in seen
                ):
                    seen.add(("t", term))
                    self.report(
                        "undeclared-term",
                        term,
                        "ontology term does not exist in ontology/" + _did_you_mean(term),
                    )

    def dangling_terms(self) -> None:
        typed = set(self.graph.subjects(RDF.type, None))
        reported: set = set()
        for s, _p, o in self.facts:
            for term in (s, o):
                if (
                    isinstance(term, URIRef)
                    and str(term).startswith(str(KG))
                    and term not in typed
                    and term not in reported
                ):
                    reported.add(term)
                    self.report(
                        "dangling-term",
                        term,
                        "is used but never declared (no rdf:type); declare it in "
                        "facts/entities.ttl or fix the spelling",
                    )

    def _sourced_statements(self) -> set[tuple]:
        sourced = set()
        for statement in self.facts.subjects(RDF.type, AICHIP.Statement):
            if self.graph.value(statement, PROV.wasDerivedFrom) is None:
                continue
            triple = tuple(
                self.facts.value(statement, p) for p in (RDF.subject, RDF.predicate, RDF.object)
            )
            sourced.add(triple)
        return sourced

    def unsourced(self) -> None:
        sourced = self._sourced_statements()
        for s, p, o in sorted(self.facts):
            if (
                p == RDF.type
                or p in self.annotation
                or p in self.definitional
                or s in self.claims
                or s in self.sources
                or not str(s).startswith(str(KG))
            ):
                continue
            if (s, p, o) in sourced:
                continue
            rule = "unsourced-figure" if isinstance(o, Literal) else "unsourced-relation"
            shown = repr(str(o)) if isinstance(o, Literal) else _curie(self.graph, o)
            self.report(
                rule,
                s,
                f"{_curie(self.graph, p)} {shown} is asserted without a sourced "
                "aichip:Statement; write a statement with prov:wasDerivedFrom and aichip:quote",
            )
        for claim in sorted(self.claims):
            if self.graph.value(claim, PROV.wasDerivedFrom) is not None:
                continue
            is_figure = (claim, RDF.type, AICHIP.Statement) not in self.graph or isinstance(
                self.graph.value(claim, RDF.object), Literal
            )
            self.report(
                "unsourced-figure" if is_figure else "unsourced-relation",
                claim,
                "claim has no prov:wasDerivedFrom; name the source it is quoted from",
            )

    def shares_over_100(self) -> None:
        best: dict[tuple, dict] = defaultdict(dict)
        for obs in self._instances(AICHIP.MarketShareObservation):
            rank = _RANK_ORDER.get(self.graph.value(obs, AICHIP.rank) or AICHIP.Normal)
            value = self.graph.value(obs, AICHIP.value)
            market = self.graph.value(obs, AICHIP.market)
            period = self.graph.value(obs, AICHIP.year) or self.graph.value(obs, AICHIP.period)
            vendor = self.graph.value(obs, AICHIP.vendor) or self.graph.value(
                obs, AICHIP.vendorGroup
            )
            if rank is None or value is None or market is None or vendor is None:
                continue
            try:
                amount = Decimal(str(value))
            except ArithmeticError:
                continue
            key = (market, str(period))
            current = best[key].get(vendor)
            if current is None or rank < current[0]:
                best[key][vendor] = (rank, amount)
        for (market, period), vendors in sorted(best.items()):
            total = sum(amount for _, amount in vendors.values())
            if total > 100:
                self.report(
                    "share-over-100",
                    market,
                    f"best-ranked vendor shares for period {period} add up to {total} % "
                    f"({len(vendors)} vendors); rank a conflicting figure Deprecated or "
                    "fix the period",
                )

    def _english_names(self, term) -> list[str]:
        return [
            str(label)
            for predicate in (RDFS.label, SKOS.altLabel)
            for label in self.graph.objects(term, predicate)
            if isinstance(label, Literal) and (label.language or "en").startswith("en")
        ]

    def _kind(self, term, chip_classes: set) -> str:
        types = set(self.graph.objects(term, RDF.type))
        if types & chip_classes:
            return "chip"  # a GPU and an NPU of one name are still one chip
        return " ".join(sorted(str(t) for t in types))

    def likely_duplicates(self) -> None:
        """Two entities of one kind whose makers are the same organisation (or its parent or
        subsidiary) and whose names reduce to one key: one thing described twice."""
        g = self.graph
        chip_classes = set(g.transitive_subjects(RDFS.subClassOf, AICHIP.Chip))
        related: dict = {}

        def organisations(maker) -> set:
            if maker not in related:
                found = {maker}
                found.update(g.objects(maker, ORG.subOrganizationOf))
                found.update(g.subjects(ORG.subOrganizationOf, maker))
                related[maker] = found
            return related[maker]

        records = []
        for entity in sorted(set(g.subjects(AICHIP.designedBy, None))):
            if not isinstance(entity, URIRef) or entity in self.claims:
                continue
            makers = {o for m in g.objects(entity, AICHIP.designedBy) for o in organisations(m)}
            maker_names = [n for m in makers for n in self._english_names(m)]
            maker_names += [str(m).rsplit("/", 1)[-1] for m in makers]
            records.append(
                NamedEntity(
                    str(entity),
                    self._kind(entity, chip_classes),
                    frozenset(str(m) for m in makers),
                    tuple(maker_names),
                    tuple(self._english_names(entity)),
                )
            )
        # owl:differentFrom declares a distinction; a SKU's aichip:variantOf link implies one.
        distinct = {
            frozenset((str(s), str(o)))
            for predicate in (OWL.differentFrom, AICHIP.variantOf)
            for s, o in g.subject_objects(predicate)
            if isinstance(s, URIRef) and isinstance(o, URIRef)
        }
        for first_iri, second_iri, key, maker in duplicate_pairs(records, distinct):
            first, second = URIRef(first_iri), URIRef(second_iri)
            what, _, value = key.partition(":")
            evidence = "normalised name" if what == "name" else "model number"
            where = self.loaded.index.locate(second) or _curie(g, second)
            self.report(
                "likely-duplicate",
                first,
                f"and {_curie(g, second)} ({where}) are both made by "
                f"{_curie(g, URIRef(maker))} and share the {evidence} {value!r}; merge them, "
                f"or declare `{_curie(g, first)} owl:differentFrom {_curie(g, second)}` "
                "if they are distinct",
            )

    def shacl(self, shapes: Graph) -> None:
        from pyshacl import validate as shacl_validate  # heavy; only when validating

        conforms, results, _text = shacl_validate(
            self.graph,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
        )
        if conforms:
            return
        for result in results.subjects(RDF.type, SH.ValidationResult):
            focus = results.value(result, SH.focusNode)
            message = results.value(result, SH.resultMessage) or "violates a shape"
            path = results.value(result, SH.resultPath)
            value = results.value(result, SH.value)
            detail = f" ({_curie(self.graph, path)}" if path is not None else ""
            if detail and value is not None:
                detail += f" = {_curie(self.graph, value)}"
            detail += ")" if detail else ""
            self.report("shacl", focus, f"{message}{detail}")


def validate(loaded: LoadedGraph, *, shacl: bool = True) -> ValidationReport:
    """Run every rule over an already loaded graph."""
    checker = _Checker(loaded)
    checker.bad_iris()
    checker.undeclared_terms()
    checker.dangling_terms()
    checker.unsourced()
    checker.shares_over_100()
    checker.likely_duplicates()
    if shacl and loaded.project.shapes_path.exists():
        from kg.facts.load import parse_turtle_file

        shapes_path = loaded.project.shapes_path
        checker.shacl(parse_turtle_file(shapes_path, loaded.project.display(shapes_path)))
    problems = tuple(sorted(set(checker.problems)))
    return ValidationReport(problems=problems, triples=len(loaded.graph))


def validate_project(project: Project | None = None, *, shacl: bool = True) -> ValidationReport:
    """Load and validate; a syntax error becomes a single ``syntax`` problem."""
    try:
        loaded = load(project)
    except ParseError as exc:
        problem = Problem(
            f"{exc.path}:{exc.line}" if exc.line else exc.path, "syntax", exc.path, exc.message
        )
        return ValidationReport(problems=(problem,), triples=0)
    return validate(loaded, shacl=shacl)
