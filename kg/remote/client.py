"""Talk to a remote SPARQL 1.1 store: query it, and push the project graph into it.

Only the standard library's HTTP client is used, and only the URLs the user gives are contacted.

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

import csv
import hashlib
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kg.errors import RemoteError
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

_USER_AGENT = "aichip-kg (kg push / kg query --endpoint)"
_SOLUTION_ACCEPT = "application/sparql-results+json"
# N-Triples: one statement per line, so an answer cut short ends in a line that does not parse
# (Oxigraph appends its cancellation message), and nothing in it can make a parser fetch.
_GRAPH_ACCEPT = "application/n-triples"
_RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
_RESULT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_GRAPH_FORMATS = {
    "application/n-triples": "nt",
    "text/plain": "nt",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
}


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


def _media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def _first_line(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    line = text.splitlines()[0] if text else ""
    return line[:limit] + ("…" if len(line) > limit else "")


def _read_all(response: Any, deadline: float, limit: int, url: str) -> bytes:
    """The whole body, within the deadline and the size limit (an answer may never end)."""
    read = getattr(response, "read1", response.read)
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise RemoteError(f"{url}: the answer was not complete within the timeout")
        chunk = read(1 << 20)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise RemoteError(f"{url}: the answer is larger than {limit} bytes; add a LIMIT")
        chunks.append(chunk)


def _open(
    request: urllib.request.Request, timeout: float, what: str, limit: int = 1 << 28
) -> tuple[int, Any, bytes]:
    """Send ``request``; (status, headers, body). Network failures raise RemoteError.

    ``timeout`` bounds the whole exchange, not only each socket operation: Oxigraph does not
    always stop a query at its own timeout and can stream an answer without end.
    """
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = _read_all(response, deadline, limit, request.full_url)
            return response.status, response.headers, body
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp is not None else b""
        return exc.code, exc.headers, body
    except urllib.error.URLError as exc:
        raise RemoteError(f"{what}: cannot reach {request.full_url}: {exc.reason}") from None
    except RemoteError:
        raise
    except Exception as exc:  # timeouts, resets, http.client.IncompleteRead for cut answers
        raise RemoteError(f"{what}: {request.full_url}: {type(exc).__name__}: {exc}") from None


def _check_csv(body: bytes, delimiter: str) -> None:
    text = body.decode("utf-8")
    if text and not text.endswith("\n"):
        raise ValueError("the last row does not end with a line break")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    if delimiter == "\t":  # TSV has no quoting: fields are split on tabs, nothing else
        rows = [line.split("\t") for line in text.splitlines()]
    if not rows:
        raise ValueError("no header row")
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise ValueError(f"row {number} has {len(row)} fields, the header {width}")


def _check_jsonld(body: bytes) -> None:
    """A JSON-LD answer must not point at a remote context: parsing it would fetch that URL."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            context = node.get("@context")
            contexts = context if isinstance(context, list) else [context]
            if any(isinstance(item, str) for item in contexts):
                raise ValueError("it refers to a remote @context, which kg does not fetch")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body))


def _parse_answer(kind: str, media: str, body: bytes) -> Any:
    """Parse the whole ``body`` into a :class:`kg.sparql.results.Result`; ValueError if not."""
    from rdflib import Graph
    from rdflib.query import Result as RdflibResult

    from kg.sparql.results import Result

    if kind in ("SELECT", "ASK"):
        fmt = _RESULT_FORMATS.get(media)
        if fmt is None:
            raise ValueError(f"a {kind} answer cannot be {media or 'untyped'}")
        if fmt == "json":
            data = json.loads(body)  # strict: trailing text after the document fails
            if not isinstance(data, dict) or not (
                isinstance(data.get("boolean"), bool)
                or isinstance(data.get("results", {}).get("bindings"), list)
            ):
                raise ValueError("not a SPARQL JSON result (no boolean, no results.bindings)")
        elif fmt in ("csv", "tsv"):
            _check_csv(body, "," if fmt == "csv" else "\t")
        result = RdflibResult.parse(io.BytesIO(body), format=fmt)
        if result.type == "ASK":
            return Result.ask(bool(result.askAnswer))
        variables = tuple(str(v) for v in result.vars or ())
        rows = tuple(tuple(row.get(v) for v in result.vars) for row in result.bindings)
        return Result.solutions(variables, rows)
    fmt = _GRAPH_FORMATS.get(media)
    if fmt is None:
        raise ValueError(f"a {kind} answer cannot be {media or 'untyped'}")
    if fmt == "json-ld":
        _check_jsonld(body)
    graph = Graph()
    graph.parse(data=body, format=fmt)
    return Result.from_triples(kind, graph)


