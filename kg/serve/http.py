"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over the project graph.

Routes: ``/sparql`` (also ``/sparql/``) answers queries by GET, form POST and direct POST;
``/`` is a query page that works offline (``/query.js``, ``/query.css``, ``/examples.json``,
``/vendor/codemirror.js``).

What the endpoint guarantees, and where:

* read-only: an update, in any of the protocol's forms, is answered 403 (here, before parsing,
  or by :mod:`kg.serve.protocol` for an update sent as a query);
* no outbound requests: SERVICE and FROM are refused before evaluation, protocol dataset
  parameters only select among the graphs held here, and the workers cannot connect anywhere
  (:mod:`kg.serve.pool`);
* bounded work: each query runs in a worker process that is killed at the deadline (503), with
  a memory cap; at most ``max_rows`` results, flagged with ``KG-Truncated`` when cut;
  request bodies and URLs are size-limited (413/414); a request must arrive within
  ``io_timeout`` seconds, and at most ``max_connections`` connections are served at once;
* it binds to 127.0.0.1 unless told otherwise, sends no CORS headers unless ``cors`` is set,
  and sends a strict Content-Security-Policy with every response.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from kg.errors import InputError
from kg.serve.pool import WorkerPool
from kg.serve.protocol import Job, Reply, Served

__all__ = ["SparqlServer", "ServeConfig", "examples", "make_server", "parse_protocol"]

_STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
_STATIC = {
    "/": ("query.html", "text/html; charset=utf-8"),
    "/query.js": ("query.js", "text/javascript; charset=utf-8"),
    "/query.css": ("query.css", "text/css; charset=utf-8"),
    # The query page's editor (CodeMirror 6, bundled; see kg/static/vendor/README.md).
    "/vendor/codemirror.js": ("vendor/codemirror.js", "text/javascript; charset=utf-8"),
}
#: Nothing but this server's own files; no inline script or style, no framing, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
_READ_ONLY = "updates are refused: this endpoint is read-only"


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
    io_timeout: float = 10.0  # seconds for a request to arrive (headers and body)
    max_connections: int = 64
    log: Callable[[str], None] | None = None  # one line per request


# -- the protocol ------------------------------------------------------------------------------


