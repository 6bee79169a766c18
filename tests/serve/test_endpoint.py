"""`kg serve`: the SPARQL 1.1 Protocol endpoint, tested through a real `kg serve` subprocess.

The servers run on a small fixture project (the real ontology plus tests/fixtures/serve/facts)
so answers are exact and fast; one smoke test runs on the real graph. Responses are checked
with parsers other than the server's (json, csv, ElementTree, pyoxigraph, pyld) and with
SPARQLWrapper, a client nobody here wrote.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection

from tests._server import processes_mentioning, start_server
from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.conftest import REPO, copy_project

FIXTURES = ALL_FIXTURES / "serve"
MANIFEST = ALL_FIXTURES / "w3c" / "protocol-manifest.ttl"
TIMEOUT = 2.0  # the fixture server's --timeout
MAX_ROWS = 50  # the fixture server's --max-rows
IN_CI = os.environ.get("CI") == "true"

SOLUTION_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {"text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"}
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"


# -- servers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("serve-project"), FIXTURES / "facts")


#: The engines a server evaluates with: rdflib (the default store), pyoxigraph in memory
#: (`--store oxigraph`) and pyoxigraph on a checkpoint of a disk store (`oxigraph:PATH`);
#: the fixture servers run once per engine.
ENGINES = ["memory", "oxigraph", "oxigraph:PATH"]


def _store_option(engine: str, tmp_path_factory) -> str:
    if engine == "oxigraph:PATH":
        return f"oxigraph:{tmp_path_factory.mktemp('serve-store') / 'store'}"
    return engine


@pytest.fixture(scope="module", params=ENGINES)
def server(project, tmp_path_factory, request):
    """The main fixture server: W3C graphs served too, a short timeout, a small row cap."""
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    running = start_server(
        project,
        "--timeout",
        str(TIMEOUT),
        "--max-rows",
        str(MAX_ROWS),
        "--io-timeout",
        "1.5",
        "--named-graphs",
        str(FIXTURES / "w3c-protocol-graphs.trig"),
        log=log,
        store=_store_option(request.param, tmp_path_factory),
    )
    running.engine = request.param
    yield running
    running.stop()


@pytest.fixture(scope="module", params=ENGINES)
def cors_server(project, tmp_path_factory, request):
    """A second server: --cors, one worker, a small memory cap."""
    log = tmp_path_factory.mktemp("serve-log") / "serve-cors.log"
    running = start_server(
        project,
        "--cors",
        "--workers",
        "1",
        "--memory-mb",
        "100",
        "--timeout",
        "30",
        log=log,
        store=_store_option(request.param, tmp_path_factory),
    )
    running.engine = request.param
    yield running
    running.stop()


def fixture_graph(project: Path) -> Graph:
    from kg.facts.load import load_graph
    from kg.project import Project

    return load_graph(Project.at(project))


# -- the W3C SPARQL 1.1 Protocol manifest ------------------------------------------------------

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: set[str]  # "2xx", "3xx", "4xx"
    format: str | None
    boolean: bool | None


@dataclass
class ProtocolCase:
    name: str
    requests: list[ProtocolRequest] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.name.split("_")[0] if not self.name.startswith("bad_") else "bad"


def manifest_cases() -> list[ProtocolCase]:
    graph = Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(URIRef(str(MF) + "entries"), None))
    cases = []
    for test in Collection(graph, graph.value(manifest, MF.entries)):
        case = ProtocolCase(name=str(test).rsplit("#", 1)[-1])
        action = graph.value(test, MF.action)
        for request in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(request, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    name = str(graph.value(header, HT.fieldName))
                    headers[name] = str(graph.value(header, HT.fieldValue))
            body = graph.value(request, HT.body)
            response = graph.value(request, HT.resp)
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            case.requests.append(
                ProtocolRequest(
                    method=str(graph.value(request, HT.methodName)),
                    path=str(graph.value(request, HT.absolutePath)),
                    headers=headers,
                    body=str(graph.value(body, CNT.chars)) if body is not None else None,
                    statuses={
                        str(s).rsplit("StatusCode", 1)[1]
                        for s in graph.objects(response, MF.expectedStatus)
                    },
                    format=str(fmt) if fmt is not None else None,
                    boolean=bool(boolean.toPython()) if boolean is not None else None,
                )
            )
        cases.append(case)
    return cases


CASES = manifest_cases()


def test_manifest_is_the_full_w3c_suite():
    assert MANIFEST.exists(), f"missing {MANIFEST}"
    kinds = [case.kind for case in CASES]
    assert len(CASES) == 34
    assert kinds.count("query") == 13
    assert kinds.count("update") == 7
    assert kinds.count("bad") == 14


def _boolean_of(content_type: str, body: bytes) -> bool:
    if content_type == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    root = ET.fromstring(body)
    return root.find(f"{RESULTS_NS}boolean").text.strip() == "true"


def _check_format(expected: str, content_type: str, body: bytes) -> None:
    if expected == "boolean":
        assert content_type in ("application/sparql-results+json", "application/sparql-results+xml")
        _boolean_of(content_type, body)
    elif expected == "tabular":
        assert content_type in SOLUTION_TYPES
        if content_type == "application/sparql-results+json":
            assert isinstance(json.loads(body)["results"]["bindings"], list)
    elif expected == "RDF":
        import pyoxigraph

        assert content_type in RDF_TYPES
        formats = {
            "text/turtle": pyoxigraph.RdfFormat.TURTLE,
            "application/n-triples": pyoxigraph.RdfFormat.N_TRIPLES,
            "application/rdf+xml": pyoxigraph.RdfFormat.RDF_XML,
        }
        if content_type in formats:
            list(pyoxigraph.parse(body, formats[content_type], base_iri="http://www.example/s/"))
    else:
        raise AssertionError(f"unknown expected format {expected}")


def _status_class(status: int) -> str:
    return f"{status // 100}xx"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_w3c_protocol_case(server, case):
    """Query cases pass as the manifest states; every update is refused and changes nothing.

    The dataset cases (default-graph-uri, named-graph-uri) find the manifest's graphs because
    this server also serves tests/fixtures/serve/w3c-protocol-graphs.trig: graphs are chosen
    among those served here, never fetched.
    """
    for number, req in enumerate(case.requests):
        path = req.path.replace("/sparql/", "/sparql/", 1)
        status, headers, body = server.request(req.method, path, req.body, req.headers)
        content_type = headers.get("content-type", "").split(";")[0]
        where = f"{case.name} request {number + 1}: {status} {body[:300]!r}"
        if case.kind == "update":
            if number == 0:
                assert status == 403, where  # the update itself: refused
                assert body.count(b"\n") == 1 and b"read-only" in body, where
            else:
                # The manifest's follow-up ASK checks the update's effect: there is none.
                assert status == 200, where
                assert _boolean_of(content_type, body) is False, where
            continue
        assert _status_class(status) in req.statuses, where
        if status >= 400:
            assert body.count(b"\n") == 1, f"{where}: error bodies are one line"
        if req.format is not None:
            _check_format(req.format, content_type, body)
        if req.boolean is not None:
            assert _boolean_of(content_type, body) is req.boolean, where


def test_dataset_cases_really_select_graphs(server):
    """The W3C graphs are reachable only by naming them: not in the default graph."""
    data1 = "<http://kasei.us/2009/09/sparql/data/data1.rdf>"
    status, _, body = server.query(f"ASK {{ {data1} a ?type }}")
    assert json.loads(body)["boolean"] is False
    status, _, body = server.query(
        f"ASK {{ {data1} a ?type }}",
        params=[("default-graph-uri", "http://kasei.us/2009/09/sparql/data/data1.rdf")],
    )
    assert json.loads(body)["boolean"] is True
    # The project graph has a name too, and naming it gives the default graph back.
    status, _, body = server.query(
        "ASK { kg:huawei a aichip:Company }",
        params=[("default-graph-uri", "https://w3id.org/aichip-kg/graph")],
    )
    assert status == 200 and json.loads(body)["boolean"] is True


# -- read-only ---------------------------------------------------------------------------------

UPDATES = [
    ("GET", "/sparql?" + urllib.parse.urlencode({"update": "CLEAR ALL"}), None, {}),
    (
        "POST",
        "/sparql",
        urllib.parse.urlencode({"update": "DELETE WHERE { ?s ?p ?o }"}),
        {"Content-Type": "application/x-www-form-urlencoded"},
    ),
    ("POST", "/sparql", "DROP ALL", {"Content-Type": "application/sparql-update"}),
    (
        "POST",
        "/sparql",
        "INSERT DATA { <urn:x> <urn:y> <urn:z> }",
        {"Content-Type": "application/sparql-update; charset=UTF-8"},
    ),
    (
        "POST",
        "/sparql",
        urllib.parse.urlencode({"query": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}),
        {"Content-Type": "application/x-www-form-urlencoded"},
    ),
    (
        "POST",
        "/sparql",
        "PREFIX kg: <https://w3id.org/aichip-kg/id/>\nDELETE DATA { kg:huawei a kg:x }",
        {"Content-Type": "application/sparql-query"},
    ),
    (
        "GET",
        "/sparql?" + urllib.parse.urlencode({"query": "LOAD <http://127.0.0.1:9/x>"}),
        None,
        {},
    ),
    (
        "POST",
        "/sparql?using-graph-uri=urn:g",
        "CLEAR DEFAULT",
        {"Content-Type": "application/sparql-update"},
    ),
]


def _dump(server) -> Graph:
    status, _, body = server.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", accept="application/n-triples"
    )
    assert status == 200
    return Graph().parse(data=body, format="nt")


def test_updates_are_refused_and_change_nothing(cors_server, project):
    """Every update form is 403; the data is the same afterwards (cors_server: no row cap)."""
    before = _dump(cors_server)
    assert len(before) == len(fixture_graph(project))
    for method, path, body, headers in UPDATES:
        status, _, answer = cors_server.request(method, path, body, headers)
        assert status == 403, (method, path, body, answer)
        assert b"read-only" in answer
    after = _dump(cors_server)
    assert len(after) == len(before)
    from tests.conftest import assert_isomorphic

    assert_isomorphic(before, after)


# -- no outbound requests ----------------------------------------------------------------------


class Listener:
    """A loopback socket that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, address = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(address)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener():
    running = Listener()
    yield running
    running.close()


