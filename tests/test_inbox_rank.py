"""Issue 14: the inbox rank no longer saturates. A document's rank adds up its risk factors' strongest scores
(s / (s + 2)), the inbox breaks ties by flags, filing date and arrival, an older store is recomputed when it
is opened, each inbox row carries its factors' strengths from one grouped query, and the Inbox names them.
The five reports below copy the factor scores the demo inbox got from model v6 (four of them showed 1.00)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.analyse.flag import RANK_HALF, document_risk
from triage.analyse.pipeline import ScanResult
from triage.framework import LABELS
from triage.review import queue
from triage.store import SCHEMA_VERSION, open_store
from triage.types import Document, Flag, Page, Passage, Prediction

# One (label, score) per passage; a label repeated is the same factor in several passages.
CASES: dict[str, list[tuple[str, float]]] = {
    "convoy": [("RF1", 0.898), ("RF14", 0.896), ("RF13", 0.886), ("RF1", 0.85), ("RF14", 0.8), ("RF9", 0.651),
               ("RF11", 0.599), ("RF5", 0.549), ("RF6", 0.389), ("RF3", 0.331)],
    "rights": [("RF2", 0.928), ("RF3", 0.752), ("RF9", 0.734), ("RF7", 0.691), ("RF13", 0.633), ("RF1", 0.585),
               ("RF12", 0.499), ("RF10", 0.489), ("RF9", 0.6)],
    "bulletin": [("RF5", 0.787), ("RF5", 0.75), ("RF5", 0.7), ("RF7", 0.524), ("RF7", 0.5), ("RF10", 0.469),
                 ("RF8", 0.399), ("RF9", 0.376), ("RF2", 0.357), ("RF3", 0.299), ("RF1", 0.104), ("RF6", 0.055)],
    "single": [("RF14", 0.97)] * 6,  # one factor, strongly and often: the old score's favourite
    "logistics": [("RF1", 0.112), ("RF1", 0.1), ("RF3", 0.072), ("RF5", 0.055)],
}
EXPECTED_ORDER = ["rights", "convoy", "bulletin", "single", "logistics"]


def _old_risk(flags: list[Flag]) -> float:
    """The score before issue 14: 1 - prod(1 - best score) over the five strongest flagged passages."""
    best: dict[str, float] = {}
    for f in flags:
        best[f.passage_id] = max(best.get(f.passage_id, 0.0), f.score)
    miss = 1.0
    for s in sorted(best.values(), reverse=True)[:5]:
        miss *= 1.0 - s
    return round(1.0 - miss, 4)


def _result(name: str, pairs: list[tuple[str, float]], *, date: str = "2026-10-14") -> ScanResult:
    """A stored-ready document: one passage per (label, score), each flagged with that label."""
    texts = [f"{name} passage {i}: armed men stopped the convoy." for i in range(len(pairs))]
    text = f"Date: {date}\n\n" + "\n\n".join(texts)
    doc = Document(f"{name:x<64}"[:64], f"{name}.txt", text, (Page(1, 0, len(text)),), title=name.title())
    passages, start = [], len(f"Date: {date}\n\n")
    for t in texts:
        passages.append(Passage(doc.id, start, start + len(t), 1, t))
        start += len(t) + 2
    flags = tuple(Flag(p.id, lab, s, 0.05, model_version="v1") for p, (lab, s) in zip(passages, pairs, strict=True))
    preds = tuple(Prediction(p.id, tuple((la, s if la == lab else 0.01) for la in LABELS), (lab,), model_version="v1")
                  for p, (lab, s) in zip(passages, pairs, strict=True))
    return ScanResult(doc, tuple(passages), preds, flags, document_risk(flags), "v1")


def _fill(store: Any) -> dict[str, str]:
    ids = {}
    for name, pairs in CASES.items():
        r = _result(name, pairs)
        store.save_result(r)
        ids[name] = r.document.id
    return ids


# -- the rank itself ---------------------------------------------------------------------------------------
def test_the_rank_separates_the_reports_the_old_score_gave_one_hundred_percent() -> None:
    results = {name: _result(name, pairs) for name, pairs in CASES.items()}
    old = {name: round(_old_risk(list(r.flags)), 2) for name, r in results.items()}
    new = {name: r.risk for name, r in results.items()}
    assert sum(v == 1.0 for v in old.values()) == 4  # what the issue saw: four reports at 1.00, no order
    assert new == {"convoy": 0.7222, "rights": 0.7264, "bulletin": 0.6276, "single": 0.3266, "logistics": 0.1067}
    assert len({round(v, 2) for v in new.values()}) == 5  # apart even as the Inbox prints them
    assert sorted(new, key=lambda n: -new[n]) == EXPECTED_ORDER


def test_many_factors_outrank_one_strong_factor_and_the_sum_is_readable() -> None:
    one = _result("one", [("RF14", 0.99)] * 4).risk
    three = _result("three", [("RF1", 0.6), ("RF9", 0.6), ("RF13", 0.6)]).risk
    assert three > one
    assert three == round(1.8 / (1.8 + RANK_HALF), 4) and one == round(0.99 / (0.99 + RANK_HALF), 4)
    assert document_risk([]) == 0.0


pairs_st = st.lists(st.tuples(st.sampled_from(LABELS), st.floats(0.05, 1.0)), min_size=1, max_size=20)


@given(pairs_st, st.sampled_from(LABELS), st.floats(0.05, 1.0))
def test_adding_a_flag_never_lowers_the_rank_and_it_stays_below_one(pairs, label, score) -> None:  # type: ignore[no-untyped-def]
    before = _result("p", pairs).risk
    after = _result("p", [*pairs, (label, score)]).risk
    assert 0.0 < before <= after < 1.0


# -- the store's order -------------------------------------------------------------------------------------
def test_the_inbox_lists_by_rank_with_each_rows_factor_strengths(tmp_path: Path) -> None:
    with open_store(tmp_path / "rank.db") as store:
        ids = _fill(store)
        names = {v: k for k, v in ids.items()}
        total, rows = queue.inbox_page(store, size=50)
        assert total == 5 and [names[r["id"]] for r in rows] == EXPECTED_ORDER
        assert [names[d["id"]] for d in store.list_documents()] == EXPECTED_ORDER
        convoy = next(r for r in rows if names[r["id"]] == "convoy")
        assert convoy["strengths"] == {"RF1": 0.898, "RF14": 0.896, "RF13": 0.886, "RF9": 0.651, "RF11": 0.599,
                                       "RF5": 0.549, "RF6": 0.389, "RF3": 0.331}
        assert convoy["labels"] == sorted(convoy["strengths"])  # as before: the flagged labels, sorted
        assert queue.strongest_factors(convoy["strengths"]) == ["RF1", "RF14", "RF13"]
        # Filtering on the rank still works, and paging keeps the order.
        assert [names[r["id"]] for r in queue.inbox(store, queue.QueueFilter(min_risk=0.5))] == EXPECTED_ORDER[:3]
        assert [names[r["id"]] for n in (1, 2, 3) for r in queue.inbox_page(store, page=n, size=2)[1]] == EXPECTED_ORDER


def test_the_page_of_rows_costs_the_same_queries_however_many_rows(tmp_path: Path) -> None:
    """Factor strengths come from one grouped query per page, never one query per row."""
    with open_store(tmp_path / "queries.db") as store:
        _fill(store)
        queue.date_documents(store)
        seen: list[str] = []
        store.conn.set_trace_callback(seen.append)
        store.queue_page(limit=1)
        one = len(seen)
        seen.clear()
        store.queue_page(limit=5)
        store.conn.set_trace_callback(None)
        assert len(seen) == one
        assert sum("MAX(score)" in s and "GROUP BY doc_id, label" in s for s in seen) == 1


def _tied(name: str, n_flags: int, date: str) -> ScanResult:
    return _result(name, [("RF14", 0.9)] * n_flags, date=date)  # every one of them ranks 0.3103


def test_ties_go_to_more_flags_then_the_later_report_then_the_later_arrival(tmp_path: Path) -> None:
    docs = {"few": _tied("few", 1, "2026-10-01"), "many": _tied("many", 3, "2026-01-01"),
            "new": _tied("new", 2, "2026-11-30"), "old": _tied("old", 2, "2026-02-01"),
            "later": _tied("later", 2, "2026-05-05"), "earlier": _tied("earlier", 2, "2026-05-05")}
    assert len({r.risk for r in docs.values()}) == 1
    with open_store(tmp_path / "ties.db") as store:
        for r in docs.values():
            store.save_result(r)
        arrived = {"earlier": "2026-11-01T08:00:00+00:00", "later": "2026-11-02T08:00:00+00:00"}
        for name, at in arrived.items():
            store.conn.execute("UPDATE documents SET added_at = ? WHERE id = ?", (at, docs[name].document.id))
        names = {r.document.id: k for k, r in docs.items()}
        order = [names[r["id"]] for r in queue.inbox(store)]  # dates stored from the text's Date: lines
        assert order == ["many", "new", "later", "earlier", "old", "few"]
        assert [names[d["id"]] for d in store.list_documents()] == order


# -- migration ---------------------------------------------------------------------------------------------
def _make_old(db: Path, ids: dict[str, str]) -> None:
    """Turn a store back into one from before issue 14: schema 3 with the saturating scores in it."""
    conn = sqlite3.connect(db)
    for name, pairs in CASES.items():
        conn.execute("UPDATE documents SET risk = ? WHERE id = ?", (_old_risk(list(_result(name, pairs).flags)), ids[name]))
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()


def test_opening_an_older_store_recomputes_every_rank_once(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with open_store(db) as store:
        ids = _fill(store)
    _make_old(db, ids)
    with open_store(db) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        ranks = {d["id"]: d["risk"] for d in store.list_documents()}
        assert ranks == {ids[n]: _result(n, p).risk for n, p in CASES.items()}
        # Only the migration rewrites: at schema 4 a stored rank is left as written.
        store.conn.execute("UPDATE documents SET risk = 0.5 WHERE id = ?", (ids["single"],))
    with open_store(db) as store:
        assert store.conn.execute("SELECT risk FROM documents WHERE id = ?", (ids["single"],)).fetchone()[0] == 0.5


# -- PostgreSQL --------------------------------------------------------------------------------------------
def test_postgresql_ranks_ties_and_migrates_alike(tmp_path: Path) -> None:
    from tests.pgserver import find_bin, start_server

    bin_dir = find_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql)")
    server = start_server(bin_dir)
    try:
        url = server.new_database()
        with open_store(tmp_path / "lite.db") as lite, open_store(url) as pg:
            for s in (lite, pg):
                _fill(s)
                s.save_result(_tied("tie", 1, "2026-10-01"))
                s.save_result(_tied("tie2", 2, "2026-01-01"))
            want = [r["id"] for r in queue.inbox(lite)]
            got = queue.inbox(pg)
            assert [r["id"] for r in got] == want
            assert [r["strengths"] for r in got] == [r["strengths"] for r in queue.inbox(lite)]
            assert [d["id"] for d in pg.list_documents()] == want
            # Back to schema 3 with saturated scores: the next open recomputes them, under the schema lock.
            pg.conn.execute("UPDATE documents SET risk = 1.0")
            pg.conn.execute("UPDATE triage_schema SET version = 3")
        with open_store(url) as pg, open_store(tmp_path / "lite.db") as lite:
            assert {d["id"]: d["risk"] for d in pg.list_documents()} == {d["id"]: d["risk"] for d in lite.list_documents()}
            assert pg.conn.execute("SELECT MAX(version) FROM triage_schema").fetchone()[0] == SCHEMA_VERSION
    finally:
        server.stop()
