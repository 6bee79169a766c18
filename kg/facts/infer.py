"""The OWL 2 RL closure behind ``kg query --infer``: the Rust reasoner ``reasonable``, completed.

``reasonable`` (PyPI; the reasoner of the Brick schema project) materialises OWL 2 RL in a
fraction of a second where owlrl takes ten. Its closure is taken as it is for everything about
individuals (class membership through subclasses, domains and ranges; sub-, symmetric, inverse
and transitive properties; equivalence; ``owl:sameAs``), with two small corrections:

* **Plain literals keep their form.** reasonable hands ``"text"`` back as
  ``"text"^^xsd:string``. RDF 1.1 calls the two one term, but rdflib keeps them apart, so
  ``FILTER(?v = "verified")`` and joins with the input would miss. The input's triples are
  kept as they are, and inferred triples get each string in the form the input uses.
* **Schema rules reasonable leaves out** (OWL 2 RL's table 9, for named classes and
  properties): ``scm-cls`` (``C ⊑ C``, ``C ≡ C``, ``C ⊑ owl:Thing``, ``owl:Nothing ⊑ C`` for
  every ``owl:Class``), ``scm-op`` / ``scm-dp`` (``P ⊑ P``, ``P ≡ P`` for every object and
  datatype property, and every plain ``rdf:Property``), ``scm-dom1/2`` and ``scm-rng1/2`` (a
  property's domain and range climb the class hierarchy and descend the property hierarchy),
  with subclass, subproperty and equivalence closed again after them (``scm-sco``,
  ``scm-spo``, ``scm-eqc1/2``, ``scm-eqp1/2``). These only add triples *about* classes and
  properties: whatever they entail about individuals, reasonable has already derived through
  the instance rules (``cax-sco``, ``prp-spo1``, ``prp-dom``, ``prp-rng``), so nothing has to
  go round again.

Deliberate differences from owlrl are listed in ``docs/inference.md`` and pinned by
``tests/facts/test_infer.py``.

>>> from rdflib import Graph, Literal, Namespace, RDF
>>> EX = Namespace("http://example.org/")
>>> g = Graph().parse(format="turtle", data='''
...     @prefix ex: <http://example.org/> .
...     @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
...     ex:NPU rdfs:subClassOf ex:Chip .
...     ex:ascend a ex:NPU ; ex:name "Ascend" .
... ''')
>>> c = closure(g)
>>> (EX.ascend, RDF.type, EX.Chip) in c
True
>>> (EX.ascend, EX.name, Literal("Ascend")) in c  # a plain literal, as in the input
True
>>> all(triple in c for triple in g) and len(g) == 3
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from kg.collector import collector_paused

__all__ = ["ENGINE", "closure", "engine_version", "expand", "infer_closure", "schema_closure"]

#: The distribution that computes the closure (its version goes into the cache key).
ENGINE = "reasonable"

Triple = tuple[Node, Node, Node]
_Pairs = set[tuple[Node, Node]]


def engine_version() -> str:
    """The installed version of :data:`ENGINE` (``"?"`` if it is missing), without importing it."""
    try:
        return version(ENGINE)
    except PackageNotFoundError:
        return "?"


def closure(graph: Graph) -> Graph:
    """A new graph: ``graph`` and its OWL 2 RL closure (see the module doc for what that holds).

    ``graph`` is left as it is; its prefix bindings are copied to the result. Equal terms in the
    result are one object (the input's), as in :mod:`kg.cache`'s pickles.
    """
    with collector_paused():
        stated = list(graph)
        inferred, one_object = _inferred(stated)
        result = Graph()
        for prefix, namespace in graph.namespaces():
            result.bind(prefix, namespace, override=True, replace=True)
        result.addN((s, p, o, result) for s, p, o in stated)
        result.addN((s, p, o, result) for s, p, o in inferred)
        schema = [tuple(map(one_object, triple)) for triple in schema_closure(result)]
        result.addN((s, p, o, result) for s, p, o in schema)
    return result


def expand(graph: Graph) -> int:
    """Add the closure to ``graph`` itself (like owlrl's ``expand``); returns how many triples
    that added. Cheaper than :func:`closure` when the caller owns ``graph``: the stated
    triples are not copied."""
    before = len(graph)
    with collector_paused():
        inferred, one_object = _inferred(list(graph))
        graph.addN((s, p, o, graph) for s, p, o in inferred)
        schema = [tuple(map(one_object, triple)) for triple in schema_closure(graph)]
        graph.addN((s, p, o, graph) for s, p, o in schema)
    return len(graph) - before


def _inferred(stated: list[Triple]) -> tuple[list[Triple], Callable[[Node], Node]]:
    """The triples the reasoner derives from ``stated`` that are not in it, with the input's
    term objects (and one object per new term); and the function that gives any term its one
    object, for triples derived after these."""
    import reasonable  # a compiled extension; loaded only when inference is asked for

    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(stated)  # a list converts faster than the Graph itself
    derived = reasoner.reason()  # stated and inferred triples, as new term objects

    # rdflib hashes and compares terms in Python; plain strings and tuples of them are keyed
    # in C, so triples are matched by their keys and terms are looked up by theirs.
    terms = _input_terms(stated)
    one_object = terms.setdefault
    seen = {(_key(s), _key(p), _key(o)) for s, p, o in stated}
    inferred: list[Triple] = []
    for triple in derived:
        keys = tuple(map(_key, triple))
        if keys not in seen:
            seen.add(keys)
            s, p, o = (one_object(k, n) for k, n in zip(keys, triple, strict=True))
            inferred.append((s, p, o))
    return inferred, lambda node: one_object(_key(node), node)


_XSD_STRING = str(XSD.string)


def _key(node: Node) -> str | tuple[str | None, ...]:
    """A hashable stand-in for a term that Python hashes and compares in C.

    An IRI is its text; a literal a tuple of its parts, where ``"…"^^xsd:string`` (how the
    reasoner returns every string) and the plain ``"…"`` are one key, as they are one term
    in RDF 1.1, and so are language tags in any case (the reasoner lowercases them; the input's
    ``zh-Hans`` is kept); a blank node a 1-tuple."""
    if type(node) is URIRef:
        return str(node)
    if isinstance(node, Literal):
        datatype = node.datatype
        text = None if datatype is None else str(datatype)
        language = node.language
        return (str(node), None if text == _XSD_STRING else text, language and language.lower())
    return (str(node),)


def _input_terms(stated: list[Triple]) -> dict[str | tuple[str | None, ...], Node]:
    """The input's own object for each term key; for a string, the plain literal if the
    input has it, else the ``xsd:string`` one."""
    terms: dict[str | tuple[str | None, ...], Node] = {}
    for triple in stated:
        for node in triple:
            key = _key(node)
            if key not in terms or (isinstance(node, Literal) and node.datatype is None):
                terms[key] = node
    return terms


def _transitive(pairs: _Pairs) -> _Pairs:
    """The transitive closure of a small relation (a schema's few hundred edges)."""
    successors: dict[Node, set[Node]] = {}
    for a, b in pairs:
        successors.setdefault(a, set()).add(b)
    closed: _Pairs = set()
    for start in successors:
        seen: set[Node] = set()
        stack = list(successors[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(successors.get(node, ()))
        closed.update((start, node) for node in seen)
    return closed


def _pairs(graph: Graph, predicate: URIRef) -> _Pairs:
    return {(s, o) for s, o in graph.subject_objects(predicate) if not isinstance(s, Literal)}


def _climb(edges: _Pairs, sub_props: _Pairs, sub_classes: _Pairs) -> _Pairs:
    """``P domain C`` (or range): up the class hierarchy (scm-dom1 / scm-rng1) and down the
    property hierarchy (scm-dom2 / scm-rng2)."""
    supers: dict[Node, set[Node]] = {}
    for c, d in sub_classes:
        supers.setdefault(c, set()).add(d)
    subs: dict[Node, set[Node]] = {}
    for p, q in sub_props:
        subs.setdefault(q, set()).add(p)
    out = set(edges)
    for p, c in edges:
        for p1 in {p, *subs.get(p, ())}:
            out.add((p1, c))
            out.update((p1, d) for d in supers.get(c, ()))
    return out


def schema_closure(graph: Graph) -> Iterable[Triple]:
    """The schema triples (OWL 2 RL scm-* rules, named terms only) that ``graph`` entails
    and does not hold; ``graph`` should already be closed under the instance rules."""
    classes = set(graph.subjects(RDF.type, OWL.Class))
    # scm-op and scm-dp name object and datatype properties; a plain rdf:Property is a
    # subproperty of itself just as well (owlrl says so too).
    properties: set[Node] = set()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property):
        properties.update(graph.subjects(RDF.type, kind))

    sco = _pairs(graph, RDFS.subClassOf)
    spo = _pairs(graph, RDFS.subPropertyOf)
    eqc = _pairs(graph, OWL.equivalentClass)
    eqp = _pairs(graph, OWL.equivalentProperty)
    domains = _pairs(graph, RDFS.domain)
    ranges = _pairs(graph, RDFS.range)

    # scm-cls, scm-op, scm-dp
    sco |= {(c, c) for c in classes} | {(c, OWL.Thing) for c in classes}
    sco |= {(OWL.Nothing, c) for c in classes}
    eqc |= {(c, c) for c in classes}
    spo |= {(p, p) for p in properties}
    eqp |= {(p, p) for p in properties}

    # Every rule only adds edges to these six finite relations: iterate to a fixpoint.
    while True:
        size = sum(map(len, (sco, spo, eqc, eqp, domains, ranges)))
        sco = _transitive(sco | eqc | {(b, a) for a, b in eqc})  # scm-sco, scm-eqc1
        spo = _transitive(spo | eqp | {(b, a) for a, b in eqp})  # scm-spo, scm-eqp1
        eqc |= {(a, b) for a, b in sco if (b, a) in sco}  # scm-eqc2
        eqp |= {(a, b) for a, b in spo if (b, a) in spo}  # scm-eqp2
        domains = _climb(domains, spo, sco)
        ranges = _climb(ranges, spo, sco)
        if sum(map(len, (sco, spo, eqc, eqp, domains, ranges))) == size:
            break

    for predicate, pairs in (
        (RDFS.subClassOf, sco),
        (RDFS.subPropertyOf, spo),
        (OWL.equivalentClass, eqc),
        (OWL.equivalentProperty, eqp),
        (RDFS.domain, domains),
        (RDFS.range, ranges),
    ):
        for s, o in pairs:
            if (s, predicate, o) not in graph:
                yield (s, predicate, o)


def infer_closure(graph: Graph) -> Graph:
    """A copy of ``graph`` with its OWL 2 RL closure (:func:`closure`) and the project's
    prefixes bound: what ``kg query --infer`` answers over, e.g. every NPU is also a Chip."""
    from kg.sparql.terms import PREFIXES

    result = closure(graph)
    for prefix, namespace in PREFIXES.items():
        result.bind(prefix, namespace, override=True, replace=True)
    return result
