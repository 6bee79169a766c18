"""kg.facts.infer (the closure behind ``kg query --infer``) answers as owlrl's OWL-RL closure does.

owlrl, the engine --infer used before, is the oracle: its closure of the curated graph is
computed once per module (about ten seconds), in the configuration --infer used
(``OWLRL_Semantics``, no axiomatic or datatype triples). Every competency question, every
``?x a C`` for a class declared in ontology/aichip.ttl and every ``?s P ?o`` for a property
declared there (which covers sub-property queries) must give the same answers over both.

The two closures differ by design in exactly five ways (docs/inference.md says why);
:class:`Design` recognises them and nothing else, and ``test_closures_differ_only_by_design``
checks that no other triple is in one closure and not the other:

1. reflexive ``x owl:sameAs x``: owlrl adds it for every term of the graph (rule eq-ref), ours
   only for the terms of an ``owl:sameAs`` statement (every one of which owlrl has too);
2. triples whose subject is a literal (``"HBM3" owl:sameAs "HBM3"``, ``"2.5"^^xsd:decimal a
   xsd:decimal``), which owlrl writes in generalised RDF and RDF itself does not allow;
3. owlrl's axioms about the W3C vocabulary itself, written even with ``axiomatic_triples``
   off: ``xsd:…``/``rdf:…``/``rdfs:Literal a rdfs:Datatype``, ``owl:versionInfo`` and its
   kin ``a owl:AnnotationProperty``, ``xsd:anyURI owl:disjointWith xsd:boolean`` and such;
4. ``x a owl:Thing`` for an ``x`` in no declared class (a class, a property, the ontology, an
   untyped individual): reasonable makes every subject an ``owl:Thing``, owlrl only the
   members of a declared class (through ``C rdfs:subClassOf owl:Thing``);
5. ``X rdfs:subClassOf X`` / ``rdfs:subPropertyOf`` / ``owl:equivalentClass`` /
   ``owl:equivalentProperty`` for an undeclared ``X`` in a cycle (two undeclared terms stated
   equivalent): the rules scm-sco / scm-spo and scm-eqc2 / scm-eqp2 entail it, reasonable
   derives it for classes and kg.facts.infer for properties; owlrl leaves it out. (Declared
   classes and properties get it from scm-cls / scm-op in both.)

On the curated graph, 1 to 4 occur (5 needs undeclared equivalent terms, which it has not);
the small graph below has all five.
"""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS

import kg.facts.infer
from kg.facts import cache as kgcache
from kg.facts.infer import closure, expand, infer_closure
from kg.project import Project
from kg.store.memory import rdflib_query
from tests.conftest import FIXTURES, REPO

QUERIES = REPO / "kg" / "queries"
ONTOLOGY = REPO / "ontology" / "aichip.ttl"
EX = Namespace("http://example.org/")

# Not rdflib's XSD namespace object: pytest, collecting this module, asks every global for
# attributes, and XSD warns about each one it does not define.
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = URIRef(XSD_NS + "string")
VOCABULARY = (*(str(ns) for ns in (RDF, RDFS, OWL)), XSD_NS)
PROPERTY_KINDS = frozenset(
    {
        RDF.Property,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.SymmetricProperty,
        OWL.TransitiveProperty,
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
    }
)
SCHEMA_RELATIONS = frozenset(
    {RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}
)


# -- the differences by design ----------------------------------------------------------------


def _vocabulary(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(VOCABULARY)


@dataclass(frozen=True)
class Design:
    """What the documented differences depend on, taken from the closures compared."""

    declared: frozenset  # typed as a class or a property, so scm-cls / scm-op / scm-dp apply
    members: frozenset  # typed with a class other than owl:Thing and owl:Nothing

    @classmethod
    def of(cls, *graphs: Graph) -> Design:
        declared, members = set(), set()
        for graph in graphs:
            classes = set(graph.subjects(RDF.type, OWL.Class)) - {OWL.Thing, OWL.Nothing}
            declared |= classes
            for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property):
                declared.update(graph.subjects(RDF.type, kind))
            members.update(s for s, o in graph.subject_objects(RDF.type) if o in classes)
        return cls(frozenset(declared), frozenset(members))

    def __call__(self, triple) -> bool:
        """Whether ``triple`` is one of the five documented differences (module doc)."""
        s, p, o = triple
        if p == OWL.sameAs and s == o:  # 1
            return True
        if isinstance(s, Literal):  # 2
            return True
        if _vocabulary(s) and (  # 3
            (p == RDF.type and o in (RDFS.Datatype, OWL.AnnotationProperty))
            or (p == OWL.disjointWith and _vocabulary(o))
        ):
            return True
        if p == RDF.type and o == OWL.Thing:  # 4
            return s not in self.members
        return s == o and p in SCHEMA_RELATIONS and s not in self.declared  # 5


