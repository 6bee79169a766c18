"""The wheel is a product: installed (not editable) into a fresh venv, `kg` answers from any
directory out of the graph inside it, writes nothing into site-packages, and `kg init` makes a
workspace whose facts are layered over it."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph
import pytest

from kg.project import find_project_root
from tests.conftest import REPO, TURTLE_PREFIXES, stop_process

pytestmark = pytest.mark.slow

HUAWEI = "https://w3id.org/aichip-kg/id/huawei"
USER_FACT = (
    TURTLE_PREFIXES
    + """\

kg:wheel-test-lab a aichip:Company ;
    rdfs:label "Wheel Test Lab"@en , "轮测实验室"@zh-Hans , "輪測實驗室"@zh-Hant .
"""
)
DANGLING = (
    TURTLE_PREFIXES
    + """\

kg:stmt-wheel-test-lab-competes a aichip:Statement ;
    rdf:subject kg:wheel-test-lab ; rdf:predicate aichip:competesWith ;
    rdf:object kg:wheel-test-missing ;
    prov:wasDerivedFrom kg:src-pytorch-blog-huawei-2023 ;
    aichip:quote "Huawei has joined as a premier member."@en ;
    aichip:rank aichip:Normal .
"""
)


def _source_copy(target: Path) -> Path:
    """What an sdist holds: the package, the build files, the ontology and the facts. Built
    from a copy so that the checkout's own build/ can neither leak into nor collect output."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        skip = {"__pycache__"}
        if Path(directory).resolve() == REPO / "kg":
            skip.add("data")  # only ever made by a build
        return skip & set(names)

    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "cli.py"):
        shutil.copy2(REPO / name, target / name)
    for name in ("kg", "ontology", "facts"):
        shutil.copytree(REPO / name, target / name, ignore=ignore)
    return target


def _snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
    }


class Installed:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.bin = self.venv / "bin"
        self.xdg = root / "xdg"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"KG_ROOT", "KG_FACTS", "KG_STORE", "KG_CACHE_DIR", "PYTHONPATH"}
        }
        self.env.update(
            PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            XDG_CACHE_HOME=str(self.xdg),
            # Byte-compiling is Python's doing, not kg's; pip compiled the wheel at install.
            PYTHONDONTWRITEBYTECODE="1",
            VIRTUAL_ENV=str(self.venv),
        )
        purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        self.site_packages = Path(self.run_python(purelib))

    def run_python(self, code: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            [str(self.bin / "python"), "-c", code],
            cwd=cwd or self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def kg(self, *args: str, cwd: Path, code: int = 0) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.bin / "kg"), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == code, f"kg {' '.join(args)}: {done.returncode}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = _source_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    # Offline: the build backend comes from this environment (setuptools>=70.1, in [test]).
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", str(source), "-w", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("aichip_kg-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Installed, dict]:
    root = tmp_path_factory.mktemp("installed")
    # System site-packages for the dependencies only; kg itself comes from the wheel.
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(root / "venv")],
        check=True, timeout=300,
    )  # fmt: skip
    venv = Installed(root)
    subprocess.run(
        [str(venv.bin / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         str(wheel)],
        check=True, env=venv.env, timeout=600,
    )  # fmt: skip
    return venv, _snapshot(venv.site_packages)


def test_the_wheel_carries_the_graph_and_what_kg_needs_to_answer(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"kg/data/{path.relative_to(REPO).as_posix()}"
        for pattern in ("ontology/*.ttl", "facts/**/*.ttl")
        for path in REPO.glob(pattern)
    }
    expected |= {
        path.relative_to(REPO).as_posix()
        for pattern in (
            "kg/queries/*.rq",
            "kg/static/*.*",
            "kg/static/vendor/*",
            "kg/templates/*.*",
            "kg/templates/pages/*",
        )
        for path in REPO.glob(pattern)
    }
    assert "kg/data/facts/imported/epoch.ttl" in expected
    assert "kg/static/vendor/codemirror.js" in expected
    assert "kg/templates/pages/entity.html" in expected
    assert sorted(expected - names) == []
    for name in ("ontology/aichip.ttl", "facts/entities.ttl"):
        assert zipfile.ZipFile(wheel).read(f"kg/data/{name}") == (REPO / name).read_bytes()


def _column(csv_text: str, column: str = "m") -> set[str]:
    return {row[column] for row in csv.DictReader(io.StringIO(csv_text))}


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _serve(venv: Installed, cwd: Path, log: Path):
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(venv.bin / "kg"), "serve", "--port", "0"],
            cwd=cwd, env=venv.env, stdout=subprocess.PIPE, stderr=stderr,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    holder: dict[str, bytes] = {}
    reader = threading.Thread(target=lambda: holder.setdefault("line", process.stdout.readline()))
    reader.start()
    reader.join(timeout=180)
    line = holder.get("line", b"").decode().strip()
    if not line.startswith("http://"):
        stop_process(process)
        raise AssertionError(f"kg serve did not start: {log.read_text(errors='replace')}")
    return process, line


