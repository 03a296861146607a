"""Exports analysts can open anywhere: one row per passage as CSV, Excel, JSONL or Parquet.

The CLI (`triage export`) and the UI's export button both call `export_rows` + `write_export`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import TriageError
from .framework import LABELS
from .store import Store
from .types import Entity

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
REDACTED = "[name withheld]"
REDACT_LABELS = frozenset({"PERSON"})
EXCEL_CELL_LIMIT = 32_000  # Excel refuses cells over 32,767 characters


def _redact(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Replace person names in `text` (right to left, so earlier offsets stay valid) and drop them."""
    for e in sorted((e for e in entities if e.label in REDACT_LABELS), key=lambda e: -e.start):
        text = text[: e.start] + REDACTED + text[e.end :]
    return text, [e for e in entities if e.label not in REDACT_LABELS]


def export_rows(
    store: Store, *, flagged_only: bool = False, doc_ids: list[str] | None = None, redact_people: bool = False
) -> list[dict[str, Any]]:
    """Flat rows: document, page, passage text, labels, all 14 scores, entities, decisions and notes."""
    out = []
    for r in store.passage_rows(flagged_only=flagged_only, doc_ids=doc_ids):
        text, ents = r["text"], list(r["entities"])
        if redact_people:
            text, ents = _redact(text, ents)
        decisions, notes = [], []
        for f in r["flags"]:
            rev = f["review"]
            if rev is None:
                decisions.append(f"{f['label']}: unreviewed")
                continue
            extra = f" -> {','.join(rev.labels) or 'none'}" if rev.decision == "relabel" else ""
            decisions.append(f"{f['label']}: {rev.decision}{extra} by {rev.reviewer} at {rev.decided_at}")
            if rev.note:
                notes.append(f"{f['label']}: {rev.note}")
        row: dict[str, Any] = {
            "document_id": r["doc_id"],
            "source": r["source"],
            "title": r["title"],
            "document_risk": r["risk"],
            "passage_id": r["id"],
            "page": r["page"],
            "start": r["start"],
            "end": r["end"],
            "text": text,
            "labels": ", ".join(r["labels"]),
            "flags": ", ".join(f"{f['label']} ({f['score']:.2f})" for f in r["flags"]),
            "entities": "; ".join(f"{e.text} ({e.label})" for e in ents),
            "decisions": "; ".join(decisions),
            "notes": "; ".join(notes),
            "model_version": r["model_version"],
        }
        row.update({lab: round(float(r["scores"].get(lab, 0.0)), 4) for lab in LABELS})
        out.append(row)
    return out


def write_export(rows: list[dict[str, Any]], path: str | Path, fmt: str | None = None) -> Path:
    """Write rows in the format named by `fmt` (or the file's extension)."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise TriageError(f"cannot export as {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return path
    import pandas as pd  # only exports need pandas

    columns = list(rows[0]) if rows else ["document_id", "source", "page", "text", "labels", *LABELS]
    frame = pd.DataFrame(rows, columns=columns)
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")  # the BOM makes Excel read UTF-8 correctly
    elif fmt == "xlsx":
        frame["text"] = frame["text"].astype(str).str.slice(0, EXCEL_CELL_LIMIT)
        frame.to_excel(path, index=False, sheet_name="passages", engine="openpyxl")
    else:
        frame.to_parquet(path, index=False)
    return path


def export_bytes(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """The export as bytes, for a download button."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return write_export(rows, Path(tmp) / f"export.{fmt}", fmt).read_bytes()
