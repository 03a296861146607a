"""Walk zip and tar archives safely, yielding each member file's bytes or the reason it was refused.

Archives come from outside, so nothing in them is trusted: member names that would escape a target folder
(absolute, `..`, drive letters), links and devices are refused; sizes are checked against the declared header
AND counted while reading (headers can lie), with limits on one member, the whole walk, the compression
ratio, the number of files and the nesting depth of archives inside archives. Nothing is written to disk.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from triage.errors import ArchiveError
from triage.read.zipped import OPEN_ERRORS, READ_ERRORS, open_zip

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    max_member_bytes: int = 256 << 20  # one report larger than this is not a report
    max_total_bytes: int = 2 << 30  # everything read from one archive, nested ones included
    max_ratio: float = 200.0  # uncompressed / compressed; text PDFs stay far below, bombs far above
    max_files: int = 20_000
    max_depth: int = 3  # an archive inside an archive inside an archive, no deeper


@dataclass(frozen=True, slots=True)
class Member:
    """One file found in an archive: `data` to extract, or `error` saying why it was refused."""

    path: str  # "outer.zip/inner.zip/report.pdf"
    data: bytes | None = None
    error: str = ""


@dataclass(slots=True)
class _Budget:
    limits: Limits
    files: int = 0
    total: int = 0
    stopped: bool = field(default=False)


def is_archive(data: bytes) -> bool:
    """Whether the bytes are a zip or tar archive (by content, not name). DOCX/XLSX are zips but documents."""
    if data.startswith(b"PK\x03\x04"):
        return not _is_office_file(data)
    if data.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
        return _opens_as_tar(data)
    return len(data) > 262 and data[257:262] == b"ustar"


def walk_archive(data: bytes, name: str, *, limits: Limits | None = None) -> Iterator[Member]:
    """Every member file of a zip or tar archive (nested archives opened), or the reason it was refused.

    Raises ArchiveError when the archive itself cannot be read.
    """
    budget = _Budget(limits or Limits())
    yield from _walk(data, name, 0, budget)


def _walk(data: bytes, name: str, depth: int, budget: _Budget) -> Iterator[Member]:
    if data.startswith(b"PK"):
        members = _zip_members(data, name, budget)
    else:
        members = _tar_members(data, name, budget)
    for member in members:
        if member.data is not None and is_archive(member.data):
            if depth + 1 > budget.limits.max_depth:
                depth_error = f"archive nested deeper than {budget.limits.max_depth} levels; not opened"
                yield Member(member.path, error=depth_error)
                continue
            try:
                yield from _walk(member.data, member.path, depth + 1, budget)
            except ArchiveError as exc:
                yield Member(member.path, error=str(exc))
        else:
            yield member
        if budget.stopped:
            return


def _zip_members(data: bytes, name: str, budget: _Budget) -> Iterator[Member]:
    try:
        archive, infos = open_zip(data)
    except OPEN_ERRORS as exc:
        raise ArchiveError(f"{name} is not a readable zip archive ({exc}); re-create it and retry") from exc
    with archive:
        for info in infos:
            if info.is_dir():
                continue
            path = f"{name}/{info.filename}"
            refusal = _name_refusal(info.filename) or _count(budget, path)
            if refusal:
                yield Member(path, error=refusal)
                if budget.stopped:
                    return
                continue
            if info.flag_bits & 0x1:
                yield Member(path, error="encrypted in the archive; extract it with its password and retry")
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > budget.limits.max_ratio:
                limit = budget.limits.max_ratio
                why = f"compression ratio {ratio:.0f}:1 is above {limit:.0f}:1 (a zip bomb?); not extracted"
                yield Member(path, error=why)
                continue
            try:
                with archive.open(info) as stream:
                    yield _read(stream, path, budget, info.compress_size)
            except READ_ERRORS as exc:
                yield Member(path, error=f"damaged in the archive ({exc})")
            if budget.stopped:
                return


def _tar_members(data: bytes, name: str, budget: _Budget) -> Iterator[Member]:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(
            f"{name} is not a readable zip or tar archive ({exc}); re-create it and retry"
        ) from exc
    with archive:
        try:
            for info in archive:
                if info.isdir():
                    continue
                path = f"{name}/{info.name}"
                refusal = _name_refusal(info.name) or (
                    "" if info.isfile() else "a link or device, not a file; not followed"
                ) or _count(budget, path)
                if refusal:
                    yield Member(path, error=refusal)
                    if budget.stopped:
                        return
                    continue
                stream = archive.extractfile(info)
                if stream is None:
                    yield Member(path, error="no data in the archive")
                    continue
                # A compressed tar has no per-member compressed size; judge against the whole file.
                yield _read(stream, path, budget, len(data))
                if budget.stopped:
                    return
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            yield Member(f"{name}", error=f"damaged after some members ({exc}); the rest was not read")


def _read(stream: io.BufferedIOBase, path: str, budget: _Budget, compressed: int) -> Member:
    """Read one member, counting real bytes: a header that under-declares the size cannot slip through."""
    limits = budget.limits
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        budget.total += len(chunk)
        if size > limits.max_member_bytes:
            return Member(path, error=f"larger than {limits.max_member_bytes >> 20} MB; not extracted")
        if size > limits.max_ratio * max(compressed, 1) and size > CHUNK:
            why = f"expands more than {limits.max_ratio:.0f}:1 (a zip bomb?); not extracted"
            return Member(path, error=why)
        if budget.total > limits.max_total_bytes:
            budget.stopped = True
            total = limits.max_total_bytes >> 20
            return Member(path, error=f"archive expands past {total} MB in total; stopped here")
        parts.append(chunk)
    return Member(path, data=b"".join(parts))


def _count(budget: _Budget, path: str) -> str:
    budget.files += 1
    if budget.files > budget.limits.max_files:
        budget.stopped = True
        return f"archive holds more than {budget.limits.max_files} files; stopped here"
    return ""


def _name_refusal(name: str) -> str:
    """Why a member name is unsafe, or "" if it is a plain relative path."""
    posix = name.replace("\\", "/")
    parts = PurePosixPath(posix).parts
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return "absolute path in the archive; refused"
    if ".." in parts:
        return "path leads outside the archive ('..'); refused"
    if "\x00" in name:
        return "NUL byte in the file name; refused"
    return ""


def _is_office_file(data: bytes) -> bool:
    try:
        archive, infos = open_zip(data)
    except OPEN_ERRORS:
        return False
    archive.close()
    names = {i.filename for i in infos}
    return "[Content_Types].xml" in names or "mimetype" in names


def _opens_as_tar(data: bytes) -> bool:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            return archive.next() is not None
    except (tarfile.TarError, OSError, EOFError):
        return False