def query_endpoint(
    url: str,
    query: str,
    *,
    accept: str | None = None,
    timeout: float = 60.0,
    source: str = "query",
    max_bytes: int = 1 << 28,
) -> RemoteAnswer:
    """Run ``query`` on the SPARQL endpoint at ``url`` and return its fully parsed answer.

    Raises :class:`QueryError` for a query that does not parse here, :class:`RemoteError` when
    the endpoint cannot be reached, answers an error status, or sends a body that does not parse
    completely (a truncated answer is an error, never a short result), or does not finish it
    within ``timeout`` seconds or ``max_bytes`` bytes.
    """
    kind, declared, query = _parse_locally(query, source)
    if accept is None:
        accept = _SOLUTION_ACCEPT if kind in ("SELECT", "ASK") else _GRAPH_ACCEPT
    data = urllib.parse.urlencode({"query": with_prefixes(query, declared)}).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Accept": accept,
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": _USER_AGENT,
        },
    )
    status, headers, body = _open(request, timeout, "query", max_bytes)
    if status != 200:
        raise RemoteError(f"{url} answered HTTP {status}: {_first_line(body) or '(no message)'}")
    media = _media_type(headers.get("Content-Type"))
    try:
        result = _parse_answer(kind, media, body)
    except Exception as exc:
        raise RemoteError(
            f"{url} sent a {media or 'untyped'} answer of {len(body)} bytes that does not parse "
            f"completely, so it is not used (truncated, e.g. by a server-side timeout?): "
            f"{' '.join(str(exc).split())[:200]}"
        ) from None
    return RemoteAnswer(kind=kind, content_type=media, body=body, result=result)


# -- pushing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushReport:
    """What a push did: where, how much, and how many requests and retries it took."""

    update_url: str
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
    """POSTs SPARQL updates with bounded retries, counting requests and retries."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        retries: int,
        backoff: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url, self.timeout, self.retries, self.backoff = url, timeout, retries, backoff
        self.sleep = sleep
        self.requests = 0
        self.retried = 0

    def update(self, text: str, what: str) -> None:
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.retried += 1
                self.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
            self.requests += 1
            request = urllib.request.Request(
                self.url,
                data=text.encode("utf-8"),
                method="POST",
                headers={
                    "Content-Type": "application/sparql-update; charset=utf-8",
                    "User-Agent": _USER_AGENT,
                },
            )
            try:
                status, _headers, body = _open(request, self.timeout, what)
            except RemoteError as exc:
                last = str(exc)
                continue
            if 200 <= status < 300:
                return
            last = f"{what}: {self.url} answered HTTP {status}: {_first_line(body)}"
            if status not in _RETRY_STATUSES:
                raise RemoteError(last)
        raise RemoteError(f"{last} (gave up after {self.retries + 1} attempts)")


def count_triples(query_url: str, graph_iri: str, *, timeout: float = 60.0) -> int:
    """How many triples the remote graph ``graph_iri`` holds (0 if it does not exist)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_check_iri(graph_iri)}> {{ ?s ?p ?o }} }}"
    answer = query_endpoint(query_url, query, timeout=timeout, source="count")
    rows = answer.result.rows
    try:
        return int(rows[0][0])
    except (IndexError, TypeError, ValueError):
        raise RemoteError(f"{query_url} answered a COUNT query without a number") from None


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
    backoff: float = 0.5,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PushReport:
    """Replace the remote named graph ``graph_iri`` with ``graph`` (see the module doc).

    ``query_url`` (the store's SPARQL query endpoint) is optional; with it the staging graph
    and the target are counted, and a failure report says what the target holds.
    """
    from rdflib import BNode

    if batch_size < 1:
        raise RemoteError("batch size must be at least 1")
    target = _check_iri(graph_iri)
    staging = staging_graph_iri(target)
    say = progress or (lambda _message: None)
    with_bnodes = [t for t in graph if any(isinstance(term, BNode) for term in t)]
    ground = sorted((t for t in graph if not any(isinstance(x, BNode) for x in t)), key=_sort_key)
    total = len(with_bnodes) + len(ground)
    if total == 0:
        raise RemoteError("the graph is empty: nothing to push")
    batches = [ground[i : i + batch_size] for i in range(0, len(ground), batch_size)]
    updater = _Updater(update_url, timeout=timeout, retries=retries, backoff=backoff, sleep=sleep)
    warnings: list[str] = []

    def fail_before_target(step: str, exc: RemoteError) -> RemoteError:
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
        first += f" ;\nINSERT DATA {{ GRAPH <{staging}> {{\n{_nt_lines(with_bnodes)}}} }}"
    step = "the first request"
    try:
        say(f"staging {total} triples in <{staging}>")
        updater.update(first, "reset staging graph")
        for number, batch in enumerate(batches, start=1):
            step = f"batch {number}/{len(batches)}"
            updater.update(f"INSERT DATA {{ GRAPH <{staging}> {{\n{_nt_lines(batch)}}} }}", step)
            say(f"{step}: {len(batch)} triples")
        if query_url:
            step = "checking the staging graph"
            staged = count_triples(query_url, staging, timeout=timeout)
            if staged != total:
                raise RemoteError(f"the staging graph holds {staged} triples, not {total}")
    except RemoteError as exc:
        raise fail_before_target(step, exc) from None

    try:
        say(f"copying <{staging}> onto <{target}>")
        updater.update(f"COPY GRAPH <{staging}> TO GRAPH <{target}>", "copy onto target")
    except RemoteError as exc:
        state = "its state is unknown (no query endpoint to check it)"
        if query_url:
            try:
                held = count_triples(query_url, target, timeout=timeout)
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
    if query_url:
        remote = count_triples(query_url, target, timeout=timeout)
        if remote != total:
            raise RemoteError(
                f"after the push <{target}> holds {remote} triples, not {total}: the store "
                "changed the data (or another client wrote to the graph meanwhile)"
            )
    return PushReport(
        update_url=update_url,
        graph_iri=target,
        staging_iri=staging,
        triples=total,
        batches=len(batches) + 1,
        requests=updater.requests,
        retries=updater.retried,
        remote_triples=remote,
        warnings=tuple(warnings),
    )
