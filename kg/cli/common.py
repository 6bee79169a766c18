"""What every command group shares: the error boundary, the app object, options, helpers.

The ``kg`` package raises :class:`~kg.errors.KGError` subclasses and never prints; this is
the one place they become ``error: message`` on stderr and an exit code (0 ok, 1 failure,
2 bad input). Heavy modules (rdflib, pyshacl, networkx, pyvis) are imported inside commands,
so ``kg --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from kg.errors import InputError, KGError, ValidationFailed
from kg.project import Project
from kg.store.spec import StoreSpec, parse_spec

__all__ = [
    "CONTEXT_SETTINGS",
    "App",
    "KGGroup",
    "StoreSpecType",
    "echo_json",
    "emit_result",
    "exit_with",
    "format_option",
    "infer_option",
    "json_option",
    "lang_option",
    "no_cache_option",
    "pass_app",
    "progress",
    "quiet_option",
    "strict_option",
]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class KGGroup(click.Group):
    """Turns every ``KGError`` into ``error: message`` on stderr and its exit code, and loads
    each command's module only when it is needed (click's lazy-loading pattern).

    Doing it here rather than in ``main`` means CliRunner tests see what users see.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands and name not in self.commands:
            import importlib

            module = importlib.import_module(f"kg.cli.{self.lazy_commands[name]}")
            for command in module.COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"error: {exc}; nothing was written (see `kg validate`)", err=True)
            ctx.exit(exc.exit_code)
        except KGError as exc:
            for problem in getattr(exc, "problems", ()):  # e.g. ImportFailed's rows
                click.echo(str(problem), err=True)
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            # `kg query … | head` closes stdout early; that is not an error worth a traceback.
            sys.stderr.close()
            ctx.exit(1)


class StoreSpecType(click.ParamType):
    """``--store``: parsed once, here, into a :class:`~kg.store.spec.StoreSpec`."""

    name = "store"

    def convert(self, value: Any, param: Any, ctx: Any) -> StoreSpec:
        if isinstance(value, StoreSpec):
            return value
        try:
            return parse_spec(value)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


@dataclass
class App:
    """The project a command works on and the store it reads (the ``--store`` value, else
    ``$KG_STORE``, else the project's ``kg.toml``, else the cached pyoxigraph copy)."""

    project: Project
    store: StoreSpec

    def graph(self, *, infer: bool = False, use_cache: bool = True, quiet: bool = False):
        """The project's graph (:func:`kg.store.open_graph`), closed with the command. A cold
        ``infer`` (the closure not cached yet) takes seconds: it says so on a terminal."""
        from kg.store import open_graph

        report = progress(quiet)
        if report and infer:
            from kg.facts.cache import is_cached

            if not use_cache or not is_cached(self.project, infer=True):
                report("computing the OWL 2 RL closure (cached for the next run)…")
        store = open_graph(self.project, self.store, infer=infer, use_cache=use_cache)
        # Closed with the command, so an on-disk store's lock is free for the next one even
        # when several commands run in one process (tests, scripts calling cli.main).
        click.get_current_context().call_on_close(store.close)
        return store


pass_app = click.make_pass_decorator(App)


def exit_with(code: int) -> NoReturn:
    """End the command with ``code`` (after its message was printed)."""
    click.get_current_context().exit(code)
    raise AssertionError("unreachable")  # pragma: no cover


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def progress(quiet: bool = False):
    """A callback printing progress lines on stderr, or None when quiet or not a terminal
    (for the steps that take seconds: a build, an import, a cold --infer)."""
    if quiet or not _stderr_is_terminal():
        return None
    return lambda message: click.echo(message, err=True)


def emit_result(result: Any, fmt: str | None, as_json: bool) -> None:
    """Print a :class:`~kg.sparql.results.Result` in ``fmt`` (default: a table), with the row
    count on stderr for tables."""
    if fmt is None:
        fmt = ("jsonld" if result.is_graph else "json") if as_json else "table"
    for warning in getattr(result, "warnings", ()):
        click.echo(f"warning: {warning}", err=True)
    stream = sys.stdout.buffer
    # CSV goes to spreadsheets: formulas in the data must not run there (a leading apostrophe).
    stream.write(result.serialize(fmt, spreadsheet_safe=True))
    stream.flush()
    if fmt == "table" and result.kind != "ASK":
        noun = "triple" if result.is_graph else "row"
        click.echo(f"{len(result)} {noun}{'' if len(result) == 1 else 's'}", err=True)


# Spelled out so that `kg --help` need not import kg.sparql.results; a test keeps them in step.
QUERY_FORMATS = (
    "table", "csv", "tsv", "json", "xml", "ttl", "nt", "jsonld", "rdfxml",
    "turtle", "ntriples", "n-triples", "json-ld", "rdf", "rdf+xml", "text",
)  # fmt: skip

infer_option = click.option(
    "--infer",
    is_flag=True,
    help="Answer over the OWL 2 RL closure (subclasses, sub-properties, domains, ranges, "
    "inverse and symmetric properties): aichip:Chip also finds GPUs and NPUs.",
)
no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Rebuild the graph from the Turtle files instead of reading (or writing) .kg-cache/.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS, case_sensitive=False),
    default=None,
    help="table (default), csv, tsv, json or xml (SPARQL 1.1 results) for SELECT/ASK; "
    "ttl, nt, jsonld or rdfxml for CONSTRUCT/DESCRIBE (turtle, ntriples… also accepted).",
)
strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (a kg: or aichip: term the graph lacks, a language-tag comparison "
    "that is never true) as errors: exit 2, run nothing.",
)
quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress messages on stderr (only shown on a terminal)."
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="JSON output (SPARQL results JSON, or JSON-LD)."
)
lang_option = click.option(
    "--lang",
    type=click.Choice(("en", "zh-Hans", "zh-Hant")),
    default="en",
    show_default=True,
    help="Language of the labels shown (falls back to English).",
)
