"""Legibility of the viewer on the real graph, measured in headless Chromium at 1400×900.

The measures come from vis-network's own state, not from the page's placement code: the
label boxes it computed when drawing (``labelModule.size``, moved by ``font.vadjust``) and
the nodes it draws (``body.nodeIndices``). Expected sets (catalogue-only entities, a family's
chips, a foundation's members) are computed here with SPARQL, independently of kg.viz.

Set KG_REFRESH_DOCS=1 to copy the screenshot of `kg viz --focus 华为 --depth 2` to
docs/viewer.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from kg.facts.load import load
from kg.project import Project
from kg.viz.presets import PRESETS
from kg.viz.viewer import render_viewer
from tests._browser import chromium_or_skip
from tests.conftest import REPO

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
READY = "window.kgViewer && window.kgViewer.stable"
WIDTH, HEIGHT = 1400, 900

PREFIXES = """
PREFIX aichip: <https://w3id.org/aichip-kg/ontology#>
PREFIX kg: <https://w3id.org/aichip-kg/id/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

#: Every drawn label's box in page pixels, from what vis-network measured when it drew it.
LABEL_BOXES = """(function () {
  var body = network.body, s = network.getScale(), out = [];
  function add(kind, id, module) {
    var size = module.size, v = module.fontOptions.vadjust || 0;
    // visible() is vis-network's own test: a label too small on screen is not drawn.
    if (!module.elementOptions.label || !module.visible()) { return; }
    var p = network.canvasToDOM({ x: size.left, y: size.top + v });
    out.push({ kind: kind, id: id, text: module.elementOptions.label,
               box: [p.x, p.y, p.x + size.width * s, p.y + size.height * s] });
  }
  body.nodeIndices.forEach(function (id) { add('node', id, body.nodes[id].labelModule); });
  body.edgeIndices.forEach(function (id) { add('edge', id, body.edges[id].labelModule); });
  return out;
})()"""
DRAWN = "network.body.nodeIndices.slice()"
FRAME = "new Promise(function (r) { requestAnimationFrame(function () {"
FRAME += " requestAnimationFrame(function () { r(true); }); }); })"


def _ids(graph, query: str) -> set[str]:
    from kg.export.entity_graph import curie

    return {curie(row[0]) for row in graph.query(PREFIXES + query)}


def _overlapping(labels: list[dict]) -> list[tuple[str, str]]:
    """Pairs of labels whose boxes overlap by more than half a pixel each way."""
    pairs = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            w = min(a["box"][2], b["box"][2]) - max(a["box"][0], b["box"][0])
            h = min(a["box"][3], b["box"][3]) - max(a["box"][1], b["box"][1])
            if w > 0.5 and h > 0.5:
                pairs.append((a["text"], b["text"]))
    return pairs


@pytest.fixture(scope="module")
def loaded():
    return load(Project.at(REPO))


@pytest.fixture(scope="module")
def whole(loaded, tmp_path_factory):
    viewer = render_viewer(loaded.graph)
    path = tmp_path_factory.mktemp("viewer") / "graph.html"
    path.write_text(viewer.html, encoding="utf-8")
    return viewer, path


@pytest.fixture(scope="module")
def huawei(loaded, tmp_path_factory):
    viewer = render_viewer(loaded.graph, focus="华为", depth=2)
    path = tmp_path_factory.mktemp("viewer") / "huawei.html"
    path.write_text(viewer.html, encoding="utf-8")
    return viewer, path


@pytest.fixture(scope="module")
def catalogue(loaded) -> set[str]:
    """Entities every claim about which (statement or observation) cites the Epoch dataset only."""
    claimed = _ids(
        loaded.graph,
        """SELECT DISTINCT ?e WHERE {
             { ?c rdf:subject ?e } UNION { ?c rdf:object ?e }
             UNION { ?c aichip:vendor ?e } UNION { ?c aichip:market ?e }
             ?c prov:wasDerivedFrom kg:src-epoch-ml-hardware . FILTER(isIRI(?e)) }""",
    )
    elsewhere = _ids(
        loaded.graph,
        """SELECT DISTINCT ?e WHERE {
             { ?c rdf:subject ?e } UNION { ?c rdf:object ?e }
             UNION { ?c aichip:vendor ?e } UNION { ?c aichip:market ?e }
             ?c prov:wasDerivedFrom ?s . FILTER(isIRI(?e) && ?s != kg:src-epoch-ml-hardware) }""",
    )
    return claimed - elsewhere


