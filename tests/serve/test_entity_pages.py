"""The Linked Data pages of `kg serve` (kg/serve/pages.py) and the static site (kg/pages/site.py).

One real `kg serve` on tests/fixtures/pages/facts (a chip family, conflicting ranked figures,
hostile labels, titles and source URLs) with the real ontology. Content negotiation answers
are read back with pyoxigraph (Turtle, N-Triples) and pyld (JSON-LD, offline); the pages are
driven in headless Chromium, which must log no error, open no dialog and ask nothing of any
server but this one.

The screenshots in docs/ are made by running this file from the repository's root:
``python -m tests.serve.test_entity_pages`` (on the real graph, see ``_screenshots``).
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from pathlib import Path

import pytest

from tests._server import start_server
from tests.conftest import REPO, copy_project
from tests.serve.conftest import HEIGHT, WIDTH

KG = "https://w3id.org/aichip-kg/id/"
AICHIP = "https://w3id.org/aichip-kg/ontology#"
PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "facts"
HOSTILE_MARKUP = "#results img, main img, main script, main iframe, [onerror], [onmouseover]"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("pages"), PAGES)


@pytest.fixture(scope="module")
def server(project, tmp_path_factory):
    log = tmp_path_factory.mktemp("pages-log") / "serve.log"
    running = start_server(project, "--workers", "1", "--timeout", "10", log=log)
    yield running
    running.stop()


def follow(page, selector: str, ready: str = "document.readyState === 'complete'") -> None:
    """Click the link ``selector`` and wait for the page it opens."""
    page.load_fired = False
    page.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
    while not page.load_fired:
        page.browser.pump(0.05)
    page.wait_for(ready)


def hrefs(page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
    )


# -- content negotiation -----------------------------------------------------------------------


def _triples(data: bytes, media: str) -> set[tuple[str, str, str]]:
    import pyoxigraph

    return {
        (str(t.subject), str(t.predicate), str(t.object))
        for t in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.from_media_type(media))
    }


def _expected(triples: set[tuple[str, str, str]]) -> None:
    """The family's bounded description: its link, a claim with its source and qualifier-free
    quote, the source's address, and the chips that point at it."""
    ascend, statement = f"<{KG}ascend>", f"<{KG}stmt-ascend-designedby-huawei>"
    assert (ascend, f"<{AICHIP}designedBy>", f"<{KG}huawei>") in triples
    assert (statement, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#subject>", ascend) in triples
    assert (statement, "<http://www.w3.org/ns/prov#wasDerivedFrom>", f"<{KG}src-good>") in triples
    assert (
        f"<{KG}src-good>",
        "<https://schema.org/url>",
        '"https://example.org/specs/ascend"',
    ) in triples
    assert (f"<{KG}ascend-910>", f"<{AICHIP}inFamily>", ascend) in triples


def test_turtle_by_accept_and_ntriples_by_suffix(server):
    status, headers, body = server.request(
        "GET", "/id/ascend", headers={"Accept": "text/turtle, */*;q=0.1"}
    )
    assert status == 200, body
    assert headers["content-type"].startswith("text/turtle")
    assert headers["vary"] == "Accept"
    assert headers["content-location"] == "/id/ascend.ttl"
    _expected(_triples(body, "text/turtle"))

    status, headers, body = server.request("GET", "/id/ascend.nt")
    assert status == 200, body
    assert headers["content-type"].startswith("application/n-triples")
    _expected(_triples(body, "application/n-triples"))


def test_jsonld_parses_offline_with_pyld(server):
    from pyld import jsonld

    def no_fetching(url, options=None):
        raise AssertionError(f"pyld tried to fetch {url}")

    status, headers, body = server.request(
        "GET", "/id/ascend", headers={"Accept": "application/ld+json"}
    )
    assert status == 200, body
    assert headers["content-location"] == "/id/ascend.jsonld"
    document = json.loads(body)
    nquads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": no_fetching}
    )
    _expected(_triples(nquads.encode(), "application/n-quads"))
    assert server.request("GET", "/id/ascend.jsonld")[2] == body


def test_browsers_get_html_and_unknown_ids_get_suggestions(server):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = server.request("GET", "/id/ascend", headers={"Accept": accept})
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert headers["vary"] == "Accept"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert 'rel="alternate"' in headers["link"]

    status, headers, body = server.request("GET", "/id/ascnd", headers={"Accept": accept})
    assert status == 404
    assert 'href="/id/ascend"' in body.decode()
    status, _, body = server.request("GET", "/id/no-such-thing.ttl")
    assert status == 404 and b"no such entity" in body
    status, _, _ = server.request("GET", "/id/ascend", headers={"Accept": "image/png"})
    assert status == 406
    # Nothing but a slug reaches a query: an IRI-breaking id is simply unknown.
    status, _, body = server.request("GET", "/id/x%3E%20%7B%7D")
    assert status == 404


