"""What the remote client refuses: redirects, hostile answers, slow parses, non-HTTP URLs, and
leaking credentials. A local HTTP server plays the hostile or misconfigured store.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef

from tests.conftest import copy_project
from tests.remote.test_push_and_query import FIXTURES, free_port

SECRET = "s3cr3t-pa55"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeStore:
    """Answers (method, path) with a canned (status, headers, body); records every request."""

    routes: dict[tuple[str, str], tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        store = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                store.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                status, headers, data = store.routes.get(
                    (self.command, self.path.split("?")[0]), (404, {}, b"no such route\n")
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def route(self, method: str, path: str, status: int = 200, headers=None, body=b"") -> None:
        self.routes[(method, path)] = (status, dict(headers or {}), body)

    def paths(self, method: str | None = None) -> list[str]:
        return [s.path for s in self.seen if method is None or s.method == method]


@pytest.fixture
def fake():
    store = FakeStore()
    yield store
    store.server.shutdown()
    store.server.server_close()


@pytest.fixture
def small_graph() -> Graph:
    graph = Graph()
    node = BNode()
    graph.add((URIRef("urn:a"), URIRef("urn:p"), Literal("x")))
    graph.add((URIRef("urn:a"), URIRef("urn:q"), node))
    graph.add((node, URIRef("urn:p"), Literal(1)))
    return graph


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("safety-project"), FIXTURES / "facts")


def in_time(call, seconds: float):
    """``call()``'s exception (or None), or a test failure when it is still busy after
    ``seconds`` (the call then runs on in a daemon thread)."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still busy after {seconds}s")
    return outcome.get("error")


def invoke(*args, env=None):
    from cli import cli

    return CliRunner().invoke(cli, list(args), env=env)


# -- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_update_fails_naming_the_location(fake, small_graph, status):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph

    moved = fake.base + "/moved"
    fake.route("POST", "/update", status, {"Location": moved})
    fake.route("GET", "/moved", 200, {"Content-Type": "text/plain"}, b"fine\n")
    fake.route("POST", "/moved", 200, {"Content-Type": "text/plain"}, b"fine\n")
    with pytest.raises(RemoteError) as caught:
        push_graph(small_graph, fake.base + "/update", retries=2, backoff=0)
    message = str(caught.value)
    assert f"HTTP {status}" in message and moved in message
    assert "Nothing was changed" in message
    assert fake.paths() == ["/update"]  # not re-sent, not followed, no clean-up sent either


def test_a_redirected_query_fails_naming_the_location(fake):
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    fake.route("POST", "/query", 302, {"Location": "http://elsewhere.invalid/sparql"})
    with pytest.raises(RemoteError, match=r"HTTP 302, a redirect to http://elsewhere\.invalid"):
        query_endpoint(fake.base + "/query", "ASK {}")
    assert fake.paths() == ["/query"]


# -- hostile answers ---------------------------------------------------------------------------

CONSTRUCT = "CONSTRUCT WHERE { ?s ?p ?o }"


def _contexts(base: str) -> list[object]:
    ctx = base + "/ctx.jsonld"
    return [
        {"@context": {"@import": ctx}, "@id": "urn:a", "urn:p": "x"},
        {"@context": ctx, "@id": "urn:a"},
        {"@context": "ctx.jsonld", "@id": "urn:a"},  # relative: resolved against the answer's URL
        {"@context": [ctx, {"p": "urn:p"}], "@id": "urn:a", "p": "x"},
        {"@context": [{"@import": ctx}], "@id": "urn:a"},
        {"@context": {"p": {"@id": "urn:p", "@context": ctx}}, "@id": "urn:a", "p": {"q": 1}},
        {"@graph": [{"@context": ctx, "@id": "urn:a"}]},
    ]


