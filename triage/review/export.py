"""Exports analysts can open anywhere: one row per passage as CSV, Excel, JSONL or Parquet.

The CLI (`triage export`) and the UI's export button both call `export_rows` + `write_export`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from triage.errors import TriageError
from triage.framework import LABELS
from triage.store import Store
from triage.types import Entity

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
REDACTED = "[name withheld]"
REDACT_LABELS = frozenset({"PERSON"})
REDACTED_EMAIL = "[e-mail withheld]"
REDACTED_PHONE = "[phone withheld]"
# Contact details identify witnesses and sources as surely as names do, and NER does not find them.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
# Phone numbers, written the ways field reports write them: "+223 76 12 34 56", "00 33 6 12 34 56 78",
# "(212) 555-0199", "076-123-4567". Plain space-separated digit groups without + or 00 are left alone,
# because "12 500 000 people" and "3 400" are figures, not phones.
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)[ ]?\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,6}"  # international
    r"|\(\d{2,4}\)[ .\-]?\d{2,4}(?:[ .\-]\d{2,4}){1,3}"  # (area) number
    r"|\d{2,4}(?:[.\-]\d{2,4}){2,4}(?![.\-]?\d)"  # 076-123-4567, 01.23.45.67.89
    r")(?!\w)"
)
# Fewer digits than a phone number has: dates ("03.05.2024", "2024-05-03"), versions, figures.
_MIN_PHONE_DIGITS = {"+": 7, "0": 7, "(": 7, "": 9}
EXCEL_CELL_LIMIT = 32_000  # Excel refuses cells over 32,767 characters


def _redact(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Replace person names in `text` (right to left, so earlier offsets stay valid) and drop them."""
    for e in sorted((e for e in entities if e.label in REDACT_LABELS), key=lambda e: -e.start):
        text = text[: e.start] + REDACTED + text[e.end :]
    return text, [e for e in entities if e.label not in REDACT_LABELS]


def redact_contacts(text: str) -> str:
    """Replace e-mail addresses and phone numbers in free text (passages, reviewers' notes)."""
    text = _EMAIL.sub(REDACTED_EMAIL, text)
    return _PHONE.sub(_phone_or_keep, text)


def _phone_or_keep(m: re.Match[str]) -> str:
    found = m.group()
    prefix = "+" if found.startswith("+") else "0" if found.startswith("00") else "(" if found[0] == "(" else ""
    digits = sum(ch.isdigit() for ch in found)
    return REDACTED_PHONE if digits >= _MIN_PHONE_DIGITS[prefix] else found


def export_rows(
    store: Store, *, flagged_only: bool = False, doc_ids: list[str] | None = None, redact_people: bool = False,
    redact_contacts_too: bool | None = None,
) -> list[dict[str, Any]]:
    """Flat rows: document, page, passage text, labels, all 14 scores, entities, decisions and notes.

    `redact_people` replaces person names, and (unless `redact_contacts_too` is False) e-mail
    addresses and phone numbers in the text, the entities and the reviewers' notes."""
    contacts = redact_people if redact_contacts_too is None else redact_contacts_too
    rows = store.passage_rows(flagged_only=flagged_only, doc_ids=doc_ids)
    if redact_people and (untagged := sum(not r.get("ner", 1) for r in rows)):
        # Names the NER never looked for cannot be withheld: refuse rather than export them.
        raise TriageError(f"{untagged} passages have not been through entity tagging, so names in them cannot be "
                          "withheld; tag them first (triage.service.tag_stored; `triage export` does it itself)")
    out = []
    for r in rows:
        text, ents = r["text"], list(r["entities"])
        if redact_people:
            text, ents = _redact(text, ents)
        if contacts:
            text = redact_contacts(text)
            ents = [e for e in ents if redact_contacts(e.text) == e.text]
        decisions, notes = [], []
        for f in r["flags"]:
            rev = f["review"]
            if rev is None:
                decisions.append(f"{f['label']}: unreviewed")
                continue
            extra = f" -> {','.join(rev.labels) or 'none'}" if rev.decision == "relabel" else ""
            decisions.append(f"{f['label']}: {rev.decision}{extra} by {rev.reviewer} at {rev.decided_at}")
            if rev.note:
                notes.append(f"{f['label']}: {redact_contacts(rev.note) if contacts else rev.note}")
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
            "language": r.get("lang", ""),
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
