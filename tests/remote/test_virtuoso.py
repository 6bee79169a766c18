"""`kg push` and `kg query --endpoint` against a real Virtuoso Open-Source (Debian's
``virtuoso-opensource``), a second store besides Oxigraph.

The fixture starts ``virtuoso-t`` in the foreground on free ports with a fresh database in a
temporary directory, and stops it afterwards. A fresh database has the user ``dba`` with the
password ``dba``. Updates go to ``/sparql-auth``, which wants HTTP Digest auth as ``dba``
(anonymous ``/sparql`` may only read: its user ``SPARQL`` lacks the SPARQL_UPDATE role);
queries go to ``/sparql``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef

from tests.conftest import assert_isomorphic, stop_process
from tests.remote.test_push_and_query import FIXTURES, GRAPH, IN_CI, _graph_plus, free_port

CONFIG = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = {sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = {http_port}
ServerThreads = 4
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 2000
MaxQueryExecutionTime = 60
"""


@dataclass
class Virtuoso:
    process: subprocess.Popen
    base: str

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql-auth"

    def graph(self, iri: str) -> Graph:
        """The named graph ``iri`` as Virtuoso holds it (CONSTRUCT as N-Triples, by urllib)."""
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
        request = urllib.request.Request(
            self.query_url,
            data=urllib.parse.urlencode({"query": query}).encode(),
            headers={"Accept": "application/n-triples"},
        )
        body = urllib.request.urlopen(request, timeout=30).read()
        return Graph().parse(data=body, format="nt")

    def stop(self) -> None:
        stop_process(self.process, timeout=30)


def start_virtuoso(directory: Path) -> Virtuoso:
    binary = shutil.which("virtuoso-t")
    if binary is None:
        if IN_CI:
            pytest.fail("CI=true but virtuoso-t is missing (apt-get install virtuoso-opensource)")
        pytest.skip("virtuoso-t not installed (apt-get install virtuoso-opensource)")
    for attempt in range(3):
        home = directory / f"db{attempt}"
        home.mkdir()
        http_port, sql_port = free_port(), free_port()
        (home / "virtuoso.ini").write_text(
            CONFIG.format(dir=home, sql_port=sql_port, http_port=http_port)
        )
        log = (home / "stdout.log").open("wb")
        process = subprocess.Popen(
            [binary, "+configfile", str(home / "virtuoso.ini"), "+foreground"],
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{http_port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                query = urllib.parse.urlencode({"query": "ASK {}"})
                urllib.request.urlopen(f"{base}/sparql?{query}", timeout=2).read()
                return Virtuoso(process, base)
            except OSError:
                time.sleep(0.2)
        stop_process(process)
    raise AssertionError(f"virtuoso did not start; see {directory}")


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> Graph:
    from kg.facts.load import load_graph
    from kg.project import Project
    from tests.conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("virtuoso-project"), FIXTURES / "facts")
    loaded = load_graph(Project.at(project))
    assert any(isinstance(term, BNode) for triple in loaded for term in triple)
    return loaded


DBA = {"user": "dba", "password": "dba"}
MAX_ROWS = 2000  # ResultSetMaxRows above: Virtuoso cuts longer answers


def test_push_then_query_back_isomorphic(virtuoso, graph):
    from kg.remote.client import push_graph, query_endpoint, staging_graph_iri

    report = push_graph(
        graph, virtuoso.update_url, query_url=virtuoso.query_url, batch_size=200, **DBA
    )
    assert report.triples == len(graph) == report.remote_triples and report.retries == 0
    answer = query_endpoint(
        virtuoso.query_url,
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}",
    )
    assert_isomorphic(graph, answer.result.to_graph())
    assert_isomorphic(graph, virtuoso.graph(GRAPH))  # read back by another client
    assert len(virtuoso.graph(staging_graph_iri(GRAPH))) == 0


def test_push_twice_replaces_the_graph(virtuoso, graph):
    from kg.remote.client import push_graph

    push_graph(graph, virtuoso.update_url, **DBA)
    changed = _graph_plus(graph, (URIRef("urn:new"), URIRef("urn:p"), Literal("second")))
    push_graph(changed, virtuoso.update_url, **DBA)
    push_graph(changed, virtuoso.update_url, **DBA)
    assert_isomorphic(changed, virtuoso.graph(GRAPH))


def test_wrong_password_and_anonymous_updates_fail(virtuoso, graph):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph

    with pytest.raises(RemoteError, match="HTTP 401") as caught:
        push_graph(graph, virtuoso.update_url, user="dba", password="wrong-pw", retries=0)
    assert "wrong-pw" not in str(caught.value) and "Nothing was changed" in str(caught.value)
    with pytest.raises(RemoteError, match="HTTP 500.*SPARQL_INSERT|HTTP 500.*permission"):
        push_graph(graph, virtuoso.query_url, retries=0)  # /sparql as the anonymous user


def test_kg_push_and_kg_query_endpoint(virtuoso, graph, tmp_path):
    from cli import cli
    from tests.conftest import copy_project

    project = copy_project(tmp_path, FIXTURES / "facts")
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--root", str(project), "push", "--endpoint", virtuoso.update_url]
        + ["--query-endpoint", virtuoso.query_url, "--user", "dba", "--json", "--no-cache"],
        env={"KG_REMOTE_PASSWORD": "dba", "KG_REMOTE_USER": None},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["triples"] == len(graph) == report["remote_triples"]
    assert "dba" not in json.dumps(report)
    query = f"SELECT ?label WHERE {{ GRAPH <{GRAPH}> {{ kg:huawei rdfs:label ?label }} }}"
    result = runner.invoke(
        cli, ["query", "--endpoint", virtuoso.query_url, "--format", "csv", query]
    )
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()[1:]) == sorted(["Huawei", "华为", "華為"])
    # the authenticated endpoint answers queries too, with the credentials in the URL
    authed = virtuoso.update_url.replace("://", "://dba:dba@")
    result = runner.invoke(cli, ["query", "--endpoint", authed, "--format", "csv", query])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 4


def test_an_answer_virtuoso_cut_at_its_row_limit_is_an_error(virtuoso, graph):
    from kg.errors import RemoteError
    from kg.remote.client import push_graph, query_endpoint

    push_graph(graph, virtuoso.update_url, **DBA)
    rows = f"SELECT ?s ?o ?x WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o . ?s ?q ?x }} }}"
    count = query_endpoint(virtuoso.query_url, rows.replace("?s ?o ?x WHERE", "(COUNT(*) AS ?n)"))
    assert int(count.result.rows[0][0]) > MAX_ROWS
    with pytest.raises(RemoteError, match=f"cut its answer at {MAX_ROWS} rows"):
        query_endpoint(virtuoso.query_url, rows)
    answer = query_endpoint(virtuoso.query_url, rows + f" LIMIT {MAX_ROWS - 1}")
    assert len(answer.result.rows) == MAX_ROWS - 1