@pytest.fixture(scope="module")
def sources(loaded) -> set[str]:
    return _ids(loaded.graph, "SELECT ?s WHERE { ?s a/rdfs:subClassOf* aichip:Source }")


@pytest.fixture(scope="module")
def browser():
    with chromium_or_skip(width=WIDTH, height=HEIGHT) as browser:
        yield browser


def _open(browser, path: Path):
    page = browser.new_page()
    page.open(path.as_uri(), ready=READY)
    page.evaluate(FRAME)
    return page


def _labels(page) -> list[dict]:
    page.evaluate(FRAME)
    return page.evaluate(LABEL_BOXES)


def _pick_view(page, name: str) -> None:
    page.evaluate(
        f"""(function () {{ var m = document.getElementById('kg-view');
             m.value = {json.dumps(name)}; m.dispatchEvent(new Event('change'));
             return true; }})()"""
    )
    page.evaluate(FRAME)


def _click_node(page, node: str) -> None:
    """A real mouse click at the node's place on screen."""
    x, y = page.evaluate(
        f"""(function () {{ var id = {json.dumps(node)};
             var p = network.canvasToDOM(network.getPositions([id])[id]);
             var r = document.getElementById('kg-network').getBoundingClientRect();
             return [r.left + p.x, r.top + p.y]; }})()"""
    )
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        page.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    # Unfolding zooms onto the chips (300 ms), then the labels are placed again.
    page.evaluate("new Promise(function (r) { setTimeout(function () { r(true); }, 700); })")
    page.evaluate(FRAME)


def _clean(page, url: str) -> None:
    assert page.errors == [], page.errors
    others = [u for u in page.requests if u != url and not u.startswith("data:")]
    assert others == [], f"page made network requests: {others}"


# ---------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_whole_graph_opens_legible(browser, whole, loaded, catalogue, sources):
    viewer, path = whole
    page = _open(browser, path)
    drawn = set(page.evaluate(DRAWN))
    labels = _labels(page)
    named = {label["id"] for label in labels if label["kind"] == "node"}
    print(f"\nwhole graph: {len(drawn)} of {viewer.nodes} entities drawn, {len(named)} named")
    assert _overlapping(labels) == []
    # Folded and hidden: far fewer nodes than entities, none catalogue-only, no sources.
    assert 100 <= len(drawn) <= 300, len(drawn)
    assert not drawn & catalogue and not drawn & sources
    assert len(named) >= 25
    for hub in ("kg:nvidia", "kg:huawei", "kg:china", "kg:pytorch-foundation", "kg:tsmc"):
        assert hub in named, f"{hub} should be named at the opening zoom"
    # The labels are inside the canvas and large enough to read.
    canvas = page.evaluate(
        "(function(){var r=document.getElementById('kg-network').getBoundingClientRect();"
        "return [r.width, r.height];})()"
    )
    for label in labels:
        left, top, right, bottom = label["box"]
        assert left >= -1 and top >= -1 and right <= canvas[0] + 1 and bottom <= canvas[1] + 1
        assert bottom - top >= 11, label
    page.screenshot(ARTIFACTS / "viewer-whole-1400x900.png")
    _clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
def test_zooming_in_names_more(browser, whole):
    _, path = whole
    page = _open(browser, path)

    def on_screen_and_named():
        named = {label["id"] for label in _labels(page) if label["kind"] == "node"}
        inside = page.evaluate(
            """(function () { var r = document.getElementById('kg-network')
                 .getBoundingClientRect(); var ids = network.body.nodeIndices;
               var pos = network.getPositions(ids);
               return ids.filter(function (id) { var p = network.canvasToDOM(pos[id]);
                 return p.x >= 0 && p.y >= 0 && p.x <= r.width && p.y <= r.height; }); })()"""
        )
        return set(inside), named

    inside, named = on_screen_and_named()
    before = len(named & inside) / len(inside)
    x, y = page.evaluate(
        """(function () { var p = network.canvasToDOM(network.getPositions(['kg:nvidia'])
             ['kg:nvidia']); var r = document.getElementById('kg-network')
             .getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()"""
    )
    scale = page.evaluate("network.getScale()")
    for _ in range(6):  # the mouse wheel, as a person zooms
        page.send("Input.dispatchMouseEvent", type="mouseWheel", x=x, y=y, deltaX=0, deltaY=-200)
    page.evaluate("new Promise(function (r) { setTimeout(function () { r(true); }, 500); })")
    assert page.evaluate("network.getScale()") > 1.5 * scale
    inside, named = on_screen_and_named()
    after = len(named & inside) / len(inside)
    assert after > before, (before, after)
    assert _overlapping(_labels(page)) == []
    page.screenshot(ARTIFACTS / "viewer-whole-zoomed.png")
    page.close()


