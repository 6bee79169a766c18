"""kg.analytics and `kg analyze`: numbers computed by hand on small fixtures, then the real graph.

Fixtures (tests/fixtures/analytics/, each a facts directory in the project's model):
  market/     China 2022 AI accelerator card shares 85/10/2/1/1 and a small support ecosystem
  conflicts/  share figures that conflict (ranked, unranked), span two periods, tie, or are absent
  structure/  a six-node tree (plus a deprecated and a literal statement that are not edges)
  cliques/    two 4-cliques joined by one edge
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from cli import cli
from kg.analytics import (
    NoSharesError,
    ShareConflictError,
    centrality,
    communities,
    concentration,
    concentration_ratio,
    hhi,
    project,
    removal_set,
    resolve_class,
    resolve_node,
    shortest_path,
    simple_view,
    support_matrix,
    to_jsonable,
    whatif,
)
from kg.errors import InputError, UnknownTermError
from kg.facts.load import load_graph
from kg.project import Project

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "analytics"
MARKET = "kg:market-china-ai-accelerator-cards"


@cache
def _load(name: str):
    facts = FIXTURES / name if name != "real" else None
    graph = load_graph(Project.at(REPO, facts_dir=facts))
    return graph, project(graph)


def fixture(name: str):
    """(rdflib graph, analytics graph) of a fixture directory, or of the real facts."""
    graph, G = _load(name)
    return graph, G.copy()


def _2(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- projection


def test_projection_has_entities_and_relations_only():
    _graph, G = fixture("structure")
    assert sorted(G) == [
        "kg:google",
        "kg:huawei",
        "kg:meta",
        "kg:pytorch",
        "kg:pytorch-foundation",
        "kg:tensorflow",
    ]  # no statements, sources, schema or literal nodes
    edges = sorted((u, v, d["predicate"]) for u, v, d in G.edges(data=True))
    assert edges == [
        ("kg:google", "kg:pytorch-foundation", "org:memberOf"),
        ("kg:huawei", "kg:pytorch-foundation", "org:memberOf"),
        ("kg:pytorch", "kg:meta", "aichip:developedBy"),
        ("kg:pytorch-foundation", "kg:meta", "aichip:foundedBy"),
        ("kg:tensorflow", "kg:google", "aichip:developedBy"),
    ]  # the Deprecated "tensorflow foundedBy huawei" and the literal founding date are absent
    assert G.nodes["kg:huawei"]["label_zh_hant"] == "華為"
    assert "aichip:Organization" in G.nodes["kg:huawei"]["classes"]  # superclasses too


def test_projection_collapses_share_observations_into_edges():
    _graph, G = fixture("market")
    data = G.get_edge_data("kg:nvidia", MARKET)
    assert list(data) == ["kg:obs-share-china-ai-accelerator-cards-2022-nvidia"]
    edge = next(iter(data.values()))
    assert edge["value"] == Decimal(85)
    assert edge["period"] == "2022"
    assert edge["unit"] == "aichip:Percent"
    assert edge["source"] == "kg:src-seed-article"
    assert edge["cited_source"] == "kg:src-idc-fixture"
    assert edge["rank"] == "aichip:Normal"
    assert not any(node.startswith("kg:obs-") for node in G)


def test_projection_can_keep_sources():
    graph, _G = fixture("structure")
    assert "kg:src-fixture" in project(graph, include_sources=True)
    assert "kg:src-fixture" not in project(graph)


# --------------------------------------------------------------------------- concentration


def test_hhi_and_concentration_ratios_by_hand():
    assert hhi([85, 10, 2, 1, 1]) == 7331  # 7225 + 100 + 4 + 1 + 1
    assert concentration_ratio([1, 85, 2, 10, 1], 1) == 85
    assert concentration_ratio([1, 85, 2, 10, 1], 4) == 98


def test_concentration_of_the_fixture_market():
    _graph, G = fixture("market")
    result = concentration(G, MARKET)
    assert result.period == "2022"
    assert [(s.vendor, s.share) for s in result.shares] == [
        ("kg:nvidia", 85),
        ("kg:huawei", 10),
        ("kg:baidu", 2),
        ("kg:cambricon", 1),  # tie with Enflame: by CURIE
        ("kg:enflame", 1),
    ]
    assert (result.hhi, result.cr1, result.cr4, result.total) == (7331, 85, 98, 99)
    assert result.leader == "kg:nvidia"
    assert all(s.sources == ("kg:src-seed-article",) for s in result.shares)
    assert result.shares[0].figures[0].cited_source == "kg:src-idc-fixture"
    assert "not renormalised" in result.basis
    assert any("sum to 99 %" in note and "lower bound" in note for note in result.notes)


def test_concentration_uses_the_best_rank_and_reports_what_it_set_aside():
    _graph, G = fixture("conflicts")
    result = concentration(G, "kg:market-ranked")
    assert [(s.vendor, s.share) for s in result.shares] == [("kg:nvidia", 80), ("kg:huawei", 20)]
    assert result.hhi == 80**2 + 20**2
    nvidia = result.shares[0]
    assert [f.value for f in nvidia.set_aside] == [70]
    assert any("70 %" in note and "kg:src-b" in note for note in result.notes)
    assert any("15 %" in note and "Deprecated" in note for note in result.notes)


def test_concentration_refuses_an_unranked_conflict_naming_both_sources():
    _graph, G = fixture("conflicts")
    with pytest.raises(ShareConflictError) as error:
        concentration(G, "kg:market-unranked")
    message = str(error.value)
    assert "conflict unranked" in message
    assert "kg:src-a" in message and "kg:src-b" in message
    assert error.value.exit_code == 1


def test_concentration_periods_missing_shares_and_ties():
    _graph, G = fixture("conflicts")
    with pytest.raises(InputError, match=r"several periods \(2022, 2023-H1\)"):
        concentration(G, "kg:market-periods")
    assert concentration(G, "kg:market-periods", "2023-H1").hhi == 1600
    with pytest.raises(NoSharesError, match="periods with shares: 2022, 2023-H1"):
        concentration(G, "kg:market-periods", "2021")
    with pytest.raises(NoSharesError, match="no market-share figures for kg:market-empty"):
        concentration(G, "kg:market-empty")
    tied = concentration(G, "kg:market-tied")
    assert tied.leader == "kg:huawei"  # 50/50: first by CURIE, and said so
    assert any("tied for the lead" in note for note in tied.notes)


# --------------------------------------------------------------------------- whatif


def test_whatif_nvidia_leaves_the_fixture_market():
    _graph, G = fixture("market")
    result = whatif(G, "kg:nvidia")
    assert result.removed == ("kg:nvidia", "kg:cuda", "kg:h100", "kg:nvidia-datacenter-gpus")
    assert result.removed_software == ("kg:cuda",)
    assert result.removed_hardware == ("kg:h100", "kg:nvidia-datacenter-gpus")
    (market,) = result.markets
    assert market.removed_share == 85
    renormalised = {s.vendor: _2(s.renormalised) for s in market.remaining}
    assert renormalised == {
        "kg:huawei": Decimal("71.43"),  # 10 / 14
        "kg:baidu": Decimal("14.29"),  # 2 / 14
        "kg:cambricon": Decimal("7.14"),
        "kg:enflame": Decimal("7.14"),
    }
    # (10² + 2² + 1² + 1²) / 14² × 10,000 = 106 / 196 × 10,000
    assert abs(float(market.hhi_after) - 1_060_000 / 196) < 1e-9
    assert _2(market.hhi_after) == Decimal("5408.16")
    assert market.cr4_after == 100
    assert market.leader_after == "kg:huawei"
    assert market.before.hhi == 7331  # before is on the published shares


def test_whatif_names_candidates_and_what_supports_them():
    _graph, G = fixture("market")
    (market,) = whatif(G, "kg:nvidia").markets
    candidates = {c.vendor: c for c in market.candidates}
    assert [c.vendor for c in market.candidates] == [
        "kg:huawei",
        "kg:baidu",
        "kg:cambricon",
        "kg:enflame",
    ]
    huawei = candidates["kg:huawei"]
    assert huawei.hardware == ("kg:ascend",)
    links = {link.software: link.routes for link in huawei.supported_by}
    assert links["kg:pytorch"] == (("kg:torch-npu", "kg:cann"),)  # PyTorch via the adapter
    assert links["kg:mindspore"] == ((), ("kg:cann",))  # directly, and through CANN
    assert "kg:tensorflow" not in links
    assert candidates["kg:baidu"].hardware == ("kg:kunlun",)  # via its subsidiary Kunlunxin
    assert [link.software for link in candidates["kg:cambricon"].supported_by] == ["kg:pytorch"]
    assert candidates["kg:enflame"].supported_by == ()


def test_whatif_ecosystem_stranded_affected_and_cut_off():
    _graph, G = fixture("market")
    result = whatif(G, "kg:nvidia")
    assert [s.software for s in result.stranded] == ["kg:tensorflow"]
    assert result.stranded[0].lost == ("kg:nvidia-datacenter-gpus",)
    affected = {s.software: s.kept for s in result.affected}
    assert affected == {
        "kg:mindspore": ("kg:ascend",),
        "kg:paddlepaddle": ("kg:ascend", "kg:kunlun"),
        "kg:pytorch": ("kg:ascend", "kg:cambricon-mlu"),
    }
    assert {s.software: s.lost_layers for s in result.affected}["kg:pytorch"] == ("kg:cuda",)
    assert [c.nodes for c in result.disconnected] == [("kg:google", "kg:tensorflow")]


def test_removal_takes_subsidiaries_and_their_products():
    _graph, G = fixture("market")
    assert removal_set(G, "kg:baidu") == (
        "kg:baidu",
        "kg:kunlun",
        "kg:kunlunxin",
        "kg:paddlepaddle",
    )


def test_whatif_market_filters_and_skips():
    _graph, G = fixture("conflicts")
    result = whatif(G, "kg:nvidia")
    assert [m.before.market for m in result.markets] == ["kg:market-ranked", "kg:market-tied"]
    assert len(result.skipped) == 1 and "conflict unranked" in result.skipped[0]
    with pytest.raises(ShareConflictError):
        whatif(G, "kg:nvidia", market="kg:market-unranked")
    with pytest.raises(InputError, match="no share figure"):
        whatif(G, "kg:nvidia", market="kg:market-periods")
    ranked = whatif(G, "kg:nvidia", market="kg:market-ranked").markets[0]
    assert ranked.leader_after == "kg:huawei" and ranked.hhi_after == 10_000


# --------------------------------------------------------------------------- support


def test_support_matrix_cells():
    _graph, G = fixture("market")
    matrix = support_matrix(G)
    cell = matrix.cell
    assert cell("kg:pytorch", "kg:ascend").routes == (("kg:torch-npu", "kg:cann"),)
    assert cell("kg:pytorch", "kg:cambricon-mlu").direct  # from "MLU compatibleWith PyTorch"
    assert cell("kg:pytorch", "kg:nvidia-datacenter-gpus").via == ("kg:cuda",)
    assert cell("kg:paddlepaddle", "kg:ascend").reached == "kg:ascend-910"  # chip → family
    assert cell("kg:mindspore", "kg:ascend").direct
    assert cell("kg:tensorflow", "kg:ascend") is None
    # torch_npu sits below PyTorch: it must not inherit PyTorch's other hardware
    assert cell("kg:torch-npu", "kg:cambricon-mlu") is None
    assert cell("kg:torch-npu", "kg:ascend").via == ("kg:cann",)
    rows = [r.node for r in matrix.rows]
    assert rows[:4] == ["kg:mindspore", "kg:paddlepaddle", "kg:pytorch", "kg:tensorflow"]
    makers = {c.node: c.makers for c in matrix.columns}
    assert makers["kg:kunlun"] == ("kg:kunlunxin",)
    assert makers["kg:nvidia-datacenter-gpus"] == ("kg:nvidia",)


# --------------------------------------------------------------------------- centrality


def test_centrality_against_hand_computed_values():
    _graph, G = fixture("structure")
    result = centrality(G, sort="betweenness")
    rows = {r.node: r for r in result.rows}
    degrees = {node: r.degree for node, r in rows.items()}
    assert degrees == {
        "kg:pytorch-foundation": 3,
        "kg:meta": 2,
        "kg:google": 2,
        "kg:huawei": 1,
        "kg:pytorch": 1,
        "kg:tensorflow": 1,
    }
    assert all(r.degree_centrality == pytest.approx(r.degree / 5) for r in result.rows)
    # tree: the foundation separates 1×2 + 1×2 + 2×2 = 8 of the 10 pairs; Meta and Google 4
    assert rows["kg:pytorch-foundation"].betweenness == pytest.approx(0.8)
    assert rows["kg:meta"].betweenness == pytest.approx(0.4)
    assert rows["kg:huawei"].betweenness == 0
    assert [r.node for r in result.rows][:3] == [
        "kg:pytorch-foundation",
        "kg:google",  # tied with Meta at 0.4: by CURIE
        "kg:meta",
    ]
    reference = nx.pagerank(
        nx.Graph(
            [
                ("huawei", "pytorch-foundation"),
                ("google", "pytorch-foundation"),
                ("pytorch-foundation", "meta"),
                ("pytorch", "meta"),
                ("tensorflow", "google"),
            ]
        )
    )
    for name, score in reference.items():
        assert rows[f"kg:{name}"].pagerank == pytest.approx(score, abs=1e-6)


def test_centrality_class_filter_keeps_whole_graph_scores():
    graph, G = fixture("structure")
    everything = {r.node: r for r in centrality(G).rows}
    companies = centrality(G, classes=[resolve_class(graph, "company")])
    assert [r.node for r in companies.rows] == ["kg:google", "kg:meta", "kg:huawei"]
    assert all(r == everything[r.node] for r in companies.rows)
    organisations = centrality(G, classes=["aichip:Organization"], sort="degree")
    assert organisations.rows[0].node == "kg:pytorch-foundation"  # Foundation ⊂ Organization
    assert len(centrality(G, top=2).rows) == 2
    sampled = centrality(G, sample=3)
    assert sampled.sampled == 3 and sampled == centrality(G, sample=3)  # seeded
    assert centrality(G, sample=100).sampled is None  # not fewer than all nodes: exact


# --------------------------------------------------------------------------- communities


def test_communities_two_cliques_and_modularity():
    _graph, G = fixture("cliques")
    result = communities(G)
    assert [tuple(m.node for m in c.members) for c in result.communities] == [
        ("kg:alpha-1", "kg:alpha-2", "kg:alpha-3", "kg:alpha-4"),  # bridge node first
        ("kg:beta-1", "kg:beta-2", "kg:beta-3", "kg:beta-4"),
    ]
    # 13 edges; each side 6 internal edges, degree sum 13: 2 × (6/13 − (13/26)²)
    assert result.modularity == pytest.approx(12 / 13 - 1 / 2, abs=1e-6)
    assert result.edges == 13 and result.singletons == 0
    assert communities(G) == result  # fixed seed: deterministic
    assert result.method == "louvain (networkx)"


def test_large_graphs_take_the_igraph_leiden_path(monkeypatch):
    pytest.importorskip("igraph")
    from kg.analytics import fast

    _graph, G = fixture("cliques")
    monkeypatch.setattr(fast, "LARGE_EDGES", 5)  # the 13-edge fixture now counts as large
    result = communities(G)
    assert result.method == "leiden (igraph)"
    assert [tuple(m.node for m in c.members) for c in result.communities] == [
        ("kg:alpha-1", "kg:alpha-2", "kg:alpha-3", "kg:alpha-4"),
        ("kg:beta-1", "kg:beta-2", "kg:beta-3", "kg:beta-4"),
    ]
    assert result.modularity == pytest.approx(12 / 13 - 1 / 2, abs=1e-6)


# --------------------------------------------------------------------------- paths


def test_path_chain_text_keeps_each_relations_direction():
    _graph, G = fixture("structure")
    path = shortest_path(G, "kg:huawei", "kg:meta")
    assert path.text == "Huawei —member of→ PyTorch Foundation —founded by→ Meta"
    back = shortest_path(G, "kg:meta", "kg:huawei")
    assert back.text == "Meta ←founded by— PyTorch Foundation ←member of— Huawei"
    longer = shortest_path(G, "kg:huawei", "kg:tensorflow", lang="zh-Hans")
    # Relations are named in the language asked for, from the ontology's zh-Hans labels.
    assert longer.text == "华为 —成员→ PyTorch基金会 ←成员— 谷歌 ←开发者— TensorFlow"
    assert longer.length == 3
    assert path.hops[0].sources == ("kg:src-fixture",)


def test_path_through_a_share_edge_and_no_path():
    _graph, G = fixture("market")
    path = shortest_path(G, "kg:enflame", "kg:cambricon")
    assert path.text == (
        "Enflame —share 1 % (2022)→ China AI accelerator cards ←share 1 % (2022)— Cambricon"
    )
    _graph, G = fixture("conflicts")
    assert shortest_path(G, "kg:market-empty", "kg:nvidia") is None


# --------------------------------------------------------------------------- resolving names


def test_resolve_node_by_curie_slug_and_labels_in_any_script():
    graph, G = fixture("market")
    for text in ("kg:nvidia", "nvidia", "NVIDIA", "英伟达", "輝達"):
        assert resolve_node(graph, G, text) == "kg:nvidia"
    assert resolve_node(graph, G, "升腾") == "kg:ascend"  # alternative spelling
    with pytest.raises(UnknownTermError) as error:
        resolve_node(graph, G, "nvdia")
    assert any("kg:nvidia" in s for s in error.value.suggestions)
    with pytest.raises(InputError, match="not an entity the analytics graph covers"):
        resolve_node(graph, G, "kg:src-fixture")
    with pytest.raises(InputError, match="not a market"):
        resolve_node(graph, G, "nvidia", kind="market", cls="aichip:Market")


def test_resolve_class():
    graph, _G = fixture("structure")
    for text in ("aichip:Company", "Company", "company", "公司"):
        assert resolve_class(graph, text) == "aichip:Company"
    assert resolve_class(graph, "framework") == "aichip:SoftwareFramework"
    with pytest.raises(UnknownTermError, match="aichip:Company"):
        resolve_class(graph, "Compnay")


def test_results_serialise_to_plain_json():
    _graph, G = fixture("market")
    data = json.loads(json.dumps(to_jsonable(whatif(G, "kg:nvidia"))))
    market = data["markets"][0]
    assert market["before"]["hhi"] == 7331
    assert market["remaining"][0]["renormalised"] == pytest.approx(71.428571)
    assert data["stranded"][0]["software"] == "kg:tensorflow"


# --------------------------------------------------------------------------- CLI on fixtures


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("kg-cache")


@pytest.fixture
def run(cache_dir):
    def invoke(facts: str | None, *args: str):
        root = ["--facts", str(FIXTURES / facts)] if facts else []
        env = {"KG_CACHE_DIR": str(cache_dir)}
        return CliRunner().invoke(cli, [*root, "analyze", *args], env=env)

    return invoke


def test_cli_concentration(run):
    result = run("market", "concentration", "中国AI加速卡市场", "--year", "2022")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "HHI 7,331" in out and "CR1 85 %" in out and "CR4 98 %" in out
    assert "total 99 %" in out and "not renormalised" in out
    assert "kg:src-seed-article citing kg:src-idc-fixture" in out
    result = run("market", "concentration", "market-china-ai-accelerator-cards", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["hhi"], data["cr1"], data["cr4"], data["total"]) == (7331, 85, 98, 99)
    assert [s["vendor"] for s in data["shares"]][:2] == ["kg:nvidia", "kg:huawei"]
    assert data["shares"][0]["sources"] == ["kg:src-seed-article"]


def test_cli_concentration_errors(run):
    result = run("conflicts", "concentration", "market-unranked")
    assert result.exit_code == 1
    assert "conflict unranked" in result.stderr and "kg:src-b" in result.stderr
    assert "Traceback" not in result.output
    result = run("conflicts", "concentration", "market-periods")
    assert result.exit_code == 2 and "--year" in result.stderr
    assert run("conflicts", "concentration", "market-periods", "--year", "2023-H1").exit_code == 0
    result = run("conflicts", "concentration", "market-empty")
    assert result.exit_code == 2 and "no market-share figures" in result.stderr
    result = run("market", "concentration", "nvidia")
    assert result.exit_code == 2 and "not a market" in result.stderr
    result = run("market", "concentration", "market-china-ai-acelerator-cards")
    assert result.exit_code == 2 and "did you mean" in result.stderr


def test_cli_whatif(run):
    result = run("market", "whatif", "--remove", "英伟达")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "leader NVIDIA → Huawei" in out
    assert "removes NVIDIA; its software CUDA; 2 hardware products: H100," in out
    assert "HHI 7,331 → 5,408.16" in out
    assert "Huawei: 10 % of the market, 71.43 % of what is left" in out
    ascend = next(line for line in out.splitlines() if line.strip().startswith("Ascend:"))
    assert "PyTorch via torch_npu → CANN" in ascend and "MindSpore (direct; via CANN)" in ascend
    assert "hardware without supporting software in the graph: Enflame CloudBlazer" in out
    assert "left without supported hardware: TensorFlow" in out
    assert "PyTorch loses CUDA, NVIDIA data-centre GPUs; keeps Ascend, Cambricon MLU" in out
    assert "cut off from the rest (1 part): Google, TensorFlow" in out
    result = run("market", "whatif", "--remove", "nvidia", "--market", MARKET, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["markets"][0]["leader_after"] == "kg:huawei"
    assert data["markets"][0]["hhi_after"] == pytest.approx(1_060_000 / 196, abs=1e-5)


def test_cli_whatif_errors(run):
    result = run("market", "whatif", "--remove", "nvidiaa")
    assert result.exit_code == 2, result.output
    assert result.stderr == "error: unknown vendor 'nvidiaa'; did you mean kg:nvidia (NVIDIA)?\n"
    # The chip H100 is one letter away, but it is not a vendor: nothing to offer.
    result = run("market", "whatif", "--remove", "h1000")
    assert result.exit_code == 2 and result.stderr == "error: unknown vendor 'h1000'\n"
    result = run("market", "whatif", "--remove", "pytorch")
    assert result.exit_code == 2 and "not a vendor" in result.stderr
    result = run("conflicts", "whatif", "--remove", "nvidia", "--market", "market-periods")
    assert result.exit_code == 2 and "no share figure" in result.stderr
    result = run("market", "whatif")
    assert result.exit_code == 2 and "--remove" in result.output


def test_cli_path(run):
    result = run("structure", "path", "華為", "meta")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Huawei —member of→ PyTorch Foundation —founded by→ Meta"
    )
    assert "kg:src-fixture" in result.stdout
    result = run("structure", "path", "huawei", "tensorflow", "--json")
    data = json.loads(result.stdout)
    assert data["nodes"] == ["kg:huawei", "kg:pytorch-foundation", "kg:google", "kg:tensorflow"]
    assert [h["forward"] for h in data["hops"]] == [True, False, False]
    result = run("conflicts", "path", "market-empty", "nvidia")
    assert result.exit_code == 1 and "no path" in result.stderr
    result = run("structure", "path", "huawei", "nobody-at-all")
    assert result.exit_code == 2 and "unknown" in result.stderr


def test_cli_centrality(run):
    result = run("structure", "centrality", "--by", "degree", "--class", "company")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2].split()[:3] == ["1", "kg:google", "Google"]
    assert [line.split()[1] for line in lines[2:]] == ["kg:google", "kg:meta", "kg:huawei"]
    result = run("structure", "centrality", "--json")
    data = json.loads(result.stdout)
    assert data["rows"][0]["node"] == "kg:pytorch-foundation"
    assert data["rows"][0]["degree"] == 3
    result = run("structure", "centrality", "--class", "widget")
    assert result.exit_code == 2 and "unknown class" in result.stderr


def test_cli_communities(run):
    result = run("cliques", "communities")
    assert result.exit_code == 0, result.output
    assert "2 communities, modularity 0.4231" in result.stdout
    assert "Alpha 1, Alpha 2, Alpha 3, Alpha 4" in result.stdout
    data = json.loads(run("cliques", "communities", "--json").stdout)
    assert data["modularity"] == pytest.approx(0.423077)
    assert [c["size"] for c in data["communities"]] == [4, 4]


def test_cli_support(run):
    result = run("market", "support")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split("  ")
    assert "Ascend" in [h.strip() for h in header]
    assert "PyTorch × Ascend: via torch_npu → CANN" in result.stdout
    listed = run("market", "support", "--list").stdout
    assert any(
        line.split()[:2] == ["TensorFlow", "NVIDIA"] and line.rstrip().endswith("via CUDA")
        for line in listed.splitlines()
    )
    data = json.loads(run("market", "support", "--json").stdout)
    cells = {(c["software"], c["hardware"]): c for c in data["cells"]}
    assert cells[("kg:pytorch", "kg:ascend")]["via"] == ["kg:torch-npu", "kg:cann"]


@pytest.mark.parametrize(
    "command", ["centrality", "communities", "path", "concentration", "whatif", "support"]
)
def test_cli_help_has_an_example(command):
    result = CliRunner().invoke(cli, ["analyze", command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and f"kg analyze {command}" in result.output


# --------------------------------------------------------------------------- the real graph


def _real_shares(graph, market: str, year: str) -> dict[str, Decimal]:
    """Best-ranked vendor shares read with SPARQL, independently of kg.analytics."""
    rows = graph.query(
        """
        SELECT ?vendor ?value ?rank WHERE {
          ?obs a aichip:MarketShareObservation ; aichip:market ?market ;
               aichip:vendor ?vendor ; aichip:value ?value .
          { ?obs aichip:year ?y } UNION { ?obs aichip:period ?y }
          FILTER (STR(?y) = ?year)
          OPTIONAL { ?obs aichip:rank ?rank }
        }""",
        initBindings={"market": graph.namespace_manager.expand_curie(market), "year": year},
    )
    order = {"Preferred": 0, "Normal": 1, "Deprecated": 2}
    best: dict[str, tuple[int, Decimal]] = {}
    for vendor, value, rank in rows:
        r = order[str(rank).rsplit("#", 1)[-1]] if rank is not None else 1
        if r < 2 and (str(vendor) not in best or r < best[str(vendor)][0]):
            best[str(vendor)] = (r, Decimal(str(value)))
    return {v: share for v, (_r, share) in best.items()}


def test_real_concentration_china_2022():
    from rdflib import Literal

    graph, G = fixture("real")
    shares = _real_shares(graph, MARKET, Literal("2022"))
    result = concentration(G, MARKET, "2022")
    assert result.hhi == sum(s * s for s in shares.values())
    assert result.hhi == 7331  # the article's 85/10/2/1/1
    assert result.leader == "kg:nvidia" and result.cr1 == 85
    assert {s.vendor for s in result.shares} >= {"kg:huawei", "kg:baidu", "kg:cambricon"}
    assert all(s.sources for s in result.shares)


def test_real_whatif_nvidia_leaves_china():
    _graph, G = fixture("real")
    result = whatif(G, "kg:nvidia", market=MARKET, period="2022")
    (market,) = result.markets
    assert market.leader_after == "kg:huawei"
    assert _2(market.remaining[0].renormalised) == Decimal("71.43")
    huawei = market.candidates[0]
    assert huawei.vendor == "kg:huawei"
    assert "kg:ascend" in huawei.hardware
    assert "kg:pytorch" in {link.software for link in huawei.supported_by}
    assert "kg:cuda" in result.removed
    # PyTorch runs on CUDA (sourced): it loses that layer and keeps Ascend
    pytorch = {s.software: s for s in result.affected + result.stranded}["kg:pytorch"]
    assert "kg:cuda" in pytorch.lost_layers and "kg:ascend" in pytorch.kept


def test_real_structure_answers():
    _graph, G = fixture("real")
    path = shortest_path(G, "kg:huawei", "kg:meta")
    assert path is not None and "PyTorch Foundation" in path.labels
    ranked = centrality(G, sort="degree")
    view = simple_view(G)
    assert all(r.degree == len(set(view[r.node])) for r in ranked.rows)
    top = [r.node for r in ranked.rows[:10]]
    assert "kg:nvidia" in top and "kg:huawei" in top
    found = communities(G)
    members = [m.node for c in found.communities for m in c.members]
    assert len(members) == len(set(members))  # a partition
    assert set(members) == {n for n in view if view.degree(n) > 0}
    assert 0 < found.modularity <= 1
    assert support_matrix(G).cell("kg:pytorch", "kg:ascend") is not None


@pytest.mark.parametrize(
    "args",
    [
        ["centrality", "--top", "5"],
        ["communities", "--json"],
        ["path", "华为", "PyTorch Foundation"],
        ["concentration", MARKET, "--year", "2022"],
        ["whatif", "--remove", "NVIDIA", "--market", MARKET],
        ["support", "--list"],
    ],
)
def test_cli_every_subcommand_on_the_real_graph(run, args):
    result = run(None, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def test_output_does_not_depend_on_the_hash_seed(tmp_path):
    import os
    import subprocess
    import sys

    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "KG_CACHE_DIR": str(tmp_path / seed)}
        args = ["--facts", str(FIXTURES / "market"), "analyze", "whatif", "--remove", "nvidia"]
        done = subprocess.run(
            [sys.executable, str(REPO / "cli.py"), *args, "--json"],
            env=env,
            capture_output=True,
            check=True,
        )
        communities_run = subprocess.run(
            [sys.executable, str(REPO / "cli.py"), *args[:3], "communities", "--json"],
            env=env,
            capture_output=True,
            check=True,
        )
        outputs.add((done.stdout, communities_run.stdout))
    assert len(outputs) == 1
