"""The store (SQLite; PostgreSQL by URL through triage/db.py): documents, passages, entities, predictions,
flags and reviewers' decisions. WAL mode and one transaction per document, so a crash never
leaves half a document, and re-storing a document never duplicates it or touches its reviews."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.store.db import POSTGRES, is_postgres_url
from triage.errors import ReviewConflictError, StoreError
from triage.types import Document, Entity, Passage

if TYPE_CHECKING:
    from triage.analyse.pipeline import ScanResult

SCHEMA_VERSION = 3  # 2: passages.lang; 3: passages.ner
DECISIONS = ("accept", "reject", "relabel")

_SCHEMA = """
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
-- The date each document is filed under (triage/queue.py reads it from the text), kept so the inbox can
-- filter by date in SQL; computed once per document, dropped with it.
CREATE TABLE IF NOT EXISTS doc_dates (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE, date TEXT NOT NULL
);
"""


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """A connection to one SQLite database file, or to a PostgreSQL database given by URL (triage/db.py)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.dialect = "sqlite"
        # sqlite3.Connection, or db.PgConnection, which offers the same calls and translates the SQL.
        self.conn: Any
        if is_postgres_url(self.path):
            from triage.store.db import connect_postgres, redact_url

            self.conn = connect_postgres(self.path, _SCHEMA, SCHEMA_VERSION)
            self.dialect, self.path = POSTGRES, redact_url(self.path)
            for table, column, definition in _ADDED_COLUMNS:
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
            self.conn.executescript(_SCHEMA)
            _add_missing_columns(self.conn)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
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

    # -- writing ---------------------------------------------------------------------------
    def save_result(self, result: ScanResult) -> None:
        """Store a processed document, replacing any earlier results for it (its reviews stay)."""
        doc = result.document
        c = self.conn
        with self.transaction():
            c.execute("DELETE FROM documents WHERE id = ?", (doc.id,))
            c.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
                (doc.id, doc.source, doc.title, doc.media_type, len(doc.pages), doc.text,
                 json.dumps(dict(doc.metadata)), result.risk, result.model_version, _now()),
            )
            if doc.footnotes or doc.tables or doc.word_boxes:
                c.execute(
                    "INSERT INTO layout VALUES (?,?,?,?)",
                    (doc.id, json.dumps([f.to_dict() for f in doc.footnotes]),
                     json.dumps([t.to_dict() for t in doc.tables]), doc.word_boxes),
                )
            c.executemany(
                "INSERT INTO pages VALUES (?,?,?,?,?,?)",
                [(doc.id, p.number, p.start, p.end, int(p.ocr), int(p.needs_ocr)) for p in doc.pages],
            )
            c.executemany(
                'INSERT INTO passages (id, doc_id, start, "end", page, text, lang, ner) VALUES (?,?,?,?,?,?,?,?)',
                [(p.id, p.doc_id, p.start, p.end, p.page, p.text, p.lang, int(p.id not in result.untagged))
                 for p in result.passages],
            )
            c.executemany(
                "INSERT INTO entities VALUES (?,?,?,?,?,?)",
                [(p.id, e.text, e.label, e.start, e.end, e.norm) for p in result.passages for e in p.entities],
            )
            c.executemany(
                "INSERT INTO predictions VALUES (?,?,?,?,?)",
                [
                    (pr.passage_id, pr.model_version, json.dumps(dict(pr.scores)), json.dumps(list(pr.labels)),
                     json.dumps([i.to_dict() for i in pr.indicators]))
                    for pr in result.predictions
                ],
            )
            c.executemany(
                "INSERT INTO flags VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (f.id, f.passage_id, doc.id, f.label, f.score, f.threshold, f.indicator,
                     json.dumps([cue.to_dict() for cue in f.cues]), f.model_version)
                    for f in result.flags
                ],
            )

    def add_review(
        self,
        flag_id: str,
        decision: str,
        reviewer: str,
        *,
        note: str = "",
        expected_last: int | None = None,
        labels: tuple[str, ...] | list[str] = (),
        indicators: tuple[str, ...] | list[str] = (),
    ) -> Review:
        """Record a decision. If `expected_last` is given (the id of the latest review the reviewer
        saw, or 0 for none) and someone has decided since, refuse instead of overwriting.

        "relabel" says the flagged label is wrong and `labels` (possibly empty) are the right ones."""
        if decision not in DECISIONS:
            raise StoreError(f"decision must be one of {DECISIONS}, got {decision!r}")
        if decision != "relabel" and labels:
            raise StoreError("labels can only be given with the decision 'relabel'")
        if not reviewer.strip():
            raise StoreError("a decision needs the reviewer's name")
        with self.transaction() as c:
            flag = c.execute("SELECT * FROM flags WHERE id = ?", (flag_id,)).fetchone()
            if flag is None:
                raise StoreError(f"no flag {flag_id!r} in {self.path}")
            last = c.execute("SELECT * FROM reviews WHERE flag_id = ? ORDER BY id DESC LIMIT 1", (flag_id,)).fetchone()
            if expected_last is not None and (last["id"] if last else 0) != expected_last:
                raise ReviewConflictError(
                    f"{last['reviewer']} already marked this flag '{last['decision']}' at {last['decided_at']}; "
                    "reload to see their decision before changing it"
                )
            cur = c.execute(
                "INSERT INTO reviews (flag_id, passage_id, doc_id, label, decision, note, reviewer, decided_at,"
                " model_version, labels, indicators) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (flag_id, flag["passage_id"], flag["doc_id"], flag["label"], decision, note, reviewer, _now(),
                 flag["model_version"], json.dumps(sorted(set(labels))), json.dumps(sorted(set(indicators)))),
            )
            row = c.execute("SELECT * FROM reviews WHERE id = ?", (cur.lastrowid,)).fetchone()
            # Same transaction as the decision, so the audit trail can never miss one.
            detail = decision + (f" -> {','.join(sorted(set(labels))) or 'none'}" if decision == "relabel" else "")
            c.execute("INSERT INTO audit (at, actor, action, target, detail, model_version) VALUES (?,?,?,?,?,?)",
                      (row["decided_at"], reviewer, "review", flag_id, detail + (f" ({note})" if note else ""),
                       flag["model_version"]))
        return _review(row)

    def add_unflagged_check(
        self, passage_id: str, reviewer: str, *, missed: tuple[str, ...] | list[str] = (), note: str = ""
    ) -> dict[str, Any]:
        """Record a reviewer's reading of a passage the model did not flag: the risk factors it missed
        (none if empty). Refuses a flagged passage, whose flags are reviewed one by one instead."""
        if not reviewer.strip():
            raise StoreError("a decision needs the reviewer's name")
        with self.transaction() as c:
            row = c.execute("SELECT p.doc_id, d.model_version FROM passages p JOIN documents d ON d.id = p.doc_id"
                            " WHERE p.id = ?", (passage_id,)).fetchone()
            if row is None:
                raise StoreError(f"no passage {passage_id!r} in {self.path}")
            if c.execute("SELECT 1 FROM flags WHERE passage_id = ?", (passage_id,)).fetchone():
                raise StoreError(f"passage {passage_id!r} is flagged; review its flags instead")
            missed_json = json.dumps(sorted(set(missed)))
            cur = c.execute(
                "INSERT INTO unflagged_checks (passage_id, doc_id, reviewer, decided_at, model_version, missed, note)"
                " VALUES (?,?,?,?,?,?,?)",
                (passage_id, row["doc_id"], reviewer, _now(), row["model_version"] or "", missed_json, note),
            )
            out = dict(c.execute("SELECT * FROM unflagged_checks WHERE id = ?", (cur.lastrowid,)).fetchone())
            c.execute("INSERT INTO audit (at, actor, action, target, detail, model_version) VALUES (?,?,?,?,?,?)",
                      (out["decided_at"], reviewer, "unflagged-check", passage_id,
                       "missed " + (",".join(sorted(set(missed))) or "nothing") + (f" ({note})" if note else ""),
                       out["model_version"]))
        out["missed"] = json.loads(out["missed"])
        return out

    def unflagged_checks(self, model_version: str | None = None) -> list[dict[str, Any]]:
        """The latest check of each checked unflagged passage (optionally only those left unflagged by one
        model version), with the passage text, oldest first."""
        rows = self.conn.execute(
            """SELECT u.*, p.text FROM unflagged_checks u JOIN passages p ON p.id = u.passage_id
               WHERE u.id = (SELECT MAX(u2.id) FROM unflagged_checks u2 WHERE u2.passage_id = u.passage_id)
                 AND (? IS NULL OR u.model_version = ?) ORDER BY u.id""",
            (model_version, model_version),
        ).fetchall()
        return [{**dict(r), "missed": json.loads(r["missed"])} for r in rows]

    # -- reading ---------------------------------------------------------------------------
    def has_document(self, doc_id: str, model_version: str | None = None) -> bool:
        """True if the document is stored (under that model version, if one is given)."""
        row = self.conn.execute("SELECT model_version FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row is not None and (model_version is None or row[0] == model_version)

    def list_documents(self) -> list[dict[str, Any]]:
        """Every document with its risk, flag and review counts, riskiest first."""
        rows = self.conn.execute(
            """SELECT d.id, d.source, d.title, d.page_count, d.risk, d.model_version, d.added_at,
                      (SELECT COUNT(*) FROM flags f WHERE f.doc_id = d.id) AS flags,
                      (SELECT COUNT(DISTINCT r.flag_id) FROM reviews r WHERE r.doc_id = d.id) AS reviewed
               FROM documents d ORDER BY d.risk DESC, d.added_at DESC"""
        ).fetchall()
        return [dict(r) for r in rows]

    def document(self, doc_id: str) -> Document:
        """A stored document with its pages, footnotes, tables and word boxes."""
        from triage.types import Footnote, Page, Table

        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise StoreError(f"no document {doc_id!r} in {self.path}")
        pages = tuple(
            Page(r["number"], r["start"], r["end"], bool(r["ocr"]), bool(r["needs_ocr"]))
            for r in self.conn.execute("SELECT * FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,))
        )
        layout = self.conn.execute("SELECT * FROM layout WHERE doc_id = ?", (doc_id,)).fetchone()
        return Document(
            id=row["id"], source=row["source"], text=row["text"], pages=pages, media_type=row["media_type"],
            title=row["title"] or "", metadata=tuple(sorted(json.loads(row["metadata"] or "{}").items())),
            footnotes=tuple(Footnote.from_dict(f) for f in json.loads(layout["footnotes"])) if layout else (),
            tables=tuple(Table.from_dict(t) for t in json.loads(layout["tables"])) if layout else (),
            word_boxes=bytes(layout["word_boxes"]) if layout else b"",
        )

    def passages(self, doc_id: str) -> list[Passage]:
        """A document's passages in reading order, with their entities."""
        ents: dict[str, list[Entity]] = {}
        for r in self.conn.execute(
            "SELECT e.* FROM entities e JOIN passages p ON p.id = e.passage_id WHERE p.doc_id = ? ORDER BY e.start",
            (doc_id,),
        ):
            ents.setdefault(r["passage_id"], []).append(Entity(r["text"], r["label"], r["start"], r["end"], r["norm"]))
        return [
            Passage(r["doc_id"], r["start"], r["end"], r["page"], r["text"], tuple(ents.get(r["id"], ())), r["lang"])
            for r in self.conn.execute("SELECT * FROM passages WHERE doc_id = ? ORDER BY start", (doc_id,))
        ]

    def untagged_ids(self, doc_id: str) -> set[str]:
        """A document's passages that have had only the gazetteer, not the NER."""
        return {r[0] for r in self.conn.execute("SELECT id FROM passages WHERE doc_id = ? AND ner = 0", (doc_id,))}

    def untagged_passages(self, *, flagged_only: bool = False, doc_ids: list[str] | None = None,
                          passage_ids: list[str] | None = None) -> list[Passage]:
        """Passages an export would show (same filters as `passage_rows`), or those of `passage_ids`, that have
        not had the NER."""
        where, args = ["p.ner = 0"], []
        for column, values in (("p.doc_id", doc_ids), ("p.id", passage_ids)):
            if values is not None and not values:
                return []  # PostgreSQL refuses an empty IN ()
            if values is not None:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                args += values
        if flagged_only:
            where.append("EXISTS (SELECT 1 FROM flags f WHERE f.passage_id = p.id)")
        return [Passage(r["doc_id"], r["start"], r["end"], r["page"], r["text"], (), r["lang"])
                for r in self.conn.execute(f"SELECT * FROM passages p WHERE {' AND '.join(where)}", args)]

    def save_entities(self, passages: Iterable[Passage]) -> int:
        """Replace these passages' entities with the ones they carry (from the NER) and mark them tagged."""
        passages = list(passages)
        with self.transaction() as c:
            for p in passages:
                c.execute("DELETE FROM entities WHERE passage_id = ?", (p.id,))
                c.executemany("INSERT INTO entities VALUES (?,?,?,?,?,?)",
                              [(p.id, e.text, e.label, e.start, e.end, e.norm) for e in p.entities])
                c.execute("UPDATE passages SET ner = 1 WHERE id = ?", (p.id,))
        return len(passages)

    def flags(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's flags, strongest first, each with its latest review (if any), in one query."""
        out = []
        for r in self.conn.execute(
            """SELECT f.*, r.id AS r_id, r.flag_id AS r_flag_id, r.decision AS r_decision, r.note AS r_note,
                      r.reviewer AS r_reviewer, r.decided_at AS r_decided_at, r.model_version AS r_model_version,
                      r.labels AS r_labels, r.indicators AS r_indicators
               FROM flags f LEFT JOIN (
                   SELECT *, ROW_NUMBER() OVER (PARTITION BY flag_id ORDER BY id DESC) AS newest
                   FROM reviews WHERE doc_id = ?) r ON r.flag_id = f.id AND r.newest = 1
               WHERE f.doc_id = ? ORDER BY f.score DESC""",
            (doc_id, doc_id),
        ):
            d = {k: r[k] for k in r.keys() if not k.startswith("r_")}
            d["cues"] = json.loads(d["cues"])
            d["review"] = None if r["r_id"] is None else Review(
                r["r_id"], r["r_flag_id"], r["r_decision"], r["r_note"], r["r_reviewer"], r["r_decided_at"],
                r["r_model_version"], tuple(json.loads(r["r_labels"])), tuple(json.loads(r["r_indicators"])))
            out.append(d)
        return out

    def scores(self, passage_id: str) -> dict[str, float]:
        """The latest stored scores of a passage."""
        row = self.conn.execute(
            "SELECT scores FROM predictions WHERE passage_id = ? ORDER BY rowid DESC LIMIT 1", (passage_id,)
        ).fetchone()
        return json.loads(row[0]) if row else {}

    def latest_review(self, flag_id: str) -> Review | None:
        row = self.conn.execute(
            "SELECT * FROM reviews WHERE flag_id = ? ORDER BY id DESC LIMIT 1", (flag_id,)
        ).fetchone()
        return _review(row) if row else None

    def passage_rows(self, *, flagged_only: bool = False, doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """One dict per passage for exports: document, page, text, latest scores and labels, entities,
        and every flag with its latest decision. Ordered by document risk, then reading order."""
        where, args = [], []
        if doc_ids is not None:
            where.append(f"p.doc_id IN ({','.join('?' * len(doc_ids))})")
            args += doc_ids
        if flagged_only:
            where.append("EXISTS (SELECT 1 FROM flags f WHERE f.passage_id = p.id)")
        sql = ("SELECT p.*, d.source, d.title, d.risk FROM passages p JOIN documents d ON d.id = p.doc_id"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.risk DESC, p.doc_id, p.start")
        rows = [dict(r) for r in self.conn.execute(sql, args)]
        ids = [r["id"] for r in rows]
        ents: dict[str, list[Entity]] = {}
        flags: dict[str, list[dict[str, Any]]] = {}
        preds: dict[str, dict[str, Any]] = {}
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(f"SELECT * FROM entities WHERE passage_id IN ({marks}) ORDER BY start", chunk):
                ents.setdefault(r["passage_id"], []).append(Entity(r["text"], r["label"], r["start"], r["end"], r["norm"]))
            for r in self.conn.execute(f"SELECT * FROM flags WHERE passage_id IN ({marks}) ORDER BY score DESC", chunk):
                flags.setdefault(r["passage_id"], []).append(dict(r))
            for r in self.conn.execute(f"SELECT * FROM predictions WHERE passage_id IN ({marks})", chunk):
                preds[r["passage_id"]] = {"scores": json.loads(r["scores"]), "labels": json.loads(r["labels"]),
                                          "model_version": r["model_version"]}
        for r in rows:
            r["entities"] = ents.get(r["id"], [])
            r["flags"] = [{**f, "review": self.latest_review(f["id"])} for f in flags.get(r["id"], [])]
            r.update(preds.get(r["id"], {"scores": {}, "labels": [], "model_version": ""}))
        return rows

    def reviews(self) -> list[Review]:
        """Every decision ever made, oldest first."""
        return [_review(r) for r in self.conn.execute("SELECT * FROM reviews ORDER BY id")]

    # -- batch runs and failures -----------------------------------------------------------
    def stored_versions(self) -> dict[str, str]:
        """Every stored document id with the model version its results came from."""
        return {r[0]: r[1] or "" for r in self.conn.execute("SELECT id, model_version FROM documents")}

    def start_run(self, options: dict[str, Any]) -> int:
        """Record a new batch run; runs left 'running' by a killed process become 'interrupted'.

        Only call this while holding the batch lock, or a live run would be marked interrupted."""
        with self.transaction() as c:
            # On PostgreSQL several runs may share the store: a run is dead only when its lock is free.
            live = self.conn.live_run_ids() if self.dialect == POSTGRES else []
            c.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'"
                      + "".join(f" AND id != {int(i)}" for i in live))
            cur = c.execute("INSERT INTO runs (started_at, options) VALUES (?, ?)", (_now(), json.dumps(options)))
            if self.dialect == POSTGRES:
                self.conn.hold_run(int(cur.lastrowid))  # before COMMIT, so no other run sees it unlocked
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any], report: dict[str, Any]) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET ended_at = ?, status = ?, counts = ?, report = ? WHERE id = ?",
                      (_now(), status, json.dumps(counts), json.dumps(report), run_id))
        if self.dialect == POSTGRES:
            self.conn.release_run(run_id)

    def runs(self) -> list[dict[str, Any]]:
        """Every batch run, newest first, with options, counts and report decoded."""
        out = []
        for r in self.conn.execute("SELECT * FROM runs ORDER BY id DESC"):
            d = dict(r)
            for key in ("options", "counts", "report"):
                d[key] = json.loads(d[key])
            out.append(d)
        return out

    def record_failure(self, run_id: int, source: str, content_sha256: str, kind: str, reason: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO failures (run_id, source, content_sha256, kind, reason, failed_at)"
                      " VALUES (?,?,?,?,?,?)", (run_id, source, content_sha256, kind, reason, _now()))

    def resolve_failures(self, content_sha256: str) -> None:
        """Mark a content's earlier failures resolved (it has now been processed)."""
        with self.transaction() as c:
            c.execute("UPDATE failures SET resolved_at = ? WHERE content_sha256 = ? AND resolved_at IS NULL",
                      (_now(), content_sha256))

    def failures(self, *, unresolved_only: bool = True, run_id: int | None = None) -> list[dict[str, Any]]:
        """Recorded per-file failures, oldest first (the latest per content when unresolved_only)."""
        where, args = [], []
        if unresolved_only:
            where.append("resolved_at IS NULL AND id IN (SELECT MAX(id) FROM failures GROUP BY content_sha256)")
        if run_id is not None:
            where.append("run_id = ?")
            args.append(run_id)
        sql = "SELECT * FROM failures" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [dict(r) for r in self.conn.execute(sql, args)]

    def integrity_check(self) -> str:
        """SQLite's own consistency check: 'ok' when the file is sound."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])
    def reviewed_passages(self) -> list[dict[str, Any]]:
        """Every stored passage with at least one decision: id, text, its latest predicted labels, and
        the latest decision on each of its flags (list of dicts: label, decision, labels, reviewer, decided_at)."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.conn.execute(
            """SELECT r.*, p.text FROM reviews r JOIN passages p ON p.id = r.passage_id
               WHERE r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.flag_id = r.flag_id)
               ORDER BY r.id"""
        ):
            rec = out.setdefault(r["passage_id"], {"id": r["passage_id"], "text": r["text"], "decisions": []})
            rec["decisions"].append({"label": r["label"], "decision": r["decision"], "labels": json.loads(r["labels"]),
                                     "reviewer": r["reviewer"], "decided_at": r["decided_at"]})
        for pid, rec in out.items():
            row = self.conn.execute(
                "SELECT labels FROM predictions WHERE passage_id = ? ORDER BY rowid DESC LIMIT 1", (pid,)
            ).fetchone()
            rec["predicted"] = json.loads(row[0]) if row else []
        return list(out.values())

    def uncertain_passages(self, thresholds: dict[str, float], n: int) -> list[dict[str, Any]]:
        """The n unreviewed passages whose score for some label is closest to that label's threshold
        (under the model that processed their document): where a reviewer's decision teaches most."""
        if self.dialect == POSTGRES:
            from triage.store.db import UNCERTAIN_PASSAGES_SQL

            return [dict(r) for r in self.conn.execute(UNCERTAIN_PASSAGES_SQL, (json.dumps(thresholds), n))]
        rows = self.conn.execute(
            """SELECT p.id, p.doc_id, p.page, p.text, d.source, s.key AS label, s.value AS score,
                      t.value AS threshold, MIN(ABS(s.value - t.value)) AS margin
               FROM predictions pr
               JOIN passages p ON p.id = pr.passage_id
               JOIN documents d ON d.id = p.doc_id AND d.model_version = pr.model_version,
                    json_each(pr.scores) s JOIN json_each(?) t ON t.key = s.key
               WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = p.id)
               GROUP BY p.id ORDER BY margin, p.id LIMIT ?""",
            (json.dumps(thresholds), n),
        ).fetchall()
        return [dict(r) for r in rows]

    def random_unflagged_passages(self, n: int) -> list[dict[str, Any]]:
        """A uniform random sample of n unchecked passages with no flag: checking them estimates the miss rate."""
        rows = self.conn.execute(
            """SELECT p.id, p.doc_id, p.page, p.text, d.source FROM passages p JOIN documents d ON d.id = p.doc_id
               WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE f.passage_id = p.id)
                 AND NOT EXISTS (SELECT 1 FROM unflagged_checks u WHERE u.passage_id = p.id)
               ORDER BY random() LIMIT ?""",
            (n,),
        ).fetchall()
        return [dict(r) for r in rows]


    # -- accounts and audit (hashing lives in auth.py; only SQL here) -------------------------------
    def add_user(self, name: str, role: str, password_hash: str) -> None:
        """Create an account; refuses a name that is taken."""
        try:
            with self.transaction() as c:
                c.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES (?,?,?,?)",
                          (name, role, password_hash, _now()))
                c.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
                          (_now(), "system", "user-add", name, role))
        except self.conn.IntegrityError as exc:  # sqlite3's or psycopg's, whichever the store uses
            raise StoreError(f"there is already an account named {name!r}") from exc

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self.transaction() as c:
            if c.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)).rowcount == 0:
                raise StoreError(f"no account named {name!r}")

    def user(self, name: str) -> dict[str, Any] | None:
        """An account as a dict (name, role, password_hash, created_at, active), or None."""
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def users(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT name, role, created_at, active FROM users ORDER BY name")]

    def log(self, actor: str, action: str, *, target: str = "", detail: str = "", model_version: str = "") -> None:
        """Append one line to the audit trail."""
        self.conn.execute("INSERT INTO audit (at, actor, action, target, detail, model_version) VALUES (?,?,?,?,?,?)",
                          (_now(), actor, action, target, detail, model_version))

    def audit_times(self, action: str, *, since: str, actor: str | None = None, detail: str | None = None
                    ) -> list[str]:
        """When `action` was logged after `since` (ISO time), newest first; by one actor and/or detail."""
        sql = "SELECT at FROM audit WHERE action = ? AND at > ?"
        args: list[Any] = [action, since]
        for column, value in (("actor", actor), ("detail", detail)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        return [r[0] for r in self.conn.execute(sql + " ORDER BY at DESC", args)]

    def audit_log(self, *, limit: int = 1000, actor: str | None = None) -> list[dict[str, Any]]:
        """The latest audit lines, newest first."""
        sql = "SELECT * FROM audit" + (" WHERE actor = ?" if actor else "") + " ORDER BY id DESC LIMIT ?"
        return [dict(r) for r in self.conn.execute(sql, (*([actor] if actor else []), limit))]

    def save_source(self, doc_id: str, data: bytes) -> None:
        """Keep the original file of a stored document (replacing any earlier copy)."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", (doc_id, data))

    def source_bytes(self, doc_id: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM sources WHERE doc_id = ?", (doc_id,)).fetchone()
        return bytes(row[0]) if row else None

    # -- views for the review UI ----------------------------------------------------------------
    def undated_documents(self) -> list[dict[str, Any]]:
        """Documents without a stored filing date: id, PDF creation date, when added, and the text's head."""
        # Ids first, from the two primary-key indexes: testing every row in place would read every text.
        ids = [r[0] for r in self.conn.execute(
            "SELECT id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM doc_dates x WHERE x.doc_id = d.id)")]
        out = []
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            out += [{"id": r[0], "creation_date": json.loads(r[1] or "{}").get("CreationDate", ""),
                     "added_at": r[2], "head": r[3]}
                    for r in self.conn.execute("SELECT id, metadata, added_at, substr(text, 1, 1500) FROM documents"
                                               f" WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
        return out

    def set_document_dates(self, dates: dict[str, str]) -> None:
        """Store each document's filing date (ISO), as computed by triage/queue.py."""
        if dates:
            with self.transaction() as c:
                c.executemany("INSERT OR REPLACE INTO doc_dates VALUES (?, ?)", list(dates.items()))

    def place_codes(self) -> list[str]:
        """Every country code some document names, sorted (read from an index, not the documents)."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT norm FROM entities WHERE label = 'GPE' AND norm != '' ORDER BY norm")]

    def queue_page(
        self,
        *,
        labels: tuple[str, ...] = (),
        countries: tuple[str, ...] = (),
        date_from: str | None = None,
        date_to: str | None = None,
        review_state: str = "any",
        min_risk: float = 0.0,
        max_risk: float = 1.0,
        text: str = "",
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:
        """The inbox in SQL: (number of matching documents, one page of them riskiest first), each row with
        its counts, flagged labels, country codes and filing date. Only the page's rows are read in full;
        dates must be stored first (set_document_dates)."""
        where, args = ["COALESCE(d.risk, 0) BETWEEN ? AND ?"], [min_risk, max_risk]
        if labels:
            where.append(f"d.id IN (SELECT doc_id FROM flags WHERE label IN ({','.join('?' * len(labels))}))")
            args += labels
        if countries:
            where.append("d.id IN (SELECT p.doc_id FROM entities e JOIN passages p ON p.id = e.passage_id"
                         f" WHERE e.label = 'GPE' AND e.norm IN ({','.join('?' * len(countries))}))")
            args += countries
        if date_from or date_to:
            where.append("d.id IN (SELECT doc_id FROM doc_dates WHERE date BETWEEN ? AND ?)")
            args += [date_from or "0000", date_to or "9999"]
        reviewed = "(SELECT COUNT(DISTINCT r.flag_id) FROM reviews r WHERE r.doc_id = d.id)"
        flagged = "(SELECT COUNT(*) FROM flags f WHERE f.doc_id = d.id)"
        state = {"unreviewed": f"{reviewed} = 0", "partly reviewed": f"{reviewed} BETWEEN 1 AND {flagged} - 1",
                 "fully reviewed": f"{reviewed} > 0 AND {reviewed} >= {flagged}"}
        if review_state != "any":
            if review_state not in state:
                raise StoreError(f"review state must be 'any' or one of {sorted(state)}, got {review_state!r}")
            where.append(state[review_state])
        if text:
            where.append("instr(lower(d.text), lower(?)) > 0")
            args.append(text)
        cond = " AND ".join(where)
        total = self.conn.execute(f"SELECT COUNT(*) FROM documents d WHERE {cond}", args).fetchone()[0]
        # Rank through the covering index first, then read only the chosen page's rows.
        ids = [r[0] for r in self.conn.execute(
            f"SELECT d.id FROM documents d WHERE {cond} ORDER BY d.risk DESC, d.added_at DESC LIMIT ? OFFSET ?",
            [*args, 2**62 if limit is None else limit, offset])]  # "no limit" that PostgreSQL accepts too
        if not ids:
            return total, []
        rows: dict[str, dict[str, Any]] = {}
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                f"""SELECT d.id, d.source, d.title, d.page_count, d.risk, d.model_version, d.added_at,
                           x.date, {flagged} AS flags, {reviewed} AS reviewed
                    FROM documents d LEFT JOIN doc_dates x ON x.doc_id = d.id WHERE d.id IN ({marks})""", chunk):
                rows[r["id"]] = {**dict(r), "labels": [], "countries": []}
            for r in self.conn.execute(
                    f"SELECT DISTINCT doc_id, label FROM flags WHERE doc_id IN ({marks}) ORDER BY label", chunk):
                rows[r[0]]["labels"].append(r[1])
            for r in self.conn.execute(
                # Through the page's passages: left alone, SQLite starts at every GPE entity in the store.
                f"""SELECT DISTINCT p.doc_id, e.norm FROM passages p
                    CROSS JOIN entities e INDEXED BY entities_passage ON e.passage_id = p.id
                    WHERE p.doc_id IN ({marks}) AND e.label = 'GPE' AND e.norm != '' ORDER BY e.norm""", chunk):
                rows[r[0]]["countries"].append(r[1])
        return total, [rows[i] for i in ids]

    def search_documents(self, query: str) -> set[str]:
        """Ids of documents whose text contains `query` (case-insensitive)."""
        return {r[0] for r in self.conn.execute("SELECT id FROM documents WHERE instr(lower(text), lower(?)) > 0",
                                                (query,))}

    def flag_rows(self) -> list[dict[str, Any]]:
        """Every flag with its document's date fields, page, passage text and latest decision (for queues,
        trends and briefs)."""
        rows = [dict(r) for r in self.conn.execute(
            """SELECT f.id, f.passage_id, f.doc_id, f.label, f.score, f.threshold, f.indicator, f.model_version,
                      p.page, p.text, p.start, d.source, d.title, d.added_at, d.metadata,
                      substr(d.text, 1, 1500) AS head,
                      (SELECT decision FROM reviews r WHERE r.flag_id = f.id ORDER BY r.id DESC LIMIT 1) AS decision,
                      (SELECT reviewer FROM reviews r WHERE r.flag_id = f.id ORDER BY r.id DESC LIMIT 1) AS reviewer,
                      (SELECT note FROM reviews r WHERE r.flag_id = f.id ORDER BY r.id DESC LIMIT 1) AS note
               FROM flags f JOIN passages p ON p.id = f.passage_id JOIN documents d ON d.id = f.doc_id""")]
        countries: dict[str, set[str]] = {}
        for r in self.conn.execute("SELECT passage_id, norm FROM entities WHERE label = 'GPE' AND norm != ''"):
            countries.setdefault(r[0], set()).add(r[1])
        doc_countries: dict[str, set[str]] = {}  # every place the document names, flagged passage or not
        for r in self.conn.execute("SELECT DISTINCT p.doc_id, e.norm FROM entities e JOIN passages p ON p.id ="
                                   " e.passage_id WHERE e.label = 'GPE' AND e.norm != ''"):
            doc_countries.setdefault(r[0], set()).add(r[1])
        for r in rows:
            r["creation_date"] = json.loads(r.pop("metadata") or "{}").get("CreationDate", "")
            r["countries"] = sorted(countries.get(r["passage_id"], ()))
            r["doc_countries"] = sorted(doc_countries.get(r["doc_id"], ()))
        return rows

    def unflagged_passages(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """A reproducible random sample of unchecked passages with no flag, to check what the model missed."""
        rows = [dict(r) for r in self.conn.execute(
            "SELECT p.id, p.doc_id, p.page, p.text, d.source FROM passages p JOIN documents d ON d.id = p.doc_id"
            " WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE f.passage_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM unflagged_checks u WHERE u.passage_id = p.id) ORDER BY p.id")]
        import random

        return random.Random(seed).sample(rows, min(n, len(rows)))


# Columns added after a table was first shipped: (table, column, definition). A store made by an earlier
# schema gets them on open (ALTER TABLE ADD COLUMN keeps every row; old rows take the default).
_ADDED_COLUMNS = (
    ("passages", "lang", "TEXT NOT NULL DEFAULT ''"),
    # 1: the statistical NER ran on the passage; 0: only the gazetteer did (config entity_scope "flagged").
    # Stores written before this column had the NER everywhere, hence the default.
    ("passages", "ner", "INTEGER NOT NULL DEFAULT 1"),
)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, definition in _ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def _review(row: sqlite3.Row) -> Review:
    return Review(row["id"], row["flag_id"], row["decision"], row["note"], row["reviewer"],
                  row["decided_at"], row["model_version"], tuple(json.loads(row["labels"])),
                  tuple(json.loads(row["indicators"])))


def open_store(path: str | Path) -> Store:
    """Open (creating if needed) the SQLite store at `path`."""
    return Store(path)


# -- backup and restore ----------------------------------------------------------------------
# Both use SQLite's online backup API rather than copying files: it copies a consistent snapshot
# page by page while other connections keep reading and writing, and it understands WAL (a plain
# file copy of a WAL database can miss committed pages that are still in the -wal file).


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
    Store(db).close()  # back in WAL mode, schema checked
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