def owlrl_closure(graph: Graph) -> Graph:
    """owlrl's closure of a copy of ``graph``, as ``kg query --infer`` computed it before."""
    import owlrl

    copy = Graph()
    copy.addN((s, p, o, copy) for s, p, o in graph)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(copy)
    return copy


def assert_same_but_by_design(ours: Graph, oracle: Graph) -> None:
    by_design = Design.of(ours, oracle)
    mine, theirs = set(ours), set(oracle)
    only_ours = sorted(t for t in mine - theirs if not by_design(t))
    only_theirs = sorted(t for t in theirs - mine if not by_design(t))
    lines = [f"+ {' '.join(x.n3() for x in t)}" for t in only_ours[:20]]
    lines += [f"- {' '.join(x.n3() for x in t)}" for t in only_theirs[:20]]
    assert not only_ours and not only_theirs, (
        f"{len(only_ours)} only in ours (+), {len(only_theirs)} only in owlrl's (-)\n"
        + "\n".join(lines)
    )
    # Difference 1 goes one way: every x owl:sameAs x of ours is owlrl's too.
    assert {t for t in mine if t[1] == OWL.sameAs and t[0] == t[2]} <= theirs


# -- the curated graph, closed both ways (once per module) ------------------------------------


def _same_order(graph: Graph, common: list) -> Graph:
    """``graph`` rebuilt with the ``common`` triples first, in one order, then its own.

    rdflib's store yields triples in the order they were added, and SAMPLE and GROUP_CONCAT
    keep the order in which solutions come. Added alike, the triples both closures share come
    out alike, so a competency question picks the same SAMPLE from both."""
    ordered = Graph()
    for prefix, namespace in graph.namespaces():
        ordered.bind(prefix, namespace, override=True, replace=True)
    ordered.addN((s, p, o, ordered) for s, p, o in common)
    own = set(graph).difference(common)
    ordered.addN((s, p, o, ordered) for s, p, o in sorted(own))
    return ordered


@pytest.fixture(scope="module")
def curated() -> Graph:
    """The curated graph, loaded as ``kg query`` loads it (without reading or writing a cache)."""
    return kgcache.load_cached(Project.at(REPO), use_cache=False).graph


@pytest.fixture(scope="module")
def closures(curated) -> tuple[Graph, Graph, Design]:
    """(ours, owlrl's, the differences by design) for the curated graph; the triples the two
    closures share are added to both alike."""
    ours = infer_closure(curated)  # what --infer answers over
    oracle = owlrl_closure(curated)
    common = sorted(set(ours) & set(oracle))
    return _same_order(ours, common), _same_order(oracle, common), Design.of(ours, oracle)


def _answers(graph: Graph, text: str, source: str, drop=None) -> Counter:
    """The rows of a SELECT query, as a multiset, less those for which ``drop`` is true."""
    result = rdflib_query(graph, text, source=source)
    assert result.kind == "SELECT"
    return Counter(row for row in result.rows if drop is None or not drop(row))


def _declared(kinds) -> list[URIRef]:
    ontology = Graph().parse(ONTOLOGY)
    return sorted({s for s, o in ontology.subject_objects(RDF.type) if o in kinds})


CLASSES = _declared({OWL.Class, RDFS.Class})
PROPERTIES = _declared(PROPERTY_KINDS)
COMPETENCY = sorted(QUERIES.glob("*.rq"))


def test_the_ontology_declares_what_these_tests_walk():
    assert len(CLASSES) > 40 and len(PROPERTIES) > 100 and len(COMPETENCY) >= 12
    assert RDF.type in PROPERTIES and OWL.sameAs in PROPERTIES


@pytest.mark.parametrize("path", COMPETENCY, ids=lambda p: p.stem)
def test_competency_question_answers_as_with_owlrl(closures, path):
    ours, oracle, _ = closures
    text = path.read_text(encoding="utf-8")
    mine = _answers(ours, text, path.name)
    assert mine == _answers(oracle, text, path.name)
    assert mine, f"{path.name} has no answer: nothing is compared"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.n3())
