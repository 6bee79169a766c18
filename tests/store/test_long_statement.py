"""A statement longer than pyoxigraph's 16 MiB stream buffer loads (and checks) everywhere."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import cli
from kg.store import open_store

pyoxigraph = pytest.importorskip("pyoxigraph")

LONG = 17 << 20


@pytest.fixture(scope="module")
def long_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "long.nt"
    with open(path, "wb") as out:
        out.write(b'<http://example.org/a> <http://example.org/p> "short" .\n')
        out.write(b'<http://example.org/a> <http://example.org/text> "' + b"x" * LONG + b'" .\n')
        out.write(b'_:b <http://example.org/text> "' + b"y" * LONG + b'" .\n')
        out.write(b'_:b <http://example.org/p> "blank" .\n')
    return path


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("flags", [(), ("--lenient",)])
def test_check_counts_a_long_statement(long_file, flags):
    result = run("load", "--check", "--json", *flags, str(long_file))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parsed"] == 4


def test_load_into_a_non_empty_store(long_file, tmp_path):
    spec = f"oxigraph:{tmp_path / 's'}"
    first = tmp_path / "first.nt"
    first.write_text('<http://example.org/z> <http://example.org/p> "z" .\n', encoding="utf-8")
    assert run("--store", spec, "load", str(first)).exit_code == 0
    result = run("--store", spec, "load", "--json", str(long_file))
    assert result.exit_code == 0, result.output
    with open_store(spec) as store:
        assert len(store) == 5
        rows = store.query(
            'SELECT ?s WHERE { ?s <http://example.org/p> "blank" ; '
            f"<http://example.org/text> ?t FILTER(STRLEN(?t) = {LONG}) }}"
        )
        assert len(rows) == 1  # the blank node kept its identity across the two lines


def test_a_bad_line_after_a_long_one_is_named(long_file, tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_bytes(long_file.read_bytes() + b'<http://example.org/a> <http://example.org/p> "x"\n')
    result = run("load", "--check", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:5: N-Triples syntax error" in result.stderr and "Traceback" not in result.output
