"""Exports: every format read back by an independent reader, deterministic, atomic, checked."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef

from cli import cli
from kg.errors import ExportError
from kg.export import build
from kg.export import formats as export
from kg.export.entity_graph import EDGE_ATTRIBUTES, NODE_ATTRIBUTES, entity_graph
from kg.facts.load import PREFIXES, load
from kg.project import Project
from tests.conftest import FIXTURES, REPO, assert_isomorphic, parse_with_oxigraph

FIXTURE_FACTS = FIXTURES / "export"
RDF_FORMATS = ("turtle", "ntriples", "rdfxml")
OXIGRAPH_FORMAT = {"turtle": "TURTLE", "ntriples": "N_TRIPLES", "rdfxml": "RDF_XML"}


@pytest.fixture(scope="module")
def small():
    """The fixture facts loaded with the real ontology."""
    return load(Project.at(REPO, facts_dir=FIXTURE_FACTS))


@pytest.fixture(scope="module")
def real():
    """The project's own facts, which other people are still adding to."""
    return load(Project.at(REPO))


@pytest.fixture
def fixture_project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(REPO / "ontology", root / "ontology")
    shutil.copytree(FIXTURE_FACTS, root / "facts")
    return root


def _refuse_network(url, options=None):
    raise AssertionError(f"JSON-LD processing tried to load {url}")


# -- the format table and its registration -----------------------------------------------------


def test_cli_choice_lists_exactly_the_formats():
    from kg.cli.export import EXPORT_FORMATS

    assert tuple(export.FORMATS) == EXPORT_FORMATS


def test_one_set_of_format_names_for_query_export_and_serve(fixture_project, tmp_path):
    """Every RDF name `kg query` accepts, `kg export` and `kg serve` accept for the same format."""
    from xml.etree import ElementTree

    from kg.cli.export import EXPORT_ALIASES
    from kg.serve.protocol import negotiate
    from kg.sparql.results import GRAPH_FORMATS, SOLUTION_FORMATS, canonical_format, format_names

    assert tuple(export.ALIASES) == EXPORT_ALIASES
    query_to_export = {"ttl": "turtle", "nt": "ntriples", "jsonld": "jsonld", "rdfxml": "rdfxml"}
    for name in format_names():
        canonical = canonical_format(name)
        if canonical == "table":
            continue
        if canonical in query_to_export:
            assert export.export_name(name) == query_to_export[canonical], name
            assert negotiate("CONSTRUCT", "", (name,))[0] == canonical, name
        if canonical in SOLUTION_FORMATS:
            assert negotiate("SELECT", "", (name,))[0] == canonical, name
    runner = CliRunner()
    base = ["--root", str(fixture_project)]
    turtle = runner.invoke(cli, [*base, "export", "-f", "turtle"])
    for alias in ("ttl", "TTL"):
        result = runner.invoke(cli, [*base, "export", "-f", alias])
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == turtle.stdout_bytes
    nt = runner.invoke(cli, [*base, "export", "-f", "nt", "-o", str(tmp_path / "x.nt")])
    assert nt.exit_code == 0, nt.output
    assert len(parse_with_oxigraph(tmp_path / "x.nt")) > 0
    # `--format xml`: SPARQL XML results for SELECT, RDF/XML for DESCRIBE (as `format=xml` is
    # for the endpoint); `--format json`: SPARQL JSON, or JSON-LD.
    select = runner.invoke(cli, [*base, "query", "--format", "xml", "SELECT ?s { ?s ?p ?o }"])
    assert select.exit_code == 0, select.output
    root = ElementTree.fromstring(select.stdout_bytes)
    assert root.tag == "{http://www.w3.org/2005/sparql-results#}sparql"
    for fmt, reader in (("xml", "xml"), ("rdfxml", "xml"), ("json", "json-ld")):
        describe = runner.invoke(cli, [*base, "query", "--format", fmt, "DESCRIBE ?s { ?s a ?c }"])
        assert describe.exit_code == 0, describe.output
        assert len(Graph().parse(data=describe.stdout_bytes, format=reader)) > 0
    assert set(GRAPH_FORMATS) >= set(query_to_export)


def test_every_format_is_registered_with_build():
    registered = build.exporters()
    for export_format in export.FORMATS.values():
        assert registered[export_format.filename] is export_format.render
    assert "aichip-kg.ttl" in registered  # the historical name is kept


def test_shipped_context_declares_every_project_prefix():
    shipped = json.loads((REPO / "kg" / "static" / "context.jsonld").read_text(encoding="utf-8"))
    for prefix, namespace in PREFIXES.items():
        assert shipped["@context"][prefix] == namespace


