"""The query page of `kg serve` (kg/static/query.*), driven in headless Chromium.

One real `kg serve` on the small fixture project (tests/fixtures/serve/facts and the real
ontology), one browser at 1400×900. Every test checks, on the way out, that the page logged no
error (a Content-Security-Policy violation is one), opened no dialog and asked nothing of any
server but its own.

The screenshots in docs/ are made by running this file from the repository's root:
``python -m tests.serve.test_query_page`` (on the real graph, see ``_screenshots``).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from tests._server import start_server
from tests.conftest import REPO, copy_project
from tests.serve.conftest import HEIGHT, WIDTH
from tests.serve.test_endpoint import FIXTURES

KG = "https://w3id.org/aichip-kg/id/"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("query-page"), FIXTURES / "facts")
    log = tmp_path_factory.mktemp("query-page-log") / "serve.log"
    running = start_server(root, "--workers", "1", "--timeout", "10", log=log)
    yield running
    running.stop()


# -- helpers -----------------------------------------------------------------------------------


def open_page(page, server, query: dict | None = None, ran: int | None = None) -> None:
    url = server.url + ("?" + urllib.parse.urlencode(query) if query else "")
    ready = "document.body.dataset.ready === 'true'"
    if ran is not None:
        ready += f" && document.body.dataset.ran === '{ran}'"
    page.open(url, ready=ready)


def run(page, query: str) -> None:
    """Put ``query`` in the editor, press Run, wait for the answer."""
    before = int(page.evaluate("document.body.dataset.ran || '0'"))
    page.evaluate(f"window.kgQueryEditor.setValue({json.dumps(query)})")
    page.evaluate("document.getElementById('run').click()")
    page.wait_for(f"document.body.dataset.ran === '{before + 1}'")


def choose_view(page, view: str) -> None:
    page.evaluate(f"document.querySelector('#views button[data-view={view}]').click()")
    page.wait_for(f"document.body.dataset.view === '{view}'")


def type_text(page, text: str) -> None:
    """Type into the focused editor as a user would (one key event per character)."""
    for char in text:
        page.send("Input.insertText", text=char)


def press(page, key: str, code: int) -> None:
    page.send(
        "Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code
    )


def completions(page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('.cm-tooltip-autocomplete li .cm-completionLabel'))"
        ".map(li => li.textContent)"
    )


def search_params(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(page.evaluate("location.search").lstrip("?")))


NUMBERS = """SELECT ?chip ?label ?tflops WHERE {
  VALUES (?chip ?label ?tflops) {
    (kg:chip-a "Chip A" 989.5) (kg:chip-b "Chip B" 312) (kg:chip-c "Chip C" 1979)
  }
}"""


# -- the editor --------------------------------------------------------------------------------


def test_editor_highlights_sparql(page, server):
    open_page(page, server)
    assert page.evaluate("document.getElementById('query').hidden") is True
    assert page.evaluate("!!document.querySelector('#query-form .cm-editor')")
    run(page, 'SELECT ?x WHERE {\n  ?x a aichip:Company ; rdfs:label "Huawei"@en .\n} # note')
    tokens = page.evaluate(
        "Object.fromEntries(['keyword', 'variableName', 'atom', 'string', 'comment']"
        ".map(k => [k, Array.from(document.querySelectorAll('.cm-content .tok-' + k))"
        ".map(e => e.textContent)]))"
    )
    assert "SELECT" in tokens["keyword"] and "WHERE" in tokens["keyword"]
    assert "?x" in tokens["variableName"]
    assert "aichip:Company" in tokens["atom"] and "rdfs:label" in tokens["atom"]
    assert '"Huawei"' in tokens["string"]
    assert "# note" in tokens["comment"]
    # The highlighting is styled (CodeMirror's own rules pass the CSP: no 'unsafe-inline').
    colours = page.evaluate(
        "['keyword', 'variableName'].map(k => "
        "getComputedStyle(document.querySelector('.cm-content .tok-' + k)).color)"
    )
    assert colours[0] != colours[1]


def test_completion_of_terms_entities_and_prefixes(page, server):
    open_page(page, server)
    page.wait_for("Number(document.body.dataset.terms) > 50")
    page.evaluate("window.kgQueryEditor.setValue(''); window.kgQueryEditor.focus()")
    type_text(page, "aichip:des")
    page.wait_for(
        "Array.from(document.querySelectorAll('.cm-tooltip-autocomplete li'))"
        ".some(li => li.textContent.includes('aichip:designedBy'))"
    )
    offered = completions(page)
    assert "aichip:designedBy" in offered
    assert all(label.startswith("aichip:") for label in offered)
    press(page, "Escape", 27)

    # Entities complete by their label, not only by their IRI.
    page.evaluate("window.kgQueryEditor.setValue(''); window.kgQueryEditor.focus()")
    type_text(page, "kg:华为")
    page.wait_for(
        "Array.from(document.querySelectorAll('.cm-tooltip-autocomplete li'))"
        ".some(li => li.textContent.includes('kg:huawei'))"
    )
    # Accepting one writes it into the query (after CodeMirror's 75 ms guard against
    # accepting a list the user has not seen).
    time.sleep(0.2)
    press(page, "Enter", 13)
    page.wait_for("window.kgQueryEditor.getValue() === 'kg:huawei'", timeout=5)

    # A bare word: the declared prefixes (and keywords).
    page.evaluate("window.kgQueryEditor.setValue('SELECT * { ?s '); window.kgQueryEditor.focus()")
    page.evaluate("window.kgQueryEditor.view.dispatch({selection: {anchor: 14}})")
    type_text(page, "rdf")
    page.wait_for("!!document.querySelector('.cm-tooltip-autocomplete li')")
    assert {"rdf:", "rdfs:"} <= set(completions(page))


def test_a_400_marks_the_line_in_the_editor(page, server):
    page.allowed_errors = ("the server responded with a status of 400",)  # Chromium's own note
    open_page(page, server)
    run(page, "SELECT ?x WHERE {\n  ?x a \n")
    message = page.evaluate("document.getElementById('error').textContent")
    assert message.startswith("400") and "query:2:" in message
    assert (
        page.evaluate(
            "Array.from(document.querySelectorAll('.cm-content .cm-line'))"
            ".findIndex(line => line.classList.contains('cm-error-line'))"
        )
        == 1
    )
    assert page.evaluate("document.querySelectorAll('.cm-lint-marker-error').length") == 1
    # Editing the query clears the mark; a good run leaves none.
    run(page, "SELECT ?x WHERE { ?x a aichip:Company }")
    assert page.evaluate("document.querySelectorAll('.cm-error-line').length") == 0
    assert page.evaluate("document.getElementById('error').hidden") is True


# -- the URL -----------------------------------------------------------------------------------


def test_the_url_keeps_query_and_view_and_a_reload_restores_them(page, server):
    open_page(page, server)
    run(page, NUMBERS)
    assert search_params(page) == {"query": NUMBERS}
    choose_view(page, "chart")
    assert search_params(page) == {"query": NUMBERS, "view": "chart"}
    shared = page.evaluate("location.href")
    # Another query is a new history entry; Back restores the first.
    run(page, "ASK { kg:huawei a aichip:Company }")
    assert search_params(page) == {"query": "ASK { kg:huawei a aichip:Company }"}
    page.evaluate("history.back()")
    page.wait_for("document.body.dataset.ran === '3' && document.body.dataset.view === 'chart'")

    page.open(shared, ready="document.body.dataset.ran === '1'")
    assert page.evaluate("window.kgQueryEditor.getValue()") == NUMBERS
    assert page.evaluate("document.body.dataset.view") == "chart"
    assert page.evaluate("document.querySelectorAll('#result-chart rect.bar').length") == 3
    pressed = page.evaluate("document.querySelector('#views [aria-pressed=true]').dataset.view")
    assert pressed == "chart"


def test_competency_questions_have_parameter_forms(page, server):
    open_page(page, server, {"example": "cq01-foundation-members"}, ran=1)
    fields = page.evaluate(
        "Array.from(document.querySelectorAll('#param-fields input')).map(i => [i.name, i.value])"
    )
    assert fields == [["foundation", "kg:pytorch-foundation"]]
    title = page.evaluate("document.getElementById('example-title').textContent")
    assert "foundation" in title.lower()
    assert search_params(page) == {"example": "cq01-foundation-members"}
    rows = page.evaluate("document.querySelectorAll('#result-table tbody tr').length")
    assert rows >= 1
    # A plain value takes the form of the default (an entity), and lands in the VALUES clause.
    page.evaluate(
        "const input = document.querySelector('#param-fields input[name=foundation]');"
        "input.value = 'linux-foundation';"
        "document.getElementById('run-example').click()"
    )
    page.wait_for("document.body.dataset.ran === '2'")
    query = page.evaluate("window.kgQueryEditor.getValue()")
    assert "VALUES ?foundation { kg:linux-foundation }" in query
    assert search_params(page) == {
        "example": "cq01-foundation-members",
        "foundation": "linux-foundation",
    }
    page.open(page.evaluate("location.href"), ready="document.body.dataset.ran === '1'")
    assert "VALUES ?foundation { kg:linux-foundation }" in page.evaluate(
        "window.kgQueryEditor.getValue()"
    )
    # Editing the query by hand closes the form and shares the text instead.
    run(page, "ASK {}")
    assert page.evaluate("document.getElementById('example-form').hidden") is True
    assert search_params(page) == {"query": "ASK {}"}


# -- result views ------------------------------------------------------------------------------


def test_table_links_entities_to_their_pages_with_labels(page, server):
    open_page(page, server)
    run(
        page,
        "SELECT ?company ?companyLabel WHERE { VALUES ?company { kg:huawei } "
        "?company rdfs:label ?companyLabel FILTER(lang(?companyLabel) = 'en') }",
    )
    link = page.evaluate(
        "(a => [a.getAttribute('href'), a.textContent, a.title])"
        "(document.querySelector('#result-table td a'))"
    )
    assert link == ["/id/huawei", "Huawei", KG + "huawei"]
    lang = page.evaluate("document.querySelector('#result-table td .lang').textContent")
    assert lang == "@en"
    # Words are never broken; only long IRIs may wrap anywhere.
    wraps = page.evaluate(
        "[getComputedStyle(document.querySelector('#result-table td:nth-child(2)')).overflowWrap,"
        " getComputedStyle(document.querySelector('#result-table td:nth-child(2)')).wordBreak]"
    )
    assert wraps == ["normal", "normal"]


def test_chart_view_draws_bars_for_a_numeric_column(page, server):
    open_page(page, server)
    run(page, NUMBERS)
    views = page.evaluate(
        "Array.from(document.querySelectorAll('#views button')).filter(b => !b.hidden)"
        ".map(b => b.dataset.view)"
    )
    assert views == ["table", "graph", "chart"] or views == ["table", "chart"]
    choose_view(page, "chart")
    bars = page.evaluate(
        "Array.from(document.querySelectorAll('#result-chart rect.bar'))"
        ".map(r => Number(r.getAttribute('width')))"
    )
    assert len(bars) == 3
    assert bars[2] > bars[0] > bars[1] > 0  # 1979 > 989.5 > 312
    assert abs(bars[2] / bars[1] - 1979 / 312) < 0.05
    labels = page.evaluate(
        "Array.from(document.querySelectorAll('#result-chart .bar-label'))"
        ".map(t => t.firstChild.textContent)"
    )
    assert labels == ["Chip A", "Chip B", "Chip C"]
    # No numeric column, no chart.
    run(page, "SELECT ?l WHERE { kg:huawei rdfs:label ?l }")
    assert page.evaluate("document.querySelector('#views [data-view=chart]').hidden") is True
    assert page.evaluate("document.body.dataset.view") == "table"


def test_graph_view_draws_nodes(page, server):
    open_page(page, server)
    run(
        page,
        "CONSTRUCT { ?m org:memberOf ?f . ?m rdfs:label ?l } WHERE { ?m org:memberOf ?f . "
        "?m rdfs:label ?l }",
    )
    assert page.evaluate("document.querySelector('#views [data-view=chart]').hidden") is True
    choose_view(page, "graph")
    nodes = page.evaluate(
        "Array.from(document.querySelectorAll('#result-graph .node text')).map(t => t.textContent)"
    )
    assert "kg:pytorch-foundation" in nodes and "Huawei" in nodes  # labelled from the result
    assert page.evaluate("document.querySelectorAll('#result-graph .edge line').length") == 1
    hrefs = page.evaluate(
        "Array.from(document.querySelectorAll('#result-graph a')).map(a => a.getAttribute('href'))"
    )
    assert "/id/huawei" in hrefs
    # A SELECT whose columns are IRIs can be drawn too.
    run(page, "SELECT ?m ?f WHERE { ?m org:memberOf ?f }")
    choose_view(page, "graph")
    assert page.evaluate("document.querySelectorAll('#result-graph .node').length") == 2


# -- safety ------------------------------------------------------------------------------------

HOSTILE = [
    '<img src=x onerror="alert(1)">',
    "</script><script>alert(2)</script>",
    "javascript:alert(3)",
]


def test_hostile_labels_are_text_in_every_view(page, server):
    open_page(page, server)
    rows = " ".join(
        f"(<javascript:alert({i})> {json.dumps(label)} {i + 1} kg:huawei)"
        for i, label in enumerate(HOSTILE)
    )
    query = "SELECT ?x ?xLabel ?n ?y WHERE { VALUES (?x ?xLabel ?n ?y) { " + rows + " } }"
    run(page, query)
    for view in ("table", "chart", "graph"):
        choose_view(page, view)
        text = page.evaluate("document.getElementById('results').textContent")
        for label in HOSTILE:
            assert label in text or (label[:20] in text), (view, label)
        markup = page.evaluate(
            "document.querySelectorAll('#results img, #results script, #results iframe').length"
        )
        assert markup == 0, view
        hrefs = page.evaluate(
            "Array.from(document.querySelectorAll('#results a')).map(a => a.getAttribute('href'))"
        )
        assert all(h.startswith("/id/") for h in hrefs), (view, hrefs)  # kg:huawei only
    # The label column itself, as text.
    choose_view(page, "table")
    cells = page.evaluate(
        "Array.from(document.querySelectorAll('#result-table tbody td:nth-child(2)'))"
        ".map(td => td.textContent)"
    )
    assert cells == HOSTILE
    assert page.evaluate("document.querySelectorAll('script').length") == 2  # the page's own


def test_nothing_leaves_the_server(page, server):
    """The whole page, every view and both kinds of completion: only the server is asked."""
    open_page(page, server, {"example": "cq01-foundation-members"}, ran=1)
    page.wait_for("Number(document.body.dataset.terms) > 0")
    run(page, NUMBERS)
    for view in ("chart", "table"):
        choose_view(page, view)
    run(page, "DESCRIBE kg:huawei")
    choose_view(page, "graph")
    page.evaluate("window.kgQueryEditor.setValue(''); window.kgQueryEditor.focus()")
    type_text(page, "kg:nv")
    page.wait_for("!!document.querySelector('.cm-tooltip-autocomplete li')")
    origins = {urllib.parse.urlsplit(url)[:2] for url in page.requests}
    assert origins == {tuple(urllib.parse.urlsplit(server.url)[:2])}
    paths = {urllib.parse.urlsplit(url).path for url in page.requests}
    assert paths <= {
        "/",
        "/query.css",
        "/query.js",
        "/vendor/codemirror.js",
        "/examples.json",
        "/sparql",
        "/favicon.ico",
    }, paths


# -- the screenshots in docs/ ------------------------------------------------------------------


def _screenshots() -> None:
    """docs/query-page.png (a table) and docs/query-chart.png (a chart), on the real graph."""
    import tempfile

    from tests._browser import Chromium

    with tempfile.TemporaryDirectory() as scratch:
        running = start_server(None, "--quiet", "--workers", "1", log=Path(scratch) / "serve.log")
        try:
            with Chromium.launch(width=WIDTH, height=HEIGHT) as browser:
                tab = browser.new_page()
                example = {"example": "cq05-china-2022-shares"}
                for view, name in (("table", "query-page.png"), ("chart", "query-chart.png")):
                    query = dict(example, **({"view": view} if view != "table" else {}))
                    url = running.url + "?" + urllib.parse.urlencode(query)
                    tab.open(url, ready="document.body.dataset.ran === '1'")
                    # Scroll the editor to the query itself, past the PREFIX lines.
                    tab.evaluate(
                        "(v => { v.scrollDOM.scrollTop = v.lineBlockAt("
                        "v.state.doc.toString().indexOf('SELECT')).top - 4; })"
                        "(window.kgQueryEditor.view)"
                    )
                    tab.browser.pump(0.3)
                    tab.screenshot(REPO / "docs" / name)
                    assert tab.errors == [], tab.errors
                    assert all(u.startswith(running.url) for u in tab.requests)
                    print(REPO / "docs" / name)
        finally:
            running.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "tests"))  # tests/_browser.py imports conftest
    _screenshots()
