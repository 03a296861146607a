"""Backup, restore and integrity checks of a SQLite store.

Both copies use SQLite's online backup API rather than copying files: it copies a consistent snapshot
page by page while other connections keep reading and writing, and it understands WAL (a plain
file copy of a WAL database can miss committed pages that are still in the -wal file)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from triage.errors import StoreError
from triage.store.connection import StoreConnection
from triage.store.db import is_postgres_url
from triage.store.schema import SCHEMA_VERSION


def integrity_check(path: str | Path) -> list[str]:
    """Problems `PRAGMA integrity_check` finds in the database at `path` (empty when it is sound)."""
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=30)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            rows += [f"foreign key violation in {r[0]}" for r in conn.execute("PRAGMA foreign_key_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database ({exc})"]
    return [] if rows == ["ok"] else [r for r in rows if r != "ok"]


def _copy_database(src: str | Path, dest: str | Path, *, read_only_source: bool) -> None:
    uri = f"file:{Path(src).resolve()}" + ("?mode=ro" if read_only_source else "")
    source = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        target = sqlite3.connect(str(dest), timeout=30)
        try:
            source.backup(target, pages=1024)  # in steps, so writers are never blocked for long
        finally:
            target.close()
    finally:
        source.close()


def backup_database(db: str | Path, out: str | Path, *, force: bool = False) -> dict[str, int]:
    """Copy the store at `db` to the single file `out`, consistently, while others may be writing.

    The copy is written beside `out` and renamed into place only after it passes an integrity check,
    so a failed backup never replaces a good one. Returns row counts of the copy."""
    _refuse_postgres(db, "backup", "pg_dump -Fc DBNAME > triage.dump")
    db, out = Path(db), Path(out)
    if not db.is_file():
        raise StoreError(f"no database at {db}; check --db")
    if out.exists() and not force:
        raise StoreError(f"{out} already exists; choose another name or pass --force to replace it")
    if out.resolve() == db.resolve():
        raise StoreError("the backup must go to a different file than the database")
    tmp = out.with_name(f".{out.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        _copy_database(db, tmp, read_only_source=False)
        conn = sqlite3.connect(str(tmp))
        try:
            # One self-contained file: no -wal beside it to forget when the backup is moved.
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
        problems = integrity_check(tmp)
        if problems:
            raise StoreError(f"the copy of {db} failed its integrity check ({problems[0]}); the database "
                             f"itself may be damaged: run `sqlite3 {db} 'PRAGMA integrity_check'`")
        counts = _counts(tmp)
        os.replace(tmp, out)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot back up {db}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return counts


def restore_database(backup: str | Path, db: str | Path, *, force: bool = False) -> dict[str, int]:
    """Bring the backup file back as the store at `db`, after checking that it is sound.

    Refuses to overwrite a database that holds documents or decisions unless `force` is given. The
    restore goes through the backup API into `db`, so readers that have it open see either the old or
    the restored contents, never a mix."""
    _refuse_postgres(db, "restore", "pg_restore --clean -d DBNAME triage.dump")
    backup, db = Path(backup), Path(db)
    if not backup.is_file():
        raise StoreError(f"no backup file at {backup}")
    problems = integrity_check(backup)
    if problems:
        raise StoreError(f"{backup} is not a sound triage backup ({problems[0]}); nothing was changed")
    counts = _counts(backup)
    if db.exists() and not force:
        damage = integrity_check(db)
        if damage:
            raise StoreError(f"{db} exists and is damaged ({damage[0]}); pass --force to replace it with the backup")
        existing = _counts(db)
        if any(existing.values()):
            raise StoreError(f"{db} already holds data ({_describe(existing)}); pass --force to replace it "
                             "with the backup (make a backup of it first)")
    try:
        _copy_database(backup, db, read_only_source=True)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot restore {backup} into {db}: {exc}") from exc
    StoreConnection(db).close()  # back in WAL mode, schema checked
    return counts


def _refuse_postgres(db: str | Path, what: str, instead: str) -> None:
    if is_postgres_url(str(db)):
        raise StoreError(f"triage {what} works on SQLite stores only; for a PostgreSQL store use PostgreSQL's "
                         f"own tools, e.g. `{instead}`")


def _counts(path: str | Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=30)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > SCHEMA_VERSION:
            raise StoreError(f"{path} was written by a newer triage (schema {version}); upgrade triage")
        if tables and not {"documents", "reviews"} <= tables:
            raise StoreError(f"{path} is a SQLite database but not a triage store (tables: {sorted(tables)})")
        return {t: (conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] if t in tables else 0)
                for t in ("documents", "passages", "flags", "reviews")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {t}" for t, n in counts.items())