def test_listener_sees_connections(listener):
    """The check below can fail: a connection to the listener is recorded."""
    socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
    time.sleep(0.5)
    assert len(listener.connections) == 1


def test_no_outbound_requests(server, listener):
    here = f"http://127.0.0.1:{listener.port}"
    refused = [
        (f"SELECT * WHERE {{ SERVICE <{here}/> {{ ?s ?p ?o }} }}", []),
        (f"SELECT * WHERE {{ SERVICE SILENT <{here}/> {{ ?s ?p ?o }} }}", []),
        (f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{here}/> {{ ?s ?p ?o }} }} }}", []),
        (f"SELECT * FROM <{here}/x> WHERE {{ ?s ?p ?o }}", []),
        (f"SELECT * FROM NAMED <{here}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", []),
        ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", []),
        ("ASK { ?s ?p ?o }", [("default-graph-uri", f"{here}/x")]),
        ("ASK { GRAPH ?g { ?s ?p ?o } }", [("named-graph-uri", f"{here}/x")]),
        # The protocol's dataset replaces FROM, which is then never used; a graph named by
        # the protocol that is not served here is still refused.
        (f"ASK FROM <{here}/y> {{ ?s ?p ?o }}", [("default-graph-uri", f"{here}/x")]),
    ]
    for query, params in refused:
        status, _, body = server.query(query, params=params)
        assert status == 400, (query, params, body)
        assert body.count(b"\n") == 1
    # Queries that mention the listener's address as plain data are fine and fetch nothing.
    for query in (f"DESCRIBE <{here}/x>", f"ASK {{ <{here}/x> ?p ?o }}"):
        status, _, body = server.query(query)
        assert status == 200, body
    status, _, body = server.query(f"LOAD <{here}/x>")
    assert status == 403
    time.sleep(1.0)
    assert listener.connections == []


