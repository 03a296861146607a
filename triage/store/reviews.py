"""Reviewers' decisions (accept, reject, relabel), checks of unflagged passages, and what training reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from triage.errors import ReviewConflictError, StoreError
from triage.store.connection import StoreConnection
from triage.store.db import POSTGRES
from triage.store.schema import DECISIONS, STANDING_REVIEW, WITHDRAWN, Review, now, review_from_row

# The flags of document `d` whose latest review stands (is not a withdrawal), for counts in SQL.
REVIEWED_FLAGS_SQL = f"(SELECT COUNT(*) FROM reviews r WHERE r.doc_id = d.id AND {STANDING_REVIEW})"


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """One decision taken back: the row written for it, and the earlier decision it restored (None: the flag
    is undecided again)."""

    withdrawn: int
    written: Review
    restored: int | None


class ReviewRows(StoreConnection):
    """Decisions on flags and passages; each is written in the same transaction as its audit line."""

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
        expected = None if expected_last is None else {flag_id: expected_last}
        return self._decide([flag_id], decision, reviewer, note=note, expected_last=expected, labels=labels,
                            indicators=indicators, bulk=False)[0]

    def add_reviews(
        self,
        flag_ids: list[str] | tuple[str, ...],
        decision: str,
        reviewer: str,
        *,
        note: str = "",
        expected_last: dict[str, int] | None = None,
        labels: tuple[str, ...] | list[str] = (),
        indicators: tuple[str, ...] | list[str] = (),
    ) -> list[Review]:
        """One decision on several flags (a passage's, or a reviewer's selection) in one transaction: each flag
        gets its own review row and audit line, with the same reviewer, note and time. If any flag is unknown,
        or was decided since the reviewer saw it (`expected_last`: flag id -> latest review id seen, 0 for
        none), nothing is written."""
        return self._decide(flag_ids, decision, reviewer, note=note, expected_last=expected_last, labels=labels,
                            indicators=indicators, bulk=True)

    def _decide(self, flag_ids: list[str] | tuple[str, ...], decision: str, reviewer: str, *, note: str,
                expected_last: dict[str, int] | None, labels: tuple[str, ...] | list[str],
                indicators: tuple[str, ...] | list[str], bulk: bool) -> list[Review]:
        if decision not in DECISIONS:
            raise StoreError(f"decision must be one of {DECISIONS}, got {decision!r}")
        if decision != "relabel" and labels:
            raise StoreError("labels can only be given with the decision 'relabel'")
        if not reviewer.strip():
            raise StoreError("a decision needs the reviewer's name")
        ids = list(dict.fromkeys(flag_ids))  # a flag named twice is decided once
        if not ids:
            raise StoreError("no flag to decide on")
        at, out = now(), []
        with self.transaction() as c:
            for flag_id in ids:
                flag = c.execute("SELECT * FROM flags WHERE id = ?", (flag_id,)).fetchone()
                if flag is None:
                    raise StoreError(f"no flag {flag_id!r} in {self.path}")
                last = c.execute("SELECT * FROM reviews WHERE flag_id = ? ORDER BY id DESC LIMIT 1",
                                 (flag_id,)).fetchone()
                if expected_last is not None and flag_id in expected_last:
                    _check_unchanged(last, expected_last[flag_id])
                detail = decision + (f" -> {','.join(sorted(set(labels))) or 'none'}"
                                     if decision == "relabel" else "")
                if bulk:  # the trail says which lines were one action
                    detail += f" (one of {len(ids)} decided at once)"
                out.append(_write(c, flag_id, flag, decision, reviewer, at, note=note, labels=labels,
                                  indicators=indicators, action="review", detail=detail))
        return out

    def withdraw(self, review_ids: list[int] | tuple[int, ...], reviewer: str, *,
                 note: str = "") -> list[Withdrawal]:
        """Undo: take back these decisions of `reviewer` (one action's, single or bulk) in one transaction. Each
        flag returns to the decision it had before (written again as a new row), or, if it had none, gets a
        'withdrawn' row and counts as undecided. Refused, with nothing written, if a review is unknown, is
        someone else's, or is no longer the flag's latest (someone decided since)."""
        if not reviewer.strip():
            raise StoreError("an undo needs the reviewer's name")
        ids = list(dict.fromkeys(review_ids))
        if not ids:
            raise StoreError("no decision to undo")
        at, out = now(), []
        with self.transaction() as c:
            for rid in ids:
                row = c.execute("SELECT * FROM reviews WHERE id = ?", (rid,)).fetchone()
                if row is None:
                    raise StoreError(f"no review {rid!r} in {self.path}")
                if row["reviewer"] != reviewer:
                    raise StoreError(f"review {rid} is {row['reviewer']}'s: only they can take it back")
                if row["decision"] == WITHDRAWN:
                    raise StoreError(f"review {rid} is itself an undo")
                last = c.execute("SELECT * FROM reviews WHERE flag_id = ? ORDER BY id DESC LIMIT 1",
                                 (row["flag_id"],)).fetchone()
                if last["id"] != rid:
                    raise ReviewConflictError(f"{last['reviewer']} decided on flag {row['flag_id']} since "
                                              f"({last['decision']} at {last['decided_at']}); nothing was undone")
                fid = row["flag_id"]
                prev = c.execute("SELECT * FROM reviews WHERE flag_id = ? AND id < ? ORDER BY id DESC LIMIT 1",
                                 (fid, rid)).fetchone()
                flag = c.execute("SELECT * FROM flags WHERE id = ?", (fid,)).fetchone() or row
                if prev is None or prev["decision"] == WITHDRAWN:
                    written = _write(c, fid, flag, WITHDRAWN, reviewer, at, note=note, action="withdraw",
                                     detail=f"withdrew review {rid} ({row['decision']}): undecided again")
                    out.append(Withdrawal(rid, written, None))
                    continue
                # The flag had a decision before this one: it stands again, written anew under the undoer.
                written = _write(c, fid, flag, prev["decision"], reviewer, at, note=note or prev["note"],
                                 labels=json.loads(prev["labels"]), indicators=json.loads(prev["indicators"]),
                                 action="withdraw",
                                 detail=f"withdrew review {rid} ({row['decision']}): back to review {prev['id']} "
                                        f"({prev['decision']} by {prev['reviewer']})")
                out.append(Withdrawal(rid, written, prev["id"]))
        return out

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
                (passage_id, row["doc_id"], reviewer, now(), row["model_version"] or "", missed_json, note),
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

    def latest_review(self, flag_id: str) -> Review | None:
        """The flag's standing decision: None if it has none, or if its latest was withdrawn by an undo."""
        row = self.conn.execute(
            "SELECT * FROM reviews WHERE flag_id = ? ORDER BY id DESC LIMIT 1", (flag_id,)
        ).fetchone()
        return review_from_row(row) if row and row["decision"] != WITHDRAWN else None

    def reviews(self) -> list[Review]:
        """Every decision ever made, oldest first, withdrawals (decision 'withdrawn') included."""
        return [review_from_row(r) for r in self.conn.execute("SELECT * FROM reviews ORDER BY id")]

    def scores(self, passage_id: str) -> dict[str, float]:
        """The latest stored scores of a passage."""
        row = self.conn.execute(
            "SELECT scores FROM predictions WHERE passage_id = ? ORDER BY rowid DESC LIMIT 1", (passage_id,)
        ).fetchone()
        return json.loads(row[0]) if row else {}

    def reviewed_passages(self) -> list[dict[str, Any]]:
        """Every stored passage with at least one decision: id, text, its latest predicted labels, and
        the latest decision on each of its flags (list of dicts: label, decision, labels, reviewer, decided_at)."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.conn.execute(
            f"""SELECT r.*, p.text FROM reviews r JOIN passages p ON p.id = r.passage_id
               WHERE {STANDING_REVIEW} ORDER BY r.id"""
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
            f"""SELECT p.id, p.doc_id, p.page, p.text, d.source, s.key AS label, s.value AS score,
                      t.value AS threshold, MIN(ABS(s.value - t.value)) AS margin
               FROM predictions pr
               JOIN passages p ON p.id = pr.passage_id
               JOIN documents d ON d.id = p.doc_id AND d.model_version = pr.model_version,
                    json_each(pr.scores) s JOIN json_each(?) t ON t.key = s.key
               WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = p.id AND {STANDING_REVIEW})
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


