"""`kg push` and `kg query --endpoint` against a real Oxigraph server (the PyPI `oxigraph`).

Each Oxigraph is started by a fixture on a free loopback port with a temporary store and
stopped afterwards. Failures are injected by a small forwarding proxy in front of it, so the
store that must stay intact is the real one. Canned answers from a local fake endpoint check
that a cut or malformed answer is never taken for a short one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sysconfig
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef

from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.conftest import assert_isomorphic, copy_project, stop_process

FIXTURES = ALL_FIXTURES / "serve"
GRAPH = "https://w3id.org/aichip-kg/graph"
IN_CI = os.environ.get("CI") == "true"


# -- an Oxigraph server ------------------------------------------------------------------------


def oxigraph_binary() -> str | None:
    beside_python = Path(sysconfig.get_path("scripts")) / "oxigraph"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Oxigraph:
    process: subprocess.Popen
    base: str

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def update_url(self) -> str:
        return self.base + "/update"

    def update(self, text: str) -> None:
        request = urllib.request.Request(
            self.update_url,
            data=text.encode(),
            headers={"Content-Type": "application/sparql-update"},
        )
        urllib.request.urlopen(request, timeout=30).read()

    def graph(self, iri: str) -> Graph:
        """The named graph ``iri`` as Oxigraph holds it (N-Triples over the store protocol)."""
        url = self.base + "/store?" + urllib.parse.urlencode({"graph": iri})
        request = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
        try:
            body = urllib.request.urlopen(request, timeout=30).read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return Graph()
            raise
        return Graph().parse(data=body, format="nt")

    def stop(self) -> None:
        stop_process(self.process)


def start_oxigraph(directory: Path, *extra: str) -> Oxigraph:
    binary = oxigraph_binary()
    if binary is None:
        if IN_CI:
            pytest.fail("CI=true but the oxigraph server is not installed (pip install oxigraph)")
        pytest.skip("oxigraph server not installed")
    for _attempt in range(3):
        port = free_port()
        log = (directory / f"oxigraph-{port}.log").open("wb")
        process = subprocess.Popen(
            [
                binary,
                "serve",
                "--location",
                str(directory / "store"),
                "--bind",
                f"127.0.0.1:{port}",
                *extra,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                query = urllib.parse.urlencode({"query": "ASK {}"})
                urllib.request.urlopen(f"{base}/query?{query}", timeout=2).read()
                return Oxigraph(process, base)
            except OSError:
                time.sleep(0.1)
        process.kill()
        process.wait()
    raise AssertionError("oxigraph did not start")


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("remote-project"), FIXTURES / "facts")


@pytest.fixture(scope="module")
def graph(project) -> Graph:
    from kg.facts.load import load_graph
    from kg.project import Project

    loaded = load_graph(Project.at(project))
    assert any(isinstance(term, BNode) for triple in loaded for term in triple)
    return loaded


def _graph_plus(graph: Graph, *triples) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    for triple in triples:
        copy.add(triple)
    return copy


# -- a failure-injecting proxy -----------------------------------------------------------------


@dataclass
class Proxy:
    """Forwards to ``target``; ``fail(n, body)`` may answer request n (from 1) with a status."""

    target: str
    fail: object
    seen: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.seen.append(body)
                status = proxy.fail(len(proxy.seen), body)
                if status:
                    self.send_response(status)
                    self.send_header("Content-Length", "7")
                    self.end_headers()
                    self.wfile.write(b"failed\n")
                    return
                headers = {k: v for k, v in self.headers.items() if k in ("Content-Type", "Accept")}
                request = urllib.request.Request(
                    proxy.target + self.path, data=body, headers=headers, method="POST"
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        code, data, kind = response.status, response.read(), response.headers
                except urllib.error.HTTPError as exc:
                    code, data, kind = exc.code, exc.read(), exc.headers
                self.send_response(code)
                self.send_header("Content-Type", kind.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy_to(oxigraph):
    made = []

    def make(fail) -> Proxy:
        made.append(Proxy(oxigraph.base, fail))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


# -- pushing -----------------------------------------------------------------------------------


def test_push_then_query_back_isomorphic(oxigraph, graph):
    from kg.remote.client import push_graph, query_endpoint, staging_graph_iri

    report = push_graph(
        graph, oxigraph.update_url, query_url=oxigraph.query_url, batch_size=100, backoff=0
    )
    ground = sum(1 for t in graph if not any(isinstance(x, BNode) for x in t))
    assert report.triples == len(graph) == report.remote_triples
    assert report.batches == -(-ground // 100) and report.retries == 0
    answer = query_endpoint(
        oxigraph.query_url, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert answer.content_type == "application/n-triples"
    assert_isomorphic(graph, answer.result.to_graph())
    assert_isomorphic(graph, oxigraph.graph(GRAPH))  # read back a second way
    assert len(oxigraph.graph(staging_graph_iri(GRAPH))) == 0


def test_push_twice_leaves_the_same_triples(oxigraph, graph):
    from kg.remote.client import push_graph

    sentinel = "https://example.org/other-graph"
    oxigraph.update(
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:stale> <urn:p> 1 }} "
        f"GRAPH <{sentinel}> {{ <urn:keep> <urn:p> 2 }} }}"
    )
    push_graph(graph, oxigraph.update_url, backoff=0)
    first = oxigraph.graph(GRAPH)
    push_graph(graph, oxigraph.update_url, backoff=0)
    second = oxigraph.graph(GRAPH)
    ground = {t for t in first if not any(isinstance(x, BNode) for x in t)}
    assert ground == {t for t in second if not any(isinstance(x, BNode) for x in t)}
    assert len(first) == len(second) == len(graph)
    assert_isomorphic(first, second)
    assert (URIRef("urn:stale"), URIRef("urn:p"), Literal(1)) not in second
    assert len(oxigraph.graph(sentinel)) == 1  # other graphs are left alone


def test_failure_while_loading_leaves_the_target_as_it_was(oxigraph, graph, proxy_to):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph, staging_graph_iri

    push_graph(graph, oxigraph.update_url, backoff=0)
    before = oxigraph.graph(GRAPH)
    # Request 1 resets the staging graph, 2 is batch 1; batch 2 then fails every time.
    proxy = proxy_to(lambda n, body: 503 if body.startswith(b"INSERT DATA") and n >= 3 else None)
    changed = _graph_plus(graph, (URIRef("urn:new"), URIRef("urn:p"), Literal("v2")))
    with pytest.raises(RemoteError) as caught:
        push_graph(changed, proxy.base + "/update", batch_size=200, retries=2, backoff=0)
    message = str(caught.value)
    assert "batch 2/" in message and "was not changed" in message
    assert "gave up after 3 attempts" in message
    assert f"<{staging_graph_iri(GRAPH)}> was dropped" in message
    assert_isomorphic(before, oxigraph.graph(GRAPH))
    assert len(oxigraph.graph(staging_graph_iri(GRAPH))) == 0
    batch_two = [body for body in proxy.seen if body.startswith(b"INSERT DATA")][1:]
    assert len(batch_two) == 3  # one try and two retries


def test_transient_errors_are_retried(oxigraph, graph, proxy_to):
    from kg.remote.client import push_graph

    failed = []

    def flaky(n, body):
        if body.startswith(b"INSERT DATA") and not failed:
            failed.append(n)
            return 503
        return None

    proxy = proxy_to(flaky)
    changed = _graph_plus(graph, (URIRef("urn:new"), URIRef("urn:p"), Literal("retried")))
    report = push_graph(
        changed,
        proxy.base + "/update",
        query_url=proxy.base + "/query",
        batch_size=300,
        retries=2,
        backoff=0,
    )
    assert report.retries == 1 and failed
    assert report.remote_triples == len(changed)
    assert_isomorphic(changed, oxigraph.graph(GRAPH))


def test_failed_copy_says_what_state_the_graphs_are_in(oxigraph, graph, proxy_to):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph, staging_graph_iri

    push_graph(graph, oxigraph.update_url, backoff=0)
    before = oxigraph.graph(GRAPH)
    proxy = proxy_to(lambda n, body: 500 if body.startswith(b"COPY") else None)
    changed = _graph_plus(graph, (URIRef("urn:new"), URIRef("urn:p"), Literal("copy")))
    with pytest.raises(RemoteError) as caught:
        push_graph(
            changed, proxy.base + "/update", query_url=oxigraph.query_url, retries=1, backoff=0
        )
    message = str(caught.value)
    assert f"it holds {len(graph)} triples (the push has {len(changed)})" in message
    assert f"still holds all {len(changed)} triples" in message
    assert_isomorphic(before, oxigraph.graph(GRAPH))
    assert len(oxigraph.graph(staging_graph_iri(GRAPH))) == len(changed)
    push_graph(graph, oxigraph.update_url, backoff=0)  # a rerun cleans up
    assert len(oxigraph.graph(staging_graph_iri(GRAPH))) == 0


def test_unreachable_store_is_an_error(graph):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph

    with pytest.raises(RemoteError, match="cannot reach"):
        push_graph(graph, f"http://127.0.0.1:{free_port()}/update", retries=1, backoff=0)


# -- querying ----------------------------------------------------------------------------------


def test_oxigraph_timeout_is_never_a_short_answer(tmp_path):
    """Oxigraph answers a timed-out query 200 with a cut body; the client refuses it."""
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    server = start_oxigraph(tmp_path, "--timeout-s", "1")
    try:
        data = "\n".join(f"<urn:s{i}> <urn:p> <urn:o{i % 50}> ." for i in range(3000))
        request = urllib.request.Request(
            server.base + "/store?graph=urn:g",
            data=data.encode(),
            method="PUT",
            headers={"Content-Type": "application/n-triples"},
        )
        urllib.request.urlopen(request, timeout=30).read()
        # (With GRAPH <urn:g> instead, Oxigraph 0.5 streams on past its timeout; the client's
        # own deadline covers that: test_endless_answer_is_cut_off.)
        where = "WHERE { GRAPH ?g { ?a ?b ?c . ?d ?e ?f . ?x ?y ?z } }"
        for query, accept in [
            (f"SELECT * {where}", None),
            (f"SELECT * {where}", "text/csv"),
            (f"SELECT * {where}", "application/sparql-results+xml"),
            (f"CONSTRUCT {{ ?a ?b ?f }} {where}", None),
        ]:
            with pytest.raises(RemoteError, match="does not parse completely"):
                query_endpoint(server.query_url, query, accept=accept, timeout=60)
        answer = query_endpoint(
            server.query_url, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
        )
        assert int(answer.result.rows[0][0]) == 3000
    finally:
        server.stop()


@pytest.fixture
def canned():
    """A fake endpoint answering each POST with the next (status, content type, body)."""
    answers: list[tuple[int, str, bytes]] = []
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            status, kind, body = answers.pop(0)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body) + (5 if kind == "short" else 0)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", answers, received
    server.shutdown()
    server.server_close()


GOOD_JSON = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"1"}}]}}'


@pytest.mark.parametrize(
    ("kind", "body", "query"),
    [
        ("application/sparql-results+json", GOOD_JSON[:-8], "SELECT ?x {}"),
        (
            "application/sparql-results+json",
            GOOD_JSON + b"The operation was cancelled",
            "SELECT ?x {}",
        ),
        ("application/sparql-results+json", b'{"head": {}}', "SELECT ?x {}"),
        ("text/csv", b"x,y\r\n1,2\r\nThe SPARQL operation has been cancelled", "SELECT ?x ?y {}"),
        ("text/csv", b"x,y\r\n1,2\r\n3", "SELECT ?x ?y {}"),
        ("application/sparql-results+xml", b"<?xml version='1.0'?><sparql><head>", "ASK {}"),
        (
            "application/n-triples",
            b"<urn:a> <urn:b> <urn:c> .\ncancelled",
            "CONSTRUCT WHERE { ?s ?p ?o }",
        ),
        (
            "application/ld+json",
            b'{"@context": "http://127.0.0.1:9/c", "@id": "urn:a"}',
            "CONSTRUCT WHERE { ?s ?p ?o }",
        ),
        ("text/html", b"<html>oops</html>", "SELECT ?x {}"),
        ("short", GOOD_JSON, "SELECT ?x {}"),
    ],
)
def test_cut_or_malformed_answers_are_errors(canned, kind, body, query):
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    url, answers, _received = canned
    answers.append((200, kind, body))
    with pytest.raises(RemoteError):
        query_endpoint(url, query, timeout=10)


def test_endless_answer_is_cut_off():
    """An answer that streams without end fails at the client's deadline, not never."""
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    class Endless(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head":{"vars":["x"]},"results":{"bindings":[')
            with contextlib.suppress(OSError):
                for _ in range(600):
                    self.wfile.write(b'{"x":{"type":"literal","value":"1"}},' * 100)
                    time.sleep(0.01)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(RemoteError, match="not complete within the timeout"):
            query_endpoint(
                f"http://127.0.0.1:{server.server_address[1]}/", "SELECT ?x {}", timeout=1.5
            )
        assert time.monotonic() - started < 4
        with pytest.raises(RemoteError, match="larger than 1000 bytes"):
            query_endpoint(
                f"http://127.0.0.1:{server.server_address[1]}/", "SELECT ?x {}", max_bytes=1000
            )
    finally:
        server.shutdown()
        server.server_close()


def test_error_status_and_good_answer(canned):
    from kg.errors import RemoteError
    from kg.remote.client import query_endpoint

    url, answers, received = canned
    answers.append((400, "text/plain", b"Parse error at line 1\nmore detail"))
    with pytest.raises(RemoteError, match="HTTP 400: Parse error at line 1$"):
        query_endpoint(url, "SELECT ?x {}")
    answers.append((200, "application/sparql-results+json; charset=utf-8", GOOD_JSON))
    answer = query_endpoint(url, "SELECT ?x WHERE { ?x a kg:Thing }")
    assert answer.result.variables == ("x",) and str(answer.result.rows[0][0]) == "1"
    sent = urllib.parse.parse_qs(received[-1].decode())["query"][0]
    # The project prefixes the query uses but does not declare are added, on one line.
    assert sent.splitlines()[0].startswith("PREFIX kg: <https://w3id.org/aichip-kg/id/>")
    assert sent.splitlines()[1:] == ["SELECT ?x WHERE { ?x a kg:Thing }"]


def test_with_prefixes_keeps_the_users_own():
    from kg.remote.client import with_prefixes

    text = with_prefixes("SELECT * {}", declared={"kg", "rdfs"})
    assert "PREFIX kg:" not in text and "PREFIX rdfs:" not in text and "PREFIX org:" in text


# -- the CLI -----------------------------------------------------------------------------------


def test_kg_push_and_kg_query_endpoint(oxigraph, project, graph):
    from cli import cli

    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--root",
            str(project),
            "push",
            "--endpoint",
            oxigraph.update_url,
            "--json",
            "--batch-size",
            "250",
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["triples"] == len(graph) == report["remote_triples"]
    assert report["graph"] == GRAPH
    query = f"SELECT ?label WHERE {{ GRAPH <{GRAPH}> {{ kg:huawei rdfs:label ?label }} }}"
    result = runner.invoke(
        cli, ["query", "--endpoint", oxigraph.query_url, "--format", "csv", query]
    )
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()[1:]) == sorted(["Huawei", "华为", "華為"])
    result = runner.invoke(cli, ["query", "--endpoint", oxigraph.query_url, "SELECT ?x WHERE {"])
    assert result.exit_code == 2 and "query:1:" in result.output
    result = runner.invoke(cli, ["query", "--endpoint", oxigraph.query_url, "--infer", "ASK {}"])
    assert result.exit_code == 2


