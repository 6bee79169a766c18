"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over the project graph, on uvicorn.

The application (routes, the protocol, the Host check, security headers) is
:mod:`kg.serve.app`; this module binds the socket, starts the worker pool and runs the
application on uvicorn (h11), with the connection-level limits a slow or hostile client meets:

* read deadline: a request (line, headers and body) must arrive within ``io_timeout`` seconds
  of the connection opening or of the previous answer, or the connection is closed, however
  slowly the bytes trickle in; an answer must be taken within ``timeout + io_timeout``;
* at most ``max_client_connections`` connections from one address (503 beyond) and
  ``max_connections`` in all (uvicorn's ``limit_concurrency``, 503 beyond);
* a request line over ``max_url`` + ``max_headers`` bytes is 414, a header block over it 431,
  any other malformed request 400 (h11 finds them: bad request lines, conflicting
  Content-Length headers…); one log line each, never a traceback.

What the endpoint guarantees as a whole:

* read-only: an update, in any of the protocol's forms, is answered 403;
* no outbound requests: SERVICE and FROM are refused before evaluation, protocol dataset
  parameters only select among the graphs held here, and the workers have no network
  (:mod:`kg.serve.pool`);
* bounded work: each query runs in a worker process that is killed at the deadline (503), with
  a memory cap; at most ``max_rows`` results, flagged with ``KG-Truncated`` when cut (and
  refused in CSV, TSV and JSON-LD unless ``partial=true``, see :mod:`kg.serve.protocol`);
* it binds to 127.0.0.1 unless told otherwise, answers only to its own host names, sends no
  CORS headers unless ``cors`` is set, and sends a strict Content-Security-Policy always.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from http import HTTPStatus

from kg.errors import InputError
from kg.serve.app import (
    SECURITY_HEADERS,
    ServeConfig,
    ServeState,
    create_app,
    examples,
    parse_protocol,
    static_files,
)
from kg.serve.pool import WorkerPool
from kg.serve.protocol import Served

__all__ = ["ServeConfig", "SparqlServer", "examples", "make_server", "parse_protocol"]


def _raw_response(status: int, message: str, extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A whole HTTP/1.1 error response with our headers, for answers h11 cannot frame."""
    body = (" ".join(message.split()) + "\n").encode()
    phrase = HTTPStatus(status).phrase
    lines = [
        f"HTTP/1.1 {status} {phrase}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
        "Cache-Control: no-store",
        *(f"{name}: {value}" for name, value in (*SECURITY_HEADERS, *extra)),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _protocol_class(config: ServeConfig):
    """uvicorn's h11 protocol with read deadlines, a per-client connection cap and one-line
    answers (414, 431, 400) to requests h11 refuses."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    per_client: dict[str, int] = {}
    head_limit = config.max_url + config.max_headers
    log = config.log

    class GuardedH11Protocol(H11Protocol):
        _counted = False
        _deadline: asyncio.TimerHandle | None = None
        _head = 0  # bytes of the request head received so far
        _line = 0  # bytes of its request line
        _line_done = False  # the request line is complete
        _working = False  # the whole request is in; the answer is being made or sent

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            with contextlib.suppress(OSError):
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = self.client[0] if self.client else "-"
            self._client_ip = client
            if per_client.get(client, 0) >= config.max_client_connections:
                transport.write(
                    _raw_response(
                        503,
                        f"too many connections from {client} (at most "
                        f"{config.max_client_connections}); try again shortly",
                        (("Retry-After", "1"),),
                    )
                )
                transport.close()
                return
            per_client[client] = per_client.get(client, 0) + 1
            self._counted = True
            self._arm(config.io_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._counted:
                self._counted = False
                left = per_client.get(self._client_ip, 1) - 1
                if left > 0:
                    per_client[self._client_ip] = left
                else:
                    per_client.pop(self._client_ip, None)
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                # h11 checks its limit only while a head is incomplete; a head that arrives
                # whole in one read is measured here.
                end = data.find(b"\r\n\r\n")
                head = data if end < 0 else data[:end]
                self._head += len(head)
                if not self._line_done:
                    newline = head.find(b"\n")
                    self._line += len(head) if newline < 0 else newline
                    self._line_done = newline >= 0
                if self._head > head_limit:
                    self.send_400_response("the request head is too long")
                    return
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._head, self._line, self._line_done = 0, 0, False
            self._track()

        def on_response_complete(self) -> None:
            super().on_response_complete()  # may start a pipelined request
            self._working = False
            if not self.transport.is_closing():
                self._arm(config.io_timeout)
                self._track()

        def _track(self) -> None:
            """Once a request is wholly in, its deadline becomes the query's plus the write's."""
            cycle = self.cycle
            received = cycle is not None and not cycle.more_body and not cycle.response_complete
            if received and not self._working:
                self._working = True
                self._arm(config.timeout + config.io_timeout + 1.0)

        def send_400_response(self, msg: str) -> None:
            if self._line > config.max_url:
                status, message = 414, f"the URL is over {config.max_url} bytes"
            elif self._head > head_limit:
                status, message = 431, f"the request headers are over {head_limit} bytes"
            else:
                status, message = 400, "malformed HTTP request"
            self.transport.write(_raw_response(status, message))
            self.transport.close()
            if log is not None:
                log(f"{self._client_ip} - - {status} ({message})")

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                # A request that did not arrive in time, or an answer not taken: drop it.
                self.transport.abort()

    return GuardedH11Protocol


class _LogLines(logging.Handler):
    """uvicorn's own warnings and errors as single lines in the server log (no tracebacks)."""

    def __init__(self, log) -> None:
        super().__init__(logging.WARNING)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        if message == "Invalid HTTP request received.":
            return  # the protocol logs these itself, with the status sent
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message += f": {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        if self._log is not None:
            self._log(f"server: {message}")


def _quiet_uvicorn_logs(log) -> None:
    handler = _LogLines(log)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False


class SparqlServer:
    """The bound socket, the worker pool and the uvicorn server that runs the application."""

    def __init__(self, config: ServeConfig, pool: WorkerPool, sock: socket.socket, app) -> None:
        import uvicorn

        self.config = config
        self.pool = pool
        self.socket = sock
        self.app = app
        #: Why the server stopped on its own (the pool can start no worker), else None.
        self.fatal: str | None = None
        _quiet_uvicorn_logs(config.log)
        self._uvicorn = uvicorn.Server(
            uvicorn.Config(
                app,
                http=_protocol_class(config),
                loop="asyncio",
                ws="none",
                lifespan="off",
                interface="asgi3",
                log_config=None,
                access_log=False,
                server_header=False,
                proxy_headers=False,  # X-Forwarded-For from anyone would fake the client address
                limit_concurrency=config.max_connections,
                timeout_keep_alive=max(1, min(5, int(config.io_timeout))),
                timeout_graceful_shutdown=2,
                h11_max_incomplete_event_size=config.max_url + config.max_headers,
            )
        )
        pool.on_fatal = self._pool_failed

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def _pool_failed(self, message: str) -> None:
        if self.fatal is None:
            self.fatal = message
            if self.config.log is not None:
                self.config.log(f"server: {message}; stopping")
        self._uvicorn.should_exit = True

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown`, SIGINT or SIGTERM (uvicorn's handlers), or until the
        pool fails (then :attr:`fatal` says why)."""
        self._uvicorn.run(sockets=[self.socket])

    def shutdown(self) -> None:
        self._uvicorn.should_exit = True

    def server_close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.close()
        self.pool.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(1024)
        sock.set_inheritable(False)
    except OSError:
        sock.close()
        raise
    return sock


def make_server(
    served: Served,
    config: ServeConfig,
    *,
    example_list: list[dict[str, str]] | None = None,
) -> SparqlServer:
    """Start the worker pool over ``served`` and bind the socket (not yet serving).

    Call before starting any thread in this process (the pool forks). Serve with
    ``server.serve_forever()``; afterwards call ``server.server_close()``.
    """
    static = static_files(config, examples() if example_list is None else example_list)
    pool = WorkerPool(
        served, size=config.workers, timeout=config.timeout, memory_mb=config.memory_mb
    ).start()
    try:
        sock = _bind(config.host, config.port)
    except OSError as exc:
        pool.close()
        raise InputError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}"
        ) from None
    state = ServeState(config=config, pool=pool, static=static)
    return SparqlServer(config, pool, sock, create_app(state))