def test_workers_cannot_open_connections(listener):
    """The audit hook a worker installs refuses connections whatever code tries them."""
    code = (
        "import socket, sys\n"
        "from kg.serve.pool import _forbid_network\n"
        "_forbid_network()\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {listener.port}), timeout=5)\n"
        "except PermissionError as exc:\n"
        "    print('refused', exc)\n"
        "    sys.exit(0)\n"
        "sys.exit(1)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "refused" in result.stdout
    time.sleep(0.5)
    assert listener.connections == []


# -- bounded work ------------------------------------------------------------------------------

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CATASTROPHIC_REGEX = 'SELECT ?o WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "^(a+)+$")) }'


@pytest.mark.parametrize("query", [CROSS_PRODUCT, CATASTROPHIC_REGEX], ids=["cross", "regex"])
def test_runaway_query_is_stopped(server, query):
    started = time.monotonic()
    status, _, body = server.query(query)
    took = time.monotonic() - started
    if server.engine.startswith("oxigraph") and query == CATASTROPHIC_REGEX:
        # pyoxigraph's regular expressions (Rust's regex) run in linear time: no runaway.
        assert status == 200, body
        assert json.loads(body)["results"]["bindings"] == []
        assert took < TIMEOUT, f"answered after {took:.2f} s"
    else:
        assert status == 503, body
        assert b"stopped" in body
        assert took < TIMEOUT + 1.0, f"answered after {took:.2f} s"
    status, _, body = server.query("ASK { kg:huawei a aichip:Company }")
    assert status == 200 and json.loads(body)["boolean"] is True


def test_server_answers_others_while_a_query_runs_away(server):
    outcome: dict[str, object] = {}

    def runaway() -> None:
        outcome["runaway"] = server.query(CROSS_PRODUCT)[0]
        outcome["runaway_done"] = time.monotonic()

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)  # let it reach a worker
    status, _, body = server.query("SELECT ?l WHERE { kg:nvidia rdfs:label ?l }")
    answered = time.monotonic()
    thread.join(timeout=30)
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == 3
    assert outcome["runaway"] == 503
    assert answered < outcome["runaway_done"], "the other query waited for the runaway one"


def test_memory_cap(cors_server):
    """A query that needs more memory than --memory-mb gets 503; the next query works."""
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?a ?b ?c ?d WHERE { ?a ?p ?b . ?c ?q ?d } "
        "ORDER BY ?a ?b ?c ?d } }"
    )
    status, _, body = cors_server.query(query, timeout=60)
    assert status == 503, body
    assert b"memory" in body
    status, _, body = cors_server.query("ASK {}")
    assert status == 200


def test_row_cap_is_explicit(server, project):
    total = len(fixture_graph(project))
    assert total > MAX_ROWS
    status, headers, body = server.query("SELECT * WHERE { ?s ?p ?o }")
    data = json.loads(body)
    assert status == 200
    assert len(data["results"]["bindings"]) == MAX_ROWS
    assert data["truncated"] is True and data["maxRows"] == MAX_ROWS
    assert headers["kg-truncated"] == "true" and headers["kg-max-rows"] == str(MAX_ROWS)
    # CSV has no room for a note: a cut answer is refused unless the client asks for it.
    status, headers, body = server.query("SELECT * WHERE { ?s ?p ?o }", accept="text/csv")
    assert status == 413 and b"partial=true" in body, body
    status, headers, body = server.query(
        "SELECT * WHERE { ?s ?p ?o }", accept="text/csv", params=[("partial", "true")]
    )
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert status == 200 and len(rows) == MAX_ROWS + 1 and headers["kg-truncated"] == "true"
    status, headers, body = server.query(
        "CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples"
    )
    assert headers["kg-truncated"] == "true"
    assert body.startswith(b"# truncated")
    assert len(Graph().parse(data=body, format="nt")) == MAX_ROWS
    # Under the cap: nothing is flagged.
    status, headers, body = server.query("SELECT ?l WHERE { kg:huawei rdfs:label ?l }")
    assert "kg-truncated" not in headers and "truncated" not in json.loads(body)


