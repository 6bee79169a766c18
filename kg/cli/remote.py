"""`kg push`: load the graph into another SPARQL store."""

from __future__ import annotations

import os

import click

from kg.cli.common import (
    App,
    pass_app,
)
from kg.sparql.terms import PROJECT_GRAPH

user_option = click.option(
    "--user",
    "remote_user",
    metavar="USER[:PASS]",
    help="Credentials for the store (HTTP Basic, or Digest when the store asks for it). "
    "Without :PASS the password comes from KG_REMOTE_PASSWORD or a prompt. Also possible: "
    "http://USER:PASS@host/... or KG_REMOTE_USER and KG_REMOTE_PASSWORD. Never printed.",
)
connect_timeout_option = click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds to wait for the connection to the store.",
)


def credentials(remote_user: str | None) -> tuple[str | None, str | None]:
    """(user, password) from --user USER[:PASS]; prompts for a missing password."""
    from kg.remote.http import ENV_PASSWORD

    if not remote_user:
        return None, None
    user, colon, password = remote_user.partition(":")
    if colon:
        return user, password
    if os.environ.get(ENV_PASSWORD) is not None:
        return user, os.environ[ENV_PASSWORD]
    return user, click.prompt(f"Password for {user}", hide_input=True, err=True)


@click.command()
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
    default=PROJECT_GRAPH,
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
    "--timeout",
    "push_timeout",
    type=click.FloatRange(min=1),
    default=120.0,
    show_default=True,
    help="Seconds for each request: sending it, the answer, and parsing the answer.",
)
@connect_timeout_option
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-cache", "push_no_cache", is_flag=True, help="Rebuild the graph, no cache.")
@pass_app
def push(
    app: App,
    update_url: str,
    graph_iri: str,
    query_url: str | None,
    batch_size: int,
    retries: int,
    push_timeout: float,
    connect_timeout: float,
    remote_user: str | None,
    as_json: bool,
    push_no_cache: bool,
) -> None:
    """Load the graph into a SPARQL 1.1 store, replacing one named graph.

    The graph is what the store (--store) holds: the curated facts, plus the default graph of
    what kg load added to an oxigraph store.

    Uses SPARQL Update only (Oxigraph, Fuseki, GraphDB, Virtuoso…): the triples go to a
    staging graph in batches (retried on 5xx and network errors), then one COPY replaces the
    target, so the target is never half-written; pushing twice leaves the same triples. On
    failure the message says what state the target and staging graphs are in. Query the
    result with kg query --endpoint.

    \b
    Examples:
      oxigraph serve --location /tmp/store &      # pip install oxigraph
      kg push --endpoint http://localhost:7878/update
      kg push --endpoint http://localhost:8890/sparql-auth \\
        --query-endpoint http://localhost:8890/sparql --user dba   # Virtuoso
      kg query --endpoint http://localhost:7878/query \\
        'SELECT (COUNT(*) AS ?n) { GRAPH <https://w3id.org/aichip-kg/graph> { ?s ?p ?o } }'
    """
    import json

    from kg.remote.client import push_graph
    from kg.remote.http import endpoint

    user, password = credentials(remote_user)
    endpoint(update_url, user=user, password=password)  # a bad URL fails before the build
    if query_url is None and update_url.rstrip("/").endswith("/update"):
        query_url = update_url.rstrip("/")[: -len("update")] + "query"
    # The store the command reads (--store, KG_STORE, kg.toml): the curated graph plus what
    # kg load added to its default graph.
    graph = app.graph(use_cache=not push_no_cache).as_rdflib()
    report = push_graph(
        graph,
        update_url,
        graph_iri=graph_iri,
        query_url=query_url,
        batch_size=batch_size,
        retries=retries,
        timeout=push_timeout,
        connect_timeout=connect_timeout,
        user=user,
        password=password,
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


COMMANDS = [push]
