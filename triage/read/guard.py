"""Checks made at the edge (CLI, batch) before a file is read: it must be a regular file of sane size.

extraction reads a whole file into memory, so a 2 GB file, a device such as /dev/zero or a named pipe
would exhaust memory or hang before any parser could object. A stat() call costs nothing and refuses
them at once, with a message that says how to proceed.
"""

from __future__ import annotations

import stat
from pathlib import Path

from triage.errors import InputRejectedError

MB = 1024 * 1024


def check_input_file(path: str | Path, *, max_mb: int) -> None:
    """Raise InputRejectedError unless `path` is a regular file no larger than `max_mb` megabytes."""
    path = Path(path)
    try:
        info = path.stat()  # follows symlinks: what matters is what would be read
    except FileNotFoundError as exc:
        raise InputRejectedError(f"{path.name} does not exist; check the path and retry") from exc
    except OSError as exc:
        raise InputRejectedError(f"{path.name} cannot be read ({exc.strerror}); check the path and retry") from exc
    if not stat.S_ISREG(info.st_mode):
        raise InputRejectedError(
            f"{path.name} is not a regular file (a device, pipe or socket); copy the report into a file and retry"
        )
    if info.st_size > max_mb * MB:
        raise InputRejectedError(
            f"{path.name} is {info.st_size / MB:,.0f} MB, over the {max_mb:,} MB limit for one file; split it, "
            "or raise max_file_mb in the config file if it really is one report"
        )
