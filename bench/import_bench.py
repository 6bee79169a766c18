"""`kg import epoch` on a large generated CSV: wall time and peak memory.

Writes a CSV of ``--rows`` rows (default 100,000) by repeating the rows of the Epoch fixture
with a numbered suffix on each name (so every row is a new chip, as in a much larger
catalogue), then runs ``python cli.py import epoch BIG.csv --out TMP/epoch.ttl`` in a fresh
process against this repository's curated facts and reports its wall time, CPU time (user and
system: on a shared machine the wall time says as much about the neighbours) and peak resident
memory (``ru_maxrss`` of that child). The committed facts/imported/epoch.ttl is not touched.

The import keeps the curated facts' own validation problems in its cache directory; the child
gets an empty one (``KG_CACHE_DIR`` in the temporary directory), so the first run works them
out too. ``--again`` runs the import a second time with that cache filled, as a second row.

Usage::

    python bench/import_bench.py               # 100k rows
    python bench/import_bench.py --rows 20000 --again
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
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


def run(command: list[str], env: dict[str, str], stderr: Path) -> dict:
    """Run ``command`` from the repository; its wall and CPU time, peak memory and output."""
    with stderr.open("w+", encoding="utf-8") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read()
    return {
        "code": child.returncode,
        "seconds": seconds,
        "user": usage.ru_utime,
        "system": usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "stderr": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--again", action="store_true", help="a second run, with the validation cache filled"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.csv"
        generate(big, args.rows)
        out = Path(tmp) / "epoch.ttl"
        command = [sys.executable, "cli.py", "import", "epoch", str(big), "--out", str(out)]
        env = {**os.environ, "KG_CACHE_DIR": str(Path(tmp) / "cache")}
        before = os.getloadavg()
        results = []
        for label in ("first run", "again (cached)")[: 2 if args.again else 1]:
            done = run(command, env, Path(tmp) / "stderr.txt")
            if done["code"] != 0:
                sys.exit(f"import failed ({done['code']}):\n{done['stderr'][-2000:]}")
            results.append((label, done))
        after = os.getloadavg()
        size = out.stat().st_size / 1e6
        print(
            f"`python bench/import_bench.py --rows {args.rows}{' --again' if args.again else ''}`"
            f" on {datetime.now(UTC):%Y-%m-%d}: {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, {platform.machine()}; load average (1 min) "
            f"{before[0]:.2f} before, {after[0]:.2f} after."
        )
        print()
        print(
            "| run | rows | CSV (MB) | wall time (s) | CPU time (s, user + system) "
            "| peak RSS (MiB) | Turtle written (MB) | last line |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for label, done in results:
            print(
                f"| {label} | {args.rows} | {big.stat().st_size / 1e6:.1f} | "
                f"{done['seconds']:.1f} | {done['user']:.1f} + {done['system']:.1f} | "
                f"{done['peak_mib']:.0f} | {size:.0f} | "
                f"{done['stderr'].strip().splitlines()[-1]} |"
            )


if __name__ == "__main__":
    main()
