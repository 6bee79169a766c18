"""``kg load``: bulk-load big N-Triples, N-Quads and Turtle dumps into a store, all or nothing.

Every file is first read through pyoxigraph's streaming parser (about a million triples a
second, nothing kept in memory); a syntax error stops everything with ``FILE:LINE: message``
before a single triple reaches the store. Only then are the files loaded, with pyoxigraph's bulk
loader on disk (``oxigraph:PATH``), its transactional loader in memory, or rdflib's graph for
the memory store. The one file given to an in-memory pyoxigraph store skips the first pass:
that loader is transactional already.

``lenient=True`` (N-Triples and N-Quads only: they are line-based) skips the lines that do not
parse instead, and reports each one; everything else is loaded. Files may be gzip, bzip2 or xz
compressed (``.nt.gz``…). ``progress(done, total)`` is called as bytes are read; each byte is
read twice when there are two passes, and ``total`` counts both.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kg.errors import InputError, KGError, ParseError, disk_error
from kg.faults import point
from kg.store.base import Store
from kg.store.oxigraph import OxigraphStore

__all__ = [
    "FORMAT_NAMES",
    "BadLine",
    "FileReport",
    "LoadReport",
    "check_inputs",
    "detect_format",
    "load_files",
]

#: File name endings -> format (after any .gz/.bz2/.xz).
SUFFIXES = {
    ".nt": "ntriples",
    ".ntriples": "ntriples",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".ttl": "turtle",
    ".turtle": "turtle",
}
FORMAT_NAMES = {"ntriples": "N-Triples", "nquads": "N-Quads", "turtle": "Turtle"}
LINE_BASED = ("ntriples", "nquads")
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_BLOCK = 8 << 20  # lenient checks and parallel loads go by line-aligned blocks of this size
#: Bulk loads under way at once. More than the cores: each also waits on RocksDB's writes
#: (bench/README.md: 6 at a time gave the best rate on 2 cores).
_LOAD_THREADS = max(6, 3 * (os.cpu_count() or 1))
_PREFIX = re.compile(r"^Parser error [^:]*: ")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BadLine:
    """A line skipped in lenient mode. ``str()`` is ``file:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class FileReport:
    path: str
    format: str
    triples: int | None  # statements parsed (with duplicates); None when not counted
    bad_lines: tuple[BadLine, ...] = ()


@dataclass(frozen=True)
class LoadReport:
    store: str
    files: tuple[FileReport, ...]
    before: int  # triples in the store's default graph before and after
    after: int
    seconds: float
    checked_only: bool = False  # True when nothing was kept (an in-memory store from the CLI)
    bad_lines: tuple[BadLine, ...] = field(default=())

    @property
    def parsed(self) -> int | None:
        """Statements read from the files; None when the single-pass load did not count them."""
        if any(f.triples is None for f in self.files):
            return None
        return sum(f.triples or 0 for f in self.files)

    @property
    def added(self) -> int:
        return self.after - self.before

    @property
    def rate(self) -> float:
        """Triples read (else added) per second over the whole call."""
        count = self.parsed if self.parsed is not None else self.added
        return count / self.seconds if self.seconds > 0 else float("inf")


# -- files ---------------------------------------------------------------------------------


