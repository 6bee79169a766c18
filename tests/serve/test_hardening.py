"""`kg serve` against hostile and broken clients: slow sockets, foreign Host headers, malformed
HTTP, a killed zygote, workers trying the network, answers cut at the row cap.

Everything goes through a real `kg serve` subprocess and raw sockets (or pandas, a client
nobody here wrote). The "attackers" connect from other loopback addresses (127.0.0.2…: all of
127/8 is loopback on Linux), so the legitimate client on 127.0.0.1 is a different client.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
from pathlib import Path

import pytest

from tests._server import start_server
from tests.conftest import REPO, copy_project
from tests.serve.test_endpoint import FIXTURES, MAX_ROWS

ALLOWED = "kg.example"
CLIENT_CONNECTIONS = 8  # the hardened server's --max-client-connections
CLIENT_REQUESTS = 2  # its --max-client-requests
ASK = "ASK { kg:huawei a aichip:Company }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("hardening-project"), FIXTURES / "facts")


def _start(project: Path, log: Path, *extra: str):
    return start_server(
        project,
        "--timeout",
        "2",
        "--io-timeout",
        "1.5",
        "--max-rows",
        str(MAX_ROWS),
        "--max-client-connections",
        str(CLIENT_CONNECTIONS),
        "--max-client-requests",
        str(CLIENT_REQUESTS),
        "--allow-host",
        ALLOWED,
        *extra,
        log=log,
    )


@pytest.fixture(scope="module")
def server(project, tmp_path_factory):
    running = _start(project, tmp_path_factory.mktemp("hardening-log") / "serve.log")
    yield running
    running.stop()


@pytest.fixture
def clean_log(server):
    """After the test: the server still answers, and its log holds no traceback."""
    yield
    status, _, body = server.query(ASK)
    assert status == 200, body
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def raw(server, data: bytes, *, source: str = "127.0.0.1", timeout: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection from ``source``; all the server sends back."""
    conn = socket.create_connection(
        (server.host, server.port), timeout=timeout, source_address=(source, 0)
    )
    with conn:
        with contextlib.suppress(OSError):
            conn.sendall(data)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    line = response.split(b"\r\n", 1)[0]
    assert line.startswith(b"HTTP/1.1 "), response[:200]
    return int(line.split()[1])


def get(path: str, host: str = "127.0.0.1", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode()


def ask_path(query: str = ASK, **params: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, **params})


# -- slow clients ------------------------------------------------------------------------------


class Tricklers:
    """Connections that send one byte of a request now and then and never finish it, and
    reconnect whenever the server drops them; from the ``sources`` addresses, ``per_source``
    each."""

    REQUEST = b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    def __init__(self, server, sources: list[str], per_source: int) -> None:
        self.address = (server.host, server.port)
        self.wanted = [source for source in sources for _ in range(per_source)]
        self.selector = selectors.DefaultSelector()
        self.connects = 0
        self.refused = 0  # answered 503 at once (too many connections from one address)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Tricklers:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()

    def _open(self, source: str) -> None:
        sock = socket.socket()
        sock.bind((source, 0))
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect(self.address)
        self.connects += 1
        self.selector.register(sock, selectors.EVENT_READ, [source, 0])

    def _run(self) -> None:
        for source in self.wanted:
            self._open(source)
        while not self._stop.is_set():
            for key, _ in self.selector.select(timeout=0.05):
                data = b""
                with contextlib.suppress(OSError):
                    data = key.fileobj.recv(4096)
                if data.startswith(b"HTTP/1.1 503"):
                    self.refused += 1
                source = key.data[0]
                self.selector.unregister(key.fileobj)
                key.fileobj.close()
                self._open(source)  # dropped or refused: come straight back
            for key in list(self.selector.get_map().values()):
                source, sent = key.data
                if sent < len(self.REQUEST) or sent % 5 == 0:
                    byte = self.REQUEST[sent : sent + 1] or b"x"
                    with contextlib.suppress(OSError):
                        key.fileobj.send(byte)
                key.data[1] = sent + 1
            time.sleep(0.1)


def test_trickling_clients_do_not_starve_a_legitimate_one(server, clean_log):
    """66 trickling connections from one address and one each from 66 others, all
    reconnecting as soon as they are dropped: the client on 127.0.0.1 gets every answer."""
    single = ["127.0.0.2"]
    many = [f"127.0.1.{n}" for n in range(1, 67)]
    with Tricklers(server, single, 66) as one, Tricklers(server, many, 1) as spread:
        time.sleep(1.0)  # let them all connect
        answers = []
        finished = time.monotonic() + 5.0  # beyond --io-timeout: the drops and reconnects too
        while time.monotonic() < finished:
            status, _, body = server.query(ASK, timeout=10)
            answers.append(status)
            time.sleep(0.1)
        assert answers and set(answers) == {200}, answers
    # One address got its share of connections and no more; the read deadline dropped the
    # rest, which came back.
    assert one.refused >= 66 - CLIENT_CONNECTIONS, (one.refused, one.connects)
    assert spread.connects > len(many), spread.connects


