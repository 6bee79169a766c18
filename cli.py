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
@click.option(  # scale: see the "Scale" section below and kg/store.py
    "--store",
    "store_spec",
    envvar="KG_STORE",
    metavar="memory|oxigraph[:PATH]",
    callback=lambda ctx, param, value: _check_store_spec(value),
    help="Where the graph lives: rdflib in memory (default), pyoxigraph in memory, or "
    "pyoxigraph on disk at PATH, kept between calls (kg load fills it). Env: KG_STORE; "
    'project default: store = "…" in ROOT/kg.toml.',
)
@click.version_option(package_name="aichip-kg")
@click.pass_context
def cli(
    ctx: click.Context, root: Path | None, facts_dir: Path | None, store_spec: str | None
) -> None:
    """aichip-kg: a sourced knowledge graph of the AI-chip ecosystem.

    \b
    Start with:
      kg build                 validate and write every export to exports/
      kg validate              list problems in facts/, one per line
      kg ask                   list the competency questions; kg ask NAME runs one
      kg search 華為           find entities by any name, in any script
    """
    from kg.config import read_config

    base = default_project()
    project = Project.at(root or base.root, facts_dir or (None if root else base.facts_dir))
    if store_spec is None:  # --store and $KG_STORE win over the project's kg.toml
        store_spec = read_config(project.root).store
    ctx.obj = {"project": project, "store": store_spec}


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

# Mirrors kg.query.FORMATS (tested): importing kg.query here would load rdflib for `kg --help`.
QUERY_FORMATS = ("table", "csv", "tsv", "json", "ttl", "nt", "jsonld")

_infer_option = click.option(
    "--infer",
    is_flag=True,
    help="Answer over the OWL 2 RL closure (owlrl; subclasses, domains, ranges, symmetric "
    "properties): aichip:Chip also finds GPUs and NPUs. Cached after the first run.",
)
_no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Rebuild the graph from the Turtle files instead of reading (or writing) .kg-cache/.",
)
_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default=None,
    help="table (default), csv, tsv or json (SPARQL 1.1 results) for SELECT/ASK; "
    "ttl, nt or jsonld for CONSTRUCT/DESCRIBE.",
)
_json_option = click.option(
    "--json", "as_json", is_flag=True, help="JSON output (SPARQL results JSON, or JSON-LD)."
)


def _query_graph(ctx: click.Context, infer: bool = False, no_cache: bool = False):
    if not infer and _store_is_oxigraph(ctx):  # scale: --store oxigraph[:PATH], kg/store.py
        return _open_store(ctx, no_cache=no_cache).as_rdflib()
    from kg.cache import cached_graph

    return cached_graph(_project(ctx), infer=infer, use_cache=not no_cache)


def _emit_result(result, fmt: str | None, as_json: bool) -> None:
    from kg.query import format_result

    if fmt is None:
        fmt = ("jsonld" if result.graph is not None else "json") if as_json else "table"
    click.echo(format_result(result, fmt), nl=False)
    if fmt == "table" and result.kind != "ASK":
        noun = "triple" if result.graph is not None else "row"
        click.echo(f"{len(result)} {noun}{'' if len(result) == 1 else 's'}", err=True)


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
    stdin = click.get_text_stream("stdin")
    if query is None and query_file is None and stdin.isatty():
        raise InputError("give a query: kg query 'SELECT …', kg query -f FILE, or pipe one in")
    return stdin.read(), "<stdin>"


@cli.command()
@click.argument("query", required=False)
@click.option(
    "-f",
    "--file",
    "query_file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Read the query from FILE ('-' for stdin).",
)
@_format_option
@_json_option
@_infer_option
@_no_cache_option
@click.option(
    "--endpoint",
    metavar="URL",
    help="Ask this SPARQL endpoint instead of the local graph (its whole answer must parse).",
)
@click.pass_context
def query(
    ctx: click.Context,
    query: str | None,
    query_file: Path | None,
    fmt: str | None,
    as_json: bool,
    infer: bool,
    no_cache: bool,
    endpoint: str | None,
) -> None:
    """Run a SPARQL query over the graph (read-only).

    QUERY is inline, or comes from -f FILE or stdin. The project prefixes are pre-declared:
    kg: aichip: org: prov: skos: rdf: rdfs: owl: xsd: dcterms: schema:. Output is an aligned
    table unless --format says otherwise, whether or not stdout is a terminal. A syntax error
    prints line:column and exits 2; UPDATE, SERVICE and FROM are refused.

    \b
    Examples:
      kg query 'SELECT ?m WHERE { ?m org:memberOf kg:pytorch-foundation }'
      kg query --infer 'SELECT ?c WHERE { ?c a aichip:Chip }'
      kg query -f my.rq --format csv > answer.csv
      echo 'DESCRIBE kg:huawei' | kg query --format ttl
      kg query --endpoint http://localhost:7878/query 'SELECT * { ?s ?p ?o } LIMIT 5'
    """
    from kg.query import parse_query, run_query

    text, source = _read_query_text(query, query_file)
    if endpoint:  # a remote store (kg push puts the graph there); see kg.remote
        from kg.errors import InputError
        from kg.remote import query_endpoint

        if infer:
            raise InputError("--infer reasons over the local graph; it cannot go with --endpoint")
        _emit_result(query_endpoint(endpoint, text, source=source).result, fmt, as_json)
        return
    parsed = parse_query(text, source=source)
    result = run_query(_query_graph(ctx, infer, no_cache), parsed)
    _emit_result(result, fmt, as_json)


