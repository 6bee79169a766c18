"""Exports: one pure function per format, from the loaded graph to the bytes of one file.

RDF formats (Turtle, N-Triples, JSON-LD, RDF/XML) carry the whole graph: ontology, facts with
their statement nodes, and the derived truthy triples. Graph-tool formats (GraphML, GEXF,
CSV, Cytoscape.js JSON) carry the entity projection of :mod:`kg.export.entity_graph`.

Every function is deterministic: triples are put in a canonical order (blank nodes relabelled
from the graph's content) before serialising, and nothing depends on hash order, the clock or
the order facts were written in. A term a format cannot carry (a control character in XML, a
lone surrogate anywhere) raises :class:`~kg.errors.ExportError` naming the term and the
character, rather than producing a broken file. The graph does not use named graphs, so TriG
and N-Quads would say nothing N-Triples does not; they are not offered.

Importing this module registers every format with :func:`kg.export.build.register`, so ``kg build``
writes them all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import ExportError, UnknownTermError
from kg.export.build import register
from kg.facts.load import LoadedGraph
from kg.sparql.terms import TurtleTerms, ntriples
from kg.tables import FORMULA_STARTS, spreadsheet_safe

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "iri_problem",
    "CONTEXT_PATH",
    "FORMATS",
    "FORMULA_STARTS",
    "ExportFormat",
    "canonical_triples",
    "ntriples_term",
    "context",
    "render",
    "spreadsheet_safe",
    "to_cytoscape",
    "to_edges_csv",
    "to_gexf",
    "to_graphml",
    "to_jsonld",
    "to_nodes_csv",
    "to_ntriples",
    "to_rdfxml",
    "to_turtle",
]

Source = LoadedGraph | Graph
Triple = tuple

#: The JSON-LD context shipped with the package; the JSON-LD export inlines it, and its
#: prefixes are the ones every RDF export uses.
CONTEXT_PATH = Path(__file__).resolve().parents[1] / "static" / "context.jsonld"

# XML 1.0 Char production; everything else (most C0 controls, U+FFFE/U+FFFF) cannot appear
# in an XML document at all, not even as a character reference.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters an IRIREF may not contain in Turtle, N-Triples and SPARQL.
_NOT_IRI = re.compile('[\x00-\x20<>"{}|^`\\\\]')


@cache
def context() -> dict[str, str]:
    """Prefix -> namespace, from ``kg/static/context.jsonld``."""
    return dict(json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"])


def _graph(source: Source) -> Graph:
    return source.graph if isinstance(source, LoadedGraph) else source


def _show(term) -> str:
    from kg.export.entity_graph import curie

    if isinstance(term, URIRef):
        shown = curie(term)
        return f"<{term}>" if shown == str(term) else shown
    if isinstance(term, BNode):
        return f"_:{term}"
    return repr(str(term))


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _check_terms(triples: Iterable[Triple], *, xml: str | None = None) -> None:
    """Refuse terms no format can carry, and with ``xml`` (a format name) XML-illegal ones."""
    for triple in triples:
        if isinstance(triple[0], Literal) or not isinstance(triple[1], URIRef):
            shown = " ".join(_show(term) for term in triple)
            raise ExportError(f"{shown}: a literal subject or non-IRI predicate is not RDF")
        for position, term in enumerate(triple):
            problem = _term_problem(term, xml)
            if problem is None:
                continue
            where = (
                f"{_show(triple[0])} {_show(triple[1])}"
                if position == 2
                else f"{'IRI' if isinstance(term, URIRef) else 'blank node'} {_show(term)}"
            )
            raise ExportError(f"{where} {problem}")


def _term_problem(term, xml: str | None) -> str | None:
    """Why ``term`` cannot be written (None if it can): the end of an error message."""
    text = str(term)
    if bad := _SURROGATE.search(text):
        return f"contains {_codepoint(bad.group())}, a lone surrogate that UTF-8 cannot carry"
    if isinstance(term, URIRef) and (bad := _NOT_IRI.search(text)):
        return f"contains {_codepoint(bad.group())}, which an IRI cannot carry"
    if isinstance(term, Literal) and term.datatype is not None:
        datatype = str(term.datatype)
        if bad := _NOT_IRI.search(datatype) or _SURROGATE.search(datatype):
            return f"has datatype <{datatype}> containing {_codepoint(bad.group())}"
    if xml and (bad := _NOT_XML.search(text)):
        return f"contains {_codepoint(bad.group())}, which XML cannot carry ({xml} is XML 1.0)"
    return None


def iri_problem(iri: URIRef, *, predicate: bool = False) -> str | None:
    """Why the N-Triples, Turtle or RDF/XML writer cannot carry ``iri`` (None if all can):
    the validator's ``bad-iri`` rule asks this, so ``kg validate`` and ``kg build`` agree."""
    problem = _term_problem(URIRef(iri), "RDF/XML")
    if problem is None and predicate:
        match = _XML_NAME_TAIL.search(str(iri))
        if match is None:
            problem = "as a predicate cannot be written in RDF/XML: it does not end in an XML name"
        elif str(iri)[: match.start()] == str(RDF) and match.group() in _RDFXML_RESERVED:
            problem = "as a predicate is reserved syntax in RDF/XML"
    return problem