def test_one_address_has_a_connection_cap(server, clean_log):
    held = [
        socket.create_connection((server.host, server.port), source_address=("127.0.0.3", 0))
        for _ in range(CLIENT_CONNECTIONS)
    ]
    try:
        extra = raw(server, get(ask_path()), source="127.0.0.3")
        assert status_of(extra) == 503 and b"too many connections" in extra
        assert status_of(raw(server, get(ask_path()), source="127.0.0.4")) == 200
    finally:
        for conn in held:
            conn.close()
    time.sleep(0.3)
    assert status_of(raw(server, get(ask_path()), source="127.0.0.3")) == 200


def test_one_address_has_a_cap_on_requests_in_progress(server, clean_log):
    """--max-client-requests 2: a third query from the same address at once is 429, while
    another address is still answered."""
    statuses: list[int] = []

    def runaway() -> None:
        statuses.append(status_of(raw(server, get(ask_path(RUNAWAY)), source="127.0.0.5")))

    threads = [threading.Thread(target=runaway) for _ in range(CLIENT_REQUESTS)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    third = raw(server, get(ask_path()), source="127.0.0.5")
    other = raw(server, get(ask_path()), source="127.0.0.6")
    for thread in threads:
        thread.join(timeout=30)
    assert status_of(third) == 429 and b"too many requests" in third
    assert status_of(other) in (200, 503)  # the two runaways hold both workers for 2 s
    assert sorted(statuses) == [503, 503]


# -- the Host header ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1", 200),
        ("localhost", 200),
        ("LOCALHOST.", 200),
        ("[::1]", 200),
        (ALLOWED, 200),
        ("evil.example", 421),
        ("127.0.0.1.evil.example", 421),
        ("kg.example.evil.example", 421),
    ],
)
def test_host_header_names_this_server(server, clean_log, host, status):
    """A page on a rebound DNS name reaches the server with its own name in Host: refused."""
    answer = raw(server, get(ask_path(), host=f"{host}:{server.port}"))
    assert status_of(answer) == status, answer[:300]
    if status == 421:
        assert b"--allow-host" in answer and b"content-security-policy" in answer.lower()


def test_host_header_is_required(server, clean_log):
    assert status_of(raw(server, f"GET {ask_path()} HTTP/1.0\r\n\r\n".encode())) == 400
    twice = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"
    assert status_of(raw(server, twice)) == 400


