"""The queries the inbox, the queue, exports, trends and briefs read."""

from __future__ import annotations

import json
from typing import Any

from triage.errors import StoreError
from triage.store.reviews import REVIEWED_FLAGS_SQL, ReviewRows
from triage.store.schema import INBOX_ORDER, WITHDRAWN, Review
from triage.types import Entity


class InboxQueries(ReviewRows):
    """Read-only views over documents, flags and decisions (plus the filing dates the inbox filters on)."""

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
            d["review"] = None if r["r_id"] is None or r["r_decision"] == WITHDRAWN else Review(
                r["r_id"], r["r_flag_id"], r["r_decision"], r["r_note"], r["r_reviewer"], r["r_decided_at"],
                r["r_model_version"], tuple(json.loads(r["r_labels"])), tuple(json.loads(r["r_indicators"])))
            out.append(d)
        return out

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
        """Store each document's filing date (ISO), as worked out by triage/review/queue.py (date_documents)
        from the text and metadata with triage/read/dates.py."""
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
        """The inbox in SQL: (number of matching documents, one page of them in INBOX_ORDER), each row with
        its counts, flagged labels, `strengths` (each flagged factor's strongest score), country codes and
        filing date. Only the page's rows are read in full; dates must be stored first (set_document_dates)."""
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
        reviewed = REVIEWED_FLAGS_SQL  # an undone decision leaves its flag unreviewed
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
        # Rank through the covering index first (it orders by risk; only documents of equal rank are sorted
        # further), then read only the chosen page's rows.
        ids = [r[0] for r in self.conn.execute(
            f"SELECT d.id FROM documents d LEFT JOIN doc_dates x ON x.doc_id = d.id WHERE {cond}"
            f" ORDER BY {INBOX_ORDER} LIMIT ? OFFSET ?",
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
                rows[r["id"]] = {**dict(r), "labels": [], "strengths": {}, "countries": []}
            for r in self.conn.execute(  # one grouped read for the page, not one per row
                    f"SELECT doc_id, label, MAX(score) FROM flags WHERE doc_id IN ({marks})"
                    " GROUP BY doc_id, label ORDER BY label", chunk):
                rows[r[0]]["labels"].append(r[1])
                rows[r[0]]["strengths"][r[1]] = float(r[2])
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
            if r["decision"] == WITHDRAWN:  # undone: the flag is unreviewed again
                r.update(decision=None, reviewer=None, note=None)
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
