"""The store on a real PostgreSQL server: the same answers as SQLite, review conflicts with many writers,
batch runs sharing one store, exports, and clear refusals. Skipped only when the server binaries are absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import is_dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.pgserver import Server, find_bin, start_server
from tests.test_store import _result
from triage.config import Config
from triage.errors import ConfigError, ReviewConflictError, StoreError
from triage.store import backup_database, open_store
from triage.store.db import redact_url

BIN = find_bin()
pytestmark = pytest.mark.skipif(BIN is None, reason="no PostgreSQL server binaries (apt-get install postgresql)")
TIMESTAMPS = {"added_at", "decided_at", "at", "created_at", "failed_at", "resolved_at", "started_at", "ended_at"}


@pytest.fixture(scope="session")
def pg_server() -> Any:
    assert BIN is not None
    server = start_server(BIN)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: Server) -> str:
    return pg_server.new_database()


def _scrub(value: Any) -> Any:
    """The value with timestamps blanked, so two stores written a second apart compare equal."""
    if is_dataclass(value) and hasattr(value, "decided_at"):
        return replace(value, decided_at="")  # type: ignore[type-var]
    if isinstance(value, dict):
        return {k: "" if k in TIMESTAMPS and v else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def _fill(store: Any) -> dict[str, Any]:
    """The same writes on any store: two documents, decisions (one relabel, one conflict), accounts,
    a source file replaced, a failure recorded and resolved. Returns every read the UI and exports make."""
    a, b = _result("a" * 64, 0.9), _result("b" * 64, 0.45)
    store.save_result(a)
    store.save_result(b)
    store.save_result(a)  # again: replaced, never doubled
    fa, _fb = store.flags("a" * 64)[0]["id"], store.flags("b" * 64)[0]["id"]
    first = store.add_review(fa, "accept", "amina", note="clear 100% case", expected_last=0)
    with pytest.raises(ReviewConflictError, match="amina already marked this flag 'accept'"):
        store.add_review(fa, "reject", "jean", expected_last=0)
    store.add_review(fa, "relabel", "jean", labels=["RF9", "RF1"], expected_last=first.id)
    store.add_user("olu", "analyst", "hash-1")
    with pytest.raises(StoreError, match="already an account named 'olu'"):
        store.add_user("olu", "reviewer", "hash-2")
    store.set_password_hash("olu", "hash-3")
    store.log("olu", "export", target="all", detail="csv")
    store.save_source("a" * 64, b"%PDF-old")
    store.save_source("a" * 64, b"%PDF-new\x00\xff")
    run = store.start_run({"paths": ["x"]})
    store.record_failure(run, "/in/bad.pdf", "c" * 64, "error", "truncated")
    store.record_failure(run, "/in/gone.pdf", "d" * 64, "error", "unreadable")
    store.resolve_failures("d" * 64)
    store.finish_run(run, "failed", {"failed": 1}, {"ok": False})
    pid = a.passages[0].id
    return _scrub({
        "documents": store.list_documents(), "document": store.document("a" * 64),
        "passages": store.passages("a" * 64), "flags": store.flags("a" * 64) + store.flags("b" * 64),
        "scores": store.scores(pid), "latest": store.latest_review(fa), "reviews": store.reviews(),
        "passage_rows": store.passage_rows(), "flagged_rows": store.passage_rows(flagged_only=True, doc_ids=["a" * 64]),
        "reviewed": store.reviewed_passages(),
        "uncertain": store.uncertain_passages({lab: 0.3 for lab in ("RF1", "RF14")}, 5),
        "queue": store.queue_page(), "queue_filtered": store.queue_page(labels=("RF1",), min_risk=0.1, limit=1), "search": store.search_documents("KIDAL"), "none": store.search_documents("50%"),
        "flag_rows": store.flag_rows(), "unflagged": store.unflagged_passages(5), "versions": store.stored_versions(),
        "user": store.user("olu"), "users": store.users(), "audit": store.audit_log(), "source": store.source_bytes("a" * 64),
        "failures": store.failures(), "all_failures": store.failures(unresolved_only=False),
        "runs": [{k: v for k, v in r.items() if k != "id"} for r in store.runs()],
    })


def test_every_read_gives_the_same_answer_as_sqlite(tmp_path: Path, pg_url: str) -> None:
    with open_store(tmp_path / "t.db") as lite:
        expected = _fill(lite)
    with open_store(pg_url) as pg:
        assert pg.dialect == "postgresql"
        got = _fill(pg)
    assert got["source"] == b"%PDF-new\x00\xff" and got["search"] == {"a" * 64, "b" * 64}
    assert [r.decision for r in got["reviews"]] == ["accept", "relabel"] and got["latest"].labels == ("RF1", "RF9")
    assert got["uncertain"] and got["user"]["password_hash"] == "hash-3"
    for key in expected:
        assert got[key] == expected[key], key


def test_decisions_survive_reopening_and_reprocessing(pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.save_result(_result())
        flag_id = store.flags("a" * 64)[0]["id"]
        store.add_review(flag_id, "reject", "jean", note="duplicate")
    with open_store(pg_url) as store:
        store.save_result(_result(score=0.7))
        [flag] = store.flags("a" * 64)
        assert flag["score"] == pytest.approx(0.7) and flag["review"].note == "duplicate"
        assert len(store.passages("a" * 64)) == 2


def test_many_reviewers_at_once_exactly_one_wins(pg_url: str) -> None:
    """Six writers, each on its own connection, all decide on a flag none has seen decided: the transaction
    lock makes the check-then-insert atomic, so one decision is stored and five are refused."""
    with open_store(pg_url) as store:
        store.save_result(_result())
        flag_id = store.flags("a" * 64)[0]["id"]
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def decide(name: str) -> None:
        with open_store(pg_url) as mine:
            start.wait()
            try:
                mine.add_review(flag_id, "accept", name, expected_last=0)
                outcomes.append("saved")
            except ReviewConflictError:
                outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(f"reviewer{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["conflict"] * 5 + ["saved"]
    with open_store(pg_url) as store:
        assert len(store.reviews()) == 1 and len(store.audit_log(actor=store.reviews()[0].reviewer)) == 1


def test_a_live_run_is_never_marked_interrupted_but_a_dead_one_is(pg_url: str) -> None:
    first = open_store(pg_url)
    run1 = first.start_run({})
    with open_store(pg_url) as other:
        run2 = other.start_run({})  # run1's process is alive: both run
        assert {r["id"]: r["status"] for r in other.runs()} == {run1: "running", run2: "running"}
        other.finish_run(run2, "ok", {}, {})
    first.close()  # the process of run1 dies without finishing
    with open_store(pg_url) as later:
        later.start_run({})
        assert {r["id"]: r["status"] for r in later.runs()}[run1] == "interrupted"


def test_a_newer_schema_and_bad_urls_are_refused_clearly(pg_server: Server, pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.conn.execute("UPDATE triage_schema SET version = 99")
    with pytest.raises(StoreError, match="newer triage"):
        open_store(pg_url)
    secret = f"postgresql://triage:s3cret@/no_such_db?host={pg_server.root}"
    with pytest.raises(StoreError, match="cannot connect to the PostgreSQL database") as err:
        open_store(secret)
    assert "s3cret" not in str(err.value) and redact_url(secret).startswith("postgresql://triage:***@/")
    with pytest.raises(ConfigError, match="mysql://... is not supported"):
        Config(db="mysql://me@host/db")


def test_backup_and_restore_say_they_are_sqlite_only(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "b.db").write_bytes(b"")
    for args in (["backup", "--db", pg_url, "--out", str(tmp_path / "b.db")],
                 ["restore", str(tmp_path / "b.db"), "--db", pg_url]):
        result = subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 1 and result.stderr.startswith(f"Error: triage {args[0]} works on SQLite stores only")
        assert "pg_" in result.stderr and "Traceback" not in result.stderr
    with open_store(pg_url) as store, pytest.raises(StoreError, match="SQLite-only"):
        store.integrity_check()


# -- batch runs and exports against the server (real models, real worker processes) ----------------------
def _batch(args: list[str], cfg: Config, db: str) -> subprocess.Popen[str]:
    toml = Path(cfg.models_dir).parent / f"pg-{abs(hash(db))}.toml"
    toml.write_text(f'models_dir = "{cfg.models_dir}"\n')
    env = {**os.environ, "TRIAGE_CONFIG": str(toml)}
    return subprocess.Popen([sys.executable, "-m", "triage", "batch", *args, "--db", db], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _contents(db: str) -> dict[str, Any]:
    """What a run stores, comparable across stores (timestamps and PostgreSQL's rowid column left out)."""
    with open_store(db) as store:
        c = store.conn
        q = {
            "documents": "SELECT id, source, page_count, text, risk, model_version FROM documents",
            "pages": "SELECT * FROM pages", "passages": "SELECT * FROM passages", "entities": "SELECT * FROM entities",
            "predictions": "SELECT passage_id, model_version, scores, labels, indicators FROM predictions",
            "flags": "SELECT * FROM flags", "sources": "SELECT doc_id, length(data) FROM sources",
            "failures": "SELECT source, content_sha256, kind, reason FROM failures WHERE resolved_at IS NULL",
        }
        return {k: sorted(tuple(r) for r in c.execute(sql)) for k, sql in q.items()}


@pytest.fixture(scope="module")
def batch_runs(trained_config: Config, pg_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The same inbox (with bad files) through `triage batch` into SQLite and into PostgreSQL."""
    from tests.test_batch import _inbox

    tmp = tmp_path_factory.mktemp("pgbatch")
    good = _inbox(tmp / "inbox")
    lite, pg = str(tmp / "lite.db"), pg_server.new_database()
    procs = [_batch([str(tmp / "inbox"), "--workers", "1"], trained_config, lite),
             _batch([str(tmp / "inbox"), "--workers", "2", "--report", str(tmp / "pg.json")], trained_config, pg)]
    outs = [p.communicate(timeout=600) for p in procs]
    return lite, pg, good, [(p.returncode, *o) for p, o in zip(procs, outs, strict=True)], tmp


@pytest.mark.slow
def test_batch_into_postgres_stores_what_a_sqlite_run_stores(batch_runs: Any) -> None:
    lite, pg, good, results, tmp = batch_runs
    for code, out, err in results:
        assert code == 1 and "Traceback" not in err  # 1: the inbox holds three bad files
        assert f"{good} stored" in out and "3 failed" in out
    assert "s3cret" not in results[1][1] and redact_url(pg) in results[1][1]
    expected, got = _contents(lite), _contents(pg)
    assert len(got["documents"]) == good and len(got["failures"]) == 3 and got["flags"]
    for key in expected:
        assert got[key] == expected[key], key
    report = json.loads((tmp / "pg.json").read_text())
    assert report["db"] == pg and len(report["workers"]) == 2


@pytest.mark.slow
def test_export_from_postgres_opens_in_pandas_with_the_sqlite_rows(batch_runs: Any, tmp_path: Path) -> None:
    lite, pg, *_ = batch_runs
    # An export tags the passages the run left to the gazetteer, and so writes to the store: export from a
    # copy, so the SQLite store stays as its batch run left it for the other tests to compare against.
    backup_database(lite, tmp_path / "lite.db")
    frames = []
    for db, name in ((str(tmp_path / "lite.db"), "lite.csv"), (pg, "pg.csv")):
        result = subprocess.run([sys.executable, "-m", "triage", "export", "--db", db, "--out", str(tmp_path / name)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        frames.append(pd.read_csv(tmp_path / name).sort_values("passage_id").reset_index(drop=True))
    assert len(frames[1]) > 0 and set(frames[1]["source"]) >= {"r00.txt", "r04.pdf"}
    pd.testing.assert_frame_equal(frames[0], frames[1])


@pytest.mark.slow
def test_two_runs_write_to_one_postgres_store_at_once(batch_runs: Any, trained_config: Config,
                                                      pg_server: Server) -> None:
    """Unlike SQLite's one-run lock, PostgreSQL lets runs share the store: two runs over overlapping inboxes
    both finish, and every document is stored exactly once."""
    lite, _, good, _, tmp = batch_runs
    pg = pg_server.new_database()
    inbox = tmp / "inbox"
    both = [_batch([str(inbox), "--workers", "1"], trained_config, pg) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in both]
    for p, (_out, err) in zip(both, outs, strict=True):
        assert p.returncode == 1 and "Traceback" not in err and "another triage batch run" not in err
    got, expected = _contents(pg), _contents(lite)
    assert len(got["documents"]) == good
    for key in ("documents", "passages", "entities", "predictions", "flags", "sources"):
        assert got[key] == expected[key], key  # no duplicate rows from the two writers
    with open_store(pg) as store:
        runs = store.runs()
        assert len(runs) == 2 and {r["status"] for r in runs} == {"failed"}  # both ran to the end
        assert sum(r["counts"]["stored"] for r in runs) >= good


@pytest.mark.slow
def test_the_review_ui_works_on_a_postgres_store(pipeline: Any, pg_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_app import PASSWORD, REPORT, _goto, _sign_in, _text
    from triage.review.auth import create_user

    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{pipeline.config.models_dir}"\n')
    monkeypatch.setenv("TRIAGE_DB", pg_url)
    monkeypatch.setenv("TRIAGE_CONFIG", str(toml))
    with open_store(pg_url) as store:
        store.save_result(pipeline.process_file("report.txt", data=REPORT.encode(), source="report.txt"))
        create_user(store, "olu", "analyst", PASSWORD)
    at = _sign_in("olu")
    assert not at.exception and "report.txt" in _text(at)
    for page in ("queues", "trends", "exports", "models", "audit", "briefing", "document"):
        at = _goto(at, page)
        assert not at.exception, (page, at.exception)
    flag_id = next(b.key for b in at.button if b.key and b.key.startswith("accept-"))[7:]
    at.button(key=f"accept-{flag_id}").click().run()
    assert not at.exception and any("Saved: accept" in s.value for s in at.success)
    with open_store(pg_url) as store:
        review = store.latest_review(flag_id)
    assert review is not None and (review.decision, review.reviewer) == ("accept", "olu")
