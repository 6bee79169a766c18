"""Scale benchmark: kg's store layer next to plain rdflib and raw pyoxigraph, and kg's analytics
fast paths next to networkx and raw igraph, at 10k / 100k / 1M triples (and edges).

One command, well under 30 minutes on a 2-core machine::

    python bench/run.py                       # 10k, 100k, 1M; table on stdout, JSON file
    python bench/run.py --sizes 10k,100k      # quicker
    python bench/run.py --update-readme       # also rewrite the "Scale" section of bench/README.md

What is measured, each in a fresh process per engine and size (so peak memory is per engine):

* **load**: ``kg.store.bulkload.load_files`` into an empty ``oxigraph:PATH`` (one bulk pass, emptied
  again on error) vs ``pyoxigraph.Store(PATH).bulk_load``, and into a store that already holds
  data (every file checked first, then bulk-loaded); into pyoxigraph in memory (kg's
  transactional single pass vs ``Store().load``); kg's memory store (pyoxigraph's parser
  feeding an rdflib graph) vs ``rdflib.Graph().parse``.
* **queries**: the competency questions ``kg/queries/*.rq`` as they are:
  ``Store.query(text).rows`` (rows converted to rdflib terms) vs
  ``list(pyoxigraph.Store.query(text))`` vs ``list(rdflib.Graph.query(text))``; best of
  ``--repeat`` runs (one run when a run takes over a second).
* **export**: Turtle and N-Triples of the whole graph to a file: ``Store.serialize`` vs
  ``pyoxigraph.Store.dump`` vs ``rdflib.Graph.serialize``, and kg's canonical writers
  (``kg.export.formats.to_turtle`` / ``to_ntriples`` on rdflib) for reference.
* **analytics** on the undirected graph of the synthetic data's IRI-to-IRI links (entities,
  statements, observations, sources; not rdf:type), with 10k / 100k / 1M edges: PageRank,
  Louvain communities and betweenness (exact at 10k, else estimated from 256 seeded pivots,
  the same pivots everywhere) via ``kg.analytics.fast`` (from a networkx graph, the conversion
  counted in every call) vs raw igraph (integer edges) vs networkx.
* **peak memory**: the maximum resident set size of each engine's process.

Every timed operation runs under ``--timeout`` seconds (rdflib and networkx are interrupted;
pyoxigraph cannot be, so a whole engine process is stopped after ``--engine-timeout``). What
did not finish shows as ``>T``. Row counts are compared between engines; a mismatch is flagged.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
QUERIES_DIR = REPO / "kg" / "queries"
RESULTS = REPO / "bench" / "scale-results.json"
README = REPO / "bench" / "README.md"
START, END = "<!-- scale:start -->", "<!-- scale:end -->"
KG = "https://w3id.org/aichip-kg/id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PIVOTS = 256
EXACT_BETWEENNESS_EDGES = 20_000
TARGETS = {
    "load_rate": 300_000,  # triples/s at 1M
    "query_ratio": 1.5,  # kg / raw pyoxigraph
    "export_ratio": 1.5,
    "peak_mb": 2048,
    "analytics_s": 5.0,  # PageRank and communities at 1M edges
}


# =============================================================================================
# workers (one process each)
# =============================================================================================


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise Timeout


class Recorder:
    def __init__(self, out: Path, engine: str, size: str, timeout: float, repeat: int) -> None:
        self.out = out.open("a", encoding="utf-8")
        self.engine, self.size, self.timeout, self.repeat = engine, size, timeout, repeat
        # A signal cannot stop C code (pyoxigraph, igraph): Python sees it only once the call
        # returns, so there the work runs to the end and its real time is recorded; the
        # engine process as a whole is bounded by --engine-timeout.
        self.interruptible = engine in INTERRUPTIBLE
        signal.signal(signal.SIGALRM, _on_alarm)

    def emit(self, **record) -> None:
        record = {"engine": self.engine, "size": self.size, **record}
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def time(self, kind: str, name: str, work, *, repeat: int | None = None, limit=None, **extra):
        """Run ``work()`` (best of ``repeat``) under the timeout; record seconds and its value."""
        best, value = None, None
        limit = limit or self.timeout
        for attempt in range(repeat or self.repeat):
            if self.interruptible:
                signal.setitimer(signal.ITIMER_REAL, limit)
            start = time.perf_counter()
            try:
                value = work()
            except Timeout:
                self.emit(kind=kind, name=name, seconds=None, timeout=limit, **extra)
                return None
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
            if elapsed > 1.0 and attempt == 0:
                break
        shown = value if isinstance(value, int | float | str) else None
        self.emit(kind=kind, name=name, seconds=best, value=shown, **extra)
        return value

    def finish(self) -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        self.emit(kind="memory", name="peak", mb=round(peak, 1))
        self.out.close()


def competency_queries() -> list[tuple[str, str]]:
    return [
        (p.stem.split("-")[0], p.read_text(encoding="utf-8"))
        for p in sorted(QUERIES_DIR.glob("cq*.rq"))
    ]


def _written(_: object, target: Path) -> int:
    return target.stat().st_size


def _raw_dump(store, form: str, target: Path) -> None:
    """pyoxigraph's dump with the prefixes kg gives it, so that the output is the same."""
    import pyoxigraph as ox

    from kg.facts.load import PREFIXES

    default = ox.DefaultGraph()
    store.dump(
        str(target), format=getattr(ox.RdfFormat, form), from_graph=default, prefixes=PREFIXES
    )