def _params(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=200
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise _ProtocolError(400, f"malformed parameters: {exc}") from None


class _ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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
    return Job(
        query=queries[0],
        default_graphs=tuple(v for n, v in params if n == "default-graph-uri"),
        named_graphs=tuple(v for n, v in params if n == "named-graph-uri"),
        accept=accept,
        formats=tuple(v for n, v in params if n in ("format", "output", "results")),
        max_rows=max_rows,
    )


# -- the query page's data ---------------------------------------------------------------------


def examples(queries_dir: Path | None = None) -> list[dict[str, str]]:
    """The competency questions (:mod:`kg.explore.ask`) as the query page's examples."""
    from kg.explore.ask import list_queries

    return [
        {"name": q.id, "title": q.title, "description": q.description, "query": q.text}
        for q in list_queries(queries_dir)
    ]


# -- HTTP --------------------------------------------------------------------------------------


class _DeadlineReader(io.RawIOBase):
    """Socket reads that fail once the handler's ``read_deadline`` has passed.

    A per-read socket timeout alone lets a client trickle one byte every few seconds forever;
    this bounds the whole request (line, headers, body) instead.
    """

    def __init__(self, sock: socket.socket, handler: _Handler) -> None:
        self._sock = sock
        self._handler = handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        remaining = self._handler.read_deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aichip-kg"
    server: SparqlServer
    read_deadline = 0.0

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    # -- connection plumbing -------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK, some 40 ms per keep-alive request.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self), 64 * 1024)

    def handle_one_request(self) -> None:
        self.read_deadline = time.monotonic() + self.server.config.io_timeout
        self._started = time.monotonic()
        super().handle_one_request()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log = self.server.config.log
        if log is None:
            return
        took = (time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000
        target = self.path if len(self.path) <= 120 else self.path[:117] + "..."
        log(f"{self.address_string()} {self.command} {target} {code} {size} {took:.0f}ms")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
        log = self.server.config.log
        if log is not None:
            log(f"{self.address_string()} {format % args}")

    def handle_expect_100(self) -> bool:
        if self._too_large():
            return False
        return super().handle_expect_100()

    def _too_large(self) -> bool:
        """Send 413 (and close) if the announced body is over the limit; True if so."""
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self.server.config.max_body:
            self.close_connection = True
            limit = self.server.config.max_body
            self._send_error(413, f"the request body is over {limit} bytes")
            self._linger()
            return True
        return False

    def _linger(self) -> None:
        """Read and drop what the client is still sending, briefly, so it sees our answer.

        Closing a socket with unread data makes the kernel send a reset, and the client may
        then lose the response it has not read yet.
        """
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + 1.0
            drained = 0
            while drained < 8 * 1024 * 1024 and time.monotonic() < deadline:
                self.connection.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 400/411/413/408 itself."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._send_error(411, "send the body with a Content-Length, not chunked")
            return None
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            self.close_connection = True
            self._send_error(400, "malformed Content-Length")
            return None
        if self._too_large():
            return None
        size = int(length)
        try:
            body = self.rfile.read(size)
        except TimeoutError:
            self.close_connection = True
            self._send_error(408, "the request body did not arrive in time")
            return None
        if len(body) != size:
            self.close_connection = True
            return None
        return body

    # -- responses -----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        headers: tuple[tuple[str, str], ...] = (),
        *,
        head_only: bool = False,
    ) -> None:
        self.connection.settimeout(self.server.config.io_timeout)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        if self.server.config.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header(
                "Access-Control-Expose-Headers", "KG-Truncated, KG-Max-Rows, KG-Warnings"
            )
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _send_reply(self, reply: Reply, *, head_only: bool = False) -> None:
        self._send(reply.status, reply.content_type, reply.body, reply.headers, head_only=head_only)

    def _send_error(self, status: int, message: str, headers=()) -> None:
        reply = Reply.error(status, message)
        self._send(status, reply.content_type, reply.body, tuple(headers))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own errors (bad request line, 414 for a line over 64 KiB, 501): the
        # same one-line text/plain body as ours, with our security headers.
        self.close_connection = True
        self._send_error(code, message or self.responses.get(code, ("error",))[0])

    # -- routing -------------------------------------------------------------------------------

    def _target(self) -> tuple[str, str] | None:
        if len(self.path) > self.server.config.max_url:
            self.close_connection = True
            self._send_error(414, f"the URL is over {self.server.config.max_url} bytes")
            return None
        url = urlsplit(self.path)
        return url.path, url.query

    def _is_sparql(self, path: str) -> bool:
        return path in ("/sparql", "/sparql/")

    def do_GET(self) -> None:
        self._get(head_only=False)

    def do_HEAD(self) -> None:
        self._get(head_only=True)

    def _get(self, *, head_only: bool) -> None:
        target = self._target()
        if target is None:
            return
        path, query_string = target
        if self._is_sparql(path):
            if head_only:
                self._method_not_allowed()
                return
            if not query_string and "text/html" in (self.headers.get("Accept") or ""):
                self._send(303, "text/plain; charset=utf-8", b"see /\n", (("Location", "/"),))
                return
            self._query("GET", query_string, b"")
            return
        if path == "/favicon.ico":
            self._send(204, "image/x-icon", b"", head_only=head_only)
            return
        static = self.server.static.get(path)
        if static is None:
            self._send_error(404, f"no such page: {path}; the endpoint is /sparql")
            return
        content_type, body = static
        self._send(200, content_type, body, head_only=head_only)

    def do_POST(self) -> None:
        target = self._target()
        if target is None:
            return
        path, query_string = target
        body = self._read_body()
        if body is None:
            return
        if not self._is_sparql(path):
            self._send_error(404, f"no such endpoint: {path}; POST queries to /sparql")
            return
        self._query("POST", query_string, body)

    def do_OPTIONS(self) -> None:
        headers = [("Allow", "GET, POST, HEAD, OPTIONS")]
        if self.server.config.cors:
            headers += [
                ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type, Accept"),
                ("Access-Control-Max-Age", "600"),
            ]
        self._send(204, "text/plain; charset=utf-8", b"", tuple(headers))

    def _method_not_allowed(self) -> None:
        self._send_error(
            405,
            f"{self.command} is not allowed; query with GET or POST (this endpoint is read-only)",
            [("Allow", "GET, POST, HEAD, OPTIONS")],
        )

    do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    def _query(self, method: str, query_string: str, body: bytes) -> None:
        config = self.server.config
        job = parse_protocol(
            method,
            query_string,
            self.headers.get("Content-Type"),
            body,
            accept=self.headers.get("Accept") or "",
            max_rows=config.max_rows,
        )
        reply = job if isinstance(job, Reply) else self.server.pool.run(job, config.timeout)
        headers = (*reply.headers, ("Vary", "Accept"))
        self._send(reply.status, reply.content_type, reply.body, headers)


class SparqlServer(ThreadingHTTPServer):
    """The HTTP server: a thread per connection (at most ``max_connections``), one pool."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: ServeConfig, pool: WorkerPool, static: dict) -> None:
        self.config = config
        self.pool = pool
        self.static = static
        self._active = 0
        self._active_lock = threading.Lock()
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        with self._active_lock:
            full = self._active >= self.config.max_connections
            if not full:
                self._active += 1
        if full:
            self._refuse(request)
            return
        thread = threading.Thread(target=self._process, args=(request, client_address), daemon=True)
        thread.start()

    def _process(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._active_lock:
                self._active -= 1

    def _refuse(self, request: socket.socket) -> None:
        body = b"too many connections; try again shortly\n"
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            request.settimeout(1.0)
            request.sendall(head.encode() + body)
        self.shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-answer is routine, not a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        self.pool.close()


def _static_files(config: ServeConfig, example_list: list[dict[str, str]]) -> dict:
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


def make_server(
    served: Served,
    config: ServeConfig,
    *,
    example_list: list[dict[str, str]] | None = None,
) -> SparqlServer:
    """Start the worker pool over ``served`` and bind the HTTP server (not yet serving).

    Call before starting any thread in this process (the pool forks). Serve with
    ``server.serve_forever()``; stop with ``server.shutdown()`` then ``server.server_close()``.
    """
    static = _static_files(config, examples() if example_list is None else example_list)
    pool = WorkerPool(
        served, size=config.workers, timeout=config.timeout, memory_mb=config.memory_mb
    ).start()
    try:
        return SparqlServer(config, pool, static)
    except OSError as exc:
        pool.close()
        raise InputError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}"
        ) from None
