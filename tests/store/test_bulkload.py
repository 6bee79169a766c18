"""kg load: all-or-nothing bulk loading with FILE:LINE errors, --lenient, and the synthetic data.

Stores are checked with their own queries after each CLI call (a fresh process would see the
same: the on-disk store is reopened every time).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from kg.errors import InputError, ParseError
from kg.store import open_store
from kg.store.bulkload import detect_format, load_files
from tests._synth import module as synth_module
from tests._synth import synthetic
from tests.conftest import REPO

pyoxigraph = pytest.importorskip("pyoxigraph")

KG = "https://w3id.org/aichip-kg/id/"
ONTOLOGY = REPO / "ontology" / "aichip.ttl"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return synthetic(tmp_path_factory.mktemp("data") / "good.nt", 2000)


def _count(spec: str) -> int:
    with open_store(spec) as store:
        return len(store)


def _load(*args: str):
    return CliRunner().invoke(cli, list(args))


def _with_bad_lines(good: Path, target: Path, bad: dict[int, bytes]) -> Path:
    """``good``'s lines with ``bad[n]`` inserted so that it becomes line ``n`` of ``target``."""
    lines = good.read_bytes().splitlines(keepends=True)
    for number in sorted(bad):
        lines.insert(number - 1, bad[number])
    target.write_bytes(b"".join(lines))
    return target


# -- good input ------------------------------------------------------------------------------


