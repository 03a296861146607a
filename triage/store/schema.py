"""The store's tables, the columns added to them since, and how a stored row becomes one of our types."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from triage.analyse.flag import rank_from_strengths

# 2: passages.lang; 3: passages.ner; 4: documents.risk is the rank of triage/analyse/flag.py (document_risk),
# which no longer saturates at 1.0: recomputed from the stored flags when an older store is opened (migrate).
SCHEMA_VERSION = 4
RANK_VERSION = 4
DECISIONS = ("accept", "reject", "relabel")

SCHEMA = """
-- documents.risk: the document's rank (triage/analyse/flag.py: document_risk), written with the document and
-- recomputed from its flags only by `migrate`; reviews do not change it.
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, media_type TEXT, page_count INTEGER,
    text TEXT NOT NULL, metadata TEXT, risk REAL, model_version TEXT, added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, number INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, ocr INTEGER NOT NULL DEFAULT 0,
    needs_ocr INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (doc_id, number)
);
CREATE TABLE IF NOT EXISTS passages (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, page INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id, start);
CREATE TABLE IF NOT EXISTS entities (
    passage_id TEXT NOT NULL REFERENCES passages(id) ON DELETE CASCADE, text TEXT NOT NULL,
    label TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, norm TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS entities_passage ON entities(passage_id);
CREATE TABLE IF NOT EXISTS predictions (
    passage_id TEXT NOT NULL REFERENCES passages(id) ON DELETE CASCADE, model_version TEXT NOT NULL,
    scores TEXT NOT NULL, labels TEXT NOT NULL, indicators TEXT NOT NULL,
    PRIMARY KEY (passage_id, model_version)
);
CREATE TABLE IF NOT EXISTS flags (
    id TEXT PRIMARY KEY, passage_id TEXT NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL, label TEXT NOT NULL, score REAL NOT NULL, threshold REAL NOT NULL,
    indicator TEXT, cues TEXT NOT NULL, model_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS flags_doc ON flags(doc_id);
-- Reviews are kept apart from flags (no cascade): re-processing a document must never lose a decision.
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flag_id TEXT NOT NULL, passage_id TEXT NOT NULL,
    doc_id TEXT NOT NULL, label TEXT NOT NULL, decision TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL, decided_at TEXT NOT NULL, model_version TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '[]', indicators TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS reviews_flag ON reviews(flag_id, id);
-- Checks of passages the model did not flag, drawn at random (the "random unflagged" queue): `missed` lists
-- the risk factors the reviewer found (empty: nothing missed). Their share estimates the model's miss rate.
CREATE TABLE IF NOT EXISTS unflagged_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, passage_id TEXT NOT NULL, doc_id TEXT NOT NULL,
    reviewer TEXT NOT NULL, decided_at TEXT NOT NULL, model_version TEXT NOT NULL,
    missed TEXT NOT NULL DEFAULT '[]', note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS unflagged_checks_passage ON unflagged_checks(passage_id, id);
-- Batch runs and the files they could not process (triage/batch.py). A run killed before its end keeps
-- ended_at NULL; the next run marks it 'interrupted'. A failure is resolved when its content is stored.
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, ended_at TEXT,
    status TEXT NOT NULL DEFAULT 'running', options TEXT NOT NULL DEFAULT '{}',
    counts TEXT NOT NULL DEFAULT '{}', report TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, source TEXT NOT NULL,
    content_sha256 TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL, failed_at TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX IF NOT EXISTS failures_content ON failures(content_sha256);
-- Accounts: only an argon2 hash of each password is kept (triage/auth.py makes and checks it).
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
-- Append-only record of who did what, when, and which model version proposed the flag concerned.
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', model_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE INDEX IF NOT EXISTS audit_actor ON audit(actor, action, at);
-- Nothing the app runs may rewrite or remove a line: a change of the trail would hide who did what.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: lines cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: lines cannot be deleted'); END;
-- INSERT OR REPLACE deletes the old line without firing the delete trigger, so refuse a reused id too.
CREATE TRIGGER IF NOT EXISTS audit_no_replace BEFORE INSERT ON audit
WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: lines cannot be replaced'); END;
-- The uploaded file itself, so the UI can show the source page beside the extracted passage.
CREATE TABLE IF NOT EXISTS sources (doc_id TEXT PRIMARY KEY, data BLOB NOT NULL);
-- Footnotes, tables (JSON) and packed word boxes; a table of its own so databases from before it keep working.
CREATE TABLE IF NOT EXISTS layout (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    footnotes TEXT NOT NULL, tables TEXT NOT NULL, word_boxes BLOB NOT NULL
);
-- For the inbox over thousands of documents. documents_rank covers ranking and the risk range without
-- reading the rows (their text sits before risk, so a row read walks the whole text); the others serve
-- the country, label and review-state filters.
CREATE INDEX IF NOT EXISTS documents_rank ON documents(risk DESC, added_at DESC, id);
CREATE INDEX IF NOT EXISTS entities_place ON entities(label, norm, passage_id);
CREATE INDEX IF NOT EXISTS flags_label ON flags(label, doc_id);
CREATE INDEX IF NOT EXISTS reviews_doc ON reviews(doc_id, flag_id);
-- The date each document is filed under (triage/review/queue.py: date_documents, parsed by
-- triage/read/dates.py), kept so the inbox can filter and rank by date in SQL; computed once per document,
-- dropped with it.
CREATE TABLE IF NOT EXISTS doc_dates (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE, date TEXT NOT NULL
);
"""

# Written by undo, never chosen by a reviewer: the flag counts as undecided again. A decision is taken back by
# a new row, not by deleting one, so the reviews table and the audit trail keep every decision ever made.
WITHDRAWN = "withdrawn"
# A review row r that stands: the latest of its flag, and not a withdrawal (store/reviews.py: withdraw).
STANDING_REVIEW = (f"r.decision != '{WITHDRAWN}'"
                   " AND r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.flag_id = r.flag_id)")

# The inbox's order (documents d, their filing dates x): rank (documents.risk, triage/analyse/flag.py), then
# more flags (more passages for the same factors), then the later report, then the later arrival; the id
# only makes the order total. COALESCE: PostgreSQL puts NULLs first in a DESC sort, SQLite last.
INBOX_ORDER = ("d.risk DESC, (SELECT COUNT(*) FROM flags f WHERE f.doc_id = d.id) DESC,"
               " COALESCE(x.date, '') DESC, d.added_at DESC, d.id")


# Columns added after a table was first shipped: (table, column, definition). A store made by an earlier
# schema gets them on open (ALTER TABLE ADD COLUMN keeps every row; old rows take the default).
ADDED_COLUMNS = (
    ("passages", "lang", "TEXT NOT NULL DEFAULT ''"),
    # 1: the statistical NER ran on the passage; 0: only the gazetteer did (config entity_scope "flagged").
    # Stores written before this column had the NER everywhere, hence the default.
    ("passages", "ner", "INTEGER NOT NULL DEFAULT 1"),
)


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer's decision on one flag."""

    id: int
    flag_id: str
    decision: str
    note: str
    reviewer: str
    decided_at: str
    model_version: str
    labels: tuple[str, ...] = ()  # for "relabel": the risk factors the reviewer chose instead
    indicators: tuple[str, ...] = ()


def now() -> str:
    """The current UTC time as an ISO string to the second, as every table stores it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def add_missing_columns(conn: sqlite3.Connection) -> None:
    """Add to a SQLite store any of ADDED_COLUMNS it lacks, then bring its stored values up to this schema
    (`migrate`, in one transaction). Called on open before the store's user_version is raised."""
    for table, column, definition in ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            migrate(conn, found)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def migrate(conn: Any, found: int | None) -> None:
    """Rewrite what an older triage stored differently, for a store found at schema `found` (None: just
    created), inside the caller's transaction. SQLite (add_missing_columns) and PostgreSQL
    (db.connect_postgres) both run it, through the same sqlite3-style connection API."""
    if found is not None and found < RANK_VERSION:
        recompute_ranks(conn)


def recompute_ranks(conn: Any) -> int:
    """Set every document's risk to the current rank of its stored flags (0 without flags), with one
    grouped read of the flags; returns how many documents have flags. Idempotent."""
    strengths: dict[str, list[float]] = {}
    for r in conn.execute("SELECT doc_id, MAX(score) FROM flags GROUP BY doc_id, label"):
        strengths.setdefault(r[0], []).append(float(r[1]))
    conn.executemany("UPDATE documents SET risk = ? WHERE id = ?",
                     [(rank_from_strengths(v), doc_id) for doc_id, v in strengths.items()])
    conn.execute("UPDATE documents SET risk = 0 WHERE COALESCE(risk, 0) != 0"
                 " AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.doc_id = documents.id)")
    return len(strengths)


def review_from_row(row: sqlite3.Row) -> Review:
    """A row of the reviews table as a Review."""
    return Review(row["id"], row["flag_id"], row["decision"], row["note"], row["reviewer"],
                  row["decided_at"], row["model_version"], tuple(json.loads(row["labels"])),
                  tuple(json.loads(row["indicators"])))
