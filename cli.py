"""The ``kg`` command line: a thin click layer over the ``kg`` package.

Commands parse options, call ``kg`` functions and print. ``kg`` raises ``KGError`` subclasses;
``main`` turns them into one-line messages and exit codes (0 ok, 1 failure, 2 bad input).
Heavy modules (pyshacl, networkx, pyvis) are imported inside the commands that need them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.errors import KGError, ValidationFailed
from kg.project import Project, default_project

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _project(ctx: click.Context) -> Project:
    return ctx.find_root().obj["project"]


class KGGroup(click.Group):
    """Turns every ``KGError`` into ``error: message`` on stderr and its exit code.

    Doing it here rather than in ``main`` means CliRunner tests see the same behaviour as users.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"error: {exc}; nothing was written (see `kg validate`)", err=True)
            ctx.exit(exc.exit_code)
        except KGError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            # `kg query … | head` closes stdout early; that is not an error worth a traceback.
            sys.stderr.close()
            ctx.exit(1)


@click.group(cls=KGGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KG_ROOT",
    help="Project directory holding ontology/, facts/ and exports/ (default: this checkout).",
)
@click.option(
    "--facts",
    "facts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KG_FACTS",
    help="Read facts from this directory instead of ROOT/facts.",
)
@click.version_option(package_name="aichip-kg")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, facts_dir: Path | None) -> None:
    """aichip-kg: a sourced knowledge graph of the AI-chip ecosystem.

    \b
    Start with:
      kg build                 validate and write every export to exports/
      kg validate              list problems in facts/, one per line
      kg ask                   list the competency questions; kg ask NAME runs one
      kg search 華為           find entities by any name, in any script
    """
    base = default_project()
    project = Project.at(root or base.root, facts_dir or (None if root else base.facts_dir))
    ctx.obj = {"project": project}


# =============================================================================
# Foundation: build, validate
# =============================================================================


@cli.command()
@click.option("--shacl/--no-shacl", default=True, help="Also run the SHACL shapes (default on).")
@click.pass_context
def validate(ctx: click.Context, shacl: bool) -> None:
    """Check facts against the SHACL shapes and the integrity rules.

    Prints one line per problem (FILE:LINE: TERM: [RULE] message) and exits 2 when there is
    any. Rules: syntax, shacl, undeclared-term, dangling-term, unsourced-relation,
    unsourced-figure, share-over-100.

    \b
    Example:
      kg validate && echo clean
    """
    from kg.validate import validate_project

    report = validate_project(_project(ctx), shacl=shacl)
    for problem in report.problems:
        click.echo(str(problem))
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s)", err=True)
        ctx.exit(2)
    click.echo(f"ok: {report.triples} triples, 0 problems", err=True)


@cli.command()
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
@click.pass_context
def build(ctx: click.Context, out_dir: Path | None, check: bool) -> None:
    """Load, validate and write every export (RDF, graph formats, HTML viewer).

    Stops before writing anything if validation finds a problem. Outputs are deterministic
    and written atomically, so an interrupted build leaves the previous files intact.

    \b
    Examples:
      kg build
      kg build --check        # in CI: are the committed exports up to date?
    """
    from kg.build import build_exports

    project = _project(ctx)
    result = build_exports(
        project,
        out_dir or project.exports_dir,
        check=check,
        progress=lambda message: click.echo(message, err=True),
    )
    if check:
        if result.stale:
            for name in result.stale:
                click.echo(f"stale: {name}")
            click.echo("exports are stale; run `kg build` and commit exports/", err=True)
            ctx.exit(1)
        click.echo(f"up to date: {len(result.files)} files", err=True)
        return
    for name in result.files:
        click.echo(name)


# =============================================================================
# Query side: query, ask, show, search, stats          (issue: ask the graph)
# =============================================================================


# =============================================================================
# Exports and viewer: export, viz                       (issue: exports and viewer)
# =============================================================================


# =============================================================================
# Analytics: analyze …                                  (issue: analytics)
# =============================================================================


# =============================================================================
# Endpoint and remote stores: serve, push               (issue: SPARQL endpoint)
# =============================================================================


# =============================================================================
# Imports and screening: import …                       (issue: wider ecosystem)
# =============================================================================


# =============================================================================
# Scale: load                                           (issue: scale)
# =============================================================================


def main() -> None:
    """Console entry point (``kg``)."""
    cli(prog_name="kg")


if __name__ == "__main__":
    main()
