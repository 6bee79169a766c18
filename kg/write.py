"""Atomic file writing: a failed export never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomic", "write_bytes_atomic", "write_text_atomic"]


def write_atomic(path: Path | str, produce: Callable[[BinaryIO], None]) -> Path:
    """Call ``produce(stream)`` on a temporary file beside ``path``, then rename it into place.

    The rename is atomic on POSIX, so readers see either the old file or the complete new one;
    if ``produce`` raises, the old file is untouched and the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            produce(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return path


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    return write_atomic(path, lambda stream: stream.write(data))


def write_text_atomic(path: Path | str, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))