def _term_key(term) -> tuple:
    if isinstance(term, URIRef):
        return (0, str(term), "", "")
    if isinstance(term, BNode):
        return (1, str(term), "", "")
    return (2, str(term), term.language or "", str(term.datatype or ""))


def _triple_key(triple: Triple) -> tuple:
    return tuple(_term_key(term) for term in triple)


def _plain(term):
    # RDF 1.1: "x" and "x"^^xsd:string are the same term; rdflib keeps them apart.
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


def canonical_triples(graph: Graph) -> list[Triple]:
    """The graph's triples in a canonical order, blank nodes relabelled from the content.

    Checks every term first, so no format is ever handed something unencodable.
    """
    triples = list(graph)
    _check_terms(triples)
    if any(isinstance(term, BNode) for triple in triples for term in triple):
        from rdflib.compare import to_canonical_graph

        triples = list(to_canonical_graph(graph))
        labels = sorted({str(t) for triple in triples for t in triple if isinstance(t, BNode)})
        short = {label: BNode(f"b{number}") for number, label in enumerate(labels)}
        triples = [
            tuple(short.get(str(t), t) if isinstance(t, BNode) else t for t in triple)
            for triple in triples
        ]
    return sorted(({tuple(_plain(t) for t in triple) for triple in triples}), key=_triple_key)


# ---------------------------------------------------------------------------------------------
# RDF formats
# ---------------------------------------------------------------------------------------------


#: The one N-Triples term writer (also valid Turtle and SPARQL TSV): always one line.
ntriples_term = ntriples


def to_ntriples(source: Source) -> bytes:
    """N-Triples, one triple per line, lines sorted (so ``diff`` and ``sort`` work)."""
    triples = canonical_triples(_graph(source))
    lines = sorted(
        f"{ntriples_term(s)} {ntriples_term(p)} {ntriples_term(o)} .\n" for s, p, o in triples
    )
    return "".join(lines).encode("utf-8")


def to_turtle(source: Source) -> bytes:
    """Turtle: one block per subject in IRI order, ``a`` first, then predicates in IRI order.

    Written directly: rdflib's Turtle rewrites some lexical forms ("5"^^xsd:decimal as 5.0),
    which is a different RDF term.
    """
    terms = TurtleTerms(context())
    blocks: list[str] = []
    by_subject: dict = {}
    for s, p, o in canonical_triples(_graph(source)):
        by_subject.setdefault(s, {}).setdefault(p, []).append(o)
    for subject, properties in by_subject.items():
        ordered = sorted(properties, key=lambda p: (p != RDF.type, str(p)))
        lines = []
        for predicate in ordered:
            verb = "a" if predicate == RDF.type else terms.iri(str(predicate))
            objects = ", ".join(terms.term(o) for o in properties[predicate])
            lines.append(f"    {verb} {objects}")
        blocks.append(f"{terms.term(subject)}\n" + " ;\n".join(lines) + " .\n")
    header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(terms.used.items()))
    return (header + "\n" + "\n".join(blocks)).encode("utf-8")


