"""`kg query`, `kg ask`, `kg show`, `kg search`, `kg stats`: reading the graph."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.common import (
    App,
    echo_json,
    emit_result,
    exit_with,
    format_option,
    infer_option,
    json_option,
    no_cache_option,
    pass_app,
    quiet_option,
    strict_option,
)
from kg.cli.remote import connect_timeout_option, credentials, user_option


def _read_query_text(query: str | None, query_file: Path | None) -> tuple[str, str]:
    from kg.errors import InputError

    if query is not None and query_file is not None:
        raise InputError("give the query inline or with -f FILE, not both")
    if query_file is not None and str(query_file) != "-":
        try:
            return query_file.read_text(encoding="utf-8-sig"), str(query_file)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{query_file}: cannot read query: {exc}") from None
    if query is not None and query != "-":
        return query, "query"
    stdin = sys.stdin
    if query is None and query_file is None and stdin.isatty():
        raise InputError("give a query: kg query 'SELECT …', kg query -f FILE, or pipe one in")
    return stdin.read(), "<stdin>"


@click.command()
@click.argument("query", required=False)
@click.option(
    "-f",
    "--file",
    "query_file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Read the query from FILE ('-' for stdin).",
)
@format_option
@json_option
@infer_option
@no_cache_option
@strict_option
@quiet_option
@click.option(
    "--endpoint",
    metavar="URL",
    help="Ask this SPARQL endpoint instead of the local graph (its whole answer must parse).",
)
@click.option(
    "--timeout",
    "endpoint_timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="With --endpoint: seconds for the whole answer, received and parsed.",
)
@connect_timeout_option
@user_option
@pass_app
def query(
    app: App,
    query: str | None,
    query_file: Path | None,
    fmt: str | None,
    as_json: bool,
    infer: bool,
    no_cache: bool,
    strict: bool,
    quiet: bool,
    endpoint: str | None,
    endpoint_timeout: float,
    connect_timeout: float,
    remote_user: str | None,
) -> None:
    """Run a SPARQL query over the graph (read-only).

    QUERY is inline, or comes from -f FILE or stdin. The project prefixes are pre-declared:
    kg: aichip: org: prov: skos: rdf: rdfs: owl: xsd: dcterms: schema:. Output is an aligned
    table unless --format says otherwise, whether or not stdout is a terminal. A syntax error
    prints line:column and exits 2; UPDATE, SERVICE and FROM are refused. A kg: or aichip:
    term the graph does not hold is a warning on stderr, with a did-you-mean (--strict: an
    error; --json: a "warnings" list).

    \b
    Examples:
      kg query 'SELECT ?m WHERE { ?m org:memberOf kg:pytorch-foundation }'
      kg query --infer 'SELECT ?c WHERE { ?c a aichip:Chip }'
      kg query -f my.rq --format csv > answer.csv
      echo 'DESCRIBE kg:huawei' | kg query --format ttl
      kg query --endpoint http://localhost:7878/query 'SELECT * { ?s ?p ?o } LIMIT 5'
    """
    text, source = _read_query_text(query, query_file)
    if endpoint:  # a remote store (kg push puts the graph there); see kg.remote.client
        from kg.errors import InputError
        from kg.remote.client import query_endpoint

        if infer:
            raise InputError("--infer reasons over the local graph; it cannot go with --endpoint")
        user, password = credentials(remote_user)
        answer = query_endpoint(
            endpoint,
            text,
            source=source,
            timeout=endpoint_timeout,
            connect_timeout=connect_timeout,
            user=user,
            password=password,
        )
        emit_result(answer.result, fmt, as_json)
        return
    if remote_user:
        from kg.errors import InputError

        raise InputError("--user goes with --endpoint (the local graph needs no credentials)")
    store = app.graph(infer=infer, use_cache=not no_cache, quiet=quiet)
    emit_result(store.query(text, source=source, strict=strict), fmt, as_json)


@click.command()
@click.argument("name", required=False)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a parameter (repeat for several; twice for several values).",
)
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    envvar="KG_QUERIES",
    help="Directory of named queries (default: the package's kg/queries/).",
)
@click.option(
    "--show-query", is_flag=True, help="Print the SPARQL (parameters bound); run nothing."
)
@format_option
@json_option
@infer_option
@no_cache_option
@strict_option
@quiet_option
@pass_app
def ask(
    app: App,
    name: str | None,
    params: tuple[str, ...],
    queries_dir: Path | None,
    show_query: bool,
    fmt: str | None,
    as_json: bool,
    infer: bool,
    no_cache: bool,
    strict: bool,
    quiet: bool,
) -> None:
    """List the competency questions, or run one by NAME.

    NAME is a query id (cq01-foundation-members), its number (cq01) or its name without the
    number (foundation-members). --param values are SPARQL terms or plain ids and names:
    `--param foundation=linux-foundation`, `--param vendor=华为`, `--param year=2023`.

    \b
    Examples:
      kg ask
      kg ask cq01-foundation-members
      kg ask cq01 --param foundation=kg:linux-foundation --format csv
    """
    from kg.explore.ask import (
        bind,
        catalog_json,
        find_query,
        list_queries,
        parse_param_options,
        render_catalog,
    )

    if name is None:
        if params:
            from kg.errors import InputError

            raise InputError("--param needs a question NAME; `kg ask` lists them")
        queries = list_queries(queries_dir)
        if not queries and not as_json:
            from kg.explore.ask import default_queries_dir

            click.echo(f"no competency questions (*.rq) in {queries_dir or default_queries_dir()}")
            return
        if as_json:
            echo_json(catalog_json(queries))
            return
        click.echo(render_catalog(queries), nl=False)
        click.echo(f"{len(queries)} questions; run one with `kg ask NAME`", err=True)
        return
    named = find_query(name, queries_dir)
    pairs = parse_param_options(params)
    wanted = pairs or not show_query
    store = app.graph(infer=infer, use_cache=not no_cache, quiet=quiet) if wanted else None
    text = bind(named, pairs, store if pairs else None)
    if show_query:
        click.echo(text, nl=not text.endswith("\n"))
        return
    source = app.project.display(named.path)
    emit_result(store.query(text, source=source, strict=strict), fmt, as_json)


@click.command()
@click.argument("term")
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Say which claims held on DATE (YYYY-MM-DD); undated ones are marked, not hidden.",
)
@no_cache_option
@pass_app
def show(app: App, term: str, as_json: bool, as_of: str | None, no_cache: bool) -> None:
    """Describe an entity: labels, types, relationships, figures, and each claim's source.

    TERM is a kg: id (huawei, kg:huawei), any IRI or CURIE, or any of the entity's names in
    English or Chinese. An unknown TERM lists the closest entities.

    \b
    Examples:
      kg show huawei
      kg show 華為
      kg show kg:market-china-ai-accelerator-cards --json
      kg show huawei --as-of 2023-01-01
    """
    from kg.explore.search import resolve
    from kg.explore.show import describe, description_json, render_description
    from kg.facts.time import parse_day

    day = parse_day(as_of) if as_of is not None else None
    store = app.graph(use_cache=not no_cache)
    description = describe(store, resolve(store, term, kind="entity"), as_of=day)
    if as_json:
        echo_json(description_json(description))
        return
    click.echo(render_description(description), nl=False)


@click.command()
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--limit", type=click.IntRange(min=0), default=20, show_default=True, help="Matches (0 = all)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@no_cache_option
@pass_app
def search(app: App, text: tuple[str, ...], limit: int, as_json: bool, no_cache: bool):
    """Find entities by any label or alternative name.

    Case-insensitive; simplified and traditional Chinese match alike (OpenCC), and spaces and
    punctuation are ignored. Exact names rank first, then names starting with TEXT, then names
    containing it. Exits 1 with "did you mean" suggestions when nothing matches.

    \b
    Examples:
      kg search 華為
      kg search ascend
      kg search PyTorch Foundation --json
    """
    from kg.explore.search import search as find

    result = find(app.graph(use_cache=not no_cache), " ".join(text), limit=limit)
    if as_json:
        from dataclasses import asdict

        echo_json(
            {
                "query": result.query,
                "matches": [asdict(m) for m in result.matches],
                "suggestions": [asdict(m) for m in result.suggestions],
            }
        )
    elif result.matches:
        from kg.tables import format_table

        rows = [(m.curie, m.label, ", ".join(m.types), m.matched) for m in result.matches]
        click.echo(format_table(("id", "label", "type", "matched"), rows), nl=False)
    if not result.matches:
        message = f"no entity is called {result.query!r}"
        if result.suggestions:
            names = ", ".join(f"{m.curie} ({m.label})" for m in result.suggestions)
            message += f"; did you mean {names}?"
        click.echo(message, err=True)
        exit_with(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@no_cache_option
@pass_app
def stats(app: App, as_json: bool, no_cache: bool) -> None:
    """Count triples, entities per class, claims, sources, and how many relations are sourced;
    then the knowledge targets (curated chips, spec coverage, company facts, Chinese vendors,
    likely duplicates, ranks, upstream sources, dates), each one SPARQL count.

    \b
    Examples:
      kg stats
      kg stats --json | jq .relation_source_share
      kg stats --json | jq .targets
    """
    from kg.explore.stats import (
        graph_stats,
        knowledge_targets,
        render_stats,
        render_targets,
        stats_json,
        targets_json,
    )

    store = app.graph(use_cache=not no_cache)
    counts = graph_stats(store)
    targets = knowledge_targets(store, app.project)
    if as_json:
        echo_json({**stats_json(counts), "targets": targets_json(targets)})
        return
    click.echo(render_stats(counts), nl=False)
    click.echo("\n" + render_targets(targets), nl=False)


COMMANDS = [query, ask, show, search, stats]
