"""`kg import epoch` on a large generated CSV: wall time and peak memory.

Writes a CSV of ``--rows`` rows (default 100,000) by repeating the rows of the Epoch fixture
with a numbered suffix on each name (so every row is a new chip, as in a much larger
catalogue), then runs ``python cli.py import epoch BIG.csv --out TMP/epoch.ttl`` in a fresh
process against this repository's curated facts and reports its wall time and peak resident
memory (``ru_maxrss`` of the child). The committed facts/imported/epoch.ttl is not touched.

Usage::

    python bench/import_bench.py               # 100k rows
    python bench/import_bench.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "epoch" / "epoch-ml-hardware.csv"


def generate(path: Path, rows: int) -> None:
    with FIXTURE.open(encoding="utf-8-sig", newline="") as stream:
        records = list(csv.reader(stream))
    header, body = records[0], records[1:]
    name = header.index("Hardware name")
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        for i in range(rows):
            record = list(body[i % len(body)])
            # no parentheses: "(M100)" alone would match the curated Maia 100, as it should
            record[name] = f"{record[name].replace('(', '').replace(')', '')} bench {i}"
            writer.writerow(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.csv"
        generate(big, args.rows)
        out = Path(tmp) / "epoch.ttl"
        command = [sys.executable, "cli.py", "import", "epoch", str(big), "--out", str(out)]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode != 0:
            sys.exit(f"import failed ({done.returncode}):\n{done.stderr[-2000:]}")
        size = out.stat().st_size / 1e6
        print(
            f"`python bench/import_bench.py --rows {args.rows}` on "
            f"{datetime.now(UTC):%Y-%m-%d}: {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, {platform.machine()}; load average before/after "
            f"{os.getloadavg()[0]:.2f}."
        )
        print()
        print(
            "| rows | CSV (MB) | wall time (s) | peak RSS (MiB) | Turtle written (MB) | last line |"
        )
        print("|---:|---:|---:|---:|---:|---|")
        print(
            f"| {args.rows} | {big.stat().st_size / 1e6:.1f} | {seconds:.1f} | {peak_mib:.0f} "
            f"| {size:.0f} | {done.stderr.strip().splitlines()[-1]} |"
        )


if __name__ == "__main__":
    main()
