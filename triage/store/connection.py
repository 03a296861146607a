"""One open store: the connection (SQLite file or PostgreSQL URL), its schema check, and transactions.
Every group of store methods (documents, reviews, inbox, runs, accounts) builds on this class."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from triage.errors import StoreError
from triage.store.db import POSTGRES, is_postgres_url
from triage.store.schema import ADDED_COLUMNS, SCHEMA, SCHEMA_VERSION, add_missing_columns


class StoreConnection:
    """A connection to one SQLite database file, or to a PostgreSQL database given by URL (triage/store/db.py)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.dialect = "sqlite"
        # sqlite3.Connection, or db.PgConnection, which offers the same calls and translates the SQL.
        self.conn: Any
        if is_postgres_url(self.path):
            from triage.store.db import connect_postgres, redact_url

            self.conn = connect_postgres(self.path, SCHEMA, SCHEMA_VERSION)
            self.dialect, self.path = POSTGRES, redact_url(self.path)
            for table, column, definition in ADDED_COLUMNS:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}")
            return
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} was written by a newer triage (schema {version}); upgrade triage")
            # Every statement is CREATE ... IF NOT EXISTS, so running the script again is harmless.
            self.conn.executescript(SCHEMA)
            add_missing_columns(self.conn)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def integrity_check(self) -> str:
        """SQLite's own consistency check: 'ok' when the file is sound."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])
