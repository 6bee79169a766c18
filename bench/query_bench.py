"""Wall time of `kg query` on the curated graph, cold and cached, next to the floors it is
judged by: a plain Python script that opens the same cached pyoxigraph store read-only and runs
the same query, and `python -c "import rdflib"`.

Each measurement is a fresh process (as a user runs it), timed with perf_counter around
subprocess.run. Every case runs once to warm up, then the cases run round-robin --runs times
(so load from other work on a shared machine hits them alike); the figure is the median.

* ``import rdflib``           ``python -c "import rdflib"``: the floor for any rdflib tool.
* ``prepareQuery('ASK {}')``  importing rdflib's SPARQL engine and parsing a trivial query
                              (pyparsing compiles its regular expressions on first use): the
                              floor for any rdflib SPARQL call, before any data is read.
* ``kg query (cold)``         an empty cache directory for each run: parse every Turtle file,
                              derive the truthy triples, write the cache, answer.
* ``plain pyoxigraph``        ``python -c`` opening the cached store read-only and printing the
                              answer: the floor for any tool answering from that store.
* ``kg query (cached)``       the cache is current: open the cached pyoxigraph store, answer.
* ``kg query --infer``        the same for the OWL 2 RL closure (cold includes the reasoner).

Usage::

    python bench/query_bench.py                 # print the Markdown section
    python bench/query_bench.py --update-readme # also replace it in bench/README.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY = "SELECT ?member WHERE { ?member org:memberOf kg:pytorch-foundation } ORDER BY ?member"
START = "<!-- kg-query-latency:start -->"
CACHED = "kg query (cached)"
PLAIN = "plain pyoxigraph script, same store and query"
RDFLIB = "python -c 'import rdflib'"
END = "<!-- kg-query-latency:end -->"


def _time(command: list[str], env: dict[str, str], before=None) -> float:
    if before:
        before()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr.decode(errors='replace')}")
    return elapsed


def _kg(*args: str) -> list[str]:
    return [sys.executable, str(REPO / "cli.py"), *args]


FLOOR = "from rdflib.plugins.sparql import prepareQuery; prepareQuery('ASK {}')"


def _store_path(directory: Path) -> Path:
    """The cached pyoxigraph store ``kg query`` opens (built if missing)."""
    sys.path.insert(0, str(REPO))
    os.environ["KG_CACHE_DIR"] = str(directory)
    from kg.facts.cache import cached_store_path
    from kg.project import Project

    path = cached_store_path(Project.at(REPO))
    if path is None:
        sys.exit("benchmark error: no cache directory")
    return path


def _plain_script(path: Path) -> str:
    """What a hand-written pyoxigraph script does for the same answer: open, query, print."""
    sys.path.insert(0, str(REPO))
    from kg.sparql.terms import PREFIXES

    return (
        "import pyoxigraph as ox\n"
        f"store = ox.Store.read_only({str(path / 'oxigraph')!r})\n"
        f"for row in store.query({QUERY!r}, prefixes={PREFIXES!r}):\n"
        "    print(*(term.value for term in row))\n"
    )


def _cache_read(directory: Path, runs: int) -> list[float]:
    """Seconds to hash the inputs and open the cached store, without process start-up."""
    sys.path.insert(0, str(REPO))
    from kg.project import Project
    from kg.store import open_graph

    os.environ["KG_CACHE_DIR"] = str(directory)
    project = Project.at(REPO)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        open_graph(project).close()
        times.append(time.perf_counter() - start)
    return times


def measure(runs: int) -> tuple[list[tuple[str, list[float]]], int]:
    cache = Path(tempfile.mkdtemp(prefix="kg-bench-cache-"))
    env = {**os.environ, "KG_CACHE_DIR": str(cache), "KG_ROOT": str(REPO)}
    env.pop("KG_FACTS", None)
    infer_cache = Path(tempfile.mkdtemp(prefix="kg-bench-cache-infer-"))
    infer_env = {**env, "KG_CACHE_DIR": str(infer_cache)}

    def empty(directory: Path):
        def run() -> None:
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()

        return run

    _time(_kg("query", QUERY), infer_env)  # builds the cached store the plain script opens
    plain = _plain_script(_store_path(infer_cache))
    cases = [
        (RDFLIB, [sys.executable, "-c", "import rdflib"], env, None),
        (PLAIN, [sys.executable, "-c", plain], env, None),
        (f'python -c "{FLOOR}"', [sys.executable, "-c", FLOOR], env, None),
        ("kg query (cold: empty cache)", _kg("query", QUERY), env, empty(cache)),
        (CACHED, _kg("query", QUERY), infer_env, None),
        ("kg query --infer (cached)", _kg("query", "--infer", QUERY), infer_env, None),
    ]
    try:
        for _name, command, case_env, _before in cases:  # warm the OS cache and .kg-cache
            _time(command, case_env)
        times: dict[str, list[float]] = {name: [] for name, *_ in cases}
        # Round-robin, so that load from other work on the machine hits every case alike.
        for _ in range(runs):
            for name, command, case_env, before in cases:
                times[name].append(_time(command, case_env, before))
        rows = [(name, times[name]) for name, *_ in cases]
        cold_infer = [
            _time(_kg("query", "--infer", QUERY), env, empty(cache))
            for _ in range(max(1, runs // 3))  # owlrl takes seconds; a few runs tell enough
        ]
        rows.append(("kg query --infer (cold: empty cache)", cold_infer))
        rows.append(
            ("in-process: cache key + open the cached store", _cache_read(infer_cache, runs))
        )
        count = subprocess.run(
            _kg("query", "--format", "tsv", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
            env=env,
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        triples = int(count.stdout.decode().splitlines()[1].split("^^")[0].strip('"'))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(infer_cache, ignore_errors=True)
    return rows, triples


def _command(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def render(rows, triples: int, runs: int, load_before, load_after) -> str:
    date = _command(["date"]) or datetime.now(UTC).isoformat()
    lines = [
        START,
        "## kg query latency",
        "",
        f"`python bench/query_bench.py --runs {runs}` on {date}: {_command(['nproc'])} CPUs "
        f"(`nproc`), {platform.python_version()} (`python --version`: "
        f"{_command([sys.executable, '--version'])}), {platform.machine()}. "
        f"Curated graph: {triples} triples. Query: `{QUERY}`.",
        "",
        f"Load average (1/5/15 min) before: {load_before}; after: {load_after}. "
        "The machine is shared: when these are near or above the CPU count, the figures were "
        "taken under load and are pessimistic; compare rows with each other, not across runs.",
        "",
        "| command | median (s) | min (s) | max (s) | runs |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, times in rows:
        lines.append(
            f"| {name} | {statistics.median(times):.3f} | {min(times):.3f} | "
            f"{max(times):.3f} | {len(times)} |"
        )
    lines += [
        "",
        "Cold = an empty cache directory for each run (parse all Turtle, derive truthy triples, "
        "write the pickled graph and the pyoxigraph copy). Cached = both are current: the "
        "query opens the pyoxigraph copy read-only and never imports rdflib. Targets: cached "
        "`kg query` within 2x the plain pyoxigraph script, and faster than `import rdflib`; "
        f"measured: {_ratio(rows, CACHED, PLAIN)} the plain script, "
        f"{_ratio(rows, CACHED, RDFLIB)} `import rdflib`.",
        END,
    ]
    return "\n".join(lines) + "\n"


def _ratio(rows, name: str, base: str) -> str:
    medians = {n: statistics.median(t) for n, t in rows}
    return f"{medians[name] / medians[base]:.2f}x"


def update_readme(section: str) -> None:
    sys.path.insert(0, str(REPO))
    from kg.write import write_text_atomic

    readme = REPO / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    write_text_atomic(readme, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per case (default 7)")
    parser.add_argument("--update-readme", action="store_true", help="rewrite bench/README.md")
    args = parser.parse_args()
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    rows, triples = measure(args.runs)
    load_after = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    section = render(rows, triples, args.runs, load_before, load_after)
    print(section, end="")
    if args.update_readme:
        update_readme(section)


if __name__ == "__main__":
    main()
