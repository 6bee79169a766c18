"""The query policy's promises that hold on every engine: SELECT * column order, refusals."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

from cli import cli
from kg.project import default_project
from kg.sparql.policy import check_query, column_order
from kg.store import open_graph

STAR = "SELECT * WHERE { ?chip aichip:designedBy ?maker ; rdfs:label ?label } LIMIT 5"


@pytest.fixture(scope="module", params=["default", "memory", "oxigraph"])
def store(request, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        opened = open_graph(default_project(), request.param)
    yield opened
    opened.close()


def test_select_star_columns_follow_the_query_text(store):
    # The documented order: variables as they first appear in the query.
    for _ in range(3):
        assert store.query(STAR).variables == ("chip", "maker", "label")
    reordered = STAR.replace("?chip aichip:designedBy ?maker", "?maker ^aichip:designedBy ?chip")
    assert store.query(reordered).variables == ("maker", "chip", "label")


def test_an_explicit_projection_keeps_its_order(store):
    text = "SELECT ?label ?chip WHERE { ?chip aichip:designedBy ?maker ; rdfs:label ?label }"
    assert store.query(text + " LIMIT 1").variables == ("label", "chip")


def test_column_order_is_a_pure_function():
    checked = check_query("SELECT * { ?b ?a ?c }")
    assert checked.star_order == ("b", "a", "c")
    assert column_order(checked, ["a", "c", "b"]) == [2, 0, 1]


def test_the_cli_raises_no_click_deprecation_warnings():
    """Click 9 removes get_text_stream/get_binary_stream; nothing here may use them."""
    runner = CliRunner()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for args in (["query", "ASK {}"], ["ask"], ["export", "--list"], ["--help"]):
            result = runner.invoke(cli, args)
            assert result.exit_code == 0, (args, result.output, result.exception)
        piped = runner.invoke(cli, ["query"], input="ASK { ?s ?p ?o }")
        assert piped.exit_code == 0 and piped.stdout.strip() == "true", piped.output
