"""`kg query`: prefixes, formats (checked with independent parsers), --infer, errors, the cache."""

from __future__ import annotations

import csv
import io
import json
import pickle

import pyoxigraph
import pytest
from click.testing import CliRunner

from cli import cli
from kg.cli.common import QUERY_FORMATS
from kg.errors import QueryError
from kg.facts import cache as kgcache
from kg.project import Project
from kg.sparql.policy import check_query
from kg.sparql.results import format_names
from kg.tables import display_width, format_table
from tests.conftest import FIXTURES, REPO, cli_error, cli_ok

FACTS = FIXTURES / "query" / "facts"
KG = "https://w3id.org/aichip-kg/id/"
MEMBERS = "SELECT ?m ?f WHERE { ?m org:memberOf ?f } ORDER BY ?m"


pytestmark = pytest.mark.usefixtures("cache_dir")


def kg(*args, input=None, facts=FACTS):
    return CliRunner().invoke(
        cli, ["--root", str(REPO), "--facts", str(facts), "query", *args], input=input
    )


ok = cli_ok


def bad(result, code=2):
    stderr = cli_error(result, code)
    assert stderr.startswith("error: ")
    return stderr


# -- happy paths ------------------------------------------------------------------------------


def test_table_uses_project_prefixes_and_aligns():
    out = ok(kg(MEMBERS))
    lines = out.splitlines()
    assert lines[0].split() == ["m", "f"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["kg:huawei", "kg:pytorch-foundation"]
    assert lines[3].split() == ["kg:nvidia", "kg:linux-foundation"]
    # Second column starts at the same offset on every row.
    assert len({line.index(line.split()[1]) for line in lines[2:]}) == 1


def test_table_aligns_chinese_by_display_width():
    out = ok(kg("SELECT ?l ?s WHERE { ?s rdfs:label ?l FILTER(?s IN (kg:huawei, kg:amd)) }"))
    rows = [line for line in out.splitlines()[2:]]
    # The kg: id column starts at the same display column whether the label is 华为 or AMD.
    starts = {display_width(row[: row.index("kg:")]) for row in rows}
    assert len(starts) == 1, out
    assert any("华为@zh-Hans" in row for row in rows)


def test_display_width_counts_wide_characters_twice():
    assert display_width("華為") == 4
    assert display_width("AMD") == 3
    table = format_table(("a", "b"), [("華為", "x"), ("AMD", "y")])
    first, second = table.splitlines()[2:]
    assert display_width(first[: first.index("x")]) == display_width(second[: second.index("y")])


def test_query_from_file_and_stdin(tmp_path):
    path = tmp_path / "members.rq"
    path.write_text(MEMBERS, encoding="utf-8")
    from_file = ok(kg("-f", str(path), "--format", "csv"))
    from_stdin = ok(kg("--format", "csv", input=MEMBERS))
    from_dash = ok(kg("-", "--format", "csv", input=MEMBERS))
    inline = ok(kg(MEMBERS, "--format", "csv"))
    assert from_file == from_stdin == from_dash == inline
    assert f"{KG}huawei" in inline


def test_csv_parses_with_csv_module():
    rows = list(csv.reader(io.StringIO(ok(kg(MEMBERS, "--format", "csv")))))
    assert rows[0] == ["m", "f"]
    assert [f"{KG}huawei", f"{KG}pytorch-foundation"] in rows


def test_csv_is_spreadsheet_safe():
    """Cells a spreadsheet would run as formulas get the CSV exports' leading apostrophe;
    numbers and plain text stay as they are (read back with the csv module)."""
    values = ['=HYPERLINK("http://x.example","y")', "@SUM(A1)", "+cmd", "'=x", "-3", "plain"]
    literals = " ".join(json.dumps(v) for v in values)
    query = f"SELECT ?v WHERE {{ VALUES ?v {{ {literals} }} }}"
    rows = list(csv.reader(io.StringIO(ok(kg(query, "--format", "csv")), newline="")))
    cells = sorted(row[0] for row in rows[1:])
    assert cells == sorted(["'" + values[0], "'@SUM(A1)", "'+cmd", "''=x", "-3", "plain"]), cells


def test_tsv_and_json_parse_with_pyoxigraph():
    query = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?s ?l"
    for fmt, kind in (("tsv", pyoxigraph.QueryResultsFormat.TSV), ("json", None)):
        data = ok(kg(query, "--format", fmt)).encode()
        kind = kind or pyoxigraph.QueryResultsFormat.JSON
        solutions = list(pyoxigraph.parse_query_results(data, format=kind))
        labels = {
            (s["s"].value, s["l"].value, s["l"].language)
            for s in solutions
            if s["s"].value == f"{KG}huawei"
        }
        assert labels == {
            (f"{KG}huawei", "Huawei", "en"),
            (f"{KG}huawei", "华为", "zh-hans"),
            (f"{KG}huawei", "華為", "zh-hant"),
        }, fmt


def test_json_is_sparql_results_json():
    data = json.loads(ok(kg(MEMBERS, "--json")))
    assert data["head"]["vars"] == ["m", "f"]
    first = data["results"]["bindings"][0]
    assert first["m"] == {"type": "uri", "value": f"{KG}huawei"}


def test_ask_in_every_solution_format():
    assert ok(kg("ASK { kg:huawei org:memberOf kg:pytorch-foundation }")).strip() == "true"
    assert ok(kg("ASK { kg:nvidia org:memberOf kg:pytorch-foundation }")).strip() == "false"
    data = json.loads(ok(kg("ASK { kg:huawei a aichip:Company }", "--format", "json")))
    assert data == {"head": {}, "boolean": True}
    parsed = pyoxigraph.parse_query_results(
        ok(kg("ASK { kg:huawei a aichip:Company }", "--format", "json")).encode(),
        format=pyoxigraph.QueryResultsFormat.JSON,
    )
    assert bool(parsed) is True
    assert ok(kg("ASK { kg:huawei a aichip:GPU }", "--format", "tsv")).strip() == "false"


CONSTRUCT = "CONSTRUCT { ?m org:memberOf ?f } WHERE { ?m org:memberOf ?f }"
EXPECTED_TRIPLES = {
    (f"{KG}huawei", "http://www.w3.org/ns/org#memberOf", f"{KG}pytorch-foundation"),
    (f"{KG}nvidia", "http://www.w3.org/ns/org#memberOf", f"{KG}linux-foundation"),
}


@pytest.mark.parametrize(
    ("fmt", "oxformat"),
    [("ttl", pyoxigraph.RdfFormat.TURTLE), ("nt", pyoxigraph.RdfFormat.N_TRIPLES)],
)
def test_construct_rdf_parses_with_pyoxigraph(fmt, oxformat):
    data = ok(kg(CONSTRUCT, "--format", fmt)).encode()
    triples = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in pyoxigraph.parse(data, format=oxformat)
    }
    assert triples == EXPECTED_TRIPLES


