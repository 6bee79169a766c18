"""Linked Data pages of ``kg serve``: every entity IRI's path answers, and so do the ontology's.

* ``/id/{slug}`` — the entity ``https://w3id.org/aichip-kg/id/{slug}``: an HTML page for a
  browser, or its RDF (its bounded description, :func:`kg.pages.queries.entity_query`) as
  Turtle, N-Triples or JSON-LD by ``Accept``. The answer comes straight back (200) with
  ``Vary: Accept`` and, for RDF, ``Content-Location`` naming the suffixed URL; no 303 round
  trip, as Wikidata's ``Special:EntityData`` does: the IRIs are w3id.org's, which redirects to
  wherever the graph is served, so the information resource/thing distinction is made there.
  ``/id/{slug}.ttl``, ``.nt``, ``.jsonld`` (and ``.html``) choose the format by suffix.
  Unknown ids answer 404 with an HTML page of search suggestions (or plain text to an RDF
  client).
* ``/ontology`` — every term of the ontology; ``/ontology/{name}`` one term (label,
  definition, domain, range, usage count). ``/ontology#name`` (the term's IRI) shows the same
  page: a small script sends the browser on, the fragment never reaching the server.
* ``/search?q=…`` — entities by any name (:mod:`kg.explore.search`: 华为, 華為, 升腾, Huawei).
* ``/viz?focus={slug}`` — the offline viewer (:mod:`kg.viz.viewer`) on the entity and its
  neighbours, with the viewer's own Content-Security-Policy (inline scripts pinned by hash).

Pages are built from SPARQL answers the query workers give (:mod:`kg.serve.pool`), so this
process never holds the graph; the ontology and the names are fetched once (the served graph
does not change while the server runs) and rendered pages are kept in a small LRU cache.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from kg.pages.queries import NAMES_QUERY, ONTOLOGY_QUERY, SLUG, USAGE_QUERY, entity_query
from kg.serve.protocol import Job, Reply, accept_ranges, media_quality

__all__ = ["PAGE_ASSETS", "Pages", "page_routes"]

KG_NS = "https://w3id.org/aichip-kg/id/"
#: The pages' own files, served beside the query page's.
PAGE_ASSETS = {
    "/static/pages.css": ("pages.css", "text/css; charset=utf-8"),
    "/static/pages.js": ("pages.js", "text/javascript; charset=utf-8"),
}
#: Suffix → (format the protocol writes, media type).
_SUFFIXES = {
    "ttl": ("text/turtle", "ttl"),
    "nt": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "jsonld"),
}
#: What /id/… can answer, in the server's order of preference (HTML first: a browser that
#: sends */* gets the page).
_OFFERED = (
    ("text/html", "html"),
    ("application/xhtml+xml", "html"),
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/x-turtle", "ttl"),
    ("application/json", "jsonld"),
    ("text/plain", "nt"),
)
_MEDIA = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json"}
_INTERNAL_ROWS = 500_000  # the pages' own queries: well past any one entity's description
_CACHE_SIZE = 256
_VIZ_CSP = re.compile(rb'<meta http-equiv="Content-Security-Policy" content="([^"]*)"')


def choose_format(accept: str) -> str | None:
    """``html``, ``ttl``, ``nt`` or ``jsonld`` for an ``Accept`` header; None if none fits."""
    if not accept.strip():
        return "html"
    ranges = accept_ranges(accept)
    best: tuple[float, int] | None = None
    chosen = None
    for position, (media, fmt) in enumerate(_OFFERED):
        quality = media_quality(media, ranges)
        if quality > 0 and (best is None or (quality, -position) > best):
            best, chosen = (quality, -position), fmt
    return chosen


class Pages:
    """The pages' data: answers from the workers, turned into pages, cached."""

    def __init__(self, run, title: str = "aichip-kg") -> None:
        from kg.pages.render import Links, Renderer

        self._run = run  # async (Job) -> Reply
        self.renderer = Renderer(Links(), title=title)
        self._ontology: Any = None
        self._names: Any = None
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock: Any = None

    async def _answer(self, query: str, accept: str) -> Reply:
        return await self._run(Job(query=query, accept=accept, max_rows=_INTERNAL_ROWS))

    async def _thread(self, function, *args):
        import anyio.to_thread

        return await anyio.to_thread.run_sync(function, *args)

    async def ontology(self):
        """The ontology and usage counts, fetched on first use."""
        import anyio

        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._ontology is None:
                from kg.pages.build import Ontology, parse_ntriples, usage_counts

                graph = await self._answer(ONTOLOGY_QUERY, "application/n-triples")
                usage = await self._answer(USAGE_QUERY, "application/sparql-results+json")
                for reply in (graph, usage):
                    if reply.status != 200:
                        raise RuntimeError(f"ontology query failed: {reply.body[:200]!r}")
                self._ontology = await self._thread(
                    lambda: Ontology(parse_ntriples(graph.body), usage_counts(usage.body))
                )
        return self._ontology

    async def names(self):
        ontology = await self.ontology()
        if self._names is None:
            from kg.pages.build import parse_ntriples

            reply = await self._answer(NAMES_QUERY, "application/n-triples")
            if reply.status != 200:
                raise RuntimeError(f"names query failed: {reply.body[:200]!r}")
            self._names = await self._thread(
                lambda: ontology.names_graph(parse_ntriples(reply.body))
            )
        return self._names

    async def search(self, text: str, limit: int = 50):
        from kg.errors import InputError
        from kg.explore.search import search

        names = await self.names()
        try:
            return await self._thread(lambda: search(names, text, limit=limit, suggest=8))
        except InputError:
            return None

    async def description(self, slug: str):
        from kg.pages.build import parse_ntriples

        reply = await self._answer(entity_query(KG_NS + slug), "application/n-triples")
        if reply.status != 200:
            return reply
        return await self._thread(parse_ntriples, reply.body)

    async def entity_html(self, slug: str) -> bytes | Reply | None:
        if slug in self._cache:
            self._cache.move_to_end(slug)
            return self._cache[slug]
        ontology = await self.ontology()
        description = await self.description(slug)
        if isinstance(description, Reply):
            return description

        def render() -> bytes | None:
            page = ontology.entity(description, KG_NS + slug)
            return None if page is None else self.renderer.entity(page).encode()

        html = await self._thread(render)
        if html is not None:
            self._cache[slug] = html
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return html

    async def not_found(self, what: str, text: str) -> bytes:
        found = await self.search(text, limit=8) if text else None
        suggestions = found.closest if found is not None else ()
        onto = await self.ontology()
        return self.renderer.not_found(what, suggestions, class_label=onto.class_label).encode()


