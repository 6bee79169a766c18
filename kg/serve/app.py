"""The ASGI application of ``kg serve`` (Starlette): routes, the SPARQL protocol, guards.

Routes (:func:`routes`): ``/sparql`` (also ``/sparql/``) answers queries by GET, form POST and
direct POST; ``/`` is a query page that works offline (``/query.js``, ``/query.css``,
``/examples.json``, ``/vendor/codemirror.js``); ``/id/…``, ``/ontology``, ``/search`` and
``/viz`` are the Linked Data pages of :mod:`kg.serve.pages`. New pages go into :func:`routes`.

Around the routes, in this order (:func:`create_app`):

* :class:`_Logged`: one log line per request, and any exception becomes a one-line 500 (no
  traceback reaches the log or the client);
* :class:`_Headers`: the Content-Security-Policy and the other security headers on every
  response (a route may send a policy of its own instead: ``/viz``'s pins its inline scripts
  by hash), and the CORS headers when ``cors`` is set;
* :class:`_Guard`: the HTTP version (505 unless 1.0/1.1), the ``Host`` header (421 unless it
  names this server: the bind address, ``localhost``, ``127.0.0.1``, ``[::1]`` or an
  ``allow_hosts`` name, so that a DNS-rebinding page cannot reach it), the URL length (414)
  and at most ``max_client_requests`` requests in progress per client address (429).

Queries run in the killable workers of :mod:`kg.serve.pool`, called from threads; the
connection-level limits (per-client connections, read deadlines, header sizes) are the HTTP
server's (:mod:`kg.serve.http`).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from kg.serve.pool import WorkerPool
from kg.serve.protocol import Job, Reply

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "ServeConfig",
    "ServeState",
    "create_app",
    "examples",
    "parse_protocol",
    "routes",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
_STATIC = {
    "/": ("query.html", "text/html; charset=utf-8"),
    "/query.js": ("query.js", "text/javascript; charset=utf-8"),
    "/query.css": ("query.css", "text/css; charset=utf-8"),
    # The query page's editor (CodeMirror 6, bundled; see kg/static/vendor/README.md).
    "/vendor/codemirror.js": ("vendor/codemirror.js", "text/javascript; charset=utf-8"),
    # The entity, ontology and search pages' style and script (kg.serve.pages).
    "/static/pages.css": ("pages.css", "text/css; charset=utf-8"),
    "/static/pages.js": ("pages.js", "text/javascript; charset=utf-8"),
}
#: Nothing but this server's own files; no inline script or style, no framing, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Server", "aichip-kg"),
)
_ALLOW = "GET, POST, HEAD, OPTIONS"
_UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
_READ_ONLY = "updates are refused: this endpoint is read-only"
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class ServeConfig:
    """How ``kg serve`` listens and what it allows (see ``kg serve --help``)."""

    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 10.0  # seconds a query may run (and wait for a worker)
    max_rows: int = 10_000  # results per response; more are cut and flagged
    workers: int = 2
    memory_mb: int = 1024  # address space a worker may add while answering (0: no cap)
    cors: bool = False
    max_body: int = 256 * 1024  # bytes of request body (413 beyond)
    max_url: int = 16 * 1024  # bytes of request target (414 beyond)
    max_headers: int = 32 * 1024  # bytes of header fields besides the request line (431 beyond)
    io_timeout: float = 10.0  # seconds for a request to arrive (headers and body)
    max_connections: int = 512  # connections served at once (503 beyond)
    max_client_connections: int = 32  # connections from one address at once (503 beyond)
    max_client_requests: int = 8  # requests from one address in progress at once (429 beyond)
    allow_hosts: tuple[str, ...] = ()  # Host names answered besides the bind address and loopback
    log: Callable[[str], None] | None = None  # one line per request

    def host_names(self) -> frozenset[str]:
        """The ``Host`` header names this server answers to (``*`` in ``allow_hosts``: any)."""
        names = {self.host.strip("[]").lower(), *_LOOPBACK_NAMES}
        names.update(_host_name(name) for name in self.allow_hosts)
        return frozenset(names)


# -- the protocol ------------------------------------------------------------------------------


class _ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _params(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=200
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise _ProtocolError(400, f"malformed parameters: {exc}") from None


def _media_type(header: str | None) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header, lower-cased."""
    if not header:
        return "", None
    media, *params = (part.strip() for part in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _ProtocolError(400, f"{what} is not valid UTF-8 (byte {exc.start})") from None


def parse_protocol(
    method: str,
    query_string: str,
    content_type: str | None,
    body: bytes,
    *,
    accept: str = "",
    max_rows: int = 10_000,
) -> Job | Reply:
    """The :class:`Job` a SPARQL 1.1 Protocol request asks for, or the error :class:`Reply`."""
    try:
        return _parse_protocol(method, query_string, content_type, body, accept, max_rows)
    except _ProtocolError as exc:
        return Reply.error(exc.status, str(exc))


def _parse_protocol(
    method: str,
    query_string: str,
    content_type: str | None,
    body: bytes,
    accept: str,
    max_rows: int,
) -> Job:
    params = _params(query_string)
    if method == "POST":
        media, charset = _media_type(content_type)
        if charset not in (None, "utf-8", "utf8"):
            if media == "application/sparql-update":
                raise _ProtocolError(403, _READ_ONLY)
            raise _ProtocolError(415, f"charset {charset} is not supported; send UTF-8")
        if media == "application/sparql-update":
            raise _ProtocolError(403, _READ_ONLY)
        if media == "application/x-www-form-urlencoded":
            params += _params(_utf8(body, "the form body"))
        elif media == "application/sparql-query":
            if any(name == "query" for name, _ in params):
                raise _ProtocolError(400, "the query is both in the URL and in the body")
            params.append(("query", _utf8(body, "the query")))
        elif not media:
            raise _ProtocolError(
                400,
                "a POST needs Content-Type application/sparql-query (the query as the body) "
                "or application/x-www-form-urlencoded (query=…)",
            )
        else:
            raise _ProtocolError(
                415,
                f"unsupported Content-Type {media}; use application/sparql-query or "
                "application/x-www-form-urlencoded",
            )
    names = [name for name, _ in params]
    if any(name in _UPDATE_PARAMS for name in names):
        raise _ProtocolError(403, _READ_ONLY)
    queries = [value for name, value in params if name == "query"]
    if not queries:
        raise _ProtocolError(400, "missing the 'query' parameter")
    if len(queries) > 1:
        raise _ProtocolError(400, f"{len(queries)} 'query' parameters; send exactly one")
    partial = [value.strip().lower() for name, value in params if name == "partial"]
    if any(value not in ("true", "false", "1", "0", "") for value in partial):
        raise _ProtocolError(400, "partial must be true or false")
    return Job(
        query=queries[0],
        default_graphs=tuple(v for n, v in params if n == "default-graph-uri"),
        named_graphs=tuple(v for n, v in params if n == "named-graph-uri"),
        accept=accept,
        formats=tuple(v for n, v in params if n in ("format", "output", "results")),
        max_rows=max_rows,
        partial=any(value in ("true", "1") for value in partial),
    )


# -- the query page's data ---------------------------------------------------------------------


def examples(queries_dir: Path | None = None) -> list[dict[str, str]]:
    """The competency questions (:mod:`kg.explore.ask`) as the query page's examples."""
    from kg.explore.ask import list_queries

    return [
        {"name": q.id, "title": q.title, "description": q.description, "query": q.text}
        for q in list_queries(queries_dir)
    ]


def static_files(
    config: ServeConfig, example_list: list[dict[str, str]]
) -> dict[str, tuple[str, bytes]]:
    """Path → (content type, body) of the query page's files, read once at start-up."""
    from kg.facts.load import PREFIXES

    files = {
        route: (content_type, (_STATIC_DIR / name).read_bytes())
        for route, (name, content_type) in _STATIC.items()
    }
    data = {
        "endpoint": "/sparql",
        "prefixes": PREFIXES,
        "examples": example_list,
        "maxRows": config.max_rows,
        "timeout": config.timeout,
    }
    files["/examples.json"] = (
        "application/json; charset=utf-8",
        json.dumps(data, ensure_ascii=False, indent=1).encode(),
    )
    return files


# -- state -------------------------------------------------------------------------------------


@dataclass
class ServeState:
    """What the routes answer from: the configuration, the worker pool, the page files."""

    config: ServeConfig
    pool: WorkerPool
    static: dict[str, tuple[str, bytes]]
    _waiting: Any = field(default=None, repr=False)  # anyio limiters, made in the event loop
    _threads: Any = field(default=None, repr=False)

    async def run(self, job: Job) -> Reply:
        """Answer ``job`` in a worker, within the query timeout counted from now."""
        import anyio
        import anyio.to_thread

        if self._waiting is None:
            # Queries waiting for a worker each hold a thread; beyond this many they wait
            # here, without one, until the same deadline.
            tokens = max(16, 4 * self.config.workers)
            self._waiting = anyio.CapacityLimiter(tokens)
            self._threads = anyio.CapacityLimiter(tokens)
        timeout = self.config.timeout
        started = time.monotonic()
        acquired = False
        with anyio.move_on_after(timeout):
            await self._waiting.acquire()
            acquired = True
        if not acquired:
            return _busy()
        try:
            remaining = max(0.0, timeout - (time.monotonic() - started))
            return await anyio.to_thread.run_sync(
                self.pool.run, job, remaining, limiter=self._threads
            )
        finally:
            self._waiting.release()


def _busy() -> Reply:
    reply = Reply.error(503, "all query workers are busy; try again shortly")
    return Reply(reply.status, reply.content_type, reply.body, (("Retry-After", "1"),))


# -- responses ---------------------------------------------------------------------------------


def _response(reply: Reply, *, extra: tuple[tuple[str, str], ...] = ()):
    from starlette.responses import Response

    headers = {"Content-Type": reply.content_type}
    headers.update(dict(reply.headers))
    headers.update(dict(extra))
    return Response(reply.body, status_code=reply.status, headers=headers)


def _error(status: int, message: str, *headers: tuple[str, str]):
    return _response(Reply.error(status, message), extra=headers)


async def send_reply(send: Send, reply: Reply, *, close: bool = False) -> None:
    """Send ``reply`` on a raw ASGI ``send`` (for the guards, before any route runs)."""
    headers = [
        (b"content-type", reply.content_type.encode()),
        (b"content-length", str(len(reply.body)).encode()),
    ]
    headers += [(name.lower().encode(), value.encode()) for name, value in reply.headers]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


# -- routes ------------------------------------------------------------------------------------


def routes(state: ServeState) -> list:
    """The application's routes (Starlette ``Route`` objects); new pages go here."""
    from starlette.routing import Route

    config = state.config

    async def sparql(request):
        method = request.method
        if method == "OPTIONS":
            return _options(config)
        if method not in ("GET", "POST"):
            return _error(
                405,
                f"{method} is not allowed; query with GET or POST (this endpoint is read-only)",
                ("Allow", _ALLOW),
            )
        query_string = request.url.query
        body = b""
        if method == "GET":
            if not query_string and "text/html" in request.headers.get("accept", ""):
                return _response(
                    Reply(303, "text/plain; charset=utf-8", b"see /\n", (("Location", "/"),))
                )
        else:
            body_or_error = await _read_body(request, config.max_body)
            if not isinstance(body_or_error, bytes):
                return body_or_error
            body = body_or_error
        job = parse_protocol(
            method,
            query_string,
            request.headers.get("content-type"),
            body,
            accept=request.headers.get("accept", ""),
            max_rows=config.max_rows,
        )
        reply = job if isinstance(job, Reply) else await state.run(job)
        return _response(reply, extra=(("Vary", "Accept"),))

    async def page(request):
        content_type, body = state.static[request.url.path]
        return _response(Reply(200, content_type, body))

    async def favicon(request):
        return _response(Reply(204, "image/x-icon", b""))

    from kg.serve.pages import Pages, page_routes

    every = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    return [
        *page_routes(Pages(state.run)),
        Route("/sparql", sparql, methods=every, name="sparql"),
        Route("/sparql/", sparql, methods=every),
        Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
        *(Route(path, page, methods=["GET", "HEAD"]) for path in state.static),
    ]


def _options(config: ServeConfig):
    headers: list[tuple[str, str]] = [("Allow", _ALLOW)]
    if config.cors:
        headers += [
            ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            ("Access-Control-Allow-Headers", "Content-Type, Accept"),
            ("Access-Control-Max-Age", "600"),
        ]
    return _response(Reply(204, "text/plain; charset=utf-8", b""), extra=tuple(headers))


async def _read_body(request, limit: int):
    """The request body, or the error response (413 over ``limit``, 400 if malformed)."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            return _error(400, "malformed Content-Length")
        if int(length) > limit:
            # Answered before reading: a client that sent Expect: 100-continue sends nothing.
            return _error(413, f"the request body is over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # a chunked body is counted as it comes
        size += len(chunk)
        if size > limit:
            return _error(413, f"the request body is over {limit} bytes", ("Connection", "close"))
        chunks.append(chunk)
    return b"".join(chunks)


# -- middleware --------------------------------------------------------------------------------


def _host_name(host: str) -> str:
    """The name in a Host header value (no port, no brackets, lower case, no final dot)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        if port.isdigit() or not port:
            host = name
    return host.rstrip(".")


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "-"


class _Guard:
    """HTTP version, Host header, URL length and per-client request cap (see the module doc)."""

    def __init__(self, app: ASGIApp, config: ServeConfig) -> None:
        self.app = app
        self.config = config
        self.names = config.host_names()
        self.any_host = "*" in self.names
        self.in_progress: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no lifespan, no websockets
        refusal = self._refusal(scope)
        if refusal is not None:
            await send_reply(send, refusal, close=True)
            return
        client = _client(scope)
        count = self.in_progress.get(client, 0)
        if count >= self.config.max_client_requests:
            reply = Reply.error(
                429,
                f"too many requests at once from {client} (at most "
                f"{self.config.max_client_requests}); wait for the answers before asking more",
            )
            retry = (("Retry-After", "1"),)
            await send_reply(send, Reply(429, reply.content_type, reply.body, retry))
            return
        self.in_progress[client] = count + 1
        try:
            await self.app(scope, receive, send)
        finally:
            left = self.in_progress[client] - 1
            if left:
                self.in_progress[client] = left
            else:
                del self.in_progress[client]

    def _refusal(self, scope: Scope) -> Reply | None:
        version = scope.get("http_version", "1.1")
        if version not in ("1.0", "1.1"):
            return Reply.error(505, f"HTTP/{version} is not supported; use HTTP/1.1")
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) != 1:
            return Reply.error(400, "a request needs exactly one Host header")
        try:
            host = _host_name(hosts[0].decode("ascii"))
        except UnicodeDecodeError:
            return Reply.error(400, "malformed Host header")
        if not self.any_host and host not in self.names:
            return Reply.error(
                421,
                f"this server does not answer for host {host!r}; start it with "
                f"--allow-host {host} to allow that name",
            )
        target = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) + 1
        if target > self.config.max_url:
            return Reply.error(414, f"the URL is over {self.config.max_url} bytes")
        return None