def test_construct_jsonld_expands_offline_with_pyld():
    from pyld import jsonld

    def no_network(url, options=None):
        raise AssertionError(f"JSON-LD output tried to load {url}")

    data = json.loads(ok(kg(CONSTRUCT, "--format", "jsonld")))
    assert isinstance(data["@context"], dict)  # inline, never a URL
    nquads = jsonld.to_rdf(data, {"format": "application/n-quads", "documentLoader": no_network})
    triples = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in pyoxigraph.parse(nquads.encode(), format=pyoxigraph.RdfFormat.N_QUADS)
    }
    assert triples == EXPECTED_TRIPLES


def test_construct_default_table_and_json_flag():
    out = ok(kg(CONSTRUCT))
    assert out.splitlines()[0].split() == ["subject", "predicate", "object"]
    assert "kg:huawei" in out and "org:memberOf" in out
    data = json.loads(ok(kg(CONSTRUCT, "--json")))
    assert "@graph" in data


def test_describe_returns_the_entitys_triples():
    data = ok(kg("DESCRIBE kg:huawei", "--format", "nt")).encode()
    triples = list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert any(t.object.value == "華為" for t in triples)


def test_output_is_deterministic():
    assert ok(kg(CONSTRUCT, "--format", "ttl")) == ok(kg(CONSTRUCT, "--format", "ttl"))
    assert ok(kg(CONSTRUCT, "--format", "jsonld")) == ok(kg(CONSTRUCT, "--format", "jsonld"))