def _check_unchanged(last: Any, expected: int) -> None:
    """Refuse a decision on a flag decided since the reviewer saw it. A flag whose latest row is a withdrawal
    was seen undecided either as 0 or as that row's id."""
    seen = {last["id"] if last else 0} | ({0} if last and last["decision"] == WITHDRAWN else set())
    if expected not in seen:
        what = "withdrew a decision on this flag" if last["decision"] == WITHDRAWN else \
            f"already marked this flag '{last['decision']}'"
        raise ReviewConflictError(f"{last['reviewer']} {what} at {last['decided_at']}; "
                                  "reload to see their decision before changing it")


def _write(c: Any, flag_id: str, flag: Any, decision: str, reviewer: str, at: str, *, note: str, action: str,
           detail: str, labels: tuple[str, ...] | list[str] = (), indicators: tuple[str, ...] | list[str] = ()) -> Review:
    """Insert one review row and, in the same transaction, its audit line (so the trail can never miss one).
    `flag` is the flag's row, or an earlier review of it if the flag went with a re-run: both carry its
    passage, document, label and model version."""
    cur = c.execute(
        "INSERT INTO reviews (flag_id, passage_id, doc_id, label, decision, note, reviewer, decided_at,"
        " model_version, labels, indicators) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (flag_id, flag["passage_id"], flag["doc_id"], flag["label"], decision, note, reviewer, at,
         flag["model_version"], json.dumps(sorted(set(labels))), json.dumps(sorted(set(indicators)))),
    )
    row = c.execute("SELECT * FROM reviews WHERE id = ?", (cur.lastrowid,)).fetchone()
    c.execute("INSERT INTO audit (at, actor, action, target, detail, model_version) VALUES (?,?,?,?,?,?)",
              (at, reviewer, action, flag_id, detail + (f" ({note})" if note else ""), flag["model_version"]))
    return review_from_row(row)