def detect_format(path: Path, fmt: str | None = None) -> tuple[str, str | None]:
    """``(format, compression suffix or None)`` from the name, unless ``fmt`` is given."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = suffixes[-1] if suffixes and suffixes[-1] in _OPENERS else None
    if fmt is not None:
        if fmt not in FORMAT_NAMES:
            choices = ", ".join(FORMAT_NAMES)
            raise InputError(f"unknown format {fmt!r} for kg load; choose one of {choices}")
        return fmt, compression
    base = suffixes[-2] if compression and len(suffixes) > 1 else (suffixes or [""])[-1]
    if compression and base not in SUFFIXES:
        base = ""
    if base not in SUFFIXES:
        raise InputError(
            f"{path}: cannot tell the format from the name; use .nt, .nq or .ttl "
            "(optionally .gz/.bz2/.xz) or give --format"
        )
    return SUFFIXES[base], compression


class _Counting(io.RawIOBase):
    """Counts the bytes read from ``raw`` (the file on disk, before decompression)."""

    def __init__(self, raw: IO[bytes], tick: Callable[[int], None]) -> None:
        self.raw = raw
        self.tick = tick

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.tick(n)
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Source:
    """One input file: its display name, format, size, and how to open it (decompressed)."""

    def __init__(self, path: Path, fmt: str | None) -> None:
        self.path = path
        self.display = str(path)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        self.format, self.compression = detect_format(path, fmt)
        self.size = path.stat().st_size
        self.base_iri = path.resolve().as_uri()

    def open(self, tick: Callable[[int], None]) -> IO[bytes]:
        counting = io.BufferedReader(_Counting(open(self.path, "rb"), tick), 1 << 20)  # noqa: SIM115
        if self.compression:
            return _OPENERS[self.compression](counting, "rb")
        return counting


def _ox_format(fmt: str):
    import pyoxigraph as ox

    return {
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "nquads": ox.RdfFormat.N_QUADS,
        "turtle": ox.RdfFormat.TURTLE,
    }[fmt]


def _error_line(exc: SyntaxError, fmt: str) -> int:
    """The line to blame: a missing final dot is noticed at the start of the next line."""
    line = exc.lineno or 1
    if fmt in LINE_BASED and "followed by a dot" in str(exc) and exc.offset == 1 and line > 1:
        return line - 1
    return line


def _message(exc: SyntaxError, fmt: str, line: int) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    column = f" (column {exc.offset})" if exc.offset and line == exc.lineno else ""
    detail = _PREFIX.sub("", text).strip()
    if fmt == "ntriples":
        detail = detail.replace("Quads must", "Triples must")
    return f"{FORMAT_NAMES[fmt]} syntax error{column}: {detail}"


# -- the first pass: check ---------------------------------------------------------------------


def _check_strict(source: _Source, tick: Callable[[int], None]) -> FileReport:
    import pyoxigraph as ox

    count = 0
    with source.open(tick) as stream:
        try:
            for _ in ox.parse(stream, format=_ox_format(source.format), base_iri=source.base_iri):
                count += 1
        except MemoryError:
            # A statement longer than pyoxigraph's stream buffer (16 MiB): line by line.
            if source.format not in LINE_BASED:
                raise _too_long(source) from None
            return _check_lenient(source, lambda _n: None, strict=True)
        except SyntaxError as exc:
            line = _error_line(exc, source.format)
            raise ParseError(source.display, line, _message(exc, source.format, line)) from None
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise ParseError(source.display, None, f"cannot read: {exc}") from None
    return FileReport(source.display, source.format, count)


def _blocks(stream: IO[bytes]) -> Iterator[bytes]:
    """Line-aligned blocks of about ``_BLOCK`` bytes."""
    rest = b""
    while True:
        chunk = stream.read(_BLOCK)
        if not chunk:
            if rest:
                yield rest
            return
        chunk = rest + chunk
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            rest = chunk
            continue
        yield chunk[:cut]
        rest = chunk[cut:]


def _too_long(source: _Source) -> InputError:
    return InputError(
        f"{source.display}: a statement is longer than pyoxigraph's 16 MiB stream buffer, "
        f"which only N-Triples and N-Quads files can hold here; convert it to N-Triples"
    )


#: Lines longer than this are parsed on their own, with pyoxigraph's slice parser, which has
#: no buffer limit (its stream parser stops at 16 MiB with a MemoryError).
_LONG_LINE = 1 << 20


def _count_statements(data: bytes, fmt, base_iri: str) -> int:
    """Statements in ``data`` (whole lines of N-Triples/N-Quads), long lines included.
    A SyntaxError's ``lineno`` counts lines of ``data``."""
    import pyoxigraph as ox

    if len(data) < _LONG_LINE * 8:
        return sum(1 for _ in ox.parse(data, format=fmt, base_iri=base_iri))
    count = 0
    group: list[bytes] = []
    group_start = 1

    def parse_group() -> int:
        try:
            return sum(1 for _ in ox.parse(b"".join(group), format=fmt, base_iri=base_iri))
        except SyntaxError as exc:
            exc.lineno = (exc.lineno or 1) + group_start - 1
            raise

    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        if len(line) <= _LONG_LINE:
            if not group:
                group_start = number
            group.append(line)
            continue
        if group:
            count += parse_group()
            group = []
        scratch = ox.Store()
        try:
            scratch.bulk_load(line, format=fmt, base_iri=base_iri)
        except SyntaxError as exc:
            exc.lineno = (exc.lineno or 1) + number - 1
            raise
        count += len(scratch)  # one statement a line
    if group:
        count += parse_group()
    return count


