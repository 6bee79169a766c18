"""The Python API (`kg.open`) and its documentation: docs/api.md and the tutorial notebook run."""

from __future__ import annotations

import doctest

import pytest

import kg
from kg.api import sparql_term
from kg.errors import InputError, QueryError
from tests.conftest import REPO


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KG_CACHE_DIR", str(tmp_path_factory.mktemp("api-cache")))
        graph = kg.open(REPO)
    yield graph
    graph.close()


def test_query_binds_keyword_parameters(g):
    # langMatches, not lang(?label) = "zh-Hans": pyoxigraph keeps tags in lower case.
    text = (
        "SELECT ?label WHERE { ?e rdfs:label ?label FILTER(langMatches(lang(?label), 'zh-Hans')) }"
    )
    assert g.query(text, e="kg:huawei").to_dicts() == [{"label": "华为"}]
    assert g.query(text, e="kg:nvidia").to_dicts() != [{"label": "华为"}]
    assert len(g.query("SELECT ?x WHERE { VALUES ?x { 1 2 } }", x=2)) == 1


def test_literals_convert_to_python_values(g):
    row = g.query("SELECT ?n ?d WHERE { BIND(85.5 AS ?n) BIND('2023-10-17'^^xsd:date AS ?d) }")
    (values,) = row.to_dicts()
    assert float(values["n"]) == 85.5 and values["d"].isoformat() == "2023-10-17"


def test_dataframe_has_the_columns_in_query_order(g):
    pandas = pytest.importorskip("pandas")
    frame = g.query("SELECT ?b ?a WHERE { VALUES (?a ?b) { (1 2) (3 4) } }").to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["b", "a"] and frame["a"].tolist() == [1, 3]


def test_errors_are_kg_errors(g):
    with pytest.raises(QueryError, match="syntax error"):
        g.query("SELEKT")
    with pytest.raises(QueryError, match="UPDATE"):
        g.query("INSERT DATA { kg:a kg:b kg:c }")
    with pytest.raises(InputError, match="focus"):
        g.viz(depth=2)


def test_sparql_terms():
    assert sparql_term("https://example.org/x") == "<https://example.org/x>"
    assert sparql_term('say "hi"') == '"say \\"hi\\""'
    assert sparql_term("kg:huawei") == "kg:huawei" and sparql_term("nope:x") == '"nope:x"'


def test_viewer_displays_inline_and_saves(g, tmp_path):
    page = g.viz(focus="huawei")
    html = page._repr_html_()
    assert html.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in html
    saved = page.save(tmp_path / "huawei.html")
    assert saved.read_text(encoding="utf-8") == page.html
    market = g.viz(view="china-market")  # the page opens on that preset view
    assert '"view":"china-market"' in market.html and '"view":"china-market"' not in page.html


def test_the_api_module_examples_run():
    import kg.api

    assert doctest.testmod(kg.api).failed == 0


def test_docs_api_md_runs():
    result = doctest.testfile(str(REPO / "docs" / "api.md"), module_relative=False)
    assert result.attempted > 10 and result.failed == 0


def test_the_tutorial_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(REPO / "docs" / "tutorial.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("<iframe" in h for h in html), "the viewer did not display inline"
    assert any("Huawei" in h for h in html), "the members table did not display"