@pytest.mark.browser
def test_focus_view_opens_legible(browser, huawei, catalogue):
    viewer, path = huawei
    page = _open(browser, path)
    drawn = set(page.evaluate(DRAWN))
    labels = _labels(page)
    named = {label["id"] for label in labels if label["kind"] == "node"}
    print(f"\nhuawei depth 2: {len(drawn)} of {viewer.nodes} entities drawn, {len(named)} named")
    assert _overlapping(labels) == []
    assert "kg:huawei" in named and "kg:nvidia" in named
    assert not drawn & catalogue
    # NVIDIA's catalogue SKUs no longer dominate: few chips of NVIDIA are drawn one by one.
    nvidia_chips = [i for i in drawn if i.startswith("kg:nvidia-")]
    assert len(nvidia_chips) <= 5, nvidia_chips
    assert len(drawn) <= 150
    shot = page.screenshot(ARTIFACTS / "viewer-huawei-1400x900.png")
    if os.environ.get("KG_REFRESH_DOCS"):
        shutil.copyfile(shot, REPO / "docs" / "viewer.png")
    _clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
def test_catalogue_toggle(browser, whole, catalogue):
    _, path = whole
    page = _open(browser, path)
    before = set(page.evaluate(DRAWN))
    folded = page.evaluate("window.kgViewer && document.getElementById('kg-shown').textContent")
    page.evaluate("document.getElementById('kg-catalogue').click(); true")
    page.evaluate(FRAME)
    after = set(page.evaluate(DRAWN))
    # Catalogue-only entities that fold into no chip group appear by themselves; the rest
    # swell their groups (the count of folded chips grows).
    assert after & catalogue and not before & catalogue
    assert page.evaluate("document.getElementById('kg-shown').textContent") != folded
    assert _overlapping(_labels(page)) == []
    page.evaluate("document.getElementById('kg-catalogue').click(); true")
    page.evaluate(FRAME)
    assert set(page.evaluate(DRAWN)) == before
    page.close()


@pytest.mark.browser
def test_click_unfolds_and_folds_a_family(browser, whole, loaded):
    _, path = whole
    page = _open(browser, path)
    members = _ids(
        loaded.graph,
        "SELECT DISTINCT ?c WHERE { ?c (aichip:inFamily|aichip:variantOf)+ kg:ascend }",
    )
    drawn = set(page.evaluate(DRAWN))
    assert "kg:ascend" in drawn and not drawn & members
    _click_node(page, "kg:ascend")
    unfolded = set(page.evaluate(DRAWN))
    assert unfolded & members, "clicking the family shows its chips"
    assert unfolded - drawn <= members
    assert "Ascend" in page.evaluate("document.getElementById('kg-details').textContent")
    assert _overlapping(_labels(page)) == []
    page.screenshot(ARTIFACTS / "viewer-ascend-unfolded.png")
    _click_node(page, "kg:ascend")
    assert set(page.evaluate(DRAWN)) == drawn
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_views(browser, whole, loaded, name):
    _, path = whole
    page = _open(browser, path)
    _pick_view(page, name)
    drawn = set(page.evaluate(DRAWN))
    labels = _labels(page)
    named = {label["id"] for label in labels if label["kind"] == "node"}
    print(f"\n{name}: {len(drawn)} drawn, {len(named)} named")
    assert _overlapping(labels) == []
    assert 5 <= len(drawn) <= 120
    if name == "pytorch-foundation":
        members = _ids(loaded.graph, "SELECT ?m WHERE { ?m org:memberOf kg:pytorch-foundation }")
        assert members | {"kg:pytorch-foundation"} <= drawn
        assert "kg:pytorch-foundation" in named
        roles = [label["text"] for label in labels if label["kind"] == "edge"]
        assert "premier" in roles, roles  # a member's role, on its link
        assert "kg:china" not in drawn
    elif name == "china-accelerators":
        assert {"kg:huawei", "kg:cambricon", "kg:ascend", "kg:cann"} <= drawn
        assert "kg:nvidia" not in drawn and "kg:google-tpu" not in drawn
    elif name == "china-market":
        assert {"kg:market-china-ai-accelerator-cards", "kg:nvidia", "kg:huawei"} <= drawn
        figures = [label["text"] for label in labels if label["kind"] == "edge"]
        shares = [text for text in figures if " % (" in text]
        assert len(shares) >= 3, figures  # the vendors' shares, named on their links
        values = {
            str(row.value).removesuffix(".0")
            for row in loaded.graph.query(
                "SELECT ?value WHERE { ?o a aichip:MarketShareObservation ; aichip:value ?value }"
            )
        }
        for text in shares:  # each drawn share is a sourced figure of the graph
            assert text.split(" %")[0].removesuffix(".0") in values, (text, sorted(values))
    elif name == "export-controls":
        assert {"kg:bis-rule-2023-10-17", "kg:h20", "kg:h800", "kg:bis"} <= drawn
        assert "kg:pytorch-foundation" not in drawn
    page.screenshot(ARTIFACTS / f"viewer-view-{name}.png")
    _clean(page, path.as_uri())
    page.close()


