"""The ontology documents itself: every aichip term has labels, a definition, and typing."""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import OWL, SKOS

from kg.ns import AICHIP
from tests.conftest import REPO

ONTOLOGY = Graph().parse(REPO / "ontology" / "aichip.ttl", format="turtle")
TERMS = sorted(
    {s for s in ONTOLOGY.subjects() if isinstance(s, URIRef) and s.startswith(str(AICHIP._NS))}
)
OWL_KINDS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}


def test_ontology_header_is_present():
    header = URIRef("https://w3id.org/aichip-kg/ontology")
    assert (header, RDF.type, OWL.Ontology) in ONTOLOGY
    assert ONTOLOGY.value(header, OWL.versionInfo) is not None


@pytest.mark.parametrize("term", TERMS, ids=lambda t: t.split("#")[-1])
def test_every_term_has_english_label_and_definition(term):
    english = [o for o in ONTOLOGY.objects(term, RDFS.label) if o.language == "en"]
    assert len(english) == 1, f"{term} needs exactly one @en rdfs:label"
    kinds = set(ONTOLOGY.objects(term, RDF.type))
    if kinds & OWL_KINDS:
        assert ONTOLOGY.value(term, SKOS.definition) or ONTOLOGY.value(term, RDFS.comment), (
            f"{term} needs a skos:definition"
        )


@pytest.mark.parametrize(
    "term",
    [t for t in TERMS if (t, RDF.type, OWL.ObjectProperty) in ONTOLOGY],
    ids=lambda t: t.split("#")[-1],
)
def test_object_properties_have_domain_or_range(term):
    has_domain = ONTOLOGY.value(term, RDFS.domain) is not None
    has_range = ONTOLOGY.value(term, RDFS.range) is not None
    parent = ONTOLOGY.value(term, RDFS.subPropertyOf)
    assert has_domain or has_range or parent is not None, f"{term} needs rdfs:domain/range"


def test_classes_have_chinese_labels():
    missing = [
        t.split("#")[-1]
        for t in TERMS
        if (t, RDF.type, OWL.Class) in ONTOLOGY
        and not any(o.language == "zh-Hans" for o in ONTOLOGY.objects(t, RDFS.label))
    ]
    # Internal modelling classes have no Chinese name in use; everything users see does.
    assert set(missing) <= {"DefinitionalProperty", "ReferenceSheet"}, missing
