"""Exports open in pandas and openpyxl with the right rows, and redaction really removes names."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.test_store import _result
from triage.analyse.pipeline import ScanResult
from triage.errors import TriageError
from triage.framework import LABELS
from triage.review.export import REDACTED, export_rows, write_export
from triage.store import open_store
from triage.types import Entity, Passage


def _store_with_person(tmp_path):  # type: ignore[no-untyped-def]
    r = _result()
    p1 = r.passages[0]
    text = "Gunmen led by Amadou Kone looted an aid convoy near Kidal."
    p1 = Passage(p1.doc_id, p1.start, p1.end, 1, text,
                 (Entity("Amadou Kone", "PERSON", 14, 25), Entity("Kidal", "GPE", 52, 57, "")))
    result = ScanResult(r.document, (p1, r.passages[1]), r.predictions, r.flags, r.risk, r.model_version)
    store = open_store(tmp_path / "x.db")
    store.save_result(result)
    store.add_review(r.flags[0].id, "accept", "amina", note="convoy, verified by OCHA")
    return store


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl", "parquet"])
def test_every_format_reads_back_with_the_right_rows(tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    store = _store_with_person(tmp_path)
    rows = export_rows(store)
    path = write_export(rows, tmp_path / f"out.{fmt}")
    if fmt == "csv":
        frame = pd.read_csv(path)
    elif fmt == "xlsx":
        frame = pd.read_excel(path)
        assert load_workbook(path).sheetnames == ["passages"]
    elif fmt == "parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.DataFrame([json.loads(line) for line in path.read_text().splitlines()])
    assert len(frame) == 2
    assert {"document_id", "source", "page", "text", "labels", "entities", "decisions", "notes", *LABELS} <= set(frame)
    first = frame.iloc[0]
    assert "accept by amina" in first["decisions"] and "verified by OCHA" in first["notes"]
    assert first["RF14"] == pytest.approx(0.9)
    assert "Amadou Kone (PERSON)" in first["entities"]


def test_flagged_only_and_redaction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = _store_with_person(tmp_path)
    rows = export_rows(store, flagged_only=True, redact_people=True)
    assert len(rows) == 1
    assert "Amadou" not in rows[0]["text"] and REDACTED in rows[0]["text"]
    assert "Amadou" not in rows[0]["entities"] and "Kidal (GPE)" in rows[0]["entities"]
    assert rows[0]["text"].endswith("near Kidal.")


def test_unknown_format_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TriageError, match="choose one of csv, xlsx, jsonl, parquet"):
        write_export([], tmp_path / "out.docx")