def to_rdfxml(source: Source) -> bytes:
    """RDF/XML: one ``rdf:Description`` per subject, subjects and properties in canonical order.

    Written directly rather than through rdflib, whose RDF/XML follows the store's hash order.
    """
    triples = canonical_triples(_graph(source))
    _check_terms(triples, xml="RDF/XML")
    qnames, namespaces = _qnames(sorted({p for _, p, _ in triples}))
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    out += [f'   xmlns:{prefix}="{_xml_attr(ns)}"' for prefix, ns in sorted(namespaces.items())]
    out[-1] += ">"
    current = None
    for s, p, o in triples:
        if s != current:
            if current is not None:
                out.append("  </rdf:Description>")
            out.append(f"  <rdf:Description {_rdfxml_node(s, 'about')}>")
            current = s
        name = qnames[p]
        if not isinstance(o, Literal):
            out.append(f"    <{name} {_rdfxml_node(o, 'resource')}/>")
            continue
        if o.language:
            attribute = f' xml:lang="{_xml_attr(o.language)}"'
        elif o.datatype is not None:
            attribute = f' rdf:datatype="{_xml_attr(str(o.datatype))}"'
        else:
            attribute = ""
        out.append(f"    <{name}{attribute}>{_xml_text(str(o))}</{name}>")
    if current is not None:
        out.append("  </rdf:Description>")
    out += ["</rdf:RDF>", ""]
    return "\n".join(out).encode("utf-8")


# Names RDF/XML reserves: a property element with one of them means something else.
_RDFXML_RESERVED = {
    "RDF", "ID", "about", "parseType", "resource", "nodeID", "datatype", "li", "Description",
    "aboutEach", "aboutEachPrefix", "bagID",
}  # fmt: skip
_XML_NAME_TAIL = re.compile(r"[^\W\d][\w.\-]*$")


def _qnames(predicates: list[URIRef]) -> tuple[dict[URIRef, str], dict[str, str]]:
    """A QName for each predicate, and the prefix -> namespace declarations they need.

    A namespace without a project prefix gets ns1, ns2… in sorted order.
    """
    known = {ns: prefix for prefix, ns in context().items()}
    used: dict[str, str] = {"rdf": str(RDF)}
    split: dict[URIRef, tuple[str, str]] = {}
    for predicate in predicates:
        text = str(predicate)
        match = _XML_NAME_TAIL.search(text)
        if match is None:
            raise ExportError(
                f"predicate {_show(predicate)} cannot be written in RDF/XML: its IRI does not "
                "end in an XML name"
            )
        namespace, local = text[: match.start()], match.group()
        if namespace == str(RDF) and local in _RDFXML_RESERVED:
            raise ExportError(f"predicate {_show(predicate)} is reserved syntax in RDF/XML")
        split[predicate] = (namespace, local)
    generated = iter(f"ns{n}" for n in range(1, len(predicates) + 2))
    prefix_of: dict[str, str] = {}
    for namespace in sorted({ns for ns, _ in split.values()}):
        prefix = known.get(namespace) or next(p for p in generated if p not in context())
        prefix_of[namespace] = prefix
        used[prefix] = namespace
    qnames = {p: f"{prefix_of[ns]}:{local}" for p, (ns, local) in split.items()}
    return qnames, used


def _rdfxml_node(term, attribute: str) -> str:
    if isinstance(term, BNode):
        return f'rdf:nodeID="{_xml_attr(str(term))}"'
    return f'rdf:{attribute}="{_xml_attr(str(term))}"'


