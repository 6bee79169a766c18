"""The package's layout keeps its promises: click only in the command layer, a thin root."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "kg"


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_click_is_imported_only_by_the_command_layer():
    offenders = [
        str(path.relative_to(REPO))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "click" in _imports(path) and path.parent.name != "cli"
    ]
    assert offenders == [], f"click imported outside cli.py and kg/cli/: {offenders}"


def test_the_scan_would_see_a_click_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from click import echo\n", encoding="utf-8")
    assert "click" in _imports(sample)


def test_root_cli_is_thin_and_only_wires_groups():
    text = (REPO / "cli.py").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert "@click.command" not in text and "@cli.command" not in text


def test_no_history_markers_in_code():
    marker = re.compile(r"#\s*(issue|scale|round)\s*:", re.IGNORECASE)
    hits = [
        f"{path.relative_to(REPO)}:{number}"
        for path in [REPO / "cli.py", *PACKAGE.rglob("*.py")]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if marker.search(line)
    ]
    assert hits == []


def test_a_cached_query_never_imports_rdflib(tmp_path):
    """The default engine answers `kg query` from the cached pyoxigraph copy without rdflib
    (which only the first call, building the cache, needs)."""
    query = "SELECT ?m {?m org:memberOf kg:pytorch-foundation}"
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cli import cli\n"
        f"result = CliRunner().invoke(cli, ['query', '--format', 'csv', {query!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(len(result.stdout.splitlines()) - 1, 'rdflib' in sys.modules)\n"
    )
    env = {**os.environ, "KG_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0] == [runs[1][0], "True"]  # building the cache parses the Turtle with rdflib
    assert int(runs[1][0]) > 5 and runs[1][1] == "False", runs


def _warm_run(cache: Path, script: str, *args: str) -> list[str]:
    env = {**os.environ, "KG_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


_CLI_SCRIPT = (
    "import sys\n"
    "from click.testing import CliRunner\n"
    "from cli import cli\n"
    "result = CliRunner().invoke(cli, sys.argv[1:])\n"
    "assert result.exit_code == 0, result.output\n"
    "print(len(result.stdout.splitlines()), 'rdflib' in sys.modules)\n"
)


def test_cached_show_and_search_never_import_rdflib(tmp_path):
    """`kg show` and `kg search` read the cached pyoxigraph copy with SPARQL, as `kg query`
    does: on a warm cache neither loads rdflib; nor do the graph counts of `kg stats`."""
    first = _warm_run(tmp_path, _CLI_SCRIPT, "show", "huawei")
    assert first[1] == "True"  # the first call builds the cache with rdflib
    for args in (
        ("show", "huawei"),
        ("show", "华为", "--as-of", "2023-01-01", "--json"),
        ("search", "华为"),
    ):
        lines, loaded = _warm_run(tmp_path, _CLI_SCRIPT, *args)
        assert int(lines) > 3 and loaded == "False", (args, lines, loaded)
    counts = (
        "import sys\n"
        "import kg.store\n"
        "from kg.explore.stats import graph_stats\n"
        "print(graph_stats(kg.store.open_graph()).relations, 'rdflib' in sys.modules)\n"
    )
    relations, loaded = _warm_run(tmp_path, counts)
    assert int(relations) > 100 and loaded == "False"


def test_cached_stats_never_imports_rdflib(tmp_path):
    _warm_run(tmp_path, _CLI_SCRIPT, "stats")
    lines, loaded = _warm_run(tmp_path, _CLI_SCRIPT, "stats")
    assert int(lines) > 20 and loaded == "False"


def test_every_command_group_is_reachable_from_the_root():
    import importlib

    import cli as root

    for name, module_name in sorted(set(root.COMMANDS.items())):
        module = importlib.import_module(f"kg.cli.{module_name}")
        names = {command.name for command in module.COMMANDS}
        assert name in names, (name, module_name, names)
    for path in sorted((REPO / "kg" / "cli").glob("*.py")):
        module = importlib.import_module(f"kg.cli.{path.stem}")
        for command in getattr(module, "COMMANDS", ()):
            assert root.COMMANDS.get(command.name) == path.stem, command.name