def test_class_membership_answers_as_with_owlrl(closures, cls):
    """``?x a C`` for every declared class: no difference by design touches these."""
    ours, oracle, _ = closures
    text = f"SELECT ?x WHERE {{ ?x a <{cls}> }}"
    assert _answers(ours, text, "class") == _answers(oracle, text, "class")


@pytest.mark.parametrize("prop", PROPERTIES, ids=lambda p: p.n3())
def test_property_membership_answers_as_with_owlrl(closures, prop):
    """``?s P ?o`` for every declared property. Only ``owl:sameAs`` and ``rdf:type`` (both
    declared in the ontology) meet differences by design, and leave out exactly those rows."""
    ours, oracle, by_design = closures
    text = f"SELECT ?s ?o WHERE {{ ?s <{prop}> ?o }}"

    def drop(row) -> bool:
        return by_design((row[0], prop, row[1]))

    mine = _answers(ours, text, "property", drop)
    assert mine == _answers(oracle, text, "property", drop)
    if prop not in (OWL.sameAs, RDF.type):
        assert mine == _answers(ours, text, "property"), "a difference by design left rows out"


def test_closures_differ_only_by_design(closures):
    ours, oracle, _ = closures
    assert_same_but_by_design(ours, oracle)


def test_inference_adds_what_queries_need(curated, closures):
    """Not vacuous: the closure types chips through subclasses and adds many triples."""
    ours = closures[0]
    chip = URIRef("https://w3id.org/aichip-kg/ontology#Chip")
    assert len(set(ours.subjects(RDF.type, chip))) > len(set(curated.subjects(RDF.type, chip)))
    assert len(ours) > len(curated) + 5000


def test_closure_shares_one_object_per_term(curated):
    """The cache pickles the closure as it is (kg.cache): equal terms must be one object. So
    every literal is spelled as in the input too (language tags in their case)."""
    terms = [t for triple in infer_closure(curated) for t in triple]
    assert len({id(t) for t in terms}) == len(set(terms))
    spelled = {(t, t.language, t.datatype) for t in curated.objects() if isinstance(t, Literal)}
    assert {(t, t.language, t.datatype) for t in terms if isinstance(t, Literal)} == spelled


# -- small graphs: the rules one by one, and what closure() promises ---------------------------

SMALL = """
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:Chip a owl:Class .  ex:NPU a owl:Class ; rdfs:subClassOf ex:Chip .
ex:Processor a owl:Class ; owl:equivalentClass ex:Chip .
ex:Org a owl:Class .  ex:Company a owl:Class ; rdfs:subClassOf ex:Org .
ex:designedBy a owl:ObjectProperty ; rdfs:domain ex:NPU ; rdfs:range ex:Company .
ex:leadDesigner a owl:ObjectProperty ; rdfs:subPropertyOf ex:designedBy .
ex:madeBy a owl:ObjectProperty ; owl:equivalentProperty ex:builtBy .
ex:competesWith a owl:ObjectProperty , owl:SymmetricProperty .
ex:partOf a owl:ObjectProperty , owl:TransitiveProperty .
ex:designs a owl:ObjectProperty ; owl:inverseOf ex:designedBy .
ex:name a owl:DatatypeProperty ; rdfs:subPropertyOf rdfs:label .

ex:ascend ex:leadDesigner ex:huawei ; ex:name "Ascend", "昇腾"@zh-Hans ;
    ex:code "910"^^xsd:string ; ex:madeBy ex:smic ; ex:competesWith ex:h100 .
ex:die ex:partOf ex:board .  ex:board ex:partOf ex:server .
ex:huawei owl:sameAs ex:huawei-technologies .
ex:huawei-technologies ex:hq [ ex:city "Shenzhen" ] .
"""


@pytest.fixture(scope="module")
def small() -> Graph:
    return Graph().parse(data=SMALL, format="turtle")


def test_small_graph_closure_matches_owlrl_but_by_design(small):
    assert_same_but_by_design(closure(small), owlrl_closure(small))