def test_infer_finds_subclass_instances():
    query = "SELECT ?c WHERE { ?c a aichip:Chip } ORDER BY ?c"
    plain = ok(kg(query, "--format", "csv")).splitlines()[1:]
    inferred = ok(kg(query, "--format", "csv", "--infer")).splitlines()[1:]
    assert plain == []
    assert {f"{KG}h100", f"{KG}ascend-910", f"{KG}kunpeng-920"} <= set(inferred)
    # Symmetric property: NVIDIA competes with Huawei, so Huawei competes with NVIDIA.
    ask = "ASK { kg:huawei aichip:competesWith kg:nvidia }"
    assert ok(kg(ask)).strip() == "false"
    assert ok(kg(ask, "--infer")).strip() == "true"


def test_cli_format_choices_match_module():
    assert format_names() == QUERY_FORMATS


def test_help_has_example():
    result = CliRunner().invoke(cli, ["query", "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output and "kg query --infer" in result.output


# -- errors -----------------------------------------------------------------------------------


def test_syntax_error_has_line_and_column():
    err = bad(kg("SELECT ?x WHERE {\n  ?x ?p ?o .\n  FILTER(\n}"))
    assert err.startswith("error: query:3:"), err
    assert "syntax error" in err


def test_syntax_error_in_file_names_the_file(tmp_path):
    path = tmp_path / "broken.rq"
    path.write_text("# comment\nSELEC ?x WHERE { ?x ?p ?o }\n", encoding="utf-8")
    err = bad(kg("-f", str(path)))
    assert f"{path}:2:1: syntax error" in err


def test_unknown_prefix_points_at_its_use():
    err = bad(kg("SELECT ?x WHERE {\n  ?x foo:bar ?y }"))
    assert "query:2:6: unknown prefix foo:" in err


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { kg:a kg:b kg:c }",
        "PREFIX ex: <http://example.org/#>\n# a comment\ndelete where { ?s ?p ?o }",
        "CLEAR ALL",
        "LOAD <http://example.org/data.ttl>",
    ],
)
def test_update_is_refused(update):
    err = bad(kg(update))
    assert "read-only" in err