def test_kg_push_to_nowhere_exits_1(project):
    from cli import cli

    url = f"http://127.0.0.1:{free_port()}/update"
    result = CliRunner().invoke(
        cli, ["--root", str(project), "push", "--endpoint", url, "--retries", "0"]
    )
    assert result.exit_code == 1
    assert result.output.count("error:") == 1 and "cannot reach" in result.output


def test_kg_push_json_batches_match_the_progress_lines(oxigraph, project, graph):
    import re

    from cli import cli

    result = CliRunner().invoke(
        cli,
        ["--root", str(project), "push", "--endpoint", oxigraph.update_url, "--json"]
        + ["--batch-size", "100", "--no-cache"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    numbered = re.findall(r"^batch (\d+)/(\d+): (\d+) triples$", result.stderr, re.M)
    assert numbered and report["batches"] == len(numbered) == int(numbered[-1][1])
    ground = sum(int(count) for _n, _of, count in numbered)
    assert ground == sum(1 for t in graph if not any(isinstance(x, BNode) for x in t))


def test_pushing_to_the_query_url_hints_at_the_update_url(oxigraph, graph):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph

    with pytest.raises(RemoteError) as caught:
        push_graph(graph, oxigraph.query_url, backoff=0)
    message = str(caught.value)
    assert "HTTP 415" in message and f"probably {oxigraph.update_url}" in message
    assert "Nothing was changed" in message


def test_kg_push_sends_kg_loaded_data_too(oxigraph, graph, tmp_path):
    """The README's shared-store setup: curated facts plus a kg load, pushed and queried."""
    from cli import cli

    project = copy_project(tmp_path / "project", FIXTURES / "facts")
    dump = tmp_path / "extra.nt"
    dump.write_text(
        "".join(
            f'<urn:loaded:{i}> <{"http://www.w3.org/2000/01/rdf-schema#label"}> "L{i}" .\n'
            for i in range(25)
        )
    )
    on_store = ["--root", str(project), "--store", f"oxigraph:{tmp_path / 'store'}"]
    runner = CliRunner()
    result = runner.invoke(cli, [*on_store, "load", str(dump)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*on_store, "push", "--endpoint", oxigraph.update_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["triples"] == len(graph) + 25 == report["remote_triples"]
    query = f"SELECT ?l WHERE {{ GRAPH <{GRAPH}> {{ <urn:loaded:7> rdfs:label ?l }} }}"
    result = runner.invoke(
        cli, ["query", "--endpoint", oxigraph.query_url, "-f", "-", "--format", "csv"], input=query
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["l", "L7"]