def test_unknown_format_suggests_a_near_name(small):
    with pytest.raises(Exception, match="did you mean turtle"):
        export.render("turtel", small)


# -- RDF formats: pyoxigraph and pyld read back the same graph --------------------------------


@pytest.mark.parametrize("name", RDF_FORMATS)
@pytest.mark.parametrize("which", ["small", "real"])
def test_rdf_export_parses_to_an_isomorphic_graph(name, which, request, tmp_path):
    import pyoxigraph

    loaded = request.getfixturevalue(which)
    path = tmp_path / export.FORMATS[name].filename
    path.write_bytes(export.render(name, loaded))
    parsed = parse_with_oxigraph(path, getattr(pyoxigraph.RdfFormat, OXIGRAPH_FORMAT[name]))
    assert_isomorphic(loaded.graph, parsed)


def _jsonld_to_graph(data: bytes) -> Graph:
    import pyoxigraph
    from pyld import jsonld

    from tests.conftest import _oxigraph_term

    options = {"documentLoader": _refuse_network}
    document = json.loads(data)
    expanded = jsonld.expand(document, options)
    assert expanded, "expansion produced nothing"
    nquads = jsonld.to_rdf(document, {**options, "format": "application/n-quads"})
    graph = Graph()
    for quad in pyoxigraph.parse(nquads.encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS):
        graph.add(tuple(_oxigraph_term(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph


@pytest.mark.parametrize("which", ["small", "real"])
def test_jsonld_expands_offline_to_an_isomorphic_graph(which, request, monkeypatch):
    from pyld import jsonld

    monkeypatch.setattr(jsonld, "_default_document_loader", _refuse_network)
    loaded = request.getfixturevalue(which)
    assert_isomorphic(loaded.graph, _jsonld_to_graph(export.to_jsonld(loaded)))


def test_jsonld_inlines_the_shipped_context(small):
    document = json.loads(export.to_jsonld(small))
    shipped = json.loads(export.CONTEXT_PATH.read_text(encoding="utf-8"))
    assert document["@context"] == shipped["@context"]
    huawei_like = {node["@id"]: node for node in document["@graph"]}["kg:acme"]
    assert huawei_like["@type"] == "aichip:Company"
    assert {"@value": "阿克米", "@language": "zh-Hans"} in huawei_like["rdfs:label"]


def test_blank_nodes_round_trip_and_get_content_based_labels():
    import pyoxigraph

    def graph_with_blank_nodes(seed: int) -> Graph:
        rng = random.Random(seed)
        g = Graph()
        ex = "http://example.org/"
        for name in rng.sample(["a", "b", "c"], 3):
            node = BNode()  # random id every time
            g.add((URIRef(ex + "s"), URIRef(ex + "p"), node))
            g.add((node, RDFS.label, Literal(name)))
        return g

    first, second = graph_with_blank_nodes(1), graph_with_blank_nodes(2)
    for name in ("turtle", "ntriples", "rdfxml", "jsonld"):
        data = export.render(name, first)
        assert data == export.render(name, second), f"{name} depends on blank-node ids"
        if name == "jsonld":
            assert_isomorphic(first, _jsonld_to_graph(data))
        else:
            fmt = getattr(pyoxigraph.RdfFormat, OXIGRAPH_FORMAT[name])
            parsed = Graph()
            from tests.conftest import _oxigraph_term

            for quad in pyoxigraph.parse(data, format=fmt):
                parsed.add(tuple(_oxigraph_term(t) for t in quad.triple))
            assert_isomorphic(first, parsed)


# -- the entity projection ---------------------------------------------------------------------


def test_projection_keeps_entities_and_relationships_only(small):
    G = entity_graph(small.graph)
    assert sorted(G.nodes) == [
        "kg:acme",
        "kg:globex",
        "kg:initech",
        "kg:src-one",
        "kg:src-two",
        "kg:test-foundation",
        "kg:test-market",
        "kg:widget-1",
    ]
    assert sorted(G.edges(keys=True)) == [
        ("kg:acme", "kg:globex", "aichip:competesWith"),
        ("kg:acme", "kg:test-foundation", "org:memberOf"),
        ("kg:src-one", "kg:globex", "dcterms:publisher"),
        ("kg:src-two", "kg:src-one", "aichip:cites"),
        ("kg:widget-1", "kg:acme", "aichip:designedBy"),
    ]
    for _node, data in G.nodes(data=True):
        assert set(data) == set(NODE_ATTRIBUTES)
    for _u, _v, data in G.edges(data=True):
        assert set(data) == set(EDGE_ATTRIBUTES)


def test_projection_attributes(small):
    G = entity_graph(small.graph)
    acme = G.nodes["kg:acme"]
    assert acme["iri"] == "https://w3id.org/aichip-kg/id/acme"
    assert (acme["label"], acme["label_zh_hans"], acme["label_zh_hant"]) == (
        "Acme",
        "阿克米",
        "阿克米",
    )
    assert acme["class"] == "aichip:Company"
    assert G.nodes["kg:widget-1"]["class"] == "aichip:NPU"  # typed Chip and NPU: the narrower
    assert G.nodes["kg:test-foundation"]["label_zh_hant"] == ""
    designed = G.edges["kg:widget-1", "kg:acme", "aichip:designedBy"]
    assert designed["label"] == "designed by"
    assert designed["sources"] == "kg:src-one kg:src-two"
    assert designed["statements"].split() == [
        "kg:stmt-widget-1-designedby-acme-one",
        "kg:stmt-widget-1-designedby-acme-two",
    ]
    assert G.edges["kg:src-one", "kg:globex", "dcterms:publisher"]["statements"] == ""


def test_projection_options(small):
    without_sources = entity_graph(small.graph, include_sources=False)
    assert not [n for n in without_sources if n.startswith("kg:src-")]
    assert without_sources.number_of_edges() == 3
    connected = entity_graph(small.graph, include_isolated=False)
    assert "kg:test-market" not in connected and "kg:initech" not in connected
    assert connected.number_of_edges() == 5


def test_projection_of_the_real_graph(real):
    G = entity_graph(real.graph)
    huawei = G.nodes["kg:huawei"]
    assert (huawei["label"], huawei["label_zh_hans"], huawei["label_zh_hant"]) == (
        "Huawei",
        "华为",
        "華為",
    )
    assert not [n for n in G if n.startswith(("kg:stmt-", "kg:obs-", "aichip:"))]
    for u, v, key in G.edges(keys=True):
        assert key != "rdf:type"
        assert real.graph.value(URIRef(G.nodes[u]["iri"]), RDF.type) is not None
        assert real.graph.value(URIRef(G.nodes[v]["iri"]), RDF.type) is not None


# -- graph formats: networkx, igraph, csv read back the projection -----------------------------


def _nodes(G) -> dict:
    return {n: {k: v for k, v in d.items() if v != ""} for n, d in G.nodes(data=True)}


def _edges(G, drop=("id",)) -> Counter:
    return Counter(
        (u, v, tuple(sorted((k, val) for k, val in d.items() if val != "" and k not in drop)))
        for u, v, d in G.edges(data=True)
    )


@pytest.mark.parametrize("which", ["small", "real"])
@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_formats_read_back_in_networkx(fmt, which, request, tmp_path):
    import networkx as nx

    write, read = {
        "graphml": (export.to_graphml, nx.read_graphml),
        "gexf": (export.to_gexf, nx.read_gexf),
    }[fmt]
    loaded = request.getfixturevalue(which)
    path = tmp_path / f"g.{fmt}"
    path.write_bytes(write(loaded))
    expected, actual = entity_graph(loaded.graph), read(path)
    assert actual.is_directed()
    assert (actual.number_of_nodes(), actual.number_of_edges()) == (
        expected.number_of_nodes(),
        expected.number_of_edges(),
    )
    assert _nodes(actual) == _nodes(expected)
    assert _edges(actual) == _edges(expected)


def test_graphml_reads_back_in_igraph(small, tmp_path):
    import igraph

    path = tmp_path / "g.graphml"
    path.write_bytes(export.to_graphml(small))
    expected = entity_graph(small.graph)
    actual = igraph.Graph.Read_GraphML(str(path))
    assert actual.is_directed()
    assert (actual.vcount(), actual.ecount()) == (
        expected.number_of_nodes(),
        expected.number_of_edges(),
    )
    labels = dict(zip(actual.vs["id"], actual.vs["label"], strict=True))
    assert labels == {n: d["label"] for n, d in expected.nodes(data=True)}
    assert (
        dict(zip(actual.vs["id"], actual.vs["label_zh_hans"], strict=True))["kg:acme"] == "阿克米"
    )
    ids = actual.vs["id"]
    triples = sorted((ids[e.source], e["predicate"], ids[e.target]) for e in actual.es)
    assert triples == sorted((u, k, v) for u, v, k in expected.edges(keys=True))


def _read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "spreadsheets need the UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("which", ["small", "real"])
def test_csv_tables_match_the_projection(which, request):
    loaded = request.getfixturevalue(which)
    expected = entity_graph(loaded.graph)
    nodes = _read_csv(export.to_nodes_csv(loaded))
    edges = _read_csv(export.to_edges_csv(loaded))
    assert {row.pop("id"): row for row in nodes} == {
        n: dict(d) for n, d in expected.nodes(data=True)
    }
    ids = {row["id"] for row in _read_csv(export.to_nodes_csv(loaded))}
    assert all(row["source"] in ids and row["target"] in ids for row in edges)
    assert Counter(
        (row.pop("source"), row.pop("target"), tuple(sorted(row.items()))) for row in edges
    ) == Counter((u, v, tuple(sorted(d.items()))) for u, v, d in expected.edges(data=True))


@pytest.mark.parametrize("which", ["small", "real"])
def test_cytoscape_json_has_valid_elements(which, request):
    loaded = request.getfixturevalue(which)
    data = json.loads(export.to_cytoscape(loaded))
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    ids = [element["data"]["id"] for element in nodes + edges]
    assert len(ids) == len(set(ids)), "Cytoscape.js needs ids unique across all elements"
    node_ids = {node["data"]["id"] for node in nodes}
    assert all(e["data"]["source"] in node_ids and e["data"]["target"] in node_ids for e in edges)
    expected = entity_graph(loaded.graph)
    assert {n["data"].pop("id"): n["data"] for n in nodes} == dict(expected.nodes(data=True))
    assert Counter(
        (e["data"].pop("source"), e["data"].pop("target"), e["data"].pop("id").split(" ")[1])
        for e in edges
    ) == Counter(list(expected.edges(keys=True)))
    assert [e["data"] for e in edges] == [d for _u, _v, d in expected.edges(data=True)]


# -- characters a format cannot carry -----------------------------------------------------------


def _graph_with_label(text: str) -> Graph:
    g = Graph()
    g.parse(REPO / "ontology" / "aichip.ttl")
    foo = URIRef(PREFIXES["kg"] + "foo")
    g.add((foo, RDF.type, URIRef(PREFIXES["aichip"] + "Company")))
    g.add((foo, RDFS.label, Literal(text, lang="en")))
    return g


@pytest.mark.parametrize("name", ["rdfxml", "graphml", "gexf"])
def test_xml_formats_refuse_a_control_character(name):
    with pytest.raises(ExportError, match=r"kg:foo .*label contains U\+0007, which XML cannot"):
        export.render(name, _graph_with_label("bell\x07"))


@pytest.mark.parametrize("name", ["turtle", "ntriples", "jsonld", "nodes-csv", "cyjs"])
def test_text_formats_carry_a_control_character(name):
    assert b"bell\x07" in export.render(name, _graph_with_label("bell\x07")).replace(
        b"\\u0007", b"\x07"
    )


def test_lone_surrogate_is_refused_everywhere():
    graph = _graph_with_label("half \ud800 pair")
    for name in export.FORMATS:
        with pytest.raises(ExportError, match="U\\+D800"):
            export.render(name, graph)


def test_iri_with_a_space_and_literal_subject_are_refused():
    spaced = Graph()
    spaced.add((URIRef("http://example.org/a b"), RDFS.label, Literal("x")))
    generalised = Graph()
    generalised.add((Literal("s"), RDFS.label, Literal("x")))
    for name in ("turtle", "ntriples", "jsonld", "rdfxml"):
        with pytest.raises(ExportError, match="U\\+0020, which an IRI cannot carry"):
            export.render(name, spaced)
        with pytest.raises(ExportError, match="literal subject"):
            export.render(name, generalised)


def test_cli_refusal_keeps_the_old_file(fixture_project):
    bad = fixture_project / "facts" / "bad.ttl"
    bad.write_text(
        "@prefix kg: <https://w3id.org/aichip-kg/id/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'kg:acme skos:altLabel "ring\\u0007"@en .\n',
        encoding="utf-8",
    )
    target = fixture_project / "old.rdf"
    target.write_bytes(b"previous contents")
    result = CliRunner().invoke(
        cli, ["--root", str(fixture_project), "export", "-f", "rdfxml", "-o", str(target)]
    )
    assert result.exit_code == 2, result.output
    assert "kg:acme skos:altLabel contains U+0007, which XML cannot carry" in result.output
    assert target.read_bytes() == b"previous contents"
    assert sorted(p.name for p in fixture_project.iterdir()) == ["facts", "old.rdf", "ontology"]


# -- CLI --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["turtle", "graphml", "nodes-csv"])
def test_cli_writes_stdout_and_file_identically(name, fixture_project, small):
    runner = CliRunner()
    root = ["--root", str(fixture_project)]
    to_stdout = runner.invoke(cli, [*root, "export", "--format", name])
    assert to_stdout.exit_code == 0, to_stdout.output
    target = fixture_project / "out" / export.FORMATS[name].filename
    target.parent.mkdir()  # -o never creates directories (a typo must not make one)
    to_file = runner.invoke(cli, [*root, "export", "-f", name, "-o", str(target)])
    assert to_file.exit_code == 0, to_file.output
    assert to_stdout.stdout_bytes == target.read_bytes() == export.render(name, small)


def test_cli_list_json():
    result = CliRunner().invoke(cli, ["export", "--list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == list(export.FORMATS)
    assert {"name": "jsonld", "file": "aichip-kg.jsonld"}.items() <= rows[2].items()


def test_cli_needs_a_format():
    result = CliRunner().invoke(cli, ["export"])
    assert result.exit_code == 2
    assert "--format" in result.output


# -- determinism ------------------------------------------------------------------------------

_DIGEST_SCRIPT = """
import hashlib, sys
from rdflib import BNode, Literal, URIRef
from kg.export import formats as export
from kg.facts.load import load
from kg.project import Project
loaded = load(Project.at(sys.argv[1], facts_dir=sys.argv[2]))
node = BNode()
loaded.graph.add((URIRef("http://example.org/s"), URIRef("http://example.org/p"), node))
loaded.graph.add((node, URIRef("http://example.org/q"), Literal("blank")))
for name in export.FORMATS:
    print(name, hashlib.sha256(export.render(name, loaded)).hexdigest())
"""


def test_byte_identical_across_hash_seeds():
    outputs = set()
    for seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT, str(REPO), str(FIXTURE_FACTS)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1, outputs
    assert len(outputs.pop().splitlines()) == len(export.FORMATS)


def test_same_facts_in_another_order_give_the_same_bytes(small):
    triples = list(small.graph)
    random.Random(7).shuffle(triples)
    shuffled = Graph()
    for triple in triples:
        shuffled.add(triple)
    for name in export.FORMATS:
        assert export.render(name, shuffled) == export.render(name, small), name


# -- kg build: everything, atomically, and --check --------------------------------------------


def test_build_writes_every_format(fixture_project):
    result = CliRunner().invoke(cli, ["--root", str(fixture_project), "build"])
    assert result.exit_code == 0, result.output
    written = {p.name for p in (fixture_project / "exports").iterdir()}
    assert {f.filename for f in export.FORMATS.values()} <= written


def test_failing_exporter_leaves_every_old_file(fixture_project, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(cli, ["--root", str(fixture_project), "build"]).exit_code == 0
    exports = fixture_project / "exports"
    before = {p.name: p.read_bytes() for p in exports.iterdir()}
    (fixture_project / "facts" / "more.ttl").write_text(
        "@prefix aichip: <https://w3id.org/aichip-kg/ontology#> .\n"
        "@prefix kg: <https://w3id.org/aichip-kg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kg:hooli a aichip:Company ; rdfs:label "Hooli"@en .\n',
        encoding="utf-8",
    )

    def broken(_loaded):
        raise ExportError("simulated failure")

    monkeypatch.setitem(build.EXPORTERS, "zz-broken.bin", broken)
    result = runner.invoke(cli, ["--root", str(fixture_project), "build"])
    assert result.exit_code == 2
    assert "simulated failure" in result.output
    assert {p.name: p.read_bytes() for p in exports.iterdir()} == before


def test_build_check_names_every_stale_file(fixture_project):
    runner = CliRunner()
    root = ["--root", str(fixture_project)]
    assert runner.invoke(cli, [*root, "build"]).exit_code == 0
    fresh = runner.invoke(cli, [*root, "build", "--check"])
    assert fresh.exit_code == 0, fresh.output

    facts = fixture_project / "facts" / "small.ttl"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace('"Globex"@en', '"Globex Corporation"@en'),
        encoding="utf-8",
    )
    (fixture_project / "exports" / "aichip-kg.gexf").unlink()
    stale = runner.invoke(cli, [*root, "build", "--check"])
    assert stale.exit_code == 1, stale.output
    named = {
        line.removeprefix("stale: ") for line in stale.output.splitlines() if "stale: " in line
    }
    # The label is in every export but edges.csv, which has no node labels. (Other modules'
    # exports, such as the viewer, may be named too.)
    mine = {f.filename for f in export.FORMATS.values()}
    assert named & mine == mine - {"edges.csv"}
