"""`kg serve` sends a query's warnings: a KG-Warnings header (a JSON array) for every format,
and a "warnings" field in SPARQL JSON bodies."""

from __future__ import annotations

import json

import pytest

from tests._server import start_server
from tests.conftest import FIXTURES, copy_project

TYPO = "SELECT ?c WHERE { ?c aichip:desingedBy ?m }"


@pytest.fixture(scope="module", params=["memory", "oxigraph"])
def server(tmp_path_factory, request):
    root = copy_project(tmp_path_factory.mktemp("warn-project"), FIXTURES / "serve" / "facts")
    log = tmp_path_factory.mktemp("warn-log") / "serve.log"
    running = start_server(root, "--cors", log=log, store=request.param)
    yield running
    running.stop()


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv"])
def test_warnings_header_and_json_field(server, accept):
    status, headers, body = server.query(TYPO, accept=accept)
    assert status == 200, body
    header = {k.lower(): v for k, v in dict(headers).items()}
    (warning,) = json.loads(header["kg-warnings"])
    assert warning.startswith(
        "aichip:desingedBy is not a term of the ontology; did you mean aichip:designedBy?"
    )
    assert "KG-Warnings" in header["access-control-expose-headers"]
    if accept.endswith("json"):
        assert json.loads(body)["warnings"] == [warning]


def test_no_header_without_warnings(server):
    status, headers, body = server.query(
        "SELECT ?c WHERE { ?c a aichip:Company }", accept="application/sparql-results+json"
    )
    assert status == 200, body
    assert "kg-warnings" not in {k.lower() for k in dict(headers)}
    assert "warnings" not in json.loads(body)
