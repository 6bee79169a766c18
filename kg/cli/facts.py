"""`kg validate` and `kg build`: check the curated facts, write every export."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.common import (
    App,
    echo_json,
    exit_with,
    pass_app,
    progress,
    quiet_option,
)


def _problem_json(problem) -> dict:
    return {
        "location": problem.location,
        "rule": problem.rule,
        "term": problem.term,
        "message": problem.message,
    }


@click.command()
@click.option("--shacl/--no-shacl", default=True, help="Also run the SHACL shapes (default on).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print {ok, triples, problems: [...]} as JSON."
)
@pass_app
def validate(app: App, shacl: bool, as_json: bool) -> None:
    """Check facts against the SHACL shapes and the integrity rules.

    Prints one line per problem (FILE:LINE: TERM: [RULE] message) and exits 2 when there is
    any. Rules: syntax, shacl, undeclared-term, dangling-term, unsourced-relation,
    unsourced-figure, share-over-100, bad-iri (an IRI the exports cannot carry).

    \b
    Example:
      kg validate && echo clean
    """
    from kg.facts.validate import validate_project

    report = validate_project(app.project, shacl=shacl)
    if as_json:
        problems = [_problem_json(p) for p in report.problems]
        echo_json({"ok": report.ok, "triples": report.triples, "problems": problems})
        if report.problems:
            exit_with(2)
        return
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
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print {ok, out_dir, files, stale, problems} as JSON (problems: validation's).",
)
@click.option(
    "--site",
    is_flag=True,
    help="Also write the entity and ontology pages as a static site to OUT/site/ (relative "
    "links, works from file://); with --check, compare it too.",
)
@quiet_option
@pass_app
def build(
    app: App, out_dir: Path | None, check: bool, as_json: bool, site: bool, quiet: bool
) -> None:
    """Load, validate and write every export (RDF, graph formats, HTML viewer).

    Stops before writing anything if validation finds a problem. Outputs are deterministic
    and replace the previous set at once (written beside it, then swapped in), so an
    interrupted build or a full disk leaves the previous files intact.

    \b
    Examples:
      kg build
      kg build --check        # in CI: are the committed exports up to date?
      kg build --site         # and exports/site/: one HTML page per entity, to publish
    """
    from kg.errors import ValidationFailed
    from kg.export.build import build_exports

    project = app.project
    if out_dir is None:
        project.check_writable("kg build", project.exports_dir)
    target = (out_dir or project.exports_dir).absolute()
    try:
        result = build_exports(
            project,
            target,
            check=check,
            progress=progress(quiet or as_json) or (lambda _message: None),
        )
        if site:
            from dataclasses import replace

            from kg.pages.site import build_site

            site_files, site_stale = build_site(
                project,
                target / "site",
                check=check,
                progress=progress(quiet or as_json) or (lambda _message: None),
            )
            result = replace(
                result,
                files=(*result.files, *(f"site/{n}" for n in site_files))
                if check
                else result.files,
                stale=(*result.stale, *(f"site/{n}" for n in site_stale)),
            )
    except ValidationFailed as exc:
        if not as_json:
            raise
        problems = [_problem_json(p) for p in exc.problems]
        echo_json(
            {"ok": False, "out_dir": str(target), "files": [], "stale": [], "problems": problems}
        )
        exit_with(exc.exit_code)
    if as_json:
        echo_json(
            {
                "ok": not result.stale,
                "out_dir": str(target),
                "files": list(result.files),
                "stale": list(result.stale),
                "problems": [],
            }
        )
        if result.stale:
            exit_with(1)
        return
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
