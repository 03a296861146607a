import sqlite3

import pytest

from triage.analyse.flag import document_risk
from triage.analyse.pipeline import ScanResult
from triage.errors import ReviewConflictError, StoreError
from triage.framework import LABELS
from triage.store import open_store
from triage.types import Cue, Document, Entity, Flag, Page, Passage, Prediction


def _result(doc_id: str = "a" * 64, score: float = 0.9) -> ScanResult:
    text = "Gunmen looted an aid convoy near Kidal on 3 May.\n\nThe cluster met to plan distributions."
    doc = Document(doc_id, "r.pdf", text, (Page(1, 0, len(text)),), title="Report")
    p1 = Passage(doc_id, 0, 48, 1, text[0:48], (Entity("Kidal", "GPE", 33, 38),))
    p2 = Passage(doc_id, 50, len(text), 1, text[50:])
    scores = tuple((lab, score if lab == "RF14" else 0.01) for lab in LABELS)
    preds = (Prediction(p1.id, scores, ("RF14",), model_version="v1"),
             Prediction(p2.id, tuple((lab, 0.01) for lab in LABELS), (), model_version="v1"))
    flags = (Flag(p1.id, "RF14", score, 0.4, cues=(Cue("convoy", 19, 25, 0.2),), model_version="v1"),)
    return ScanResult(doc, (p1, p2), preds, flags, document_risk(flags), "v1")


def test_a_document_round_trips_through_the_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _result()
    with open_store(tmp_path / "t.db") as store:
        store.save_result(result)
        assert store.document(result.document.id) == result.document
        assert store.passages(result.document.id) == list(result.passages)
        [flag] = store.flags(result.document.id)
        assert flag["label"] == "RF14" and flag["cues"][0]["text"] == "convoy"
        assert store.scores(result.passages[0].id)["RF14"] == pytest.approx(0.9)
        [row] = store.list_documents()
        assert row["flags"] == 1 and row["reviewed"] == 0 and row["risk"] == pytest.approx(0.3103)  # 0.9 / (0.9 + 2)


def test_storing_again_replaces_results_and_keeps_reviews(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "t.db") as store:
        store.save_result(_result())
        flag_id = store.flags("a" * 64)[0]["id"]
        store.add_review(flag_id, "accept", "amina", note="clear case")
        store.save_result(_result(score=0.7))
        store.save_result(_result(score=0.7))
        assert len(store.list_documents()) == 1
        assert len(store.passages("a" * 64)) == 2
        [flag] = store.flags("a" * 64)
        assert flag["score"] == pytest.approx(0.7)
        assert flag["review"].decision == "accept" and flag["review"].note == "clear case"


def test_decisions_survive_reopening(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "t.db"
    with open_store(path) as store:
        store.save_result(_result())
        flag_id = store.flags("a" * 64)[0]["id"]
        store.add_review(flag_id, "reject", "jean")
    with open_store(path) as store:
        review = store.latest_review(flag_id)
        assert review is not None and review.reviewer == "jean" and review.decision == "reject"
        assert review.model_version == "v1"
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_second_reviewer_is_told_instead_of_overwriting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "t.db") as store:
        store.save_result(_result())
        flag_id = store.flags("a" * 64)[0]["id"]
        # Both reviewers loaded the flag when it had no decision (expected_last=0).
        first = store.add_review(flag_id, "accept", "amina", expected_last=0)
        with pytest.raises(ReviewConflictError, match="amina already marked"):
            store.add_review(flag_id, "reject", "jean", expected_last=0)
        store.add_review(flag_id, "reject", "jean", expected_last=first.id)  # after reloading, allowed
        assert [r.reviewer for r in store.reviews()] == ["amina", "jean"]


def test_bad_decisions_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "t.db") as store:
        store.save_result(_result())
        flag_id = store.flags("a" * 64)[0]["id"]
        with pytest.raises(StoreError, match="decision must be"):
            store.add_review(flag_id, "maybe", "amina")
        with pytest.raises(StoreError, match="reviewer"):
            store.add_review(flag_id, "accept", "  ")
        with pytest.raises(StoreError, match="no flag"):
            store.add_review("nope", "accept", "amina")
        assert store.reviews() == []


def test_a_failed_write_leaves_nothing_behind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = _result()
    bad = _result(doc_id="b" * 64)
    # Two passages with the same id violate the primary key half-way through the transaction.
    bad = ScanResult(bad.document, bad.passages + bad.passages[:1], bad.predictions, bad.flags, 0.5, "v1")
    with open_store(tmp_path / "t.db") as store:
        store.save_result(good)
        with pytest.raises(sqlite3.IntegrityError):
            store.save_result(bad)
        assert [d["id"] for d in store.list_documents()] == ["a" * 64]
        assert not store.has_document("b" * 64)


def test_not_a_database_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the database"):
        open_store(path)


def test_relabel_keeps_the_reviewers_labels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "t.db") as store:
        store.save_result(_result())
        flag_id = store.flags("a" * 64)[0]["id"]
        review = store.add_review(flag_id, "relabel", "amina", labels=["RF13", "RF1", "RF13"], indicators=["13.8"])
        assert review.labels == ("RF1", "RF13") and review.indicators == ("13.8",)
        with pytest.raises(StoreError, match="only be given with the decision 'relabel'"):
            store.add_review(flag_id, "accept", "amina", labels=["RF1"])
    with open_store(tmp_path / "t.db") as store:
        assert store.latest_review(flag_id).labels == ("RF1", "RF13")  # type: ignore[union-attr]
