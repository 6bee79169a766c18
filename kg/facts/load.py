"""Load the ontology and the curated facts into one rdflib graph.

Facts are authored as statement nodes (Wikidata's model in plain RDF); the loader adds the
*truthy* triple ``S P O`` for every statement of the best rank for its ``(S, P)`` so that plain
SPARQL works, and the ORG membership view of ``org:memberOf`` statements.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from kg.errors import ParseError
from kg.ns import AICHIP, KG
from kg.project import Project, default_project
from kg.sparql.terms import PREFIXES

__all__ = [
    "PREFIXES",
    "LoadedGraph",
    "SourceIndex",
    "bind_prefixes",
    "derive_truthy",
    "load",
    "load_graph",
    "parse_turtle_file",
]

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")

#: The prefixes every query and export of the project uses.

_RANK_ORDER = {AICHIP.Preferred: 0, AICHIP.Normal: 1}


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, uri in PREFIXES.items():
        graph.bind(prefix, uri, override=True, replace=True)
    return graph


@dataclass
class SourceIndex:
    """Where each subject term is defined in the facts files, for ``file:line`` messages."""

    locations: dict[str, str] = field(default_factory=dict)
    mentions: dict[str, str] = field(default_factory=dict)

    _SUBJECT = re.compile(r"^(kg:[\w.\-]*[\w\-]|<[^>\s]+>)")
    _MENTION = re.compile(r"(?<![\w:])(kg:[\w.\-]*[\w\-]|aichip:\w+)")

    def add_file(self, display: str, text: str) -> None:
        for number, line in enumerate(text.splitlines(), start=1):
            where = f"{display}:{number}"
            match = self._SUBJECT.match(line)
            if match:
                self.locations.setdefault(match.group(1), where)
            for mention in self._MENTION.findall(line.split("#", 1)[0]):
                self.mentions.setdefault(mention, where)

    def locate(self, term: URIRef | str) -> str | None:
        """Where ``term`` is defined (its subject block), else where it is first mentioned."""
        text = str(term)
        for namespace, prefix in ((str(KG), "kg:"), (str(AICHIP._NS), "aichip:")):
            if text.startswith(namespace):
                key = prefix + text[len(namespace) :]
                return self.locations.get(key) or self.mentions.get(key)
        return self.locations.get(f"<{text}>")


@dataclass
class LoadedGraph:
    """The merged graph plus what validation needs to point at the author's files."""

    graph: Graph
    ontology: Graph
    facts: Graph
    index: SourceIndex
    project: Project


def parse_turtle_file(path: Path, display: str | None = None, graph: Graph | None = None) -> Graph:
    """Parse one Turtle file, turning rdflib's syntax errors into ``file:line: message``."""
    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ParseError(display, line, "not valid UTF-8") from None
    except OSError as exc:
        raise ParseError(display, None, exc.strerror or str(exc)) from None
    target = graph if graph is not None else Graph()
    scratch = Graph()
    try:
        scratch.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        line = text[: exc._i].count("\n") + 1 if isinstance(exc._i, int) else exc.lines + 1
        raise ParseError(display, line, f"Turtle syntax error: {exc._why}") from None
    except Exception as exc:  # rdflib raises assorted errors for bad literals and IRIs
        raise ParseError(display, None, f"cannot parse: {exc}") from None
    for triple in scratch:
        target.add(triple)
    for prefix, uri in scratch.namespaces():
        target.bind(prefix, uri, override=False)
    return target


def _best_rank(ranks: Iterable[URIRef]) -> int:
    return min((_RANK_ORDER.get(rank, 9) for rank in ranks), default=9)


def derive_truthy(facts: Graph) -> Graph:
    """Truthy triples (and ORG membership links) implied by the statement nodes in ``facts``."""
    derived = Graph()
    by_subject_predicate: dict[tuple, list[tuple]] = defaultdict(list)
    for statement in facts.subjects(RDF.type, AICHIP.Statement):
        subject = facts.value(statement, RDF.subject)
        predicate = facts.value(statement, RDF.predicate)
        obj = facts.value(statement, RDF.object)
        if subject is None or predicate is None or obj is None:
            continue  # SHACL reports the incomplete statement
        rank = facts.value(statement, AICHIP.rank) or AICHIP.Normal
        by_subject_predicate[(subject, predicate)].append((_RANK_ORDER.get(rank, 9), obj))
        if predicate == ORG.memberOf:
            derived.add((statement, RDF.type, ORG.Membership))
            derived.add((statement, ORG.member, subject))
            derived.add((statement, ORG.organization, obj))
    for (subject, predicate), ranked in by_subject_predicate.items():
        best = min(rank for rank, _ in ranked)
        if best > _RANK_ORDER[AICHIP.Normal]:
            continue  # only deprecated statements: nothing is truthy
        for rank, obj in ranked:
            if rank == best:
                derived.add((subject, predicate, obj))
    return derived


def load(project: Project | None = None) -> LoadedGraph:
    """Parse ontology and facts, derive truthy triples, and return them merged with an index."""
    project = project or default_project()
    ontology = Graph()
    for path in project.ontology_files():
        parse_turtle_file(path, project.display(path), ontology)
    facts = Graph()
    index = SourceIndex()
    files = project.facts_files()
    if not files:
        raise ParseError(project.display(project.facts_dir), None, "no .ttl files found")
    for path in files:
        display = project.display(path)
        parse_turtle_file(path, display, facts)
        index.add_file(display, path.read_text(encoding="utf-8"))
    merged = bind_prefixes(Graph())
    for part in (ontology, facts, derive_truthy(facts)):
        for triple in part:
            merged.add(triple)
    return LoadedGraph(graph=merged, ontology=ontology, facts=facts, index=index, project=project)


def load_graph(project: Project | None = None) -> Graph:
    """The merged graph only (ontology + facts + truthy triples)."""
    return load(project).graph
