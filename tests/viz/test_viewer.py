"""The HTML viewer (kg viz, exports/graph.html): static checks, then real headless Chromium.

Browser tests are marked ``browser``; without Chromium they skip locally but fail under CI=true.
Screenshots go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from cli import cli
from kg.errors import InputError, UnknownTermError
from kg.export.entity_graph import entity_graph
from kg.facts.load import load
from kg.project import Project
from kg.viz.viewer import LAYOUT_THRESHOLD, layout_positions, render_html, render_viewer
from tests._browser import chromium_or_skip
from tests._synthetic_viz import synthetic_graph
from tests.conftest import REPO

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "viz"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
AICHIP = Namespace("https://w3id.org/aichip-kg/ontology#")
KG = Namespace("https://w3id.org/aichip-kg/id/")
ORG = Namespace("http://www.w3.org/ns/org#")

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>document.documentElement.setAttribute('data-pwned','1')</script>",
    '<a href="javascript:alert(3)" id="pwned-link">click</a>',
]
READY = "window.kgViewer && window.kgViewer.stable"


@pytest.fixture(scope="module")
def fixture_graph() -> Graph:
    return load(Project.at(REPO, FIXTURE)).graph


@pytest.fixture(scope="module")
def fixture_html(fixture_graph) -> str:
    return render_html(fixture_graph)


# ---------------------------------------------------------------------------------------------
# Static checks on the page
# ---------------------------------------------------------------------------------------------


def test_page_is_self_contained(fixture_html):
    html = fixture_html
    assert "<link" not in html.lower(), "no stylesheet or font may be linked"
    assert not re.search(r"""\s(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html
    assert "vis.Network" in html, "vis-network is inlined"
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp


def test_csp_hashes_match_the_inline_scripts(fixture_html):
    import base64

    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', fixture_html).group(1)
    allowed = set(re.findall(r"'sha256-([^']+)'", csp))
    scripts = re.findall(r"<script>(.*?)</script>", fixture_html, re.S)
    assert len(scripts) == 2
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert digest in allowed


def test_hostile_labels_are_never_markup(fixture_html):
    # Every < in graph text is \u003c inside the JSON block and &lt; in HTML text.
    for payload in HOSTILE + ["<svg onload=alert(5)>", "<script>alert(7)</script>", "<b>one</b>"]:
        assert payload not in fixture_html
    data = re.search(
        r'<script type="application/json" id="kg-data">(.*?)</script>', fixture_html, re.S
    ).group(1)
    decoded = json.loads(data)
    labels = {name for node in decoded["nodes"] for _, name in node["names"]}
    assert set(HOSTILE) <= labels, "the hostile labels reach the page, as text"


def test_output_is_deterministic_across_hash_seeds(tmp_path):
    code = (
        "import hashlib, sys; from kg.facts.load import load; from kg.project import Project; "
        "from kg.viz.viewer import render_html; "
        f"g = load(Project.at({str(REPO)!r}, {str(FIXTURE)!r})).graph; "
        "sys.stdout.write(hashlib.sha256(render_html(g).encode()).hexdigest())"
    )
    digests = set()
    # Several seeds: a choice that depends on set order (e.g. which of a statement's quotes in
    # two languages is shown) agrees between two seeds by chance too often.
    for seed in ("1", "2", "3", "4", "5", "6"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        digests.add(result.stdout)
    assert len(digests) == 1


def test_tooltip_data_has_labels_figures_and_sources(fixture_html):
    data = json.loads(re.search(r'id="kg-data">(.*?)</script>', fixture_html, re.S).group(1))
    huawei = next(n for n in data["nodes"] if n["id"] == "kg:huawei")
    assert ["zh-Hans", "华为"] in huawei["names"] and ["zh-Hant", "華為"] in huawei["names"]
    assert "Huawei Technologies" in huawei["alt"]
    assert any("10 %" in f and "2022" in f for f in huawei["figures"]), huawei["figures"]
    assert any("Report <b>one</b> & friends" in s for s in huawei["sources"])
    ascend = next(n for n in data["nodes"] if n["id"] == "kg:ascend-910")
    assert any("7" in f for f in ascend["figures"])
    edge = next(
        e for e in data["edges"] if e["predicate"] == "org:memberOf" and e["from"] == "kg:huawei"
    )
    assert edge["label"] == "member of" and edge["labelZh"] == "成员"
    assert "華為" in edge["quote"]
    legend = {entry["id"]: entry for entry in data["legend"]}
    assert legend["aichip:Company"]["zhHans"] == "公司"
    assert legend["aichip:Company"]["count"] == 4


def test_focus_depth_and_classes(fixture_graph):
    G = entity_graph(fixture_graph)
    for depth in (0, 1, 2):
        viewer = render_viewer(fixture_graph, focus="華為", depth=depth)
        expected = nx.ego_graph(G, "kg:huawei", radius=depth, undirected=True)
        assert viewer.focus == "kg:huawei"
        assert (viewer.nodes, viewer.edges) == (
            expected.number_of_nodes(),
            expected.number_of_edges(),
        )
    chips = render_viewer(fixture_graph, classes=["Chip"])  # subclasses GPU and NPU included
    assert set(chips.classes) == {"aichip:GPU", "aichip:NPU"} and chips.nodes == 2
    mixed = render_viewer(fixture_graph, focus="huawei", depth=1, classes=["公司"])
    assert mixed.classes == ("aichip:Company",)
    assert mixed.nodes == 3  # Huawei, NVIDIA and the <img> company next to it


def test_unknown_focus_and_class_suggest(fixture_graph):
    with pytest.raises(UnknownTermError) as caught:
        render_html(fixture_graph, focus="huawai")
    assert "kg:huawei" in str(caught.value)
    with pytest.raises(UnknownTermError) as caught:
        render_html(fixture_graph, classes=["Compny"])
    assert "Company" in caught.value.suggestions
    with pytest.raises(InputError):
        render_html(fixture_graph, focus="huawei", depth=-1)


def test_large_graph_gets_python_layout_and_no_physics():
    graph = synthetic_graph(LAYOUT_THRESHOLD + 50)
    viewer = render_viewer(graph)
    assert not viewer.physics
    data = json.loads(re.search(r'id="kg-data">(.*?)</script>', viewer.html, re.S).group(1))
    assert data["options"]["physics"]["enabled"] is False
    # Positions are per view; the opening view places every node of the page.
    placed = data["views"][0]["pos"]
    assert set(placed) == {n["id"] for n in data["nodes"]}
    positions = {tuple(xy) for xy in placed.values()}
    assert len(positions) > 0.95 * len(data["nodes"]), "nodes are spread, not stacked"


def test_layout_handles_disconnected_parts():
    G = nx.disjoint_union_all(
        [nx.path_graph(500), nx.star_graph(30), nx.empty_graph(5), nx.cycle_graph(4)]
    )
    positions = layout_positions(G, skeleton=100)
    assert set(positions) == set(G)
    assert len(set(positions.values())) == G.number_of_nodes()


def test_registered_as_build_export(fixture_graph):
    from kg.export.build import exporters

    render = exporters()["graph.html"]
    loaded = load(Project.at(REPO, FIXTURE))
    assert render(loaded) == render_html(loaded.graph).encode("utf-8")


def test_cli_viz_writes_only_its_output(tmp_path):
    out = tmp_path / "out" / "view.html"
    out.parent.mkdir()  # kg viz -o never creates directories
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--facts", str(FIXTURE), "viz", "-o", str(out), "--focus", "华为", "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["focus"] == "kg:huawei" and summary["nodes"] == 7
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["view.html"]
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_viz_bad_input_exits_2(tmp_path):
    runner = CliRunner()
    for args, message in (
        (["--focus", "no-such-thing-at-all"], "unknown entity"),
        (["--classes", "Compny"], "did you mean Company"),
    ):
        out = tmp_path / "x.html"
        result = runner.invoke(cli, ["--facts", str(FIXTURE), "viz", "-o", str(out), *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert not out.exists()


# ---------------------------------------------------------------------------------------------
# Headless Chromium
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium_or_skip() as browser:
        yield browser


def _sources(graph: Graph, G: nx.MultiDiGraph) -> set[str]:
    """The entity graph's sources (every subclass of aichip:Source), by their CURIEs."""
    from kg.export.entity_graph import curie

    classes = {curie(c) for c in graph.transitive_subjects(RDFS.subClassOf, AICHIP.Source)}
    return {n for n, cls in G.nodes(data="class") if cls in classes}


def open_viewer(browser, path: Path):
    page = browser.new_page()
    seconds = page.open(path.as_uri(), ready=READY)
    return page, seconds


def assert_clean(page, url: str) -> None:
    assert page.errors == [], page.errors
    assert page.dialogs == [], page.dialogs
    others = [u for u in page.requests if u != url and not u.startswith("data:")]
    assert others == [], f"page made network requests: {others}"
    assert page.evaluate("performance.getEntriesByType('resource').length") == 0


@pytest.mark.browser
def test_browser_fixture_page(browser, fixture_graph, fixture_html, tmp_path):
    path = tmp_path / "graph.html"
    path.write_text(fixture_html, encoding="utf-8")
    page, _ = open_viewer(browser, path)
    G = entity_graph(fixture_graph)
    counts = page.evaluate(
        "[network.body.data.nodes.length, network.body.data.edges.length,"
        " network.body.nodeIndices.length, network.body.edgeIndices.length]"
    )
    # Sources are hidden until their toggle is ticked; every other entity and link is drawn.
    sources = _sources(fixture_graph, G)
    linked = sum(1 for u, v in G.edges() if u not in sources and v not in sources)
    assert counts == [G.number_of_nodes(), G.number_of_edges()] + [
        G.number_of_nodes() - len(sources),
        linked,
    ]
    page.evaluate("document.getElementById('kg-reference').click(); true")
    drawn = page.evaluate("[network.body.nodeIndices.length, network.body.edgeIndices.length]")
    assert drawn == [G.number_of_nodes(), G.number_of_edges()]
    # Chinese in the legend, the menu and the search placeholder, as rendered text (the
    # legend is folded away until opened).
    assert "公司" not in page.evaluate("document.body.innerText")
    page.evaluate("document.querySelector('#kg-legend-box summary').click(); true")
    text = page.evaluate("document.body.innerText")
    for word in ("公司", "基金会", "中文(简体)", "中文(繁體)", "类别"):
        assert word in text
    page.screenshot(ARTIFACTS / "viewer-fixture.png")
    assert_clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("with_csp", [True, False])
def test_browser_hostile_labels_run_nothing(browser, fixture_html, tmp_path, with_csp):
    """Escaping alone must hold: the page is also tried with its Content-Security-Policy removed."""
    html = fixture_html
    if not with_csp:
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
        assert "Content-Security-Policy" not in html
    path = tmp_path / "hostile.html"
    path.write_text(html, encoding="utf-8")
    page, _ = open_viewer(browser, path)
    # Show every tooltip the page can build: details panel for each node and edge, and the
    # real vis-network popup by hovering the <img> node.
    page.evaluate(
        """(function () {
             var box = document.getElementById('kg-details');
             network.body.data.nodes.get().forEach(function (n) { box.appendChild(n.title); });
             network.body.data.edges.get().forEach(function (e) { box.appendChild(e.title); });
             var search = document.getElementById('kg-search');
             search.value = '<';
             search.dispatchEvent(new Event('input'));
             return true; })()"""
    )
    point = page.evaluate(
        """(function () {
             var p = network.canvasToDOM(network.getPositions(['kg:evil-img'])['kg:evil-img']);
             var r = document.getElementById('kg-network').getBoundingClientRect();
             return [r.left + p.x, r.top + p.y]; })()"""
    )
    for step in range(3):
        page.send("Input.dispatchMouseEvent", type="mouseMoved", x=point[0] + step, y=point[1])
    page.wait_for(
        "document.querySelector('div.vis-tooltip') && "
        "document.querySelector('div.vis-tooltip').style.visibility !== 'hidden'"
    )
    page.browser.pump(0.3)  # let a wrongly created <img> fail to load and fire onerror
    assert page.dialogs == [], f"a hostile label ran script: {page.dialogs}"
    tooltip = page.evaluate("document.querySelector('div.vis-tooltip').textContent")
    assert HOSTILE[0] in tooltip
    body = page.evaluate("document.body.textContent")
    for payload in HOSTILE:
        assert payload in body, f"{payload!r} should be shown as text"
    assert page.evaluate("document.documentElement.getAttribute('data-pwned')") is None
    assert page.evaluate("document.getElementById('pwned-link')") is None
    assert page.evaluate(
        "[document.images.length, document.scripts.length,"
        " document.querySelectorAll('iframe, a, b').length]"
    ) == [0, 3, 0]
    page.screenshot(ARTIFACTS / f"viewer-hostile{'' if with_csp else '-nocsp'}.png")
    assert_clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
def test_browser_search_and_class_filter(browser, fixture_graph, fixture_html, tmp_path):
    path = tmp_path / "graph.html"
    path.write_text(fixture_html, encoding="utf-8")
    page, _ = open_viewer(browser, path)

    def search(text: str) -> list[str]:
        return page.evaluate(
            f"""(function () {{ var s = document.getElementById('kg-search');
                 s.value = {json.dumps(text)}; s.dispatchEvent(new Event('input'));
                 return window.kgViewer.matches; }})()"""
        )

    for name in ("華為", "华为", "huawei technologies", "升腾"):
        assert search(name)[:1] in (["kg:huawei"], ["kg:ascend-910"]), name
    assert search("华为") == ["kg:huawei"]
    assert page.evaluate("network.getSelectedNodes()") == ["kg:huawei"]
    assert "华为" in page.evaluate("document.getElementById('kg-results').textContent")

    G = entity_graph(fixture_graph)
    companies = {n for n, cls in G.nodes(data="class") if cls == "aichip:Company"}
    page.evaluate(
        "document.querySelector('#kg-legend input[value=\"aichip:Company\"]').click(); true"
    )
    page.evaluate("document.getElementById('kg-reference').click(); true")  # sources too
    visible = page.evaluate("[network.body.nodeIndices.length, network.body.edgeIndices.length]")
    expected_edges = sum(1 for u, v in G.edges() if u not in companies and v not in companies)
    assert visible == [G.number_of_nodes() - len(companies), expected_edges]
    page.evaluate("document.getElementById('kg-all').click(); true")
    assert page.evaluate("network.body.nodeIndices.length") == G.number_of_nodes()
    assert_clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
def test_browser_chinese_glyphs_render_without_web_fonts(browser, fixture_html, tmp_path):
    """Distinct CJK characters draw distinct pixels with the page's font stack (no tofu)."""
    path = tmp_path / "graph.html"
    path.write_text(fixture_html, encoding="utf-8")
    page, _ = open_viewer(browser, path)
    distinct = page.evaluate(
        """(function () {
             function draw(ch) {
               var c = document.createElement('canvas'); c.width = 40; c.height = 40;
               var x = c.getContext('2d'); x.font = '32px ' + JSON.parse(
                 document.getElementById('kg-data').textContent).font;
               x.fillText(ch, 2, 34); return c.toDataURL(); }
             var a = draw('华'), b = draw('為'), blank = draw(' ');
             return a !== b && a !== blank && b !== blank; })()"""
    )
    assert distinct, "no CJK font: install fonts-wqy-zenhei or fonts-noto-cjk"
    assert_clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
def test_browser_large_graph_is_interactive(browser, tmp_path):
    graph = synthetic_graph(1200)
    viewer = render_viewer(graph)
    path = tmp_path / "large.html"
    path.write_text(viewer.html, encoding="utf-8")
    page, seconds = open_viewer(browser, path)
    assert page.evaluate("network.physics.options.enabled") is False
    assert page.evaluate("[network.body.data.nodes.length, network.body.data.edges.length]") == [
        viewer.nodes,
        viewer.edges,
    ]
    page.screenshot(ARTIFACTS / "viewer-large.png")
    assert_clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
def test_browser_real_graph(browser, tmp_path):
    loaded = load(Project.at(REPO))
    viewer = render_viewer(loaded.graph)
    path = tmp_path / "graph.html"
    path.write_text(viewer.html, encoding="utf-8")
    page, _ = open_viewer(browser, path)
    G = entity_graph(loaded.graph)
    # Every entity and link reaches the page (group nodes and folded links come on top).
    assert page.evaluate(
        "[network.body.data.nodes.get().filter(function (n) {"
        "   return !/^group:/.test(n.id); }).length,"
        " network.body.data.edges.get().filter(function (e) { return /^e[0-9]+$/.test(e.id); })"
        ".length]"
    ) == [G.number_of_nodes(), G.number_of_edges()]
    # Huawei is in the real graph and found by its traditional Chinese name.
    page.evaluate(
        "var s = document.getElementById('kg-search'); s.value = '華為';"
        " s.dispatchEvent(new Event('input')); true"
    )
    assert "kg:huawei" in page.evaluate("window.kgViewer.matches")
    page.screenshot(ARTIFACTS / "viewer.png")
    assert_clean(page, path.as_uri())
    page.close()


def test_hostile_iri_cannot_break_out(tmp_path):
    """A crafted IRI and class label travel as data too (CURIEs are ids, never markup)."""
    graph = Graph()
    graph.parse(REPO / "ontology" / "aichip.ttl")
    odd = URIRef("https://w3id.org/aichip-kg/id/x%3Cscript%3E")
    graph.add((odd, RDF.type, AICHIP.Company))
    graph.add((odd, RDFS.label, Literal("</script><script>alert(9)</script>", lang="en")))
    html = render_html(graph, title="<script>alert(10)</script>")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(10)&lt;/script&gt;" in html
