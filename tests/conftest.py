"""Shared test helpers: paths and a temporary project built from the real ontology."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kg.sparql.terms import PREFIXES

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: The project's prefixes as a Turtle header, for facts written inline by the tests.
TURTLE_PREFIXES = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in PREFIXES.items())


def copy_project(root: Path, facts_dir: Path | None = None) -> Path:
    """A project at ``root``: a copy of the real ontology, plus a copy of ``facts_dir`` if given."""
    shutil.copytree(REPO / "ontology", root / "ontology")
    if facts_dir is None:
        (root / "facts").mkdir(parents=True)
    else:
        shutil.copytree(facts_dir, root / "facts")
    return root


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A fresh cache directory for the test (``KG_CACHE_DIR``); modules that want one for
    every test say ``pytestmark = pytest.mark.usefixtures("cache_dir")``."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("KG_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def make_project(tmp_path):
    """Return a function building a project (real ontology + given facts files) under tmp_path."""

    def make(facts: dict[str, str]) -> Path:
        root = copy_project(tmp_path / "project")
        for name, text in facts.items():
            (root / "facts" / name).write_text(text, encoding="utf-8")
        return root

    return make


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MiB tmpfs at tmp_path/disk, to fill up or make read-only; None where it cannot be
    mounted (not root): the test then stands in a fault injected at the same step."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64M", "tmpfs", str(mount)]).returncode:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def remount(mount: Path, options: str) -> None:
    """``mount -o remount,OPTIONS`` (``ro``, ``size=…k``) of a :func:`small_disk`."""
    subprocess.run(
        ["mount", "-o", f"remount,{options}", str(mount)], check=True, capture_output=True
    )


def leave_room(mount: Path, kib: int) -> None:
    """Shrink the tmpfs at ``mount`` to what it holds now plus ``kib`` KiB."""
    du = subprocess.run(["du", "-sk", str(mount)], capture_output=True, text=True, check=True)
    remount(mount, f"size={int(du.stdout.split()[0]) + kib}k")


def cli_ok(result) -> str:
    """A CliRunner result that succeeded; its stdout."""
    assert result.exit_code == 0, result.output
    return result.stdout


def cli_error(result, code: int = 2) -> str:
    """A CliRunner result that failed cleanly: the exit code, no traceback; its stderr."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.stderr


def _oxigraph_term(node):
    import pyoxigraph
    from rdflib import XSD, BNode, Literal, URIRef

    if isinstance(node, pyoxigraph.NamedNode):
        return URIRef(node.value)
    if isinstance(node, pyoxigraph.BlankNode):
        return BNode(node.value)
    if node.language:
        return Literal(node.value, lang=node.language)
    if node.datatype.value == str(XSD.string):  # RDF 1.1: "x" and "x"^^xsd:string are one term
        return Literal(node.value)
    return Literal(node.value, datatype=URIRef(node.datatype.value))


def parse_with_oxigraph(path: Path, rdf_format=None):
    """Parse an RDF file with pyoxigraph (an independent parser) into an rdflib Graph."""
    import pyoxigraph
    from rdflib import Graph

    graph = Graph()
    with Path(path).open("rb") as stream:
        quads = pyoxigraph.parse(stream, format=rdf_format or pyoxigraph.RdfFormat.TURTLE)
        for quad in quads:
            graph.add(tuple(_oxigraph_term(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph


def _lowercase_language_tags(graph):
    """Language tags are case-insensitive; parsers differ in how they normalise them."""
    from rdflib import Graph, Literal

    normalised = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language:
            o = Literal(str(o), lang=o.language.lower())
        normalised.add((s, p, o))
    return normalised


def assert_isomorphic(expected, actual, limit: int = 20) -> None:
    """Fail with a readable diff (missing, unexpected triples) unless graphs are isomorphic."""
    from rdflib.compare import graph_diff, isomorphic, to_isomorphic

    expected, actual = _lowercase_language_tags(expected), _lowercase_language_tags(actual)
    if isomorphic(expected, actual):
        return
    _both, missing, unexpected = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
    lines = [f"- {' '.join(t.n3() for t in triple)}" for triple in sorted(missing)[:limit]]
    lines += [f"+ {' '.join(t.n3() for t in triple)}" for triple in sorted(unexpected)[:limit]]
    raise AssertionError(
        f"graphs differ: {len(missing)} missing (-), {len(unexpected)} unexpected (+)\n"
        + "\n".join(lines)
    )


def stop_process(process, timeout: float = 15) -> None:
    """Terminate a child process politely, then kill it if it does not exit in time."""
    import subprocess

    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failure: CI installs everything the suite needs."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI=true, where nothing may skip: {reason}"