def test_request_size_limits(server):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (300 * 1024)
    status, _, body = server.request(
        "POST", "/sparql", big, {"Content-Type": "application/sparql-query"}
    )
    assert status == 413, body
    long_url = "/sparql?" + urllib.parse.urlencode({"query": "ASK {} #" + "x" * 20_000})
    status, _, body = server.request("GET", long_url)
    assert status == 414, body
    # A body announced too large is refused before it is sent (Expect: 100-continue).
    conn = socket.create_connection((server.host, server.port), timeout=10)
    conn.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 999999999\r\nExpect: 100-continue\r\n\r\n"
    )
    assert conn.recv(200).startswith(b"HTTP/1.1 413")
    conn.close()
    status, _, _ = server.query("ASK {}")
    assert status == 200


def test_slow_and_half_open_connections_time_out(server):
    """--io-timeout 1.5: a trickled or silent request is dropped; others are served meanwhile."""
    trickle = socket.create_connection((server.host, server.port), timeout=10)
    silent = socket.create_connection((server.host, server.port), timeout=10)
    started = time.monotonic()
    with contextlib.suppress(OSError):  # the server may already have hung up
        for char in b"GET /sparql?query=ASK%20%7B%7D":  # never completes the request line
            trickle.sendall(bytes([char]))
            time.sleep(0.1)
    status, _, _ = server.query("ASK {}")
    assert status == 200
    for conn in (trickle, silent):
        conn.settimeout(5)  # a server without a request deadline would keep us waiting
        try:
            leftover = conn.recv(100)
        except ConnectionResetError:
            leftover = b""
        assert leftover == b"", leftover
    assert time.monotonic() - started < 8
    trickle.close()
    silent.close()


# -- protocol details --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("*/*", "application/sparql-results+json"),
        ("text/*", "text/csv"),
    ],
)
def test_select_negotiation(server, accept, content_type):
    query = "SELECT ?label WHERE { kg:huawei rdfs:label ?label } ORDER BY STR(?label)"
    status, headers, body = server.query(query, accept=accept)
    assert status == 200
    assert headers["content-type"].split(";")[0] == content_type
    text = body.decode("utf-8")
    if content_type.endswith("json"):
        labels = [b["label"]["value"] for b in json.loads(text)["results"]["bindings"]]
    elif content_type.endswith("xml"):
        root = ET.fromstring(body)
        labels = [lit.text for lit in root.iter(f"{RESULTS_NS}literal")]
    elif content_type == "text/csv":
        labels = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    else:
        lines = text.splitlines()
        assert lines[0] == "?label"
        labels = [json.loads(line.rsplit("@", 1)[0]) for line in lines[1:]]
    assert sorted(labels) == sorted(["Huawei", "华为", "華為"])


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        (None, "text/turtle"),
    ],
)
def test_construct_negotiation(server, project, accept, content_type):
    """Each RDF answer, read by an independent parser, is the graph rdflib computes here."""
    import pyoxigraph
    from pyld import jsonld

    query = "CONSTRUCT { kg:huawei ?p ?o } WHERE { kg:huawei ?p ?o }"
    status, headers, body = server.query(query, accept=accept)
    assert status == 200, body
    assert headers["content-type"].split(";")[0] == content_type
    huawei = URIRef("https://w3id.org/aichip-kg/id/huawei")
    expected = Graph()
    for triple in fixture_graph(project).triples((huawei, None, None)):
        expected.add(triple)
    if content_type == "application/ld+json":
        nquads = jsonld.to_rdf(json.loads(body), {"format": "application/n-quads"})
        got = Graph().parse(data=nquads, format="nt")
    else:
        fmt = {
            "text/turtle": pyoxigraph.RdfFormat.TURTLE,
            "application/n-triples": pyoxigraph.RdfFormat.N_TRIPLES,
            "application/rdf+xml": pyoxigraph.RdfFormat.RDF_XML,
        }[content_type]
        quads = list(pyoxigraph.parse(body, fmt))
        got = Graph()
        for quad in quads:
            got.parse(data=f"{quad.subject} {quad.predicate} {quad.object} .", format="nt")
    from tests.conftest import assert_isomorphic

    assert_isomorphic(expected, got)


def test_unacceptable_format_is_406(server):
    status, _, body = server.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1", accept="image/png")
    assert status == 406 and b"application/sparql-results+json" in body
    status, _, body = server.query("ASK {}", params=[("format", "ttl")])
    assert status == 406
    status, headers, body = server.query("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", accept="text/csv")
    assert status == 406


def test_format_parameter_for_download_links(server):
    status, headers, body = server.query(
        "SELECT ?l WHERE { kg:baidu rdfs:label ?l }", method="GET", params=[("format", "tsv")]
    )
    assert status == 200 and headers["content-type"].startswith("text/tab-separated-values")


