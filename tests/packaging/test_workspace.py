"""`kg init`: a workspace whose facts are layered over the installed graph."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from kg.project import find_project_root
from tests.conftest import TURTLE_PREFIXES, cli_error, cli_ok

DANGLING = (
    TURTLE_PREFIXES
    + """\

kg:stmt-huawei-competes-with-nobody a aichip:Statement ;
    rdf:subject kg:huawei ; rdf:predicate aichip:competesWith ;
    rdf:object kg:no-such-company-anywhere ;
    prov:wasDerivedFrom kg:src-pytorch-blog-huawei-2023 ;
    aichip:quote "Huawei has joined as a premier member."@en ;
    aichip:rank aichip:Normal .
"""
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for name in ("KG_ROOT", "KG_FACTS", "KG_STORE", "KG_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert find_project_root(tmp_path) is None, "a kg.toml above the temporary directory"
    monkeypatch.chdir(tmp_path)


def test_init_makes_a_workspace_whose_example_validates(tmp_path, monkeypatch):
    runner = CliRunner()
    listed = cli_ok(runner.invoke(cli, ["init", "ws"])).splitlines()
    ws = tmp_path / "ws"
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*")) == [
        "exports",
        "facts",
        "facts/README.md",
        "facts/example.ttl",
        "kg.toml",
    ]
    assert listed[0] == str(ws / "kg.toml")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging
    monkeypatch.chdir(ws / "facts")  # found from below, like git
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    shown = cli_ok(runner.invoke(cli, ["show", "华为"]))
    assert "kg:stmt-example-huawei-memberof-pytorch-foundation" in shown


def test_init_twice_names_the_file_and_a_non_empty_dir_is_refused(tmp_path):
    runner = CliRunner()
    cli_ok(runner.invoke(cli, ["init", "ws"]))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    message = cli_error(runner.invoke(cli, ["init", "ws"]))
    assert str(tmp_path / "ws" / "kg.toml") in message and "already" in message

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine\n", encoding="utf-8")
    message = cli_error(runner.invoke(cli, ["init", str(busy)]))
    assert "not empty" in message and str(busy) in message
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    assert (
        sorted(
            p.relative_to(tmp_path)
            for p in tmp_path.rglob("*")
            if busy not in p.parents and p != busy
        )
        == before
    )

    empty = tmp_path / "empty"
    empty.mkdir()
    cli_ok(runner.invoke(cli, ["init", str(empty)]))
    assert (empty / "kg.toml").is_file() and (empty / "exports").is_dir()


def test_user_problem_names_the_user_file_and_line(tmp_path, monkeypatch):
    runner = CliRunner()
    cli_ok(runner.invoke(cli, ["init", "ws"]))
    bad = tmp_path / "ws" / "facts" / "bad.ttl"
    bad.write_text(DANGLING, encoding="utf-8")
    line = DANGLING.splitlines().index("    rdf:object kg:no-such-company-anywhere ;") + 1
    monkeypatch.chdir(tmp_path / "ws")
    result = runner.invoke(cli, ["validate", "--no-shacl"])
    assert result.exit_code == 2, result.output
    assert f"facts/bad.ttl:{line}: kg:no-such-company-anywhere: [dangling-term]" in result.stdout
    assert all(problem.startswith("facts/bad.ttl:") for problem in result.stdout.splitlines())
    message = cli_error(runner.invoke(cli, ["build"]))
    assert f"facts/bad.ttl:{line}: kg:no-such-company-anywhere: [dangling-term]" in message
    assert list((tmp_path / "ws" / "exports").iterdir()) == []
