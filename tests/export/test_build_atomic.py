"""`kg build` replaces exports/ as a set: a kill, a read-only directory or a full disk leaves
the previous exports byte for byte, and errors are one line naming the directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, leave_room, remount

BASE = (FIXTURES / "validate" / "base.ttl").read_text(encoding="utf-8")
MORE = 'kg:initech a aichip:Company ; rdfs:label "Initech"@en .\n'


def kg(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "--root", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def changed_facts(root: Path) -> None:
    """Facts whose exports differ from the first build's."""
    (root / "facts" / "more.ttl").write_text(BASE.split("# A minimal")[0] + MORE, "utf-8")


@pytest.fixture
def built(make_project):
    root = make_project({"base.ttl": BASE})
    first = kg(root, "build")
    assert first.returncode == 0, first.stderr
    (root / "exports" / "README.txt").write_text("not ours: kept", encoding="utf-8")
    changed_facts(root)
    return root


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".exports."))


@pytest.mark.parametrize("where", ["build-file-written", "build-swap"])
def test_a_killed_build_leaves_the_previous_exports(built, tmp_path, where):
    before = snapshot(built / "exports")
    marker = tmp_path / "paused"
    process = subprocess.Popen(
        [sys.executable, str(REPO / "cli.py"), "--root", str(built), "build"],
        env={**os.environ, "KG_PAUSE_AT": where, "KG_PAUSE_FILE": str(marker)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, "the build ended before the pause point"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert snapshot(built / "exports") == before
    assert leftovers(built)  # the killed build's work directory is still there…
    again = kg(built, "build")
    assert again.returncode == 0, again.stderr
    assert leftovers(built) == []  # …until the next build
    after = snapshot(built / "exports")
    assert after["README.txt"] == b"not ours: kept"
    assert (
        after["aichip-kg.ttl"] != before["aichip-kg.ttl"] and b"initech" in after["aichip-kg.ttl"]
    )
    assert set(after) == set(before)


def _project_on(small_disk: Path, built: Path) -> Path:
    import shutil

    root = small_disk / "project"
    shutil.copytree(built, root)
    return root


def _one_line_error(result, path: Path, reason: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and str(path) in last and reason in last, last


def test_a_read_only_exports_directory_is_a_one_line_error(built, small_disk):
    if small_disk is None:  # not root: permissions do stop us
        root = built
        os.chmod(root, 0o555)
        reason = "Permission denied"
    else:
        root = _project_on(small_disk, built)
        remount(small_disk, "ro")
        reason = "Read-only file system"
    before = snapshot(root / "exports")
    try:
        result = kg(root, "build", env={"KG_CACHE_DIR": str(built / ".c")})
    finally:
        if small_disk is None:
            os.chmod(root, 0o755)
    _one_line_error(result, root / "exports", reason)
    assert snapshot(root / "exports") == before


def test_a_full_disk_leaves_the_previous_exports(built, small_disk):
    env = {"KG_CACHE_DIR": str(built / ".c")}
    if small_disk is None:  # not root: a fault at the same step stands in for the full disk
        root = built
        env["KG_FAIL_AT"] = "build-file-written"
    else:
        root = _project_on(small_disk, built)
        leave_room(small_disk, 64)  # KiB: the old exports fit, a new set does not
    before = snapshot(root / "exports")
    result = kg(root, "build", env=env)
    _one_line_error(result, root / "exports", "No space left on device")
    assert snapshot(root / "exports") == before
    assert leftovers(root) == []