def test_ontology_terms_by_path(server):
    status, _, body = server.request("GET", "/ontology/inFamily")
    text = body.decode()
    assert status == 200
    assert "in family" in text and "所属系列" in text and "所屬系列" in text
    assert 'href="/ontology/Chip"' in text or 'href="/ontology/ChipFamily"' in text
    usage = re.search(r'<span class="usage">(\d+)</span>', text)
    assert usage and int(usage.group(1)) == 3  # three chips are in a family
    status, _, body = server.request("GET", "/ontology")
    assert status == 200 and 'id="inFamily"' in body.decode()
    assert server.request("GET", "/ontology/noSuchTerm")[0] == 404


# -- in the browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_search_to_family_to_query_chart_and_graph(page, server):
    page.open(server.url + "search?q=" + urllib.parse.quote("升腾"))
    first = page.evaluate("document.querySelector('table.matches tbody a').getAttribute('href')")
    assert first == "/id/ascend"
    # Classes are named by their label, linked to their ontology page.
    classes = page.evaluate(
        "Array.from(document.querySelectorAll('table.matches tbody td:nth-child(2) a'))"
        ".map(a => [a.textContent, a.getAttribute('href')])"
    )
    assert ["chip family", "/ontology/ChipFamily"] in classes, classes
    follow(page, "table.matches tbody a")
    assert page.evaluate("location.pathname") == "/id/ascend"
    assert page.evaluate("document.querySelector('h1').textContent") == "Huawei Ascend"
    labels = page.evaluate(
        "Array.from(document.querySelectorAll('table.labels tr')).map(r => r.textContent.trim())"
    )
    assert any("昇腾" in row for row in labels) and any("昇騰" in row for row in labels)
    # The source's title links to the source's own address.
    sources = page.evaluate(
        "Array.from(document.querySelectorAll('a.source-link'))"
        ".map(a => [a.textContent, a.getAttribute('href')])"
    )
    assert ["A test spec sheet", "https://example.org/specs/ascend"] in sources
    # Every IRI on the page links to its page.
    assert "/id/huawei" in hrefs(page) and "/ontology/designedBy" in hrefs(page)
    assert page.evaluate("document.querySelectorAll('#neighbourhood a.node').length") == 4

    follow(page, "a.query-link:nth-of-type(3)", "document.body.dataset.ran === '1'")
    assert page.evaluate("location.pathname") == "/"
    rows = page.evaluate("document.querySelectorAll('#result-table tbody tr').length")
    assert rows == 2  # the 910's preferred 310 W and the 310's 8 W; the deprecated 350 W is not
    page.evaluate("document.querySelector('#views button[data-view=chart]').click()")
    page.wait_for("document.body.dataset.view === 'chart'")
    bars = page.evaluate(
        "Array.from(document.querySelectorAll('#result-chart rect.bar'))"
        ".map(r => Number(r.getAttribute('width')))"
    )
    assert len(bars) == 2 and bars[0] > bars[1] > 0

    page.evaluate("history.back()")
    page.wait_for("location.pathname === '/id/ascend' && document.readyState === 'complete'")
    follow(page, "a.query-link:nth-of-type(2)", "document.body.dataset.ran === '1'")
    assert page.evaluate("window.kgQueryEditor.getValue()") == "DESCRIBE kg:ascend"
    page.evaluate("document.querySelector('#views button[data-view=graph]').click()")
    page.wait_for("document.body.dataset.view === 'graph'")
    assert page.evaluate("document.querySelectorAll('#result-graph .node').length") >= 2


@pytest.mark.browser
def test_conflicting_claims_side_by_side_preferred_marked(page, server):
    page.open(server.url + "id/ascend-910")
    group = "#p-aichip-tdpWatts"
    assert page.evaluate(f"document.querySelector('{group} .values.side-by-side') !== null")
    badge = page.evaluate(f"document.querySelector('{group} h3 .badge').textContent")
    assert badge == "2 values side by side"
    cards = page.evaluate(
        f"Array.from(document.querySelectorAll('{group} .value')).map(v => "
        "[v.querySelector('.value-head').textContent.trim(), v.querySelector('.claim').className])"
    )
    assert cards[0][0].startswith("310") and "rank-preferred" in cards[0][1]
    assert cards[1][0].startswith("350") and "rank-deprecated" in cards[1][1]
    assert "not current" in cards[1][0]
    tops = page.evaluate(
        f"Array.from(document.querySelectorAll('{group} .value'))"
        ".map(v => Math.round(v.getBoundingClientRect().top))"
    )
    assert tops[0] == tops[1]  # side by side, not stacked


@pytest.mark.browser
def test_hostile_text_runs_nothing_and_links_nowhere(page, server):
    for path in ("id/ascend", "id/hostile-chip", "id/src-evil", "search?q=script"):
        page.open(server.url + path)
        assert page.evaluate(f"document.querySelectorAll({json.dumps(HOSTILE_MARKUP)}).length") == 0
        scripts = page.evaluate("Array.from(document.scripts).map(s => s.getAttribute('src'))")
        assert scripts == ["/static/pages.js"], (path, scripts)
        bad = [h for h in hrefs(page) if h.strip().lower().startswith(("javascript:", "data:"))]
        assert bad == [], (path, bad)
    page.open(server.url + "id/ascend")
    text = page.evaluate("document.body.textContent")
    assert '<img src=x onerror="alert(1)">' in text  # shown as text, in the incoming links
    assert "</script><script>alert(4)</script>" in text  # the evil source's title, as text
    assert "javascript:alert(3)" in text  # its address shown, not linked
    assert page.evaluate("document.querySelector('.bad-url').closest('a')") is None


