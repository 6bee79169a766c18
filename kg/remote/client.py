"""Talk to a remote SPARQL 1.1 store: query it, and push the project graph into it.

The HTTP rules (http(s) only, no redirects, credentials, deadlines, size limits) are in
:mod:`kg.remote.http`; how an answer is checked and parsed is in :mod:`kg.remote.answers`.

Querying (:func:`query_endpoint`): the query is parsed here first (the project's prefixes are
added to the text for those it does not declare), sent by form POST, and the whole answer is
parsed before it is trusted. That matters: Oxigraph answers a query that times out with
HTTP 200 and a body that stops mid-result followed by "The SPARQL operation has been
cancelled"; an answer that does not parse completely raises :class:`RemoteError`.

Pushing (:func:`push_graph`) uses SPARQL 1.1 Update only, so any store that speaks it works
(Oxigraph, Fuseki, GraphDB, Virtuoso…). The target graph is never half-written by us:

1. ``DROP SILENT`` a staging graph (its name derives from the target), and insert the triples
   with blank nodes in the same request, so that request can be retried as a whole;
2. ``INSERT DATA`` the other triples into the staging graph in batches; each batch is
   idempotent (ground triples), so a batch is retried, with backoff, on 5xx and network errors;
3. check the staging graph's size through the query endpoint when there is one;
4. ``COPY`` the staging graph onto the target in one request (retry-safe: the staging graph is
   still there), then ``DROP`` the staging graph and check the target's size.

Pushing twice leaves the same triples. If a step fails, the error says what state the target
and the staging graph are in, and the staging graph is dropped when the target was not touched.
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kg.errors import RemoteError
from kg.remote.answers import ParseTimeout, parse_answer
from kg.remote.http import Connection, Endpoint, Redirected, Timeouts, Unreachable, endpoint
from kg.sparql.terms import PROJECT_GRAPH

__all__ = [
    "KG_GRAPH_IRI",
    "PushReport",
    "RemoteAnswer",
    "count_triples",
    "push_graph",
    "query_endpoint",
    "staging_graph_iri",
    "with_prefixes",
]

#: The named graph the project graph goes to by default (``kg push``) and is called by
#: (``kg serve``: ``default-graph-uri`` may name it).
KG_GRAPH_IRI = PROJECT_GRAPH

_SOLUTION_ACCEPT = "application/sparql-results+json"
# N-Triples: one statement per line, so an answer cut short ends in a line that does not parse
# (Oxigraph appends its cancellation message), and nothing in it can make a parser fetch.
_GRAPH_ACCEPT = "application/n-triples"
_RETRY_STATUSES = {408, 429, 500, 502, 503, 504}


# -- querying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteAnswer:
    """A remote answer that parsed completely: the raw bytes and the parsed result."""

    kind: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    content_type: str
    body: bytes = field(repr=False)
    result: Any = field(repr=False)  # kg.sparql.results.Result


def _parse_locally(text: str, source: str) -> tuple[str, set[str], str]:
    """The query form, the prefixes ``text`` declares and the text as checked (what is sent);
    the project's error if it is bad."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    from kg.sparql.policy import check_query, engine_error
    from kg.sparql.terms import PREFIXES

    checked = check_query(text, source=source)  # refuses what the local graph would refuse
    try:
        tree = parseQuery(checked.text)
        prepared = translateQuery(tree, initNs=PREFIXES)
    except Exception as exc:
        raise engine_error(exc, checked) from None
    declared = {
        str(item["prefix"]) if "prefix" in item else ""
        for item in tree[0]
        if getattr(item, "name", "") == "PrefixDecl"
    }
    return prepared.algebra.name.replace("Query", "").upper(), declared, checked.text


def with_prefixes(text: str, declared: Iterable[str] = ()) -> str:
    """``text`` with ``PREFIX`` lines for the project prefixes it does not declare itself.

    They go on one line in front, so a remote error on line N+1 is on the user's line N.
    """
    from kg.sparql.terms import PREFIXES

    missing = [f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p not in set(declared)]
    return (" ".join(missing) + "\n" + text) if missing else text


def _status_error(what: str, url: str, status: int, first_line: str) -> RemoteError:
    """An error status, with a hint when the URL is the store's other endpoint."""
    message = f"{what}: {url} answered HTTP {status}: {first_line or '(no message)'}"
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    if what != "query" and status in (400, 404, 405, 415):
        other = url.rstrip("/")[: -len("query")] + "update" if path.endswith("/query") else None
        message += (
            f". Is {url} the store's query endpoint? kg push needs its SPARQL Update endpoint"
            + (
                f", probably {other}"
                if other
                else " (Oxigraph: /update, Fuseki: /DATASET/update, Virtuoso: /sparql-auth)"
            )
        )
    elif what == "query" and status in (400, 404, 405, 415) and path.endswith("/update"):
        other = url.rstrip("/")[: -len("update")] + "query"
        message += f". Is {url} the store's update endpoint? Queries go to its query endpoint, "
        message += f"probably {other}"
    return RemoteError(message)


