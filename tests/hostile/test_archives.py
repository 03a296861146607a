"""Hostile archives through `walk_archive`, the reader batch uses for zip and tar inputs: links, paths that
climb out, bombs and hostile member names each end as a refused member with a reason, the other members are
still read, and nothing is ever written to disk."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import time
import zipfile

import pytest

from tests.hostile.cases import BODY
from triage.read.archive import walk_archive

GOOD = BODY.encode()


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _zip_symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix, so the mode bits below are read as such by unzip tools
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _tar(members: list[tarfile.TarInfo], data: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info in members:
            payload = data.get(info.name)
            if payload is not None:
                info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return buffer.getvalue()


def _tar_entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def _bomb_member() -> bytes:
    return _zip([("report.txt", GOOD), ("zeros.txt", b"\0" * (300 << 20))])


def _nested_bomb() -> bytes:
    inner = _zip([("zeros.txt", b"\0" * (100 << 20))])
    # Stored, not deflated, so the outer zip looks harmless and only the inner one is a bomb.
    return _zip([("report.txt", GOOD), ("inner.zip", inner)], zipfile.ZIP_STORED)


ARCHIVES = {
    "symlink in a tar": (lambda: _tar([_tar_entry("report.txt"), _tar_entry("passwd.txt", tarfile.SYMTYPE,
                                                                              "/etc/passwd")],
                                      {"report.txt": GOOD}), "passwd.txt", "link or device"),
    "hard link in a tar": (lambda: _tar([_tar_entry("report.txt"), _tar_entry("shadow.txt", tarfile.LNKTYPE,
                                                                               "../../etc/shadow")],
                                        {"report.txt": GOOD}), "shadow.txt", "link or device"),
    "device node in a tar": (lambda: _tar([_tar_entry("report.txt"), _tar_entry("zero.txt", tarfile.CHRTYPE)],
                                          {"report.txt": GOOD}), "zero.txt", "link or device"),
    "../ path in a zip": (lambda: _zip([("report.txt", GOOD), ("../../outside.txt", GOOD)]), "../../outside.txt",
                          "outside the archive"),
    "absolute path in a tar": (lambda: _tar([_tar_entry("report.txt"), _tar_entry("/tmp/abs.txt")],
                                            {"report.txt": GOOD, "/tmp/abs.txt": GOOD}), "/tmp/abs.txt",
                               "absolute path"),
    "Windows ..\\ path in a zip": (lambda: _zip([("report.txt", GOOD), ("..\\..\\win.txt", GOOD)]),
                                   "..\\..\\win.txt", "outside the archive"),
    "zip bomb member (300 MB of zeros)": (_bomb_member, "zeros.txt", "zip bomb"),
    "zip bomb nested in a zip": (_nested_bomb, "inner.zip/zeros.txt", "zip bomb"),
}


@pytest.mark.parametrize("what", ARCHIVES)
def test_a_hostile_member_is_refused_and_the_rest_is_read(what, tmp_path, monkeypatch, record_outcome) -> None:  # type: ignore[no-untyped-def]
    make, bad, reason = ARCHIVES[what]
    data = make()
    monkeypatch.chdir(tmp_path)  # were anything extracted to disk, it would land here
    start = time.monotonic()
    members = {m.path: m for m in walk_archive(data, "in.archive")}
    assert time.monotonic() - start < 30
    refused = members[f"in.archive/{bad}"]
    assert refused.data is None and reason in refused.error
    assert members["in.archive/report.txt"].data == GOOD  # the run goes on past the bad member
    assert list(tmp_path.iterdir()) == []
    record_outcome("member refused")


def test_a_symlink_in_a_zip_is_read_as_its_text_never_followed(tmp_path, record_outcome) -> None:  # type: ignore[no-untyped-def]
    """zip has no link type of its own: a link is a member whose data is the target's path. It must stay that
    text, never become the content of the file it points to."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the witness lives at the blue house\n")
    data = _zip([("report.txt", GOOD), (_zip_symlink("link.txt", str(secret)), str(secret).encode())])
    members = {m.path: m for m in walk_archive(data, "in.zip")}
    link = members["in.zip/link.txt"]
    assert link.data == str(secret).encode() or link.error
    assert b"witness" not in (link.data or b"")
    record_outcome("link not followed")


@pytest.mark.parametrize("name", ["line\nbreak.txt", "$(touch PWNED) `id`; rm -rf x.txt",
                                  "report\u202etxt.exe.txt", "-rf --db=other.db.txt"])
def test_hostile_member_names_are_kept_as_names(name, tmp_path, monkeypatch, record_outcome) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    members = list(walk_archive(_zip([(name, GOOD)]), "in.zip"))
    assert [(m.path, m.data) for m in members] == [(f"in.zip/{name}", GOOD)]
    assert os.listdir(tmp_path) == []  # nothing run, nothing written
    record_outcome("name kept")