def test_malformed_query_is_400_with_line_and_column(server):
    status, _, body = server.query("SELECT ?x WHERE {\n  ?x a \n")
    assert status == 400
    message = body.decode()
    assert message.count("\n") == 1
    assert message.startswith("query:2:3: syntax error"), message
    status, _, body = server.query("SELECT ?x WHERE { ?x a nope:Thing }")
    assert status == 400 and b"unknown prefix nope:" in body


def test_protocol_errors(server):
    status, _, _ = server.request("POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = server.request("GET", "/sparql")
    assert status == 400
    status, headers, _ = server.request("GET", "/sparql", headers={"Accept": "text/html"})
    assert status == 303 and headers["location"] == "/"
    status, headers, _ = server.request("DELETE", "/sparql")
    assert status == 405 and "GET" in headers["allow"]
    status, _, _ = server.request("GET", "/nope")
    assert status == 404
    status, _, body = server.request(
        "POST", "/sparql", b"ASK {\xff}", {"Content-Type": "application/sparql-query"}
    )
    assert status == 400 and b"UTF-8" in body


def test_binds_to_loopback_and_no_cors_by_default(server, cors_server):
    assert server.host == "127.0.0.1"
    for path in ("/", "/sparql?query=ASK%7B%7D"):
        _, headers, _ = server.request("GET", path, headers={"Origin": "http://evil.example"})
        assert not any(name.startswith("access-control-") for name in headers)
    _, headers, _ = server.request("OPTIONS", "/sparql", headers={"Origin": "http://x.example"})
    assert not any(name.startswith("access-control-") for name in headers)
    _, headers, _ = cors_server.request("GET", "/sparql?query=ASK%7B%7D")
    assert headers["access-control-allow-origin"] == "*"
    status, headers, _ = cors_server.request("OPTIONS", "/sparql")
    assert status == 204 and "POST" in headers["access-control-allow-methods"]


# -- a real client ----------------------------------------------------------------------------


def test_sparqlwrapper(server):
    from SPARQLWrapper import JSON, N3, POST, TURTLE, XML, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = SPARQLWrapper(server.sparql)
    client.setQuery(
        "PREFIX kg: <https://w3id.org/aichip-kg/id/>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?label WHERE { kg:huawei rdfs:label ?label }"
    )
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert {(r["label"]["value"], r["label"].get("xml:lang").lower()) for r in rows} == {
        ("Huawei", "en"),
        ("华为", "zh-hans"),
        ("華為", "zh-hant"),
    }
    client.setMethod(POST)
    client.setQuery("ASK { <https://w3id.org/aichip-kg/id/nvidia> ?p ?o }")
    assert client.query().convert()["boolean"] is True
    client.setReturnFormat(XML)
    document = client.query().convert()  # xml.dom.minidom Document
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "true"
    client.setQuery(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . "
        "FILTER(?s = <https://w3id.org/aichip-kg/id/baidu>) }"
    )
    for fmt in (TURTLE, N3):
        client.setReturnFormat(fmt)
        graph = Graph().parse(data=client.query().convert(), format="turtle")
        assert len(graph) == 4
    client.setQuery("SELECT ?x WHERE { ?x ")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed):
        client.query()


# -- the query page ----------------------------------------------------------------------------


def test_query_page_is_self_contained(server):
    from html.parser import HTMLParser

    status, headers, html = server.request("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    links = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            links.extend(v for k, v in attrs if k in ("src", "href") and v)

    Links().feed(html.decode())
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links)
    for path in ("/query.js", "/query.css"):
        status, _, body = server.request("GET", path)
        assert status == 200
        assert b"http://" not in body and b"https://" not in body, path
    status, _, body = server.request("GET", "/examples.json")
    data = json.loads(body)
    assert data["prefixes"]["kg"] == "https://w3id.org/aichip-kg/id/"
    assert data["maxRows"] == MAX_ROWS
    from kg.explore.ask import list_queries

    assert [e["name"] for e in data["examples"]] == [q.id for q in list_queries()]


@pytest.mark.browser
def test_query_page_in_chromium(server, chromium):
    page = chromium.new_page()
    try:
        query = "SELECT ?label WHERE { kg:huawei rdfs:label ?label } ORDER BY ?label"
        url = server.url + "?" + urllib.parse.urlencode({"query": query})
        page.open(url, ready="document.body.dataset.ran === '1'")
        cells = page.evaluate(
            "Array.from(document.querySelectorAll('#result-table tbody td'))"
            ".map(td => td.firstChild ? td.firstChild.textContent : '')"
        )
        assert sorted(cells) == sorted(["Huawei", "华为", "華為"])
        links = page.evaluate(
            "Array.from(document.querySelectorAll('#download-links a'))"
            ".map(a => a.getAttribute('href'))"
        )
        assert any("format=csv" in link for link in links)
        # Data is text, never markup.
        hostile = '<img src=x onerror="alert(1)">'
        page.evaluate(
            "document.getElementById('query').value = "
            + json.dumps(f"SELECT ?x WHERE {{ BIND({json.dumps(hostile)} AS ?x) }}")
        )
        page.evaluate("document.getElementById('run').click()")
        page.wait_for("document.body.dataset.ran === '2'")
        assert page.evaluate("document.querySelector('#result-table td').textContent") == hostile
        assert page.evaluate("document.querySelectorAll('#results img').length") == 0
        # A cut answer: the page says so, and its CSV download gets the same rows, not a 413.
        page.evaluate(
            "document.getElementById('query').value = "
            + json.dumps("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o")
        )
        page.evaluate("document.getElementById('run').click()")
        page.wait_for("document.body.dataset.ran === '3'")
        assert "Only the first" in page.evaluate("document.getElementById('truncated').textContent")
        csv_href = page.evaluate(
            "Array.from(document.querySelectorAll('#download-links a'))"
            ".map(a => a.getAttribute('href')).find(h => h.includes('format=csv'))"
        )
        status, _, body = server.request("GET", csv_href)
        assert status == 200, body[:300]
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert len(rows) == MAX_ROWS + 1 and rows[0] == ["s", "p", "o"]
        # An example button runs its competency question.
        page.evaluate("document.querySelector('#example-list button').click()")
        page.wait_for("document.body.dataset.ran === '4'")
        assert page.dialogs == []
        assert page.errors == [], page.errors
        assert all(r.startswith(server.url) for r in page.requests), page.requests
    finally:
        page.close()


