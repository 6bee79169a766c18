"""`kg stats`: exact counts on the fixture graph, the sourced share, and the real graph's shape."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import cli
from kg.facts.load import load_graph
from kg.project import Project
from tests.conftest import FIXTURES, REPO

FACTS = FIXTURES / "query" / "facts"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))


def stats(*args, facts=FACTS):
    root = ["--root", str(REPO)] + (["--facts", str(facts)] if facts else [])
    result = CliRunner().invoke(cli, [*root, "stats", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_fixture_counts_exactly():
    data = json.loads(stats("--json"))
    assert data["triples"] == len(load_graph(Project.at(REPO, FACTS)))
    assert data["entities"] == 13
    assert data["entities_per_class"] == {
        "aichip:Company": 3,
        "aichip:Foundation": 2,
        "aichip:CPU": 1,
        "aichip:ChipFamily": 1,
        "aichip:GPU": 1,
        "aichip:Market": 1,
        "aichip:NPU": 1,
        "aichip:NewsArticle": 1,
        "aichip:Report": 1,
        "org:Role": 1,
    }
    assert data["statements"] == 5
    assert data["statements_per_rank"] == {"normal": 3, "preferred": 1, "deprecated": 1}
    assert data["observations"] == 3
    assert data["observations_per_class"] == {"aichip:MarketShareObservation": 3}
    assert data["sources"] == 2
    assert data["sources_per_class"] == {"aichip:NewsArticle": 1, "aichip:Report": 1}
    assert data["claims"] == data["claims_with_source"] == data["claims_with_quote"] == 8
    # The deprecated NVIDIA–AMD statement yields no truthy triple, so 4 relations, all sourced.
    assert data["relations"] == 4
    assert data["relations_per_predicate"] == {
        "org:memberOf": 2,
        "aichip:competesWith": 1,
        "aichip:inFamily": 1,
    }
    assert data["relation_source_share"] == 1.0


def test_unsourced_relation_lowers_the_share(tmp_path):
    facts = tmp_path / "facts"
    facts.mkdir()
    for path in FACTS.glob("*.ttl"):
        (facts / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with (facts / "claims.ttl").open("a", encoding="utf-8") as stream:
        stream.write("\nkg:amd aichip:competesWith kg:huawei .\n")  # no statement, no source
    data = json.loads(stats("--json", facts=facts))
    assert (data["relations"], data["relations_with_source"]) == (5, 4)
    assert data["relation_source_share"] == 0.8
    assert "4 (80.0 %)" in stats(facts=facts)


def test_text_output_has_summary_and_breakdowns():
    out = stats()
    assert out.splitlines()[0].split() == ["measure", "count"]
    for heading in ("class", "statement rank", "observation class", "source class"):
        assert any(line.startswith(heading) for line in out.splitlines()), heading
    assert "4 (100.0 %)" in out


def test_real_graph_stats_are_consistent():
    data = json.loads(stats("--json", facts=None))
    assert data["triples"] > 0
    assert sum(data["entities_per_class"].values()) >= data["entities"]
    assert data["claims_with_source"] <= data["claims"]
    assert 0.0 <= data["relation_source_share"] <= 1.0
