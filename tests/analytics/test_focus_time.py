"""Ecosystem views (granularity, excluded sources, edge types), governance in whatif, the
support legend and sources, and answers as of a date: on small fixtures and on the real graph."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from cli import cli
from kg.analytics import centrality, project, support_matrix, whatif
from kg.analytics.export_control import as_of
from kg.analytics.focus import Focus, focus
from kg.errors import InputError
from kg.facts.load import load_graph
from kg.facts.time import ENDED, HELD, NOT_YET, UNCERTAIN, UNDATED, status_at
from kg.project import Project
from tests.conftest import REPO

PREFIXES = """
@prefix aichip: <https://w3id.org/aichip-kg/ontology#> .
@prefix kg:     <https://w3id.org/aichip-kg/id/> .
@prefix rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
@prefix prov:   <http://www.w3.org/ns/prov#> .
"""


def _statement(name: str, s: str, p: str, o: str, source: str, extra: str = "") -> str:
    return (
        f"kg:stmt-{name} a aichip:Statement ; rdf:subject {s} ; rdf:predicate {p} ; "
        f"rdf:object {o} ; prov:wasDerivedFrom {source} {extra}.\n"
    )


# A vendor with a family of two SKUs, one catalogued only by a "catalogue" source; a project
# it develops that a foundation governs; two rules and a listing with dates.
ECOSYSTEM = (
    PREFIXES
    + """
