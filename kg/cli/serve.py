"""`kg serve`: the read-only SPARQL 1.1 endpoint and its pages."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.common import (
    App,
    pass_app,
)
from kg.errors import KGError


@click.command()
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
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host header is NAME (repeatable; '*' for any). By "
    "default only the --host address, localhost, 127.0.0.1 and [::1] are answered (421 "
    "otherwise), so that a web page cannot reach the server by DNS rebinding.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    help="Connections served at once; more are answered 503.",
)
@click.option(
    "--max-client-connections",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="Connections from one client address at once; more are answered 503.",
)
@click.option(
    "--max-client-requests",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Requests from one client address in progress at once; more are answered 429.",
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
@pass_app
def serve(
    app: App,
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    workers: int,
    memory_mb: int,
    io_timeout: float,
    allow_hosts: tuple[str, ...],
    max_connections: int,
    max_client_connections: int,
    max_client_requests: int,
    cors: bool,
    named_graphs: Path | None,
    quiet: bool,
    serve_no_cache: bool,
) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint, with a query page.

    The endpoint is URL/sparql (GET, form POST or direct POST; answers in SPARQL JSON, XML,
    CSV or TSV, or Turtle, N-Triples, JSON-LD by Accept or ?format=). The query page at URL/
    runs the competency questions and works offline. Updates are refused (403); SERVICE and
    FROM are refused (400) and nothing is ever fetched (query workers run without network
    where Linux allows a network namespace; the start-up line says); a query past --timeout
    is stopped (503). An answer over --max-rows is cut and says so (KG-Truncated header, a
    note in JSON, XML, Turtle); in CSV, TSV and JSON-LD, which have no room for the note, it
    is refused (413) unless the request adds partial=true. Prints the URL on stdout, logs
    requests on stderr; Ctrl-C stops it. Exits non-zero if the query workers cannot be
    restarted, so that a supervisor can restart it.

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

    from kg.facts.cache import cached_graph
    from kg.serve.http import ServeConfig, make_server
    from kg.serve.protocol import read_named_graphs, served_data

    spec = app.store
    snapshot = None
    engine = "rdflib, the curated graph"
    if spec.kind == "oxigraph" and spec.path is not None:  # the workers read a checkpoint
        engine = f"pyoxigraph, {spec} as of now (later loads need a restart)"
        from kg.serve.oxigraph import snapshot_store

        served = snapshot_store(
            spec, app.project, named_path=named_graphs, use_cache=not serve_no_cache
        )
        snapshot = served.snapshot
    else:
        graph = cached_graph(app.project, use_cache=not serve_no_cache)
        named = read_named_graphs(named_graphs) if named_graphs else None
        if spec.kind in ("oxigraph", "default"):
            from kg.serve.oxigraph import served_in_memory

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
        max_connections=max_connections,
        max_client_connections=max_client_connections,
        max_client_requests=max_client_requests,
        allow_hosts=allow_hosts,
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
    pool = server.pool
    network = (
        f"query workers without network ({pool.isolation})"
        if pool.isolated
        else f"query workers WITH network access: {pool.isolation}; only an audit hook and the "
        "query policy keep queries from connecting out"
    )
    names = ", ".join(sorted(config.host_names()))
    click.echo(server.url)
    click.echo(
        f"serving {server.url} (SPARQL endpoint {server.url}sparql; {engine}; {network}; "
        f"answering Host {names}); Ctrl-C stops",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()
        _remove_snapshot(snapshot)
    if server.fatal is not None:
        raise KGError(f"kg serve stopped: {server.fatal}")


def _remove_snapshot(snapshot: Path | None) -> None:
    """Delete the store checkpoint a server read from (its hard links only: the store stays)."""
    if snapshot is not None:
        import shutil

        shutil.rmtree(snapshot, ignore_errors=True)


COMMANDS = [serve]