def _check_lenient(
    source: _Source, tick: Callable[[int], None], *, strict: bool = False
) -> FileReport:
    """Parse block by block; at an error, note the line and go on after it (``strict``:
    raise :class:`ParseError` at the first)."""
    fmt = _ox_format(source.format)
    count = 0
    bad: list[BadLine] = []
    first_line = 1  # number of the block's first line in the file
    with source.open(tick) as stream:
        try:
            for block in _blocks(stream):
                lines_in_block = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
                start, offset_line = 0, 0  # where the unparsed rest of the block begins
                while start < len(block):
                    try:
                        count += _count_statements(block[start:], fmt, source.base_iri)
                        break
                    except SyntaxError as exc:
                        line = _error_line(exc, source.format)  # within block[start:]
                        number = first_line + offset_line + line - 1
                        if strict:
                            message = _message(exc, source.format, line)
                            raise ParseError(source.display, number, message) from None
                        bad.append(
                            BadLine(source.display, number, _message(exc, source.format, line))
                        )
                        # Count the lines before the bad one (they parse), skip it, go on.
                        position = bad_start = start
                        for _ in range(line):
                            bad_start = position
                            nl = block.find(b"\n", position)
                            position = len(block) if nl < 0 else nl + 1
                        if bad_start > start:
                            count += _count_statements(block[start:bad_start], fmt, source.base_iri)
                        start, offset_line = position, offset_line + line
                first_line += lines_in_block
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise ParseError(source.display, None, f"cannot read: {exc}") from None
    return FileReport(source.display, source.format, count, tuple(bad))


class _SkipLines(io.RawIOBase):
    """A stream of ``raw`` without the lines numbered in ``skip`` (1-based)."""

    def __init__(self, raw: IO[bytes], skip: Iterable[int]) -> None:
        self.lines = iter(raw)
        self.skip = set(skip)
        self.number = 0
        self.pending = b""
        self.raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer):
            line = next(self.lines, None)
            if line is None:
                break
            self.number += 1
            if self.number not in self.skip:
                self.pending += line
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


# -- the second pass: load ---------------------------------------------------------------------


def check_inputs(paths: Iterable[Path | str], fmt: str | None = None) -> None:
    """The :class:`InputError` :func:`load_files` would raise for a missing file or an unknown
    format, raised before any store is opened (so a failed load creates no store)."""
    for path in paths:
        _Source(Path(path), fmt)


