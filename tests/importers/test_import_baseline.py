"""An import is blamed only for the validation problems it adds; the curated facts' own
problems (the baseline) are kept in the cache directory and worked out again when a file,
the code or a library they depend on changes."""

from __future__ import annotations

import gc
import json
from dataclasses import replace

from click.testing import CliRunner
from rdflib import Graph

from cli import cli
from kg.facts.validate import validate_project
from kg.importers.base import curated_problems, load_curated
from kg.project import Project
from tests.conftest import FIXTURES, TURTLE_PREFIXES

SMALL_CSV = FIXTURES / "epoch" / "small.csv"
CURATED = (FIXTURES / "epoch" / "curated.ttl").read_text(encoding="utf-8")

# A curated statement about a chip nobody declares: a dangling-term problem before any import.
GHOST = (
    TURTLE_PREFIXES
    + """\

kg:stmt-a100-successorof-ghost-test a aichip:Statement ;
    rdf:subject kg:a100 ; rdf:predicate aichip:successorOf ; rdf:object kg:ghost ;
    aichip:rank aichip:Normal ; prov:wasDerivedFrom kg:src-test ; aichip:quote "ghost"@en .
"""
)


def _baselines(cache_dir) -> list:
    return sorted(cache_dir.glob("import-baseline-*.json"))


def test_curated_problems_come_from_the_cache_until_a_file_changes(make_project, cache_dir):
    root = make_project({"curated.ttl": CURATED, "ghost.ttl": GHOST})
    project = Project.at(root)
    expected = validate_project(project).problems
    assert any(p.rule == "dangling-term" and p.term == "kg:ghost" for p in expected)
    assert curated_problems(load_curated(project)) == expected
    [stored] = _baselines(cache_dir)
    # What is stored is what is used: a planted problem comes back while nothing changed.
    payload = json.loads(stored.read_text(encoding="utf-8"))
    payload["problems"] = [["here:1", "planted", "kg:x", "from the cache"]]
    stored.write_text(json.dumps(payload), encoding="utf-8")
    assert [p.rule for p in curated_problems(load_curated(project))] == ["planted"]
    # Pointing the statement at a declared chip changes a facts file (not its size in
    # triples): the problems are worked out again.
    (root / "facts" / "ghost.ttl").write_text(
        GHOST.replace("kg:ghost", "kg:a100"), encoding="utf-8"
    )
    fresh = validate_project(project).problems
    assert not any(p.rule == "dangling-term" and p.term == "kg:ghost" for p in fresh)
    assert curated_problems(load_curated(project)) == fresh
    assert len(_baselines(cache_dir)) == 2


def test_a_damaged_cache_file_is_worked_out_again(make_project, cache_dir):
    root = make_project({"curated.ttl": CURATED, "ghost.ttl": GHOST})
    project = Project.at(root)
    expected = curated_problems(load_curated(project))
    [stored] = _baselines(cache_dir)
    for damage in ("not json", '{"key": 1}', "[]", '{"key": "%s", "problems": [[1]]}'):
        key = json.loads(stored.read_text(encoding="utf-8") or "{}").get("key", "")
        stored.write_text(damage.replace("%s", str(key)), encoding="utf-8")
        assert curated_problems(load_curated(project)) == expected
        assert json.loads(stored.read_text(encoding="utf-8"))["problems"]  # rewritten


def test_facts_changed_in_memory_are_not_looked_up(make_project, cache_dir):
    root = make_project({"curated.ttl": CURATED, "ghost.ttl": GHOST})
    curated = load_curated(Project.at(root))
    before = curated_problems(curated)
    stored = _baselines(cache_dir)
    bare = replace(curated, facts=Graph(), files=())
    assert curated_problems(bare) != before  # validated afresh, not read from the cache
    assert _baselines(cache_dir) == stored


def test_an_import_is_blamed_only_for_its_own_problems(make_project, cache_dir):
    root = make_project({"curated.ttl": CURATED, "ghost.ttl": GHOST})
    out = root / "facts" / "imported" / "epoch.ttl"
    args = ["--root", str(root), "import", "epoch", str(SMALL_CSV)]
    # The curated facts' own problem is not the import's: it imports.
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "kg:ghost" not in result.output
    assert gc.isenabled()  # the import pauses the cycle collector, and turns it back on
    out.unlink()
    # Without aichip:fabricatedBy in the ontology the import's foundry statements are wrong:
    # refused with a cold baseline and again with the cached one, and nothing written.
    ontology = root / "ontology" / "aichip.ttl"
    text = ontology.read_text(encoding="utf-8")
    assert "aichip:fabricatedBy a owl:ObjectProperty" in text
    ontology.write_text(
        text.replace(
            "aichip:fabricatedBy a owl:ObjectProperty", "aichip:madeBy a owl:ObjectProperty"
        ),
        encoding="utf-8",
    )
    for _attempt in ("cold", "cached"):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "aichip:fabricatedBy" in result.stderr
        assert "validation problem(s); nothing written" in result.stderr
        assert "kg:ghost" not in result.stderr
        assert not out.exists()
        assert gc.isenabled()  # also when it refuses
    assert len(_baselines(cache_dir)) == 2  # one per ontology
