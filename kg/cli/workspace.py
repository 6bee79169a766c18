"""`kg init`: make a workspace, your own facts layered over the installed graph."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make a workspace in DIRECTORY (new or empty): kg.toml, facts/ with an example claim,
    and exports/.

    Inside it (or any directory below), kg reads your facts/ on top of the installed graph:
    `kg validate` checks them against the installed ontology, `kg build` writes exports/.

    \b
    Example:
      kg init my-kg && cd my-kg && kg validate && kg build
    """
    from kg.workspace import init_workspace

    made = init_workspace(directory)
    for name in made.files:
        click.echo(f"{made.root / name}")
    click.echo(
        f"workspace ready: cd {directory} and edit facts/, then kg validate and kg build",
        err=True,
    )


COMMANDS = [init]