@cli.command()
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
@_format_option
@_json_option
@_infer_option
@_no_cache_option
@click.pass_context
def ask(
    ctx: click.Context,
    name: str | None,
    params: tuple[str, ...],
    queries_dir: Path | None,
    show_query: bool,
    fmt: str | None,
    as_json: bool,
    infer: bool,
    no_cache: bool,
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
    from kg.catalog import bind, find_query, list_queries, parse_param_options

    if name is None:
        if params:
            from kg.errors import InputError

            raise InputError("--param needs a question NAME; `kg ask` lists them")
        queries = list_queries(queries_dir)
        if not queries and not as_json:
            from kg.catalog import default_queries_dir

            click.echo(f"no competency questions (*.rq) in {queries_dir or default_queries_dir()}")
            return
        if as_json:
            import json

            data = [
                {
                    "id": q.id,
                    "title": q.title,
                    "description": q.description,
                    "params": {p.name: p.default for p in q.params},
                    "path": str(q.path),
                }
                for q in queries
            ]
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        from kg.query import display_width

        width = max(display_width(q.id) for q in queries)
        for q in queries:
            click.echo(f"{q.id}{' ' * (width - display_width(q.id))}  {q.title}")
            if q.description and q.description != q.title:
                click.echo(f"{' ' * (width + 2)}{q.description}")
            for p in q.params:
                click.echo(f"{' ' * (width + 2)}--param {p.name}={p.default}")
        click.echo(f"{len(queries)} questions; run one with `kg ask NAME`", err=True)
        return
    from kg.query import parse_query, run_query

    named = find_query(name, queries_dir)
    pairs = parse_param_options(params)
    graph = _query_graph(ctx, infer, no_cache) if (pairs or not show_query) else None
    text = bind(named, pairs, graph)
    parsed = parse_query(text, source=_project(ctx).display(named.path))
    if show_query:
        click.echo(text, nl=not text.endswith("\n"))
        return
    _emit_result(run_query(graph, parsed), fmt, as_json)


@cli.command()
@click.argument("term")
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@_no_cache_option
@click.pass_context
def show(ctx: click.Context, term: str, as_json: bool, no_cache: bool) -> None:
    """Describe an entity: labels, types, relationships, figures, and each claim's source.

    TERM is a kg: id (huawei, kg:huawei), any IRI or CURIE, or any of the entity's names in
    English or Chinese. An unknown TERM lists the closest entities.

    \b
    Examples:
      kg show huawei
      kg show 華為
      kg show kg:market-china-ai-accelerator-cards --json
    """
    from kg.describe import describe, description_json, render_description
    from kg.search import resolve

    graph = _query_graph(ctx, False, no_cache)
    description = describe(graph, resolve(graph, term, kind="entity"))
    if as_json:
        import json

        data = description_json(description)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(render_description(description), nl=False)


@cli.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@_no_cache_option
@click.pass_context
def search(ctx: click.Context, text: tuple[str, ...], limit: int, as_json: bool, no_cache: bool):
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
    from kg.search import search as find

    graph = _query_graph(ctx, False, no_cache)
    result = find(graph, " ".join(text), limit=limit)
    if as_json:
        import json
        from dataclasses import asdict

        data = {
            "query": result.query,
            "matches": [asdict(m) for m in result.matches],
            "suggestions": [asdict(m) for m in result.suggestions],
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif result.matches:
        from kg.query import format_table

        rows = [(m.curie, m.label, ", ".join(m.types), m.matched) for m in result.matches]
        click.echo(format_table(("id", "label", "type", "matched"), rows), nl=False)
    if not result.matches:
        message = f"no entity is called {result.query!r}"
        if result.suggestions:
            names = ", ".join(f"{m.curie} ({m.label})" for m in result.suggestions)
            message += f"; did you mean {names}?"
        click.echo(message, err=True)
        ctx.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@_no_cache_option
@click.pass_context
def stats(ctx: click.Context, as_json: bool, no_cache: bool) -> None:
    """Count triples, entities per class, claims, sources, and how many relations are sourced.

    \b
    Examples:
      kg stats
      kg stats --json | jq .relation_source_share
    """
    from kg.stats import graph_stats, render_stats, stats_json

    counts = graph_stats(_query_graph(ctx, False, no_cache))
    if as_json:
        import json

        click.echo(json.dumps(stats_json(counts), indent=2, ensure_ascii=False))
        return
    click.echo(render_stats(counts), nl=False)


# =============================================================================
# Exports and viewer: export, viz                       (issue: exports and viewer)
# =============================================================================

# The names of kg.export.FORMATS, spelled out so `kg --help` need not import rdflib;
# tests/test_export.py keeps the two in step.
EXPORT_FORMATS = (
    "turtle",
    "ntriples",
    "jsonld",
    "rdfxml",
    "graphml",
    "gexf",
    "nodes-csv",
    "edges-csv",
    "cyjs",
)


@cli.command("export")
@click.option(
    "--format",
    "-f",
    "format_name",
    type=click.Choice(EXPORT_FORMATS),
    help="Export format (see --list).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
@click.option("--list", "list_formats", is_flag=True, help="List the formats and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print the list as JSON.")
@click.pass_context
def export(
    ctx: click.Context,
    format_name: str | None,
    output: Path | None,
    list_formats: bool,
    as_json: bool,
) -> None:
    """Write the graph in one format (kg build writes them all to exports/).

    RDF formats (turtle, ntriples, jsonld, rdfxml) carry every triple: ontology, facts with
    their statement nodes, and the derived truthy triples. Graph formats (graphml, gexf,
    nodes-csv, edges-csv, cyjs) carry the entity graph: entities with class and en/zh labels,
    relationships labelled by predicate with the statements and sources behind them.
    Output is deterministic. A character a format cannot carry (e.g. a control character in
    XML) is an error naming the term, and nothing is written. Facts are not validated here;
    `kg build` validates first.

    \b
    Examples:
      kg export --format turtle | head
      kg export -f jsonld -o /tmp/aichip-kg.jsonld
      kg export -f gexf -o aichip.gexf          # open in Gephi
      kg export -f edges-csv > edges.csv        # spreadsheet
      kg export --list --json
    """
    from kg.export import FORMATS

    if list_formats:
        rows = [
            {
                "name": f.name,
                "file": f.filename,
                "media_type": f.media_type,
                "description": f.description,
            }
            for f in FORMATS.values()
        ]
        if as_json:
            import json

            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            for row in rows:
                click.echo(f"{row['name']:<10} {row['file']:<18} {row['description']}")
        return
    if format_name is None:
        raise click.UsageError("give --format FORMAT (or --list)")

    from kg.export import render
    from kg.load import load

    if _store_is_oxigraph(ctx):  # scale: pyoxigraph writes RDF from the store (kg/store.py)
        with _open_store(ctx) as store:
            rdf = format_name in ("turtle", "ntriples")
            data = store.serialize(format_name) if rdf else render(format_name, store.as_rdflib())
    else:
        data = render(format_name, load(_project(ctx)))
    if output is None:
        stream = click.get_binary_stream("stdout")
        stream.write(data)
        stream.flush()
        return
    from kg.write import write_bytes_atomic

    write_bytes_atomic(output, data)
    click.echo(f"wrote {output} ({len(data)} bytes, {FORMATS[format_name].media_type})", err=True)


@cli.command("viz")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=Path("graph.html"),
    show_default=True,
    help="HTML file to write (atomically; nothing else is written).",
)
@click.option("--focus", metavar="TERM", help="Show only the neighbourhood of this entity.")
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="With --focus: how many links away from the entity to go.",
)
@click.option(
    "--classes",
    "class_names",
    metavar="CLASS[,CLASS…]",
    multiple=True,
    help="Show only entities of these classes (and their subclasses); repeat or comma-separate.",
)
@click.option("--title", help="Page title (default: the project's).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
def viz(
    ctx: click.Context,
    output: Path,
    focus: str | None,
    depth: int,
    class_names: tuple[str, ...],
    title: str | None,
    as_json: bool,
) -> None:
    """Write the interactive graph viewer: one self-contained HTML file that works offline.

    Nodes are coloured and shaped by class (legend with class filters), edges labelled by
    predicate; hover or click for names in English and Chinese, key figures and sources; the
    search box finds any name in any script. Above 300 entities the layout is computed here
    and physics is off, so large graphs open at once. TERM is a kg: id, slug or any name
    (华为, 華為, Huawei); CLASS a class name or label (Company, GPU, 公司).

    \b
    Examples:
      kg viz                                  # ./graph.html with the whole graph
      kg viz -o huawei.html --focus 华为 --depth 2
      kg viz --classes Company,Foundation --json
    """
    from kg.load import load
    from kg.viz import DEFAULT_TITLE, render_viewer
    from kg.write import write_text_atomic

    classes = [name.strip() for value in class_names for name in value.split(",")]
    viewer = render_viewer(
        load(_project(ctx)).graph,
        focus=focus,
        depth=depth,
        classes=[name for name in classes if name],
        title=title or DEFAULT_TITLE,
    )
    write_text_atomic(output, viewer.html)
    summary = {
        "output": str(output),
        "bytes": len(viewer.html.encode("utf-8")),
        "nodes": viewer.nodes,
        "edges": viewer.edges,
        "layout": "browser physics" if viewer.physics else "precomputed (networkx), physics off",
        "focus": viewer.focus,
        "classes": list(viewer.classes),
    }
    if as_json:
        import json

        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        click.echo(
            f"wrote {output} ({viewer.nodes} entities, {viewer.edges} links, {summary['layout']})",
            err=True,
        )


# =============================================================================
# Analytics: analyze …                                  (issue: analytics)
# =============================================================================

_analytics_json = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
_analytics_lang = click.option(
    "--lang",
    type=click.Choice(("en", "zh-Hans", "zh-Hant")),
    default="en",
    show_default=True,
    help="Language of the labels shown (falls back to English).",
)


def _analytics_graph(ctx: click.Context, no_cache: bool):
    """(rdflib graph, analytics networkx graph) of the project."""
    from kg.analytics import project

    graph = _query_graph(ctx, False, no_cache)
    return graph, project(graph)


def _echo_json(result) -> None:
    import json

    from kg.analytics import to_jsonable

    click.echo(json.dumps(to_jsonable(result), indent=2, ensure_ascii=False))


@cli.group()
def analyze() -> None:
    """Network analytics with networkx: structure, concentration, "what if X leaves".

    Entities and their sourced relationships form a networkx graph; market-share figures
    become vendor → market edges carrying value, period, rank and source. Entity arguments
    accept a kg: id (kg:nvidia), a slug (nvidia) or any label (NVIDIA, 英伟达, 輝達).

    \b
    Examples:
      kg analyze concentration market-china-ai-accelerator-cards --year 2022
      kg analyze whatif --remove nvidia
      kg analyze path huawei meta
      kg analyze centrality --class company --top 10
    """


@analyze.command("centrality")
@click.option(
    "--by",
    "sort",
    type=click.Choice(("pagerank", "degree", "betweenness")),
    default="pagerank",
    show_default=True,
    help="What to rank by (ties: by id).",
)
@click.option(
    "--class",
    "classes",
    multiple=True,
    metavar="CLASS",
    help="Only list instances of CLASS (CURIE, name or label; subclasses count). Repeatable.",
)
@click.option(
    "--top", type=click.IntRange(min=0), default=20, show_default=True, help="Rows (0 = all)."
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    metavar="K",
    help="Estimate betweenness from K seeded random pivots (for large graphs).",
)
@_analytics_lang
@_analytics_json
@_no_cache_option
@click.pass_context
def analyze_centrality(ctx, sort, classes, top, sample, lang, as_json, no_cache) -> None:
    """Rank entities by degree, PageRank and betweenness centrality.

    Scores are computed on the whole graph with direction ignored (one link per related
    pair), then filtered by --class, so filtering never changes a score.

    \b
    Examples:
      kg analyze centrality
      kg analyze centrality --by betweenness --class company --top 10
      kg analyze centrality --class aichip:SoftwareFramework --json
    """
    from kg.analytics import centrality, resolve_class
    from kg.analytics.render import render_centrality

    graph, G = _analytics_graph(ctx, no_cache)
    wanted = [resolve_class(graph, text) for text in classes]
    result = centrality(G, sort=sort, classes=wanted, top=top or None, sample=sample, lang=lang)
    if as_json:
        _echo_json(result)
        return
    click.echo(render_centrality(result), nl=False)
    click.echo(
        f"{len(result.rows)} rows; {result.nodes} entities, {result.edges} links; by {sort}"
        + (f"; betweenness from {result.sampled} pivots" if result.sampled else ""),
        err=True,
    )


@analyze.command("communities")
@click.option(
    "--resolution",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Louvain resolution: above 1 gives more, smaller communities.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Louvain random seed.")
@click.option(
    "--members",
    type=click.IntRange(min=0),
    default=12,
    show_default=True,
    help="Members listed per community in the table (0 = all; JSON lists all).",
)
@_analytics_lang
@_analytics_json
@_no_cache_option
@click.pass_context
def analyze_communities(ctx, resolution, seed, members, lang, as_json, no_cache) -> None:
    """Louvain communities of the ecosystem, with their modularity.

    Deterministic: the same facts and seed give the same communities. Entities with no
    relationship at all are counted, not listed.

    \b
    Examples:
      kg analyze communities
      kg analyze communities --resolution 1.5 --members 0
      kg analyze communities --json
    """
    from kg.analytics import communities
    from kg.analytics.render import render_communities

    _graph, G = _analytics_graph(ctx, no_cache)
    result = communities(G, resolution=resolution, seed=seed, lang=lang)
    if as_json:
        _echo_json(result)
        return
    click.echo(render_communities(result, members=members or None), nl=False)


@analyze.command("path")
@click.argument("a")
@click.argument("b")
@_analytics_lang
@_analytics_json
@_no_cache_option
@click.pass_context
def analyze_path(ctx, a, b, lang, as_json, no_cache) -> None:
    """The shortest chain of relationships linking A and B, with the sources of each link.

    The search ignores direction; each arrow shows the relationship's own direction. Exits 1
    when A and B are not connected.

    \b
    Examples:
      kg analyze path huawei meta
      kg analyze path 华为 英伟达 --lang zh-Hans
      kg analyze path kg:ascend kg:pytorch --json
    """
    from kg.analytics import resolve_node, shortest_path
    from kg.analytics.render import render_path

    graph, G = _analytics_graph(ctx, no_cache)
    start = resolve_node(graph, G, a)
    end = resolve_node(graph, G, b)
    result = shortest_path(G, start, end, lang=lang)
    if result is None:
        click.echo(f"no path between {start} and {end}: they are not connected", err=True)
        ctx.exit(1)
    if as_json:
        _echo_json(result)
        return
    click.echo(render_path(result), nl=False)


@analyze.command("concentration")
@click.argument("market")
@click.option(
    "--year", "period", metavar="Y", help="Year or period label (2022, 2023-H1) of the shares."
)
@_analytics_lang
@_analytics_json
@_no_cache_option
@click.pass_context
def analyze_concentration(ctx, market, period, lang, as_json, no_cache) -> None:
    """Vendor shares of MARKET with CR1, CR4 and the Herfindahl–Hirschman index.

    HHI is the sum of squared percentage shares (0–10,000), on the shares as published; if
    they do not add up to 100 % the output says so. Each share names its source. Refuses
    (exit 1) when two equally ranked figures for one vendor disagree, and (exit 2) when the
    market has no share figures or several periods and no --year.

    \b
    Examples:
      kg analyze concentration market-china-ai-accelerator-cards --year 2022
      kg analyze concentration 中国AI加速卡市场 --json
    """
    from kg.analytics import concentration, resolve_node
    from kg.analytics.render import render_concentration

    graph, G = _analytics_graph(ctx, no_cache)
    node = resolve_node(graph, G, market, kind="market", cls="aichip:Market")
    result = concentration(G, node, period, lang=lang)
    if as_json:
        _echo_json(result)
        return
    click.echo(render_concentration(result), nl=False)


@analyze.command("whatif")
@click.option("--remove", "vendor", required=True, metavar="VENDOR", help="The vendor that leaves.")
@click.option(
    "--market", metavar="M", help="Only this market (default: every market it has a share in)."
)
@click.option("--year", "period", metavar="Y", help="Only this year or period.")
@_analytics_lang
@_analytics_json
@_no_cache_option
@click.pass_context
def analyze_whatif(ctx, vendor, market, period, lang, as_json, no_cache) -> None:
    """The market and the ecosystem without VENDOR: who fills the gap, what breaks.

    Removes the vendor, its subsidiaries and the products only they make (chips, families,
    software such as CUDA). Market: the other vendors' shares renormalised to 100 %, the new
    HHI and leader, and each candidate's hardware with the software that supports it.
    Ecosystem: frameworks and platforms left without supported hardware, and what is cut off.

    \b
    Examples:
      kg analyze whatif --remove nvidia
      kg analyze whatif --remove 英伟达 --market market-china-ai-accelerator-cards --year 2022
      kg analyze whatif --remove nvidia --json
    """
    from kg.analytics import node_label, resolve_node, whatif
    from kg.analytics.render import render_whatif

    graph, G = _analytics_graph(ctx, no_cache)
    node = resolve_node(graph, G, vendor, kind="vendor", cls="aichip:Organization")
    market_node = (
        resolve_node(graph, G, market, kind="market", cls="aichip:Market") if market else None
    )
    result = whatif(G, node, market=market_node, period=period, lang=lang)
    if as_json:
        _echo_json(result)
        return
    labels = {n: node_label(G, n, lang) for n in G}
    click.echo(render_whatif(result, labels), nl=False)


@analyze.command("support")
@click.option("--list", "as_list", is_flag=True, help="One row per supported pair, not a grid.")
@_analytics_lang
@_analytics_json
@_no_cache_option
@click.pass_context
def analyze_support(ctx, as_list, lang, as_json, no_cache) -> None:
    """The framework/platform × hardware support matrix, with the software layers between.

    Read from aichip:supports, aichip:compatibleWith and aichip:dependsOn; chips are grouped
    under their family and each column names its maker.

    \b
    Examples:
      kg analyze support
      kg analyze support --list
      kg analyze support --json
    """
    from kg.analytics import support_matrix
    from kg.analytics.render import render_support

    _graph, G = _analytics_graph(ctx, no_cache)
    result = support_matrix(G, lang=lang)
    if as_json:
        _echo_json(result)
        return
    if not result.cells:
        click.echo("no support relations in the graph", err=True)
        return
    click.echo(render_support(result, as_list=as_list), nl=False)


# =============================================================================
# Endpoint and remote stores: serve, push               (issue: SPARQL endpoint)
# =============================================================================

# Mirrors kg.remote.KG_GRAPH_IRI (tested); importing kg.remote here would slow `kg --help`.
KG_GRAPH_IRI = "https://w3id.org/aichip-kg/graph"


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback exposes the endpoint to the network.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    help="Port to listen on; 0 picks a free one (the URL is printed on stdout).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a query may take; then its worker is killed and the answer is 503.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Results per answer; a longer answer is cut and says so (KG-Truncated header).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Query worker processes (queries answered at once).",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(min=0),
    default=1024,
    show_default=True,
    help="Memory a worker may add while answering one query (0: no cap).",
)
@click.option(
    "--io-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a client has to send a whole request; slower or idle connections are closed.",
)
@click.option("--cors", is_flag=True, help="Send Access-Control-Allow-Origin: * (off by default).")
@click.option(
    "--named-graphs",
    "named_graphs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also serve the named graphs of this TriG/N-Quads file (reached with GRAPH).",
)
@click.option("--quiet", is_flag=True, help="Do not log one line per request on stderr.")
@click.option("--no-cache", "serve_no_cache", is_flag=True, help="Rebuild the graph, no cache.")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    workers: int,
    memory_mb: int,
    io_timeout: float,
    cors: bool,
    named_graphs: Path | None,
    quiet: bool,
    serve_no_cache: bool,
) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint, with a query page.

    The endpoint is URL/sparql (GET, form POST or direct POST; answers in SPARQL JSON, XML,
    CSV or TSV, or Turtle, N-Triples, JSON-LD by Accept or ?format=). The query page at URL/
    runs the competency questions and works offline. Updates are refused (403); SERVICE and
    FROM are refused (400) and nothing is ever fetched; a query past --timeout is stopped
    (503). Prints the URL on stdout, logs requests on stderr; Ctrl-C stops it.

    By default rdflib answers. With `kg --store oxigraph:PATH serve` pyoxigraph does, from a
    checkpoint of that store taken at start-up (curated facts, what `kg load` added, its named
    graphs; instant at any size, removed on exit): far faster on big graphs, and the store
    stays free for `kg load` and other commands meanwhile.

    \b
    Examples:
      kg serve                              # http://127.0.0.1:7878/
      kg --store oxigraph:big.db serve      # the store `kg load` filled, on pyoxigraph
      kg serve --port 8000 --timeout 30 --max-rows 50000
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 5' \\
           http://127.0.0.1:7878/sparql
    """
    import signal

    from kg.cache import cached_graph
    from kg.serve import ServeConfig, make_server
    from kg.serve_exec import read_named_graphs, served_data
    from kg.storespec import parse_spec

    spec = parse_spec(_store_spec(ctx))
    snapshot = None
    engine = "rdflib, the curated graph"
    if spec.kind == "oxigraph" and spec.path is not None:  # scale: the workers read a checkpoint
        engine = f"pyoxigraph, {spec} as of now (later loads need a restart)"
        from kg.serve_oxigraph import snapshot_store

        served = snapshot_store(
            spec, _project(ctx), named_path=named_graphs, use_cache=not serve_no_cache
        )
        snapshot = served.snapshot
    else:
        graph = cached_graph(_project(ctx), use_cache=not serve_no_cache)
        named = read_named_graphs(named_graphs) if named_graphs else None
        if spec.kind == "oxigraph":
            from kg.serve_oxigraph import served_in_memory

            served = served_in_memory(graph, named=named)
            engine = "pyoxigraph in memory, the curated graph"
        else:
            served = served_data(graph, named=named)
        del graph, named
    config = ServeConfig(
        host=host,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        workers=workers,
        memory_mb=memory_mb,
        io_timeout=io_timeout,
        cors=cors,
        log=None if quiet else (lambda line: click.echo(line, err=True)),
    )
    try:
        server = make_server(served, config)
    except BaseException:
        _remove_snapshot(snapshot)
        raise
    del served  # the workers hold the graphs; this process only speaks HTTP

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo(server.url)
    click.echo(
        f"serving {server.url} (SPARQL endpoint {server.url}sparql; {engine}); Ctrl-C stops",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()
        _remove_snapshot(snapshot)


def _remove_snapshot(snapshot: Path | None) -> None:
    """Delete the store checkpoint a server read from (its hard links only: the store stays)."""
    if snapshot is not None:
        import shutil

        shutil.rmtree(snapshot, ignore_errors=True)


@cli.command()
@click.option(
    "--endpoint",
    "update_url",
    required=True,
    metavar="URL",
    help="The store's SPARQL Update endpoint, e.g. http://127.0.0.1:7878/update (Oxigraph) "
    "or http://localhost:3030/ds/update (Fuseki).",
)
@click.option(
    "--graph",
    "graph_iri",
    default=KG_GRAPH_IRI,
    show_default=True,
    metavar="IRI",
    help="The named graph to replace with the project graph.",
)
@click.option(
    "--query-endpoint",
    "query_url",
    metavar="URL",
    help="The store's SPARQL query endpoint, to check what landed "
    "(default: the update URL with /update replaced by /query, when it ends so).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=5000, show_default=True)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="Retries per request on 5xx and network errors (exponential backoff).",
)
@click.option(
    "--timeout", "push_timeout", type=click.FloatRange(min=1), default=120.0, show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-cache", "push_no_cache", is_flag=True, help="Rebuild the graph, no cache.")
@click.pass_context
def push(
    ctx: click.Context,
    update_url: str,
    graph_iri: str,
    query_url: str | None,
    batch_size: int,
    retries: int,
    push_timeout: float,
    as_json: bool,
    push_no_cache: bool,
) -> None:
    """Load the graph into a SPARQL 1.1 store, replacing one named graph.

    Uses SPARQL Update only (Oxigraph, Fuseki, GraphDB, Virtuoso…): the triples go to a
    staging graph in batches (retried on 5xx and network errors), then one COPY replaces the
    target, so the target is never half-written; pushing twice leaves the same triples. On
    failure the message says what state the target and staging graphs are in. Query the
    result with kg query --endpoint.

    \b
    Examples:
      oxigraph serve --location /tmp/store &      # pip install oxigraph
      kg push --endpoint http://localhost:7878/update
      kg query --endpoint http://localhost:7878/query \\
        'SELECT (COUNT(*) AS ?n) { GRAPH <https://w3id.org/aichip-kg/graph> { ?s ?p ?o } }'
    """
    import json

    from kg.cache import cached_graph
    from kg.remote import push_graph

    if query_url is None and update_url.rstrip("/").endswith("/update"):
        query_url = update_url.rstrip("/")[: -len("update")] + "query"
    graph = cached_graph(_project(ctx), use_cache=not push_no_cache)
    report = push_graph(
        graph,
        update_url,
        graph_iri=graph_iri,
        query_url=query_url,
        batch_size=batch_size,
        retries=retries,
        timeout=push_timeout,
        progress=lambda message: click.echo(message, err=True),
    )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    checked = (
        f"; the store now holds {report.remote_triples}"
        if report.remote_triples is not None
        else " (not checked: no query endpoint)"
    )
    click.echo(
        f"pushed {report.triples} triples to <{report.graph_iri}> at {report.update_url} "
        f"in {report.requests} requests ({report.retries} retries){checked}"
    )


# =============================================================================
# Imports and screening: import …                       (issue: wider ecosystem)
# =============================================================================


@cli.group("import")
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
@click.pass_context
def import_epoch_command(
    ctx: click.Context, file: Path, out: Path | None, dry_run: bool, as_json: bool
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
    import json

    from kg.importers.base import import_problems, load_curated
    from kg.importers.epoch import import_epoch, summary_lines
    from kg.importers.turtle import render_turtle
    from kg.write import write_text_atomic

    project = _project(ctx)
    target = out or project.facts_dir / "imported" / "epoch.ttl"
    curated = load_curated(project, exclude=target)
    result = import_epoch(file, curated.facts, display=file.name)
    report = result.report
    if report.errors:
        for error in report.errors:
            click.echo(error.format(str(file)), err=True)
        click.echo(f"error: {len(report.errors)} problem(s) in {file}; nothing written", err=True)
        ctx.exit(2)
    text = render_turtle(result.graph, result.header)
    problems = import_problems(curated, result.graph, project.display(target), text)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(
            f"error: the import would add {len(problems)} validation problem(s); nothing written",
            err=True,
        )
        ctx.exit(2)
    if as_json:
        payload = dataclasses.asdict(report)
        payload["written"] = None if dry_run else project.display(target)
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for line in summary_lines(report):
            click.echo(line)
    if dry_run:
        click.echo("dry run: nothing written", err=True)
        return
    write_text_atomic(target, text)
    click.echo(f"wrote {project.display(target)} ({len(result.graph)} triples)", err=True)


@analyze.command("export-control")
@click.argument("chip", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_no_cache_option
@click.pass_context
def analyze_export_control(ctx: click.Context, chip: str | None, as_json: bool, no_cache: bool):
    """Screen chips against ECCN 3A090.a as amended by the BIS rule of 2023-10-17.

    TPP = 2 × MacTOPS × bit length, taken as the dense datasheet figure × bits (FP16/BF16 × 16,
    INT8 × 8; the larger wins); performance density = TPP ÷ die area. Controlled if TPP ≥ 4800,
    or TPP ≥ 1600 and density ≥ 5.92. Inputs are the best-ranked statements, shown with their
    sources; conflicting figures are all screened ("indeterminate" if they disagree) and
    missing ones give "insufficient data", never a guess. The result is compared with the
    chips sources name as restricted (NVIDIA's 8-K of 2023-10-17, TrendForce) and every
    disagreement is listed. A technical screening, not a legal classification.

    \b
    Examples:
      kg analyze export-control              # every chip with figures, then disagreements
      kg analyze export-control h20          # one chip: inputs, sources, result
      kg analyze export-control "H100 SXM" --json
    """
    from kg.analytics.export_control import (
        chip_id,
        render_report,
        render_screening,
        screen,
        screen_chip,
    )

    graph = _query_graph(ctx, False, no_cache)
    report = screen(graph)
    if chip is None:
        if as_json:
            _echo_json(report)
            return
        click.echo(render_report(report), nl=False)
        counts: dict[str, int] = {}
        for s in report.screenings:
            counts[s.classification] = counts.get(s.classification, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        click.echo(
            f"{len(report.screenings)} chips: {summary}; "
            f"{len(report.disagreements)} disagreement(s)",
            err=True,
        )
        return
    from kg.search import resolve

    result = screen_chip(graph, chip_id(resolve(graph, chip, kind="chip")), report=report)
    if as_json:
        _echo_json(result)
        return
    click.echo(render_screening(result, report), nl=False)


# =============================================================================
# Scale: load                                           (issue: scale)
# =============================================================================


def _check_store_spec(value: str | None) -> str | None:
    """Reject a bad --store before any command runs, without importing kg.store (rdflib)."""
    from kg.errors import InputError
    from kg.storespec import parse_spec

    if value is not None:
        try:
            parse_spec(value)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="'--store'") from None
    return value


def _store_spec(ctx: click.Context) -> str | None:
    """The --store value (or $KG_STORE), None for the default (rdflib in memory)."""
    return ctx.find_root().obj.get("store")


def _store_is_oxigraph(ctx: click.Context) -> bool:
    spec = _store_spec(ctx)
    return spec is not None and spec.strip().lower().startswith("oxigraph")


def _open_store(ctx: click.Context, *, curated: bool = True, no_cache: bool = False):
    """Open the --store store, with the project's curated graph in it when ``curated``.

    On ``oxigraph:PATH`` the curated graph is reloaded only when the facts changed.
    """
    from kg.store import open_store

    store = open_store(_store_spec(ctx))
    # Closed with the command, so an on-disk store's lock is free for the next one even when
    # several commands run in one process (tests, scripts calling cli.main).
    ctx.call_on_close(store.close)
    if curated:
        store.use_curated(_project(ctx), use_cache=not no_cache)
    return store


@cli.command("load")
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
@click.pass_context
def load_command(
    ctx: click.Context,
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

    from kg.bulkload import load_files
    from kg.errors import InputError
    from kg.store import open_store
    from kg.storespec import parse_spec

    spec = parse_spec(_store_spec(ctx))
    if not check and not spec.persistent:
        raise InputError(
            f"kg load keeps triples only in an on-disk store, and --store is {spec}: "
            "give --store oxigraph:PATH (or KG_STORE), or --check to only parse the files"
        )
    show = not quiet and not as_json and sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(open_store(spec if not check else None))
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
        import json
        from dataclasses import asdict

        data = asdict(report)
        data.update(parsed=report.parsed, added=report.added, rate=round(report.rate))
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
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


def main() -> None:
    """Console entry point (``kg``)."""
    cli(prog_name="kg")


if __name__ == "__main__":
    main()
