"""Benchmark the HTML viewer on a large synthetic graph; optionally refresh docs/viewer.png.

    python bench/viz_bench.py                    # 5,000 nodes: render time, page size
    python bench/viz_bench.py --browser          # also time to first paint in headless Chromium
    python bench/viz_bench.py --browser --write-readme   # record the figures in bench/README.md
    python bench/viz_bench.py --screenshot docs/viewer.png   # README screenshot (real graph)

The synthetic graph is the project ontology plus a Barabási–Albert graph (each new node links
to two existing ones, so a few hubs and many low-degree nodes, like an imported dataset) whose
nodes are companies, chips, markets and frameworks with English and Chinese labels.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from _synthetic_viz import synthetic_graph  # noqa: E402
from rdflib import Namespace  # noqa: E402

AICHIP = Namespace("https://w3id.org/aichip-kg/ontology#")
KG = Namespace("https://w3id.org/aichip-kg/id/")
README = REPO / "bench" / "README.md"
START, END = "<!-- kg-viewer:start -->", "<!-- kg-viewer:end -->"


def timed(function, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def row(name: str, times: list[float]) -> str:
    return (
        f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} "
        f"| {len(times)} |"
    )


def browser_times(html: str, runs: int) -> dict[str, list[float]]:
    from _browser import Chromium

    results: dict[str, list[float]] = {"open": [], "paint": [], "frame": [], "drag": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.html"
        path.write_text(html, encoding="utf-8")
        with Chromium.launch() as browser:
            for _ in range(runs):
                page = browser.new_page()
                seconds = page.open(path.as_uri(), ready="window.kgViewer && kgViewer.stable")
                results["open"].append(seconds)
                results["paint"].append(page.evaluate("kgViewer.stableAt") / 1000)
                # One full synchronous redraw (what every pan and zoom costs).
                frame = page.evaluate(
                    "(function () { var t = performance.now();"
                    " for (var i = 0; i < 5; i++) { network.renderer._redraw(); }"
                    " return (performance.now() - t) / 5; })()"
                )
                results["frame"].append(frame / 1000)
                # A frame while panning or zooming: vis-network leaves the edges out then.
                drag = page.evaluate(
                    "(function () { var r = network.renderer, t = performance.now();"
                    " r.dragging = true; for (var i = 0; i < 5; i++) { r._redraw(); }"
                    " r.dragging = false; return (performance.now() - t) / 5; })()"
                )
                results["drag"].append(drag / 1000)
                assert page.errors == [], page.errors
                page.close()
    return results


def screenshot(path: Path) -> None:
    """Huawei's neighbourhood in the real graph, with its tooltip open (the README picture)."""
    from _browser import Chromium

    from kg.facts.load import load
    from kg.viz.viewer import render_html

    html = render_html(load().graph, focus="华为", depth=1)
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "graph.html"
        page_path.write_text(html, encoding="utf-8")
        with Chromium.launch(width=1400, height=860) as browser:
            page = browser.new_page()
            page.open(page_path.as_uri(), ready="window.kgViewer && kgViewer.stable")
            x, y = page.evaluate(
                "(function () { var id = 'kg:huawei';"
                " var p = network.canvasToDOM(network.getPositions([id])[id]);"
                " var r = document.getElementById('kg-network').getBoundingClientRect();"
                " return [r.left + p.x, r.top + p.y]; })()"
            )
            for step in range(3):
                page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x + step, y=y)
            page.wait_for(
                "document.querySelector('div.vis-tooltip') &&"
                " document.querySelector('div.vis-tooltip').style.visibility !== 'hidden'"
            )
            page.screenshot(path)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time headless Chromium")
    parser.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    parser.add_argument("--screenshot", type=Path, help="write a screenshot of the real graph")
    args = parser.parse_args()

    if args.screenshot:
        screenshot(args.screenshot)
        if not args.write_readme and not args.browser:
            return

    from kg.export.entity_graph import entity_graph
    from kg.viz.viewer import layout_positions, render_viewer

    load_before = os.getloadavg()
    graph = synthetic_graph(args.nodes)
    projection_times, G = timed(lambda: entity_graph(graph), args.runs)
    layout_times, _ = timed(lambda: layout_positions(G), args.runs)
    render_times, viewer = timed(lambda: render_viewer(graph), args.runs)
    rows = [
        row("entity projection (kg.export.entity_graph.entity_graph)", projection_times),
        row("layout in Python (kg.viz.viewer.layout_positions)", layout_times),
        row("render the page (kg.viz.viewer.render_viewer, all steps)", render_times),
    ]
    if args.browser:
        measured = browser_times(viewer.html, args.runs)
        rows += [
            row("Chromium: open file until drawn and stable (wall clock)", measured["open"]),
            row("Chromium: navigation start to first stable paint", measured["paint"]),
            row("Chromium: one full redraw", measured["frame"]),
            row("Chromium: one frame while panning or zooming", measured["drag"]),
        ]
    load_after = os.getloadavg()
    header = (
        f"`python bench/viz_bench.py --nodes {args.nodes} --runs {args.runs}"
        f"{' --browser' if args.browser else ''}` on {time.strftime('%a %b %d %H:%M:%S %Z %Y')}:"
        f" {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}."
        f" Synthetic graph: {viewer.nodes} nodes, {viewer.edges} edges"
        f" (Barabási–Albert, m=2); page {len(viewer.html.encode()) / 1e6:.1f} MB;"
        f" layout {'browser physics' if viewer.physics else 'precomputed, physics off'}."
    )
    loads = (
        f"Load average (1/5/15 min) before: {' / '.join(f'{x:.2f}' for x in load_before)};"
        f" after: {' / '.join(f'{x:.2f}' for x in load_after)}. The machine is shared: figures"
        " taken under load are pessimistic."
    )
    table = "\n".join(
        ["| step | median (s) | min (s) | max (s) | runs |", "|---|---:|---:|---:|---:|", *rows]
    )
    print(header, loads, table, sep="\n\n")
    if args.write_readme:
        section = "\n\n".join(
            [
                START + "\n## HTML viewer on a large graph",
                header,
                loads,
                table,
                "Above 300 nodes `kg viz` lays the graph out in Python: a spring layout"
                " (networkx) of the 400 best-connected nodes, the rest placed breadth-first"
                " around their placed neighbours, so the cost grows about linearly; physics is"
                " off in the page, which therefore draws once and is ready. networkx's own"
                " spring layout of all 5,000 nodes took 75 s on this machine, which is why it is"
                " not used at that size. Edges are left out of the frames drawn while panning and"
                " zooming, and above 3,000 edges arrowheads are not drawn (most of a full"
                " redraw's cost, and invisible at the zoom the page opens at).\n" + END,
            ]
        )
        text = README.read_text(encoding="utf-8")
        if START in text:
            text = re.sub(re.escape(START) + ".*?" + re.escape(END), section, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        README.write_text(text, encoding="utf-8")
        print(f"updated {README}")


if __name__ == "__main__":
    main()