def _query(
    connection: Connection, query: str, *, accept: str | None, source: str, max_bytes: int
) -> RemoteAnswer:
    kind, declared, query = _parse_locally(query, source)
    if accept is None:
        accept = _SOLUTION_ACCEPT if kind in ("SELECT", "ASK") else _GRAPH_ACCEPT
    url = connection.endpoint.url
    deadline = time.monotonic() + connection.timeouts.total
    reply = connection.post(
        urllib.parse.urlencode({"query": with_prefixes(query, declared)}).encode(),
        {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        what="query",
        deadline=deadline,
        max_bytes=max_bytes,
    )
    if reply.status != 200:
        raise _status_error("query", url, reply.status, reply.first_line())
    if reply.cut_at is not None:
        raise RemoteError(
            f"{url} cut its answer at {reply.cut_at} rows (X-SPARQL-MaxRows), so it is not used: "
            "add a LIMIT below that, or raise the store's limit (Virtuoso: [SPARQL] "
            "ResultSetMaxRows in virtuoso.ini)"
        )
    try:
        result = parse_answer(kind, reply.media, reply.body, deadline=deadline)
    except ParseTimeout:
        raise RemoteError(
            f"{url}: parsing its {reply.media} answer of {len(reply.body)} bytes did not finish "
            f"within the timeout ({connection.timeouts.total:g}s, which covers the parse too); "
            "add a LIMIT or raise the timeout"
        ) from None
    except Exception as exc:
        raise RemoteError(
            f"{url} sent a {reply.media or 'untyped'} answer of {len(reply.body)} bytes that "
            f"does not parse completely or is refused, so it is not used (truncated, e.g. by a "
            f"server-side timeout?): {' '.join(str(exc).split())[:200]}"
        ) from None
    return RemoteAnswer(kind=kind, content_type=reply.media, body=reply.body, result=result)


def _redacted(where: Endpoint, exc: RemoteError) -> RemoteError:
    """The same error with no credentials in its message (server text may echo them)."""
    return type(exc)(where.redact(str(exc)))


def query_endpoint(
    url: str,
    query: str,
    *,
    accept: str | None = None,
    timeout: float = 60.0,
    connect_timeout: float = 10.0,
    source: str = "query",
    max_bytes: int = 1 << 28,
    user: str | None = None,
    password: str | None = None,
) -> RemoteAnswer:
    """Run ``query`` on the SPARQL endpoint at ``url`` and return its fully parsed answer.

    Raises :class:`QueryError` for a query that does not parse here, :class:`InputError` for a
    URL that is not http(s) or a user without a password, :class:`RemoteError` when the
    endpoint cannot be reached, redirects, answers an error status, or sends a body that does
    not parse completely (a truncated answer is an error, never a short result), is refused
    (remote JSON-LD contexts, XML with a DTD), or is not received *and parsed* within
    ``timeout`` seconds or within ``max_bytes`` bytes.
    """
    where = endpoint(url, user=user, password=password)
    with Connection(where, Timeouts(timeout, connect_timeout)) as connection:
        try:
            return _query(connection, query, accept=accept, source=source, max_bytes=max_bytes)
        except RemoteError as exc:
            raise _redacted(where, exc) from None


# -- pushing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushReport:
    """What a push did: where, how much, and how many requests and retries it took.

    ``batches`` counts the ``INSERT DATA`` batches of ground triples (what the progress lines
    number ``batch i/N``); the triples with blank nodes go in the first request, before them.
    """

    update_url: str  # without credentials
    graph_iri: str
    staging_iri: str
    triples: int
    batches: int
    requests: int
    retries: int
    remote_triples: int | None  # the target's size afterwards, when a query endpoint was given
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.update_url,
            "graph": self.graph_iri,
            "staging_graph": self.staging_iri,
            "triples": self.triples,
            "batches": self.batches,
            "requests": self.requests,
            "retries": self.retries,
            "remote_triples": self.remote_triples,
            "warnings": list(self.warnings),
        }


def staging_graph_iri(graph_iri: str) -> str:
    """The staging graph a push to ``graph_iri`` loads first (stable, so a rerun cleans it)."""
    digest = hashlib.sha256(graph_iri.encode()).hexdigest()[:16]
    return f"urn:aichip-kg:push-staging:{digest}"