# -- the real graph and clean shutdown ---------------------------------------------------------


def test_real_graph_smoke(tmp_path):
    from kg.explore.ask import find_query
    from kg.facts.load import load_graph
    from kg.store.memory import rdflib_query

    running = start_server(None, "--quiet", log=tmp_path / "real.log")
    try:
        data = running.select("SELECT ?m WHERE { ?m org:memberOf kg:pytorch-foundation }")
        members = {b["m"]["value"] for b in data["results"]["bindings"]}
        assert "https://w3id.org/aichip-kg/id/huawei" in members
        # A competency question answers the same through the endpoint as in-process.
        cq = find_query("cq01")
        local = rdflib_query(load_graph(), cq.text)
        data = running.select(cq.text)
        remote = {
            tuple(b.get(v, {}).get("value") for v in local.variables)
            for b in data["results"]["bindings"]
        }
        assert remote == {tuple(None if t is None else str(t) for t in row) for row in local.rows}
    finally:
        running.stop()


def test_stopping_the_server_leaves_no_process(project, tmp_path):
    marker = tmp_path / "marker-project"
    shutil.copytree(project, marker)
    running = start_server(marker, "--workers", "2", log=tmp_path / "stop.log")
    # server, nursery, zygote, two workers
    assert len(processes_mentioning(str(marker))) == 5
    status, _, _ = running.query("ASK {}")
    assert status == 200
    running.stop()
    deadline = time.monotonic() + 10
    while processes_mentioning(str(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(marker)) == []
    assert "Traceback" not in running.log.read_text()


# -- units -------------------------------------------------------------------------------------


def test_negotiate_units():
    from kg.serve.protocol import Refusal, negotiate

    assert negotiate("SELECT", "") == ("json", "application/sparql-results+json")
    assert negotiate("ASK", "application/xml") == ("xml", "application/xml")
    assert negotiate("CONSTRUCT", "application/json") == ("jsonld", "application/json")
    assert negotiate("DESCRIBE", "text/html, */*;q=0.1") == ("ttl", "text/turtle")
    assert negotiate("SELECT", "text/csv;q=0, */*;q=0.2")[0] == "json"
    assert negotiate("SELECT", "text/csv", ("tsv",))[0] == "tsv"
    # SPARQLWrapper's way: a name and a media type, sent as format, output and results.
    assert negotiate("SELECT", "", ("tsv", "text/tab-separated-values"))[0] == "tsv"
    assert negotiate("CONSTRUCT", "", ("xml", "xml"))[0] == "rdfxml"
    assert negotiate("CONSTRUCT", "", ("n3",))[0] == "ttl"
    with pytest.raises(Refusal):
        negotiate("SELECT", "text/csv;q=0")
    with pytest.raises(Refusal):
        negotiate("CONSTRUCT", "", ("csv",))
    with pytest.raises(Refusal):
        negotiate("SELECT", "", ("cvs",))


def test_parse_protocol_units():
    from kg.serve.http import parse_protocol
    from kg.serve.protocol import Job, Reply

    job = parse_protocol(
        "GET",
        "query=ASK%7B%7D&default-graph-uri=urn:a&named-graph-uri=urn:b",
        None,
        b"",
        accept="text/csv",
    )
    assert job == Job("ASK{}", ("urn:a",), ("urn:b",), "text/csv", (), 10_000)
    job = parse_protocol("POST", "named-graph-uri=urn:n", "application/sparql-query", b"ASK {}")
    assert isinstance(job, Job) and job.query == "ASK {}" and job.named_graphs == ("urn:n",)
    for args, status in [
        (("POST", "", "application/sparql-update", b"CLEAR ALL"), 403),
        (("GET", "update=CLEAR%20ALL", None, b""), 403),
        (("GET", "query=a&query=b", None, b""), 400),
        (("POST", "", None, b"ASK {}"), 400),
        (("POST", "", "application/sparql-query; charset=UTF-16", b"ASK {}"), 415),
        (("GET", "query=%FF", None, b""), 400),
    ]:
        reply = parse_protocol(*args)
        assert isinstance(reply, Reply) and reply.status == status, (args, reply)


def test_one_project_graph_iri_everywhere():
    from kg.cli.remote import push
    from kg.remote.client import KG_GRAPH_IRI
    from kg.serve.protocol import ServedData
    from kg.sparql.terms import PROJECT_GRAPH
    from kg.store.base import CURATED_GRAPH

    graph_option = next(p for p in push.params if p.name == "graph_iri")
    assert KG_GRAPH_IRI is CURATED_GRAPH is PROJECT_GRAPH == graph_option.default
    assert ServedData.__dataclass_fields__["graph_iri"].default == PROJECT_GRAPH


def _statement(path: Path, entity: str, rest: str) -> Path:
    """Write one N-Triples/N-Quads line about kg:``entity`` (``rdfs:`` spelt out) to ``path``."""
    rest = rest.replace("rdfs:", "").split(" ", 1)
    predicate = f"<http://www.w3.org/2000/01/rdf-schema#{rest[0]}>"
    path.write_text(f"<https://w3id.org/aichip-kg/id/{entity}> {predicate} {rest[1]} .\n", "utf-8")
    return path


def test_serve_answers_from_the_oxigraph_store_with_loaded_data(tmp_path, monkeypatch):
    """`kg --store oxigraph:PATH serve` serves the curated facts plus what `kg load` added."""
    from click.testing import CliRunner

    from cli import cli

    project = copy_project(tmp_path / "project", FIXTURES / "facts")
    store = tmp_path / "store"
    dump = _statement(tmp_path / "extra.nt", "loaded-chip", 'rdfs:label "Loaded chip"@en')
    quads = _statement(
        tmp_path / "extra.nq", "loaded-chip", 'rdfs:comment "in a named graph" <urn:x:extra>'
    )

    def kg_on_store(*args: str) -> None:
        result = CliRunner().invoke(
            cli, ["--root", str(project), "--store", f"oxigraph:{store}", *args]
        )
        assert result.exit_code == 0, result.output

    kg_on_store("load", str(dump), str(quads))
    monkeypatch.setenv("KG_STORE", f"oxigraph:{store}")
    server = start_server(project, log=tmp_path / "serve.log")
    try:
        query = urllib.parse.urlencode(
            {"query": "SELECT ?l WHERE { kg:loaded-chip rdfs:label ?l }"}
        )
        with urllib.request.urlopen(f"{server.url}sparql?{query}", timeout=30) as response:
            rows = json.load(response)["results"]["bindings"]
        assert [row["l"]["value"] for row in rows] == ["Loaded chip"]
        with urllib.request.urlopen(
            f"{server.url}sparql?"
            + urllib.parse.urlencode({"query": "ASK { ?m org:memberOf ?f }"}),
            timeout=30,
        ) as response:
            assert json.load(response)["boolean"] is True  # the curated facts are there too
        # The store's named graphs are served too, reached with GRAPH or by name.
        status, _, body = server.query("SELECT ?g ?c WHERE { GRAPH ?g { ?s rdfs:comment ?c } }")
        rows = json.loads(body)["results"]["bindings"]
        assert [(r["g"]["value"], r["c"]["value"]) for r in rows] == [
            ("urn:x:extra", "in a named graph")
        ]
        status, _, body = server.query(
            "ASK { kg:loaded-chip rdfs:label ?l }", params=[("default-graph-uri", "urn:x:extra")]
        )
        assert status == 200 and json.loads(body)["boolean"] is False
        # The store is not held open: other kg commands can use it while the server runs,
        # `kg load` included; the server goes on answering from the checkpoint it started with.
        kg_on_store("stats")
        kg_on_store("load", str(_statement(tmp_path / "later.nt", "later-chip", 'rdfs:label "L"')))
        status, _, body = server.query("ASK { kg:later-chip ?p ?o }")
        assert status == 200 and json.loads(body)["boolean"] is False
        status, _, body = server.query("ASK { kg:loaded-chip ?p ?o }")
        assert status == 200 and json.loads(body)["boolean"] is True
        snapshots = list((store / "serve-snapshots").iterdir())
        assert len(snapshots) == 1
        # The log says what answers, and that later loads are not seen.
        assert f"pyoxigraph, oxigraph:{store} as of now" in server.log.read_text()
    finally:
        server.stop()
    assert list((store / "serve-snapshots").iterdir()) == []  # removed when the server stops


def test_serve_from_a_store_removes_stale_snapshots_and_reports_errors(tmp_path):
    """A checkpoint left by a killed server goes at the next start; a bad store is one line."""
    project = copy_project(tmp_path / "project", FIXTURES / "facts")
    store = tmp_path / "store"
    server = start_server(project, log=tmp_path / "first.log", store=f"oxigraph:{store}")
    server.process.kill()  # no clean-up: its checkpoint stays behind
    server.process.wait()
    for child in processes_mentioning(str(store)):
        os.kill(child, 9)
    left = list((store / "serve-snapshots").iterdir())
    assert len(left) == 1
    server = start_server(project, log=tmp_path / "second.log", store=f"oxigraph:{store}")
    try:
        status, _, body = server.query("ASK { kg:huawei ?p ?o }")
        assert status == 200 and json.loads(body)["boolean"] is True
        assert not left[0].exists()
    finally:
        server.stop()
    not_a_store = tmp_path / "elsewhere"
    not_a_store.mkdir()
    (not_a_store / "data.txt").write_text("mine", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "--root",
            str(project),
            "--store",
            f"oxigraph:{not_a_store}",
            "serve",
            "--port",
            "0",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {not_a_store}: not a kg store (no kg-store.json); give a new or empty directory"
    ]
    assert sorted(p.name for p in not_a_store.iterdir()) == ["data.txt"]


# -- the two engines agree ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def both_engines():
    """The real curated graph served by rdflib and by pyoxigraph, evaluated in-process."""
    from kg.facts.cache import cached_graph
    from kg.project import Project
    from kg.serve.oxigraph import served_in_memory
    from kg.serve.protocol import served_data

    graph = cached_graph(Project.at(REPO))
    return served_data(graph), served_in_memory(graph)


def _json_rows(reply, unordered: tuple[str, ...] = ()) -> list[tuple]:
    """Solutions as sorted tuples of JSON terms; the ``unordered`` variables (GROUP_CONCAT
    results, whose order SPARQL leaves to the engine) compare as sets of their parts."""
    assert reply.status == 200, reply.body
    data = json.loads(reply.body)
    if "boolean" in data:
        return [(data["boolean"],)]
    names = data["head"]["vars"]
    rows = []
    for row in data["results"]["bindings"]:
        cells = []
        for name in names:
            term = dict(row.get(name) or {})
            if name in unordered and "value" in term:
                term["value"] = sorted(term["value"].split(" "))
            cells.append(json.dumps(term, sort_keys=True))
        rows.append(tuple(cells))
    return sorted(rows)


def test_engines_agree_on_every_competency_question(both_engines):
    from kg.explore.ask import list_queries
    from kg.serve.protocol import Job, execute

    rdflib_served, oxigraph_served = both_engines
    queries = list_queries()
    assert len(queries) >= 12
    for named in queries:
        job = Job(named.text, formats=("json",), max_rows=100_000)
        concatenated = tuple(re.findall(r"GROUP_CONCAT\(.*?\)\s+AS\s+\?(\w+)", named.text, re.I))
        expected = _json_rows(execute(rdflib_served, job), concatenated)
        assert expected, f"{named.id}: no answer on rdflib, nothing to compare"
        assert _json_rows(execute(oxigraph_served, job), concatenated) == expected, named.id


def test_engines_agree_on_graphs_and_relative_iris(both_engines):
    """CONSTRUCT answers are the same graph; `<huawei>` means kg:huawei on both engines."""
    from kg.serve.protocol import Job, execute

    construct = Job("CONSTRUCT WHERE { <huawei> ?p ?o }", formats=("nt",))
    graphs = []
    for served in both_engines:
        reply = execute(served, construct)
        assert reply.status == 200, reply.body
        graphs.append(Graph().parse(data=reply.body, format="nt"))
    assert len(graphs[0]) > 10
    assert set(graphs[0]) == set(graphs[1])
    subjects = {str(s) for s in graphs[0].subjects()}
    assert subjects == {"https://w3id.org/aichip-kg/id/huawei"}


def test_oxigraph_engine_refuses_what_rdflib_refuses(both_engines):
    from kg.serve.protocol import Job, execute

    _, oxigraph_served = both_engines
    for query, status in [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 400),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", 400),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403),
        ("SELECT * WHERE { ?s ?p }", 400),
    ]:
        reply = execute(oxigraph_served, Job(query))
        assert reply.status == status, (query, reply.body)
    reply = execute(oxigraph_served, Job("ASK { ?s ?p ?o }", default_graphs=("urn:nowhere",)))
    assert reply.status == 400 and b"not served here" in reply.body


