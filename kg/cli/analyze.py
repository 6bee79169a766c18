"""`kg analyze …`: network analytics (networkx) and the export-control screening."""

from __future__ import annotations

import click

from kg.cli.common import (
    App,
    echo_json,
    exit_with,
    lang_option,
    no_cache_option,
    pass_app,
)
from kg.errors import InputError


def analytics_graph(app: App, no_cache: bool):
    """(rdflib graph, analytics networkx graph) of the project."""
    from kg.analytics import project

    store = app.graph(use_cache=not no_cache)
    return store.as_rdflib(), project(store)


def focused_graph(app: App, no_cache: bool, granularity: str, exclude: tuple, edges: tuple):
    """(rdflib graph, analytics graph as the --granularity/--exclude-source/--edges options
    focus it)."""
    from kg.analytics.focus import Focus, focus, parse_edges, resolve_source

    graph, G = analytics_graph(app, no_cache)
    excluded = tuple(sorted({resolve_source(graph, text) for text in _split(exclude)}))
    predicates = parse_edges(G, _split(edges))
    return graph, focus(G, Focus(granularity, excluded, predicates))


def _split(values: tuple) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def focus_options(default: str = "family"):
    """--granularity, --exclude-source and --edges, passed as ``granularity, exclude, edges``."""

    def decorate(command):
        command = click.option(
            "--edges",
            "edges",
            multiple=True,
            metavar="P,P…",
            help="Only these relations (designedBy,supports,memberOf; CURIEs or names).",
        )(command)
        command = click.option(
            "--exclude-source",
            "exclude",
            multiple=True,
            metavar="SOURCE",
            help="Leave out what only this source says (a CURIE or a short name: epoch). "
            "Repeatable.",
        )(command)
        return click.option(
            "--granularity",
            type=click.Choice(("sku", "family", "company")),
            default=default,
            show_default=True,
            help="Nodes: every SKU; SKUs folded into their family; products into their designer.",
        )(command)

    return decorate


def _node_in(G, node: str) -> str:
    """The node ``node`` was folded into, if any."""
    return G.graph.get("merged_into", {}).get(node, node)


def echo_json_result(result) -> None:
    from kg.analytics import to_jsonable

    echo_json(to_jsonable(result))