@pytest.mark.parametrize("number", range(7))
def test_remote_jsonld_contexts_are_refused_unfetched(fake, number):
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    fake.route(
        "GET", "/ctx.jsonld", 200, {"Content-Type": "application/ld+json"}, b'{"@context": {}}'
    )
    body = json.dumps(_contexts(fake.base)[number]).encode()
    fake.route("POST", "/ctx.jsonld", 200, {"Content-Type": "application/ld+json"}, body)
    fake.route("POST", "/query", 200, {"Content-Type": "application/ld+json"}, body)
    with pytest.raises(RemoteError, match="remote context|remote @context"):
        query_endpoint(fake.base + "/query", CONSTRUCT, accept="application/ld+json", timeout=10)
    assert fake.paths() == ["/query"]  # the context was never fetched


def test_a_local_jsonld_context_is_fine(fake):
    from kg.remote.client import query_endpoint

    body = json.dumps({"@context": {"p": "urn:p"}, "@id": "urn:a", "p": "x"}).encode()
    fake.route("POST", "/query", 200, {"Content-Type": "application/ld+json"}, body)
    answer = query_endpoint(fake.base + "/query", CONSTRUCT, accept="application/ld+json")
    assert [tuple(map(str, t)) for t in answer.result.to_graph()] == [("urn:a", "urn:p", "x")]


def _laughs(document: str) -> bytes:
    entities = '<!ENTITY a "aaaaaaaaaa">\n' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9)
    )
    return f'<?xml version="1.0"?>\n<!DOCTYPE r [\n{entities}]>\n{document}'.encode()


RDF_XML = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">'
    '<rdf:Description rdf:about="urn:x"><e:p>&j;</e:p></rdf:Description></rdf:RDF>'
)
RESULTS_XML = (
    '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="x"/></head>'
    '<results><result><binding name="x"><literal>&j;</literal></binding></result></results>'
    "</sparql>"
)


@pytest.mark.parametrize(
    ("media", "document", "query"),
    [
        ("application/rdf+xml", RDF_XML, CONSTRUCT),
        ("application/sparql-results+xml", RESULTS_XML, "SELECT ?x {}"),
    ],
)
def test_billion_laughs_fails_fast(fake, media, document, query):
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    body = _laughs(document)
    assert len(body) < 1200
    fake.route("POST", "/query", 200, {"Content-Type": media}, body)
    error = in_time(
        lambda: query_endpoint(fake.base + "/query", query, accept=media, timeout=60), 10
    )
    assert isinstance(error, RemoteError), error
    assert "DTD" in str(error)


def test_xml_external_entities_are_refused_unfetched(fake):
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "{fake.base}/secret">]>\n'
        + RDF_XML.replace("&j;", "&x;")
    ).encode()
    fake.route("GET", "/secret", 200, {"Content-Type": "text/plain"}, b"secret")
    fake.route("POST", "/query", 200, {"Content-Type": "application/rdf+xml"}, body)
    with pytest.raises(RemoteError, match="DTD"):
        query_endpoint(fake.base + "/query", CONSTRUCT, accept="application/rdf+xml")
    assert fake.paths() == ["/query"]


def test_the_timeout_bounds_the_parse_too(fake):
    """A large answer arrives at once but takes long to parse: the timeout covers that."""
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    lines = (f'<urn:s{i}> <urn:p> "value {i}" .\n' for i in range(300_000))
    fake.route(
        "POST", "/query", 200, {"Content-Type": "application/n-triples"}, "".join(lines).encode()
    )
    started = time.monotonic()
    error = in_time(lambda: query_endpoint(fake.base + "/query", CONSTRUCT, timeout=1.5), 20)
    assert isinstance(error, RemoteError), error
    assert "parsing" in str(error) and "within the timeout" in str(error)
    assert time.monotonic() - started < 6


# -- URLs and credentials ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/hostname", "ftp://127.0.0.1/x", "localhost:7878/q"])
def test_non_http_urls_are_refused_in_one_line(project, tmp_path, url):
    local = tmp_path / "local.txt"
    local.write_text("FIRST-LINE-OF-A-LOCAL-FILE\n")
    url = url.replace("/etc/hostname", str(local))
    pushed = invoke("--root", str(project), "push", "--endpoint", url)
    queried = invoke("query", "--endpoint", url, "ASK {}")
    for result in (pushed, queried):
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and result.output.startswith("error: ")
        assert "http:// or https://" in result.output
        assert "FIRST-LINE" not in result.output and "Traceback" not in result.output