def test_network_features_are_refused():
    assert "SERVICE" in bad(
        kg("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    )
    assert "FROM" in bad(kg("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"))


def test_format_must_fit_query_kind():
    assert "ttl" in bad(kg(MEMBERS, "--format", "ttl"))
    assert "csv" in bad(kg(CONSTRUCT, "--format", "csv"))


def test_input_errors():
    assert "not both" in bad(kg(MEMBERS, "-f", "x.rq"))
    assert "cannot read" in bad(kg("-f", "/nonexistent/q.rq"))
    assert "empty" in bad(kg("   "))
    result = kg(MEMBERS, "--format", "rdfxml")  # a graph format for a SELECT
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "does not fit a SELECT" in result.output


def test_check_query_api_raises_query_error():
    with pytest.raises(QueryError, match=r"^q\.rq:1:1: syntax error"):
        check_query("SELEKT * {}", source="q.rq")
    assert check_query("DESCRIBE kg:huawei").kind == "DESCRIBE"


# -- cache ------------------------------------------------------------------------------------


def project():
    return Project.at(REPO, FACTS)


def test_cache_hits_after_first_load(cache_dir):
    first = kgcache.load_cached(project())
    second = kgcache.load_cached(project())
    assert not first.hit and second.hit
    assert second.path.parent == cache_dir
    assert set(first.graph) == set(second.graph)
    from kg.facts.load import load_graph

    assert set(second.graph) == set(load_graph(project()))


def test_cache_key_follows_facts_content(tmp_path):
    facts = tmp_path / "facts"
    facts.mkdir()
    for path in FACTS.glob("*.ttl"):
        (facts / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    edited = Project.at(REPO, facts)
    before = kgcache.cache_key(edited)
    assert before == kgcache.cache_key(edited)  # stable while nothing changes
    with (facts / "entities.ttl").open("a", encoding="utf-8") as stream:
        stream.write('\nkg:intel a aichip:Company ; rdfs:label "Intel"@en .\n')
    assert kgcache.cache_key(edited) != before
    assert kgcache.cache_key(edited, infer=True) != kgcache.cache_key(edited)
    # The CLI sees the edit at once: no stale answer from the cache.
    assert "Intel" not in ok(kg("SELECT ?l { ?s rdfs:label ?l }", facts=FACTS))
    assert "Intel" in ok(kg("SELECT ?l { ?s rdfs:label ?l }", facts=facts))


def test_corrupt_cache_is_ignored_and_rebuilt():
    cached = kgcache.load_cached(project())
    cached.path.write_bytes(cached.path.read_bytes()[:100])  # truncated
    again = kgcache.load_cached(project())
    assert not again.hit and len(again.graph) == len(cached.graph)
    assert kgcache.load_cached(project()).hit
    # A pickle of the wrong thing is rejected too.
    cached.path.write_bytes(kgcache._MAGIC + pickle.dumps({"key": "other", "graph": None}))
    assert not kgcache.load_cached(project()).hit


def test_no_cache_neither_reads_nor_writes(cache_dir):
    assert ok(kg(MEMBERS, "--no-cache"))
    assert not cache_dir.exists() or not list(cache_dir.iterdir())
    ok(kg(MEMBERS))
    assert len(list(cache_dir.glob("graph-*.pickle"))) == 1


def test_infer_closure_is_cached_separately(cache_dir):
    first = kgcache.load_cached(project(), infer=True)
    assert not first.hit
    assert kgcache.load_cached(project(), infer=True).hit
    assert len(list(cache_dir.glob("closure-*.pickle"))) == 1
    assert len(first.graph) > len(kgcache.load_cached(project()).graph)


def test_unwritable_cache_still_answers(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("KG_CACHE_DIR", str(blocker / "cache"))
    cached = kgcache.load_cached(project())
    assert cached.path is None and len(cached.graph) > 0


def test_syntax_error_in_facts_is_reported_not_cached(tmp_path):
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "bad.ttl").write_text(
        "@prefix kg: <https://w3id.org/aichip-kg/id/> .\nkg:a kg:b .\n", encoding="utf-8"
    )
    err = bad(kg(MEMBERS, facts=facts))
    assert "bad.ttl:2" in err


@pytest.mark.slow
def test_real_graph_infer_finds_gpus_and_npus_as_chips():
    real = ["--root", str(REPO), "query", "--format", "csv"]
    gpus = CliRunner().invoke(cli, [*real, "SELECT ?c { ?c a aichip:GPU }"])
    npus = CliRunner().invoke(cli, [*real, "SELECT ?c { ?c a aichip:NPU }"])
    gpu_ids, npu_ids = set(ok(gpus).split()[1:]), set(ok(npus).split()[1:])
    if not gpu_ids or not npu_ids:
        pytest.skip("facts/ has no GPU or no NPU yet")
    chips = CliRunner().invoke(cli, [*real, "--infer", "SELECT ?c { ?c a aichip:Chip }"])
    assert gpu_ids | npu_ids <= set(ok(chips).split()[1:])


def test_tsv_keeps_a_multiline_literal_on_one_row():
    query = 'SELECT ?x ?y WHERE { VALUES (?x ?y) { ("two\\nlines\\tand a tab"@en 1) } }'
    output = ok(kg(query, "--format", "tsv"))
    assert output.splitlines() == ["?x\t?y", '"two\\nlines\\tand a tab"@en\t1']
    parsed = pyoxigraph.parse_query_results(output.encode(), pyoxigraph.QueryResultsFormat.TSV)
    (solution,) = list(parsed)
    assert solution["x"].value == "two\nlines\tand a tab"


def test_infer_closure_is_the_reasoner_closure_with_the_project_prefixes():
    """--infer's closure is kg.facts.infer's (tests/facts/test_infer.py checks it against
    owlrl); the input graph is left as it was."""
    from rdflib import Graph, URIRef

    from kg.facts.infer import closure, infer_closure

    graph = Graph().parse(REPO / "ontology" / "aichip.ttl")
    graph.parse(
        data="@prefix kg: <https://w3id.org/aichip-kg/id/> . "
        "@prefix aichip: <https://w3id.org/aichip-kg/ontology#> . "
        "kg:x a aichip:NPU ; aichip:competesWith kg:y . kg:y a aichip:Company .",
        format="turtle",
    )
    before = set(graph)
    ours = infer_closure(graph)
    assert set(graph) == before
    assert set(ours) == set(closure(graph))
    assert len(ours) > len(graph)
    assert dict(ours.namespaces())["kg"] == URIRef(KG)
