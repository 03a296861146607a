"""Archives walked safely: members read, unsafe names, bombs, deep nesting and limits refused with a reason."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile

import pytest

from triage.errors import ArchiveError
from triage.read.archive import Limits, is_archive, walk_archive

REPORT = b"Situation report: the convoy was stopped at the northern checkpoint.\n"


def make_zip(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_tar(files: dict[str, bytes], mode: str = "w:gz", links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def test_zip_members_are_read_with_their_paths() -> None:
    data = make_zip({"a.txt": REPORT, "folder/b.txt": REPORT * 2})
    members = list(walk_archive(data, "in.zip"))
    assert [(m.path, m.data, m.error) for m in members] == [
        ("in.zip/a.txt", REPORT, ""),
        ("in.zip/folder/b.txt", REPORT * 2, ""),
    ]


def test_dot_dot_and_absolute_paths_are_refused_and_the_rest_kept() -> None:
    data = make_zip({"../../etc/evil.txt": REPORT, "/abs.txt": REPORT, "ok.txt": REPORT, "a/../../x.txt": REPORT})
    result = {m.path: m for m in walk_archive(data, "in.zip")}
    assert "outside the archive" in result["in.zip/../../etc/evil.txt"].error
    assert result["in.zip/../../etc/evil.txt"].data is None
    assert "absolute path" in result["in.zip//abs.txt"].error
    assert "outside the archive" in result["in.zip/a/../../x.txt"].error
    assert result["in.zip/ok.txt"].data == REPORT


def test_zip_bomb_is_refused_quickly() -> None:
    bomb = make_zip({"zeros.txt": b"\0" * (30 << 20), "ok.txt": REPORT})  # ~30 KB that claims 30 MB
    start = time.perf_counter()
    result = {m.path: m for m in walk_archive(bomb, "bomb.zip")}
    assert "zip bomb" in result["bomb.zip/zeros.txt"].error
    assert result["bomb.zip/ok.txt"].data == REPORT
    assert time.perf_counter() - start < 5


def test_total_size_limit_stops_the_walk_with_a_reason() -> None:
    data = make_zip({f"f{i}.txt": bytes([65 + i]) * (2 << 20) for i in range(5)}, compression=zipfile.ZIP_STORED)
    members = list(walk_archive(data, "big.zip", limits=Limits(max_total_bytes=5 << 20)))
    assert [m.data is not None for m in members] == [True, True, False]
    assert "in total; stopped here" in members[-1].error


def test_file_count_limit() -> None:
    data = make_zip({f"f{i}.txt": REPORT for i in range(10)})
    members = list(walk_archive(data, "many.zip", limits=Limits(max_files=4)))
    assert len(members) == 5 and "more than 4 files" in members[-1].error


def test_nested_archives_are_opened_up_to_the_depth_limit() -> None:
    inner = make_zip({"deep.txt": REPORT})
    middle = make_tar({"inner.zip": inner, "mid.txt": REPORT})
    outer = make_zip({"middle.tar.gz": middle})
    paths = {m.path: m for m in walk_archive(outer, "outer.zip")}
    assert paths["outer.zip/middle.tar.gz/inner.zip/deep.txt"].data == REPORT
    assert paths["outer.zip/middle.tar.gz/mid.txt"].data == REPORT
    shallow = {m.path: m for m in walk_archive(outer, "outer.zip", limits=Limits(max_depth=1))}
    assert "nested deeper than 1" in shallow["outer.zip/middle.tar.gz/inner.zip"].error


def test_tar_links_and_escapes_are_refused() -> None:
    data = make_tar({"ok.txt": REPORT, "../up.txt": REPORT}, links={"link.txt": "/etc/passwd"})
    result = {m.path: m for m in walk_archive(data, "t.tar.gz")}
    assert result["t.tar.gz/ok.txt"].data == REPORT
    assert "outside the archive" in result["t.tar.gz/../up.txt"].error
    assert "link" in result["t.tar.gz/link.txt"].error


def test_corrupt_archive_is_a_clear_error() -> None:
    data = make_zip({"a.txt": REPORT})
    with pytest.raises(ArchiveError, match=r"broken\.zip is not a readable zip archive"):
        list(walk_archive(data[:40], "broken.zip"))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make_zip({"a.txt": REPORT}), True),
        (make_tar({"a.txt": REPORT}), True),
        (make_tar({"a.txt": REPORT}, mode="w"), True),
        (make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), False),  # a .docx
        (b"%PDF-1.4\n", False),
        (REPORT, False),
    ],
)
def test_archives_are_recognised_by_content(data: bytes, expected: bool) -> None:
    assert is_archive(data) is expected