def _check_iri(iri: str) -> str:
    if not iri or any(c in iri for c in '<>"{}|^`\\ \t\n') or ":" not in iri:
        raise RemoteError(f"not an absolute IRI: {iri!r}")
    return iri


class _Updater:
    """POSTs SPARQL updates with bounded retries, counting requests and retries.

    ``touched`` says whether the store may have applied anything: an update it accepted, or
    one sent whose outcome is unknown (a timeout or a cut connection after sending).
    """

    def __init__(
        self,
        connection: Connection,
        *,
        retries: int,
        backoff: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection, self.retries, self.backoff = connection, retries, backoff
        self.sleep = sleep
        self.requests = 0
        self.retried = 0
        self.touched = False

    def update(self, text: str, what: str) -> None:
        url = self.connection.endpoint.url
        last: RemoteError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.retried += 1
                self.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
            self.requests += 1
            try:
                reply = self.connection.post(
                    text.encode("utf-8"),
                    {"Content-Type": "application/sparql-update; charset=utf-8"},
                    what=what,
                    deadline=time.monotonic() + self.connection.timeouts.total,
                    max_bytes=1 << 24,
                )
            except Redirected:
                raise  # the store took nothing; sending it again changes nothing
            except Unreachable as exc:
                last = exc
                continue
            except RemoteError as exc:
                self.touched = True
                last = exc
                continue
            if 200 <= reply.status < 300:
                self.touched = True
                return
            last = _status_error(what, url, reply.status, reply.first_line())
            if reply.status not in _RETRY_STATUSES:
                raise last
            self.touched = True  # a 5xx may come after part of the work
        assert last is not None
        raise type(last)(f"{last} (gave up after {self.retries + 1} attempts)")


def _count(connection: Connection, graph_iri: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_check_iri(graph_iri)}> {{ ?s ?p ?o }} }}"
    answer = _query(connection, query, accept=None, source="count", max_bytes=1 << 20)
    try:
        return int(answer.result.rows[0][0])
    except (IndexError, TypeError, ValueError):
        url = connection.endpoint.url
        raise RemoteError(f"{url} answered a COUNT query without a number") from None


def count_triples(
    query_url: str,
    graph_iri: str,
    *,
    timeout: float = 60.0,
    user: str | None = None,
    password: str | None = None,
) -> int:
    """How many triples the remote graph ``graph_iri`` holds (0 if it does not exist)."""
    where = endpoint(query_url, user=user, password=password, option="--query-endpoint")
    with Connection(where, Timeouts(timeout)) as connection:
        try:
            return _count(connection, graph_iri)
        except RemoteError as exc:
            raise _redacted(where, exc) from None


def _nt_lines(triples: Iterable[tuple]) -> str:
    from rdflib import Graph

    batch = Graph()
    batch.addN((s, p, o, batch) for s, p, o in triples)
    return batch.serialize(format="nt", encoding="utf-8").decode("utf-8")


def _sort_key(triple: tuple) -> tuple[str, str, str]:
    return (triple[0].n3(), triple[1].n3(), triple[2].n3())


