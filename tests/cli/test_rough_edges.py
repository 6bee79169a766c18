"""A newcomer's rough edges: failed loads leave nothing, paths stay as typed, loaded entities are
found by name, --depth needs --focus, 0 means all, relations named in Chinese."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import kg
from cli import cli
from tests.conftest import FIXTURES, REPO, cli_error, cli_ok, copy_project

FACTS = FIXTURES / "query" / "facts"


pytestmark = pytest.mark.usefixtures("cache_dir")


def run(*args):
    return CliRunner().invoke(cli, ["--root", str(REPO), "--facts", str(FACTS), *args])


def test_failed_load_of_a_missing_file_creates_no_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--store", "oxigraph:new.store", "load", "missing.nt"])
    assert cli_error(result, 2).strip() == "error: missing.nt: no such file"
    assert not (tmp_path / "new.store").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--root", "missing-root", "stats"], "error: missing-root: no such project directory"),
        (["--facts", "missing-facts", "stats"], "error: missing-facts: no such facts directory"),
        (["import", "epoch", "missing.csv", "--dry-run"], "error: missing.csv: no such file"),
        (["query", "-f", "missing.rq"], "error: missing.rq: cannot read query"),
    ],
)
def test_missing_paths_are_named_as_typed(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    stderr = cli_error(CliRunner().invoke(cli, args), 2)
    assert stderr.startswith(message), stderr
    assert str(tmp_path) not in stderr  # not resolved to an absolute path
    assert not (tmp_path / "missing-root").exists()  # nor created (a cache inside it)


def test_search_and_show_find_loaded_entities_of_any_namespace(tmp_path):
    root = copy_project(tmp_path / "project", FACTS)
    data = tmp_path / "other.nt"
    data.write_text(
        "<http://example.org/chip/x9> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"Zephyr X9"@en .\n'
        "<http://example.org/chip/x9> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/aichip-kg/ontology#Chip> .\n",
        encoding="utf-8",
    )
    base = ["--root", str(root), "--store", f"oxigraph:{tmp_path / 'store'}"]
    cli_ok(CliRunner().invoke(cli, [*base, "load", str(data)]))
    found = json.loads(cli_ok(CliRunner().invoke(cli, [*base, "search", "zephyr", "--json"])))
    assert [m["iri"] for m in found["matches"]] == ["http://example.org/chip/x9"]
    shown = json.loads(cli_ok(CliRunner().invoke(cli, [*base, "show", "Zephyr X9", "--json"])))
    assert "http://example.org/chip/x9" in json.dumps(shown)
    # Labelled vocabulary terms (the ontology itself, classes, properties) are not entities.
    ontology = CliRunner().invoke(cli, [*base, "search", "--json", "--limit", "0", "company"])
    assert all("ontology" not in m["iri"] for m in json.loads(ontology.stdout)["matches"])


def test_viz_depth_without_focus_is_an_error(tmp_path):
    result = run("viz", "--depth", "2", "-o", str(tmp_path / "g.html"))
    assert cli_error(result, 2).strip() == (
        "error: --depth 2 needs --focus TERM: it counts links away from TERM"
    )
    assert not (tmp_path / "g.html").exists()
    cli_ok(run("viz", "--focus", "huawei", "--depth", "2", "-o", str(tmp_path / "g.html")))


def test_zero_means_all_for_top_and_limit():
    everything = json.loads(cli_ok(run("search", "a", "--json", "--limit", "100000")))["matches"]
    assert len(everything) > 1
    zero = json.loads(cli_ok(run("search", "a", "--json", "--limit", "0")))["matches"]
    assert zero == everything
    top_all = json.loads(cli_ok(run("analyze", "centrality", "--json", "--top", "100000")))
    top_zero = json.loads(cli_ok(run("analyze", "centrality", "--json", "--top", "0")))
    assert top_zero == top_all and len(top_zero["rows"]) > 1
    with kg.open(REPO) as graph:  # the API: 0 is all there too
        assert len(graph.centrality(top=0).rows) == len(graph.centrality(top=None).rows) > 20
        assert len(graph.search("a", limit=0).matches) > 20


def test_path_names_relations_in_the_language_asked_for():
    english = cli_ok(CliRunner().invoke(cli, ["analyze", "path", "huawei", "nvidia"]))
    chinese = cli_ok(
        CliRunner().invoke(cli, ["analyze", "path", "huawei", "nvidia", "--lang", "zh-Hans"])
    )
    assert english.splitlines()[0] == "Huawei —competes with→ NVIDIA"
    first = chinese.splitlines()[0]
    assert first.startswith("华为 —") and "competes" not in first
    from rdflib import Graph, Literal, URIRef

    ontology = Graph().parse(REPO / "ontology" / "aichip.ttl")
    label = ontology.value(
        URIRef("https://w3id.org/aichip-kg/ontology#competesWith"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
        any=True,
        default=None,
    )
    zh = [
        o
        for o in ontology.objects(
            URIRef("https://w3id.org/aichip-kg/ontology#competesWith"),
            URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
        )
        if isinstance(o, Literal) and o.language == "zh-Hans"
    ]
    assert label is not None and len(zh) == 1
    assert f"—{zh[0]}→" in first
