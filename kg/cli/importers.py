"""`kg import …`: third-party datasets as sourced statements."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.common import (
    App,
    echo_json,
    pass_app,
    progress,
    quiet_option,
)


@click.group("import")
def import_() -> None:
    """Import third-party datasets into the graph as sourced statements.

    \b
    Example:
      kg import epoch tests/fixtures/epoch/epoch-ml-hardware.csv
    """


@import_.command("epoch")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Turtle file to (re)write (default: FACTS/imported/epoch.ttl).",
)
@click.option("--dry-run", is_flag=True, help="Match, validate and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Accept a CSV with a header and no rows (it replaces the previous import with none).",
)
@quiet_option
@pass_app
def import_epoch_command(
    app: App,
    file: Path,
    out: Path | None,
    dry_run: bool,
    as_json: bool,
    allow_empty: bool,
    quiet: bool,
) -> None:
    """Import Epoch AI's ML hardware CSV (CC BY 4.0) as statements.

    A row that denotes a curated chip is imported onto it (one entity per thing): by the
    table kg/importers/epoch/curated_names.csv, or by the same maker and normalised name or
    model number; each merge is reported with its evidence. The rest become new chips.
    Every figure is a statement quoting its row, derived from kg:src-epoch-ml-hardware,
    whose licence and attribution are in the graph. Values that disagree with curated facts
    are kept side by side and reported.

    Nothing is half-imported: an unknown column, a malformed or implausible number, a control
    character or a header-only file prints FILE:ROW: column: problem (ROW counts CSV records,
    header = 1) and exits 2 without writing; so does an import that would make `kg validate`
    fail. The CSV is streamed: memory stays bounded however many rows it has.

    \b
    Examples:
      kg import epoch tests/fixtures/epoch/epoch-ml-hardware.csv
      kg import epoch ml_hardware.csv --dry-run --json
    """
    import dataclasses

    from kg.importers.epoch import run_epoch_import, summary_lines
    from kg.tables import printable

    outcome = run_epoch_import(
        app.project,
        file,
        out=out,
        dry_run=dry_run,
        allow_empty=allow_empty,
        progress=progress(quiet or as_json),
    )
    shown = printable(app.project.display(outcome.target))
    if as_json:
        payload = dataclasses.asdict(outcome.report)
        payload["written"] = shown if outcome.written else None
        echo_json(payload)
    else:
        for line in summary_lines(outcome.report):
            click.echo(line)
    if not outcome.written:
        click.echo("dry run: nothing written", err=True)
        return
    click.echo(f"wrote {shown} ({outcome.triples} triples)", err=True)


COMMANDS = [import_]