@pytest.mark.browser
def test_ontology_fragment_and_viewer_route(page, server):
    page.open(server.url + "ontology#inFamily")
    page.wait_for(
        "location.pathname === '/ontology/inFamily' && document.readyState === 'complete'"
    )
    assert "in family" in page.evaluate("document.querySelector('h2').textContent")
    page.open(server.url + "id/ascend")
    follow(page, "#open-viewer", "window.kgViewer && window.kgViewer.drawn")
    nodes = page.evaluate("window.nodes.get().map(n => n.id)")
    assert "kg:ascend" in nodes and "kg:huawei" in nodes


# -- the static site ---------------------------------------------------------------------------


def test_static_site_is_deterministic_and_relative(project, tmp_path):
    from kg.pages.site import render_site, write_site
    from kg.project import Project
    from kg.store import open_graph

    with open_graph(Project.at(project)) as store:
        files = render_site(store)
    with open_graph(Project.at(project), use_cache=False) as store:
        assert render_site(store) == files
    assert "id/ascend.html" in files and "ontology/inFamily.html" in files
    site = tmp_path / "site"
    write_site(site, files)
    for name, data in files.items():
        if not name.endswith(".html"):
            continue
        for href in re.findall(rb'(?:href|src)="([^"]*)"', data):
            link = href.decode()
            if link.startswith(("https://", "http://", "#")):
                continue
            assert not link.startswith("/"), (name, link)
            target = (site / name).parent / urllib.parse.unquote(link.split("#")[0])
            assert target.is_file(), (name, link)
    html = files["id/ascend.html"].decode()
    assert 'href="https://example.org/specs/ascend"' in html
    assert "javascript:alert(3)" in html and 'href="javascript' not in html


@pytest.mark.browser
def test_static_site_opens_from_file(project, tmp_path, chromium):
    from kg.pages.site import render_site, write_site
    from kg.project import Project
    from kg.store import open_graph

    with open_graph(Project.at(project)) as store:
        write_site(tmp_path / "site", render_site(store))
    tab = chromium.new_page()
    try:
        tab.open((tmp_path / "site" / "index.html").as_uri())
        follow(tab, "a[href='id/ascend.html']")
        assert tab.evaluate("document.querySelector('h1').textContent") == "Huawei Ascend"
        colour = tab.evaluate("getComputedStyle(document.querySelector('header.site')).display")
        assert colour == "flex"  # the stylesheet loaded from the relative path
        # Every page's search box leads to the index, which filters itself by any name.
        tab.evaluate("document.querySelector('form.search input').value = '升腾'")
        tab.evaluate("document.querySelector('form.search').submit()")
        tab.wait_for(
            "document.body.classList.contains('index') && "
            "document.getElementById('filter-count').textContent !== ''"
        )
        visible = (
            "Array.from(document.querySelectorAll('.index-class li:not([hidden]) a'))"
            ".map(a => a.getAttribute('href'))"
        )
        found = tab.evaluate(visible)
        assert "id/ascend.html" in found and "id/huawei.html" not in found, found
        assert tab.evaluate("document.getElementById('filter').value") == "升腾"
        tab.evaluate(
            "const box = document.getElementById('filter'); box.value = 'HUA WEI';"
            "box.dispatchEvent(new Event('input'))"
        )
        assert "id/huawei.html" in tab.evaluate(visible)
        hidden_sections = tab.evaluate("document.querySelectorAll('.index-class[hidden]').length")
        assert hidden_sections > 0  # classes with no match are folded away
        assert tab.errors == [] and tab.dialogs == []
        assert all(url.startswith("file://") for url in tab.requests), tab.requests
    finally:
        tab.close()


# -- the screenshots in docs/ ------------------------------------------------------------------


def _screenshots() -> None:
    """docs/entity-page.png and docs/search-page.png (and more in tests/artifacts/), on the
    real graph."""
    import tempfile

    from tests._browser import Chromium

    shots = {
        "id/huawei": REPO / "docs" / "entity-page.png",
        "search?q=" + urllib.parse.quote("升腾"): REPO / "docs" / "search-page.png",
        "id/ascend": REPO / "tests" / "artifacts" / "ascend-page.png",
        "ontology/designedBy": REPO / "tests" / "artifacts" / "term-page.png",
    }
    with tempfile.TemporaryDirectory() as scratch:
        running = start_server(None, "--quiet", "--workers", "1", log=Path(scratch) / "serve.log")
        try:
            with Chromium.launch(width=WIDTH, height=HEIGHT) as browser:
                tab = browser.new_page()
                for path, target in shots.items():
                    tab.open(running.url + path)
                    tab.browser.pump(0.3)
                    tab.screenshot(target)
                    assert tab.errors == [], tab.errors
                    assert all(u.startswith(running.url) for u in tab.requests)
                    print(target)
        finally:
            running.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "tests"))
    _screenshots()