@pytest.mark.browser
def test_legend_folds_and_details_show_without_scrolling(browser, whole):
    _, path = whole
    page = _open(browser, path)
    assert page.evaluate("document.getElementById('kg-legend-box').open") is False
    _click_node(page, "kg:huawei")
    box = page.evaluate(
        "(function(){var r=document.getElementById('kg-details').getBoundingClientRect();"
        "return [r.top, r.bottom, document.getElementById('kg-side').scrollTop];})()"
    )
    assert box[2] == 0 and box[0] < HEIGHT / 2, box
    assert "华为" in page.evaluate("document.getElementById('kg-details').textContent")
    page.screenshot(ARTIFACTS / "viewer-selected.png")
    page.close()


# ---------------------------------------------------------------------------------------------
# kg viz --view / --catalogue
# ---------------------------------------------------------------------------------------------


def test_cli_view_names_and_unknown_view(tmp_path):
    out = tmp_path / "x.html"
    result = CliRunner().invoke(cli, ["viz", "-o", str(out), "--view", "no-such-view"])
    assert result.exit_code == 2, result.output
    for name in PRESETS:
        assert name in result.output
    assert "Traceback" not in result.output and not out.exists()
    result = CliRunner().invoke(
        cli, ["viz", "-o", str(out), "--view", "export-controls", "--focus", "华为"]
    )
    assert result.exit_code == 2, result.output
    assert "cannot be combined" in result.output and not out.exists()


@pytest.mark.browser
def test_cli_view_and_catalogue_open_the_page_so(browser, tmp_path, catalogue):
    out = tmp_path / "market.html"
    result = CliRunner().invoke(
        cli, ["viz", "-o", str(out), "--view", "china-market", "--catalogue", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["view"] == "china-market" and summary["catalogue"] is True
    assert set(PRESETS) <= set(summary["views"])
    page = _open(browser, out)
    assert page.evaluate("document.getElementById('kg-view').value") == "china-market"
    assert page.evaluate("document.getElementById('kg-catalogue').checked") is True
    assert "kg:market-china-ai-accelerator-cards" in page.evaluate(DRAWN)
    _pick_view(page, "all")
    assert set(page.evaluate(DRAWN)) & catalogue
    page.close()


def test_whole_page_is_deterministic(whole):
    """The real graph's page, rendered again under another hash seed, is the same bytes."""
    viewer, _ = whole
    code = (
        "import hashlib, sys; from pathlib import Path; from kg.facts.load import load; "
        "from kg.project import Project; from kg.viz.viewer import render_html; "
        f"g = load(Project.at(Path({str(REPO)!r}))).graph; "
        "sys.stdout.write(hashlib.sha256(render_html(g).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "11"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    import hashlib

    assert result.stdout == hashlib.sha256(viewer.html.encode()).hexdigest()


@pytest.mark.browser
def test_unlinked_entities_form_a_block_not_rows(browser, whole):
    """Entities drawn without a link are packed in a compact block, not strung along rows."""
    _, path = whole
    page = _open(browser, path)
    points = page.evaluate(
        """(function () { var shown = {};
             network.body.edgeIndices.forEach(function (id) { shown[id] = true; });
             var alone = network.body.nodeIndices.filter(function (id) {
               return !network.getConnectedEdges(id).some(function (e) { return shown[e]; });
             });
             var pos = network.getPositions(alone);
             return alone.map(function (id) { var p = network.canvasToDOM(pos[id]);
               return [p.x, p.y]; }); })()"""
    )
    assert len(points) >= 4
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    assert height > 0 and width / height <= 4, (width, height)
    assert width <= WIDTH / 2, "a block, not a row across the canvas"
    page.close()
