"""A two-column report laid out in the test goes through every stage: text in order, flags where due."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest

from tests.pdfgen import PageSpec, column_break, make_pdf, para, title
from triage.store import open_store

LEFT = [
    "On 14 October 2026 armed men stopped a convoy of six trucks carrying food for the World Food "
    "Programme near Ménaka. They abducted two drivers and a humanitarian worker, looted the cargo and set two "
    "trucks alight. Aid agencies suspended road movements in the area the next day.",
    "The attack was the fourth on humanitarian convoys in the region since August, according to OCHA.",
]
RIGHT = [
    "In Gao, the regional water directorate completed the rehabilitation of twelve boreholes and trained "
    "forty pump mechanics, financed by a development partner.",
    "A school feeding programme resumed in thirty schools after the holidays, reaching 9,000 pupils.",
]


def pdfplumber_words(path: Path) -> list[tuple[str, float]]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [(w["text"].strip(".,"), w["x0"]) for w in pdf.pages[0].extract_words()]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("e2e") / "flash-update.pdf"
    # column_break() makes the right column really start with RIGHT: short texts would otherwise all fit left.
    blocks = [title("Mali: Flash Update No. 3"), *map(para, LEFT), column_break(), *map(para, RIGHT)]
    truth = make_pdf(path, [PageSpec(blocks, columns=2)])
    return path, truth


@pytest.mark.slow
def test_a_two_column_report_is_read_in_order_and_flagged(pipeline, report) -> None:  # type: ignore[no-untyped-def]
    path, truth = report
    result = pipeline.process_file(path)
    text = result.document.text
    # Reading order: the whole left column comes before the right column.
    assert text.index("Ménaka") < text.index("OCHA") < text.index("boreholes") < text.index("school feeding")
    words = pdfplumber_words(path)
    # The test only means something if the page really has two columns side by side.
    assert min(x for t, x in words if t == "boreholes") > max(x for t, x in words if t == "Ménaka")
    ratio = difflib.SequenceMatcher(a=_words(truth), b=_words(text), autojunk=False).ratio()
    assert ratio >= 0.98, ratio
    convoy = next(p for p in result.passages if "convoy of six trucks" in p.text)
    assert convoy.page == 1
    assert any(e.label == "ORG" and "World Food" in e.text for e in convoy.entities)
    pred = next(pr for pr in result.predictions if pr.passage_id == convoy.id)
    assert "RF14" in pred.labels, dict(pred.scores)
    boreholes = next(pr for pr in result.predictions if "boreholes" in next(
        p.text for p in result.passages if p.id == pr.passage_id))
    assert "RF14" not in boreholes.labels and "RF13" not in boreholes.labels


@pytest.mark.slow
def test_results_are_stored_and_reviewable(pipeline, report, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = pipeline.process_file(report[0])
    with open_store(tmp_path / "e2e.db") as store:
        store.save_result(result)
        flags = store.flags(result.document.id)
        rf14 = next(f for f in flags if f["label"] == "RF14")
        store.add_review(rf14["id"], "accept", "reviewer-1", note="convoy attack")
    with open_store(tmp_path / "e2e.db") as store:
        assert store.flags(result.document.id)[0]["review"] is not None or any(
            f["review"] for f in store.flags(result.document.id))
    json.dumps(result.to_json())  # the scan shape is plain JSON
