"""The pages as a static site (``kg build --site``): one HTML file per entity and ontology term,
with relative links, so the folder can be published anywhere or opened from ``file://``.

The same queries and templates as ``kg serve``'s pages (:mod:`kg.pages.queries`,
:mod:`kg.pages.render`), run on the project store. With no server to search, the static site's
index of every entity (``index.html``) filters itself by any name (``static/site.js``; the
search box of every page leads there), and there are no links to the query page or the
viewer route. Bytes are deterministic; the folder is replaced as a whole (written beside it,
then swapped in), so a reader never sees half a site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from kg.pages.build import Ontology, parse_ntriples, usage_counts
from kg.pages.queries import NAMES_QUERY, ONTOLOGY_QUERY, SLUG, USAGE_QUERY, entity_query
from kg.pages.render import KG_NS, ONTOLOGY_NS, Links, Renderer

__all__ = ["render_site", "write_site"]

_ASSETS = Path(__file__).resolve().parents[1] / "static"


def render_site(store, progress: Callable[[str], None] = lambda _m: None) -> dict[str, bytes]:
    """Relative path → bytes of every file of the site, from ``store`` (a ``kg.store.Store``)."""
    from rdflib import RDF, URIRef

    from kg.explore.search import best_label

    def nt(query: str) -> bytes:
        return store.query(query, limit=None).serialize("nt")

    ontology = Ontology(
        parse_ntriples(nt(ONTOLOGY_QUERY)),
        usage_counts(store.query(USAGE_QUERY, limit=None).serialize("json")),
    )
    names = ontology.names_graph(parse_ntriples(nt(NAMES_QUERY)))
    entities = sorted(
        {
            str(s)
            for s in names.subjects(RDF.type, None)
            if isinstance(s, URIRef) and SLUG.match(str(s)[len(KG_NS) :])
        }
    )
    deep = Renderer(Links(static=True, root="../"))
    files: dict[str, bytes] = {
        f"static/{asset}": (_ASSETS / asset).read_bytes() for asset in ("pages.css", "site.js")
    }
    index: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for number, iri in enumerate(entities, 1):
        slug = iri[len(KG_NS) :]
        page = ontology.entity(parse_ntriples(nt(entity_query(iri))), iri)
        if page is None:
            continue
        files[f"id/{slug}.html"] = deep.entity(page, rdf_links=False).encode()
        if number % 500 == 0:
            progress(f"site: {number} of {len(entities)} entity pages")
        kind = page.classes[0].text if page.classes else "other"
        label = best_label(names, URIRef(iri))
        every = " · ".join(
            sorted({str(v) for p, v in names.predicate_objects(URIRef(iri)) if p != RDF.type})
        )
        index[kind].append((label, slug, every))
    for iri in ontology.terms():
        local = iri[len(ONTOLOGY_NS) :]
        term = ontology.term(local)
        if term is not None:
            files[f"ontology/{local}.html"] = deep.term(term).encode()
    files["ontology.html"] = ontology.render_terms(Renderer(Links(static=True, root=""))).encode()
    entries = [
        (kind, sorted(items, key=lambda item: (item[0].casefold(), item[1])))
        for kind, items in sorted(index.items(), key=lambda kv: kv[0].casefold())
    ]
    files["index.html"] = Renderer(Links(static=True, root="")).index(entries).encode()
    return dict(sorted(files.items()))


def write_site(directory: Path, files: dict[str, bytes]) -> None:
    """Replace ``directory`` with exactly ``files`` (written beside it, then swapped in)."""
    directory = directory.absolute()
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}-building-", dir=directory.parent))
    try:
        for name, data in files.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(work, 0o755)
        if directory.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{directory.name}-old-", dir=directory.parent))
            os.rename(directory, aside / directory.name)
            os.rename(work, directory)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(work, directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def build_site(
    project, directory: Path, *, check: bool = False, progress: Callable[[str], None] = print
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Render the site of ``project`` into ``directory`` (or, with ``check``, compare with it);
    ``(files, stale)`` with names relative to ``directory``."""
    from kg.store import open_graph

    progress("rendering the site…")
    with open_graph(project) as store:
        files = render_site(store, progress)
    if check:
        present = (
            {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}
            if directory.is_dir()
            else set()
        )
        stale = {
            n
            for n, data in files.items()
            if n not in present or (directory / n).read_bytes() != data
        }
        stale |= present - set(files)
        return tuple(files), tuple(sorted(stale))
    write_site(directory, files)
    progress(f"wrote {len(files)} files to {directory}")
    return tuple(files), ()
