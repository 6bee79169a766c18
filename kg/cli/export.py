"""`kg export` and `kg viz`: the graph in one format, and the offline HTML viewer."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.common import (
    App,
    echo_json,
    pass_app,
)

# The names of kg.export.formats.FORMATS, spelled out so `kg --help` need not import rdflib;
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
# kg.export.formats.ALIASES: the names `kg query` and `kg serve` use for the RDF formats.
EXPORT_ALIASES = ("ttl", "nt", "n-triples", "json-ld", "rdf", "rdf+xml")


@click.command("export")
@click.option(
    "--format",
    "-f",
    "format_name",
    type=click.Choice(EXPORT_FORMATS + EXPORT_ALIASES, case_sensitive=False),
    help="Export format (see --list); ttl, nt… are accepted too, as by kg query and kg serve.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
@click.option("--list", "list_formats", is_flag=True, help="List the formats and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print the list as JSON.")
@pass_app
def export(
    app: App,
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
    from kg.export.formats import FORMATS

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
            echo_json(rows)
        else:
            for row in rows:
                click.echo(f"{row['name']:<10} {row['file']:<18} {row['description']}")
        return
    if format_name is None:
        raise click.UsageError("give --format FORMAT (or --list)")

    from kg.export.formats import export_name, render
    from kg.facts.load import load

    format_name = export_name(format_name)
    if app.store.kind == "oxigraph":  # a store's own data: pyoxigraph writes RDF from it
        store = app.graph()
        rdf = format_name in ("turtle", "ntriples")
        data = store.serialize(format_name) if rdf else render(format_name, store.as_rdflib())
    else:  # the curated graph, by the canonical writers
        data = render(format_name, load(app.project))
    if output is None:
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
        return
    from kg.write import write_bytes_atomic

    write_bytes_atomic(output, data, parents=False)
    click.echo(f"wrote {output} ({len(data)} bytes, {FORMATS[format_name].media_type})", err=True)


@click.command("viz")
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
@click.option(
    "--view",
    "view_name",
    metavar="NAME",
    help="Open on a preset view: pytorch-foundation, china-accelerators, china-market, "
    "export-controls (an unknown name lists them).",
)
@click.option(
    "--catalogue",
    is_flag=True,
    help="Open with catalogue-only entities (known only from the Epoch dataset) shown.",
)
@click.option("--title", help="Page title (default: the project's).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@pass_app
def viz(
    app: App,
    output: Path,
    focus: str | None,
    depth: int,
    class_names: tuple[str, ...],
    view_name: str | None,
    catalogue: bool,
    title: str | None,
    as_json: bool,
) -> None:
    """Write the interactive graph viewer: one self-contained HTML file that works offline.

    Nodes are coloured and shaped by class (a folding legend with class filters); the most
    linked entities are named at the opening zoom and more names appear as you zoom in, never
    on top of each other. A chip family's SKUs and variants, and a maker's other chips, are
    folded into one node: click it to unfold. Entities known only from the Epoch hardware
    catalogue, and sources with their publishers, are hidden until their toggle is ticked.
    Click an entity for its names in English and Chinese, key figures, sources and links.
    The page also offers preset views (whole page only). The layout is computed here, so the
    page opens at once. TERM is a kg: id, slug or any name (华为, 華為, Huawei); CLASS a class
    name or label (Company, GPU, 公司).

    \b
    Examples:
      kg viz                                  # ./graph.html with the whole graph
      kg viz -o huawei.html --focus 华为 --depth 2
      kg viz --view china-market -o market.html
      kg viz --catalogue                      # with the Epoch catalogue's chips
      kg viz --classes Company,Foundation --json
    """
    from kg.facts.load import load
    from kg.viz.viewer import DEFAULT_TITLE, render_viewer
    from kg.write import write_text_atomic

    depth_given = click.get_current_context().get_parameter_source("depth")
    if focus is None and depth_given is not click.core.ParameterSource.DEFAULT:
        from kg.errors import InputError

        raise InputError(f"--depth {depth} needs --focus TERM: it counts links away from TERM")
    classes = [name.strip() for value in class_names for name in value.split(",")]
    viewer = render_viewer(
        load(app.project).graph,
        focus=focus,
        depth=depth,
        classes=[name for name in classes if name],
        view=view_name,
        catalogue=catalogue,
        title=title or DEFAULT_TITLE,
    )
    write_text_atomic(output, viewer.html, parents=False)
    summary = {
        "output": str(output),
        "bytes": len(viewer.html.encode("utf-8")),
        "nodes": viewer.nodes,
        "edges": viewer.edges,
        "layout": "precomputed (networkx)",
        "focus": viewer.focus,
        "classes": list(viewer.classes),
        "view": viewer.view,
        "views": list(viewer.views),
        "catalogue": catalogue,
    }
    if as_json:
        echo_json(summary)
    else:
        click.echo(
            f"wrote {output} ({viewer.nodes} entities, {viewer.edges} links, {summary['layout']})",
            err=True,
        )


COMMANDS = [export, viz]
