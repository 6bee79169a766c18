"""Finding the project like git finds a repository: the nearest kg.toml upward, --root and
KG_ROOT first, else the installed graph, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from kg.facts.cache import cache_dir
from kg.project import (
    Project,
    default_project,
    discover_project,
    find_project_root,
    packaged_root,
)
from tests.conftest import REPO, cli_error, cli_ok

ENTITY = """\
@prefix aichip: <https://w3id.org/aichip-kg/ontology#> .
@prefix kg:     <https://w3id.org/aichip-kg/id/> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .

kg:{slug} a aichip:Company ;
    rdfs:label "{label}"@en .
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for name in ("KG_ROOT", "KG_FACTS", "KG_STORE", "KG_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert find_project_root(tmp_path) is None, "a kg.toml above the temporary directory"


def _workspace(path: Path, slug: str, label: str) -> Path:
    (path / "facts").mkdir(parents=True)
    (path / "kg.toml").write_text("# workspace\n", encoding="utf-8")
    (path / "facts" / "mine.ttl").write_text(ENTITY.format(slug=slug, label=label), "utf-8")
    return path


def test_nearest_kg_toml_upward_is_the_root(tmp_path):
    outer = tmp_path / "outer"
    inner = outer / "a" / "inner"
    deep = inner / "b" / "c"
    deep.mkdir(parents=True)
    (outer / "kg.toml").write_text("", encoding="utf-8")
    assert find_project_root(deep) == outer.resolve()
    (inner / "kg.toml").write_text("", encoding="utf-8")
    assert find_project_root(deep) == inner.resolve()
    assert find_project_root(outer / "a") == outer.resolve()
    assert find_project_root(tmp_path) is None


def test_a_root_without_ontology_is_a_workspace_over_the_installed_graph(tmp_path):
    workspace = discover_project(start=_workspace(tmp_path / "ws", "ws-co", "WS Co") / "facts")
    core = packaged_root()
    assert workspace.root == (tmp_path / "ws").resolve()
    assert workspace.is_workspace and workspace.writable
    assert workspace.ontology_dir == core / "ontology"
    assert workspace.facts_dirs == (core / "facts", (tmp_path / "ws" / "facts").resolve())
    assert workspace.exports_dir == (tmp_path / "ws" / "exports").resolve()
    files = workspace.facts_files()
    assert files[-1] == (tmp_path / "ws" / "facts" / "mine.ttl").resolve()
    assert core / "facts" / "entities.ttl" in files
    # A root with its own ontology/ is a whole project: nothing layered under it.
    whole = discover_project(start=REPO / "kg" / "cli")
    assert whole.root == REPO and not whole.is_workspace
    assert whole.facts_dirs == (REPO / "facts",)


def test_without_kg_toml_the_installed_graph_is_read_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = default_project()
    assert project == Project.packaged()
    assert not project.writable
    assert project.root == packaged_root()
    # Its cache goes to the user's cache directory, never beside the installed graph.
    assert cache_dir(project) == tmp_path / "xdg" / "aichip-kg"
    result = CliRunner().invoke(cli, ["build"])
    message = cli_error(result)
    assert len(message.strip().splitlines()) == 1, message
    assert "kg init DIR" in message and str(project.exports_dir) in message
    csv = tmp_path / "any.csv"
    csv.write_text("System name\n", encoding="utf-8")  # it exists: the refusal is the workspace
    result = CliRunner().invoke(cli, ["import", "epoch", str(csv)])
    assert "kg init DIR" in cli_error(result)


def test_kg_root_wins_over_discovery_and_root_option_over_kg_root(tmp_path, monkeypatch):
    here = _workspace(tmp_path / "here", "here-co", "Here Co")
    there = _workspace(tmp_path / "there", "there-co", "There Co")
    third = _workspace(tmp_path / "third", "third-co", "Third Co")
    nested = here / "facts" / "deeper"
    nested.mkdir()
    monkeypatch.chdir(nested)
    runner = CliRunner()
    assert "kg:here-co" in cli_ok(runner.invoke(cli, ["--store", "memory", "show", "Here Co"]))
    assert default_project().root == here.resolve()

    monkeypatch.setenv("KG_ROOT", str(there))
    assert default_project().root == there.resolve()
    assert "kg:there-co" in cli_ok(runner.invoke(cli, ["--store", "memory", "show", "There Co"]))
    cli_error(runner.invoke(cli, ["--store", "memory", "show", "Here Co"]))

    shown = runner.invoke(cli, ["--root", str(third), "--store", "memory", "show", "Third Co"])
    assert "kg:third-co" in cli_ok(shown)


def test_workspace_cache_stays_in_the_workspace(tmp_path):
    workspace = Project.open(_workspace(tmp_path / "ws", "ws-co", "WS Co"))
    assert cache_dir(workspace) == workspace.root / ".kg-cache"