def _basic(seen: Seen) -> str:
    header = seen.headers.get("Authorization", "")
    assert header.startswith("Basic "), seen.headers
    return base64.b64decode(header[6:]).decode()


UPDATED = (200, {"Content-Type": "text/plain"}, b"ok\n")


def test_credentials_in_the_url_go_as_basic_auth_and_are_never_shown(fake, small_graph):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph

    fake.route("POST", "/update", *UPDATED)
    url = fake.base.replace("://", f"://alice:{SECRET}@") + "/update"
    report = push_graph(small_graph, url, backoff=0)
    assert {_basic(seen) for seen in fake.seen} == {f"alice:{SECRET}"}
    assert SECRET not in json.dumps(report.as_dict()) and "alice" not in report.update_url
    # A store that echoes the request (credentials and all) in its error page.
    fake.route("POST", "/update", 400, {}, f"bad request from alice:{SECRET}@host\n".encode())
    with pytest.raises(RemoteError) as caught:
        push_graph(small_graph, url, backoff=0)
    assert "HTTP 400" in str(caught.value) and SECRET not in str(caught.value)


def test_cli_credentials_never_printed(project, fake):
    closed = f"http://bob:{SECRET}@127.0.0.1:{free_port()}/update"
    result = invoke("--root", str(project), "push", "--endpoint", closed, "--retries", "0")
    assert result.exit_code == 1 and SECRET not in result.output and "bob" not in result.output
    fake.route("POST", "/sparql", 500, {}, f"user bob password {SECRET}\n".encode())
    result = invoke(
        "query", "--endpoint", fake.base + "/sparql", "--user", f"bob:{SECRET}", "ASK {}"
    )
    assert result.exit_code == 1 and "HTTP 500" in result.output
    assert SECRET not in result.output
    assert _basic(fake.seen[0]) == f"bob:{SECRET}"


def test_user_option_and_environment(fake):
    answer = json.dumps({"head": {}, "boolean": True}).encode()
    fake.route("POST", "/sparql", 200, {"Content-Type": "application/sparql-results+json"}, answer)
    env = {"KG_REMOTE_USER": "carol", "KG_REMOTE_PASSWORD": SECRET}
    result = invoke(
        "query", "--endpoint", fake.base + "/sparql", "--format", "json", "ASK {}", env=env
    )
    assert result.exit_code == 0, result.output
    assert _basic(fake.seen[-1]) == f"carol:{SECRET}"
    # --user without :PASS takes the password from the environment
    env = {"KG_REMOTE_USER": None, "KG_REMOTE_PASSWORD": "from-env"}
    result = invoke(
        "query", "--endpoint", fake.base + "/sparql", "--user", "dave", "ASK {}", env=env
    )
    assert result.exit_code == 0, result.output
    assert _basic(fake.seen[-1]) == "dave:from-env"
    # without credentials no Authorization header is sent
    env = {"KG_REMOTE_USER": None, "KG_REMOTE_PASSWORD": None}
    result = invoke("query", "--endpoint", fake.base + "/sparql", "ASK {}", env=env)
    assert result.exit_code == 0, result.output
    assert "Authorization" not in fake.seen[-1].headers


# -- messages ----------------------------------------------------------------------------------


def test_push_to_a_closed_port_says_it_could_not_be_reached(project):
    url = f"http://127.0.0.1:{free_port()}/update"
    result = invoke("--root", str(project), "push", "--endpoint", url, "--retries", "1")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    assert "could not be reached" in lines[0] and "Nothing was changed" in lines[0]
    assert "partial copy" not in lines[0] and "staging graph <" not in lines[0]


def test_415_from_a_query_url_hints_at_the_update_url(fake, small_graph):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph

    fake.route("POST", "/ds/query", 415, {}, b"No supported content Content-Type given\n")
    with pytest.raises(RemoteError) as caught:
        push_graph(small_graph, fake.base + "/ds/query", backoff=0)
    message = str(caught.value)
    assert "HTTP 415" in message
    assert re.search(
        r"query endpoint\? kg push needs its SPARQL Update endpoint, probably "
        + re.escape(fake.base + "/ds/update"),
        message,
    ), message
