"""Query workers for ``kg serve``: processes that hold the graph and are killed at the deadline.

Neither rdflib nor pyoxigraph can interrupt a query from another thread, so each
query runs in a worker process; when it overruns its deadline the worker is killed and replaced.

Forking from the threaded HTTP server could deadlock a child (a lock held by another thread at
the moment of the fork stays held forever), so before the server starts any thread the pool
forks a single-threaded *nursery* that holds the served graph. The nursery forks a *zygote*,
which does nothing but fork workers on request: a new worker is ready in milliseconds, shares
the graph's memory copy-on-write, and never inherits a lock. Should the zygote die (killed, or
picked by the kernel's OOM killer), the pool asks the nursery for a new one; should the nursery
die too, the pool reports it (``on_fatal``) so the server can exit non-zero rather than answer
503 forever.

The nursery moves itself into a network namespace of its own (``unshare(CLONE_NEWNET)``, or
with a user namespace when not privileged), which every zygote and worker inherits: it has no
interface but a loopback that is down, so no query can reach any host, whatever native code
tries (pyoxigraph would run ``SERVICE`` itself; the policy refuses it first). Where no namespace
can be made, :attr:`WorkerPool.isolation` says so and only the audit hook below remains.

Each worker:

* caps its address space (``RLIMIT_AS``): a query that needs more memory fails with a 503, not
  the machine; and its CPU time per query (``RLIMIT_CPU``), a backstop should the server die;
* cannot open network connections: besides the namespace, an audit hook refuses Python's
  ``socket.connect`` and DNS look-ups (it also covers Unix sockets, which a namespace does not);
* dies with its parent (``PR_SET_PDEATHSIG``), so nothing outlives the server.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import queue
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from kg.serve.protocol import Job, Reply, Served, execute

__all__ = ["PoolBroken", "PoolStats", "WorkerPool", "isolate_network"]

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000

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
    """Counters for logs and tests: workers started, killed at the deadline, found dead;
    zygotes started after the first one died."""

    size: int
    spawned: int
    timeouts: int
    deaths: int
    zygote_restarts: int = 0


class PoolBroken(RuntimeError):
    """The pool can start no more workers (its nursery has gone)."""


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


def _unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def isolate_network() -> tuple[bool, str]:
    """Move this (single-threaded) process into a network namespace of its own.

    ``(True, how)`` when done; ``(False, why not)`` otherwise, and the process is unchanged.
    """
    if not sys.platform.startswith("linux"):
        return False, f"no network namespaces on {sys.platform}"
    try:
        _unshare(_CLONE_NEWNET)
        return True, "own network namespace"
    except (OSError, AttributeError) as exc:
        first = exc
    try:
        # Unprivileged: a user namespace grants the right to make a network namespace.
        _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
        return True, "own user and network namespace"
    except (OSError, AttributeError):
        reason = errno.errorcode.get(getattr(first, "errno", 0) or 0, str(first))
        return False, f"cannot create a network namespace ({reason})"


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


def _fork_on_request(control: socket.socket, start: Callable[[int], None], code: int) -> None:
    """Fork one child per file descriptor that arrives on ``control``, run ``start(fd)`` in it
    (exiting with ``code`` after), and send the child's pid back; until ``control`` closes."""
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
                start(fds[0])
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(fds[0])
        control.sendall(struct.pack("!q", pid))


def _zygote_main(control: socket.socket, served: Served, memory_mb: int, cpu: float) -> None:
    _die_with_parent()

    def start_worker(fd: int) -> None:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _worker_main(fd, served, memory_mb, cpu)

    _fork_on_request(control, start_worker, 1)