def _html(body: bytes, status: int = 200, headers: dict | None = None):
    from starlette.responses import Response

    return Response(
        body,
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
    )


def _text(status: int, message: str, headers: dict | None = None):
    from starlette.responses import Response

    return Response(
        (" ".join(message.split()) + "\n").encode(),
        status_code=status,
        headers={"Content-Type": "text/plain; charset=utf-8", **(headers or {})},
    )


def _reply(reply: Reply, headers: dict):
    from starlette.responses import Response

    return Response(
        reply.body,
        status_code=reply.status,
        headers={"Content-Type": reply.content_type, **dict(reply.headers), **headers},
    )


def page_routes(pages: Pages) -> list:
    """Starlette routes for the pages (added to :func:`kg.serve.app.routes`)."""
    from starlette.routing import Route

    async def entity(request):
        rest = request.path_params["rest"]
        stem, dot, suffix = rest.rpartition(".")
        fmt: str | None
        negotiated = False
        if dot and suffix in (*_SUFFIXES, "html") and SLUG.match(stem):
            slug, fmt = stem, suffix
        else:
            slug, fmt, negotiated = rest, choose_format(request.headers.get("accept", "")), True
        vary = {"Vary": "Accept"} if negotiated else {}
        if not SLUG.match(slug):
            return _html(await pages.not_found(f"/id/{rest}", rest), 404, vary)
        if fmt is None:
            return _text(
                406,
                "no acceptable format: /id/… answers text/html, text/turtle, "
                "application/n-triples or application/ld+json",
                vary,
            )
        alternates = ", ".join(
            f'</id/{slug}.{suffix}>; rel="alternate"; type="{media}"'
            for suffix, (media, _) in _SUFFIXES.items()
        )
        headers = {**vary, "Link": alternates}
        if fmt == "html":
            html = await pages.entity_html(slug)
            if isinstance(html, Reply):
                return _reply(html, headers)
            if html is None:
                return _html(await pages.not_found(KG_NS + slug, slug), 404, vary)
            return _html(html, 200, headers)
        query = entity_query(KG_NS + slug)
        reply = await pages._answer(query, _MEDIA["nt"])
        if reply.status == 200 and not reply.body.strip():
            return _text(404, f"no such entity: {KG_NS}{slug}; search at /search?q={slug}", vary)
        if reply.status == 200 and fmt != "nt":
            reply = await pages._answer(query, _MEDIA[fmt])
        if negotiated:
            headers["Content-Location"] = f"/id/{slug}.{fmt}"
        return _reply(reply, headers)

    async def ontology(request):
        onto = await pages.ontology()
        return _html((await pages._thread(onto.render_terms, pages.renderer)).encode())

    async def term(request):
        onto = await pages.ontology()
        local = request.path_params["local"]
        page = onto.term(local)
        if page is None:
            return _html(await pages.not_found(f"/ontology/{local}", ""), 404)
        return _html(pages.renderer.term(page).encode())

    async def search(request):
        text = request.query_params.get("q", "").strip()[:200]
        if not text:
            return _html(pages.renderer.search_page("", (), ()).encode())
        found = await pages.search(text)
        if found is None:
            body = pages.renderer.search_page(text, (), (), error="Nothing to search for.")
            return _html(body.encode())
        onto = await pages.ontology()
        body = pages.renderer.search_page(
            text, found.matches, found.suggestions, class_label=onto.class_label
        )
        return _html(body.encode())

    async def viz(request):
        slug = request.query_params.get("focus", "").strip()
        if slug.startswith("kg:"):
            slug = slug[3:]
        if not SLUG.match(slug):
            return _html(await pages.not_found(f"/viz?focus={slug}", slug), 404)
        description = await pages.description(slug)
        if isinstance(description, Reply):
            return _reply(description, {})
        if not len(description):
            return _html(await pages.not_found(KG_NS + slug, slug), 404)
        onto = await pages.ontology()

        def render() -> bytes:
            from kg.viz.viewer import render_html

            graph = description + onto.graph
            title = f"aichip-kg: {slug} and its neighbours"
            return render_html(graph, focus=KG_NS + slug, depth=1, title=title).encode()

        html = await pages._thread(render)
        found = _VIZ_CSP.search(html)
        # The viewer inlines its scripts, pinned by hash in its own policy, which replaces the
        # server's here (see kg.serve.app._Headers); framing stays forbidden.
        csp = (found.group(1).decode() if found else "default-src 'none'") + (
            "; frame-ancestors 'none'"
        )
        return _html(html, 200, {"Content-Security-Policy": csp})

    return [
        Route("/id/{rest:path}", entity, methods=["GET", "HEAD"]),
        Route("/ontology", ontology, methods=["GET", "HEAD"]),
        Route("/ontology/{local}", term, methods=["GET", "HEAD"]),
        Route("/search", search, methods=["GET", "HEAD"]),
        Route("/viz", viz, methods=["GET", "HEAD"]),
    ]
