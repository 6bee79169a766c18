"""`kg ask`: listing, running by name, parameters, and errors (fixture queries + the real ones)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from cli import cli
from kg.errors import InputError, UnknownTermError
from kg.explore.ask import bind, default_queries_dir, find_query, list_queries
from kg.sparql.policy import check_query as parse_query
from tests.conftest import FIXTURES, REPO, cli_error, cli_ok

FACTS = FIXTURES / "query" / "facts"
QUERIES = FIXTURES / "query" / "queries"
KG = "https://w3id.org/aichip-kg/id/"


pytestmark = pytest.mark.usefixtures("cache_dir")


def ask(*args, queries=QUERIES):
    extra = ["--queries", str(queries)] if queries else []
    return CliRunner().invoke(
        cli, ["--root", str(REPO), "--facts", str(FACTS), "ask", *extra, *args]
    )


ok, bad = cli_ok, cli_error


def csv_rows(text):
    return list(csv.reader(io.StringIO(text)))[1:]


def test_list_shows_each_question_with_description():
    result = ask()
    lines = ok(result).splitlines()
    first = lines.index(next(line for line in lines if line.startswith("cq01-")))
    assert lines[first].split(None, 1) == ["cq01-foundation-members", "Members of a foundation"]
    assert lines[first + 1].strip() == (
        "Which organisations are members of a foundation, with their tier?"
    )
    assert lines[first + 2].strip() == "--param foundation=kg:pytorch-foundation"
    ids = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert ids == sorted(p.stem for p in QUERIES.glob("*.rq"))
    assert "3 questions" in result.stderr


def test_list_json():
    data = json.loads(ok(ask("--json")))
    by_id = {q["id"]: q for q in data}
    assert by_id["cq02-market-shares"]["params"] == {
        "market": "kg:test-market",
        "year": '"2022"^^xsd:gYear',
    }
    assert by_id["cq03-chips"]["title"] == "Chips"


def test_run_by_id_number_and_short_name():
    for name in ("cq01-foundation-members", "cq01", "foundation-members", "CQ01"):
        rows = csv_rows(ok(ask(name, "--format", "csv")))
        assert [row[0] for row in rows] == [f"{KG}huawei"], name
        assert rows[0][2] == f"{KG}role-premier-member"


def test_param_as_id_curie_iri_and_name():
    values = (
        "linux-foundation",
        "kg:linux-foundation",
        f"<{KG}linux-foundation>",
        "Linux Foundation",
    )
    for value in values:
        rows = csv_rows(ok(ask("cq01", "--param", f"foundation={value}", "--format", "csv")))
        assert [row[0] for row in rows] == [f"{KG}nvidia"], value


def test_param_by_chinese_name_and_literal_shapes():
    rows = csv_rows(ok(ask("cq01", "-p", "foundation=PyTorch基金會", "--format", "csv")))
    assert [row[0] for row in rows] == [f"{KG}huawei"]
    data = json.loads(ok(ask("cq02", "-p", "year=2022", "-p", "market=test-market", "--json")))
    # Compared as numbers: pyoxigraph writes decimals in canonical form (85, not 85.0).
    values = [
        (b["vendor"]["value"], float(b["share"]["value"])) for b in data["results"]["bindings"]
    ]
    assert values == [(f"{KG}nvidia", 85.0), (f"{KG}huawei", 10.0)]  # deprecated 12 % left out
    assert csv_rows(ok(ask("cq02", "-p", "year=2023", "--format", "csv"))) == []


def test_param_given_twice_supplies_several_values():
    rows = csv_rows(
        ok(
            ask(
                "cq01",
                "-p",
                "foundation=pytorch-foundation",
                "-p",
                "foundation=linux-foundation",
                "--format",
                "csv",
            )
        )
    )
    assert {row[0] for row in rows} == {f"{KG}huawei", f"{KG}nvidia"}


def test_show_query_prints_bound_sparql():
    out = ok(ask("cq01", "-p", "foundation=kg:linux-foundation", "--show-query"))
    assert "VALUES ?foundation { kg:linux-foundation }" in out
    parse_query(out)  # still valid SPARQL


def test_infer_through_ask():
    assert csv_rows(ok(ask("cq03", "--format", "csv"))) == []
    rows = csv_rows(ok(ask("cq03", "--format", "csv", "--infer")))
    assert {f"{KG}h100", f"{KG}ascend-910"} <= {row[0] for row in rows}


# -- errors -----------------------------------------------------------------------------------


def test_unknown_question_lists_closest():
    err = bad(ask("foundation-member"))
    assert "unknown competency question 'foundation-member'" in err
    assert "cq01-foundation-members" in err
    err = bad(ask("cq0"))  # ambiguous prefix
    assert "cq01-foundation-members" in err and "cq02-market-shares" in err


def test_unknown_param_and_bad_values():
    assert "parameters: foundation" in bad(ask("cq01", "-p", "fondation=x"))
    assert "NAME=VALUE" in bad(ask("cq01", "-p", "foundation"))
    err = bad(ask("cq01", "-p", "foundation=pytorch-foundaton"))
    assert "did you mean" in err and "kg:pytorch-foundation" in err
    assert "needs a question NAME" in bad(ask("-p", "x=y"))


def test_a_mistyped_ontology_term_suggests_ontology_terms():
    # Real cq13: its parameter is an ontology individual, not an entity.
    def real(*args):
        return CliRunner().invoke(cli, ["--root", str(REPO), "ask", "cq13", *args])

    err = bad(real("-p", "segment=aichip:Datacentre"))
    assert (
        err
        == "error: unknown value for segment 'aichip:Datacentre'; did you mean aichip:DataCentre?\n"
    )
    assert "kg:" not in bad(real("-p", "segment=aichip:Edgy"))  # no entity offered instead
    rows = csv_rows(ok(real("-p", "segment=aichip:Edge", "--format", "csv")))
    assert rows and all(row[0].startswith(KG) for row in rows)


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("year=twenty", "--param year=twenty: expected a year (xsd:gYear)"),
        ('year="20x"^^xsd:gYear', "expected a year (xsd:gYear)"),
        ("year=kg:test-market", "expected a year (xsd:gYear), like 2022, not an entity"),
        ('market="test-market"', '--param market="test-market": expected an entity'),
    ],
)
def test_param_value_must_have_the_type_of_its_default(param, expected):
    # cq02's defaults: market = kg:test-market, year = "2022"^^xsd:gYear.
    err = bad(ask("cq02", "-p", param))
    assert err.count("\n") == 1 and err.startswith("error: cq02-"), err
    assert expected in err


def test_typed_params_of_the_real_questions(tmp_path):
    # Real cq05: year is an xsd:gYear. A number, a date and an entity are checked the same way.
    assert "expected a year (xsd:gYear)" in bad(ask("cq05", "-p", "year=twenty", queries=None))
    ok(ask("cq05", "-p", "year=2022", "--format", "csv", queries=None))
    (tmp_path / "cq90-typed.rq").write_text(
        '# title: Typed\n# param: n = 3\n# param: d = "2023-10-17"^^xsd:date\n'
        'SELECT ?n ?d WHERE { VALUES ?n { 3 } VALUES ?d { "2023-10-17"^^xsd:date } }\n',
        encoding="utf-8",
    )
    assert "expected a number like 3" in bad(ask("cq90", "-p", "n=three", queries=tmp_path))
    err = bad(ask("cq90", "-p", "d=2023-02-30", queries=tmp_path))
    assert "--param d=2023-02-30: expected a date (xsd:date)" in err
    assert "expected a date" in bad(ask("cq90", "-p", "d=yesterday", queries=tmp_path))
    rows = csv_rows(
        ok(ask("cq90", "-p", "n=4", "-p", "d=2024-02-29", "--format", "csv", queries=tmp_path))
    )
    assert rows == [["4", "2024-02-29"]]


def test_param_value_cannot_inject_sparql():
    err = bad(ask("cq01", "-p", "foundation=kg:x } ?s ?p ?o {"))
    assert "unknown" in err
    # A typed parameter must be a valid value of its type: braces never reach the query.
    assert "expected a year" in bad(ask("cq02", "-p", 'year=2022" } {'))


def test_broken_query_file_reports_file_line_column():
    err = bad(ask("cq01-broken", queries=FIXTURES / "query" / "broken-queries"))
    assert "cq01-broken.rq:4:3: syntax error" in err


def test_api_works_without_a_graph():
    query = find_query("cq01", QUERIES)
    text = bind(query, [("foundation", "linux-foundation")])
    assert "VALUES ?foundation { kg:linux-foundation }" in text
    with pytest.raises(InputError):
        bind(query, [("foundation", "Linux Foundation")])  # names need the graph
    with pytest.raises(UnknownTermError) as info:
        find_query("nothing-like-it", QUERIES)
    assert info.value.kind == "competency question"


# -- the real queries (kg/queries/), whatever exists of them ------------------------------------


REAL = list_queries(default_queries_dir()) if default_queries_dir().is_dir() else ()


@pytest.mark.parametrize("query", REAL, ids=[q.id for q in REAL])
def test_real_queries_parse_and_describe_themselves(query):
    assert query.title and query.title != query.id, f"{query.path}: add '# title: …'"
    assert query.description, f"{query.path}: add '# description: …'"
    parse_query(query.text, source=str(query.path))
    for param in query.params:
        assert f"?{param.name}" in query.text
        parse_query(bind(query, [(param.name, param.default)]), source=str(query.path))


def test_real_cq01_lists_huawei_when_present():
    if not any(q.id == "cq01-foundation-members" for q in REAL):
        pytest.skip("kg/queries/cq01-foundation-members.rq not written yet")
    result = CliRunner().invoke(
        cli, ["--root", str(REPO), "ask", "cq01-foundation-members", "--format", "csv"]
    )
    assert f"{KG}huawei" in ok(result)