def test_installed_kg_answers_from_any_directory_and_writes_nothing_installed(installed, tmp_path):
    venv, before = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_project_root(empty) is None, "a kg.toml above the temporary directory"
    location = Path(venv.run_python("import kg; print(kg.__file__)", cwd=empty))
    assert location.is_relative_to(venv.site_packages), location
    assert not location.is_relative_to(REPO), location

    asked = venv.kg("ask", "cq01-foundation-members", "--format", "csv", cwd=empty)
    assert HUAWEI in _column(asked.stdout, "member")

    query = "SELECT ?m WHERE { ?m org:memberOf kg:pytorch-foundation }"
    assert HUAWEI in _column(venv.kg("query", query, "--format", "csv", cwd=empty).stdout)

    shown = venv.kg("show", "华为", cwd=empty).stdout
    assert shown.splitlines()[0].split()[0] == "kg:huawei"
    assert "華為" in shown

    venv.kg("viz", "-o", "x.html", cwd=empty)
    page = (empty / "x.html").read_text(encoding="utf-8")
    parsed = _Scripts()
    parsed.feed(page)
    assert "html" in parsed.tags and "script" in parsed.tags
    assert "华为" in page

    process, url = _serve(venv, empty, tmp_path / "serve.log")
    try:
        request = urllib.request.Request(
            url + "sparql?" + urllib.parse.urlencode({"query": query}),
            headers={"Accept": "text/csv"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert HUAWEI in _column(response.read().decode("utf-8"))
    finally:
        stop_process(process)

    refused = venv.kg("build", cwd=empty, code=2)
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "kg init DIR" in refused.stderr

    assert sorted(p.name for p in empty.iterdir()) == ["x.html"]
    assert _snapshot(venv.site_packages) == before
    # The installed graph's cache went to the user cache directory.
    assert list((venv.xdg / "aichip-kg").glob("graph-*"))


def test_a_workspace_layers_user_facts_over_the_installed_graph(installed, tmp_path):
    venv, before = installed
    assert find_project_root(tmp_path) is None, "a kg.toml above the temporary directory"
    venv.kg("init", "ws", cwd=tmp_path)
    ws = tmp_path / "ws"
    (ws / "facts" / "lab.ttl").write_text(USER_FACT, encoding="utf-8")

    built = venv.kg("build", cwd=ws / "facts")  # found from below, like git
    assert "aichip-kg.ttl" in built.stdout.split()
    exported = ws / "exports" / "aichip-kg.nt"
    with exported.open("rb") as stream:
        subjects = {
            quad.subject.value
            for quad in pyoxigraph.parse(stream, format=pyoxigraph.RdfFormat.N_TRIPLES)
        }
    assert "https://w3id.org/aichip-kg/id/wheel-test-lab" in subjects  # the user's layer
    assert HUAWEI in subjects  # the installed graph under it
    assert (ws / "exports" / "graph.html").is_file()

    bad = ws / "facts" / "bad.ttl"
    bad.write_text(DANGLING, encoding="utf-8")
    line = DANGLING.splitlines().index("    rdf:object kg:wheel-test-missing ;") + 1
    written = _snapshot(ws / "exports")
    failed = venv.kg("build", cwd=ws, code=2)
    assert f"facts/bad.ttl:{line}: kg:wheel-test-missing: [dangling-term]" in failed.stderr
    assert _snapshot(ws / "exports") == written  # nothing half-written

    assert _snapshot(venv.site_packages) == before
