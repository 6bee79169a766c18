"""Load test for ``kg serve``: N concurrent clients for T seconds on loopback.

Starts a real ``kg serve`` subprocess (the real graph unless ``--root`` says otherwise), then
runs ``--clients`` threads, each with its own keep-alive connection, sending a fixed mix of
queries by form POST until ``--seconds`` have passed. Reports requests, errors (any status but
200, or a failed connection) and latency percentiles, overall and per query; ``--write``
replaces the ``kg-serve-load`` section of bench/README.md with the figures.

    python bench/serve_load.py --clients 1,8 --seconds 30 --write
    python bench/serve_load.py --store oxigraph --write     # the pyoxigraph engine

With ``--store`` the server runs as ``kg --store SPEC serve`` and the figures go to a section of
their own (``kg-serve-load-oxigraph`` for any oxigraph store).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # kg.write, when the project is not installed
README = REPO / "bench" / "README.md"


def markers(store: str | None) -> tuple[str, str]:
    name = "kg-serve-load" if not store else "kg-serve-load-oxigraph"
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


QUERIES = {
    "members (cq01-style)": (
        "SELECT ?m ?label WHERE { ?m org:memberOf kg:pytorch-foundation ; rdfs:label ?label "
        'FILTER(lang(?label) = "en") } ORDER BY ?label'
    ),
    "label lookup": 'SELECT ?e WHERE { ?e rdfs:label|skos:altLabel "华为"@zh-Hans }',
    "count by class": (
        "SELECT ?class (COUNT(?e) AS ?n) WHERE { ?e a ?class } GROUP BY ?class "
        "ORDER BY DESC(?n) LIMIT 20"
    ),
    "describe": "DESCRIBE kg:huawei",
    "ask": "ASK { kg:huawei org:memberOf kg:pytorch-foundation }",
}


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "cli"]
    if args.root:
        command += ["--root", args.root]
    if args.store:
        command += ["--store", args.store]
    command += ["serve", "--port", "0", "--quiet", "--workers", str(args.workers)]
    # All clients come from 127.0.0.1: lift the per-address caps meant for many clients.
    most = str(max(int(n) for n in args.clients.split(",")))
    command += ["--max-client-requests", most, "--max-client-connections", most]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = process.stdout.readline().decode().strip()
    if not line.startswith("http://"):
        process.kill()
        raise SystemExit("kg serve did not start")
    return process, line


def client(url: str, stop_at: float, offset: int, results: list, lock: threading.Lock) -> None:
    parts = urllib.parse.urlsplit(url)
    names = list(QUERIES)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    mine = []
    i = offset
    while time.monotonic() < stop_at:
        name = names[i % len(names)]
        i += 1
        body = urllib.parse.urlencode({"query": QUERIES[name]})
        started = time.perf_counter()
        try:
            conn.request(
                "POST",
                "/sparql",
                body,
                {"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"},
            )
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status = f"{type(exc).__name__}"
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        mine.append((name, status, time.perf_counter() - started))
    conn.close()
    with lock:
        results.extend(mine)


def served_triples(url: str) -> int:
    """How many triples the server's default graph holds (what the figures were taken on)."""
    import json
    import urllib.request

    query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    with urllib.request.urlopen(f"{url}sparql?{query}", timeout=600) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def run_phase(url: str, clients: int, seconds: float) -> tuple[list, float]:
    results: list = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(url, stop_at, n, results, lock))
        for n in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clients", default="1,8", help="concurrent clients; a comma list runs each in turn"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="per client count")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--root", help="project root (default: this checkout)")
    parser.add_argument("--store", help="serve from this store: oxigraph or oxigraph:PATH")
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    counts = [int(n) for n in args.clients.split(",")]

    load_before = os.getloadavg()
    started = time.monotonic()
    process, url = start_server(args)
    startup = time.monotonic() - started
    phases = []
    try:
        client(url, time.monotonic() + 0.5, 0, [], threading.Lock())  # warm up
        triples = served_triples(url)
        for count in counts:
            phases.append((count, *run_phase(url, count, args.seconds)))
    finally:
        process.terminate()
        process.wait(timeout=30)
    load_after = os.getloadavg()

    table = []
    total_errors: dict = defaultdict(int)
    summary = []
    for count, results, elapsed in phases:
        errors = [r for r in results if r[1] != 200]
        for _name, status, _seconds in errors:
            total_errors[status] += 1
        summary.append(
            f"{count} client{'s' if count > 1 else ''}: {len(results)} requests in "
            f"{elapsed:.1f} s ({len(results) / elapsed:.1f}/s), {len(errors)} errors"
        )
        latencies = [r[2] * 1000 for r in results]
        by_query = defaultdict(list)
        for name, _status, seconds in results:
            by_query[name].append(seconds * 1000)
        table.append((count, "all", latencies))
        table.extend((count, name, by_query[name]) for name in QUERIES)

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    graph = "the curated graph" if not args.root else f"--root {args.root}"
    if args.store:
        graph += f" plus what `kg load` put in the store, served from `--store {args.store}`"
    graph += f" ({triples:,} triples)"
    start, end = markers(args.store)
    store_option = f" --store {args.store}" if args.store else ""
    lines = [
        start,
        "## kg serve under load" + (" (pyoxigraph engine)" if args.store else ""),
        "",
        f"`python bench/serve_load.py --clients {args.clients} --seconds {args.seconds:g}"
        f" --workers {args.workers}{store_option}` on {when}: {os.cpu_count()} CPUs, Python"
        f" {platform.python_version()}, {platform.machine()}; {graph}; clients and server on"
        " the same machine (loopback), each client a thread with its own keep-alive"
        " connection, queries by form POST in a fixed rotation. The server was ready"
        f" {startup:.1f} s after it was started.",
        "",
        f"**{'; '.join(summary)}.** Load average (1/5/15 min) before: "
        f"{' / '.join(f'{x:.2f}' for x in load_before)}; after: "
        f"{' / '.join(f'{x:.2f}' for x in load_after)}. The machine is shared: when these are "
        "near or above the CPU count the figures were taken under load and are pessimistic.",
        "",
        "| clients | query | requests | p50 (ms) | p99 (ms) | max (ms) |",
        "|---:|---|---:|---:|---:|---:|",
        *(
            f"| {c} | {n} | {len(v)} | {percentile(v, 50):.1f} | {percentile(v, 99):.1f} |"
            f" {max(v, default=float('nan')):.1f} |"
            for c, n, v in table
        ),
        "",
        f"With {args.workers} query workers at most {args.workers} queries are evaluated at"
        " once; other clients wait for a worker, and that wait is part of their latency. Each"
        " query goes to a worker process over a socket and is serialised there; the server"
        " process only speaks HTTP.",
        end,
    ]
    section = "\n".join(lines)
    print(section)
    if total_errors:
        print(f"errors: {dict(total_errors)}", file=sys.stderr)
    if args.write:
        from kg.write import write_text_atomic

        text = README.read_text(encoding="utf-8")
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = head + section + rest.split(end, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        write_text_atomic(README, text)
    sys.exit(1 if total_errors else 0)


if __name__ == "__main__":
    main()
