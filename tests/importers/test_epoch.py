"""`kg import epoch`: Epoch AI's ML hardware CSV into the graph: the real file and broken copies."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, XSD, Graph
from rdflib.namespace import DCTERMS, PROV

from cli import cli
from kg.importers.base import import_problems, load_curated
from kg.importers.epoch import (
    EPOCH_SOURCE,
    curated_families,
    family_of,
    import_epoch,
    normalise_name,
)
from kg.importers.turtle import render_turtle
from kg.ns import AICHIP, KG
from kg.project import Project
from tests.conftest import FIXTURES, REPO

REAL_CSV = FIXTURES / "epoch" / "epoch-ml-hardware.csv"
SMALL_CSV = FIXTURES / "epoch" / "small.csv"
COMMITTED = REPO / "facts" / "imported" / "epoch.ttl"


@pytest.fixture(scope="module")
def curated():
    project = Project.at(REPO)
    return load_curated(project, exclude=COMMITTED)


@pytest.fixture(scope="module")
def real(curated):
    return import_epoch(REAL_CSV, curated.facts)


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    return path


def _row_number(rows: list[list[str]], name: str) -> int:
    """The CSV record number of the row named ``name`` (header = 1)."""
    return next(i for i, row in enumerate(rows, start=1) if row[0] == name)


# --- the real CSV ------------------------------------------------------------------------


#: SHA-256 of Epoch AI's ml_hardware.csv at github.com/sr3-k/data @d62de22b (2025-12-14, 170 rows),
#: the snapshot kg:src-epoch-ml-hardware describes; a changed fixture must change that source too.
EPOCH_SNAPSHOT_SHA256 = "4588188a9df55d5a8021dd36bef144957884d94a8badbe5ab712bff485a9e95a"


def test_fixture_is_the_cited_snapshot():
    assert hashlib.sha256(REAL_CSV.read_bytes()).hexdigest() == EPOCH_SNAPSHOT_SHA256


def test_real_csv_matches_curated_chips_and_reports_conflicts(real):
    report = real.report
    assert report.ok, report.errors
    assert report.rows == 170
    assert len(report.matches) >= 20 and len(report.new_chips) >= 100
    assert report.statements > 1000 and report.agreements > 0
    matched = {m.chip for m in report.matches}
    assert {"a100", "h100-sxm", "h20", "ascend-910b", "v100"} <= matched
    by_name = {m.name: m.chip for m in report.matches}
    assert by_name["NVIDIA A100"] == "a100"
    assert by_name["NVIDIA H100 SXM5 80GB"] == "h100-sxm"
    # Curated TSMC 4N (4 nm) vs Epoch's "5": both kept, reported, linked.
    conflicts = {(c.chip, c.property): c for c in report.conflicts}
    node = conflicts[("h100-sxm", "aichip:processNode")]
    assert node.imported == "5" and [v for _, v in node.curated] == ["4"]
    assert conflicts[("v100", "aichip:fp16DenseTFLOPS")].imported == "125"
    imported = KG[node.imported_statement.removeprefix("kg:")]
    curated_stmt = KG[node.curated[0][0].removeprefix("kg:")]
    assert (imported, AICHIP.conflictsWith, curated_stmt) in real.graph
    assert (curated_stmt, AICHIP.conflictsWith, imported) in real.graph


def test_matched_chips_are_not_duplicated(real):
    new = {n.chip for n in real.report.new_chips}
    # Rows merged onto another row's chip (Epoch lists one card twice) are the only overlap.
    onto_curated = {
        m.chip for m in real.report.matches if (KG[m.chip], RDF.type, None) not in real.graph
    }
    assert onto_curated and not new & onto_curated
    assert {m.chip for m in real.report.matches} - onto_curated == {"nvidia-tesla-p100-pcie-16gb"}
    # Other SKUs of a curated product are separate chips that say whose variant they are.
    variants = {n.name: n.variant_of for n in real.report.new_chips if n.variant_of}
    assert variants["NVIDIA A100 SXM4 80 GB"] == "a100"
    assert variants["NVIDIA A100 SXM4 40 GB"] == "a100"
    assert variants["Huawei Ascend 910B4"] == "ascend-910b"


def test_every_imported_claim_is_sourced_to_the_dataset(real):
    g = real.graph
    matched = {KG[m.chip] for m in real.report.matches}
    statements = set(g.subjects(RDF.type, AICHIP.Statement))
    assert len(statements) == real.report.statements
    for statement in statements:
        assert g.value(statement, PROV.wasDerivedFrom) == EPOCH_SOURCE
        subject = g.value(statement, RDF.subject)
        quote = str(g.value(statement, AICHIP.quote))
        assert " | " in quote, quote
        name = g.value(subject, RDFS.label) or quote.split(" | ")[0]
        assert quote.startswith(str(name)) or subject in matched, (statement, quote)


def test_imported_figures_are_typed_decimals_in_the_property_unit(real):
    g = real.graph
    stmt = KG["stmt-h100-sxm-fp16densetflops-989p4-epoch"]
    value = g.value(stmt, RDF.object)
    assert value.datatype == XSD.decimal and str(value) == "989.4"
    assert "989400000000000.0" in str(g.value(stmt, AICHIP.quote))
    memory = g.value(KG["stmt-h100-sxm-memorygb-80-epoch"], RDF.object)
    assert str(memory) == "80"


def test_import_validates_with_the_curated_facts(curated, real):
    text = render_turtle(real.graph, real.header)
    assert import_problems(curated, real.graph, "facts/imported/epoch.ttl", text) == ()


def test_attribution_is_in_the_graph():
    g = Graph().parse(COMMITTED) + Graph().parse(REPO / "facts" / "ecosystem" / "sources.ttl")
    assert (EPOCH_SOURCE, RDF.type, AICHIP.Dataset) in g
    licence = g.value(EPOCH_SOURCE, DCTERMS.license)
    assert str(licence) == "https://creativecommons.org/licenses/by/4.0/"
    assert "Epoch AI" in str(g.value(EPOCH_SOURCE, DCTERMS.bibliographicCitation))
    assert "CC BY 4.0" in COMMITTED.read_text(encoding="utf-8").split("\n\n", 1)[0]


def test_committed_import_is_up_to_date(real):
    """facts/imported/epoch.ttl is what `kg import epoch` makes of the snapshot today."""
    assert COMMITTED.read_text(encoding="utf-8") == real.text, (
        "facts/imported/epoch.ttl is stale: run "
        "`kg import epoch tests/fixtures/epoch/epoch-ml-hardware.csv`"
    )


def test_output_is_deterministic_and_parses_independently(curated, real):
    again = import_epoch(REAL_CSV, curated.facts)
    assert again.text == real.text
    store = pyoxigraph.Store()
    store.load(real.text.encode("utf-8"), pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(real.graph)


# --- exact numbers on a small fixture --------------------------------------------------


def test_small_fixture_exact_report(make_project):
    curated = Graph().parse(FIXTURES / "epoch" / "curated.ttl")
    result = import_epoch(SMALL_CSV, curated)
    report = result.report
    assert report.ok and report.rows == 3
    assert [(m.row, m.chip) for m in report.matches] == [(3, "a100")]
    assert [(n.row, n.chip, n.variant_of) for n in report.new_chips] == [
        (2, "nvidia-a100-pcie", "a100"),
        (4, "google-tpu-v4i", None),
    ]
    assert report.new_organizations == ("epoch-ai", "google", "tsmc")
    # every figure, release date, maker and foundry of the 3 rows, and the PCIe SKU link
    assert report.statements == 36 and report.agreements == 2
    assert [(c.chip, c.property, c.imported) for c in report.conflicts] == [
        ("a100", "aichip:processNode", "7")
    ]
    # The dataset source is declared with its licence when the curated graph lacks it.
    assert (EPOCH_SOURCE, DCTERMS.license, None) in result.graph
    root = make_project({"curated.ttl": (FIXTURES / "epoch" / "curated.ttl").read_text()})
    fixture = load_curated(Project.at(root))
    text = render_turtle(result.graph, result.header)
    assert import_problems(fixture, result.graph, "facts/imported/epoch.ttl", text) == ()


# --- chip classes and families ----------------------------------------------------------

FAMILIES_CSV = FIXTURES / "epoch" / "families.csv"


def _statements(g: Graph, subject, predicate) -> list:
    return sorted(
        s
        for s in g.subjects(RDF.subject, subject)
        if g.value(s, RDF.predicate) == predicate and (s, RDF.type, AICHIP.Statement) in g
    )


def _epoch_values(g: Graph, subject, predicate) -> list[str]:
    return sorted(
        str(g.value(s, RDF.object))
        for s in _statements(g, subject, predicate)
        if g.value(s, PROV.wasDerivedFrom) == EPOCH_SOURCE
    )


def test_every_spec_column_is_read_in_the_ontologys_units(real):
    """Bandwidth in GB/s, FP32/TF32/FP8/FP4 in TFLOPS and transistors in billions, from the
    cells of the real snapshot; an empty cell makes no claim."""
    small = import_epoch(SMALL_CSV, Graph().parse(FIXTURES / "epoch" / "curated.ttl")).graph
    a100, tpu = KG["a100"], KG["google-tpu-v4i"]
    assert _epoch_values(small, a100, AICHIP.memoryBandwidthGBps) == ["1560"]
    assert _epoch_values(small, a100, AICHIP.fp32TFLOPS) == ["19.49"]
    assert _epoch_values(small, a100, AICHIP.tf32DenseTFLOPS) == ["156"]
    assert _epoch_values(small, tpu, AICHIP.tf32DenseTFLOPS) == []
    assert _epoch_values(small, a100, AICHIP.transistorsBillion) == ["54.2"]
    assert _epoch_values(small, tpu, AICHIP.transistorsBillion) == ["16"]
    assert _epoch_values(small, tpu, AICHIP.fp32TFLOPS) == []  # the cell is empty
    b200 = KG["b200"]
    assert _epoch_values(real.graph, b200, AICHIP.fp8DenseTFLOPS) == ["4500"]
    assert _epoch_values(real.graph, b200, AICHIP.fp4DenseTFLOPS) == ["9000"]
    assert _epoch_values(real.graph, b200, AICHIP.tf32DenseTFLOPS) == ["1125"]


def test_families_fixture_classes_and_families(make_project):
    curated = Graph().parse(FIXTURES / "epoch" / "families.ttl")
    result = import_epoch(FAMILIES_CSV, curated)
    report, g = result.report, result.graph
    assert report.ok, report.errors
    assert [(m.row, m.chip) for m in report.matches] == [(2, "ascend-910")]
    assert [(n.row, n.chip, n.chip_class, n.family) for n in report.new_chips] == [
        # Epoch says GPU; the curated Ascend family's member is an NPU
        (3, "huawei-ascend-910c", "aichip:NPU", "ascend"),
        # Epoch says GPU; the class table knows Trainium is an AWS ASIC
        (4, "amazon-trainium2", "aichip:NPU", None),
        # nothing curated and no table row: Epoch's own Type
        (5, "metax-mxn100", "aichip:GPU", None),
    ]
    chip = KG["huawei-ascend-910c"]
    assert (chip, RDF.type, AICHIP.NPU) in g and (chip, RDF.type, AICHIP.GPU) not in g
    (family,) = _statements(g, chip, AICHIP.inFamily)
    assert g.value(family, RDF.object) == KG["ascend"]
    assert g.value(family, PROV.wasDerivedFrom) == EPOCH_SOURCE
    assert (
        str(g.value(family, AICHIP.quote))
        == "Huawei Ascend 910C | Hardware name: Huawei Ascend 910C"
    )
    # Only new chips get a family from the import; the curated ascend-910 has its own.
    assert [str(g.value(s, RDF.subject)) for s in g.subjects(RDF.predicate, AICHIP.inFamily)] == [
        str(chip)
    ]
    # Epoch's own Type is kept as Epoch's claim wherever the graph classes the chip otherwise.
    epoch_types = {
        str(g.value(s, RDF.subject)).rsplit("/", 1)[-1]: (
            str(g.value(s, RDF.object)),
            str(g.value(s, AICHIP.quote)),
        )
        for s in g.subjects(RDF.predicate, AICHIP.description)
    }
    assert epoch_types == {
        "ascend-910": ("Epoch AI lists its type as GPU", "Huawei Ascend 910 | Type: GPU"),
        "huawei-ascend-910c": ("Epoch AI lists its type as GPU", "Huawei Ascend 910C | Type: GPU"),
        "amazon-trainium2": ("Epoch AI lists its type as GPU", "Amazon Trainium2 | Type: GPU"),
    }
    for statement in g.subjects(RDF.predicate, AICHIP.description):
        assert g.value(statement, PROV.wasDerivedFrom) == EPOCH_SOURCE
    root = make_project({"curated.ttl": (FIXTURES / "epoch" / "families.ttl").read_text()})
    fixture = load_curated(Project.at(root))
    text = render_turtle(g, result.header)
    assert import_problems(fixture, g, "facts/imported/epoch.ttl", text) == ()


def test_family_needs_its_maker_and_a_real_continuation():
    curated = Graph().parse(FIXTURES / "epoch" / "families.ttl")
    families = curated_families(curated)
    (ascend,) = families
    assert ascend.chip_class == AICHIP.NPU  # chipClass AIAccelerator, refined by its member
    assert family_of("Huawei Ascend 910C", KG["huawei"], families) == ascend
    assert family_of("Ascend 910C", KG["huawei"], families) == ascend
    assert family_of("Huawei Ascend 910C", KG["nvidia"], families) is None  # not Huawei's
    assert family_of("Huawei Ascendant 1", KG["huawei"], families) is None  # another word
    assert family_of("Huawei Ascend", KG["huawei"], families) is None  # the family itself


@pytest.mark.parametrize(
    "slug",
    ["huawei-ascend-910a", "huawei-ascend-910b2", "huawei-ascend-800t-a2"],
)
def test_real_ascend_imports_are_npus_in_the_ascend_family(real, slug):
    g, chip = real.graph, KG[slug]
    assert (chip, RDF.type, AICHIP.NPU) in g
    assert (chip, RDF.type, AICHIP.GPU) not in g
    (family,) = _statements(g, chip, AICHIP.inFamily)
    assert g.value(family, RDF.object) == KG["ascend"]
    assert g.value(family, PROV.wasDerivedFrom) == EPOCH_SOURCE
    label = str(g.value(chip, RDFS.label))
    assert str(g.value(family, AICHIP.quote)) == f"{label} | Hardware name: {label}"
    (epoch_type,) = _statements(g, chip, AICHIP.description)
    assert str(g.value(epoch_type, AICHIP.quote)) == f"{label} | Type: GPU"


def test_real_classes_of_other_makers(real):
    classes = {n.name: n.chip_class for n in real.report.new_chips}
    for name in (
        "Intel Habana GAUDI HL-205",
        "Tesla D1 Dojo",
        "Cambricon MLU270-F4",
        "Baidu Kunlun R200 (150W)",
    ):
        assert classes[name] == "aichip:NPU", name
    for name in (
        "NVIDIA A100 PCIe",
        "Intel Data Center GPU Max 1550",
        "MTT S4000",
    ):
        assert classes[name] == "aichip:GPU", name


def test_real_families_come_from_family_names(real, curated):
    families = {f.node: f for f in curated_families(curated.facts)}
    by_name = {n.name: n.family for n in real.report.new_chips}
    assert by_name["Baidu Kunlun R200 (150W)"] == "kunlun"
    assert by_name["Baidu Kunlun K200"] == "kunlun"
    assert by_name["Cambricon MLU370-X4"] == "cambricon-mlu"
    assert by_name["Huawei Ascend 910B4"] == "ascend"
    for new in real.report.new_chips:
        if new.family is None:
            continue
        names = families[KG[new.family]].names
        assert any(normalise_name(new.name).startswith(n) for n in names), new


# --- the command -------------------------------------------------------------------------


def _fixture_project(make_project) -> Path:
    return make_project({"curated.ttl": (FIXTURES / "epoch" / "curated.ttl").read_text()})


def test_cli_writes_the_import_atomically(make_project):
    root = _fixture_project(make_project)
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "epoch", str(SMALL_CSV)])
    assert result.exit_code == 0, result.output
    out = root / "facts" / "imported" / "epoch.ttl"
    assert out.exists() and "wrote facts/imported/epoch.ttl" in result.output
    assert "1 matched curated chips, 2 new chips" in result.output
    validate = CliRunner().invoke(cli, ["--root", str(root), "validate"])
    assert validate.exit_code == 0, validate.output
    # Re-running matches against the curated facts only, not its own previous output.
    again = CliRunner().invoke(cli, ["--root", str(root), "import", "epoch", str(SMALL_CSV)])
    assert again.exit_code == 0, again.output
    assert not list(out.parent.glob(".*.tmp"))


def test_cli_dry_run_and_json_write_nothing(make_project):
    root = _fixture_project(make_project)
    args = ["--root", str(root), "import", "epoch", str(SMALL_CSV), "--dry-run", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["written"] is None and payload["statements"] == 36
    assert payload["conflicts"][0]["chip"] == "a100"
    assert not (root / "facts" / "imported").exists()


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("unknown-column", "{file}:1: TDP (Watts): unknown column"),
        ("malformed-number", "{file}:{row}: Die Size (mm^2): not a number: '8l4'"),
        ("short-row", "{file}:{row}: (row): has 3 fields, the header has 39"),
        ("bad-date", "{file}:{row}: Release date: not a YYYY-MM-DD date: '20/09/2022'"),
        ("no-such-day", "{file}:{row}: Release date: no such day: '2022-02-30'"),
        ("wrong-maker", "{file}:{row}: Manufacturer: 'AMD' is not the maker"),
        ("huge-exponent", "{file}:{row}: TDP (W): out of range: '1e999999'"),
        ("huger-exponent", "{file}:{row}: Die Size (mm^2): out of range: '1e99999999'"),
        ("implausible", "{file}:{row}: TDP (W): out of range: '7000000'"),
        ("nul", "{file}:{row}: Hardware name: control character U+0000"),
        ("ansi", "{file}:{row}: Foundry: control character U+001B"),
        ("osc", "{file}:{row}: Notes: control character U+009D"),
    ],
)
def test_broken_copies_exit_2_and_write_nothing(tmp_path, make_project, breakage, expected):
    rows = _rows(REAL_CSV)
    header = rows[0]
    row = _row_number(rows, "NVIDIA H100 SXM5 80GB")
    target = rows[row - 1]
    if breakage == "unknown-column":
        header[header.index("TDP (W)")] = "TDP (Watts)"
    elif breakage == "malformed-number":
        target[header.index("Die Size (mm^2)")] = "8l4"
    elif breakage == "short-row":
        rows[row - 1] = target[:3]
    elif breakage == "bad-date":
        target[header.index("Release date")] = "20/09/2022"
    elif breakage == "no-such-day":
        target[header.index("Release date")] = "2022-02-30"
    elif breakage == "wrong-maker":
        target[header.index("Manufacturer")] = "AMD"
    elif breakage == "huge-exponent":
        target[header.index("TDP (W)")] = "1e999999"
    elif breakage == "huger-exponent":
        target[header.index("Die Size (mm^2)")] = "1e99999999"
    elif breakage == "implausible":
        target[header.index("TDP (W)")] = "7000000"
    elif breakage == "nul":
        target[0] = "NVIDIA H100\x00 SXM5 80GB"
    elif breakage == "ansi":
        target[header.index("Foundry")] = "TSMC\x1b[31m"
    elif breakage == "osc":
        target[header.index("Notes")] = "see \x9d8;;http://x\x07here"
    broken = _write_rows(tmp_path / "broken.csv", rows)
    root = _fixture_project(make_project)
    out = root / "facts" / "imported" / "epoch.ttl"
    out.parent.mkdir(parents=True)
    out.write_text("# previous import\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "epoch", str(broken)])
    assert result.exit_code == 2, result.output
    assert expected.format(file=broken, row=row) in result.stderr
    assert "nothing written" in result.stderr
    assert out.read_text(encoding="utf-8") == "# previous import\n"
    assert not list(out.parent.glob(".*.tmp"))
    assert "Traceback" not in result.output and "\x1b" not in result.output


def test_broken_copy_reports_every_bad_row(tmp_path):
    rows = _rows(REAL_CSV)
    header = rows[0]
    die = header.index("Die Size (mm^2)")
    first, second = _row_number(rows, "NVIDIA A100"), _row_number(rows, "Google TPU v4")
    rows[first - 1][die] = "n/a"
    rows[second - 1][die] = "nan"
    result = import_epoch(_write_rows(tmp_path / "two.csv", rows), Graph())
    assert len(result.graph) == 0
    assert [(e.row, e.column) for e in result.report.errors] == sorted(
        [(first, "Die Size (mm^2)"), (second, "Die Size (mm^2)")]
    )


def test_missing_file_is_a_clean_error(tmp_path, make_project):
    root = _fixture_project(make_project)
    missing = tmp_path / "nope.csv"
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "epoch", str(missing)])
    assert result.exit_code == 2
    assert "nope.csv: no such file" in result.stderr
    assert "Traceback" not in result.output


def test_help_has_an_example():
    result = CliRunner().invoke(cli, ["import", "epoch", "--help"])
    assert result.exit_code == 0 and "kg import epoch" in result.output
