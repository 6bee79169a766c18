"""Warnings before a query runs: unknown kg:/aichip: terms (did-you-mean) and lang() = "zh-Hans"
on pyoxigraph; through `kg query`/`kg ask` (stderr, --json, --strict), the API and the endpoint's
protocol layer."""

from __future__ import annotations

import json

import pyoxigraph
import pytest
from click.testing import CliRunner
from pyoxigraph import QueryResultsFormat

import kg
from cli import cli
from kg.errors import QueryWarnings
from kg.sparql.terms import PREFIXES
from kg.sparql.vocabulary import term_uses, vocabulary_warnings
from tests.conftest import FIXTURES, REPO, cli_error, cli_ok, copy_project

FACTS = FIXTURES / "query" / "facts"
ENGINES = ["default", "memory"]
TYPO_PROPERTY = "SELECT ?c WHERE { ?c aichip:desingedBy ?m }"
TYPO_ENTITY = "SELECT ?f WHERE { kg:huawai org:memberOf ?f }"
TYPO_CLASS = "SELECT ?c WHERE { ?c a aichip:Compnay }"
MIXED_TAG = 'SELECT ?l WHERE { kg:huawei rdfs:label ?l FILTER(lang(?l) = "zh-Hans") }'


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))


def run(*args, store="default", input=None):
    command = ["--root", str(REPO), "--facts", str(FACTS), "--store", store, *args]
    return CliRunner().invoke(cli, command, input=input)


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


# -- the CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("store", ENGINES)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            TYPO_PROPERTY,
            "warning: aichip:desingedBy is not a term of the ontology; "
            "did you mean aichip:designedBy?",
        ),
        (TYPO_ENTITY, "warning: kg:huawai is not an entity of the graph; did you mean kg:huawei?"),
        (TYPO_CLASS, "warning: aichip:Compnay is not a term of the ontology; did you mean "),
        (
            "SELECT ?f WHERE { <https://w3id.org/aichip-kg/id/huawai> org:memberOf ?f }",
            "warning: <https://w3id.org/aichip-kg/id/huawai> is not an entity of the graph; "
            "did you mean <https://w3id.org/aichip-kg/id/huawei>?",
        ),
        (
            "SELECT ?f WHERE { <huawai> org:memberOf ?f }",  # relative: resolves into kg:
            "warning: <huawai> is not an entity of the graph; did you mean <huawei>?",
        ),
    ],
)
def test_unknown_term_warns_with_did_you_mean(store, query, expected):
    result = run("query", query, store=store)
    cli_ok(result)
    (warning,) = warnings_of(result.stderr)
    assert warning.startswith(expected), warning
    assert "(query:1:" in warning  # where, for a query of many lines


def test_class_suggestion_is_the_class():
    (warning,) = warnings_of(run("query", TYPO_CLASS).stderr)
    assert "did you mean aichip:Company" in warning


@pytest.mark.parametrize("store", ENGINES)
def test_known_terms_strings_comments_and_other_namespaces_do_not_warn(store):
    query = """PREFIX ex: <http://example.org/>
    SELECT ?m WHERE {
      ?m org:memberOf kg:pytorch-foundation .    # kg:huawai aichip:desingedBy
      ?m a aichip:Company .
      OPTIONAL { ?m rdfs:comment "kg:huawai aichip:desingedBy <huawai>" }
      OPTIONAL { ?m ex:huawai <http://example.org/aichip:desingedBy> }
    }"""
    result = run("query", query, store=store)
    assert "huawei" in cli_ok(result)
    assert warnings_of(result.stderr) == []


def test_a_prefix_bound_elsewhere_is_not_checked_and_one_bound_here_is():
    elsewhere = "PREFIX kg: <http://example.org/> SELECT * WHERE { kg:huawai ?p ?o }"
    assert warnings_of(run("query", elsewhere).stderr) == []
    here = "PREFIX ent: <https://w3id.org/aichip-kg/id/> SELECT * WHERE { ent:huawai ?p ?o }"
    (warning,) = warnings_of(run("query", here).stderr)
    assert warning.startswith("warning: ent:huawai is not an entity of the graph; did you mean ")


def test_json_output_carries_warnings_only_when_there_are_some():
    body = cli_ok(run("query", "--json", TYPO_PROPERTY))
    data = json.loads(body)
    assert data["results"]["bindings"] == []
    # A SPARQL JSON reader still reads it (pyoxigraph's is strict about where extra keys go).
    parsed = pyoxigraph.parse_query_results(body.encode(), format=QueryResultsFormat.JSON)
    assert [v.value for v in parsed.variables] == ["c"]
    assert len(data["warnings"]) == 1
    assert data["warnings"][0].startswith("aichip:desingedBy is not a term of the ontology")
    clean = json.loads(cli_ok(run("query", "--json", "SELECT ?c WHERE { ?c a aichip:Company }")))
    assert "warnings" not in clean
    assert clean["results"]["bindings"]


@pytest.mark.parametrize("store", ENGINES)
def test_strict_makes_warnings_an_error(store):
    result = run("query", "--strict", TYPO_ENTITY, store=store)
    stderr = cli_error(result, 2)
    assert result.stdout == ""
    assert "warning: kg:huawai is not an entity of the graph" in stderr
    assert "error: 1 warning and --strict" in stderr
    cli_ok(run("query", "--strict", "SELECT ?f WHERE { kg:huawei org:memberOf ?f }", store=store))