class _Headers:
    """Security headers (and CORS when configured) on every response."""

    def __init__(self, app: ASGIApp, config: ServeConfig) -> None:
        self.app = app
        extra = [(n.lower().encode(), v.encode()) for n, v in SECURITY_HEADERS]
        extra.append((b"cache-control", b"no-store"))
        self.policy = extra.pop(0)  # the Content-Security-Policy, unless the route sets one
        if config.cors:
            extra += [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", b"KG-Truncated, KG-Max-Rows, KG-Warnings"),
            ]
        self.extra = extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append(self.policy)
                message["headers"] = [*headers, *self.extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class _Logged:
    """One log line per request; an exception becomes a one-line 500 and a one-line log."""

    def __init__(self, app: ASGIApp, log: Callable[[str], None] | None) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.monotonic()
        sent = {"status": 0, "size": 0}

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sent["size"] += len(message.get("body", b""))
            await send(message)

        problem = ""
        try:
            await self.app(scope, receive, watched)
        except Exception as exc:  # noqa: BLE001 - the last guard: one line, never a traceback
            if type(exc).__name__ != "ClientDisconnect":
                problem = f" error: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            if not sent["status"]:
                with contextlib.suppress(Exception):
                    await send_reply(
                        watched, Reply.error(500, "internal error; see the server log"), close=True
                    )
        if self.log is not None:
            target = scope.get("raw_path", b"").decode("latin-1")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            if len(target) > 120:
                target = target[:117] + "..."
            took = (time.monotonic() - started) * 1000
            self.log(
                f"{_client(scope)} {scope.get('method', '-')} {target} {sent['status'] or '-'} "
                f"{sent['size']} {took:.0f}ms{problem}"
            )


def create_app(state: ServeState) -> ASGIApp:
    """The whole ASGI application over ``state`` (see the module doc for the layers)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException

    async def not_found(request, exc: HTTPException):
        if exc.status_code == 405:
            return _error(
                405,
                f"{request.method} is not allowed here; use GET or HEAD",
                ("Allow", "GET, HEAD"),
            )
        path = request.url.path
        if request.method == "POST":
            return _error(404, f"no such endpoint: {path}; POST queries to /sparql")
        return _error(exc.status_code, f"no such page: {path}; the endpoint is /sparql")

    starlette = Starlette(
        routes=routes(state),
        exception_handlers={404: not_found, 405: not_found},
    )
    config = state.config
    return _Logged(_Headers(_Guard(starlette, config), config), config.log)