kg:vendor a aichip:Company ; rdfs:label "Vendor"@en .
kg:other a aichip:Company ; rdfs:label "Other"@en .
kg:fab a aichip:Company ; rdfs:label "Fab"@en .
kg:foundation a aichip:Foundation ; rdfs:label "Foundation"@en .
kg:family a aichip:ChipFamily ; rdfs:label "Family"@en .
kg:sku-a a aichip:GPU ; rdfs:label "SKU A"@en .
kg:sku-b a aichip:GPU ; rdfs:label "SKU B"@en .
kg:stack a aichip:SoftwareFramework ; rdfs:label "Stack"@en .
kg:tool a aichip:SoftwarePlatform ; rdfs:label "Tool"@en .
kg:rule-1 a aichip:ExportControlRule ; rdfs:label "Rule 1"@en .
kg:rule-2 a aichip:ExportControlRule ; rdfs:label "Rule 2"@en .
kg:eccn a aichip:ECCN ; rdfs:label "ECCN"@en .
kg:listing a aichip:EntityListing ; rdfs:label "Listing"@en .
kg:src-curated a aichip:Report ; rdfs:label "curated"@en .
kg:src-catalogue a aichip:Dataset ; rdfs:label "catalogue"@en .
"""
    + _statement("a-family", "kg:sku-a", "aichip:inFamily", "kg:family", "kg:src-curated")
    + _statement("b-family", "kg:sku-b", "aichip:inFamily", "kg:family", "kg:src-catalogue")
    + _statement("family-vendor", "kg:family", "aichip:designedBy", "kg:vendor", "kg:src-curated")
    + _statement("a-fab", "kg:sku-a", "aichip:fabricatedBy", "kg:fab", "kg:src-curated")
    + _statement("b-fab", "kg:sku-b", "aichip:fabricatedBy", "kg:fab", "kg:src-catalogue")
    + _statement("stack-dev", "kg:stack", "aichip:developedBy", "kg:vendor", "kg:src-curated")
    + _statement("tool-dev", "kg:tool", "aichip:developedBy", "kg:vendor", "kg:src-curated")
    + _statement("gov", "kg:foundation", "aichip:governs", "kg:stack", "kg:src-curated")
    + _statement("stack-a", "kg:stack", "aichip:supports", "kg:sku-a", "kg:src-curated")
    + _statement("other-member", "kg:other", "aichip:competesWith", "kg:vendor", "kg:src-curated")
    + _statement(
        "r1-eff", "kg:rule-1", "aichip:effectiveDate", '"2022-10-07"^^xsd:date', "kg:src-curated"
    )
    + _statement(
        "r2-eff", "kg:rule-2", "aichip:effectiveDate", '"2023-11-17"^^xsd:date', "kg:src-curated"
    )
    + _statement("r1-eccn", "kg:rule-1", "aichip:definesECCN", "kg:eccn", "kg:src-curated")
    + _statement("r2-eccn", "kg:rule-2", "aichip:definesECCN", "kg:eccn", "kg:src-curated")
    + _statement(
        "l-eff", "kg:listing", "aichip:effectiveDate", '"2023-10-17"^^xsd:date', "kg:src-curated"
    )
    + _statement("l-other", "kg:listing", "aichip:listedEntity", "kg:other", "kg:src-curated")
    + _statement(
        "tpp-old",
        "kg:eccn",
        "aichip:interconnectThresholdGBps",
        '"600"^^xsd:decimal',
        "kg:src-curated",
        '; aichip:startDate "2022-10-07"^^xsd:date ; aichip:endDate "2023-11-17"^^xsd:date ',
    )
    + _statement(
        "tpp-undated", "kg:eccn", "aichip:tppThreshold", '"4800"^^xsd:decimal', "kg:src-curated"
    )
)


@pytest.fixture
def ecosystem(tmp_path):
    (tmp_path / "facts.ttl").write_text(ECOSYSTEM, encoding="utf-8")
    graph = load_graph(Project.at(REPO, facts_dir=tmp_path))
    return graph, project(graph)


# --------------------------------------------------------------------------- time helper


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2023-10-17", None, NOT_YET),
        ("2022-09-12", None, HELD),
        ("2022-10-07", "2023-01-01", ENDED),  # the end day is the first day it no longer holds
        ("2022-10-07", "2023-01-02", HELD),
        ("2023", None, UNCERTAIN),
        ("2023-01", None, UNCERTAIN),
        ("2022-12", None, HELD),
        (None, None, UNDATED),
        ("not a date", None, UNDATED),
    ],
)
def test_status_at(start, end, expected):
    assert status_at(date(2023, 1, 1), start, end) == expected


# --------------------------------------------------------------------------- focus


def test_family_folds_skus_and_keeps_their_sources(ecosystem):
    _graph, G = ecosystem
    sku = focus(G, Focus("sku"))
    assert {"kg:sku-a", "kg:sku-b"} <= set(sku)
    family = focus(G, Focus("family"))
    assert "kg:sku-a" not in family and family.graph["merged_into"]["kg:sku-b"] == "kg:family"
    assert family.nodes["kg:family"]["members"] == ("kg:sku-a", "kg:sku-b")
    fab = family.get_edge_data("kg:family", "kg:fab")["aichip:fabricatedBy"]
    assert fab["sources"].split() == ["kg:src-catalogue", "kg:src-curated"]
    rows = {r.node: r for r in centrality(family, sort="degree").rows}
    assert rows["kg:fab"].degree == 1  # one family, not two SKUs
    assert rows["kg:fab"].sources == ("kg:src-catalogue", "kg:src-curated")
    assert rows["kg:fab"].degree < centrality(sku, sort="degree").rows[0].degree + 1


def test_company_folds_products_into_designer_but_governed_ones_into_governor(ecosystem):
    _graph, G = ecosystem
    merged = focus(G, Focus("company")).graph["merged_into"]
    assert merged["kg:sku-a"] == merged["kg:family"] == merged["kg:tool"] == "kg:vendor"
    assert merged["kg:stack"] == "kg:foundation"


def test_excluding_a_source_drops_what_only_it_says(ecosystem):
    _graph, G = ecosystem
    view = focus(G, Focus("sku", ("kg:src-catalogue",)))
    assert "kg:sku-b" not in view  # only the catalogue tied it to the graph
    assert view.get_edge_data("kg:sku-a", "kg:fab") is not None
    assert focus(G, Focus("sku")).has_node("kg:sku-b")


def test_only_some_edges(ecosystem):
    _graph, G = ecosystem
    view = focus(G, Focus("sku", (), ("aichip:governs",)))
    assert {d["predicate"] for _u, _v, d in view.edges(data=True)} == {"aichip:governs"}


def test_whatif_keeps_a_governed_product_and_says_why(ecosystem):
    _graph, G = ecosystem
    result = whatif(G, "kg:vendor")
    assert "kg:tool" in result.removed and "kg:stack" not in result.removed
    assert [k.node for k in result.kept] == ["kg:stack"]
    assert result.kept[0].governed_by == ("kg:foundation",)
    assert result.kept[0].sources == ("kg:src-curated",)


def test_support_cells_carry_sources_and_the_legend_says_no_claim(ecosystem):
    _graph, G = ecosystem
    matrix = support_matrix(G)
    assert matrix.cell("kg:stack", "kg:family").sources == ("kg:src-curated",)
    assert "not a claim that it is unsupported" in matrix.legend["no sourced claim"]


def test_export_controls_as_of_fixture(ecosystem):
    graph, _G = ecosystem
    before = as_of(graph, date(2023, 1, 1), rule="kg:rule-2")
    after = as_of(graph, date(2024, 1, 1), rule="kg:rule-2")
    status = {d.node: d.status for d in before.rules}
    assert status == {"kg:rule-1": HELD, "kg:rule-2": NOT_YET}
    assert {d.node: d.status for d in after.rules} == {"kg:rule-1": HELD, "kg:rule-2": HELD}
    assert "kg:eccn amended by kg:rule-2" in {d.node: d.detail for d in after.rules}["kg:rule-1"]
    assert [d.status for d in before.listings] == [NOT_YET]
    assert [d.status for d in after.listings] == [HELD]
    thresholds = {d.detail: d.status for d in before.thresholds}
    assert thresholds == {
        "aichip:interconnectThresholdGBps 600": HELD,
        "aichip:tppThreshold 4800": UNDATED,
    }
    assert {d.detail: d.status for d in after.thresholds}[
        "aichip:interconnectThresholdGBps 600"
    ] == ENDED


# --------------------------------------------------------------------------- the real graph


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_real_family_view_and_sources_in_json():
    rows = json.loads(run("analyze", "centrality", "--by", "degree", "--top", "0", "--json"))
    sku = json.loads(
        run(
            "analyze",
            "centrality",
            "--by",
            "degree",
            "--top",
            "0",
            "--granularity",
            "sku",
            "--json",
        )
    )
    nodes = {r["node"] for r in rows["rows"]}
    assert "kg:h100-sxm" in {r["node"] for r in sku["rows"]} and "kg:h100-sxm" not in nodes
    nvidia = next(r for r in rows["rows"] if r["node"] == "kg:nvidia")
    assert nvidia["sources"] and all(s.startswith("kg:src-") for s in nvidia["sources"])
    without = json.loads(
        run(
            "analyze",
            "centrality",
            "--by",
            "degree",
            "--top",
            "0",
            "--exclude-source",
            "epoch",
            "--json",
        )
    )
    assert without["excluded_sources"] == ["kg:src-epoch-ml-hardware"]
    lean = next(r for r in without["rows"] if r["node"] == "kg:nvidia")
    assert lean["degree"] < nvidia["degree"]
    assert "kg:src-epoch-ml-hardware" not in {s for r in without["rows"] for s in r["sources"]}


def test_real_communities_carry_sources_and_edges_filter():
    data = json.loads(
        run("analyze", "communities", "--edges", "designedBy,supports,memberOf", "--json")
    )
    assert data["view"].endswith("only aichip:designedBy, aichip:supports, org:memberOf")
    assert all(c["sources"] for c in data["communities"])


def test_unknown_source_and_edge_are_input_errors():
    for args in (["--exclude-source", "no-such-source"], ["--edges", "noSuchRelation"]):
        result = CliRunner().invoke(cli, ["analyze", "centrality", *args])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output


def test_real_whatif_meta_keeps_pytorch():
    data = json.loads(run("analyze", "whatif", "--remove", "meta", "--json"))
    assert "kg:pytorch" not in data["removed"]
    kept = {k["node"]: k for k in data["kept"]}
    assert kept["kg:pytorch"]["governed_by"] == ["kg:pytorch-foundation"]
    text = run("analyze", "whatif", "--remove", "meta")
    assert "Keeps PyTorch (kg:pytorch): PyTorch Foundation governs it" in text


def test_real_support_legend_and_sources():
    text = run("analyze", "support", "--sources")
    assert "· no sourced claim" in text and "sources:" in text
    data = json.loads(run("analyze", "support", "--json"))
    assert "no sourced claim" in data["legend"]
    assert all(cell["sources"] for cell in data["cells"])


def test_real_export_controls_differ_between_2023_and_2024():
    def state(day):
        data = json.loads(run("analyze", "export-control", "--as-of", day, "--json"))
        return data["as_of"]

    before, after = state("2023-01-01"), state("2024-01-01")
    assert set(after["in_force"]) - set(before["in_force"]) >= {
        "kg:bis-rule-2023-10-17",
        "kg:entity-listing-2023-10-17",
    }
    assert before["screened_rule_status"] == NOT_YET and after["screened_rule_status"] == HELD
    assert "not yet in force on 2023-01-01" in run(
        "analyze", "export-control", "--as-of", "2023-01-01"
    )


def test_real_show_as_of_pytorch_membership():
    def membership(day):
        data = json.loads(run("show", "huawei", "--as-of", day, "--json"))
        return next(
            r
            for r in data["out"]
            if r["other"] == "kg:pytorch-foundation" and r["predicate"] == "org:memberOf"
        )

    assert membership("2023-01-01")["as_of"] == NOT_YET
    assert membership("2024-01-01")["as_of"] == HELD
    text = run("show", "huawei", "--as-of", "2023-01-01")
    assert "[undated]" in text  # undated claims are shown, marked
    bad = CliRunner().invoke(cli, ["show", "huawei", "--as-of", "2023-13-01"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_focus_rejects_unknown_granularity(ecosystem):
    _graph, G = ecosystem
    with pytest.raises(InputError):
        focus(G, Focus("chip"))


def test_show_as_of_on_the_fixture(monkeypatch, tmp_path):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    facts = REPO / "tests" / "fixtures" / "query" / "facts"

    def show(term, day):
        root = ["--root", str(REPO), "--facts", str(facts)]
        return json.loads(run(*root, "show", term, "--as-of", day, "--json"))

    def status(data, other):
        return next(r["as_of"] for r in data["out"] if r["other"] == other)

    assert status(show("huawei", "2023-01-01"), "kg:pytorch-foundation") == NOT_YET
    assert status(show("huawei", "2023-10-17"), "kg:pytorch-foundation") == HELD
    assert status(show("nvidia", "2023-01-01"), "kg:linux-foundation") == UNDATED