def test_good_file_loads_with_count(good, tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    result = _load("--store", store, "load", str(good))
    assert result.exit_code == 0, result.output
    assert "loaded 2,000 triples from 1 file" in result.stderr
    assert "2,000 new, 2,000 in the store" in result.stderr
    assert _count(store) == 2000


def test_json_report_and_second_load_adds_nothing(good, tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    assert _load("--store", store, "load", str(good)).exit_code == 0
    result = _load("--store", store, "load", "--json", str(good))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["parsed"] == 2000 and report["added"] == 0
    assert report["before"] == report["after"] == 2000
    assert report["files"][0]["format"] == "ntriples"


def test_compressed_and_turtle_files(good, tmp_path):
    packed = tmp_path / "good.nt.gz"
    packed.write_bytes(gzip.compress(good.read_bytes()))
    turtle = tmp_path / "small.ttl"
    turtle.write_text(
        "@prefix kg: <https://w3id.org/aichip-kg/id/> .\n"
        'kg:x kg:name "x" ; kg:knows kg:y , kg:z .\n'
        "<relative> kg:name 'resolved against the file' .\n",
        encoding="utf-8",
    )
    store = f"oxigraph:{tmp_path / 's'}"
    result = _load("--store", store, "load", str(packed), str(turtle))
    assert result.exit_code == 0, result.output
    assert _count(store) == 2004
    with open_store(store) as opened:
        rows = opened.query("SELECT ?s WHERE { ?s kg:name 'resolved against the file' }").rows
    assert str(rows[0][0]) == turtle.resolve().parent.as_uri() + "/relative"


def test_nquads_keep_their_graphs_and_blank_nodes_stay_apart(tmp_path):
    quads = tmp_path / "data.nq"
    quads.write_text(
        f'<{KG}a> <{KG}p> "in a graph" <{KG}g1> .\n<{KG}a> <{KG}p> "default" .\n',
        encoding="utf-8",
    )
    one, two = tmp_path / "one.nt", tmp_path / "two.nt"
    one.write_text(f'_:b0 <{KG}p> "first file" .\n', encoding="utf-8")
    two.write_text(f'_:b0 <{KG}p> "second file" .\n', encoding="utf-8")
    store = f"oxigraph:{tmp_path / 's'}"
    assert _load("--store", store, "load", str(quads), str(one), str(two)).exit_code == 0
    with open_store(store) as opened:
        default = opened.query(f"SELECT ?o WHERE {{ <{KG}a> <{KG}p> ?o }}").rows
        named = opened.query(f"SELECT ?g ?o WHERE {{ GRAPH ?g {{ <{KG}a> <{KG}p> ?o }} }}").rows
        blanks = opened.query(f"SELECT DISTINCT ?b WHERE {{ ?b <{KG}p> ?o FILTER isBlank(?b) }}")
        assert [str(r[0]) for r in default] == ["default"]
        assert [(str(g), str(o)) for g, o in named] == [(f"{KG}g1", "in a graph")]
        assert len(blanks.rows) == 2  # _:b0 of one file is not _:b0 of the other


# -- bad input: nothing is loaded --------------------------------------------------------------


def test_bad_line_exits_2_with_file_and_line_and_loads_nothing(good, tmp_path):
    bad = _with_bad_lines(good, tmp_path / "bad.nt", {1201: b'<http://a> <http://b> "open .\n'})
    store = f"oxigraph:{tmp_path / 's'}"
    result = _load("--store", store, "load", str(good), str(bad))  # the good file first
    assert result.exit_code == 2
    assert re.search(rf"error: {re.escape(str(bad))}:1201: N-Triples syntax error", result.stderr)
    assert "Traceback" not in result.output
    assert _count(store) == 0  # not even the good file


def test_bad_file_into_a_store_with_data_adds_nothing(good, tmp_path):
    store = f"oxigraph:{tmp_path / 's'}"
    assert _load("--store", store, "load", str(good)).exit_code == 0  # empty store: one pass
    extra = tmp_path / "extra.nt"
    extra.write_text(f'<{KG}new> <{KG}p> "fine" .\n', encoding="utf-8")
    bad = _with_bad_lines(good, tmp_path / "bad.nt", {1999: b"<http://a> <http://b> .\n"})
    result = _load("--store", store, "load", str(extra), str(bad))  # checked before loading
    assert result.exit_code == 2
    assert f"{bad}:1999:" in result.stderr
    assert _count(store) == 2000


def test_interrupted_first_load_is_undone_on_reopen(good, tmp_path):
    path = tmp_path / "s"
    with open_store(f"oxigraph:{path}") as store:
        store.load_rdf(good, "ntriples")  # as if a first load died before finishing
        store.update_manifest(incomplete={"files": [str(good)], "was_empty": True})
    assert _count(f"oxigraph:{path}") == 0


def test_missing_final_dot_is_blamed_on_its_own_line(good, tmp_path):
    bad = _with_bad_lines(good, tmp_path / "bad.nt", {7: b"<http://a> <http://b> <http://c>\n"})
    with pytest.raises(ParseError) as caught:
        load_files(open_store("oxigraph"), [bad], check_only=True)
    assert caught.value.line == 7
    assert "Triples must be followed by a dot" in str(caught.value)


def test_turtle_error_line(tmp_path):
    turtle = tmp_path / "bad.ttl"
    turtle.write_text('@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b "x\n', "utf-8")
    result = _load("--store", f"oxigraph:{tmp_path / 's'}", "load", str(turtle))
    assert result.exit_code == 2
    assert f"{turtle}:3: Turtle syntax error" in result.stderr


def test_in_memory_single_pass_is_all_or_nothing(good, tmp_path):
    bad = _with_bad_lines(good, tmp_path / "bad.nt", {1500: b"garbage\n"})
    store = open_store("oxigraph")
    with pytest.raises(ParseError) as caught:
        load_files(store, [bad])
    assert caught.value.line == 1500
    assert len(store) == 0


# -- lenient -----------------------------------------------------------------------------------


def test_lenient_skips_and_reports_bad_lines(good, tmp_path):
    bad = _with_bad_lines(
        good,
        tmp_path / "bad.nt",
        {3: b"garbage here\n", 1000: b'<http://a> <http://b> "open .\n', 2002: b"<http://a> <x\n"},
    )
    store = f"oxigraph:{tmp_path / 's'}"
    result = _load("--store", store, "load", "--lenient", str(bad))
    assert result.exit_code == 0, result.output
    skipped = re.findall(rf"skipped {re.escape(str(bad))}:(\d+):", result.stderr)
    assert skipped == ["3", "1000", "2002"]
    assert "loaded 2,000 triples" in result.stderr
    assert _count(store) == 2000


def test_lenient_across_blocks(good, tmp_path, monkeypatch):
    import kg.store.bulkload

    monkeypatch.setattr(kg.store.bulkload, "_BLOCK", 4096)  # many blocks, bad lines at their edges
    numbers = {2: b"bad one\n", 40: b"bad two\n", 41: b"bad three\n", 1990: b"bad four\n"}
    bad = _with_bad_lines(good, tmp_path / "bad.nt", numbers)
    store = open_store(f"oxigraph:{tmp_path / 's'}")
    report = load_files(store, [bad], lenient=True)
    assert [b.line for b in report.bad_lines] == sorted(numbers)
    assert report.parsed == 2000 and len(store) == 2000


def test_lenient_needs_a_line_based_format(tmp_path):
    turtle = tmp_path / "a.ttl"
    turtle.write_text("<http://a> <http://b> <http://c> .\n", encoding="utf-8")
    result = _load("--store", f"oxigraph:{tmp_path / 's'}", "load", "--lenient", str(turtle))
    assert result.exit_code == 2
    assert "N-Triples or N-Quads" in result.stderr


# -- stores and names ---------------------------------------------------------------------------


def test_memory_store_needs_check(good, monkeypatch):
    monkeypatch.delenv("KG_STORE", raising=False)
    result = _load("load", str(good))
    assert result.exit_code == 2
    assert "on-disk store" in result.stderr
    checked = _load("load", "--check", str(good))
    assert checked.exit_code == 0, checked.output
    assert "checked 2,000 triples" in checked.stderr


def test_store_from_environment(good, tmp_path, monkeypatch):
    store = tmp_path / "env-store"
    monkeypatch.setenv("KG_STORE", f"oxigraph:{store}")
    assert _load("load", str(good)).exit_code == 0
    assert _count(f"oxigraph:{store}") == 2000


def test_memory_stores_load_the_same_triples(good):
    from kg.store.convert import term_from_ox

    memory, oxigraph = open_store("memory"), open_store("oxigraph")
    load_files(memory, [good])
    load_files(oxigraph, [good])
    expected = {
        tuple(term_from_ox(t) for t in (q.subject, q.predicate, q.object))
        for q in pyoxigraph.parse(path=str(good))
    }
    assert set(memory.graph) == expected
    assert set(oxigraph.as_rdflib()) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.nt", ("ntriples", None)),
        ("a.NQ", ("nquads", None)),
        ("dump.ttl.gz", ("turtle", ".gz")),
        ("x.nt.bz2", ("ntriples", ".bz2")),
    ],
)
def test_detect_format(name, expected):
    assert detect_format(Path(name)) == expected


