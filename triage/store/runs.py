"""Batch runs and the per-file failures they record."""

from __future__ import annotations

import json
from typing import Any

from triage.store.connection import StoreConnection
from triage.store.db import POSTGRES
from triage.store.schema import now


class RunRows(StoreConnection):
    """Batch runs (one 'running' at a time per SQLite store) and their failures."""

    def start_run(self, options: dict[str, Any]) -> int:
        """Record a new batch run; runs left 'running' by a killed process become 'interrupted'.

        Only call this while holding the batch lock, or a live run would be marked interrupted."""
        with self.transaction() as c:
            # On PostgreSQL several runs may share the store: a run is dead only when its lock is free.
            live = self.conn.live_run_ids() if self.dialect == POSTGRES else []
            c.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'"
                      + "".join(f" AND id != {int(i)}" for i in live))
            cur = c.execute("INSERT INTO runs (started_at, options) VALUES (?, ?)", (now(), json.dumps(options)))
            if self.dialect == POSTGRES:
                self.conn.hold_run(int(cur.lastrowid))  # before COMMIT, so no other run sees it unlocked
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any], report: dict[str, Any]) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET ended_at = ?, status = ?, counts = ?, report = ? WHERE id = ?",
                      (now(), status, json.dumps(counts), json.dumps(report), run_id))
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
                      " VALUES (?,?,?,?,?,?)", (run_id, source, content_sha256, kind, reason, now()))

    def resolve_failures(self, content_sha256: str) -> None:
        """Mark a content's earlier failures resolved (it has now been processed)."""
        with self.transaction() as c:
            c.execute("UPDATE failures SET resolved_at = ? WHERE content_sha256 = ? AND resolved_at IS NULL",
                      (now(), content_sha256))

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
