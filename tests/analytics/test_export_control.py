"""`kg analyze export-control`: TPP and performance density against ECCN 3A090.a (2023)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from rdflib import Graph

from cli import cli
from kg.analytics.export_control import (
    CONTROLLED,
    INDETERMINATE,
    INSUFFICIENT,
    NOT_CONTROLLED,
    classify,
    render_report,
    render_screening,
    screen,
    screen_chip,
)
from kg.errors import InputError
from kg.facts.load import load_graph
from tests.conftest import FIXTURES, TURTLE_PREFIXES

# --- the rule itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tpp", "die", "expected"),
    [
        (Decimal(4800), None, CONTROLLED),  # first prong, no die needed
        (Decimal("4799.9"), None, INSUFFICIENT),  # needs the density test
        (Decimal("4799.9"), Decimal(1000), NOT_CONTROLLED),
        (Decimal(2960), Decimal(500), CONTROLLED),  # density exactly 5.92
        (Decimal(1600), Decimal(271), NOT_CONTROLLED),  # 5.904 < 5.92
        (Decimal("1599.9"), Decimal(1), NOT_CONTROLLED),  # below the lower TPP threshold
        (None, Decimal(800), INSUFFICIENT),
    ],
)
def test_classify_thresholds(tpp, die, expected):
    assert classify(tpp, die)[0] == expected


def _graph_of_figures(figures: dict[str, dict[str, str]]) -> Graph:
    """A graph with one chip per key and one Normal-ranked statement per figure."""
    lines = [TURTLE_PREFIXES]
    for chip, props in figures.items():
        lines.append(f"kg:{chip} a aichip:GPU .")
        for prop, value in props.items():
            lines.append(
                f"kg:s-{chip}-{prop} a aichip:Statement ; rdf:subject kg:{chip} ; "
                f"rdf:predicate aichip:{prop} ; rdf:object {value} ; "
                "aichip:rank aichip:Normal ; prov:wasDerivedFrom kg:src-test ."
            )
    return Graph().parse(data="\n".join(lines), format="turtle")


def test_the_operation_with_the_highest_tpp_decides():
    """FP32, FP8, BF16 and FP4 rates count with their bit lengths: a card under the line at
    FP16 but over it at FP8 is controlled, and the basis names the FP8 figure; a card whose
    FP16 rate is a sliver of its FP32 one is measured at FP32; TF32 is not counted."""
    report = screen(
        _graph_of_figures(
            {
                "fp8card": {"fp16DenseTFLOPS": "200.0", "fp8DenseTFLOPS": "700.0"},
                "bf16only": {"bf16DenseTFLOPS": "310.0"},
                "fp4only": {"fp4DenseTFLOPS": "1300.0"},
                "under": {"fp16DenseTFLOPS": "90.0", "fp8DenseTFLOPS": "180.0"},
                "pascal": {"fp16DenseTFLOPS": "0.14", "fp32TFLOPS": "8.9"},
                "fp32only": {"fp32TFLOPS": "160.0"},
                "tf32only": {"tf32DenseTFLOPS": "400.0"},
                # controlled whether or not its TF32 rate counts: no caveat
                "fp8card_tf32": {"fp8DenseTFLOPS": "700.0", "tf32DenseTFLOPS": "100.0"},
            }
        )
    )
    got = {s.chip: (s.classification, s.tpp) for s in report.screenings}
    assert got["kg:fp8card"] == (CONTROLLED, Decimal(5600))
    assert report.get("kg:fp8card").scenarios[0].tpp_basis == "FP8 700 TFLOPS × 8"
    assert got["kg:bf16only"] == (CONTROLLED, Decimal(4960))
    assert got["kg:fp4only"] == (CONTROLLED, Decimal(5200))
    assert got["kg:under"] == (NOT_CONTROLLED, Decimal(1440))
    assert got["kg:pascal"] == (NOT_CONTROLLED, Decimal("284.8"))
    assert report.get("kg:pascal").scenarios[0].tpp_basis == "FP32 8.9 TFLOPS × 32"
    assert got["kg:fp32only"] == (CONTROLLED, Decimal(5120))
    # TF32 is shown, not counted; where counting it could change the result, a caveat gives
    # the TPP at both bit lengths it might have.
    assert got["kg:tf32only"] == (INSUFFICIENT, None)
    assert report.get("kg:tf32only").caveats == (
        "TF32 400 TFLOPS is not counted: the rule does not say whether TF32 is 19 or 32 bits"
        " long, and counted it could change the result (TPP 7600 at 19 bits, TPP 12800 at 32"
        " bits; kg:s-tf32only-tf32DenseTFLOPS)",
    )
    assert report.get("kg:fp8card_tf32").caveats == ()
    # The table flags the chip with a caveat, and only it, and says where to read it.
    table = render_report(report).splitlines()
    flagged = [line.split()[0] for line in table if line.endswith("[1 caveat]")]
    assert flagged == ["kg:tf32only"]
    assert any("`kg analyze export-control CHIP` shows it" in line for line in table)
    assert got["kg:fp8card_tf32"] == (CONTROLLED, Decimal(5600))


# --- exact numbers on a fixture graph ----------------------------------------------------


@pytest.fixture(scope="module")
def fixture_report():
    graph = Graph().parse(FIXTURES / "export_control" / "chips.ttl")
    return graph, screen(graph)


def test_fixture_screenings(fixture_report):
    _, report = fixture_report
    got = {s.chip: (s.classification, s.tpp) for s in report.screenings}
    assert got["kg:big"] == (CONTROLLED, Decimal(6400))
    assert got["kg:dense"] == (CONTROLLED, Decimal(2000))
    assert got["kg:sparse"] == (NOT_CONTROLLED, Decimal(2000))
    assert got["kg:nodie"] == (INSUFFICIENT, Decimal(2400))
    assert got["kg:small"] == (NOT_CONTROLLED, Decimal(800))  # the deprecated 999 is ignored
    assert got["kg:conflict"] == (INDETERMINATE, Decimal(5120))
    assert got["kg:ranked"] == (CONTROLLED, Decimal(5120))
    assert got["kg:product"][0] == CONTROLLED
    assert got["kg:nodata"] == (INSUFFICIENT, None)
    dense = report.get("kg:dense")
    assert dense.density.quantize(Decimal("0.01")) == Decimal("6.67")
    assert report.get("kg:product").via_variants == ("kg:big",)
    conflict = report.get("kg:conflict")
    assert [s.classification for s in conflict.scenarios] == [CONTROLLED, INSUFFICIENT]
    assert len(conflict.caveats) == 2  # both figures are graded unverified


def test_fixture_disagreements(fixture_report):
    _, report = fixture_report
    kinds = {d.chip: d.kind for d in report.disagreements}
    assert kinds == {
        "kg:sparse": "named-not-controlled",
        "kg:nodata": "named-insufficient-data",
        "kg:dense": "controlled-not-named",
        "kg:late": "controlled-released-later",
    }
    assert {n.chip for n in report.named} == {"kg:product", "kg:sparse", "kg:nodata"}
    assert all(n.source == "kg:src-filing" for n in report.named)


def test_inputs_carry_their_statements_and_sources(fixture_report):
    graph, _ = fixture_report
    big = screen_chip(graph, "kg:big")
    assert [(f.property, f.value, f.statement, f.source) for f in big.figures] == [
        ("aichip:fp16DenseTFLOPS", Decimal(400), "kg:s1", "kg:src-sheet"),
        ("aichip:dieAreaMM2", Decimal(500), "kg:s2", "kg:src-sheet"),
    ]
    text = render_screening(big)
    assert "kg:s1" in text and "kg:src-sheet" in text and "controlled" in text
    assert screen_chip(graph, "kg:nodata").classification == INSUFFICIENT
    with pytest.raises(InputError, match="not a chip"):
        screen_chip(graph, "kg:acme")


# --- the real graph ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    graph = load_graph()
    return graph, screen(graph)


def _close(value, expected, tolerance="0.05"):
    return abs(value - Decimal(str(expected))) <= Decimal(tolerance)


def test_h100_sxm_is_controlled(real):
    _, report = real
    s = report.get("kg:h100-sxm")
    assert s.classification == CONTROLLED
    assert _close(s.tpp, 15832, "5")  # 989.4 × 16 = 15830.4; 1979 × 8 = 15832
    assert _close(s.density, "19.45")


def test_h20_density_about_2_9_not_controlled(real):
    _, report = real
    s = report.get("kg:h20")
    assert s.classification == NOT_CONTROLLED
    assert s.tpp == Decimal(2368)
    assert _close(s.density, "2.9")
    # The die area is the GH100's, graded derived, and every input names its source.
    die = [f for f in s.figures if f.property == "aichip:dieAreaMM2"]
    assert [f.value for f in die] == [Decimal(814)] and die[0].verification == "derived"
    assert all(f.source.startswith("kg:src-") for f in s.figures)


def test_a100_and_a800(real):
    _, report = real
    a100 = report.get("kg:a100")
    assert a100.classification == CONTROLLED and a100.tpp == Decimal(4992)
    assert a100.density.quantize(Decimal("0.01")) == Decimal("6.04")
    a800 = report.get("kg:a800")
    assert a800.classification == CONTROLLED  # consistent with NVIDIA's filing naming it
    assert not [d for d in report.disagreements if d.chip in ("kg:a100", "kg:a800")]


def test_910b_conflicting_figures_are_not_guessed(real):
    _, report = real
    s = report.get("kg:ascend-910b")
    assert s.classification == INDETERMINATE
    assert {sc.tpp for sc in s.scenarios} >= {Decimal(6016), Decimal(5120), Decimal(3520)}


def test_comparison_with_nvidias_filing(real):
    _, report = real
    named = {n.chip for n in report.named if n.source == "kg:src-nvidia-8k-2023-10-17"}
    assert named == {
        "kg:a100",
        "kg:a800",
        "kg:h100",
        "kg:h800",
        "kg:l40",
        "kg:l40s",
        "kg:rtx-4090",
    }
    kinds = {d.chip: d.kind for d in report.disagreements}
    l40s = report.get("kg:l40s")  # screened from its sourced figures: the highest TPP wins
    bits = {"aichip:fp16DenseTFLOPS": 16, "aichip:fp8DenseTFLOPS": 8, "aichip:int8DenseTOPS": 8}
    tpps = [f.value * bits[f.property] for f in l40s.figures if f.property in bits]
    assert tpps and l40s.tpp == max(tpps)
    assert (l40s.classification == CONTROLLED) == ("kg:l40s" not in kinds)
    # Every named chip either computes as controlled or is listed as a disagreement.
    for chip in named:
        assert report.get(chip).classification == CONTROLLED or chip in kinds
    assert report.get("kg:h100").via_variants  # the product is screened through its SKUs
    text = render_report(report)
    assert "kg:l40s" in text and "kg:h800" in text


# --- the command -------------------------------------------------------------------------


def test_cli_one_chip():
    result = CliRunner().invoke(cli, ["analyze", "export-control", "h20"])
    assert result.exit_code == 0, result.output
    assert "not controlled" in result.stdout and "2368" in result.stdout
    assert "kg:src-reference-sheet" in result.stdout


def test_cli_json():
    result = CliRunner().invoke(cli, ["analyze", "export-control", "H100 SXM", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["chip"] == "kg:h100-sxm" and data["classification"] == CONTROLLED
    assert data["tpp"] == 15832
    everything = CliRunner().invoke(cli, ["analyze", "export-control", "--json"])
    assert everything.exit_code == 0, everything.output
    report = json.loads(everything.stdout)
    assert report["thresholds"]["tpp"] == 4800 and report["thresholds"]["density"] == 5.92
    classes = {s["chip"]: s["classification"] for s in report["screenings"]}
    for d in report["disagreements"]:  # a named chip disagrees only when not computed controlled
        assert d["kind"].startswith("controlled-") or classes[d["chip"]] != CONTROLLED


def test_cli_table_and_unknown_chip():
    result = CliRunner().invoke(cli, ["analyze", "export-control"])
    assert result.exit_code == 0, result.output
    assert "kg:h100-sxm" in result.stdout and "disagreement" in result.stderr
    unknown = CliRunner().invoke(cli, ["analyze", "export-control", "no-such-chip-xyz"])
    assert unknown.exit_code == 2
    assert "unknown chip" in unknown.stderr
    company = CliRunner().invoke(cli, ["analyze", "export-control", "Huawei"])
    assert company.exit_code == 2
    assert "kg:huawei is not a chip" in company.stderr
