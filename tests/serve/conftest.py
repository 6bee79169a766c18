"""Browser fixtures shared by the page tests: each module brings its own ``server``."""

from __future__ import annotations

import pytest

from tests._browser import chromium_or_skip

# The size the docs/ screenshots are taken at, so a test sees the layout a reader sees.
WIDTH, HEIGHT = 1400, 900


@pytest.fixture(scope="module")
def chromium():
    with chromium_or_skip(width=WIDTH, height=HEIGHT) as browser:
        yield browser


@pytest.fixture
def page(server, chromium):
    """A fresh tab; afterwards: no errors, no dialogs, no request to anywhere but the server.
    A test that provokes an error on purpose names its text in ``page.allowed_errors``."""
    tab = chromium.new_page()
    try:
        yield tab
        allowed = getattr(tab, "allowed_errors", ())
        errors = [e for e in tab.errors if not any(text in e for text in allowed)]
        assert errors == [], errors
        assert tab.dialogs == [], tab.dialogs
        assert tab.requests, "the page made no request at all"
        assert all(url.startswith(server.url) for url in tab.requests), tab.requests
    finally:
        tab.close()
