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
      kg import epoch ../shared/reference/epoch-ml-hardware.csv
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
@quiet_option
@pass_app
def import_epoch_command(
    app: App, file: Path, out: Path | None, dry_run: bool, as_json: bool, quiet: bool
) -> None:
    """Import Epoch AI's ML hardware CSV (CC BY 4.0) as statements.

    Rows are matched to curated chips by name and manufacturer (the table in
    kg/importers/epoch.py); the rest become new chips. Every figure is a statement quoting
    its row, derived from kg:src-epoch-ml-hardware, whose licence and attribution are in the
    graph. Values that disagree with curated facts are kept side by side and reported.

    Nothing is half-imported: an unknown column or a malformed row prints FILE:ROW: column:
    problem (ROW counts CSV records, header = 1) and exits 2 without writing; so does an
    import that would make `kg validate` fail.

    \b
    Examples:
      kg import epoch ../shared/reference/epoch-ml-hardware.csv
      kg import epoch ml_hardware.csv --dry-run --json
    """
    import dataclasses

    from kg.importers.epoch import prepare_epoch_import, summary_lines
    from kg.write import write_text_atomic

    prepared = prepare_epoch_import(app.project, file, out=out, progress=progress(quiet))
    shown = app.project.display(prepared.target)
    if as_json:
        payload = dataclasses.asdict(prepared.report)
        payload["written"] = None if dry_run else shown
        echo_json(payload)
    else:
        for line in summary_lines(prepared.report):
            click.echo(line)
    if dry_run:
        click.echo("dry run: nothing written", err=True)
        return
    write_text_atomic(prepared.target, prepared.text)
    click.echo(f"wrote {shown} ({prepared.triples} triples)", err=True)


COMMANDS = [import_]