def worker_kg(rec: Recorder, data: Path, scratch: Path) -> None:
    from kg.store import open_store
    from kg.store.bulkload import load_files

    store = open_store(f"oxigraph:{scratch / 'kg-store'}")
    report = rec.time(
        "load", "oxigraph-disk", lambda: load_files(store, [data]), repeat=1, limit=rec.timeout * 20
    )
    if report is None:
        return
    rec.emit(kind="count", name="triples", value=len(store))
    for name, text in competency_queries():
        rec.time(
            "query", name, lambda text=text, name=name: len(store.query(text, source=name).rows)
        )
        # The same query on the same pyoxigraph store without kg's layer, in this process:
        # the paired figure the overhead is judged by (separate processes add noise).
        rec.time("query-raw", name, lambda text=text: len(list(store.ox.query(text))))
    for fmt in ("turtle", "ntriples"):
        target = scratch / f"kg.{fmt}"
        rec.time(
            "export",
            fmt,
            lambda fmt=fmt, target=target: _written(store.serialize(fmt, target), target),
            repeat=1,
        )
        # pyoxigraph's own dump of the same store in this process: the paired baseline.
        form = {"turtle": "TURTLE", "ntriples": "N_TRIPLES"}[fmt]
        rec.time(
            "export-raw",
            fmt,
            lambda form=form, target=target: _written(_raw_dump(store.ox, form, target), target),
            repeat=1,
        )
    store.close()


def worker_kg_checked(rec: Recorder, data: Path, scratch: Path) -> None:
    """A load into a store that already holds something: checked first, then bulk-loaded."""
    from kg.store import open_store
    from kg.store.bulkload import load_files

    seed = scratch / "seed.nt"
    seed.write_text('<https://example.org/s> <https://example.org/p> "seed" .\n', "utf-8")
    store = open_store(f"oxigraph:{scratch / 'kg-store'}")
    load_files(store, [seed])
    rec.time(
        "load",
        "oxigraph-disk-checked",
        lambda: load_files(store, [data]).parsed,
        repeat=1,
        limit=rec.timeout * 20,
    )
    store.close()


def _worker_kg_in_memory(spec: str, label: str):
    """A worker timing kg's bulk load into an in-memory store of kind ``spec``."""

    def worker(rec: Recorder, data: Path, scratch: Path) -> None:
        from kg.store import open_store
        from kg.store.bulkload import load_files

        store = open_store(spec)
        rec.time(
            "load",
            label,
            lambda: load_files(store, [data]) and len(store),
            repeat=1,
            limit=rec.timeout * 20,
        )

    return worker


