"""Writing a processed document and reading it back: text, pages, layout, passages, entities."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from triage.errors import StoreError
from triage.store.connection import StoreConnection
from triage.store.reviews import REVIEWED_FLAGS_SQL
from triage.store.schema import INBOX_ORDER, now
from triage.types import Document, Entity, Passage

if TYPE_CHECKING:
    from triage.analyse.pipeline import ScanResult


class DocumentRows(StoreConnection):
    """Documents and their passages, stored one transaction per document."""

    def save_result(self, result: ScanResult, *, source: bytes | None = None) -> None:
        """Store a processed document, replacing any earlier results for it (its reviews stay). A PDF's
        `source` bytes are kept with it, in the same transaction, so the UI can show the page beside a passage."""
        doc = result.document
        c = self.conn
        with self.transaction():
            if source is not None and doc.media_type == "application/pdf":
                c.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", (doc.id, source))
            c.execute("DELETE FROM documents WHERE id = ?", (doc.id,))
            c.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
                (doc.id, doc.source, doc.title, doc.media_type, len(doc.pages), doc.text,
                 json.dumps(dict(doc.metadata)), result.risk, result.model_version, now()),
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

    def has_document(self, doc_id: str, model_version: str | None = None) -> bool:
        """True if the document is stored (under that model version, if one is given)."""
        row = self.conn.execute("SELECT model_version FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row is not None and (model_version is None or row[0] == model_version)

    def list_documents(self) -> list[dict[str, Any]]:
        """Every document with its rank (risk), flag and review counts, in the inbox's order (INBOX_ORDER:
        rank, then flags, then filing date where one is stored, then arrival)."""
        rows = self.conn.execute(
            f"""SELECT d.id, d.source, d.title, d.page_count, d.risk, d.model_version, d.added_at,
                      (SELECT COUNT(*) FROM flags f WHERE f.doc_id = d.id) AS flags,
                      {REVIEWED_FLAGS_SQL} AS reviewed
               FROM documents d LEFT JOIN doc_dates x ON x.doc_id = d.id ORDER BY {INBOX_ORDER}"""
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

    def save_source(self, doc_id: str, data: bytes) -> None:
        """Keep the original file of a stored document (replacing any earlier copy)."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", (doc_id, data))

    def source_bytes(self, doc_id: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM sources WHERE doc_id = ?", (doc_id,)).fetchone()
        return bytes(row[0]) if row else None

    def stored_versions(self) -> dict[str, str]:
        """Every stored document id with the model version its results came from."""
        return {r[0]: r[1] or "" for r in self.conn.execute("SELECT id, model_version FROM documents")}
