"""No engine ever makes an outbound request: a corpus of SERVICE spellings against a listener.

Every query below would make an engine that runs SERVICE connect to a loopback listener. They
go through every store (`Store.query`), the CLI and every SPARQL protocol form of `kg serve` on
every engine, and the listener must see no connection at all. The corpus covers the ways a
checker and an engine could read a query differently: line ends inside comments (CR, CR LF,
form feed, Unicode separators), case, codepoint escapes, whitespace, nesting, SILENT, a
variable or a prefixed name as the endpoint.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse

import pytest
from click.testing import CliRunner

from cli import cli
from kg.errors import QueryError
from kg.project import default_project
from kg.store import open_graph
from tests._server import start_server
from tests.conftest import FIXTURES, copy_project


class Listener:
    """A loopback TCP server that counts connections (and answers like a SPARQL endpoint)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        body = (
            b'{"head":{"vars":["a"]},"results":{"bindings":[{"a":{"type":"literal","value":"x"}}]}}'
        )
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def listener():
    running = Listener()
    yield running
    running.close()


def corpus(port: int) -> list[str]:
    target = f"<http://127.0.0.1:{port}/sparql>"
    pattern = f"SERVICE {target} {{ ?a ?b ?c }}"
    queries = [
        f"SELECT * WHERE {{ {pattern} }}",
        f"select * where {{ {pattern.lower()} }}",
        f"SELECT * WHERE {{ SeRvIcE {target} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT {target} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ {{ {pattern} }} }} }}",
        f"SELECT * WHERE {{ BIND({target} AS ?e) SERVICE ?e {{ ?a ?b ?c }} }}",
        f"PREFIX ex: <http://127.0.0.1:{port}/> "
        f"SELECT * WHERE {{ SERVICE ex:sparql {{ ?a ?b ?c }} }}",
        f"ASK {{ {pattern} }}",
        f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {pattern} }}",
        f"DESCRIBE ?a WHERE {{ {pattern} }}",
        f"SELECT * WHERE {{\t{pattern}\t}}",
        f"SELECT * WHERE {{\u00a0{pattern} }}",
        f"SELECT * WHERE {{ ?s ?p ?o . FILTER EXISTS {{ {pattern} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ {pattern} }} }} }}",
    ]
    # A comment ended by every line end SPARQL knows, and by characters it does not count.
    for end in ("\n", "\r", "\r\n", "\n\r", "\f", "\v", "\x85", "\u2028", "\u2029"):
        queries.append(f"SELECT * WHERE {{ #{end}{pattern} }}")
        queries.append(f"# comment{end}SELECT * WHERE {{ {pattern} }}")
        queries.append(f"PREFIX ex: <http://example.org/> #{end}SELECT * WHERE {{ {pattern} }}")
    # Codepoint escapes, which SPARQL allows anywhere and some parsers expand before parsing.
    queries += [
        f"SELECT * WHERE {{ #\\u000D{pattern} }}",
        f"SELECT * WHERE {{ #\\u000A{pattern} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE {target} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p '''#''' . #\r{pattern} }}",
        f'SELECT * WHERE {{ ?s ?p "\\"#" . {pattern} }}',
    ]
    return queries


ENGINES = ["default", "memory", "oxigraph", "oxigraph:PATH"]


@pytest.fixture(scope="module", params=ENGINES)
def store(request, tmp_path_factory):
    spec = request.param
    if spec == "oxigraph:PATH":
        spec = f"oxigraph:{tmp_path_factory.mktemp('ssrf-store') / 'store'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KG_CACHE_DIR", str(tmp_path_factory.mktemp("ssrf-cache")))
        opened = open_graph(default_project(), spec)
    yield opened
    opened.close()


def test_no_store_reaches_the_network(store, listener):
    for text in corpus(listener.port):
        try:
            result = store.query(text)
        except QueryError:
            continue
        assert len(result) == 0 or result.kind == "ASK", (text, result)
    assert listener.connections == 0


def test_the_cli_never_reaches_the_network(listener, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    runner = CliRunner()
    for text in corpus(listener.port)[:8]:
        result = runner.invoke(cli, ["query", text])
        assert "Traceback" not in result.output
    assert listener.connections == 0


@pytest.fixture(scope="module", params=["memory", "oxigraph", "oxigraph:PATH"])
def server(request, tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("ssrf-project"), FIXTURES / "serve" / "facts")
    store = request.param
    if store == "oxigraph:PATH":
        store = f"oxigraph:{tmp_path_factory.mktemp('ssrf-serve-store') / 'store'}"
    log = tmp_path_factory.mktemp("ssrf-log") / "serve.log"
    running = start_server(project, "--timeout", "5", log=log, store=store)
    yield running
    running.stop()


def test_no_protocol_form_reaches_the_network(server, listener):
    for text in corpus(listener.port):
        encoded = urllib.parse.urlencode({"query": text})
        answers = [
            server.request("GET", "/sparql?" + encoded),
            server.request(
                "POST",
                "/sparql",
                encoded,
                {"Content-Type": "application/x-www-form-urlencoded"},
            ),
            server.request("POST", "/sparql", text, {"Content-Type": "application/sparql-query"}),
        ]
        for status, _headers, body in answers:
            assert status in (200, 400), (text, status, body)
            assert b"127.0.0.1" not in body or status == 400, (text, body)
    assert listener.connections == 0
