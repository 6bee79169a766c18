"""Progress on stderr for the slow steps (build, import epoch, a cold --infer): shown on a
terminal, silent when stderr is not one or with --quiet."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from tests.conftest import FIXTURES, cli_ok

BASE = (FIXTURES / "validate" / "base.ttl").read_text(encoding="utf-8")
EPOCH = FIXTURES / "epoch"


pytestmark = pytest.mark.usefixtures("cache_dir")


def terminal(monkeypatch, is_terminal: bool) -> None:
    monkeypatch.setattr("kg.cli.common._stderr_is_terminal", lambda: is_terminal)


@pytest.mark.parametrize(
    ("command", "step"),
    [
        (["build"], "validating"),
        (["import", "epoch", str(EPOCH / "small.csv"), "--dry-run"], "matching the rows"),
        (["query", "--infer", "--no-cache", "ASK { ?c a aichip:Chip }"], "OWL 2 RL closure"),
    ],
)
def test_slow_steps_report_progress_on_a_terminal_only(make_project, monkeypatch, command, step):
    root = make_project(
        {"base.ttl": BASE, "curated.ttl": (EPOCH / "curated.ttl").read_text(encoding="utf-8")}
    )
    run = ["--root", str(root), *command]
    terminal(monkeypatch, True)
    shown = CliRunner().invoke(cli, run)
    cli_ok(shown)
    assert step in shown.stderr
    quiet = CliRunner().invoke(cli, [*run, "--quiet"])
    cli_ok(quiet)
    assert step not in quiet.stderr
    terminal(monkeypatch, False)
    piped = CliRunner().invoke(cli, run)
    cli_ok(piped)
    assert step not in piped.stderr
