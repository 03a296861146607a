"""Hostile files through the review UI's upload (Streamlit AppTest, signed in as a reviewer): each bad file gets
its own error naming it, good files with hostile names are stored under exactly those names, and nothing
stored before changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.hostile.cases import BODY, CASES
from triage.review.auth import create_user
from triage.store import integrity_check, open_store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "hostile-suite-pw"
# In-process, so without the probe's memory limit: the decompression bombs stay in the subprocess tests.
UPLOADED = [c for c in CASES if c.expect == "error" and "bomb" not in c.name]
NAMES = ("../../escape.txt", "line\nbreak.txt", "$(touch PWNED); `touch PWNED2` | x.txt", "report\u202etxt.exe.txt")


def _snapshot(db: Path) -> dict[str, set[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {t: set(conn.execute(f"SELECT * FROM {t}").fetchall())
                for t in ("documents", "passages", "flags", "predictions", "reviews", "users")}
    finally:
        conn.close()


@pytest.mark.slow
def test_hostile_uploads_each_get_a_clear_error_and_change_nothing_stored(  # type: ignore[no-untyped-def]
    pipeline, hostile_files, tmp_path, monkeypatch, record_outcome
) -> None:
    db = tmp_path / "ui.db"
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{pipeline.config.models_dir}"\n')
    monkeypatch.setenv("TRIAGE_DB", str(db))
    monkeypatch.setenv("TRIAGE_CONFIG", str(toml))
    monkeypatch.chdir(tmp_path)
    with open_store(db) as store:
        earlier = "Militias looted the aid convoy and abducted two drivers near the border.\n"
        store.save_result(pipeline.process_file("earlier.txt", data=earlier.encode(), source="earlier.txt"))
        flag = store.conn.execute("SELECT id FROM flags LIMIT 1").fetchone()[0]
        store.add_review(flag, "accept", "amina", note="kept through the hostile uploads")
        create_user(store, "amina", "reviewer", PASSWORD)
    before = _snapshot(db)

    at = AppTest.from_file(APP, default_timeout=300).run()
    at.text_input(key="login-name").input("amina")
    at.text_input(key="login-password").input(PASSWORD)
    at.button[0].click().run()
    assert [t.value for t in at.title] == ["Inbox"]
    files = [(c.filename, hostile_files[c.name].read_bytes(), "application/octet-stream") for c in UPLOADED]
    files += [(name, f"Report {n}: {BODY}\n".encode(), "text/plain") for n, name in enumerate(NAMES)]
    at.file_uploader[0].set_value(files).run()
    assert not at.exception, at.exception

    errors = [e.value for e in at.error]
    for case in UPLOADED:  # one error per bad file, naming it
        mine = [e for e in errors if e.startswith(f"{case.filename}: ")]
        assert len(mine) == 1, (case.filename, errors)
    assert len(errors) == len(UPLOADED), errors
    assert len(at.success) == len(NAMES)
    assert not list(tmp_path.rglob("PWNED*")) and not (tmp_path.parent / "escape.txt").exists()
    assert integrity_check(db) == []
    after = _snapshot(db)
    for table, rows in before.items():
        assert rows <= after[table], f"{table}: a row stored before the uploads changed"
    with open_store(db) as store:
        sources = {d["source"] for d in store.list_documents()}
    assert sources == {"earlier.txt", *NAMES}  # exact names; no bad file stored
    for case in UPLOADED:
        record_outcome("clear error (upload)", case=case.filename)
    for name in NAMES:
        record_outcome("stored under its exact name (upload)", case=name)
