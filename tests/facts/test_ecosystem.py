"""The wider ecosystem facts (facts/ecosystem/): present, sourced, graded and ranked honestly."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace
from rdflib.namespace import OWL, PROV

from kg.facts.load import PREFIXES, load
from kg.ns import AICHIP, KG
from tests.conftest import REPO

ECOSYSTEM = REPO / "facts" / "ecosystem"
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")


@pytest.fixture(scope="module")
def loaded():
    return load()


@pytest.fixture(scope="module")
def graph(loaded):
    return loaded.graph


@pytest.fixture(scope="module")
def ecosystem():
    """Only the files of this directory (to check how they are written)."""
    g = Graph()
    for path in sorted(ECOSYSTEM.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def _select(graph: Graph, query: str) -> list:
    head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    return list(graph.query(head + query))


def _values(graph, subject, predicate, *, best_only=True) -> list[Decimal]:
    """Values of the statements claiming ``subject predicate ?`` (best rank only by default)."""
    rows = _select(
        graph,
        f"""SELECT ?v ?rank WHERE {{ ?s a aichip:Statement ; rdf:subject {subject} ;
            rdf:predicate {predicate} ; rdf:object ?v . OPTIONAL {{ ?s aichip:rank ?rank }} }}""",
    )
    order = {AICHIP.Preferred: 0, AICHIP.Normal: 1, None: 1, AICHIP.Deprecated: 9}
    best = min((order[r.rank] for r in rows), default=9)
    return sorted(Decimal(str(r.v)) for r in rows if not best_only or order[r.rank] == best)


# --- PyTorch Foundation ------------------------------------------------------------------


def test_premier_members_with_join_dates(graph):
    rows = _select(
        graph,
        """SELECT ?member ?date WHERE { ?s rdf:subject ?member ; rdf:predicate org:memberOf ;
             rdf:object kg:pytorch-foundation ; org:role kg:role-premier-member .
             OPTIONAL { ?s aichip:startDate ?date } }""",
    )
    joined = {str(r.member).rsplit("/", 1)[-1]: str(r.date) for r in rows if r.date}
    expected = {
        "ibm": "2023-07-27",
        "hugging-face": "2023-08-02",
        "intel": "2023-08-10",
        "huawei": "2023-10-17",
        "lightning-ai": "2023-10-17",
        "arm": "2024-09-10",
    }
    for member, date in expected.items():
        assert joined.get(member) == date, (member, joined.get(member))
    # Every premier member has a join date on at least one of its membership statements (the
    # founding members' date is on their founding-member statement).
    members = {str(r.member).rsplit("/", 1)[-1] for r in rows}
    dated = _select(
        graph,
        """SELECT DISTINCT ?member WHERE { ?s rdf:subject ?member ; rdf:predicate org:memberOf ;
             rdf:object kg:pytorch-foundation ; aichip:startDate ?date }""",
    )
    with_date = {str(r.member).rsplit("/", 1)[-1] for r in dated}
    assert members <= with_date, members - with_date
    assert (KG["ibm"], ORG.memberOf, KG["pytorch-foundation"]) in graph


def test_huawei_board_representative_is_fred_li(graph):
    assert (KG["huawei"], AICHIP.representative, KG["fred-li"]) in graph
    rows = _select(
        graph,
        """SELECT ?s ?org ?src ?quote WHERE { ?s rdf:subject kg:huawei ;
             rdf:predicate aichip:representative ; rdf:object kg:fred-li ;
             aichip:inOrganization ?org ; prov:wasDerivedFrom ?src ; aichip:quote ?quote }""",
    )
    assert rows and all(r.org == KG["pytorch-foundation"] for r in rows)
    quotes = {str(r.quote) for r in rows}
    assert any("Huawei representative Fred Li" in q for q in quotes)
    assert any("李永乐" in q for q in quotes)
    assert (KG["fred-li"], RDFS.label, Literal("李永乐", lang="zh-Hans")) in graph
    # The source is a declared page with a URL.
    source = rows[0].src
    assert (source, RDF.type, AICHIP.WebPage) in graph
    assert any(True for _ in graph.objects(source, SCHEMA.url))


# --- chips -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chip", "predicate", "expected"),
    [
        ("h100-sxm", "fp16DenseTFLOPS", ["989.4"]),
        ("h100-sxm", "int8DenseTOPS", ["1979"]),
        ("h100-sxm", "dieAreaMM2", ["814"]),
        ("h100-sxm", "processNode", ["4"]),  # TSMC 4N, preferred over Epoch's 5
        ("a100", "fp16DenseTFLOPS", ["312"]),
        ("a100", "int8DenseTOPS", ["624"]),
        ("a100", "dieAreaMM2", ["826"]),
        ("a100", "memoryGB", ["40", "80"]),
        ("h20", "fp16DenseTFLOPS", ["148"]),
        ("h20", "int8DenseTOPS", ["296"]),
        ("h20", "memoryGB", ["96"]),
        ("a800", "interconnectGBps", ["400"]),
        ("ascend-910", "fp16DenseTFLOPS", ["256"]),
        ("ascend-910", "int8DenseTOPS", ["512"]),
        ("ascend-310", "int8DenseTOPS", ["16"]),
        ("mlu370-x8", "fp16DenseTFLOPS", ["96"]),
        ("mi300x", "fp16DenseTFLOPS", ["1307.4"]),
        ("tpu-v5e", "int8DenseTOPS", ["393"]),
    ],
)
def test_chip_figures(graph, chip, predicate, expected):
    assert _values(graph, f"kg:{chip}", f"aichip:{predicate}") == [Decimal(v) for v in expected]


def test_chip_figures_are_typed_decimals_in_the_unit_named(ecosystem):
    figures = [
        AICHIP.fp16DenseTFLOPS,
        AICHIP.int8DenseTOPS,
        AICHIP.dieAreaMM2,
        AICHIP.memoryGB,
        AICHIP.processNode,
        AICHIP.tdpWatts,
        AICHIP.interconnectGBps,
    ]
    count = 0
    for statement in ecosystem.subjects(RDF.type, AICHIP.Statement):
        if ecosystem.value(statement, RDF.predicate) in figures:
            value = ecosystem.value(statement, RDF.object)
            assert isinstance(value, Literal) and value.datatype == XSD.decimal, statement
            count += 1
    assert count > 80


def test_release_years_for_the_issue_chips(graph):
    chips = "v100 a100 h100-sxm h100-pcie a800 h800 h20 h200 ascend-310 ascend-910 kunpeng-920"
    chips += " kunlun-1 kunlun-2 mlu290 mlu370-x8 enflame-t10 enflame-t20 mi250x mi300x gaudi-2"
    chips += " gaudi-3 tpu-v4 tpu-v5e"
    for chip in chips.split():
        dates = list(graph.objects(KG[chip], AICHIP.releaseDate))
        assert dates, chip
    assert Literal("2018-10-10", datatype=XSD.date) in set(
        graph.objects(KG["ascend-310"], AICHIP.releaseDate)
    )


def test_910b_conflicting_figures_side_by_side(graph):
    rows = _select(
        graph,
        """SELECT ?s ?v ?rank ?grade WHERE { ?s rdf:subject kg:ascend-910b ;
             rdf:predicate aichip:fp16DenseTFLOPS ; rdf:object ?v ; aichip:rank ?rank ;
             prov:wasDerivedFrom kg:src-reference-sheet ; aichip:verification ?grade }""",
    )
    by_value = {Decimal(str(r.v)): r for r in rows}
    assert set(by_value) == {Decimal(376), Decimal(320), Decimal(220)}
    assert {r.rank for r in rows} == {AICHIP.Normal}  # none promoted
    assert {str(r.grade) for r in rows} == {"unverified"}
    statements = [r.s for r in rows]
    for a in statements:
        others = set(graph.objects(a, AICHIP.conflictsWith))
        assert set(statements) - {a} <= others


def test_unverified_claims_are_never_preferred(graph):
    rows = _select(
        graph,
        """SELECT ?s WHERE { ?s aichip:verification "unverified" ;
             aichip:rank aichip:Preferred }""",
    )
    assert rows == []


def test_chinese_names(graph):
    for slug, zh_hans, zh_hant in [
        ("hisilicon", "海思", "海思"),
        ("kunlunxin", "昆仑芯", "崑崙芯"),
        ("paddlepaddle", "飞桨", "飛槳"),
        ("ascend-310", "昇腾310", "昇騰310"),
        ("mlu290", "思元290", "思元290"),
        ("enflame-t20", "云燧T20", "雲燧T20"),
    ]:
        labels = set(graph.objects(KG[slug], RDFS.label))
        assert Literal(zh_hans, lang="zh-Hans") in labels, slug
        assert Literal(zh_hant, lang="zh-Hant") in labels, slug


# --- companies, software, export controls ------------------------------------------------


def test_companies(graph):
    assert (KG["hisilicon"], ORG.subOrganizationOf, KG["huawei"]) in graph
    assert (KG["kunlunxin"], ORG.subOrganizationOf, KG["baidu"]) in graph
    assert (KG["habana-labs"], ORG.subOrganizationOf, KG["intel"]) in graph
    assert (KG["nvidia"], AICHIP.headquarters, KG["santa-clara"]) in graph
    assert (KG["huawei"], AICHIP.headquarters, KG["shenzhen"]) in graph
    assert (KG["cambricon"], AICHIP.foundedBy, KG["chen-yunji"]) in graph
    assert Literal("1987", datatype=XSD.gYear) in set(
        graph.objects(KG["huawei"], AICHIP.foundingDate)
    )
    # Wikidata identities stay where the seed curator put them, only for verified rows.
    assert (KG["nvidia"], OWL.sameAs, None) in graph


def test_software_support(graph):
    assert (KG["torch-npu"], AICHIP.dependsOn, KG["cann"]) in graph
    assert (KG["torch-npu"], AICHIP.supports, KG["ascend"]) in graph
    assert (KG["cann"], AICHIP.developedBy, KG["huawei"]) in graph
    assert (KG["rocm"], AICHIP.developedBy, KG["amd"]) in graph
    assert (KG["oneapi"], AICHIP.developedBy, KG["intel"]) in graph
    assert (KG["mindspore"], AICHIP.supports, KG["ascend"]) in graph
    paddle = set(graph.objects(KG["paddlepaddle"], AICHIP.supports))
    assert {KG["kunlun"], KG["ascend"], KG["cambricon-mlu"], KG["enflame-cloudblazer"]} <= paddle
    assert {KG["kunpeng-920"], KG["ascend-910"]} <= paddle


def test_cuda_and_rocm_run_on_their_makers_chips(graph):
    cuda = set(graph.objects(KG["cuda"], AICHIP.supports))
    assert {KG["h100"], KG["a100"], KG["v100"]} <= cuda
    # The A800/H800/H20 support claims only the reference sheet makes (no upstream found) are
    # kept, ranked below the upstream-sourced ones, so they are not asserted as plain triples.
    claimed = {
        r.chip
        for r in _select(
            graph,
            """SELECT ?chip WHERE { ?s rdf:subject kg:cuda ; rdf:predicate aichip:supports ;
                 rdf:object ?chip }""",
        )
    }
    assert {KG["h20"], KG["a800"]} <= claimed
    rocm = set(graph.objects(KG["rocm"], AICHIP.supports))
    assert {KG["mi250x"], KG["mi300x"]} <= rocm
    rows = _select(
        graph,
        """SELECT ?platform ?chip ?grade ?maker WHERE { ?s rdf:subject ?platform ;
             rdf:predicate aichip:supports ; rdf:object ?chip ;
             prov:wasDerivedFrom kg:src-reference-sheet ; aichip:verification ?grade .
             ?chip a/rdfs:subClassOf* aichip:Chip ; aichip:designedBy ?maker .
             VALUES ?platform { kg:cuda kg:rocm } }""",
    )
    assert rows  # the claims still kept from the sheet (no upstream found)
    # Derived from the sheet (CUDA is NVIDIA's, ROCm AMD's), never graded as if a source said it;
    # each platform supports only chips of its own maker.
    assert {str(r.grade) for r in rows} <= {"derived"}
    makers = {(r.platform, r.maker) for r in rows}
    assert makers <= {(KG["cuda"], KG["nvidia"]), (KG["rocm"], KG["amd"])}


def test_whatif_without_nvidia_in_china(loaded):
    """`kg analyze whatif --remove nvidia --market market-china-ai-accelerator-cards --year
    2022` on the real graph: CUDA goes with NVIDIA, PyTorch loses the NVIDIA chips it reached
    through CUDA, and Huawei's Ascend (reached by PyTorch via torch_npu and CANN) fills the gap."""
    from kg.analytics import project, whatif

    G = project(loaded.graph)
    result = whatif(G, "kg:nvidia", market="kg:market-china-ai-accelerator-cards", period="2022")
    assert "kg:cuda" in result.removed_software
    assert {"kg:h100", "kg:a100", "kg:v100"} <= set(result.removed_hardware)
    impacts = {s.software: s for s in result.affected + result.stranded}
    pytorch = impacts["kg:pytorch"]
    assert "kg:cuda" in pytorch.lost_layers
    assert {"kg:h100", "kg:a100", "kg:v100"} <= set(pytorch.lost)
    assert "kg:ascend" in pytorch.kept
    (market,) = result.markets
    huawei = market.candidates[0]
    assert huawei.vendor == "kg:huawei" and market.leader_after == "kg:huawei"
    # Imported Ascend chips are in the Ascend family, so they count under it, not apart.
    assert "kg:ascend" in huawei.hardware
    assert "kg:huawei-ascend-910c" not in huawei.hardware
    routes = {
        link.routes
        for link in huawei.supported_by
        if link.software == "kg:pytorch" and link.hardware == "kg:ascend"
    }
    assert any(("kg:torch-npu", "kg:cann") in r for r in routes), routes


