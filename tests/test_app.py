"""Streamlit AppTest: the review UI lists stored documents, shows flags and stores decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from triage.store import open_store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
REPORT = ("Gunmen stopped a humanitarian convoy on the road to Kidal, abducted two aid workers and looted "
          "the trucks.\n\nThe water committee met to plan the maintenance of hand pumps in the district.\n")


@pytest.fixture()
def store_with_report(pipeline, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    db = tmp_path / "ui.db"
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{pipeline.config.models_dir}"\n')
    monkeypatch.setenv("TRIAGE_DB", str(db))
    monkeypatch.setenv("TRIAGE_CONFIG", str(toml))
    result = pipeline.process_file("report.txt", data=REPORT.encode(), source="report.txt")
    with open_store(db) as store:
        store.save_result(result)
    return db, result


def _run() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


@pytest.mark.slow
def test_an_empty_store_says_what_to_do(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRIAGE_DB", str(tmp_path / "empty.db"))
    at = _run()
    assert not at.exception
    assert "store is empty" in at.info[0].value


@pytest.mark.slow
def test_a_reviewer_accepts_a_flag_and_it_is_stored(store_with_report) -> None:  # type: ignore[no-untyped-def]
    db, result = store_with_report
    at = _run()
    assert not at.exception
    html = " ".join(m.value for m in at.markdown)
    assert "Threats to humanitarian or peacekeeping operations" in html  # the chip names the risk factor
    assert 'class="ent' in html  # entities highlighted
    accept = [b for b in at.button if b.key and b.key.startswith("accept-")]
    assert accept and all(b.disabled for b in accept), "no decisions before the reviewer gives a name"

    at.sidebar.text_input(key="reviewer").input("amina").run()
    flag_id = next(b.key for b in at.button if b.key.startswith("accept-") and b.key.endswith(":RF14"))[7:]
    at.text_input(key=f"note-{flag_id}").input("clear convoy attack").run()
    at.button(key=f"accept-{flag_id}").click().run()
    assert not at.exception
    assert any("Saved: accept" in s.value for s in at.success)
    with open_store(db) as store:
        review = store.latest_review(flag_id)
    assert review is not None
    assert (review.decision, review.reviewer, review.note) == ("accept", "amina", "clear convoy attack")

    # A fresh session (a restart) shows the decision.
    again = _run()
    assert any("Accepted** by amina" in m.value or "Accepted" in m.value and "amina" in m.value
               for m in again.markdown)


@pytest.mark.slow
def test_a_stale_decision_is_refused_not_overwritten(store_with_report) -> None:  # type: ignore[no-untyped-def]
    db, _ = store_with_report
    at = _run()
    at.sidebar.text_input(key="reviewer").input("jean").run()
    flag_id = next(b.key for b in at.button if b.key.startswith("reject-"))[7:]
    with open_store(db) as store:  # someone else decides after jean's page was drawn
        store.add_review(flag_id, "accept", "amina")
    at.button(key=f"reject-{flag_id}").click().run()
    assert any("amina already marked" in w.value for w in at.warning)
    with open_store(db) as store:
        assert [r.reviewer for r in store.reviews()] == ["amina"]