def load_files(
    store: Store,
    paths: Iterable[Path | str],
    *,
    fmt: str | None = None,
    lenient: bool = False,
    progress: Progress | None = None,
    check_only: bool = False,
) -> LoadReport:
    """Check, then load, ``paths`` into ``store``'s default graph (N-Quads: their graphs).

    Raises :class:`~kg.errors.ParseError` (``FILE:LINE: message``, exit 2) at the first syntax
    error unless ``lenient``; nothing is loaded then. ``check_only`` parses and counts only.
    """
    started = time.perf_counter()
    sources = [_Source(Path(p), fmt) for p in paths]
    if not sources:
        raise InputError("give one or more files to load")
    if lenient:
        for source in sources:
            if source.format not in LINE_BASED:
                raise InputError(
                    f"{source.display}: --lenient skips bad lines, so it needs a line-based "
                    "format (N-Triples or N-Quads), not Turtle"
                )
    in_memory_ox = isinstance(store, OxigraphStore) and store.path is None
    empty_disk = isinstance(store, OxigraphStore) and store.path is not None and store.is_empty()
    # One pass when a failure can be undone wholesale: pyoxigraph's in-memory load is
    # transactional, and an on-disk store that was empty is simply emptied again.
    single_pass = (
        not lenient and not check_only and ((in_memory_ox and len(sources) == 1) or empty_disk)
    )
    passes = 1 if (single_pass or check_only) else 2
    total = passes * sum(s.size for s in sources)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    before = len(store)
    if single_pass and empty_disk:
        reports = _load_into_empty(store, sources, tick)
    elif single_pass:
        _load_one(store, sources[0], None, tick)
        reports = [FileReport(sources[0].display, sources[0].format, None)]  # not counted
    else:
        check = _check_lenient if lenient else _check_strict
        reports = [check(source, tick) for source in sources]
        if not check_only:
            _load_all(store, sources, reports, tick)
    after = len(store)
    bad = tuple(b for r in reports for b in r.bad_lines)
    return LoadReport(
        store=str(store.spec),
        files=tuple(reports),
        before=before,
        after=after,
        seconds=time.perf_counter() - started,
        checked_only=check_only,
        bad_lines=bad,
    )


def _entry(source: _Source, report: FileReport | None) -> dict:
    entry = {"file": str(source.path.resolve()), "format": source.format}
    entry["triples"] = report.triples if report else None
    if report is not None:
        entry["skipped_lines"] = len(report.bad_lines)
    return entry


def _load_all(store: Store, sources: list[_Source], reports: list[FileReport], tick) -> None:
    names = [str(s.path.resolve()) for s in sources]
    entries = [_entry(s, r) for s, r in zip(sources, reports, strict=True)]
    if not isinstance(store, OxigraphStore):
        for source, report in zip(sources, reports, strict=True):
            _load_one(store, source, [b.line for b in report.bad_lines], tick)
        return
    with store.load_transaction(names, entries), store.loading():
        for source, report in zip(sources, reports, strict=True):
            _load_one(store, source, [b.line for b in report.bad_lines], tick)
            point("load-file-done", store.path)


def _load_into_empty(store: OxigraphStore, sources: list[_Source], tick) -> list[FileReport]:
    """Bulk-load straight into an empty on-disk store; on any error, empty it again."""
    names = [str(s.path.resolve()) for s in sources]
    with store.load_transaction(names, [_entry(s, None) for s in sources]):
        for source in sources:
            _load_one(store, source, None, tick)
            point("load-file-done", store.path)
    return [FileReport(s.display, s.format, None) for s in sources]


def _load_one(
    store: Store,
    source: _Source,
    skip: list[int] | None,
    tick,
) -> None:
    bulk = isinstance(store, OxigraphStore) and store.path is not None
    stream = source.open(tick)
    if skip:
        stream = io.BufferedReader(_SkipLines(stream, skip), 1 << 20)
    try:
        with stream:
            if bulk and source.format in LINE_BASED:
                _bulk_load_in_parallel(store, source, stream)
            else:
                store.load_rdf(stream, source.format, base_iri=source.base_iri, bulk=bulk)
    except MemoryError:
        raise _too_long(source) from None
    except SyntaxError as exc:
        # Only reachable without the checking pass (a transactional in-memory load).
        line = _error_line(exc, source.format)
        raise ParseError(source.display, line, _message(exc, source.format, line)) from None
    except OSError as exc:
        if _store_side(exc):
            if bulk:  # the load's transaction undoes it and says so
                raise
            raise disk_error(exc, store.spec, "loading failed") from None
        raise KGError(f"{source.display}: loading failed: {exc}") from None
    except (EOFError, lzma.LZMAError) as exc:
        raise KGError(f"{source.display}: loading failed: {exc}") from None


