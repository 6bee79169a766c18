"""Start `kg serve` in a subprocess for a test, talk HTTP to it, and stop it with its workers."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, stop_process

__all__ = ["Server", "processes_mentioning", "start_server"]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    root: Path
    log: Path
    engine: str = "memory"  # the --store it evaluates on

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port

    @property
    def sparql(self) -> str:
        return self.url + "sparql"

    def request(self, method="GET", path="/sparql", body=None, headers=None, timeout=30.0):
        """(status, headers as a lower-cased dict, body bytes) of one request."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def query(self, query, accept=None, method="POST", params=None, timeout=30.0):
        """Run ``query`` by form POST (or GET); (status, headers, body)."""
        fields = [("query", query), *(params or [])]
        encoded = urllib.parse.urlencode(fields)
        headers = {"Accept": accept} if accept else {}
        if method == "GET":
            return self.request("GET", "/sparql?" + encoded, headers=headers, timeout=timeout)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", "/sparql", encoded, headers, timeout=timeout)

    def select(self, query) -> dict:
        status, headers, body = self.query(query, accept="application/sparql-results+json")
        assert status == 200, body
        return json.loads(body)

    def stop(self) -> None:
        stop_process(self.process)


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (the server, its zygote and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def start_server(root: Path | None, *args: str, log: Path, store: str | None = None) -> Server:
    command = [sys.executable, "-m", "cli"]
    if root is not None:
        command += ["--root", str(root)]
    if store is not None:
        command += ["--store", store]
    command += ["serve", "--port", "0", "--no-cache", *args]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL
        )
    holder: dict[str, bytes] = {}

    def read_line() -> None:
        holder["line"] = process.stdout.readline()

    reader = threading.Thread(target=read_line, daemon=True)
    reader.start()
    reader.join(timeout=120)
    line = holder.get("line", b"")
    if not line.startswith(b"http://"):
        process.kill()
        process.wait()
        raise AssertionError(f"kg serve did not start: {log.read_text(errors='replace')}")
    return Server(process=process, url=line.decode().strip(), root=root or REPO, log=log)
