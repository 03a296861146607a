"""Decisions on a whole passage or a selection at once, and undo, on a real SQLite store (and PostgreSQL): one review row per
flag written in one transaction, undo written as new rows (history kept), counts right straight afterwards,
and nothing written when any part is refused."""

from __future__ import annotations

import pytest

from triage.analyse.pipeline import ScanResult
from triage.errors import ReviewConflictError, StoreError
from triage.framework import LABELS
from triage.review import queue, trends
from triage.store import open_store
from triage.store.reviews import WITHDRAWN
from triage.types import Document, Flag, Page, Passage, Prediction

TEXTS = ("Gunmen stopped an aid convoy near Kidal, abducted two drivers and burned the trucks.",
         "Militia leaders called the community vermin at a rally of armed young men.",
         "Soldiers detained a journalist who had reported on the killings.")
FLAGGED = (("RF14", "RF7", "RF10"), ("RF9", "RF10"), ("RF8",))  # passage -> its flagged labels


def _report() -> ScanResult:
    """One document of three passages with 3, 2 and 1 flags: no model needed to decide on them."""
    text = "\n\n".join(TEXTS)
    doc = Document("d" * 64, "report.txt", text, (Page(1, 0, len(text)),))
    passages, start = [], 0
    for t in TEXTS:
        passages.append(Passage(doc.id, start, start + len(t), 1, t))
        start += len(t) + 2
    flags = tuple(Flag(p.id, lab, 0.9 - 0.1 * i, 0.3, model_version="v1")
                  for p, labs in zip(passages, FLAGGED, strict=True) for i, lab in enumerate(labs))
    preds = tuple(Prediction(p.id, tuple((lab, 0.8 if lab in labs else 0.01) for lab in LABELS), labs,
                             model_version="v1") for p, labs in zip(passages, FLAGGED, strict=True))
    return ScanResult(doc, tuple(passages), preds, flags, 0.9, "v1")


@pytest.fixture(scope="module")
def pg_server():  # type: ignore[no-untyped-def]
    from tests.pgserver import find_bin, start_server

    if (binary := find_bin()) is None:
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql)")
    server = start_server(binary)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):  # type: ignore[no-untyped-def]
    """The same store on SQLite (the default) and, where its binaries are installed, on PostgreSQL."""
    where = tmp_path / "bulk.db" if request.param == "sqlite" else request.getfixturevalue("pg_server").new_database()
    with open_store(where) as s:
        s.save_result(_report())
        yield s


def _by_passage(store) -> list[list[str]]:  # type: ignore[no-untyped-def]
    flags = store.flags("d" * 64)
    return [[f["id"] for f in flags if f["passage_id"] == p.id] for p in store.passages("d" * 64)]


def _reviewed(store) -> int:  # type: ignore[no-untyped-def]
    return store.list_documents()[0]["reviewed"]


def _state(store) -> str:  # type: ignore[no-untyped-def]
    for state in ("unreviewed", "partly reviewed", "fully reviewed"):
        if queue.inbox_page(store, queue.QueueFilter(review_state=state), size=5)[0]:
            return state
    raise AssertionError("the document matches no review state")


def test_reject_all_of_a_passage_writes_one_review_and_one_audit_line_per_flag(store) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = _by_passage(store)
    assert len(first) == 3
    rows = store.add_reviews(first, "reject", "amina", note="boilerplate paragraph")
    assert [r.flag_id for r in rows] == first
    assert {(r.decision, r.reviewer, r.note, r.decided_at) for r in rows} == \
        {("reject", "amina", "boilerplate paragraph", rows[0].decided_at)}
    audit = store.audit_log()
    assert [(a["actor"], a["action"], a["target"]) for a in reversed(audit[:3])] == \
        [("amina", "review", fid) for fid in first]
    assert all("one of 3 decided at once" in a["detail"] and "boilerplate" in a["detail"] for a in audit[:3])
    # Counted at once, everywhere the counts are read.
    assert _reviewed(store) == 3 and _state(store) == "partly reviewed"
    assert {f["id"] for f in store.flags("d" * 64) if f["review"] is not None} == set(first)
    assert {r["id"] for r in store.flag_rows() if r["decision"] is None} == set(second) | set(_by_passage(store)[2])