def test_unknown_name_and_missing_file(tmp_path):
    odd = tmp_path / "data.rdf"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format(odd)
    result = _load("--store", f"oxigraph:{tmp_path / 's'}", "load", str(tmp_path / "none.nt"))
    assert result.exit_code == 2 and "no such file" in result.stderr


# -- the synthetic generator ---------------------------------------------------------------------


def test_synthetic_graph_is_exact_distinct_valid_and_deterministic(tmp_path):
    first = synthetic(tmp_path / "a.nt", 3000, seed=7)
    again = synthetic(tmp_path / "b.nt", 3000, seed=7)
    other = synthetic(tmp_path / "c.nt", 3000, seed=8)
    data = first.read_bytes()
    assert data == again.read_bytes() and data != other.read_bytes()
    lines = data.splitlines()
    assert len(lines) == len(set(lines)) == 3000
    parsed = list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert len(parsed) == 3000


def test_synthetic_graph_uses_only_declared_ontology_terms(tmp_path):
    data = synthetic(tmp_path / "a.nt", 20000)
    ontology = pyoxigraph.Store()
    ontology.load(path=str(ONTOLOGY), base_iri=ONTOLOGY.as_uri())
    declared = {q.subject.value for q in ontology}
    aichip = "https://w3id.org/aichip-kg/ontology#"
    used = set()
    for quad in pyoxigraph.parse(path=str(data)):
        for term in (quad.predicate, quad.object):
            if isinstance(term, pyoxigraph.NamedNode) and term.value.startswith(aichip):
                used.add(term.value)
    assert used and used <= declared, sorted(used - declared)


def test_synthetic_graph_answers_the_competency_questions(tmp_path):
    data = synthetic(tmp_path / "a.nt", 20000)
    store = open_store("oxigraph")
    load_files(store, [data])
    queries = REPO / "kg" / "queries"
    answered = {
        path.stem.split("-")[0]
        for path in sorted(queries.glob("cq*.rq"))
        if store.query(path.read_text(encoding="utf-8")).rows
    }
    # Most questions have answers at this size; the hubs are the real slugs.
    assert {"cq01", "cq02", "cq04", "cq09", "cq10", "cq11", "cq12"} <= answered
    assert synth_module().REAL_COMPANIES["huawei"][0] == "Huawei"


