"""Nothing lost: SIGKILL a real writer process at random moments, then check the database.

After every kill: `PRAGMA integrity_check` is ok, every decision the writer saw committed is there,
and every stored document is whole (its passages, predictions and flags all present). Backups taken
while a writer runs are consistent copies, and restore refuses what it should.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from triage.errors import StoreError
from triage.store import backup_database, integrity_check, open_store, restore_database

ROOT = Path(__file__).resolve().parents[1]
KILLS = 25


def _start_writer(db: Path, seed: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.durability.writer", str(db), str(seed)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)


def _committed(lines: list[str]) -> tuple[set[str], set[int]]:
    docs = {line.split()[1] for line in lines if line.startswith("doc ")}
    reviews = {int(line.split()[1]) for line in lines if line.startswith("review ")}
    return docs, reviews


def _check_whole(db: Path, docs: set[str], reviews: set[int]) -> None:
    assert integrity_check(db) == []
    conn = sqlite3.connect(db)
    try:
        stored = {r[0]: r[1] for r in conn.execute("SELECT id, metadata FROM documents")}
        assert docs <= set(stored), "a document the writer saw committed is missing"
        for doc_id, meta in stored.items():
            import json

            expected = int(json.loads(meta)["expected_passages"])
            for table, sql in (("passages", "SELECT COUNT(*) FROM passages WHERE doc_id = ?"),
                               ("flags", "SELECT COUNT(*) FROM flags WHERE doc_id = ?"),
                               ("predictions", "SELECT COUNT(*) FROM predictions pr JOIN passages p"
                                               " ON p.id = pr.passage_id WHERE p.doc_id = ?")):
                assert conn.execute(sql, (doc_id,)).fetchone()[0] == expected, f"half a document: {table}"
        have = {r[0] for r in conn.execute("SELECT id FROM reviews")}
        assert reviews <= have, f"committed decisions lost: {sorted(reviews - have)[:5]}"
        orphans = conn.execute("SELECT COUNT(*) FROM passages WHERE doc_id NOT IN (SELECT id FROM documents)")
        assert orphans.fetchone()[0] == 0
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_commit(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    rng = random.Random(7)
    all_docs: set[str] = set()
    all_reviews: set[int] = set()
    for round_ in range(KILLS):
        writer = _start_writer(db, seed=round_ * 1000)
        assert writer.stdout is not None
        lines = [writer.stdout.readline()]  # the writer is up and has committed once
        time.sleep(rng.uniform(0.0, 0.4))  # then die anywhere: mid-transaction, mid-checkpoint, idle
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        docs, reviews = _committed(lines + out.splitlines())
        all_docs |= docs
        all_reviews |= reviews
        _check_whole(db, all_docs, all_reviews)
    assert len(all_reviews) > KILLS  # the test did kill a busy writer, repeatedly
    with open_store(db) as store:  # and the store opens and takes writes again
        flag = store.conn.execute("SELECT id FROM flags LIMIT 1").fetchone()[0]
        assert store.add_review(flag, "accept", "after-crash").reviewer == "after-crash"


@pytest.mark.slow
def test_backup_while_a_writer_runs_is_consistent_and_restores(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    writer = _start_writer(db, seed=5)
    assert writer.stdout is not None
    seen: list[str] = []
    try:
        for n in range(3):
            while len([s for s in seen if s.startswith("review")]) < 5 * (n + 1):
                seen.append(writer.stdout.readline())
                assert seen[-1], f"the writer died (exit {writer.wait()})"  # EOF: waiting on would hang
            docs, reviews = _committed(seen)  # committed before the backup started
            out = tmp_path / f"backup-{n}.db"
            counts = backup_database(db, out)
            assert not Path(f"{out}-wal").exists()  # one self-contained file
            _check_whole(out, docs, reviews)
            assert counts["reviews"] >= len(reviews) and counts["documents"] >= len(docs)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.communicate(timeout=30)
    backup = tmp_path / "backup-2.db"
    with pytest.raises(StoreError, match="already exists"):
        backup_database(db, backup)
    with pytest.raises(StoreError, match="already holds data"):
        restore_database(backup, db)
    restored = tmp_path / "restored.db"
    assert restore_database(backup, restored) == backup_database(restored, tmp_path / "again.db")
    restore_database(backup, db, force=True)
    assert integrity_check(db) == []
    with open_store(db) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert len(store.reviews()) == restore_database(backup, tmp_path / "r2.db")["reviews"]


def test_restore_refuses_a_damaged_or_foreign_file(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    with open_store(good):
        pass
    damaged = tmp_path / "damaged.db"
    data = bytearray(good.read_bytes())
    data[100:4000] = os.urandom(3900)  # header intact, schema page scrambled
    damaged.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="not a sound triage backup"):
        restore_database(damaged, tmp_path / "x.db")
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 100)
    with pytest.raises(StoreError, match="not a sound triage backup"):
        restore_database(text, tmp_path / "x.db")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a triage store"):
        restore_database(other, tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()  # nothing was created by a refused restore
    with pytest.raises(StoreError, match="no backup file"):
        restore_database(tmp_path / "missing.db", tmp_path / "x.db")


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    with open_store(db) as store:
        store.conn.execute("INSERT INTO documents (id, source, text, added_at) VALUES ('d', 's', 't', 'now')")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=120, env={**os.environ, "TRIAGE_DB": str(db)})

    out = tmp_path / "b.db"
    done = run("backup", "--out", str(out))
    assert done.returncode == 0 and "integrity ok" in done.stdout and "1 documents" in done.stdout
    again = run("backup", "--out", str(out))
    assert again.returncode == 1 and again.stderr.startswith("Error:") and "--force" in again.stderr
    refused = run("restore", str(out))
    assert refused.returncode == 1 and "already holds data" in refused.stderr
    assert run("restore", str(out), "--db", str(tmp_path / "new.db")).returncode == 0
    with open_store(tmp_path / "new.db") as store:
        assert [d["id"] for d in store.list_documents()] == ["d"]
