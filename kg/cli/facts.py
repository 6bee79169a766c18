"""`kg validate` and `kg build`: check the curated facts, write every export."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.common import (
    App,
    exit_with,
    pass_app,
    progress,
    quiet_option,
)


@click.command()
@click.option("--shacl/--no-shacl", default=True, help="Also run the SHACL shapes (default on).")
@pass_app
def validate(app: App, shacl: bool) -> None:
    """Check facts against the SHACL shapes and the integrity rules.

    Prints one line per problem (FILE:LINE: TERM: [RULE] message) and exits 2 when there is
    any. Rules: syntax, shacl, undeclared-term, dangling-term, unsourced-relation,
    unsourced-figure, share-over-100.

    \b
    Example:
      kg validate && echo clean
    """
    from kg.facts.validate import validate_project

    report = validate_project(app.project, shacl=shacl)
    for problem in report.problems:
        click.echo(str(problem))
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s)", err=True)
        exit_with(2)
    click.echo(f"ok: {report.triples} triples, 0 problems", err=True)


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory to write exports to (default: ROOT/exports).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming the files whose committed copy is stale.",
)
@quiet_option
@pass_app
def build(app: App, out_dir: Path | None, check: bool, quiet: bool) -> None:
    """Load, validate and write every export (RDF, graph formats, HTML viewer).

    Stops before writing anything if validation finds a problem. Outputs are deterministic
    and written atomically, so an interrupted build leaves the previous files intact.

    \b
    Examples:
      kg build
      kg build --check        # in CI: are the committed exports up to date?
    """
    from kg.export.build import build_exports

    project = app.project
    result = build_exports(
        project,
        out_dir or project.exports_dir,
        check=check,
        progress=progress(quiet) or (lambda _message: None),
    )
    if check:
        if result.stale:
            for name in result.stale:
                click.echo(f"stale: {name}")
            click.echo("exports are stale; run `kg build` and commit exports/", err=True)
            exit_with(1)
        click.echo(f"up to date: {len(result.files)} files", err=True)
        return
    for name in result.files:
        click.echo(name)


COMMANDS = [validate, build]