worker_kg_oxmem = _worker_kg_in_memory("oxigraph", "oxigraph-memory")
worker_kg_memory = _worker_kg_in_memory("memory", "rdflib-memory")


def _time_raw_load(rec: Recorder, name: str, store, data: Path, *, bulk: bool) -> None:
    """Time pyoxigraph's own ``bulk_load`` (else ``load``) of ``data`` into ``store``."""
    import pyoxigraph as ox

    load = store.bulk_load if bulk else store.load
    rec.time(
        "load",
        name,
        lambda: load(path=str(data), format=ox.RdfFormat.N_TRIPLES) or len(store),
        repeat=1,
        limit=rec.timeout * 20,
    )


def worker_pyoxigraph(rec: Recorder, data: Path, scratch: Path) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(scratch / "raw-store"))
    _time_raw_load(rec, "oxigraph-disk", store, data, bulk=True)
    for name, text in competency_queries():
        rec.time("query", name, lambda text=text: len(list(store.query(text))))
    formats = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES}
    for fmt, form in formats.items():
        target = scratch / f"raw.{fmt}"
        rec.time(
            "export",
            fmt,
            lambda form=form, target=target: (
                store.dump(str(target), format=form, from_graph=ox.DefaultGraph())
                or target.stat().st_size
            ),
            repeat=1,
        )


def worker_pyoxigraph_mem(rec: Recorder, data: Path, scratch: Path) -> None:
    import pyoxigraph as ox

    _time_raw_load(rec, "oxigraph-memory", ox.Store(), data, bulk=False)


def worker_rdflib(rec: Recorder, data: Path, scratch: Path) -> None:
    from rdflib import Graph

    graph = Graph()
    loaded = rec.time(
        "load",
        "rdflib-memory",
        lambda: graph.parse(str(data), format="nt") and len(graph),
        repeat=1,
        limit=rec.timeout * 8,
    )
    if loaded is None:
        return
    for name, text in competency_queries():
        rec.time("query", name, lambda text=text: len(list(graph.query(text))), repeat=1)
    for fmt, name in (("turtle", "turtle"), ("ntriples", "nt")):
        target = scratch / f"rdflib.{fmt}"
        rec.time(
            "export",
            fmt,
            lambda name=name, target=target: (
                graph.serialize(destination=str(target), format=name) and target.stat().st_size
            ),
            repeat=1,
        )
    from kg.export.formats import to_ntriples, to_turtle

    for fmt, writer in (("turtle", to_turtle), ("ntriples", to_ntriples)):
        rec.time("export-canonical", fmt, lambda writer=writer: len(writer(graph)), repeat=1)


