"""Try to reach a loopback listener from inside a `kg serve` query worker, and report how.

Run as ``python -m tests.serve._network_probe PORT [--outside]``. The probe is a ``Served``
whose ``answer`` does what a hostile or buggy engine might: a native ``connect()`` through
libc (no Python audit hook sees it) and a pyoxigraph ``SERVICE`` query (pyoxigraph makes that
request itself, in Rust). It runs in a real worker of :class:`kg.serve.pool.WorkerPool`, or,
with ``--outside``, in this process, to show the probe does reach the listener when nothing
stops it. Prints one JSON line.
"""

from __future__ import annotations

import ctypes
import json
import os
import socket
import struct
import sys

from kg.serve.protocol import Job


def native_connect(port: int) -> str:
    """connect() to 127.0.0.1:port through libc; "connected" or the errno's name."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    if fd < 0:
        return f"socket failed: {os.strerror(ctypes.get_errno())}"
    address = struct.pack("!HH4s8x", socket.AF_INET, port, socket.inet_aton("127.0.0.1"))
    # sockaddr_in's family is in host byte order.
    address = struct.pack("=H", socket.AF_INET) + address[2:]
    try:
        if libc.connect(fd, address, len(address)) == 0:
            return "connected"
        return os.strerror(ctypes.get_errno())
    finally:
        libc.close(fd)


def oxigraph_service(port: int) -> str:
    import pyoxigraph

    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    try:
        rows = list(pyoxigraph.Store().query(query))
    except Exception as exc:  # noqa: BLE001 - the failure is the finding
        return f"failed: {' '.join(str(exc).split())[:200]}"
    return f"answered ({len(rows)} rows)"


def probe(port: int) -> dict[str, str]:
    return {"native": native_connect(port), "oxigraph": oxigraph_service(port)}


class Probe:
    """A ``Served`` whose every answer is the probe's findings (as a 500 message)."""

    graph_iri = "urn:x:probe"
    names = ["urn:x:probe"]

    def __init__(self, port: int) -> None:
        self.port = port

    def in_worker(self) -> None:
        pass

    def answer(self, checked, job):
        raise RuntimeError("PROBE " + json.dumps(probe(self.port)))


def main() -> None:
    port = int(sys.argv[1])
    if "--outside" in sys.argv:
        print(json.dumps({"isolated": False, **probe(port)}))
        return
    from kg.serve.pool import WorkerPool

    with WorkerPool(Probe(port), size=1, timeout=20) as pool:
        reply = pool.run(Job("ASK {}"))
        text = reply.body.decode()
        found = json.loads(text[text.index("PROBE ") + 6 :])
        print(json.dumps({"isolated": pool.isolated, "isolation": pool.isolation, **found}))


if __name__ == "__main__":
    main()
