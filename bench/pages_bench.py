"""Entity-page load time of ``kg serve`` on the curated graph (target: p50 under 100 ms).

Starts a real ``kg serve`` (the default engine, the real graph), asks once for the ontology
page (the pages fetch the ontology on first use; that is timed on its own), then loads every
entity's page (``GET /id/<slug>``, ``Accept: text/html``) once, in a fixed order: a first load
builds the page from its SPARQL answer. A second pass over ``--warm`` pages measures the
server's page cache. ``--write`` replaces the ``kg-pages`` section of bench/README.md.

    python bench/pages_bench.py --write
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "bench" / "README.md"
START, END = "<!-- kg-pages:start -->", "<!-- kg-pages:end -->"
ENTITIES = """SELECT DISTINCT ?e WHERE {
  ?e a ?class FILTER(STRSTARTS(STR(?e), STR(kg:)))
  FILTER NOT EXISTS { ?class rdfs:subClassOf* aichip:Claim }
} ORDER BY ?e"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Accept": "text/html"})
    response = conn.getresponse()
    body = response.read()
    return response.status, (time.perf_counter() - started) * 1000, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warm", type=int, default=200, help="pages in the cached pass")
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    command = [sys.executable, "cli.py", "serve", "--port", "0", "--quiet", "--workers", "2"]
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        url = urllib.parse.urlsplit(server.stdout.readline().decode().strip())
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        body = urllib.parse.urlencode({"query": ENTITIES})
        conn.request(
            "POST",
            "/sparql",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
        )
        rows = json.loads(conn.getresponse().read())["results"]["bindings"]
        slugs = [row["e"]["value"].rsplit("/", 1)[-1] for row in rows]
        status, first_ontology, _ = get(conn, "/ontology")
        assert status == 200, status
        cold, sizes, failures = [], [], 0
        for slug in slugs:
            status, took, size = get(conn, "/id/" + urllib.parse.quote(slug))
            failures += status != 200
            cold.append(took)
            sizes.append(size)
        warm = [get(conn, "/id/" + urllib.parse.quote(s))[1] for s in slugs[-args.warm :]]
        huawei = get(conn, "/id/huawei")[1]
        started = time.perf_counter()
        for text in ("华为", "華為", "升腾", "Huawei", "nvidia h100"):
            get(conn, "/search?" + urllib.parse.urlencode({"q": text}))
        search = (time.perf_counter() - started) * 1000 / 5
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = os.getloadavg()
    lines = [
        START,
        "## Entity pages: `kg serve` /id/… (`python bench/pages_bench.py`)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d}: {os.cpu_count()} CPUs (`nproc`), Python "
        f"{platform.python_version()}, {platform.machine()}, the default engine (pyoxigraph "
        f"in memory), 2 workers, one client on loopback; load average after: "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (the machine is shared).",
        "",
        "| pass | pages | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|",
        f"| first load of every entity's page | {len(cold)} | {statistics.median(cold):.1f} | "
        f"{percentile(cold, 0.99):.1f} | {max(cold):.1f} |",
        f"| again (the server's page cache) | {len(warm)} | {statistics.median(warm):.1f} | "
        f"{percentile(warm, 0.99):.1f} | {max(warm):.1f} |",
        "",
        f"Failures: {failures}. Page size: median {statistics.median(sizes) / 1024:.0f} KiB, "
        f"largest {max(sizes) / 1024:.0f} KiB. The first page a server renders also fetches "
        f"the ontology and its usage counts ({first_ontology:.0f} ms for /ontology, once). "
        f"`/id/huawei`, one of the largest pages, loaded again after the {args.warm}-page pass "
        f"pushed it out of the 256-page cache: {huawei:.1f} ms; a search "
        f"(华为, 華為, 升腾, Huawei, nvidia h100; the first also fetches every name): "
        f"{search:.0f} ms on average. A first "
        "load is one SPARQL CONSTRUCT in a worker (the bounded description), parsing its "
        "N-Triples, gathering the page and rendering the template.",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        text = README.read_text(encoding="utf-8")
        if START in text:
            before, rest = text.split(START, 1)
            text = before + section + rest.split(END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