def test_undo_takes_back_the_last_action_whole_and_keeps_the_history(store) -> None:  # type: ignore[no-untyped-def]
    first, second, third = _by_passage(store)
    bulk = store.add_reviews(first + second, "reject", "amina")
    single = store.add_review(third[0], "accept", "amina")
    assert _reviewed(store) == 6 and _state(store) == "fully reviewed"

    [w] = store.withdraw([single.id], "amina")  # the last action: only the single decision goes
    assert (w.withdrawn, w.restored, w.written.decision) == (single.id, None, WITHDRAWN)
    assert store.latest_review(third[0]) is None
    assert _reviewed(store) == 5 and _state(store) == "partly reviewed"

    undone = store.withdraw([r.id for r in bulk], "amina")  # then the bulk action, as a whole
    assert [u.withdrawn for u in undone] == [r.id for r in bulk]
    assert all(store.latest_review(f) is None for f in first + second)
    assert _reviewed(store) == 0 and _state(store) == "unreviewed"
    assert all(f["review"] is None for f in store.flags("d" * 64))
    assert len([r for r in store.flag_rows() if r["decision"] is None]) == 6
    assert {r["status"] for r in trends.flag_records(store)} == {"unreviewed"}
    assert store.reviewed_passages() == []  # training no longer reads the withdrawn decisions
    assert len(store.uncertain_passages({lab: 0.3 for lab in LABELS}, 10)) == 3
    # Nothing deleted: every decision and every undo is a row, and an audit line.
    assert [r.decision for r in store.reviews()] == ["reject"] * 5 + ["accept"] + [WITHDRAWN] * 6
    assert [a["action"] for a in store.audit_log()[:6]] == ["withdraw"] * 6
    assert "withdrew review" in store.audit_log()[0]["detail"]


def test_undo_brings_back_the_decision_that_stood_before(store) -> None:  # type: ignore[no-untyped-def]
    fid = _by_passage(store)[0][0]
    before = store.add_review(fid, "accept", "jean", note="clear case")
    mine = store.add_review(fid, "relabel", "amina", labels=["RF9"], expected_last=before.id)
    [w] = store.withdraw([mine.id], "amina")
    assert w.restored == before.id
    standing = store.latest_review(fid)
    assert standing is not None and (standing.decision, standing.labels, standing.reviewer) == ("accept", (), "amina")
    assert _reviewed(store) == 1
    assert "back to review" in store.audit_log()[0]["detail"] and "jean" in store.audit_log()[0]["detail"]


def test_nothing_is_written_when_any_part_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = _by_passage(store)
    reviews, audit = len(store.reviews()), len(store.audit_log())
    with pytest.raises(StoreError, match="no flag 'nope'"):
        store.add_reviews([*first, "nope"], "reject", "amina")
    with pytest.raises(StoreError, match="no flag to decide"):
        store.add_reviews([], "reject", "amina")
    with pytest.raises(StoreError, match="labels can only be given"):
        store.add_reviews(first, "reject", "amina", labels=["RF1"])
    assert (len(store.reviews()), len(store.audit_log())) == (reviews, audit)

    jean = store.add_review(second[1], "accept", "jean")
    # The reviewer saw second[1] undecided: the whole passage is refused, not just that flag.
    with pytest.raises(ReviewConflictError, match="jean already marked this flag 'accept'"):
        store.add_reviews(second, "reject", "amina", expected_last={second[0]: 0, second[1]: 0})
    assert store.latest_review(second[0]) is None

    mine = store.add_reviews(first, "reject", "amina")
    with pytest.raises(StoreError, match="jean's"):
        store.withdraw([jean.id], "amina")  # an undo takes back one's own decisions only
    store.add_review(first[2], "accept", "jean", expected_last=mine[2].id)
    count = len(store.reviews())
    with pytest.raises(ReviewConflictError, match="jean decided on flag"):
        store.withdraw([r.id for r in mine], "amina")  # someone decided since: nothing of the action is undone
    with pytest.raises(StoreError, match="no review 999999"):
        store.withdraw([mine[0].id, 999999], "amina")
    assert len(store.reviews()) == count
    assert all(store.latest_review(f) is not None for f in first)


def test_a_withdrawn_flag_is_decided_again_as_an_undecided_one(store) -> None:  # type: ignore[no-untyped-def]
    fid = _by_passage(store)[2][0]
    first = store.add_review(fid, "reject", "amina", expected_last=0)
    [w] = store.withdraw([first.id], "amina")
    with pytest.raises(StoreError, match="itself an undo"):
        store.withdraw([w.written.id], "amina")
    with pytest.raises(ReviewConflictError, match="amina withdrew a decision"):
        store.add_review(fid, "accept", "jean", expected_last=first.id)  # jean still saw the reject
    store.add_review(fid, "accept", "jean", expected_last=0)  # seen undecided: allowed
    again = store.latest_review(fid)
    assert again is not None and (again.decision, again.reviewer) == ("accept", "jean")
    assert _reviewed(store) == 1


# The Document page, run by Streamlit's AppTest against the same kind of store.

