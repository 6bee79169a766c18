"""Every entity with a Chinese name carries it in both scripts, so search and views find it."""

from __future__ import annotations

from rdflib import RDF, RDFS

from kg.facts.load import load_graph
from kg.ns import AICHIP, KG


def test_chinese_names_come_in_both_scripts():
    graph = load_graph()
    sources = set(graph.subjects(RDF.type, None)) & {
        s
        for c in graph.transitive_subjects(RDFS.subClassOf, AICHIP.Source)
        for s in graph.subjects(RDF.type, c)
    }
    one_script_only = []
    for entity in sorted(set(graph.subjects(RDFS.label, None))):
        if not str(entity).startswith(str(KG)) or entity in sources:
            continue  # a source's title is in whatever script it was published in
        tags = {label.language for label in graph.objects(entity, RDFS.label)}
        if ("zh-Hans" in tags) != ("zh-Hant" in tags):
            one_script_only.append((entity, sorted(t for t in tags if t)))
    assert not one_script_only, one_script_only
