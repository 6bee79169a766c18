"""Atomic writing: a failed export never leaves a half-written file, nor a half-written set.

:func:`write_set_atomic` writes a whole directory's worth of files into a sibling work
directory, then swaps it with the old one in one ``renameat2(RENAME_EXCHANGE)`` call (Linux),
falling back to two renames elsewhere; :func:`clean_stale` (run first by every set write)
removes what a killed write left behind, and puts the old directory back if a kill fell between
the two fallback renames. A directory that is a mount point cannot be swapped: its files are
then replaced one by one, each atomically.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from kg.errors import KGError
from kg.faults import point

__all__ = [
    "WriteError",
    "clean_stale",
    "write_atomic",
    "write_bytes_atomic",
    "write_set_atomic",
    "write_text_atomic",
]


class WriteError(KGError, OSError):
    """A file could not be written (read-only or missing directory, full disk): one line
    naming the file as the caller gave it. Still an ``OSError`` for callers that skip a
    write they can do without (the cache)."""


def write_atomic(
    path: Path | str, produce: Callable[[BinaryIO], None], *, parents: bool = True
) -> Path:
    """Call ``produce(stream)`` on a temporary file beside ``path``, then rename it into place.

    The rename is atomic on POSIX, so readers see either the old file or the complete new one;
    if ``produce`` raises, the old file is untouched and the temporary file is removed.
    ``parents``: create missing directories; without it a missing one is a :class:`WriteError`
    (for a path the user typed, where a typo must not create directories).
    """
    path = Path(path)
    if not parents and not path.parent.is_dir():
        missing = WriteError(f"{path}: cannot write: no directory {path.parent} (create it first)")
        missing.exit_code = 2  # a path the user typed: bad input
        raise missing
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            produce(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and not isinstance(exc, KGError):
            raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
    return path


def write_bytes_atomic(path: Path | str, data: bytes, *, parents: bool = True) -> Path:
    return write_atomic(path, lambda stream: stream.write(data), parents=parents)


def write_text_atomic(path: Path | str, text: str, *, parents: bool = True) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"), parents=parents)


def _work_names(directory: Path) -> tuple[str, str]:
    return f".{directory.name}.build-", f".{directory.name}.old-"


def clean_stale(directory: Path | str) -> list[Path]:
    """Remove the work directories and temporary files a killed write into ``directory`` left;
    if ``directory`` itself is missing because a kill fell between the fallback's two
    renames, put the old one back first. Returns what was removed or restored."""
    directory = Path(directory).absolute()
    building, old = _work_names(directory)
    found: list[Path] = []
    parent = directory.parent
    if parent.is_dir():
        olds = sorted(parent.glob(old + "*"))
        if olds and not directory.exists():
            os.rename(olds[-1], directory)
            found.append(olds.pop())
        for stale in [*parent.glob(building + "*"), *olds]:
            shutil.rmtree(stale, ignore_errors=True)
            found.append(stale)
    if directory.is_dir():
        for stale in directory.glob(".*.tmp"):  # write_atomic's, from a killed process
            with contextlib.suppress(OSError):
                stale.unlink()
                found.append(stale)
    return found


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_set_atomic(
    directory: Path | str,
    files: dict[str, bytes],
    written=lambda _name: None,
) -> Path:
    """Make ``directory`` hold ``files`` (name -> bytes) and whatever else it held, all at once:
    a reader, or a kill at any moment, sees the old set or the new one (see the module doc).
    ``written(name)`` is called as each file is written."""
    directory = Path(directory).absolute()
    if directory.exists() and not directory.is_dir():  # never swap a file for a directory
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(directory))
    clean_stale(directory)
    if directory.is_dir() and os.path.ismount(directory):
        for name, data in files.items():
            write_bytes_atomic(directory / name, data)
            written(name)
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    building, old = _work_names(directory)
    work = Path(tempfile.mkdtemp(prefix=building, dir=directory.parent))
    try:
        if directory.is_dir():
            for entry in directory.iterdir():  # keep what else is there
                if entry.name in files:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.copytree(entry, work / entry.name, symlinks=True)
                    continue
                try:
                    os.link(entry, work / entry.name, follow_symlinks=False)
                except OSError:
                    shutil.copy2(entry, work / entry.name, follow_symlinks=False)
            mode = directory.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o777 & ~umask
        for name, data in files.items():
            with open(work / name, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(work / name, 0o644)
            point("build-file-written", work / name)
            written(name)
        os.chmod(work, mode)
        _fsync_directory(work)
        point("build-swap", directory)
        if not directory.exists():
            os.rename(work, directory)
        elif not _exchange(work, directory):
            aside = Path(tempfile.mkdtemp(prefix=old, dir=directory.parent))
            os.rename(directory, aside)  # onto the empty aside; clean_stale mends a kill here
            os.rename(work, directory)
            shutil.rmtree(aside, ignore_errors=True)
            return directory
        _fsync_directory(directory.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)  # the old set, after the swap
    return directory