@pytest.fixture()
def app_store(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from tests.test_app import PASSWORD
    from triage.review.auth import create_user

    db = tmp_path / "ui.db"
    monkeypatch.setenv("TRIAGE_DB", str(db))
    with open_store(db) as s:
        s.save_result(_report())
        create_user(s, "amina", "reviewer", PASSWORD)
    return db


def _document():  # type: ignore[no-untyped-def]
    from tests.test_app import _goto, _sign_in

    at = _goto(_sign_in("amina"), "document")
    assert not at.exception
    return at


def _decisions(db) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with open_store(db) as s:
        return [(r.flag_id, r.decision) for r in s.reviews()]


@pytest.mark.slow
def test_the_page_rejects_a_whole_passage_and_undo_takes_it_back(app_store) -> None:  # type: ignore[no-untyped-def]
    from tests.test_app import _text

    at = _document()
    assert "Keys: A accept · R reject · L relabel · U undo · N/P next/previous" in _text(at)
    with open_store(app_store) as s:
        first = _by_passage(s)[0]
    assert at.button(key="undo").disabled  # nothing decided yet
    at.text_input(key=f"pnote-{first[0].rsplit(':', 1)[0]}").input("boilerplate").run()
    at = at.button(key=f"passage-reject-{first[0].rsplit(':', 1)[0]}").click().run()
    assert not at.exception
    assert any("Rejected 3 flags in 1 passage" in m.value for m in at.success)
    assert _decisions(app_store) == [(f, "reject") for f in first]
    with open_store(app_store) as s:
        assert {r.note for r in s.reviews()} == {"boilerplate"} and _reviewed(s) == 3
    at = at.button(key="undo").click().run()
    assert any("Undone: Rejected 3 flags in 1 passage" in m.value for m in at.success)
    assert at.button(key="undo").disabled
    with open_store(app_store) as s:
        assert _reviewed(s) == 0 and [r.decision for r in s.reviews()][3:] == [WITHDRAWN] * 3


@pytest.mark.slow
def test_the_page_decides_on_ticked_passages_after_a_confirmation(app_store) -> None:  # type: ignore[no-untyped-def]
    at = _document()
    with open_store(app_store) as s:
        passages = [p.id for p in s.passages("d" * 64)]
        groups = _by_passage(s)
    at.checkbox(key=f"sel-{passages[0]}").check().run()
    at = at.checkbox(key=f"sel-{passages[2]}").check().run()
    at = at.button(key="bulk-reject-ticked").click().run()
    assert any("Reject 4 flags in 2 passages?" in w.value for w in at.warning)
    assert _decisions(app_store) == []  # nothing before the confirmation
    at = at.button(key="bulk-confirm").click().run()
    assert any("Rejected 4 flags in 2 passages" in m.value for m in at.success)
    assert sorted(_decisions(app_store)) == sorted((f, "reject") for f in groups[0] + groups[2])
    assert not at.checkbox(key=f"sel-{passages[0]}").value  # the selection is spent
    # One flag accepted by hand, then the bulk action's undo is refused to touch it: undo goes newest first.
    at = at.button(key=f"accept-{groups[1][0]}").click().run()
    at = at.button(key="undo").click().run()
    assert any("Undone: Accepted RF9" in m.value for m in at.success)
    at = at.button(key="undo").click().run()
    assert any("Undone: Rejected 4 flags in 2 passages" in m.value for m in at.success)
    with open_store(app_store) as s:
        assert _reviewed(s) == 0


@pytest.mark.slow
def test_the_page_rejects_unreviewed_flags_below_a_score_and_moves_back_with_previous(app_store) -> None:  # type: ignore[no-untyped-def]
    at = _document()
    with open_store(app_store) as s:
        flags = s.flags("d" * 64)
    at = at.button(key=f"accept-{flags[-1]['id']}").click().run()  # the weakest: decided, so left alone
    at = at.number_input(key="bulk-below").set_value(0.85).run()
    low = [f["id"] for f in flags if f["score"] < 0.85 and f["id"] != flags[-1]["id"]]
    button = at.button(key="bulk-reject-below")
    assert button.label == f"Reject {len(low)} unreviewed flags below 0.85"
    at = button.click().run()
    at = at.button(key="bulk-confirm").click().run()
    assert any(f"Rejected {len(low)} flags in" in m.value for m in at.success)
    decided = dict(_decisions(app_store))
    assert decided == {flags[-1]["id"]: "accept", **{f: "reject" for f in low}}
    current = at.session_state["current_flag"]
    order = at.session_state["flag_order"]
    at = at.button(key="prev-flag").click().run()
    assert at.session_state["current_flag"] == order[order.index(current) - 1]
