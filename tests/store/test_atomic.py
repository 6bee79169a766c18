"""A load into a non-empty on-disk store is all or nothing under SIGKILL and a full disk.

Each test starts from a store holding a loaded file and the curated graph, runs ``kg load`` in a
subprocess, kills it (SIGKILL) at a named point (``KG_PAUSE_AT``, see kg/faults.py) or lets it
run out of disk on a small tmpfs, and then compares every quad of the store, read with
pyoxigraph directly, with the state before the load or with a clean full load.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._synth import synthetic
from tests.conftest import REPO, leave_room, remount

pyoxigraph = pytest.importorskip("pyoxigraph")

KILL_POINTS = [
    "snapshot",  # before the snapshot is taken: nothing changed yet
    "load-start",  # snapshot taken, load marked unfinished, nothing loaded
    "curated-removed",  # the curated triples are out of the default graph
    "load-file-done",  # the first of two files is in
    "load-before-commit",  # everything is in, the manifest still says unfinished
    "load-after-commit",  # finished and recorded; the snapshot is not yet removed
]


def kg(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def quads(path: Path) -> frozenset:
    """Every quad of the store at ``path`` (bookkeeping graphs included), read by pyoxigraph."""
    store = pyoxigraph.Store.read_only(str(path / "oxigraph"))
    found = frozenset(store)
    del store
    return found


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("atomic")
    files = {
        "first": synthetic(base / "first.nt", 2000, seed=1),
        "second": synthetic(base / "second.nt", 3000, seed=2),
        "third": synthetic(base / "third.nt", 3000, seed=3),
    }
    store = base / "before"
    kg("--store", f"oxigraph:{store}", "load", str(files["first"]), check=True)
    kg("--store", f"oxigraph:{store}", "stats", check=True)  # adds the curated graph
    after = base / "after"
    shutil.copytree(store, after)
    new = [str(files["second"]), str(files["third"])]
    kg("--store", f"oxigraph:{after}", "load", *new, check=True)
    return {**files, "before": store, "after": after}


def assert_curated_facts_answer(spec: str) -> None:
    shown = kg("--store", spec, "show", "huawei", check=True)
    assert "Huawei" in shown.stdout
    stats = json.loads(kg("--store", spec, "stats", "--json", check=True).stdout)
    assert stats["claims"] > 0


def test_a_clean_load_keeps_the_curated_facts(data):
    assert quads(data["after"]) > quads(data["before"])
    assert_curated_facts_answer(f"oxigraph:{data['after']}")


@pytest.mark.parametrize("where", KILL_POINTS)
def test_a_killed_load_is_rolled_back_or_complete(data, tmp_path, where):
    store = tmp_path / "s"
    shutil.copytree(data["before"], store)
    spec = f"oxigraph:{store}"
    marker = tmp_path / "paused"
    env = {"KG_PAUSE_AT": where, "KG_PAUSE_FILE": str(marker)}
    command = [sys.executable, str(REPO / "cli.py"), "--store", spec, "load", "-q"]
    process = subprocess.Popen(
        [*command, str(data["second"]), str(data["third"])],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, f"the load never reached {where}"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()

    finished = where == "load-after-commit"
    shown = kg("--store", spec, "show", "huawei")
    if where in ("snapshot", "load-after-commit"):
        assert shown.returncode == 0, shown.stderr  # nothing to undo
    else:
        # Every command refuses the store, in one line naming it and the way out.
        assert shown.returncode == 1
        assert "Traceback" not in shown.stderr
        (line,) = shown.stderr.strip().splitlines()
        assert str(store) in line and "store repair" in line
        for command in (("stats",), ("query", "ASK {}"), ("load", str(data["second"]))):
            other = kg("--store", spec, *command)
            assert other.returncode == 1 and "store repair" in other.stderr, other.stderr
        checked = kg("--store", spec, "store", "check")
        assert checked.returncode == 1 and "did not finish" in checked.stdout
        kg("--store", spec, "store", "repair", check=True)
    expected = data["after"] if finished else data["before"]
    assert quads(store) == quads(expected)
    kg("--store", spec, "store", "check", check=True)
    assert_curated_facts_answer(spec)
    assert not list(store.glob(".kg-tmp-*"))


def test_a_load_that_fills_the_disk_leaves_the_store_as_it_was(data, tmp_path, small_disk):
    # ~25 MB once stored: far more than the headroom below plus anything RocksDB frees when it
    # reopens the copied store (its old log files), which made 60,000 triples fit now and then.
    big = synthetic(tmp_path / "big.nt", 300000, seed=4)
    if small_disk is None:  # not root: a fault at the same step stands in for the full disk
        store = tmp_path / "s"
        shutil.copytree(data["before"], store)
        env = {"KG_FAIL_AT": "load-file-done"}
    else:
        store = small_disk / "s"
        shutil.copytree(data["before"], store)
        # Room for the store and a little more, not for the big file.
        leave_room(small_disk, 1024)
        env = {}
    spec = f"oxigraph:{store}"
    before = quads(store)
    result = kg("--store", spec, "load", str(data["second"]), str(big), env=env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "No space left on device" in line and str(store) in line, line
    assert "as it was" in line
    assert quads(store) == before
    if small_disk is not None:
        remount(small_disk, "size=262144k")  # room again: the queries below may need to write
    kg("--store", spec, "store", "check", check=True)
    assert_curated_facts_answer(spec)