def _store_side(exc: OSError) -> bool:
    """An error writing the store (RocksDB's, or a full disk), not one reading the input."""
    import errno

    text = str(exc)
    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) or text.startswith("IO error")


# -- parallel bulk loading ---------------------------------------------------------------------


@dataclass
class _Spill:
    """Blocks that mention a blank node, kept aside to be loaded together in one call: each
    pyoxigraph load call gives blank node labels a scope of their own, so ``_:b1`` must not be
    split across calls. ``starts`` holds (line in the spill, line in the file) per block."""

    buffer: IO[bytes]
    starts: list[tuple[int, int]] = field(default_factory=list)
    lines: int = 0
    long_line: bool = False  # then it is loaded as bytes: the stream parser stops at 16 MiB

    def add(self, block: bytes, first_line: int, line_count: int) -> None:
        if len(block) > _LONG_LINE and not self.long_line:
            self.long_line = max(map(len, block.splitlines())) > _LONG_LINE
        self.starts.append((self.lines + 1, first_line))
        self.buffer.write(block if block.endswith(b"\n") else block + b"\n")
        self.lines += line_count

    def file_line(self, line: int) -> int:
        import bisect

        index = bisect.bisect_right([start for start, _ in self.starts], line) - 1
        spill_start, file_start = self.starts[max(index, 0)]
        return file_start + line - spill_start


def _bulk_load_in_parallel(store: OxigraphStore, source: _Source, stream: IO[bytes]) -> None:
    """Bulk-load an N-Triples/N-Quads stream as line-aligned blocks, several at a time.

    A single pyoxigraph bulk load parses on one core and waits on RocksDB part of the time;
    N-Triples and N-Quads lines stand alone, so blocks of them load side by side (bench/README:
    about twice the rate on two cores). Blocks with blank nodes are loaded last, together.
    A syntax error raises :class:`ParseError` (``FILE:LINE``, the line counted in the whole
    file) once the blocks under way have finished, so the first error in the file is reported.
    """
    import tempfile
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    def load(block: bytes | IO[bytes]) -> None:
        store.load_rdf(block, source.format, base_iri=source.base_iri, bulk=True)

    errors: list[tuple[int, str]] = []  # (line in the file, message)

    def settle(future: Future, to_file_line: Callable[[int], int]) -> None:
        exc = future.exception()
        if isinstance(exc, SyntaxError):
            line = _error_line(exc, source.format)  # within what that call parsed
            errors.append((to_file_line(line), _message(exc, source.format, line)))
        elif exc is not None:
            raise exc

    first_line = 1
    in_flight: deque[tuple[Future, int]] = deque()
    with (
        tempfile.SpooledTemporaryFile(max_size=_BLOCK * 4) as buffer,
        ThreadPoolExecutor(_LOAD_THREADS, thread_name_prefix="kg-load") as pool,
    ):
        spill = _Spill(buffer)
        for block in _blocks(stream):
            line_count = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            if b"_:" in block:
                spill.add(block, first_line, line_count)
            else:
                in_flight.append((pool.submit(load, block), first_line))
            first_line += line_count
            while len(in_flight) > 2 * _LOAD_THREADS or (errors and in_flight):
                future, start = in_flight.popleft()
                settle(future, lambda line, start=start: start + line - 1)
            if errors:
                break
        while in_flight:
            future, start = in_flight.popleft()
            settle(future, lambda line, start=start: start + line - 1)
        if spill.lines and not errors:
            buffer.seek(0)
            spilled = buffer.read() if spill.long_line else buffer
            settle(pool.submit(load, spilled), spill.file_line)
    if errors:
        line, message = min(errors)
        raise ParseError(source.display, line, message)