def _nursery_main(control: socket.socket, served: Served, memory_mb: int, cpu: float) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # zygotes and workers are reaped automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    _die_with_parent()
    isolated, how = isolate_network()
    report = f"{'1' if isolated else '0'}{how}".encode()
    control.sendall(struct.pack("!q", len(report)) + report)
    _warm_up()

    def start_zygote(fd: int) -> None:
        _zygote_main(socket.socket(fileno=fd), served, memory_mb, cpu)

    _fork_on_request(control, start_zygote, 0)


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
    ``on_fatal(message)`` is called (from a pool thread) if no worker can be started any more.
    """

    def __init__(
        self,
        served: Served,
        *,
        size: int = 2,
        timeout: float = 10.0,
        memory_mb: int = 1024,
        on_fatal: Callable[[str], None] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._served: Served | None = served
        self.size = size
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.on_fatal = on_fatal
        #: Whether the workers are in a network namespace of their own, and how (or why not).
        self.isolated = False
        self.isolation = "not started"
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._spawn_lock = threading.Lock()
        self._nursery: socket.socket | None = None
        self._nursery_pid: int | None = None
        self._control: socket.socket | None = None
        self._zygote_pid: int | None = None
        self._spawned = self._timeouts = self._deaths = self._restarts = 0
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
                _nursery_main(theirs, served, self.memory_mb, self.timeout + 5.0)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(0)
        theirs.close()
        self._nursery, self._nursery_pid = ours, pid
        self._served = None  # the server process never evaluates a query itself
        try:
            size = struct.unpack("!q", _recv_exact(ours, 8))[0]
            report = _recv_exact(ours, size).decode()
            self.isolated, self.isolation = report[:1] == "1", report[1:]
            with self._spawn_lock:
                self._new_zygote()
            for _ in range(self.size):
                self._idle.put(self._spawn())
        except BaseException:
            self.close()
            raise
        if hasattr(os, "pidfd_open"):  # elsewhere a dead zygote is found when next asked
            threading.Thread(target=self._watch, name="kg-pool-watch", daemon=True).start()
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
        for sock in (self._control, self._nursery):
            if sock is not None:
                sock.close()
        if self._zygote_pid is not None:  # not our child: the nursery reaps it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self._zygote_pid, signal.SIGKILL)
        if self._nursery_pid is not None:
            try:
                os.kill(self._nursery_pid, signal.SIGTERM)
                os.waitpid(self._nursery_pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass

    def __enter__(self) -> WorkerPool:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def stats(self) -> PoolStats:
        return PoolStats(self.size, self._spawned, self._timeouts, self._deaths, self._restarts)

    @property
    def zygote_pid(self) -> int | None:
        """The process that forks the workers (for logs and tests)."""
        return self._zygote_pid

    # -- workers -------------------------------------------------------------------------------

    def _new_zygote(self) -> None:
        """Have the nursery fork a zygote (with ``_spawn_lock`` held); PoolBroken if it cannot."""
        if self._nursery is None:
            raise RuntimeError("pool not started")
        if self._control is not None:
            self._control.close()
            self._control = None
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self._nursery, [b"z"], [theirs.fileno()])
            pid = struct.unpack("!q", _recv_exact(self._nursery, 8))[0]
        except OSError as exc:
            ours.close()
            raise PoolBroken(
                f"the query-worker nursery (pid {self._nursery_pid}) has exited: {exc}"
            ) from None
        finally:
            theirs.close()
        self._control, self._zygote_pid = ours, pid

    def _ask_zygote(self) -> tuple[socket.socket, int]:
        if self._control is None:
            raise OSError("no zygote")
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self._control, [b"w"], [theirs.fileno()])
            pid = struct.unpack("!q", _recv_exact(self._control, 8))[0]
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        return ours, pid

    def _spawn(self) -> _Worker:
        if self._nursery is None:
            raise RuntimeError("pool not started")
        with self._spawn_lock:
            if self._closed:
                raise RuntimeError("pool closed")
            if self._control is None:  # a restart failed before
                self._new_zygote()
            try:
                ours, pid = self._ask_zygote()
            except OSError:
                # The zygote has gone (and its workers with it): start another one.
                self._restarts += 1
                print(
                    f"kg serve: the query-worker zygote (pid {self._zygote_pid}) exited; "
                    "starting a new one",
                    file=sys.stderr,
                    flush=True,
                )
                self._new_zygote()
                ours, pid = self._ask_zygote()
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
        except PoolBroken as exc:
            self._fail(str(exc))
        except (OSError, RuntimeError) as exc:
            if not self._closed:
                print(f"kg serve: cannot start a query worker: {exc}", file=sys.stderr, flush=True)

    def _fail(self, reason: str) -> None:
        if self._closed:
            return
        message = f"{reason}; no query worker can be started"
        if self.on_fatal is not None:
            self.on_fatal(message)
        else:
            print(f"kg serve: {message}", file=sys.stderr, flush=True)

    def _watch(self) -> None:
        """Notice at once when the zygote or the nursery exits (a pidfd becomes readable):
        start a new zygote and replace the workers that died with it, or report the pool
        broken. Without this, a dead zygote would only be found by the next query."""
        import select

        try:
            nursery = os.pidfd_open(self._nursery_pid)
        except OSError:
            return
        zygote_pid, zygote = None, None
        try:
            while not self._closed:
                if zygote_pid != self._zygote_pid:
                    if zygote is not None:
                        os.close(zygote)
                    zygote_pid, zygote = self._zygote_pid, None
                    with contextlib.suppress(OSError):
                        zygote = os.pidfd_open(zygote_pid)
                watched = [nursery] + ([zygote] if zygote is not None else [])
                ready, _, _ = select.select(watched, [], [], 1.0)
                if self._closed:
                    break
                if nursery in ready:
                    self._fail(f"the query-worker nursery (pid {self._nursery_pid}) has exited")
                    break
                if zygote is None or zygote in ready:
                    self._zygote_died(zygote_pid)
        finally:
            os.close(nursery)
            if zygote is not None:
                os.close(zygote)

    def _zygote_died(self, pid: int | None) -> None:
        try:
            with self._spawn_lock:
                if self._closed or pid != self._zygote_pid:
                    return  # closing, or already replaced by _spawn
                self._restarts += 1
                print(
                    f"kg serve: the query-worker zygote (pid {pid}) exited; starting a new one",
                    file=sys.stderr,
                    flush=True,
                )
                self._new_zygote()
        except PoolBroken as exc:
            self._fail(str(exc))
            return
        # Its workers died with it (PR_SET_PDEATHSIG): replace the idle ones now.
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in idle:
            self._deaths += 1
            self._replace(worker)

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
