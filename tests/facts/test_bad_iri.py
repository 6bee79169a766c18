"""`kg validate` refuses exactly the IRIs that `kg build`'s writers cannot carry (rule bad-iri),
naming the file, the line and the IRI; `--json` lists the problems for machines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import cli
from tests.conftest import FIXTURES

BASE = (FIXTURES / "validate" / "base.ttl").read_text(encoding="utf-8")
HEADER = BASE.split("# A minimal")[0]

# Turtle escapes for characters no IRI in N-Triples, Turtle or RDF/XML may hold.
BAD = ["\\u003C", "\\u003E", "\\u0020", "\\u0022", "\\u007B", "\\u007C", "\\u005E", "\\u0060",
       "\\u005C", "\\u0001", "\\uFFFE"]  # fmt: skip


def project(make_project, iri: str):
    extra = HEADER + "\n\n" + f"kg:acme rdfs:seeAlso <{iri}> .\n"
    return make_project({"base.ttl": BASE, "zz.ttl": extra})


@pytest.mark.parametrize("escape", BAD)
def test_an_iri_the_writers_cannot_carry_fails_validate_and_build(make_project, escape):
    root = project(make_project, f"http://example.org/a{escape}b")
    runner = CliRunner()
    result = runner.invoke(cli, ["--root", str(root), "validate", "--json"])
    assert result.exit_code == 2, result.output
    problems = json.loads(result.stdout)["problems"]
    (bad,) = [p for p in problems if p["rule"] == "bad-iri"]
    line = HEADER.count("\n") + 3
    assert bad["location"] == f"facts/zz.ttl:{line}"
    code = escape[2:].lstrip("0") or "0"
    assert f"U+{int(code, 16):04X}" in bad["message"]
    assert "example.org/a" in bad["term"]
    build = runner.invoke(cli, ["--root", str(root), "build", "--json"])
    assert build.exit_code == 2
    assert "bad-iri" in {p["rule"] for p in json.loads(build.stdout)["problems"]}
    assert not (root / "exports").exists()


@pytest.mark.parametrize("iri", ["http://example.org/caf\\u00E9", "http://example.org/a%3Cb"])
def test_iris_the_writers_carry_pass_validate_and_build(make_project, iri):
    root = project(make_project, iri)
    runner = CliRunner()
    result = runner.invoke(cli, ["--root", str(root), "validate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ok": True,
        "triples": json.loads(result.stdout)["triples"],
        "problems": [],
    }
    build = runner.invoke(cli, ["--root", str(root), "build", "--json"])
    assert build.exit_code == 0, build.output
    report = json.loads(build.stdout)
    written = sorted(p.name for p in (root / "exports").iterdir())
    assert report["ok"] and sorted(report["files"]) == written
    assert report["out_dir"] == str(root / "exports")
