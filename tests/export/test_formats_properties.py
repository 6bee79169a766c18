"""Property tests: labels made of awkward characters survive every export, or are refused.

Each example puts one generated string in an entity's English and Chinese labels, in a plain
and a custom-typed literal, and in a predicate's label; every format is then read back with an
independent reader. XML formats must refuse (ExportError) exactly the strings XML 1.0 cannot
carry; every other case must come back character for character.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from kg.errors import ExportError
from kg.export import formats as export
from kg.export.entity_graph import entity_graph
from kg.facts.load import PREFIXES
from tests.conftest import _oxigraph_term, assert_isomorphic

EX = "http://example.org/"
FOO = URIRef(PREFIXES["kg"] + "foo")
BAR = URIRef(PREFIXES["kg"] + "bar")
P = URIRef(EX + "p")
XML_FORMATS = {"rdfxml", "graphml", "gexf"}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

AWKWARD = list("\"'\\<>&;,.#@{}[]`|^~ \t\n\r") + [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffe",
    "\uffff",
    '"""',
    "]]>",
    "&amp;",
    "\r\n",
    "华为",
    "華為",
    "昇腾",
    "😀",
    "👩\u200d💻",
    "\U0010fffd",
]
TEXT = st.lists(st.one_of(st.sampled_from(AWKWARD), st.characters(codec="utf-8")), max_size=12).map(
    "".join
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def graph_with(text: str) -> Graph:
    g = Graph()
    company = URIRef(PREFIXES["aichip"] + "Company")
    for entity in (FOO, BAR):
        g.add((entity, RDF.type, company))
    g.add((FOO, RDFS.label, Literal(text, lang="en")))
    g.add((FOO, RDFS.label, Literal(text, lang="zh-Hans")))
    g.add((FOO, URIRef(EX + "note"), Literal(text)))
    g.add((FOO, URIRef(EX + "code"), Literal(text, datatype=URIRef(EX + "custom"))))
    g.add((BAR, RDFS.label, Literal("Bar", lang="en")))
    g.add((FOO, P, BAR))
    g.add((P, RDFS.label, Literal(text, lang="en")))
    return g


def _oxigraph(data: bytes, name: str) -> Graph:
    import pyoxigraph

    fmt = {"turtle": "TURTLE", "ntriples": "N_TRIPLES", "rdfxml": "RDF_XML"}[name]
    graph = Graph()
    for quad in pyoxigraph.parse(data, format=getattr(pyoxigraph.RdfFormat, fmt)):
        graph.add(tuple(_oxigraph_term(t) for t in quad.triple))
    return graph


def _refuse_network(url, options=None):
    raise AssertionError(f"JSON-LD processing tried to load {url}")


def _nonempty(data: dict) -> dict:
    return {k: v for k, v in data.items() if v != "" and k != "id"}


def render_or_refuse(name: str, graph: Graph) -> bytes | None:
    """The export, or None when the format is XML and the text cannot be carried."""
    text = str(graph.value(FOO, URIRef(EX + "note")))
    if name in XML_FORMATS and NOT_XML.search(text):
        with pytest.raises(ExportError, match=r"U\+[0-9A-F]{4}.*XML cannot carry"):
            export.render(name, graph)
        return None
    return export.render(name, graph)


@pytest.mark.parametrize("name", ["turtle", "ntriples", "rdfxml"])
@SETTINGS
@given(text=TEXT)
def test_rdf_formats_round_trip_through_pyoxigraph(name, text):
    graph = graph_with(text)
    data = render_or_refuse(name, graph)
    if data is not None:
        assert_isomorphic(graph, _oxigraph(data, name))


@SETTINGS
@given(text=TEXT)
def test_jsonld_round_trips_through_pyld(text):
    from pyld import jsonld

    graph = graph_with(text)
    expanded = jsonld.expand(
        json.loads(export.to_jsonld(graph)), {"documentLoader": _refuse_network}
    )
    foo = next(node for node in expanded if node["@id"] == str(FOO))
    labels = {(v["@value"], v["@language"].lower()) for v in foo[str(RDFS.label)]}
    assert labels == {(text, "en"), (text, "zh-hans")}
    assert foo[EX + "note"] == [{"@value": text}]
    assert foo[EX + "code"] == [{"@value": text, "@type": EX + "custom"}]


def _expected_projection(text: str):
    G = entity_graph(graph_with(text))
    foo = G.nodes["kg:foo"]
    # An empty label counts as no label; then the CURIE (or the predicate IRI) stands in.
    assert foo["label"] == (text or "kg:foo")
    assert foo["label_zh_hans"] == text
    assert G.edges["kg:foo", "kg:bar", EX + "p"]["label"] == (text or EX + "p")
    return G


@pytest.mark.parametrize("name", ["graphml", "gexf"])
@SETTINGS
@given(text=TEXT)
def test_graph_xml_formats_round_trip_through_networkx(name, text, tmp_path):
    import networkx as nx

    expected = _expected_projection(text)
    data = render_or_refuse(name, graph_with(text))
    if data is None:
        return
    path = tmp_path / f"g.{name}"
    path.write_bytes(data)
    actual = nx.read_graphml(path) if name == "graphml" else nx.read_gexf(path)
    assert {n: _nonempty(d) for n, d in actual.nodes(data=True)} == {
        n: _nonempty(d) for n, d in expected.nodes(data=True)
    }
    assert [(u, v, _nonempty(d)) for u, v, d in actual.edges(data=True)] == [
        (u, v, _nonempty(d)) for u, v, d in expected.edges(data=True)
    ]


@SETTINGS
@given(text=TEXT)
def test_csv_round_trips_through_the_csv_module(text):
    expected = _expected_projection(text)
    for data, rows in (
        (export.to_nodes_csv(graph_with(text)), list(expected.nodes(data=True))),
        (export.to_edges_csv(graph_with(text)), list(expected.edges(data=True))),
    ):
        read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert len(read) == len(rows)
        for row, expected_row in zip(read, rows, strict=True):
            attributes = expected_row[-1]
            assert {k: _unguarded(v) for k, v in row.items() if k in attributes} == attributes


def _unguarded(cell: str) -> str:
    """A CSV cell as it was before the formula guard: '=x was =x, ''=x was '=x."""
    rest = cell.lstrip("'")
    number = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", rest)
    if cell.startswith("'") and rest[:1] in ("=", "+", "-", "@", "\t", "\r") and not number:
        return cell[1:]
    return cell


def test_csv_formula_guard():
    """Cells a spreadsheet would run as formulas are written as text; numbers stay numbers."""
    for text, written in [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-x", "'-x"),
        ("\tcmd", "'\tcmd"),
        ("-5", "-5"),
        ("+2.5e3", "+2.5e3"),
        ("Huawei", "Huawei"),
        ("'quoted", "'quoted"),
        ("'=x", "''=x"),
    ]:
        data = export.to_nodes_csv(graph_with(text))
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        labels = {row["label"] for row in rows}
        assert written in labels, (text, labels)


@SETTINGS
@given(text=TEXT)
def test_cytoscape_json_round_trips(text):
    expected = _expected_projection(text)
    data = json.loads(export.to_cytoscape(graph_with(text)))
    nodes = {n["data"].pop("id"): n["data"] for n in data["elements"]["nodes"]}
    assert nodes == dict(expected.nodes(data=True))
    edge = data["elements"]["edges"][0]["data"]
    assert edge["label"] == expected.edges["kg:foo", "kg:bar", EX + "p"]["label"]