# -- parallel bulk loading (on disk, line-based formats) ---------------------------------------


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 4 KiB, so a 2,000-line file is loaded as dozens of parallel bulk loads."""
    import kg.store.bulkload

    monkeypatch.setattr(kg.store.bulkload, "_BLOCK", 4096)


def _quads(spec: str) -> set[tuple]:
    from kg.store.convert import triple_from_ox

    with open_store(spec) as store:
        return {(*triple_from_ox(q), str(q.graph_name)) for q in store.ox}


def test_parallel_load_gives_the_store_one_call_gives(good, tmp_path, small_blocks):
    parallel = f"oxigraph:{tmp_path / 'parallel'}"
    assert _load("--store", parallel, "load", str(good)).exit_code == 0
    with open_store(f"oxigraph:{tmp_path / 'one-call'}") as store:
        store.load_rdf(good, "ntriples", bulk=True)  # the whole file in one pyoxigraph call
    assert _quads(parallel) == _quads(f"oxigraph:{tmp_path / 'one-call'}")
    assert _count(parallel) == 2000


@pytest.mark.parametrize("line", [3, 700, 1999])
def test_parallel_load_reports_the_line_in_the_file(good, tmp_path, small_blocks, line):
    bad = _with_bad_lines(good, tmp_path / "bad.nt", {line: b'<http://a> <http://b> "open .\n'})
    store = f"oxigraph:{tmp_path / 's'}"
    result = _load("--store", store, "load", str(bad))
    assert result.exit_code == 2, result.output
    assert re.search(rf"error: {re.escape(str(bad))}:{line}: N-Triples syntax error", result.stderr)
    assert _count(store) == 0


def test_parallel_load_reports_the_first_of_several_errors(good, tmp_path, small_blocks):
    bad = _with_bad_lines(
        good, tmp_path / "bad.nt", {1500: b"<http://a> .\n", 900: b"<http://b> <http://c> .\n"}
    )
    result = _load("--store", f"oxigraph:{tmp_path / 's'}", "load", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:900:" in result.stderr and ":1500:" not in result.stderr


def test_parallel_load_missing_dot_at_a_block_edge(good, tmp_path, small_blocks):
    """Whichever block ends where the dot is missing, the error names that very line."""
    lines = good.read_bytes().splitlines(keepends=True)
    offset, edges = 0, []
    for number, text in enumerate(lines, 1):  # lines that end a 4 KiB block
        if offset // 4096 != (offset + len(text)) // 4096:
            edges.append(number)
        offset += len(text)
    number = edges[3]
    lines[number - 1] = lines[number - 1].rstrip().rstrip(b".").rstrip() + b"\n"
    bad = tmp_path / "bad.nt"
    bad.write_bytes(b"".join(lines))
    result = _load("--store", f"oxigraph:{tmp_path / 's'}", "load", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:{number}:" in result.stderr, result.stderr


def test_blank_nodes_keep_their_identity_across_blocks(tmp_path, small_blocks):
    """`_:x` at the start and at the end of one file is one node, however it is cut up."""
    filler = "".join(f'<{KG}e{i}> <{KG}p> "{"x" * 60}" .\n' for i in range(400))
    data = tmp_path / "blank.nt"
    data.write_text(
        f'_:x <{KG}p> "first" .\n{filler}_:x <{KG}p> "last" .\n_:y <{KG}p> "other" .\n',
        encoding="utf-8",
    )
    store = f"oxigraph:{tmp_path / 's'}"
    assert _load("--store", store, "load", str(data)).exit_code == 0
    with open_store(store) as opened:
        rows = opened.query(
            f'SELECT ?o WHERE {{ ?b <{KG}p> "first" , ?o FILTER isBlank(?b) }} ORDER BY ?o'
        ).rows
        blanks = opened.query("SELECT DISTINCT ?b WHERE { ?b ?p ?o FILTER isBlank(?b) }").rows
    assert [str(r[0]) for r in rows] == ["first", "last"]
    assert len(blanks) == 2
    assert _count(store) == 403


def test_blank_node_block_error_names_the_line_in_the_file(tmp_path, small_blocks):
    filler = "".join(f'<{KG}e{i}> <{KG}p> "{"x" * 60}" .\n' for i in range(300))
    data = tmp_path / "blank.nt"
    data.write_text(
        f'{filler}_:x <{KG}p> "a" .\n{filler}_:x <{KG}p> "b" \n{filler}', encoding="utf-8"
    )
    result = _load("--store", f"oxigraph:{tmp_path / 's'}", "load", str(data))
    assert result.exit_code == 2
    assert f"{data}:602:" in result.stderr, result.stderr
