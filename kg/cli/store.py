"""`kg load`: bulk-load RDF dumps into an on-disk store; `kg store check|repair`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.common import (
    App,
    echo_json,
    exit_with,
    pass_app,
)


@click.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("ntriples", "nquads", "turtle")),
    help="Format of every FILE (default: from the name: .nt, .nq, .ttl, optionally .gz/.bz2/.xz).",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="N-Triples/N-Quads: skip lines that do not parse and list them, load the rest.",
)
@click.option("--check", is_flag=True, help="Only parse and count; load nothing (any store).")
@click.option("--json", "as_json", is_flag=True, help="Print the load report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_app
def load_command(
    app: App,
    files: tuple[Path, ...],
    fmt: str | None,
    lenient: bool,
    check: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Bulk-load big RDF dumps into an on-disk store, all or nothing.

    Every file is parsed first; a syntax error prints FILE:LINE and exits 2 with nothing
    loaded, unless --lenient skips bad lines (N-Triples and N-Quads) and lists them. Triples
    go into the store's default graph, which every query sees together with the curated facts
    (N-Quads keep their named graphs: reach them with GRAPH). The store must be on disk:
    --store oxigraph:PATH or KG_STORE=oxigraph:PATH; with another store, use --check.

    \b
    Examples:
      kg --store oxigraph:big.store load wikidata-chips.nt.gz supply-chain.ttl
      KG_STORE=oxigraph:big.store kg ask cq02
      kg load --check --lenient dump.nt        # list the bad lines of a dump
    """
    import contextlib

    from kg.errors import InputError
    from kg.store import open_store
    from kg.store.bulkload import check_inputs, load_files

    spec = app.store
    if not check and not spec.persistent:
        raise InputError(
            f"kg load keeps triples only in an on-disk store, and --store is {spec}: "
            "give --store oxigraph:PATH (or KG_STORE), or --check to only parse the files"
        )
    check_inputs(files, fmt)  # before the store exists: a typo must not create one
    show = not quiet and not as_json and sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(open_store(spec if not check else "memory"))
        bar = None
        if show:
            bar = stack.enter_context(
                click.progressbar(
                    length=1, label="checking" if check else "loading", file=sys.stderr
                )
            )

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        report = load_files(
            store,
            files,
            fmt=fmt,
            lenient=lenient,
            progress=progress if bar else None,
            check_only=check,
        )
    for bad in report.bad_lines[:20]:
        click.echo(f"skipped {bad}", err=True)
    if len(report.bad_lines) > 20:
        click.echo(
            f"… and {len(report.bad_lines) - 20} more skipped lines (--json lists all)", err=True
        )
    if as_json:
        from dataclasses import asdict

        data = asdict(report)
        data.update(parsed=report.parsed, added=report.added, rate=round(report.rate))
        echo_json(data)
    files_word = "file" if len(report.files) == 1 else "files"
    # A single-pass load (into an empty or in-memory store) reads nothing twice, so it does
    # not count statements: what the store gained is the count then.
    parsed = f"{report.parsed if report.parsed is not None else report.added:,}"
    if check:
        click.echo(
            f"checked {parsed} triples in {len(report.files)} {files_word}, "
            f"{len(report.bad_lines)} bad line(s), in {report.seconds:.1f} s",
            err=True,
        )
        return
    click.echo(
        f"loaded {parsed} triples from {len(report.files)} {files_word} into {report.store} "
        f"in {report.seconds:.1f} s ({report.rate:,.0f} triples/s): "
        f"{report.added:,} new, {report.after:,} in the store",
        err=True,
    )


@click.group("store")
def store_group() -> None:
    """Check and repair an on-disk store (--store oxigraph:PATH).

    A load into a store that holds data is all or nothing: it is rolled back when it fails,
    and when kg is killed during it, every command refuses the store until `kg store repair`
    rolls the load back.

    \b
    Examples:
      kg --store oxigraph:big.store store check
      kg --store oxigraph:big.store store repair
    """


@store_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@pass_app
def store_check(app: App, as_json: bool) -> None:
    """Report whether the store is consistent: no unfinished load, every curated triple
    present; with counts. Exits 1 naming each problem and its fix. Changes nothing."""
    from kg.store.repair import check_store

    report = check_store(app.store, app.project)
    _print_check(report, as_json)
    if not report.ok:
        exit_with(1)


@store_group.command("repair")
@click.option(
    "--json", "as_json", is_flag=True, help="Print what was done, and the check, as JSON."
)
@pass_app
def store_repair(app: App, as_json: bool) -> None:
    """Roll back an unfinished load (or complete it when no snapshot is left), put missing
    curated triples back, bring the curated graph up to date, remove leftover work files."""
    from dataclasses import asdict

    from kg.store.repair import repair_store

    report = repair_store(app.store, app.project)
    if as_json:
        echo_json(asdict(report))
    else:
        for action in report.actions or ("nothing to repair",):
            click.echo(f"{report.store}: {action}")
        _print_check(report.check, False)
    if not report.check.ok:
        exit_with(1)


def _print_check(report, as_json: bool) -> None:
    if as_json:
        from dataclasses import asdict

        echo_json(asdict(report))
        return
    for problem in report.problems:
        click.echo(f"{report.store}: problem: {problem}")
    for note in report.notes:
        click.echo(f"{report.store}: note: {note}")

    def count(value) -> str:
        return "?" if value is None else f"{value:,}"

    state = "consistent" if report.ok else f"{len(report.problems)} problem(s)"
    click.echo(
        f"{report.store}: {state}; {count(report.triples)} triples in the default graph, "
        f"{count(report.curated_triples)} curated ({count(report.curated_missing)} missing), "
        f"{count(report.named_graphs)} named graphs, {report.loads} loads"
    )


COMMANDS = [load_command, store_group]