analytics_json = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group()
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
@focus_options()
@lang_option
@analytics_json
@no_cache_option
@pass_app
def analyze_centrality(
    app, sort, classes, top, sample, granularity, exclude, edges, lang, as_json, no_cache
) -> None:
    """Rank entities by degree, PageRank and betweenness centrality.

    Scores are computed on the whole graph with direction ignored (one link per related
    pair), then filtered by --class, so filtering never changes a score. SKUs are folded into
    their family by default, so a catalogue's size does not pass for centrality; each row
    counts the SKUs folded in and the sources behind its links (listed in --json).

    \b
    Examples:
      kg analyze centrality
      kg analyze centrality --by betweenness --class company --top 10
      kg analyze centrality --granularity company --exclude-source epoch
      kg analyze centrality --edges designedBy,supports,memberOf --json
    """
    from kg.analytics import centrality, resolve_class
    from kg.analytics.render import render_centrality

    graph, G = focused_graph(app, no_cache, granularity, exclude, edges)
    wanted = [resolve_class(graph, text) for text in classes]
    result = centrality(G, sort=sort, classes=wanted, top=top or None, sample=sample, lang=lang)
    if as_json:
        echo_json_result(result)
        return
    click.echo(render_centrality(result), nl=False)
    click.echo(
        f"{len(result.rows)} rows; {result.nodes} entities, {result.edges} links; by {sort}; "
        f"on {result.view}"
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
@focus_options()
@lang_option
@analytics_json
@no_cache_option
@pass_app
def analyze_communities(
    app, resolution, seed, members, granularity, exclude, edges, lang, as_json, no_cache
) -> None:
    """Louvain communities of the ecosystem, with their modularity.

    Deterministic: the same facts and seed give the same communities. Entities with no
    relationship at all are counted, not listed. SKUs are folded into their family by
    default; each community counts the sources behind its inner links (listed in --json).

    \b
    Examples:
      kg analyze communities
      kg analyze communities --resolution 1.5 --members 0
      kg analyze communities --granularity company --exclude-source epoch --json
    """
    from kg.analytics import communities
    from kg.analytics.render import render_communities

    _graph, G = focused_graph(app, no_cache, granularity, exclude, edges)
    result = communities(G, resolution=resolution, seed=seed, lang=lang)
    if as_json:
        echo_json_result(result)
        return
    click.echo(render_communities(result, members=members or None), nl=False)


@analyze.command("path")
@click.argument("a")
@click.argument("b")
@focus_options()
@lang_option
@analytics_json
@no_cache_option
@pass_app
def analyze_path(app, a, b, granularity, exclude, edges, lang, as_json, no_cache) -> None:
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

    graph, full = analytics_graph(app, no_cache)
    _graph, G = focused_graph(app, no_cache, granularity, exclude, edges)
    start = _node_in(G, resolve_node(graph, full, a))
    end = _node_in(G, resolve_node(graph, full, b))
    for text, node in ((a, start), (b, end)):
        if node not in G:
            raise InputError(f"{text!r} ({node}) is not in the graph once focused that way")
    result = shortest_path(G, start, end, lang=lang)
    if result is None:
        click.echo(f"no path between {start} and {end}: they are not connected", err=True)
        exit_with(1)
    if as_json:
        echo_json_result(result)
        return
    click.echo(render_path(result), nl=False)


@analyze.command("concentration")
@click.argument("market")
@click.option(
    "--year", "period", metavar="Y", help="Year or period label (2022, 2023-H1) of the shares."
)
@lang_option
@analytics_json
@no_cache_option
@pass_app
def analyze_concentration(app, market, period, lang, as_json, no_cache) -> None:
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

    graph, G = analytics_graph(app, no_cache)
    node = resolve_node(graph, G, market, kind="market", cls="aichip:Market")
    result = concentration(G, node, period, lang=lang)
    if as_json:
        echo_json_result(result)
        return
    click.echo(render_concentration(result), nl=False)


@analyze.command("whatif")
@click.option("--remove", "vendor", required=True, metavar="VENDOR", help="The vendor that leaves.")
@click.option(
    "--market", metavar="M", help="Only this market (default: every market it has a share in)."
)
@click.option("--year", "period", metavar="Y", help="Only this year or period.")
@lang_option
@analytics_json
@no_cache_option
@pass_app
def analyze_whatif(app, vendor, market, period, lang, as_json, no_cache) -> None:
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

    graph, G = analytics_graph(app, no_cache)
    node = resolve_node(graph, G, vendor, kind="vendor", cls="aichip:Organization")
    market_node = (
        resolve_node(graph, G, market, kind="market", cls="aichip:Market") if market else None
    )
    result = whatif(G, node, market=market_node, period=period, lang=lang)
    if as_json:
        echo_json_result(result)
        return
    labels = {n: node_label(G, n, lang) for n in G}
    click.echo(render_whatif(result, labels), nl=False)


@analyze.command("support")
@click.option("--list", "as_list", is_flag=True, help="One row per supported pair, not a grid.")
@click.option("--sources", is_flag=True, help="Print the sources behind each cell.")
@lang_option
@analytics_json
@no_cache_option
@pass_app
def analyze_support(app, as_list, sources, lang, as_json, no_cache) -> None:
    """The framework/platform × hardware support matrix, with the software layers between.

    Read from aichip:supports, aichip:compatibleWith and aichip:dependsOn; chips are grouped
    under their family and each column names its maker. An empty cell (·) means no sourced
    claim, not "unsupported": the graph records no negative claims.

    \b
    Examples:
      kg analyze support
      kg analyze support --sources
      kg analyze support --list
      kg analyze support --json
    """
    from kg.analytics import support_matrix
    from kg.analytics.render import render_support

    _graph, G = analytics_graph(app, no_cache)
    result = support_matrix(G, lang=lang)
    if as_json:
        echo_json_result(result)
        return
    if not result.cells:
        click.echo("no support relations in the graph", err=True)
        return
    click.echo(render_support(result, as_list=as_list, sources=sources), nl=False)


@analyze.command("export-control")
@click.argument("chip", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Also say which rules, listings and thresholds were in force on DATE (YYYY-MM-DD).",
)
@no_cache_option
@pass_app
def analyze_export_control(
    app: App, chip: str | None, as_json: bool, as_of: str | None, no_cache: bool
):
    """Screen chips against ECCN 3A090.a as amended by the BIS rule of 2023-10-17.

    TPP = 2 × MacTOPS × bit length, taken as the dense datasheet figure × bits (FP32 × 32,
    FP16/BF16 × 16, FP8 and INT8 × 8, FP4 × 4; the largest wins; TF32 is not counted, its bit
    length being unsettled, and a caveat says where counting it at 19 or 32 bits could change
    the result); performance density = TPP ÷ die area.
    Controlled if TPP ≥ 4800, or TPP ≥ 1600 and density ≥ 5.92. Inputs are the best-ranked
    statements, shown with their sources; conflicting figures are all screened
    ("indeterminate" if they disagree) and missing ones give "insufficient data", never a
    guess. The result is compared with the chips sources name as restricted (NVIDIA's 8-K of
    2023-10-17, TrendForce) and every disagreement is listed. A technical screening, not a
    legal classification.

    \b
    Examples:
      kg analyze export-control              # every chip with figures, then disagreements
      kg analyze export-control h20          # one chip: inputs, sources, result
      kg analyze export-control "H100 SXM" --json
      kg analyze export-control --as-of 2023-01-01
    """
    from dataclasses import replace

    from kg.analytics.export_control import (
        as_of as state_on,
    )
    from kg.analytics.export_control import (
        chip_id,
        render_as_of,
        render_report,
        render_screening,
        report_summary,
        screen,
        screen_chip,
    )
    from kg.facts.time import parse_day

    day = parse_day(as_of) if as_of is not None else None
    graph = app.graph(use_cache=not no_cache).as_rdflib()
    report = screen(graph)
    if day is not None:
        report = replace(report, as_of=state_on(graph, day))
    if chip is None:
        if as_json:
            echo_json_result(report)
            return
        if report.as_of is not None:
            click.echo(render_as_of(report.as_of), nl=False)
        click.echo(render_report(report), nl=False)
        click.echo(report_summary(report), err=True)
        return
    from kg.explore.search import resolve

    result = screen_chip(graph, chip_id(resolve(graph, chip, kind="chip")), report=report)
    if as_json:
        echo_json_result(result)
        return
    if report.as_of is not None:
        click.echo(render_as_of(report.as_of), nl=False)
    click.echo(render_screening(result, report), nl=False)


COMMANDS = [analyze]