def _edges(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as stream:
        return [tuple(line.rstrip("\n").split("\t")) for line in stream]


def _pivot_plan(edges_count: int) -> int | None:
    return None if edges_count <= EXACT_BETWEENNESS_EDGES else PIVOTS


def worker_networkx(rec: Recorder, data: Path, scratch: Path) -> None:
    import networkx as nx

    edges = _edges(data)
    graph = rec.time("analytics", "build", lambda: nx.Graph(edges), repeat=1)
    if graph is None:
        return
    rec.emit(
        kind="count", name="graph", nodes=graph.number_of_nodes(), edges=graph.number_of_edges()
    )
    rec.time("analytics", "pagerank", lambda: len(nx.pagerank(graph)), repeat=1)
    rec.time(
        "analytics",
        "louvain",
        lambda: len(nx.community.louvain_communities(graph, seed=42)),
        repeat=1,
    )
    k = _pivot_plan(len(edges))
    rec.time(
        "analytics",
        "betweenness",
        lambda: len(nx.betweenness_centrality(graph, k=k, seed=42)),
        repeat=1,
    )


def worker_kg_fast(rec: Recorder, data: Path, scratch: Path) -> None:
    import networkx as nx

    from kg.analytics import fast

    edges = _edges(data)
    graph = nx.Graph(edges)
    converted = rec.time("analytics", "convert", lambda: fast.int_graph(graph), repeat=1)
    # From the networkx graph, as a caller with nothing converted yet pays for it:
    rec.time("analytics-nx", "pagerank", lambda: len(fast.pagerank(graph)), repeat=1)
    rec.time("analytics-nx", "leiden", lambda: len(fast.leiden_communities(graph)), repeat=1)
    # On the graph converted once (what an analysis running several of these pays each):
    rec.time("analytics", "pagerank", lambda: len(fast.pagerank(converted)), repeat=1)
    rec.time("analytics", "louvain", lambda: len(fast.louvain_communities(converted)), repeat=1)
    rec.time("analytics", "leiden", lambda: len(fast.leiden_communities(converted)), repeat=1)
    k = _pivot_plan(len(edges))
    rec.time("analytics", "betweenness", lambda: len(fast.betweenness(converted, k=k)), repeat=1)


def worker_igraph(rec: Recorder, data: Path, scratch: Path) -> None:
    import random

    import igraph

    edges = _edges(data)

    def build():
        index: dict[str, int] = {}
        pairs = [
            (index.setdefault(u, len(index)), index.setdefault(v, len(index))) for u, v in edges
        ]
        return igraph.Graph(n=len(index), edges=pairs), list(index)

    graph, names = rec.time("analytics", "build", build, repeat=1)
    rec.time("analytics", "pagerank", lambda: len(graph.pagerank(directed=False)), repeat=1)
    igraph.set_random_number_generator(random.Random(42))
    rec.time("analytics", "louvain", lambda: len(graph.community_multilevel()), repeat=1)
    rec.time(
        "analytics",
        "leiden",
        lambda: len(graph.community_leiden(objective_function="modularity", n_iterations=2)),
        repeat=1,
    )
    k = _pivot_plan(len(edges))
    sources = None if k is None else random.Random(42).sample(range(graph.vcount()), k)
    rec.time(
        "analytics",
        "betweenness",
        lambda: len(graph.betweenness(directed=False, sources=sources)),
        repeat=1,
    )


WORKERS = {
    "kg": worker_kg,
    "kg-checked": worker_kg_checked,
    "kg-oxmem": worker_kg_oxmem,
    "kg-memory": worker_kg_memory,
    "pyoxigraph": worker_pyoxigraph,
    "pyoxigraph-mem": worker_pyoxigraph_mem,
    "rdflib": worker_rdflib,
    "networkx": worker_networkx,
    "kg-fast": worker_kg_fast,
    "igraph": worker_igraph,
}
INTERRUPTIBLE = ("rdflib", "kg-memory", "networkx")
STORE_ENGINES = (
    "kg",
    "pyoxigraph",
    "kg-checked",
    "kg-oxmem",
    "pyoxigraph-mem",
    "kg-memory",
    "rdflib",
)
GRAPH_ENGINES = ("kg-fast", "igraph", "networkx")


def run_worker(args) -> int:
    rec = Recorder(Path(args.out), args.worker, args.size, args.timeout, args.repeat)
    try:
        WORKERS[args.worker](rec, Path(args.data), Path(args.scratch))
    finally:
        rec.finish()
    return 0


# =============================================================================================
# data
# =============================================================================================


def make_triples(path: Path, count: int) -> None:
    import synth

    if not path.exists():
        tmp = path.with_suffix(".tmp")
        synth.write(tmp, count, seed=0)
        tmp.replace(path)


_LINK = re.compile(r"^<([^>]+)> (<[^>]+>) <([^>]+)> \.$")


def make_edges(path: Path, count: int) -> None:
    """``count`` distinct undirected links between kg: IRIs, from a big enough synthetic graph."""
    import synth

    if path.exists():
        return
    seen: set[tuple[str, str]] = set()
    out = []
    for line in synth.generate(count * 4, seed=0):
        match = _LINK.match(line.rstrip("\n"))
        if not match or match.group(2) == RDF_TYPE:
            continue
        u, v = match.group(1), match.group(3)
        if not (u.startswith(KG) and v.startswith(KG)) or u == v:
            continue
        u, v = u[len(KG) :], v[len(KG) :]
        pair = (u, v) if u < v else (v, u)
        if pair in seen:
            continue
        seen.add(pair)
        out.append(f"{pair[0]}\t{pair[1]}\n")
        if len(out) == count:
            break
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(out), encoding="utf-8")
    tmp.replace(path)