# -- malformed HTTP ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "statuses"),
    [
        (get("/sparql?query=" + "x" * (70 * 1024)), {414}),
        (get("/?" + "x" * (17 * 1024)), {414}),
        (b"GARBAGE\r\n\r\n", {400}),
        (b"GET /\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", {400}),
        (b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", {505}),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400, 505}),
        (b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", {505}),
        (b"GET / HTTP/1.1.1\r\nHost: 127.0.0.1\r\n\r\n", {400}),
        (get("/", extra="X-Big: " + "y" * (60 * 1024) + "\r\n"), {431}),
        (
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query"
            b"\r\nContent-Length: 6\r\nContent-Length: 7\r\n\r\nASK {}",
            {400},
        ),
    ],
    ids=[
        "url-70k",
        "url-17k",
        "garbage-line",
        "non-ascii-target",
        "http2",
        "h2-preface",
        "http9",
        "bad-version",
        "header-60k",
        "two-lengths",
    ],
)
def test_malformed_requests_get_an_http_error(server, clean_log, request_bytes, statuses):
    answer = raw(server, request_bytes)
    assert status_of(answer) in statuses, answer[:300]
    body = answer.split(b"\r\n\r\n", 1)[1]
    assert body.count(b"\n") == 1, body  # one line, never a traceback


@pytest.mark.parametrize(
    "query",
    ["", "   \n\t ", "# only a comment\n", "PREFIX ex: <http://example.org/>", "BASE <urn:x:>"],
    ids=["empty", "whitespace", "comment", "prefix", "base"],
)
def test_queries_with_nothing_to_run_are_400(server, clean_log, query):
    for status, _, body in (
        server.query(query),
        server.query(query, method="GET"),
        server.request("POST", "/sparql", query, {"Content-Type": "application/sparql-query"}),
    ):
        assert status == 400 and b"empty" in body, (status, body)


def test_deep_nesting_is_400(server, clean_log):
    deep = "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000
    status, _, body = server.request(
        "POST", "/sparql", deep, {"Content-Type": "application/sparql-query"}
    )
    assert status == 400 and b"deep" in body, body
    deep_expression = "ASK { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"
    status, _, body = server.query(deep_expression)
    assert status == 400 and b"deep" in body, body


# -- the row cap -------------------------------------------------------------------------------


def test_cut_answers_are_impossible_to_miss(server, clean_log):
    """CSV, TSV and JSON-LD cannot carry a note: a cut answer is 413 unless partial=true; the
    formats with a note still answer 200 with it."""
    everything = "SELECT * WHERE { ?s ?p ?o }"
    for accept in ("text/csv", "text/tab-separated-values"):
        status, headers, body = server.query(everything, accept=accept)
        assert status == 413 and b"partial=true" in body, (accept, body)
        assert headers["kg-max-rows"] == str(MAX_ROWS)
        status, headers, body = server.query(everything, accept=accept, params=[("partial", "1")])
        assert status == 200 and headers["kg-truncated"] == "true"
        text = body.decode()
        # CSV cells may hold line breaks (quoted); TSV escapes them.
        rows = list(csv.reader(io.StringIO(text))) if accept == "text/csv" else text.splitlines()
        assert len(rows) == MAX_ROWS + 1
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    status, _, body = server.query(construct, accept="application/ld+json")
    assert status == 413, body
    status, headers, body = server.query(
        construct, accept="application/ld+json", params=[("partial", "true")]
    )
    assert status == 200 and headers["kg-truncated"] == "true"
    for accept, note in (
        ("application/sparql-results+json", b'"truncated": true'),
        ("application/sparql-results+xml", b"<!-- truncated"),
    ):
        status, _, body = server.query(everything, accept=accept)
        assert status == 200 and note in body
    status, _, body = server.query(construct, accept="text/turtle")
    assert status == 200 and body.startswith(b"# truncated")
    # Under the cap, CSV is plain CSV; a bad partial value is an error, not a guess.
    status, headers, _ = server.query(f"{everything} LIMIT {MAX_ROWS}", accept="text/csv")
    assert status == 200 and "kg-truncated" not in headers
    status, _, _ = server.query(everything, accept="text/csv", params=[("partial", "maybe")])
    assert status == 400


def test_pandas_cannot_read_a_cut_csv_by_mistake(server, clean_log):
    pandas = pytest.importorskip("pandas")
    url = (
        server.sparql
        + "?"
        + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o }", "format": "csv"})
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        pandas.read_csv(url)
    assert refused.value.code == 413
    frame = pandas.read_csv(url + "&partial=true")
    assert len(frame) == MAX_ROWS and list(frame.columns) == ["s", "p", "o"]


# -- the zygote --------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid and stat[0] != "Z":
                    found.append(int(entry.name))
    return found


def _until_answered(server, deadline: float) -> list[int]:
    statuses = []
    while time.monotonic() < deadline:
        status, _, _ = server.query(ASK, timeout=10)
        statuses.append(status)
        if status == 200:
            break
        time.sleep(0.2)
    return statuses


def test_killed_zygote_is_replaced_and_a_dead_nursery_stops_the_server(project, tmp_path):
    running = _start(project, tmp_path / "zygote.log", "--workers", "2")
    try:
        (nursery,) = children(running.process.pid)
        (zygote,) = children(nursery)
        assert len(children(zygote)) == 2
        os.kill(zygote, signal.SIGKILL)
        time.sleep(0.3)
        statuses = _until_answered(running, time.monotonic() + 10)
        assert statuses[-1] == 200 and len(statuses) <= 2, statuses
        for _ in range(5):  # and it goes on answering, from a new zygote's workers
            assert running.query(ASK)[0] == 200
        (new_zygote,) = children(nursery)
        assert new_zygote != zygote and len(children(new_zygote)) == 2
        assert "zygote" in running.log.read_text() and "starting a new one" in (
            running.log.read_text()
        )
        # Without the nursery no worker can start: the server exits non-zero (a supervisor
        # restarts it) instead of answering 503 forever; it notices without being asked.
        os.kill(nursery, signal.SIGKILL)
        assert running.process.wait(timeout=20) != 0
        log = running.log.read_text()
        assert "error: kg serve stopped: the query-worker nursery" in log, log
        assert "Traceback" not in log, log
    finally:
        running.stop()


# -- workers and the network -------------------------------------------------------------------


class Listener:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def _probe(port: int, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.serve._network_probe", str(port), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_query_workers_have_no_network():
    """Native code in a worker (a libc connect(), pyoxigraph running SERVICE itself) cannot
    reach a loopback listener; the same probe outside a worker does."""
    listener = Listener()
    try:
        outside = _probe(listener.port, "--outside")
        assert outside["native"] == "connected"
        time.sleep(0.3)
        assert listener.connections >= 2  # the probe can find a way out when there is one
        before = listener.connections
        inside = _probe(listener.port)
        time.sleep(0.3)
        if not inside["isolated"]:
            pytest.fail(f"no network namespace for the workers here: {inside['isolation']}")
        assert inside["native"] != "connected" and inside["oxigraph"].startswith("failed")
        assert listener.connections == before
    finally:
        listener.sock.close()


def test_the_start_up_line_says_the_workers_have_no_network(server):
    first = server.log.read_text().splitlines()[0]
    assert "query workers without network (own" in first, first
    assert ALLOWED in first


def test_without_a_namespace_the_pool_says_so(monkeypatch):
    from kg.serve import pool

    def refuse(flags: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(pool, "_unshare", refuse)
    isolated, how = pool.isolate_network()
    assert not isolated and "cannot create a network namespace (EPERM)" in how