def test_export_controls(graph):
    r22, r23 = KG["bis-rule-2022-10-07"], KG["bis-rule-2023-10-17"]
    assert Literal("87 FR 62186") in set(graph.objects(r22, AICHIP.frCitation))
    assert Literal("88 FR 73458") in set(graph.objects(r23, AICHIP.frCitation))
    assert Literal("2023-11-17", datatype=XSD.date) in set(graph.objects(r23, AICHIP.effectiveDate))
    assert (r23, AICHIP.issuedBy, KG["bis"]) in graph
    eccn = KG["eccn-3a090"]
    assert _values(graph, "kg:eccn-3a090", "aichip:densityThreshold") == [Decimal("5.92")]
    assert _values(graph, "kg:eccn-3a090", "aichip:lowerTppThreshold") == [Decimal(1600)]
    assert Decimal(4800) in _values(graph, "kg:eccn-3a090", "aichip:tppThreshold")
    assert (r22, AICHIP.definesECCN, eccn) in graph
    named = set(graph.objects(r23, AICHIP.restricts))
    for chip in ("a100", "a800", "h100", "h800", "l40", "l40s", "rtx-4090"):
        assert KG[chip] in named, chip
    listing = KG["entity-listing-huawei-2019"]
    assert (listing, AICHIP.listedEntity, KG["huawei"]) in graph


