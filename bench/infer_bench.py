"""Cold OWL 2 RL closure of the curated graph: kg.facts.infer (reasonable) against owlrl.

Every run is a fresh Python process that unpickles the curated graph (untimed), then times
importing the engine and computing the closure, as ``kg query --infer`` does when its cache is
cold: the figure is the best of ``--runs`` (3). owlrl runs as ``kg query --infer`` ran it
before (``OWLRL_Semantics``, no axiomatic or datatype triples, on a copy of the graph).

Then the whole command, ``python cli.py query --infer`` in a fresh process, best of
``--runs``: with the closure not cached yet (the plain graph cache is current, as after any
``kg query``), and with it cached; and plain ``kg query`` beside them, the floor.

Usage::

    python bench/infer_bench.py            # prints two small Markdown tables
    python bench/infer_bench.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY = "SELECT ?c WHERE { ?c a aichip:Chip }"
ENGINES = ("reasonable", "owlrl")


def _closure(engine: str, graph_path: str) -> None:
    """Child process: time one cold closure; print seconds and the closure's size."""
    sys.path.insert(0, str(REPO))
    from rdflib import Graph

    with open(graph_path, "rb") as stream:
        graph = pickle.load(stream)
    start = time.perf_counter()
    if engine == "reasonable":
        from kg.facts.infer import closure

        result = closure(graph)
    else:
        import owlrl

        result = Graph()
        result.addN((s, p, o, result) for s, p, o in graph)
        owlrl.DeductiveClosure(
            owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
        ).expand(result)
    print(time.perf_counter() - start, len(result))


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr}")
    return done.stdout


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    _run(command, env)
    return time.perf_counter() - start


def _seconds(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from kg.facts.cache import load_cached
    from kg.project import Project

    print(
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, rdflib {version('rdflib')}\n"
    )
    graph = load_cached(Project.at(REPO), use_cache=False).graph
    with tempfile.TemporaryDirectory() as tmp:
        graph_path = str(Path(tmp) / "graph.pickle")
        with open(graph_path, "wb") as stream:
            pickle.dump(graph, stream, protocol=pickle.HIGHEST_PROTOCOL)
        env = {**os.environ, "KG_CACHE_DIR": str(Path(tmp) / "cache")}

        print(f"Cold closure of the curated graph ({len(graph)} triples), best of {args.runs}:\n")
        print("| engine | version | best (s) | runs (s) | closure (triples) |")
        print("| --- | --- | ---: | --- | ---: |")
        best = {}
        for engine in ENGINES:
            times, size = [], 0
            for _ in range(args.runs):
                out = _run([sys.executable, __file__, "--child", engine, graph_path], env)
                seconds, size = out.split()
                times.append(float(seconds))
            best[engine] = min(times)
            print(
                f"| {engine} | {version(engine)} | {best[engine]:.2f} | {_seconds(times)} "
                f"| {size} |"
            )
        print(f"\nreasonable is {best['owlrl'] / best['reasonable']:.0f}x faster.\n")

        cli = [sys.executable, str(REPO / "cli.py"), "query", "--format", "csv"]
        cache = Path(env["KG_CACHE_DIR"])
        _run([*cli, QUERY], env)  # the plain graph's cache, as after any kg query

        def cold() -> float:
            for path in cache.glob("closure-*.pickle"):
                path.unlink()
            return _wall([*cli, "--infer", QUERY], env)

        cases = {
            "`kg query --infer`, closure not cached": cold,
            "`kg query --infer`, closure cached": lambda: _wall([*cli, "--infer", QUERY], env),
            "`kg query` (no inference), cached": lambda: _wall([*cli, QUERY], env),
        }
        print(f"The whole command, a fresh process each run, best of {args.runs}:\n")
        print("| command | best (s) | runs (s) |")
        print("| --- | ---: | --- |")
        for name, measure in cases.items():
            times = [measure() for _ in range(args.runs)]
            print(f"| {name} | {min(times):.2f} | {_seconds(times)} |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _closure(sys.argv[2], sys.argv[3])
    else:
        main()