def test_ask_with_a_misspelt_term_warns_and_strict_refuses(tmp_path):
    (tmp_path / "cq90-typo.rq").write_text(
        "# title: Members\n# param: foundation = kg:pytorch-foundation\n"
        "SELECT ?m WHERE {\n  VALUES ?foundation { kg:pytorch-foundation }\n"
        "  ?m org:memberOf ?foundation ; a aichip:Compnay .\n}\n",
        encoding="utf-8",
    )
    result = run("ask", "cq90", "--queries", str(tmp_path))
    cli_ok(result)
    (warning,) = warnings_of(result.stderr)
    assert warning.startswith("warning: aichip:Compnay is not a term of the ontology; did you")
    assert warning.endswith("cq90-typo.rq:5:35)")  # the file and line of the typo
    refused = run("ask", "cq90", "--strict", "--queries", str(tmp_path))
    assert "error: 1 warning and --strict" in cli_error(refused, 2)


def test_mixed_case_language_tag_warns_on_pyoxigraph_only():
    result = run("query", MIXED_TAG)
    assert "华为" not in cli_ok(result)  # pyoxigraph's tag is zh-hans: the warning is right
    (warning,) = warnings_of(result.stderr)
    assert 'lang(?l) = "zh-Hans"' in warning
    assert 'langMatches(lang(?l), "zh-Hans")' in warning
    fixed = MIXED_TAG.replace('lang(?l) = "zh-Hans"', 'langMatches(lang(?l), "zh-Hans")')
    fixed_result = run("query", fixed)
    assert "华为" in cli_ok(fixed_result)
    assert warnings_of(fixed_result.stderr) == []
    memory = run("query", MIXED_TAG, store="memory")  # rdflib keeps the tag's case
    assert "华为" in cli_ok(memory)
    assert warnings_of(memory.stderr) == []
    lower = run("query", MIXED_TAG.replace('"zh-Hans"', '"en"'))
    assert warnings_of(lower.stderr) == []


@pytest.mark.parametrize("store", ENGINES)
def test_competency_questions_run_without_warnings(store, monkeypatch):
    monkeypatch.delenv("KG_CACHE_DIR")  # the project's own facts: use the shared cache
    listing = json.loads(cli_ok(CliRunner().invoke(cli, ["ask", "--json"])))
    names = [entry["id"] for entry in listing]
    assert len(names) >= 10
    for name in names:
        result = CliRunner().invoke(cli, ["--store", store, "ask", name, "--format", "csv"])
        cli_ok(result)
        assert warnings_of(result.stderr) == [], name


# -- the API -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("vocabulary"), FACTS)


@pytest.mark.parametrize("store", [None, "memory"])
def test_api_result_has_warnings(project, store):
    with kg.open(project, store=store) as graph:
        result = graph.query(TYPO_PROPERTY)
        assert len(result) == 0
        (warning,) = result.warnings
        assert warning.startswith(
            "aichip:desingedBy is not a term of the ontology; did you mean aichip:designedBy?"
        )
        assert graph.query("SELECT ?c WHERE { ?c a aichip:Company }").warnings == ()
        assert graph.query(TYPO_ENTITY).warnings[0].startswith("kg:huawai is not an entity")
        assert bool(graph.query(MIXED_TAG).warnings) is (store is None)
        with pytest.raises(QueryWarnings, match="1 warning"):
            graph.store.query(TYPO_CLASS, strict=True)


# -- the endpoint's protocol layer ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_protocol_reply_has_warnings_header_and_json_field(project, engine):
    from kg.facts.load import load_graph
    from kg.project import Project
    from kg.serve.oxigraph import served_in_memory
    from kg.serve.protocol import Job, execute, served_data

    graph = load_graph(Project.at(project))
    served = served_data(graph) if engine == "rdflib" else served_in_memory(graph)
    for fmt in ("json", "csv", "xml", "tsv"):
        reply = execute(served, Job(TYPO_PROPERTY, formats=(fmt,)))
        assert reply.status == 200, reply.body
        header = dict(reply.headers)["KG-Warnings"]
        header.encode("ascii")  # an HTTP header value: ASCII, one line
        (warning,) = json.loads(header)
        assert warning.startswith("aichip:desingedBy is not a term of the ontology; did you mean")
        if fmt == "json":
            assert json.loads(reply.body)["warnings"] == [warning]
    graph_reply = execute(served, Job("DESCRIBE kg:huawai", formats=("ttl",)))
    assert "KG-Warnings" in dict(graph_reply.headers)
    clean = execute(served, Job("SELECT ?c WHERE { ?c a aichip:Company }", formats=("json",)))
    assert "KG-Warnings" not in dict(clean.headers)
    assert "warnings" not in json.loads(clean.body)
    tag = execute(served, Job(MIXED_TAG, formats=("json",)))
    assert ("KG-Warnings" in dict(tag.headers)) is (engine == "oxigraph")


# -- the pure function -------------------------------------------------------------------------


def test_vocabulary_warnings_is_pure_and_reports_each_term_once():
    known = {PREFIXES["kg"] + "huawei", PREFIXES["aichip"] + "designedBy"}
    text = "SELECT * {\n ?c aichip:desingedBy kg:huawei .\n ?d aichip:desingedBy ?e }"
    (warning,) = vocabulary_warnings(text, known, source="my.rq")
    assert warning.endswith("(my.rq:2:5)")
    assert [use.written for use in term_uses(text)] == [
        "aichip:desingedBy",
        "kg:huawei",
        "aichip:desingedBy",
    ]
    assert vocabulary_warnings("SELECT * { kg:nothing-like-it ?p ?o }", known)[0].startswith(
        "kg:nothing-like-it is not an entity of the graph (`kg search"
    )