def test_kg_errors_cross_process_boundaries():
    """The checkpoint helper's errors reach the CLI as raised: same type, message, fields."""
    import pickle

    from kg.errors import InputError, ParseError, UnknownTermError, ValidationFailed

    for error in [
        ParseError("facts/x.ttl", 12, "bad token"),
        UnknownTermError("entity", "nvdia", ["nvidia"]),
        ValidationFailed(["a problem"]),
        InputError("plain"),
    ]:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error) and vars(copy) == vars(error)


def test_snapshot_engine_in_process(tmp_path):
    """The checkpoint engine answers in-process too; the project graph can be the default
    graph by name but not a named graph (it is the checkpoint's default graph)."""
    from kg.project import Project
    from kg.remote.client import KG_GRAPH_IRI
    from kg.serve.oxigraph import snapshot_store
    from kg.serve.protocol import Job, execute
    from kg.store import parse_spec

    project = copy_project(tmp_path / "project", FIXTURES / "facts")
    served = snapshot_store(parse_spec(f"oxigraph:{tmp_path / 'store'}"), Project.at(project))
    try:
        assert served.snapshot.parent.name == "serve-snapshots"
        assert served.names == [KG_GRAPH_IRI]  # bookkeeping graphs stay hidden
        ask = "ASK { kg:huawei a aichip:Company }"
        for job, status, body in [
            (Job(ask), 200, b'"boolean": true'),
            (Job(ask, default_graphs=(KG_GRAPH_IRI,)), 200, b'"boolean": true'),
            (Job(ask, named_graphs=(KG_GRAPH_IRI,)), 400, b"not a named one"),
            (Job("ASK { GRAPH ?g { ?s ?p ?o } }"), 200, b'"boolean": false'),
        ]:
            reply = execute(served, job)
            assert reply.status == status and body in reply.body, (job, reply.body)
    finally:
        shutil.rmtree(served.snapshot)