# =============================================================================================
# orchestration and report
# =============================================================================================


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    from importlib.metadata import version

    versions = {}
    for package in ("rdflib", "pyoxigraph", "oxrdflib", "networkx", "igraph", "scipy"):
        try:
            versions[package] = version(package)
        except Exception:
            versions[package] = "?"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def spawn(engine: str, size: str, data: Path, scratch: Path, out: Path, args) -> None:
    command = [
        sys.executable,
        __file__,
        "--worker",
        engine,
        "--size",
        size,
        "--data",
        str(data),
        "--scratch",
        str(scratch),
        "--out",
        str(out),
        "--timeout",
        str(args.timeout),
        "--repeat",
        str(args.repeat),
    ]
    started = time.perf_counter()
    try:
        subprocess.run(command, timeout=args.engine_timeout, check=False, cwd=REPO)
    except subprocess.TimeoutExpired:
        with out.open("a", encoding="utf-8") as stream:
            stream.write(
                json.dumps(
                    {"engine": engine, "size": size, "kind": "killed", "after": args.engine_timeout}
                )
                + "\n"
            )
    print(f"  {engine:<15} {time.perf_counter() - started:6.1f} s", file=sys.stderr)


def collect(out: Path) -> list[dict]:
    if not out.exists():
        return []
    return [
        json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _find(records, engine, size, kind, name):
    for r in records:
        if r["engine"] == engine and r["size"] == size and r["kind"] == kind and r["name"] == name:
            return r
    return None


def _seconds(record) -> float | None:
    return None if record is None else record.get("seconds")


def _fmt_s(record, scale: float = 1.0, digits: int = 2) -> str:
    if record is None:
        return "–"
    if record.get("seconds") is None:
        return f">{record['timeout'] * scale:.0f}"
    return f"{record['seconds'] * scale:.{digits}f}"


def _ratio(a, b) -> str:
    sa, sb = _seconds(a), _seconds(b)
    if a is None or b is None:
        return "–"
    if sa is None and sb is None:
        return "?"
    if sa is None:
        return f">{a['timeout'] / sb:.1f}×" if sb else "?"
    if sb is None:
        return f"<{sa / b['timeout']:.2f}×"
    return f"{sa / sb:.2f}×" if sb > 0 else "?"


def _rate(record, triples: int) -> str:
    s = _seconds(record)
    if record is None:
        return "–"
    if s is None:
        return f"<{triples / record['timeout']:,.0f}"
    return f"{triples / s:,.0f}"


def report(records: list[dict], info: dict, sizes: list[str]) -> tuple[str, list[dict]]:
    out: list[str] = []
    targets: list[dict] = []
    loads = [r for r in info.get("load_average", [])]
    out.append("## Scale (`python bench/run.py`)\n")
    out.append(
        f"Machine: {info['cpus']} CPUs ({info['cpu'] or 'unknown CPU'}), {info['memory']} RAM, "
        f"Python {info['python']}; {', '.join(f'{k} {v}' for k, v in info['versions'].items())}. "
        f"Date: {info['date']}. Load average (1 min) during the run: "
        f"{', '.join(f'{x:.1f}' for x in loads) or '?'}.\n"
    )
    out.append(
        "Synthetic graphs from `bench/synth.py` (seed 0, ontology included). kg = this "
        "project's store layer (`kg.store` / `kg.store.bulkload`); ratios are time over time.\n"
    )
    # load
    out.append("### Load (triples/s)\n")
    out.append(
        "| size | kg `oxigraph:PATH` (empty store: one pass) | pyoxigraph `bulk_load` (disk) "
        "| kg ÷ raw time | kg `oxigraph:PATH` (store not empty: checked, then bulk) "
        "| kg oxigraph in memory | pyoxigraph `load` (memory) "
        "| kg memory store (rdflib) | `rdflib.Graph.parse` | rdflib ÷ kg-memory time |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        n = SIZES[size]
        kg = _find(records, "kg", size, "load", "oxigraph-disk")
        raw = _find(records, "pyoxigraph", size, "load", "oxigraph-disk")
        kgc = _find(records, "kg-checked", size, "load", "oxigraph-disk-checked")
        kgm = _find(records, "kg-oxmem", size, "load", "oxigraph-memory")
        rawm = _find(records, "pyoxigraph-mem", size, "load", "oxigraph-memory")
        kgr = _find(records, "kg-memory", size, "load", "rdflib-memory")
        rdf = _find(records, "rdflib", size, "load", "rdflib-memory")
        out.append(
            f"| {size} | {_rate(kg, n)} | {_rate(raw, n)} | {_ratio(kg, raw)} | {_rate(kgc, n)} | "
            f"{_rate(kgm, n)} | "
            f"{_rate(rawm, n)} | {_rate(kgr, n)} | {_rate(rdf, n)} | {_ratio(rdf, kgr)} |"
        )
        if size == "1M":
            best = max((n / s for s in (_seconds(kg), _seconds(kgm)) if s), default=0.0)
            targets.append(
                {
                    "target": "load ≥ 300k triples/s at 1M",
                    "value": (
                        f"{n / _seconds(kg):,.0f}/s on disk, {n / _seconds(kgm):,.0f}/s in memory"
                        if _seconds(kg) and _seconds(kgm)
                        else "not measured"
                    ),
                    "met": best >= TARGETS["load_rate"],
                }
            )
    # queries
    query_names = [name for name, _ in competency_queries()]
    for size in sizes:
        out.append(f"\n### Competency queries at {size} (ms; best of runs)\n")
        out.append(
            "| query | rows | kg `Store.query(…).rows` | pyoxigraph, same store | kg ÷ same "
            "| pyoxigraph, own store | rdflib | rdflib ÷ kg |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        worst, worst_name, over = 0.0, "", []
        for name in query_names:
            kg = _find(records, "kg", size, "query", name)
            paired = _find(records, "kg", size, "query-raw", name)
            raw = _find(records, "pyoxigraph", size, "query", name)
            rdf = _find(records, "rdflib", size, "query", name)
            done = (kg, paired, raw, rdf)
            counts = {r.get("value") for r in done if r and r.get("seconds") is not None}
            rows = "/".join(str(c) for c in sorted(counts, key=str)) if counts else "?"
            if len(counts) > 1:
                rows += " (differ!)"
            out.append(
                f"| {name} | {rows} | {_fmt_s(kg, 1000, 1)} | {_fmt_s(paired, 1000, 1)} | "
                f"{_ratio(kg, paired)} | {_fmt_s(raw, 1000, 1)} | {_fmt_s(rdf, 1000, 0)} | "
                f"{_ratio(rdf, kg)} |"
            )
            if _seconds(kg) and _seconds(paired):
                ratio = _seconds(kg) / _seconds(paired)
                if ratio > worst:
                    worst, worst_name = ratio, name
                # Rule: within 1.5x, or within 1 ms (a sub-millisecond query's ratio is noise).
                if _seconds(kg) > TARGETS["query_ratio"] * _seconds(paired) + 0.001:
                    over.append(name)
        if size == "1M":
            targets.append(
                {
                    "target": "competency queries within 1.5× of raw pyoxigraph at 1M "
                    "(or within 1 ms)",
                    "value": f"worst kg ÷ pyoxigraph on the same store {worst:.2f}× "
                    f"({worst_name}); over the limit: {', '.join(over) or 'none'}",
                    "met": not over,
                }
            )
    # export
    out.append("\n### Export of the whole graph (s)\n")
    out.append(
        "| size | format | kg `Store.serialize` | pyoxigraph `dump`, same store and output "
        "| kg ÷ same | pyoxigraph `dump`, own store, no prefixes | `rdflib.Graph.serialize` "
        "| kg canonical writer (rdflib) |"
    )
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        worst = 0.0
        for fmt in ("turtle", "ntriples"):
            kg = _find(records, "kg", size, "export", fmt)
            paired = _find(records, "kg", size, "export-raw", fmt)
            raw = _find(records, "pyoxigraph", size, "export", fmt)
            rdf = _find(records, "rdflib", size, "export", fmt)
            canon = _find(records, "rdflib", size, "export-canonical", fmt)
            out.append(
                f"| {size} | {fmt} | {_fmt_s(kg)} | {_fmt_s(paired)} | {_ratio(kg, paired)} | "
                f"{_fmt_s(raw)} | {_fmt_s(rdf)} | {_fmt_s(canon)} |"
            )
            if _seconds(kg) and _seconds(paired):
                worst = max(worst, _seconds(kg) / _seconds(paired))
        if size == "1M":
            targets.append(
                {
                    "target": "exports within 1.5× of pyoxigraph's serialiser at 1M",
                    "value": f"worst kg ÷ pyoxigraph on the same store {worst:.2f}×",
                    "met": 0 < worst <= TARGETS["export_ratio"],
                }
            )
    # analytics
    out.append("\n### Analytics on the IRI-link graph (s)\n")
    out.append(
        "| edges | nodes | algorithm | kg fast path, graph converted once | kg fast path from "
        "networkx (incl. conversion) | raw igraph | networkx | networkx ÷ kg from networkx |"
    )
    out.append("|---|---:|---|---:|---:|---:|---:|---:|")
    for size in sizes:
        graph = _find(records, "networkx", size, "count", "graph")
        nodes = f"{graph['nodes']:,}" if graph else "?"
        convert = _find(records, "kg-fast", size, "analytics", "convert")
        out.append(
            f"| {size} | {nodes} | networkx → igraph conversion | {_fmt_s(convert)} "
            "| – | – | – | – |"
        )
        for algorithm in ("pagerank", "louvain", "leiden", "betweenness"):
            kg = _find(records, "kg-fast", size, "analytics", algorithm)
            kg_nx = _find(records, "kg-fast", size, "analytics-nx", algorithm)
            ig = _find(records, "igraph", size, "analytics", algorithm)
            nxr = _find(records, "networkx", size, "analytics", algorithm)
            label = algorithm
            if algorithm == "betweenness":
                exact = SIZES[size] <= EXACT_BETWEENNESS_EDGES
                label += " (exact)" if exact else f" ({PIVOTS} pivots)"
            if algorithm == "louvain":
                label += " (multilevel)"
            out.append(
                f"| {size} | {nodes} | {label} | {_fmt_s(kg)} | {_fmt_s(kg_nx)} | {_fmt_s(ig)} | "
                f"{_fmt_s(nxr)} | {_ratio(nxr, kg_nx if kg_nx else kg)} |"
            )
        if size == "1M":
            pr = _seconds(_find(records, "kg-fast", size, "analytics-nx", "pagerank"))
            ld = _seconds(_find(records, "kg-fast", size, "analytics-nx", "leiden"))
            pr1 = _seconds(_find(records, "kg-fast", size, "analytics", "pagerank"))
            ld1 = _seconds(_find(records, "kg-fast", size, "analytics", "leiden"))
            measured = all(x is not None for x in (pr, ld, pr1, ld1))
            targets.append(
                {
                    "target": "PageRank and communities at 1M edges under 5 s (from a networkx "
                    "graph, conversion included)",
                    "value": (
                        f"PageRank {pr:.1f} s, communities (Leiden) {ld:.1f} s; on a graph "
                        f"converted once {pr1:.1f} s and {ld1:.1f} s"
                        if measured
                        else "not measured"
                    ),
                    "met": bool(measured and pr < 5 and ld < 5),
                }
            )
    # memory
    out.append("\n### Peak memory (MB, whole process)\n")
    engines = [e for e in (*STORE_ENGINES, *GRAPH_ENGINES)]
    out.append("| size | " + " | ".join(engines) + " |")
    out.append("|---|" + "---:|" * len(engines))
    for size in sizes:
        cells = []
        for engine in engines:
            r = _find(records, engine, size, "memory", "peak")
            killed = any(
                x["engine"] == engine and x["size"] == size and x["kind"] == "killed"
                for x in records
            )
            cells.append("killed" if killed and not r else (f"{r['mb']:,.0f}" if r else "–"))
        out.append(f"| {size} | " + " | ".join(cells) + " |")
        if size == "1M":
            kg_peak = _find(records, "kg", size, "memory", "peak")
            targets.append(
                {
                    "target": "peak memory under 2 GB at 1M (kg on oxigraph:PATH: load, "
                    "queries, exports)",
                    "value": f"{kg_peak['mb']:,.0f} MB" if kg_peak else "not measured",
                    "met": bool(kg_peak and kg_peak["mb"] < TARGETS["peak_mb"]),
                }
            )
    if targets:
        out.append("\n### Targets at 1M\n")
        for t in targets:
            out.append(f"- {'met' if t['met'] else 'NOT met'}: {t['target']} — {t['value']}")
    return "\n".join(out) + "\n", targets


def update_readme(section: str) -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    block = f"{START}\n{section}{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="Comma-separated: 10k,100k,1M.")
    parser.add_argument("--timeout", type=float, default=20.0, help="Seconds per timed operation.")
    parser.add_argument(
        "--engine-timeout", type=float, default=900.0, help="Seconds per engine process."
    )
    parser.add_argument("--repeat", type=int, default=3, help="Runs per query (best is kept).")
    parser.add_argument(
        "--workdir", type=Path, help="Where data files are cached (default: a temp dir)."
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=RESULTS,
        help=f"JSON results file (default {RESULTS.relative_to(REPO)}).",
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="Rewrite the Scale section of bench/README.md."
    )
    parser.add_argument("--engines", help="Only these engines (comma-separated), for debugging.")
    # internal: one engine in one process
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args)

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    only = set(args.engines.split(",")) if args.engines else None
    info = machine()
    info["load_average"] = []
    started = time.perf_counter()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kg-bench-data-"))
    workdir.mkdir(parents=True, exist_ok=True)
    runs = Path(tempfile.mkdtemp(prefix="kg-bench-run-"))
    out = runs / "records.jsonl"
    try:
        for size in sizes:
            info["load_average"].append(os.getloadavg()[0])
            data = workdir / f"synth-{size}.nt"
            edges = workdir / f"edges-{size}.tsv"
            print(f"{size}: generating data", file=sys.stderr)
            make_triples(data, SIZES[size])
            make_edges(edges, SIZES[size])
            for engine in (*STORE_ENGINES, *GRAPH_ENGINES):
                if only and engine not in only:
                    continue
                scratch = runs / f"{engine}-{size}"
                scratch.mkdir()
                source = edges if engine in GRAPH_ENGINES else data
                spawn(engine, size, source, scratch, out, args)
                shutil.rmtree(scratch, ignore_errors=True)
        info["load_average"].append(os.getloadavg()[0])
        info["minutes"] = round((time.perf_counter() - started) / 60, 1)
        records = collect(out)
    finally:
        shutil.rmtree(runs, ignore_errors=True)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    section, targets = report(records, info, sizes)
    section += f"\nThe run took {info['minutes']} minutes.\n"
    print(section)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"machine": info, "sizes": sizes, "targets": targets, "records": records}, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.json}", file=sys.stderr)
    if args.update_readme:
        update_readme(section)
        print(f"updated {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
