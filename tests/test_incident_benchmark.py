"""benchmarks/incident_records.py reads the Insecurity Insight files as their manifest describes them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from openpyxl import Workbook

from triage.config import ROOT


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("incident_records", ROOT / "benchmarks" / "incident_records.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_hxl_row_is_dropped_and_only_conflict_events_count_for_rf13(tmp_path: Path) -> None:
    bench = _bench()
    wb = Workbook()
    ws = wb.active
    ws.append(["Date", "Event Description", "Conflict-Related Violence"])
    ws.append(["#date", None, "#affected +conflict"])  # HXL tags, not an event
    ws.append(["2023-01-02", "A clinic was shelled and two nurses were killed.", "ConflictEvent"])
    ws.append(["2023-01-03", "A vaccinator was threatened by a crowd.", "NotApplicable"])
    ws.append(["2023-01-04", "   ", "ConflictEvent"])  # no description: nothing to score
    wb.save(tmp_path / bench.HEALTH)
    (tmp_path / bench.AID).write_text(json.dumps([{"Event Description": "An aid convoy driver was abducted."},
                                                  {"Event Description": ""}]), encoding="utf-8")
    health = bench.health_records(tmp_path)
    assert [r["conflict"] for r in health] == [True, False]
    assert health[0]["text"].startswith("A clinic")
    assert [r["text"] for r in bench.aid_records(tmp_path)] == ["An aid convoy driver was abducted."]
    assert bench.share([("RF13",), (), ("RF1", "RF13"), ("RF14",)], "RF13") == 0.5
    assert bench.share([("RF13",), ()]) == 0.5 and bench.share([]) == 0.0
