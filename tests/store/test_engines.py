"""kg.store: the same answers from rdflib in memory and from pyoxigraph (memory, disk, cache).

The competency questions run over the real graph in every store and must agree as sets of
rows. Results are checked with pyoxigraph's own results parser, exports by parsing them back,
and the on-disk store across two CLI calls and a change of the facts.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Literal, URIRef

from cli import cli
from kg.errors import InputError, QueryError
from kg.project import Project, default_project
from kg.sparql.results import Result
from kg.store import STORE_ENV, StoreSpec, open_graph, open_store, parse_spec
from kg.store.base import CURATED_GRAPH
from kg.store.convert import term_from_ox
from kg.store.memory import MemoryStore
from kg.store.oxigraph import OxigraphStore
from tests.conftest import REPO

pyoxigraph = pytest.importorskip("pyoxigraph")

QUERIES = sorted((REPO / "kg" / "queries").glob("cq*.rq"))
KG = "https://w3id.org/aichip-kg/id/"


def _cell(term):
    """GROUP_CONCAT joins values in no defined order: compare its parts as a sorted tuple."""
    if isinstance(term, Literal) and " / " in str(term):  # side-by-side figures (cq13)
        return ("group", tuple(sorted(str(term).split(" / "))))
    if isinstance(term, Literal) and " " in str(term):
        parts = str(term).split(" ")
        if all(part.startswith(("http://", "https://")) for part in parts):
            return ("group", tuple(sorted(parts)))
    if isinstance(term, Literal) and term.language:
        return Literal(str(term), lang=term.language.lower())
    return term


def _answer(result) -> set:
    return {tuple(_cell(t) for t in row) for row in result.rows}


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    project = default_project()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        cached = open_graph(project)  # the default: pyoxigraph over the cached copy
    assert cached.spec == StoreSpec("default") and cached.read_only
    memory = MemoryStore()
    memory.use_curated(project)
    in_memory = OxigraphStore()
    in_memory.use_curated(project)
    on_disk = OxigraphStore(tmp_path_factory.mktemp("store") / "kg")
    on_disk.use_curated(project)
    yield {"memory": memory, "oxigraph": in_memory, "oxigraph:PATH": on_disk, "default": cached}
    on_disk.close()
    cached.close()


# -- the competency questions in every store ----------------------------------------------------


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_competency_answers_agree(stores, path):
    text = path.read_text(encoding="utf-8")
    expected = stores["memory"].query(text, source=path.name)
    assert expected.rows, f"{path.stem} has no answer on the real graph"
    for name in ("oxigraph", "oxigraph:PATH", "default"):
        got = stores[name].query(text, source=path.name)
        assert got.variables == expected.variables, name
        assert len(got.rows) == len(expected.rows), name
        assert _answer(got) == _answer(expected), name


def test_same_triples_in_every_store(stores):
    sizes = {name: len(store) for name, store in stores.items()}
    assert len(set(sizes.values())) == 1, sizes
    assert sizes["memory"] > 1000


def test_real_answer_huawei_is_a_foundation_member(stores):
    text = (
        "SELECT ?m ?label WHERE { ?m org:memberOf kg:pytorch-foundation ; rdfs:label ?label "
        'FILTER(langMatches(lang(?label), "zh-Hans")) }'
    )  # langMatches: pyoxigraph lower-cases tags, so lang(?label) = "zh-Hans" never holds there
    for store in stores.values():
        rows = store.query(text).rows
        assert (URIRef(KG + "huawei"), Literal("华为", lang="zh-Hans")) in rows


def test_relative_iris_mean_project_entities_in_every_store(stores):
    """`<huawei>` in a query is kg:huawei (kg.sparql.policy.QUERY_BASE), whichever store answers."""
    text = "SELECT ?s WHERE { VALUES ?s { <huawei> } ?s ?p ?o } LIMIT 1"
    for name, store in stores.items():
        assert store.query(text).rows == ((URIRef(KG + "huawei"),),), name


def test_ask_and_construct(stores):
    for store in stores.values():
        assert store.query("ASK { kg:huawei a ?class }").boolean is True
        assert store.query("ASK { kg:huawei a kg:no-such-class }").boolean is False
        graph = store.query(
            "CONSTRUCT { kg:huawei rdfs:label ?l } WHERE { kg:huawei rdfs:label ?l }"
        )
        assert graph.kind == "CONSTRUCT"
        assert (
            URIRef(KG + "huawei"),
            URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
            Literal("Huawei", lang="en"),
        ) in graph.triples()
        described = store.query("DESCRIBE kg:huawei")
        assert described.kind == "DESCRIBE" and len(described) > 5


# -- result formats ---------------------------------------------------------------------------


SELECT = """SELECT ?s ?label ?n WHERE {
  VALUES (?s ?label ?n) {
    (kg:huawei "華為"@zh-Hant 1)
    (kg:nvidia UNDEF 2.5)
    (kg:no-such-thing "x, \\"quoted\\"\\ttab\\nline" UNDEF)
  }
} ORDER BY ?s"""


def _parsed_solutions(data: bytes, fmt: str) -> set:
    form = getattr(pyoxigraph.QueryResultsFormat, fmt.upper())
    parsed = pyoxigraph.parse_query_results(data, format=form)
    names = [v.value for v in parsed.variables]
    return {tuple(_cell(term_from_ox(s[n])) for n in names) for s in parsed}


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_results_parse_back_with_pyoxigraph_from_every_store(stores, fmt):
    expected = {tuple(_cell(t) for t in row) for row in stores["memory"].query(SELECT).rows}
    assert len(expected) == 3
    for name, store in stores.items():
        assert _parsed_solutions(store.query(SELECT).serialize(fmt), fmt) == expected, name


def test_csv_results(stores):
    for store in stores.values():
        data = store.query(SELECT).serialize("csv").decode("utf-8")
        rows = list(csv.reader(io.StringIO(data, newline="")))
        assert rows[0] == ["s", "label", "n"]
        assert [KG + "huawei", "華為", "1"] in rows
        assert [KG + "nvidia", "", "2.5"] in rows
        assert [KG + "no-such-thing", 'x, "quoted"\ttab\nline', ""] in rows


def test_ask_results_in_every_format(stores):
    for store in stores.values():
        result = store.query("ASK { kg:huawei ?p ?o }")
        assert json.loads(result.serialize("json")) == {"head": {}, "boolean": True}
        assert b"<boolean>true</boolean>" in result.serialize("xml")


def test_xml_results_escape():
    rows = [(URIRef("http://x/a&b"), Literal('<tag> & "q"', lang="en"), BNode("b1"))]
    xml = Result("SELECT", ("a", "b", "c"), rows=rows).serialize("xml")
    parsed = _parsed_solutions(xml, "xml")
    assert (URIRef("http://x/a&b"), Literal('<tag> & "q"', lang="en")) == next(iter(parsed))[:2]


def test_every_store_writes_the_same_table_and_json(stores):
    tables = {name: store.query(SELECT).serialize("table") for name, store in stores.items()}
    assert len(set(tables.values())) == 1, tables
    assert "kg:huawei" in tables["memory"].decode() and "華為" in tables["memory"].decode()
    for store in stores.values():
        data = json.loads(store.query(SELECT).serialize("json"))
        assert len(data["results"]["bindings"]) == 3


# -- refusals and errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "SELECT * WHERE {\n  SERVICE <http://example.org/sparql> { ?s ?p ?o }\n}",
            "SERVICE is not supported",
        ),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "FROM NAMED is not"),
        (
            "PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }",
            "INSERT is a SPARQL UPDATE",
        ),
        ("SELECT * WHERE {\n  ?s ?p \n}", "syntax error"),
        ("SELECT * WHERE { ?s nope:thing ?o }", "unknown prefix nope:"),
        ("   ", "the query is empty"),
    ],
)
def test_refusals_and_errors(stores, text, needle):
    for store in stores.values():
        with pytest.raises(QueryError) as caught:
            store.query(text, source="q.rq")
        assert needle in str(caught.value), (store.spec, str(caught.value))


def test_oxigraph_refusals_point_at_the_keyword(stores):
    store = stores["oxigraph"]
    with pytest.raises(QueryError, match=r"^q\.rq:2:3: SERVICE"):
        store.query("SELECT * WHERE {\n  SERVICE <http://x/> { ?s ?p ?o } }", source="q.rq")
    with pytest.raises(QueryError, match=r"^q\.rq:1:10: FROM"):
        store.query("SELECT * FROM <http://x/g> WHERE { ?s ?p ?o }", source="q.rq")


# -- exports and the rdflib view ------------------------------------------------------------


def _normalised(graph) -> set:
    return {tuple(_cell(t) for t in triple) for triple in graph if not isinstance(triple[0], BNode)}


@pytest.mark.parametrize(("fmt", "form"), [("turtle", "TURTLE"), ("ntriples", "N_TRIPLES")])
def test_exports_parse_back_to_the_same_triples(stores, fmt, form):
    expected = _normalised(stores["memory"].graph)
    for name in ("oxigraph", "oxigraph:PATH", "memory"):
        data = stores[name].serialize(fmt)
        parsed = pyoxigraph.parse(data, format=getattr(pyoxigraph.RdfFormat, form))
        triples = {
            tuple(_cell(term_from_ox(t)) for t in (q.subject, q.predicate, q.object))
            for q in parsed
            if not isinstance(q.subject, pyoxigraph.BlankNode)
        }
        assert triples == expected, name


def test_export_leaves_out_bookkeeping_graphs(stores):
    data = stores["oxigraph:PATH"].serialize("nquads")
    assert CURATED_GRAPH.encode() not in data
    assert len(data.splitlines()) == len(stores["oxigraph:PATH"])


def test_entity_projection_is_the_same_from_every_store(stores):
    """kg analyze / viz / graph exports on --store oxigraph see the graph rdflib sees (the
    projection reads a pyoxigraph store with one query: kg.export.entity_graph._read_at_once)."""
    from kg.export.entity_graph import entity_graph

    expected = entity_graph(stores["memory"].graph)
    assert expected.number_of_edges() > 100
    for name in ("oxigraph", "oxigraph:PATH"):
        got = entity_graph(stores[name].as_rdflib())
        assert list(got.nodes(data=True)) == list(expected.nodes(data=True)), name
        assert list(got.edges(keys=True, data=True)) == list(
            expected.edges(keys=True, data=True)
        ), name


def test_rdflib_view_over_oxigraph(stores):
    view = stores["oxigraph"].as_rdflib()
    assert _normalised(view) == _normalised(stores["memory"].graph)
    huawei = URIRef(KG + "huawei")
    labels = set(view.objects(huawei, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert Literal("華為", lang="zh-Hant") in labels
    assert any(str(o) == "華為" and o.language == "zh-Hant" for o in labels)  # BCP 47 case kept
    rows = list(view.query("SELECT ?x WHERE { ?x org:memberOf kg:pytorch-foundation }"))
    assert (huawei,) in {tuple(r) for r in rows}


# -- specs ---------------------------------------------------------------------------------


def test_parse_spec(monkeypatch, tmp_path):
    monkeypatch.delenv(STORE_ENV, raising=False)
    assert parse_spec(None) == StoreSpec("default")
    assert parse_spec("memory") == StoreSpec("memory")
    assert parse_spec("oxigraph") == StoreSpec("oxigraph")
    assert parse_spec(f"oxigraph:{tmp_path}") == StoreSpec("oxigraph", tmp_path)
    monkeypatch.setenv(STORE_ENV, "oxigraph")
    assert parse_spec(None).kind == "oxigraph"
    for bad in ("sqlite", "memory:/x", "oxygraph:/x", "default:/x"):
        with pytest.raises(InputError):
            parse_spec(bad)


def test_cli_rejects_a_bad_store():
    result = CliRunner().invoke(cli, ["--store", "sqlite", "load", "x.nt"])
    assert result.exit_code == 2
    assert "--store" in result.output


def test_refuses_a_directory_that_is_not_a_store(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a kg store"):
        open_store(f"oxigraph:{tmp_path}")


# -- the on-disk store: persistence and the curated graph --------------------------------------


FACTS = """@prefix kg: <https://w3id.org/aichip-kg/id/> .
@prefix aichip: <https://w3id.org/aichip-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
kg:acme a aichip:Company ; rdfs:label "Acme"@en .
kg:beta a aichip:Company ; rdfs:label "Beta"@en .
"""


def _labels(store) -> set[str]:
    rows = store.query("SELECT ?l WHERE { ?c a aichip:Company ; rdfs:label ?l }").rows
    return {str(row[0]) for row in rows}


def test_curated_graph_is_reused_and_replaced(make_project, tmp_path):
    root = make_project({"entities.ttl": FACTS})
    project = Project.at(root)
    path = tmp_path / "store"
    with open_store(f"oxigraph:{path}") as store:
        assert store.use_curated(project) is True
        assert _labels(store) == {"Acme", "Beta"}
    with open_store(f"oxigraph:{path}") as store:
        assert store.use_curated(project) is False  # same facts: nothing reloaded
        assert _labels(store) == {"Acme", "Beta"}
    (root / "facts" / "entities.ttl").write_text(FACTS.replace("Beta", "Gamma"), encoding="utf-8")
    with open_store(f"oxigraph:{path}") as store:
        assert store.use_curated(project) is True
        assert _labels(store) == {"Acme", "Gamma"}


def test_loaded_triple_equal_to_a_curated_one_survives_its_removal(make_project, tmp_path):
    from kg.store.bulkload import load_files

    root = make_project({"entities.ttl": FACTS})
    project = Project.at(root)
    dump = tmp_path / "dump.nt"
    dump.write_text(
        f'<{KG}beta> <http://www.w3.org/2000/01/rdf-schema#label> "Beta"@en .\n'
        f"<{KG}beta> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/aichip-kg/ontology#Company> .\n",
        encoding="utf-8",
    )
    path = tmp_path / "store"
    with open_store(f"oxigraph:{path}") as store:
        store.use_curated(project)
        load_files(store, [dump])
        assert _labels(store) == {"Acme", "Beta"}
    (root / "facts" / "entities.ttl").write_text(
        "\n".join(line for line in FACTS.splitlines() if "beta" not in line), encoding="utf-8"
    )
    with open_store(f"oxigraph:{path}") as store:
        assert store.use_curated(project) is True
        assert _labels(store) == {"Acme", "Beta"}  # Beta came from the dump too


def test_on_disk_store_persists_between_cli_calls(tmp_path):
    from tests._synth import synthetic

    data = synthetic(tmp_path / "a.nt", 1500)
    more = tmp_path / "b.nt"
    more.write_text(f'<{KG}extra> <{KG}p> "one more" .\n', encoding="utf-8")
    store = tmp_path / "kg.store"
    runner = CliRunner()
    first = runner.invoke(cli, ["--store", f"oxigraph:{store}", "load", str(data)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["--store", f"oxigraph:{store}", "load", "--json", str(more)])
    assert second.exit_code == 0, second.output
    report = json.loads(second.stdout)
    assert report["before"] == 1500 and report["after"] == 1501
    with open_store(f"oxigraph:{store}") as opened:
        rows = opened.query(f"SELECT ?o WHERE {{ <{KG}extra> ?p ?o }}").rows
        assert rows == ((Literal("one more"),),)
        loads = opened.manifest()["loads"]
        assert [Path(entry["file"]).name for entry in loads] == ["a.nt", "b.nt"]
        assert loads[1]["triples"] == 1  # checked first (the store was not empty): counted


# -- the CLI on --store oxigraph:PATH -------------------------------------------------------------


def _bindings(output: str) -> set:
    data = json.loads(output)
    return {
        tuple(sorted((k, v["value"]) for k, v in row.items()))
        for row in data["results"]["bindings"]
    }


def test_cli_query_ask_and_export_on_the_oxigraph_store(tmp_path, monkeypatch):
    monkeypatch.delenv(STORE_ENV, raising=False)
    runner = CliRunner()
    store = ["--store", f"oxigraph:{tmp_path / 'kg.store'}"]
    query = "SELECT ?m WHERE { ?m org:memberOf kg:pytorch-foundation }"
    memory = runner.invoke(cli, ["query", "--format", "json", query])
    oxigraph = runner.invoke(cli, [*store, "query", "--format", "json", query])
    assert memory.exit_code == 0, memory.output
    assert oxigraph.exit_code == 0, oxigraph.output
    assert _bindings(oxigraph.stdout) == _bindings(memory.stdout)
    assert ("m", KG + "huawei") in {pair for row in _bindings(memory.stdout) for pair in row}

    asked = runner.invoke(cli, [*store, "ask", "cq12", "--format", "csv"])
    assert asked.exit_code == 0, asked.output
    assert KG + "jensen-huang" in asked.stdout

    exported = runner.invoke(cli, [*store, "export", "-f", "ntriples"])
    assert exported.exit_code == 0, exported.output
    parsed = list(pyoxigraph.parse(exported.stdout_bytes, format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert len(parsed) == _curated_size()


def _curated_size() -> int:
    store = MemoryStore()
    store.use_curated(default_project())
    return len(store)


# -- the project's default store: kg.toml ------------------------------------------------------


def test_kg_toml_sets_the_store_relative_to_the_project(make_project, tmp_path, monkeypatch):
    root = make_project({"entities.ttl": FACTS})
    (root / "kg.toml").write_text('store = "oxigraph:data/store"\n', encoding="utf-8")
    monkeypatch.delenv(STORE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # not the project root: the path is still the project's
    runner = CliRunner()
    result = runner.invoke(cli, ["--root", str(root), "stats"])
    assert result.exit_code == 0, result.output
    assert (root / "data" / "store" / "kg-store.json").is_file()
    assert not (tmp_path / "data").exists()
    # --store and KG_STORE win over kg.toml.
    other = tmp_path / "elsewhere"
    result = runner.invoke(cli, ["--root", str(root), "--store", f"oxigraph:{other}", "stats"])
    assert result.exit_code == 0, result.output
    assert (other / "kg-store.json").is_file()
    third = tmp_path / "from-env"
    monkeypatch.setenv(STORE_ENV, f"oxigraph:{third}")
    assert runner.invoke(cli, ["--root", str(root), "stats"]).exit_code == 0
    assert (third / "kg-store.json").is_file()


@pytest.mark.parametrize(
    "text, message",
    [
        ('store = "oxigraph:x"\nstore2 = 1\n', "unknown setting store2; known: store"),
        ('store = "sqlite"\n', "store: unknown store 'sqlite'"),
        ("store = 3\n", "store must be a string"),
        ('\nstore = "oxigraph\n', "kg.toml:2: "),
    ],
)
def test_kg_toml_errors_name_the_file(make_project, monkeypatch, text, message):
    root = make_project({"entities.ttl": FACTS})
    (root / "kg.toml").write_text(text, encoding="utf-8")
    monkeypatch.delenv(STORE_ENV, raising=False)
    result = CliRunner().invoke(cli, ["--root", str(root), "stats"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {root / 'kg.toml'}"), lines
    assert message in lines[0], lines
