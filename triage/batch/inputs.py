"""What a batch run reads: the files given, those under the folders given, and archives opened into members."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.errors import ArchiveError
from triage.read.archive import Limits, is_archive, walk_archive
from triage.read.formats import SUFFIXES
from triage.read.guard import MB, check_input_file

SUPPORTED = SUFFIXES  # the format registry's file-name suffixes
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")
_TAR_MAGIC_END = 262


@dataclass(frozen=True, slots=True)
class InputItem:
    """One file to process: the name it is stored under, where it came from, and how to read it."""

    name: str  # stored as the document's source: the path below the folder given (through archives), or the file name
    origin: str  # where to find it again (for --retry-failed): an absolute path, through archives for a member
    read_bytes: Callable[[], bytes]
    refusal: str = ""  # why an archive refused to give this member (then there is nothing to read)


def iter_files(paths: Iterable[str | Path]) -> Iterator[InputItem]:
    """The files given and those under the folders given (sorted), archives not yet opened.

    In folders, a file is taken if its name is a supported kind or its first bytes say it may be an archive."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and (f.suffix.lower() in SUPPORTED or _may_be_archive(f)):
                    yield InputItem(str(f.relative_to(path)), str(f.resolve()), f.read_bytes)
        else:
            yield InputItem(path.name, str(path.resolve()), path.read_bytes)


def expand_input(item: InputItem, *, max_file_mb: int = 200, limits: Limits | None = None) -> Iterator[InputItem]:
    """The item itself, or, if its content is a zip or tar archive, one item per member (nested archives
    opened within `limits`); a member the archive walker refuses comes back with its `refusal`.

    Raises InputRejectedError for a path that is not a regular file or is too large, OSError if unreadable."""
    limits = limits or Limits()
    path = Path(item.origin)
    if path.exists():
        # Devices, pipes and huge files are refused before a byte is read; an archive may be larger than one
        # report, up to what the walker would read out of it anyway.
        check_input_file(path, max_mb=max(max_file_mb, limits.max_total_bytes // MB))
        if not _may_be_archive(path):
            check_input_file(path, max_mb=max_file_mb)
    data = item.read_bytes()
    if not is_archive(data):
        yield InputItem(item.name, item.origin, constant(data))
        return
    try:
        # Walked under its origin, so each member's path is its own origin: ".../in/a.zip/dir/r.pdf".
        for member in walk_archive(data, item.origin, limits=limits):
            name = item.name + member.path[len(item.origin):]
            if member.error:
                yield InputItem(name, member.path, nothing, refusal=member.error)
            elif Path(member.path).suffix.lower() in SUPPORTED:
                yield InputItem(name, member.path, constant(member.data or b""))
    except ArchiveError as exc:
        yield InputItem(item.name, item.origin, nothing, refusal=str(exc))


def iter_inputs(paths: Iterable[str | Path], *, max_file_mb: int = 200) -> Iterator[InputItem]:
    """Every supported file under the given files and folders, archives opened into their members."""
    for item in iter_files(paths):
        yield from expand_input(item, max_file_mb=max_file_mb)


def nothing() -> bytes:
    return b""


def constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _may_be_archive(path: Path) -> bool:
    """Whether a file starts like a zip, a compressed stream or a tar (a cheap look before reading it all)."""
    try:
        with path.open("rb") as f:
            head = f.read(_TAR_MAGIC_END)
    except OSError:
        return False
    return head.startswith(_ARCHIVE_MAGIC) or head[257:_TAR_MAGIC_END] == b"ustar"


def archive_of(origin: str) -> Path | None:
    """The outermost archive file on a member's origin (a path through an archive), if it still exists."""
    for parent in reversed(Path(origin).parents):
        if parent.is_file():
            return parent
    return None
