"""`kg import epoch` refuses what would be wrong to import: empty files, floods of errors, and
keeps what it prints safe for a terminal."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner
from rdflib import Graph

from cli import cli
from kg.importers.epoch import MAX_ERRORS, EpochReport, Match, import_epoch, summary_lines
from tests.conftest import FIXTURES

REAL_CSV = FIXTURES / "epoch" / "epoch-ml-hardware.csv"
SMALL_CSV = FIXTURES / "epoch" / "small.csv"


def _project(make_project):
    return make_project({"curated.ttl": (FIXTURES / "epoch" / "curated.ttl").read_text()})


def _header() -> str:
    return REAL_CSV.read_text(encoding="utf-8-sig").splitlines()[0] + "\n"


def test_header_only_csv_is_refused_without_allow_empty(tmp_path, make_project):
    root = _project(make_project)
    out = root / "facts" / "imported" / "epoch.ttl"
    out.parent.mkdir(parents=True)
    out.write_text("# previous import\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text(_header(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "epoch", str(empty)])
    assert result.exit_code == 2, result.output
    assert f"{empty}:1: (file): no data rows" in result.stderr
    assert out.read_text(encoding="utf-8") == "# previous import\n"
    allowed = CliRunner().invoke(
        cli, ["--root", str(root), "import", "epoch", str(empty), "--allow-empty"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "0 rows" in allowed.stdout and "epoch.ttl" in allowed.stderr


def test_error_list_is_bounded(tmp_path, make_project):
    rows = list(csv.reader(io.StringIO(REAL_CSV.read_text(encoding="utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    tdp = header.index("TDP (W)")
    name = header.index("Hardware name")
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    bad = MAX_ERRORS + 50
    for i in range(bad):
        record = list(body[i % len(body)])
        record[name] = f"Broken chip {i}"
        record[tdp] = "1e999999"
        writer.writerow(record)
    path = tmp_path / "flood.csv"
    path.write_text(stream.getvalue(), encoding="utf-8")
    root = _project(make_project)
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "epoch", str(path)])
    assert result.exit_code == 2, result.output
    listed = [line for line in result.stderr.splitlines() if ": TDP (W): out of range" in line]
    assert len(listed) == MAX_ERRORS
    assert f"… and {bad - MAX_ERRORS} more problem(s)" in result.stderr
    assert "Traceback" not in result.output


def test_summary_lines_escape_control_characters():
    report = EpochReport(
        file="x\x1b]8;;evil\x07.csv",
        sha256="0",
        rows=1,
        matches=(Match(2, "Chip\x1b[2J", "a100", "table"),),
    )
    text = "\n".join(summary_lines(report))
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2J" in text


def test_json_report_has_merge_evidence(make_project):
    root = _project(make_project)
    args = ["--root", str(root), "import", "epoch", str(SMALL_CSV), "--dry-run", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    import json

    (match,) = json.loads(result.stdout)["matches"]
    assert match["chip"] == "a100" and match["evidence"]


def test_every_cell_is_checked_for_control_characters(tmp_path):
    """Free text may hold line breaks and tabs, no other cell may; NULs and escapes are
    refused everywhere; every bad cell of a row is named, and blank number cells are blank."""
    rows = list(csv.reader(io.StringIO(REAL_CSV.read_text(encoding="utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    column = header.index

    def row(i: int, **cells: str) -> list[str]:
        record = list(body[i])
        record[column("Hardware name")] = f"Test chip {i}"
        for name, value in cells.items():
            record[column(name.replace("_", " "))] = value
        return record

    records = [
        row(0, Notes="line one\nline two\ttabbed"),  # row 2: fine
        row(1, Notes="a\nb", Type="GPU\x7f"),  # row 3: Type only
        row(2, Foundry="TSMC\tSamsung"),  # row 4: a tab outside free text, nothing else
        row(3, **{"Link to datasheet": "http://x\x00y"}),  # row 5: NUL in free text
        row(4, **{"TDP (W)": "   ", "Die Size (mm^2)": " 814 "}),  # row 6: fine
    ]
    records[3][column("Hardware name")] = "Test\x1b[2J chip"  # row 5: and an escape
    path = tmp_path / "controls.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows([header, *records])
    report = import_epoch(path, Graph()).report
    assert [(e.row, e.column, e.problem.split(" at ")[0]) for e in report.errors] == [
        (3, "Type", "control character U+007F"),
        (4, "Foundry", "control character U+0009"),
        (5, "Hardware name", "control character U+001B"),
        (5, "Link to datasheet", "control character U+0000"),
    ]
