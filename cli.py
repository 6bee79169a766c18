"""The ``kg`` command line: the root group. Commands live in ``kg/cli/``, one module per group.

Commands parse options, call ``kg`` functions and print; ``kg`` raises ``KGError`` subclasses
and :class:`kg.cli.common.KGGroup` turns them into one-line messages and exit codes (0 ok,
1 failure, 2 bad input). The project (``--root``, ``--facts``) and the store (``--store``,
parsed once by :class:`kg.cli.common.StoreSpecType`) reach commands as one
:class:`kg.cli.common.App`, through ``pass_app``.
"""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.common import CONTEXT_SETTINGS, App, KGGroup, StoreSpecType
from kg.project import discover_project

__all__ = ["cli", "main"]


#: Command name -> the kg.cli module defining it. A command's module is imported only when that
#: command runs (or `kg --help` lists them all), so `kg query` does not pay for the others.
COMMANDS = {
    "init": "workspace",
    "validate": "facts",
    "build": "facts",
    "query": "explore",
    "ask": "explore",
    "show": "explore",
    "search": "explore",
    "stats": "explore",
    "export": "export",
    "viz": "export",
    "analyze": "analyze",
    "serve": "serve",
    "push": "remote",
    "import": "importers",
    "load": "store",
    "store": "store",
}


@click.group(cls=KGGroup, context_settings=CONTEXT_SETTINGS, lazy_commands=COMMANDS)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KG_ROOT",
    help="Project or workspace directory (default: the nearest one with a kg.toml, from the "
    "current directory up; else the installed graph, read-only).",
)
@click.option(
    "--facts",
    "facts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KG_FACTS",
    help="Read facts from this directory instead of ROOT/facts.",
)
@click.option(
    "--store",
    "store_spec",
    type=StoreSpecType(),
    envvar="KG_STORE",
    metavar="default|memory|oxigraph[:PATH]",
    help="Where the graph lives: by default pyoxigraph over the project's cached copy; "
    "memory is rdflib in memory; oxigraph is pyoxigraph in memory, oxigraph:PATH on disk, "
    'kept between calls (kg load fills it). Env: KG_STORE; project default: store = "…" in '
    "ROOT/kg.toml.",
)
@click.version_option(package_name="aichip-kg")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, facts_dir: Path | None, store_spec) -> None:
    """aichip-kg: a sourced knowledge graph of the AI-chip ecosystem.

    \b
    Start with:
      kg init DIR              make a workspace: your facts over the installed graph
      kg build                 validate and write every export to exports/
      kg validate              list problems in facts/, one per line
      kg ask                   list the competency questions; kg ask NAME runs one
      kg search 華為           find entities by any name, in any script
    """
    from kg.config import read_config
    from kg.errors import InputError
    from kg.store.spec import parse_spec

    for given, what in ((root, "project directory"), (facts_dir, "facts directory")):
        if given is not None and not given.is_dir():  # as typed: not a resolved path
            raise InputError(f"{given}: no such {what}")
    project = discover_project(root, facts_dir)
    if store_spec is None:  # --store and $KG_STORE win over the project's kg.toml
        store_spec = read_config(project.root).store
    ctx.obj = App(project=project, store=parse_spec(store_spec))


def main() -> None:
    """Console entry point (``kg``)."""
    cli(prog_name="kg")


if __name__ == "__main__":
    main()
