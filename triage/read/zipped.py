"""Opening a zip container (archives, Word files) with every way a damaged one fails named once."""

from __future__ import annotations

import io
import zipfile

# What zipfile raises on a truncated, corrupt or oversized central directory, and on a damaged member.
OPEN_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError)
READ_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError)


def open_zip(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive and its member list, read up front so a broken directory fails here (OPEN_ERRORS)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        return archive, archive.infolist()
    except BaseException:
        archive.close()
        raise
