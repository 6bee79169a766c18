"""`kg build`: the Turtle export round-trips through an independent parser and is deterministic."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from cli import cli
from kg import nsgen
from kg.facts.load import load_graph
from kg.project import Project
from tests.conftest import FIXTURES, REPO, assert_isomorphic, parse_with_oxigraph

BASE = (FIXTURES / "validate" / "base.ttl").read_text(encoding="utf-8")


def test_build_writes_turtle_isomorphic_under_pyoxigraph(make_project):
    root = make_project({"base.ttl": BASE})
    result = CliRunner().invoke(cli, ["--root", str(root), "build"])
    assert result.exit_code == 0, result.output
    exported = parse_with_oxigraph(root / "exports" / "aichip-kg.ttl")
    assert_isomorphic(load_graph(Project.at(root)), exported)


def test_truthy_triple_is_derived_from_statement(make_project):
    root = make_project({"base.ttl": BASE})
    graph = load_graph(Project.at(root))
    answer = graph.query(
        "ASK { kg:acme org:memberOf kg:test-foundation . "
        "?m a org:Membership ; org:member kg:acme ; org:organization kg:test-foundation }"
    )
    assert answer.askAnswer


def test_deprecated_statement_gives_no_truthy_triple(make_project):
    extra = BASE.replace(
        'aichip:quote "Acme joined the Test Foundation."@en ;\n    aichip:rank aichip:Normal .',
        'aichip:quote "Acme joined the Test Foundation."@en ;\n    aichip:rank aichip:Deprecated .',
    )
    assert extra != BASE
    graph = load_graph(Project.at(make_project({"base.ttl": extra})))
    assert not graph.query("ASK { kg:acme org:memberOf kg:test-foundation }").askAnswer


def test_build_is_byte_identical_across_hash_seeds(make_project):
    root = make_project({"base.ttl": BASE})
    digests = set()
    for seed in ("1", "2", "3"):
        out = root / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "cli", "--root", str(root), "build", "--out", str(out)],
            check=True,
            cwd=REPO,
            env=env,
            capture_output=True,
        )
        digests.add(tuple((p.name, p.read_bytes()) for p in sorted(out.iterdir())))
    assert len(digests) == 1


def test_build_check_names_stale_files(make_project):
    root = make_project({"base.ttl": BASE})
    runner = CliRunner()
    assert runner.invoke(cli, ["--root", str(root), "build"]).exit_code == 0
    fresh = runner.invoke(cli, ["--root", str(root), "build", "--check"])
    assert fresh.exit_code == 0, fresh.output
    (root / "facts" / "more.ttl").write_text(
        BASE.split("# A minimal")[0] + 'kg:initech a aichip:Company ; rdfs:label "Initech"@en .\n',
        encoding="utf-8",
    )
    stale = runner.invoke(cli, ["--root", str(root), "build", "--check"])
    assert stale.exit_code == 1, stale.output
    assert "stale: aichip-kg.ttl" in stale.output


def test_generated_namespace_is_in_sync_with_ontology():
    current = (REPO / "kg" / "ns.py").read_text(encoding="utf-8")
    assert current == nsgen.render(REPO / "ontology" / "aichip.ttl"), "run: python -m kg.nsgen"


def test_unwritable_exports_is_one_line_error_not_traceback(make_project, monkeypatch):
    root = make_project({"base.ttl": BASE})
    (root / "exports").write_text("not a directory\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(root), "build"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "exports" in line and "cannot write" in line
    assert (root / "exports").read_text(encoding="utf-8") == "not a directory\n"
    # A read-only parent (chmod does not stop root, so the refusal is simulated).
    (root / "exports").unlink()
    (root / "exports").mkdir()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("kg.write.tempfile.mkdtemp", refuse)
    result = CliRunner().invoke(cli, ["--root", str(root), "build"])
    assert result.exit_code == 2, result.output
    assert result.exception.__class__ is SystemExit
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {root / 'exports'}: cannot write the exports")
    assert "Permission denied" in line


def test_export_to_a_missing_directory_creates_nothing(make_project, tmp_path):
    root = make_project({"base.ttl": BASE})
    missing = tmp_path / "no-such-dir" / "deeper"
    for command in (["export", "-f", "turtle"], ["viz"]):
        target = missing / "out.file"
        result = CliRunner().invoke(cli, ["--root", str(root), *command, "-o", str(target)])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == (
            f"error: {target}: cannot write: no directory {missing} (create it first)"
        )
        assert not (tmp_path / "no-such-dir").exists()