class _Compactor:
    """IRIs to compact IRIs (CURIEs) under the shipped context, the JSON-LD way."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda item: (-len(item[1]), item[0]))
        self.names = set(prefixes)

    def iri(self, iri: URIRef) -> str:
        text = str(iri)
        for prefix, namespace in self.prefixes:
            local = text[len(namespace) :]
            if text.startswith(namespace) and local and not local.startswith("//"):
                return f"{prefix}:{local}"
        if text.split(":", 1)[0] in self.names:
            # A JSON-LD processor would read "kg:…" as a compact IRI and expand it.
            raise ExportError(f"IRI <{text}> has a scheme that is also a JSON-LD prefix")
        return text

    def node(self, term) -> str:
        return f"_:{term}" if isinstance(term, BNode) else self.iri(term)

    def value(self, term) -> str | dict[str, str]:
        if not isinstance(term, Literal):
            return {"@id": self.node(term)}
        if term.language:
            return {"@value": str(term), "@language": term.language}
        if term.datatype is None:
            return str(term)
        return {"@value": str(term), "@type": self.iri(term.datatype)}


def to_jsonld(source: Source) -> bytes:
    """Compacted JSON-LD with the shipped context inlined: nothing is ever fetched.

    Each subject is one node object in ``@graph``; typed literals keep their lexical form
    (``{"@value": "60.0", "@type": "xsd:decimal"}``), so the RDF comes back exactly.
    """
    prefixes = context()
    compact = _Compactor(prefixes)
    nodes: dict = {}
    for s, p, o in canonical_triples(_graph(source)):
        node = nodes.setdefault(s, {})
        if p == RDF.type and isinstance(o, URIRef):
            node.setdefault("@type", []).append(compact.iri(o))
        else:
            node.setdefault(compact.iri(p), []).append(compact.value(o))
    documents = []
    for subject, properties in nodes.items():
        document: dict = {"@id": compact.node(subject)}
        for key in sorted(properties, key=lambda k: (k != "@type", k)):
            values = properties[key]
            document[key] = values[0] if len(values) == 1 else values
        documents.append(document)
    return _json({"@context": prefixes, "@graph": documents})


def _json(data) -> bytes:
    # ensure_ascii=False keeps Chinese readable; json still escapes every control character.
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Graph-tool formats: the entity projection
# ---------------------------------------------------------------------------------------------


def _projection(source: Source) -> nx.MultiDiGraph:
    from kg.export.entity_graph import entity_graph

    G = entity_graph(_graph(source))
    for node, data in G.nodes(data=True):
        _check_strings(node, data)
    for u, v, key, data in G.edges(keys=True, data=True):
        _check_strings(f"{u} {key} {v}", data)
    return G


def _check_strings(where: str, data: dict, xml: str | None = None) -> None:
    for name, value in sorted(data.items()):
        if bad := _SURROGATE.search(value):
            raise ExportError(
                f"{where} {name} contains {_codepoint(bad.group())}, a lone surrogate that "
                "UTF-8 cannot carry"
            )
        if xml and (bad := _NOT_XML.search(value)):
            raise ExportError(
                f"{where} {name} contains {_codepoint(bad.group())}, which XML cannot carry "
                f"({xml} is XML 1.0)"
            )


def _check_xml_projection(G: nx.MultiDiGraph, xml: str) -> None:
    for node, data in G.nodes(data=True):
        _check_strings(node, {"id": node, **data}, xml)
    for u, v, key, data in G.edges(keys=True, data=True):
        _check_strings(f"{u} {key} {v}", data, xml)


def _xml_text(value: str) -> str:
    # A parser turns a raw CR into LF, so CR is written as a character reference.
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _xml_attr(value: str) -> str:
    # Attribute-value normalisation turns raw tabs and line breaks into spaces.
    return _xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def to_graphml(source: Source) -> bytes:
    """GraphML (directed multigraph) with string attributes on nodes and edges.

    Node ids are CURIEs; node data: iri, label, label_zh_hans, label_zh_hant, class. Edge
    data: predicate, label, statements, sources. Empty values are left out, as GraphML does
    for unknown values.
    """
    from kg.export.entity_graph import EDGE_ATTRIBUTES, NODE_ATTRIBUTES

    G = _projection(source)
    _check_xml_projection(G, "GraphML")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
        ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    node_keys = {name: f"d{i}" for i, name in enumerate(NODE_ATTRIBUTES)}
    edge_keys = {name: f"d{i + len(node_keys)}" for i, name in enumerate(EDGE_ATTRIBUTES)}
    for kind, keys in (("node", node_keys), ("edge", edge_keys)):
        for name, key in keys.items():
            out.append(f'  <key id="{key}" for="{kind}" attr.name="{name}" attr.type="string"/>')
    out.append('  <graph id="aichip-kg" edgedefault="directed">')
    for node, data in G.nodes(data=True):
        out.append(f'    <node id="{_xml_attr(node)}">')
        out += _graphml_data(data, node_keys)
        out.append("    </node>")
    for number, (u, v, data) in enumerate(G.edges(data=True)):
        out.append(f'    <edge id="e{number}" source="{_xml_attr(u)}" target="{_xml_attr(v)}">')
        out += _graphml_data(data, edge_keys)
        out.append("    </edge>")
    out += ["  </graph>", "</graphml>", ""]
    return "\n".join(out).encode("utf-8")


def _graphml_data(data: dict, keys: dict[str, str]) -> list[str]:
    return [
        f'      <data key="{key}">{_xml_text(data[name])}</data>'
        for name, key in keys.items()
        if data.get(name)
    ]


def to_gexf(source: Source) -> bytes:
    """GEXF 1.2 for Gephi: node and edge ``label`` are native, the rest are attributes."""
    from kg.export.entity_graph import EDGE_ATTRIBUTES, NODE_ATTRIBUTES

    G = _projection(source)
    _check_xml_projection(G, "GEXF")
    node_attrs = [name for name in NODE_ATTRIBUTES if name != "label"]
    edge_attrs = [name for name in EDGE_ATTRIBUTES if name != "label"]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">',
        "  <meta>",
        "    <creator>aichip-kg</creator>",
        "    <description>Entities and sourced relationships of the AI-chip ecosystem"
        " knowledge graph</description>",
        "  </meta>",
        '  <graph defaultedgetype="directed" mode="static">',
    ]
    for kind, names in (("node", node_attrs), ("edge", edge_attrs)):
        out.append(f'    <attributes class="{kind}">')
        for number, name in enumerate(names):
            out.append(f'      <attribute id="{number}" title="{name}" type="string"/>')
        out.append("    </attributes>")
    out.append("    <nodes>")
    for node, data in G.nodes(data=True):
        out.append(f'      <node id="{_xml_attr(node)}" label="{_xml_attr(data["label"])}">')
        out += _gexf_values(data, node_attrs)
        out.append("      </node>")
    out += ["    </nodes>", "    <edges>"]
    for number, (u, v, data) in enumerate(G.edges(data=True)):
        out.append(
            f'      <edge id="{number}" source="{_xml_attr(u)}" target="{_xml_attr(v)}"'
            f' label="{_xml_attr(data["label"])}">'
        )
        out += _gexf_values(data, edge_attrs)
        out.append("      </edge>")
    out += ["    </edges>", "  </graph>", "</gexf>", ""]
    return "\n".join(out).encode("utf-8")


def _gexf_values(data: dict, names: list[str]) -> list[str]:
    values = [
        f'          <attvalue for="{number}" value="{_xml_attr(data[name])}"/>'
        for number, name in enumerate(names)
        if data.get(name)
    ]
    return ["        <attvalues>", *values, "        </attvalues>"] if values else []


def _csv(header: tuple[str, ...], rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    # RFC 4180 line ends: with CRLF as terminator the writer quotes any field holding CR or LF.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    # The BOM makes Excel read the file as UTF-8 (Chinese labels) rather than the ANSI code page.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_nodes_csv(source: Source) -> bytes:
    """``nodes.csv``: id, iri, class, label, label_zh_hans, label_zh_hant (UTF-8 with BOM)."""
    G = _projection(source)
    header = ("id", "iri", "class", "label", "label_zh_hans", "label_zh_hant")
    rows = ([node, *(data[c] for c in header[1:])] for node, data in G.nodes(data=True))
    return _csv(header, rows)


def to_edges_csv(source: Source) -> bytes:
    """``edges.csv``: source, target, predicate, label, statements, sources (UTF-8 with BOM)."""
    G = _projection(source)
    header = ("source", "target", "predicate", "label", "statements", "sources")
    return _csv(header, ([u, v, *(d[c] for c in header[2:])] for u, v, d in G.edges(data=True)))


def to_cytoscape(source: Source) -> bytes:
    """Cytoscape.js elements JSON (also imported by Cytoscape desktop as ``.cyjs``).

    Edge ids are ``"SOURCE PREDICATE TARGET"``, stable as facts are added.
    """
    G = _projection(source)
    nodes = [{"data": {"id": node, **data}} for node, data in G.nodes(data=True)]
    edges = [
        {"data": {"id": f"{u} {key} {v}", "source": u, "target": v, **data}}
        for u, v, key, data in G.edges(keys=True, data=True)
    ]
    return _json(
        {
            "data": {"name": "aichip-kg"},
            "directed": True,
            "multigraph": True,
            "elements": {"nodes": nodes, "edges": edges},
        }
    )


# ---------------------------------------------------------------------------------------------
# The table of formats
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """One export: its ``--format`` name, file name under exports/, media type and renderer."""

    name: str
    filename: str
    media_type: str
    description: str
    render: Callable[[Source], bytes]


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("turtle", "aichip-kg.ttl", "text/turtle", "RDF: Turtle", to_turtle),
        ExportFormat(
            "ntriples",
            "aichip-kg.nt",
            "application/n-triples",
            "RDF: N-Triples, sorted lines",
            to_ntriples,
        ),
        ExportFormat(
            "jsonld",
            "aichip-kg.jsonld",
            "application/ld+json",
            "RDF: JSON-LD, context inlined",
            to_jsonld,
        ),
        ExportFormat("rdfxml", "aichip-kg.rdf", "application/rdf+xml", "RDF: RDF/XML", to_rdfxml),
        ExportFormat(
            "graphml",
            "aichip-kg.graphml",
            "application/graphml+xml",
            "entity graph: GraphML (yEd, Gephi, networkx, igraph)",
            to_graphml,
        ),
        ExportFormat(
            "gexf",
            "aichip-kg.gexf",
            "application/gexf+xml",
            "entity graph: GEXF 1.2 (Gephi)",
            to_gexf,
        ),
        ExportFormat(
            "nodes-csv", "nodes.csv", "text/csv", "entity graph: node table (CSV)", to_nodes_csv
        ),
        ExportFormat(
            "edges-csv", "edges.csv", "text/csv", "entity graph: edge table (CSV)", to_edges_csv
        ),
        ExportFormat(
            "cyjs",
            "aichip-kg.cyjs",
            "application/json",
            "entity graph: Cytoscape.js JSON",
            to_cytoscape,
        ),
    )
}


#: The query and endpoint names of the RDF formats (:func:`kg.sparql.results.format_names`),
#: which ``kg export`` accepts too: one set of names for query, export and serve.
ALIASES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "rdf+xml": "rdfxml",
}


def export_name(name: str) -> str:
    """The :data:`FORMATS` key a format name means (``ttl`` -> ``turtle``)."""
    return ALIASES.get(name.lower(), name.lower())


def render(name: str, source: Source) -> bytes:
    """The bytes of export ``name`` (a key of :data:`FORMATS`, or one of :data:`ALIASES`)."""
    try:
        export_format = FORMATS[export_name(name)]
    except KeyError:
        raise UnknownTermError(
            "export format", name, get_close_matches(name, list(FORMATS), n=3)
        ) from None
    return export_format.render(source)


for _format in FORMATS.values():
    register(_format.filename, _format.render)
