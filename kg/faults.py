"""Named points where a test may stop or break a long write, to prove it is all or nothing.

``KG_PAUSE_AT=NAME[,NAME…]`` makes the process create the file ``$KG_PAUSE_FILE`` (holding the
point's name) when it reaches one of those points and then sleep, so that a test can SIGKILL it
there. ``KG_FAIL_AT=NAME`` raises ``OSError(ENOSPC)`` there instead, standing in for a full
disk where a small filesystem cannot be mounted. Unset (always, outside tests), a point costs
one environment look-up.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

__all__ = ["PAUSE_ENV", "PAUSE_FILE_ENV", "FAIL_ENV", "point"]

PAUSE_ENV = "KG_PAUSE_AT"
PAUSE_FILE_ENV = "KG_PAUSE_FILE"
FAIL_ENV = "KG_FAIL_AT"


def point(name: str, path: Path | str | None = None) -> None:
    """A named point of a long write (``path``: what is being written, for the error)."""
    pause = os.environ.get(PAUSE_ENV)
    if pause and name in pause.split(","):
        marker = os.environ.get(PAUSE_FILE_ENV)
        if marker:
            Path(marker).write_text(name, encoding="utf-8")
        time.sleep(3600)
    fail = os.environ.get(FAIL_ENV)
    if fail and name in fail.split(","):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path) if path else None)