def test_small_graph_rules(small):
    c = closure(small)
    assert (EX.ascend, RDF.type, EX.Chip) in c  # domain, then subclass
    assert (EX.ascend, RDF.type, EX.Processor) in c  # equivalent class
    assert (EX.huawei, RDF.type, EX.Org) in c  # range via a subproperty, then subclass
    assert (EX.huawei, EX.designs, EX.ascend) in c  # inverse
    assert (EX.h100, EX.competesWith, EX.ascend) in c  # symmetric
    assert (EX.die, EX.partOf, EX.server) in c  # transitive
    assert (EX.ascend, EX.builtBy, EX.smic) in c  # equivalent property
    (office,) = small.objects(EX["huawei-technologies"], EX.hq)
    assert (EX.huawei, EX.hq, office) in c  # owl:sameAs carries statements across
    assert (EX.ascend, RDFS.label, Literal("Ascend")) in c  # a plain literal stays plain
    assert (EX.ascend, RDFS.label, Literal("昇腾", lang="zh-Hans")) in c
    # rdflib compares language tags in any case; the inferred label keeps the input's spelling
    # (the reasoner hands back zh-hans).
    assert {o.language for o in c.objects(EX.ascend, RDFS.label)} == {None, "zh-Hans"}
    # "910"^^xsd:string is written so in the input; no other string gains the datatype.
    strings = {o for o in c.objects() if isinstance(o, Literal) and o.datatype == XSD_STRING}
    assert strings == {Literal("910", datatype=XSD_STRING)}
    # The schema rules (scm-*) that reasonable leaves out.
    assert (EX.leadDesigner, RDFS.domain, EX.NPU) in c  # scm-dom2
    assert (EX.designedBy, RDFS.domain, EX.Chip) in c  # scm-dom1
    assert (EX.leadDesigner, RDFS.range, EX.Org) in c  # scm-rng2, then scm-rng1
    assert (EX.NPU, RDFS.subClassOf, OWL.Thing) in c and (OWL.Nothing, RDFS.subClassOf, EX.NPU) in c
    assert (EX.name, RDFS.subPropertyOf, EX.name) in c


def test_a_string_only_written_with_its_datatype_keeps_it():
    graph = Graph().parse(
        data="@prefix ex: <http://example.org/> . "
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . "
        'ex:a ex:q "x"^^xsd:string . '
        "ex:q <http://www.w3.org/2000/01/rdf-schema#subPropertyOf> ex:r .",
        format="turtle",
    )
    c = closure(graph)
    assert (EX.a, EX.r, Literal("x", datatype=XSD_STRING)) in c
    assert (EX.a, EX.r, Literal("x")) not in c


def test_closure_leaves_its_input_alone_and_copies_its_prefixes(small):
    small.bind("ex", EX)
    before = set(small)
    c = closure(small)
    assert set(small) == before and c is not small
    assert dict(c.namespaces())["ex"] == URIRef(EX)


def test_expand_adds_the_same_closure_in_place(small):
    copy = Graph()
    copy.addN((s, p, o, copy) for s, p, o in small)
    added = expand(copy)
    assert set(copy) == set(closure(small)) and added == len(copy) - len(small) > 0


def test_blank_nodes_survive_the_reasoner(small):
    c = closure(small)
    (node,) = set(c.objects(EX.huawei, EX.hq))
    assert isinstance(node, BNode) and (node, EX.city, Literal("Shenzhen")) in c


def test_doctest():
    assert doctest.testmod(kg.facts.infer).failed == 0


# -- wiring: the cache key and the hot path ----------------------------------------------------


def test_cache_key_names_the_reasoner_not_owlrl():
    versions = kgcache._versions(infer=True)
    assert f"reasonable={kg.facts.infer.engine_version()}" in versions
    assert "owlrl" not in versions and kg.facts.infer.engine_version() != "?"
    assert "reasonable" not in kgcache._versions(infer=False)


def test_query_infer_never_imports_owlrl(tmp_path):
    """--infer (cold, so the closure is computed) answers without loading owlrl."""
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cli import cli\n"
        f"args = ['--root', {str(REPO)!r}, '--facts', {str(FIXTURES / 'query' / 'facts')!r},\n"
        "        'query', '--infer', '--format', 'csv', 'SELECT ?c {?c a aichip:Organization}']\n"
        "result = CliRunner().invoke(cli, args)\n"
        "assert result.exit_code == 0, result.output\n"
        "print(len(result.stdout.split()) - 1, 'owlrl' in sys.modules)\n"
    )
    env = {**os.environ, "KG_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    answers, imported = done.stdout.split()
    assert int(answers) > 0 and imported == "False"
    assert list(Path(tmp_path / "cache").glob("closure-*.pickle"))
