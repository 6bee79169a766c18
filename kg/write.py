"""Atomic file writing: a failed export never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from kg.errors import KGError

__all__ = ["WriteError", "write_atomic", "write_bytes_atomic", "write_text_atomic"]


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
