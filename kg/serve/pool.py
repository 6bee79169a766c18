"""Query workers for ``kg serve``: processes that hold the graph and are killed at the deadline.

Neither rdflib nor pyoxigraph can interrupt a query from another thread, so each
query runs in a worker process; when it overruns its deadline the worker is killed and replaced.

Forking from the threaded HTTP server could deadlock a child (a lock held by another thread at
the moment of the fork stays held forever), so the pool first forks a single-threaded *zygote*
that holds the served graph and does nothing but fork workers on request. A new worker is thus
ready in milliseconds, shares the graph's memory copy-on-write, and never inherits a lock.

Each worker:

* caps its address space (``RLIMIT_AS``): a query that needs more memory fails with a 503, not
  the machine; and its CPU time per query (``RLIMIT_CPU``), a backstop should the server die;
* cannot open network connections: an audit hook refuses ``socket.connect`` and DNS look-ups,
  whatever rdflib might try (``SERVICE`` and ``FROM`` are refused before evaluation anyway);
* dies with its parent (``PR_SET_PDEATHSIG``), so nothing outlives the server.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection

from kg.serve.protocol import Job, Reply, Served, execute

__all__ = ["PoolStats", "WorkerPool"]

_NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.sendto",
        "urllib.Request",
        "http.client.connect",
    }
)


@dataclass(frozen=True)
class PoolStats:
    """Counters for logs and tests: workers started, killed at the deadline, found dead."""

    size: int
    spawned: int
    timeouts: int
    deaths: int


@dataclass
class _Worker:
    pid: int
    conn: Connection
    pidfd: int | None


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits (no-op elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _forbid_network() -> None:
    def hook(event: str, _args: tuple) -> None:
        if event in _NETWORK_EVENTS:
            raise PermissionError(f"kg serve: query workers make no network requests ({event})")

    sys.addaudithook(hook)


def _cap_memory(megabytes: int) -> None:
    """Allow ``megabytes`` of address space beyond what the worker maps when it starts."""
    if megabytes <= 0:
        return
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed worker leaves no core file
    except (ImportError, OSError, ValueError):
        pass  # not Linux: no cap, the deadline still applies


def _cap_cpu(seconds: float) -> None:
    """SIGXCPU the worker once this query has used ``seconds`` of CPU (backstop only)."""
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime + seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
    except (ImportError, OSError, ValueError):
        pass


def _warm_up() -> None:
    """Run one tiny query per format so every worker inherits the imports it needs.

    The probes run on an empty rdflib graph, not on what is served: an engine may only open
    its data in the workers (:meth:`Served.in_worker`), never in the zygote that forks them.
    """
    from rdflib import Graph

    from kg.serve.protocol import served_data

    served = served_data(Graph())
    with contextlib.suppress(ImportError):
        import pyoxigraph  # noqa: F401 - the oxigraph engine's, imported once for all workers
    probes = [
        Job("SELECT ?x WHERE { BIND(1 AS ?x) }", formats=(fmt,))
        for fmt in ("json", "xml", "csv", "tsv")
    ]
    probes += [Job("ASK {}", formats=("xml",)), Job("INSERT DATA { <urn:x> <urn:y> <urn:z> }")]
    probes += [
        Job("CONSTRUCT { <urn:x> <urn:y> 1 } WHERE {}", formats=(fmt,))
        for fmt in ("ttl", "nt", "jsonld", "rdfxml")
    ]
    for probe in probes:
        # A failed warm-up only costs the first real query some time.
        with contextlib.suppress(Exception):
            execute(served, probe)


def _quiet_memory_errors(unraisable) -> None:
    # Generators abandoned by a query that ran out of memory report MemoryError again as
    # they are collected; the 503 already says it.
    if not isinstance(unraisable.exc_value, MemoryError):
        sys.__unraisablehook__(unraisable)


def _worker_main(fd: int, served: Served, memory_mb: int, cpu_seconds: float) -> None:
    _die_with_parent()
    sys.unraisablehook = _quiet_memory_errors
    conn = Connection(fd)
    served.in_worker()
    _cap_memory(memory_mb)
    _forbid_network()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        _cap_cpu(cpu_seconds)
        alive = True
        try:
            reply = execute(served, job)
        except MemoryError:
            reply = None
        if reply is None:
            # Whatever the query built is garbage now; say so and let the pool replace us.
            reply = Reply.error(503, "the query needed more memory than a query worker may use")
            alive = False
        try:
            conn.send((reply, alive))
        except (OSError, MemoryError):
            os._exit(1)
        if not alive:
            os._exit(0)


def _zygote_main(control: socket.socket, served: Served, memory_mb: int, cpu: float) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    _die_with_parent()
    _warm_up()
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 16, 1)
        except OSError:
            break
        if not message:
            break  # the server has gone
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker_main(fds[0], served, memory_mb, cpu)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)
        os.close(fds[0])
        control.sendall(struct.pack("!q", pid))


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("the query-worker zygote has exited")
        data += chunk
    return data


class WorkerPool:
    """``size`` query workers over ``served``; :meth:`run` answers a job within a deadline.

    Call :meth:`start` before the process starts any thread (it forks), and :meth:`close` when
    done. ``memory_mb`` caps each worker's extra address space; 0 disables the cap.
    """

    def __init__(
        self,
        served: Served,
        *,
        size: int = 2,
        timeout: float = 10.0,
        memory_mb: int = 1024,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._served: Served | None = served
        self.size = size
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._spawn_lock = threading.Lock()
        self._control: socket.socket | None = None
        self._zygote_pid: int | None = None
        self._spawned = self._timeouts = self._deaths = 0
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> WorkerPool:
        served = self._served
        if served is None:
            raise RuntimeError("pool already started")
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                _zygote_main(theirs, served, self.memory_mb, self.timeout + 5.0)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(0)
        theirs.close()
        self._control, self._zygote_pid = ours, pid
        self._served = None  # the server process never evaluates a query itself
        for _ in range(self.size):
            self._idle.put(self._spawn())
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                self._kill(self._idle.get_nowait())
            except queue.Empty:
                break
        if self._control is not None:
            self._control.close()
        if self._zygote_pid is not None:
            try:
                os.kill(self._zygote_pid, signal.SIGTERM)
                os.waitpid(self._zygote_pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass

    def __enter__(self) -> WorkerPool:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def stats(self) -> PoolStats:
        return PoolStats(self.size, self._spawned, self._timeouts, self._deaths)

    # -- workers -------------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        if self._control is None:
            raise RuntimeError("pool not started")
        with self._spawn_lock:
            ours, theirs = socket.socketpair()
            try:
                socket.send_fds(self._control, [b"w"], [theirs.fileno()])
            finally:
                theirs.close()
            pid = struct.unpack("!q", _recv_exact(self._control, 8))[0]
            self._spawned += 1
        pidfd = None
        if hasattr(os, "pidfd_open"):
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                pidfd = None
        return _Worker(pid=pid, conn=Connection(ours.detach()), pidfd=pidfd)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        try:
            if worker.pidfd is not None:
                # A pidfd names this very process even if its pid were reused.
                signal.pidfd_send_signal(worker.pidfd, signal.SIGKILL)
            else:
                os.kill(worker.pid, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass
        worker.conn.close()
        if worker.pidfd is not None:
            os.close(worker.pidfd)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now; its replacement joins the pool in the background, so the
        answer to the query that overran (a 503) is not delayed by it."""
        self._kill(worker)
        if not self._closed:
            threading.Thread(target=self._respawn, daemon=True).start()

    def _respawn(self) -> None:
        try:
            self._idle.put(self._spawn())
        except (OSError, RuntimeError) as exc:
            if not self._closed:
                print(f"kg serve: cannot start a query worker: {exc}", file=sys.stderr)

    # -- queries -------------------------------------------------------------------------------

    def run(self, job: Job, timeout: float | None = None) -> Reply:
        """Answer ``job``; 503 if it is not answered within ``timeout`` seconds of the call."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        for _attempt in range(3):
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                reply = Reply.error(503, "all query workers are busy; try again shortly")
                return Reply(reply.status, reply.content_type, reply.body, (("Retry-After", "1"),))
            try:
                worker.conn.send(job)
            except OSError:  # it died while idle (killed from outside, say): use another
                self._deaths += 1
                self._replace(worker)
                continue
            try:
                ready = worker.conn.poll(max(0.0, deadline - time.monotonic()))
                answer = worker.conn.recv() if ready else None
            except (EOFError, OSError):
                self._deaths += 1
                self._replace(worker)
                return Reply.error(
                    503, "the query worker stopped (it ran out of CPU time or memory, or crashed)"
                )
            if answer is None:
                self._timeouts += 1
                self._replace(worker)
                return Reply.error(
                    503,
                    f"the query ran longer than {limit:g} s and was stopped; simplify it "
                    "or add a LIMIT",
                )
            reply, alive = answer
            if alive:
                self._idle.put(worker)
            else:
                self._deaths += 1
                self._replace(worker)
            return reply
        return Reply.error(503, "no query worker could take the query; try again shortly")