def push_graph(
    graph: Any,  # rdflib.Graph
    update_url: str,
    *,
    graph_iri: str = KG_GRAPH_IRI,
    query_url: str | None = None,
    batch_size: int = 5000,
    retries: int = 3,
    timeout: float = 120.0,
    connect_timeout: float = 10.0,
    backoff: float = 0.5,
    user: str | None = None,
    password: str | None = None,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PushReport:
    """Replace the remote named graph ``graph_iri`` with ``graph`` (see the module doc).

    ``query_url`` (the store's SPARQL query endpoint) is optional; with it the staging graph
    and the target are counted, and a failure report says what the target holds. ``user`` and
    ``password`` go to both endpoints (see :func:`kg.remote.http.endpoint` for the others).
    """
    if batch_size < 1:
        raise RemoteError("batch size must be at least 1")
    target = _check_iri(graph_iri)
    update_at = endpoint(update_url, user=user, password=password)
    query_at = (
        endpoint(query_url, user=user, password=password, option="--query-endpoint")
        if query_url
        else None
    )
    timeouts = Timeouts(timeout, connect_timeout)
    updates = Connection(update_at, timeouts)
    queries = Connection(query_at, timeouts) if query_at else None
    try:
        return _push(
            graph,
            _Updater(updates, retries=retries, backoff=backoff, sleep=sleep),
            queries,
            target,
            batch_size,
            progress or (lambda _message: None),
        )
    except RemoteError as exc:
        redacted = _redacted(update_at, exc)
        raise _redacted(query_at, redacted) if query_at else redacted from None
    finally:
        updates.close()
        if queries:
            queries.close()


def _push(
    graph: Any,
    updater: _Updater,
    queries: Connection | None,
    target: str,
    batch_size: int,
    say: Callable[[str], None],
) -> PushReport:
    from rdflib import BNode

    staging = staging_graph_iri(target)
    with_bnodes = [t for t in graph if any(isinstance(term, BNode) for term in t)]
    ground = sorted((t for t in graph if not any(isinstance(x, BNode) for x in t)), key=_sort_key)
    total = len(with_bnodes) + len(ground)
    if total == 0:
        raise RemoteError("the graph is empty: nothing to push")
    batches = [ground[i : i + batch_size] for i in range(0, len(ground), batch_size)]
    warnings: list[str] = []

    def fail_before_target(step: str, exc: RemoteError) -> RemoteError:
        if not updater.touched:
            # Nothing was taken by the store: no staging graph to report on or drop.
            reached = (
                "the store could not be reached"
                if isinstance(exc, Unreachable)
                else "the store took no update"
            )
            return RemoteError(
                f"push failed at {step}: {exc}. Nothing was changed: {reached}, so the target "
                f"graph <{target}> is as it was"
            )
        try:
            updater.update(f"DROP SILENT GRAPH <{staging}>", "drop staging graph")
            state = f"the staging graph <{staging}> was dropped"
        except RemoteError as drop_error:
            state = (
                f"the staging graph <{staging}> holds a partial copy and could not be dropped "
                f"({drop_error}); remove it with: DROP GRAPH <{staging}>"
            )
        return RemoteError(
            f"push failed at {step}: {exc}. The target graph <{target}> was not changed; {state}"
        )

    first = f"DROP SILENT GRAPH <{staging}>"
    if with_bnodes:
        # Blank nodes are scoped to one request: all triples holding them go in together, in
        # the request that empties the staging graph, so retrying it never duplicates them.
        # INSERT … WHERE {} (one solution, fresh blank nodes) rather than INSERT DATA, which
        # Virtuoso refuses with blank nodes ("not allowed in a constant clause").
        first += f" ;\nINSERT {{ GRAPH <{staging}> {{\n{_nt_lines(with_bnodes)}}} }} WHERE {{}}"
    step = "the first request"
    try:
        say(
            f"staging {total} triples in <{staging}>: {len(with_bnodes)} with blank nodes in "
            f"the first request, then {len(ground)} in {len(batches)} batches"
        )
        updater.update(first, "reset staging graph")
        for number, batch in enumerate(batches, start=1):
            step = f"batch {number}/{len(batches)}"
            updater.update(f"INSERT DATA {{ GRAPH <{staging}> {{\n{_nt_lines(batch)}}} }}", step)
            say(f"{step}: {len(batch)} triples")
        if queries:
            step = "checking the staging graph"
            staged = _count(queries, staging)
            if staged != total:
                raise RemoteError(f"the staging graph holds {staged} triples, not {total}")
    except RemoteError as exc:
        raise fail_before_target(step, exc) from None

    try:
        say(f"copying <{staging}> onto <{target}>")
        updater.update(f"COPY GRAPH <{staging}> TO GRAPH <{target}>", "copy onto target")
    except RemoteError as exc:
        state = "its state is unknown (no query endpoint to check it)"
        if queries:
            try:
                held = _count(queries, target)
                state = (
                    "it holds the pushed graph's size, so the copy may have taken effect"
                    if held == total
                    else f"it holds {held} triples (the push has {total})"
                )
            except RemoteError as count_error:
                state = f"its state is unknown ({count_error})"
        raise RemoteError(
            f"push failed while copying onto <{target}>: {exc}. The target graph: {state}. "
            f"The staging graph <{staging}> still holds all {total} triples; rerun kg push "
            f"to retry, or remove it with: DROP GRAPH <{staging}>"
        ) from None

    try:
        updater.update(f"DROP SILENT GRAPH <{staging}>", "drop staging graph")
    except RemoteError as exc:
        warnings.append(
            f"the push succeeded but the staging graph <{staging}> could not be dropped: {exc}"
        )
    remote = None
    if queries:
        remote = _count(queries, target)
        if remote != total:
            raise RemoteError(
                f"after the push <{target}> holds {remote} triples, not {total}: the store "
                "changed the data (or another client wrote to the graph meanwhile)"
            )
    return PushReport(
        update_url=updater.connection.endpoint.url,
        graph_iri=target,
        staging_iri=staging,
        triples=total,
        batches=len(batches),
        requests=updater.requests,
        retries=updater.retried,
        remote_triples=remote,
        warnings=tuple(updater.connection.endpoint.redact(w) for w in warnings),
    )