# --- how the facts are written -----------------------------------------------------------


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_reference_sheet_quotes_are_verbatim(ecosystem):
    """Statements derived from the sheet quote its own words and name the stored source."""
    sources = REPO / "docs" / "sources"
    sheet = _normalise(
        (sources / "reference-sheet.md").read_text(encoding="utf-8")
        + "\n"
        + (sources / "reference-chips.csv").read_text(encoding="utf-8")
    )
    sheet_source = KG["src-reference-sheet"]
    checked = 0
    for statement in ecosystem.subjects(PROV.wasDerivedFrom, sheet_source):
        assert list(ecosystem.objects(statement, AICHIP.citedSource)), statement
        assert ecosystem.value(statement, AICHIP.verification) is not None, statement
        for quote in ecosystem.objects(statement, AICHIP.quote):
            for part in str(quote).split(" … "):
                assert _normalise(part) in sheet, (statement, part)
            checked += 1
    assert checked > 0  # most sheet-derived claims now cite their upstream document


def test_every_cited_source_is_declared_with_a_label(loaded):
    graph = loaded.graph
    sources = set(graph.objects(None, AICHIP.citedSource)) | set(
        graph.objects(None, PROV.wasDerivedFrom)
    )
    for source in sources:
        assert (source, RDFS.label, None) in graph, source


def test_ecosystem_declares_nothing_the_seed_curator_declares(ecosystem):
    seed = Graph()
    for name in ("entities.ttl", "sources.ttl"):
        seed.parse(REPO / "facts" / name, format="turtle")
    declared_here = set(ecosystem.subjects(RDF.type, None)) - set(
        ecosystem.subjects(RDF.type, AICHIP.Statement)
    )
    assert not declared_here & set(seed.subjects(RDF.type, None))
