"""Batch runs: bad files in the middle, limits, resume after SIGKILL, one run at a time, re-classification
with a new model, Dask equals local, and exports of a batch-filled store."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.pdfgen import PageSpec, make_pdf, para, title
from triage.batch import BatchLockedError, BatchOptions, _Lock, iter_inputs, run_batch
from triage.config import ROOT, Config
from triage.store import open_store

pytestmark = pytest.mark.slow


def _passages(n: int, skip: int = 0) -> list[str]:
    """Our own labelled passages (corpus/passages.jsonl) as report text."""
    lines = (ROOT / "corpus" / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[skip : skip + n]]


def _inbox(folder: Path, *, texts: int = 4, pdfs: int = 2, bad: bool = True) -> int:
    """A folder of small reports (text and two-page PDFs) with bad files sorted in the middle.
    Returns how many good, distinct documents it holds."""
    folder.mkdir(parents=True)
    for i in range(texts):
        (folder / f"r{i:02d}.txt").write_text("\n\n".join(_passages(3, skip=7 * i)) + "\n", encoding="utf-8")
    for i in range(pdfs):
        body = _passages(6, skip=100 + 11 * i)
        make_pdf(folder / f"r{texts + i:02d}.pdf",
                 [PageSpec([title(f"Situation update {i}"), *map(para, body[:3])]), PageSpec(list(map(para, body[3:])))],
                 footer="Page {page}")
    if bad:
        (folder / "r01b-truncated.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
        (folder / "r01c-empty.txt").write_bytes(b"")
        (folder / "sub").mkdir()
        (folder / "sub" / "r02b-image.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
        shutil.copy(folder / "r00.txt", folder / "sub" / "copy-of-r00.txt")  # same content: stored once
    return texts + pdfs


def _cfg(cfg: Config, db: Path) -> Config:
    from dataclasses import replace

    return replace(cfg, db=str(db))


def _count_runs(db: str) -> int:
    """Rows in the runs table, read without creating anything (the file may not exist yet)."""
    if not Path(db).exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # schema not created yet
    finally:
        conn.close()


def _rows(db: str) -> dict[str, object]:
    """Everything a run stores, keyed so two stores can be compared (timestamps left out)."""
    with open_store(db) as store:
        c = store.conn
        return {
            "documents": sorted(tuple(r) for r in c.execute(
                "SELECT id, source, page_count, text, risk, model_version FROM documents")),
            "passages": sorted(tuple(r) for r in c.execute("SELECT * FROM passages")),
            "entities": sorted(tuple(r) for r in c.execute("SELECT * FROM entities")),
            "predictions": sorted(tuple(r) for r in c.execute("SELECT * FROM predictions")),
            "flags": sorted(tuple(r) for r in c.execute("SELECT * FROM flags")),
        }


@pytest.fixture(scope="module")
def local_run(trained_config: Config, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One local run with two workers over an inbox with bad files: (config, inbox, good count, report)."""
    tmp = tmp_path_factory.mktemp("batch")
    inbox = tmp / "inbox"
    good = _inbox(inbox)
    cfg = _cfg(trained_config, tmp / "local.db")
    report = run_batch([inbox], cfg, BatchOptions(workers=2))
    return cfg, inbox, good, report


def test_bad_files_in_the_middle_are_recorded_and_the_run_goes_on(local_run) -> None:  # type: ignore[no-untyped-def]
    cfg, inbox, good, report = local_run
    c = report["counts"]
    assert c["inputs"] == good + 4 and c["stored"] == good and c["duplicates"] == 1 and c["failed"] == 3
    assert report["status"] == "failed" and report["pages"] == (good - 2) + 2 * 2
    reasons = {f["source"]: f["reason"] for f in report["failures"]}
    assert set(reasons) == {"r01b-truncated.pdf", "r01c-empty.txt", "sub/r02b-image.pdf"}
    assert "empty" in reasons["r01c-empty.txt"] and "PNG" in reasons["sub/r02b-image.pdf"]
    assert len(report["workers"]) == 2 and all(w["peak_rss_mb"] > 50 for w in report["workers"].values())
    with open_store(cfg.db) as store:
        assert len(store.list_documents()) == good
        assert {Path(f["source"]).name for f in store.failures()} == {"r01b-truncated.pdf", "r01c-empty.txt",
                                                                     "r02b-image.pdf"}
        [run] = store.runs()
        assert run["status"] == "failed" and run["report"] == report and run["counts"]["stored"] == good
        assert store.integrity_check() == "ok"


def test_a_second_run_skips_stored_and_known_bad_files_without_starting_workers(local_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg, inbox, good, _ = local_run
    db = tmp_path / "again.db"
    shutil.copy(cfg.db, db)
    report = run_batch([inbox], _cfg(cfg, db), BatchOptions(workers=2))
    c = report["counts"]
    assert (c["stored"], c["skipped"], c["known_failures_skipped"], c["failed"]) == (0, good, 3, 0)
    assert report["workers"] == {} and report["status"] == "ok"


def test_limits_stop_a_file_and_retry_failed_retries_it(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "in"
    inbox.mkdir()
    # Every corpus passage twice, numbered so none is a repeat: thousands of passages take several
    # seconds even on a fast machine (600 once finished inside 1.5 s on CI), while two take a few
    # milliseconds once the worker is warm; the short file keeps the run going after the timeout.
    long_text = [f"{i}. {t}" for i, t in enumerate(_passages(2000) * 2)]
    (inbox / "long.txt").write_text("\n\n".join(long_text) + "\n", encoding="utf-8")
    (inbox / "short.txt").write_text("\n\n".join(_passages(2, skip=400)) + "\n", encoding="utf-8")
    cfg = _cfg(trained_config, tmp_path / "t.db")
    first = run_batch([inbox], cfg, BatchOptions(workers=1, time_limit=1.0))
    assert [f["kind"] for f in first["failures"]] == ["timeout"] and first["failures"][0]["source"] == "long.txt"
    assert first["counts"]["stored"] == 1
    tight = run_batch([inbox], _cfg(trained_config, tmp_path / "m.db"), BatchOptions(workers=1, limit_mb=50))
    assert {f["kind"] for f in tight["failures"]} == {"memory"} and tight["counts"]["failed"] == 2
    retried = run_batch([], cfg, BatchOptions(workers=1, retry_failed=True))
    assert retried["counts"]["stored"] == 1 and retried["counts"]["failed"] == 0
    with open_store(cfg.db) as store:
        assert store.failures() == [] and len(store.list_documents()) == 2


def test_a_new_model_only_reclassifies_stored_documents(local_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from triage.analyse.registry import load_model, read_card, save_model

    cfg, inbox, good, _ = local_run
    models = tmp_path / "models"
    shutil.copytree(cfg.models_dir, models)
    model = load_model(models)
    # max_labels=0: no cap on labels per passage, so a threshold of 0 flags every label of every passage.
    v2 = save_model(replace(model, version="", thresholds={k: 0.0 for k in model.thresholds}, max_labels=0),
                    read_card(models),
                    models, activate=True)
    db = tmp_path / "v2.db"
    shutil.copy(cfg.db, db)
    cfg2 = replace(cfg, db=str(db), models_dir=models)
    before = _rows(str(db))
    with open_store(db) as store:
        flag = store.flags(before["documents"][0][0])[0]["id"]
        store.add_review(flag, "accept", "amina")
    report = run_batch([inbox], cfg2, BatchOptions(workers=2))
    assert report["counts"]["reclassified"] == good and report["counts"]["stored"] == 0
    assert report["workers"] == {}  # no extraction: stored passages and entities were reused
    after = _rows(str(db))
    untagged = {r[0] for r in before["passages"] if r[-1] == 0}
    assert untagged  # the first run left its unflagged passages to the gazetteer (entity_scope "flagged")
    assert [r[:-1] for r in after["passages"]] == [r[:-1] for r in before["passages"]]
    # A threshold of 0 flags every passage, so those the NER skipped have had it now...
    assert all(r[-1] == 1 for r in after["passages"])
    # (the gazetteer alone may already have found a place in each of them: the NER adds the rest, such as people)
    assert {r for r in after["entities"] if r[0] in untagged} - {r for r in before["entities"] if r[0] in untagged}
    # ...and the entities of passages tagged before are reused exactly.
    def tagged_before(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [r for r in rows if r[0] not in untagged]
    assert tagged_before(after["entities"]) == tagged_before(before["entities"])
    assert {r[1] for r in after["predictions"]} == {v2}
    assert len(after["flags"]) == len(after["passages"]) * 14  # every label over a threshold of 0
    with open_store(db) as store:
        assert [r.decision for r in store.reviews()] == ["accept"]


def test_dask_local_cluster_gives_the_same_results_as_local(local_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    cfg, inbox, good, local_report = local_run
    db = tmp_path / "dask.db"
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0",
                      host="127.0.0.1", protocol="tcp://") as cluster:  # a real TCP scheduler address
        report = run_batch([inbox], _cfg(cfg, db), BatchOptions(scheduler=cluster.scheduler_address))
    assert report["counts"] == local_report["counts"]
    assert {f["source"] for f in report["failures"]} == {f["source"] for f in local_report["failures"]}
    assert _rows(str(db)) == _rows(cfg.db)


def test_exports_of_a_batch_open_in_pandas_and_openpyxl(local_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg, *_ = local_run
    with open_store(cfg.db) as store:
        n = store.conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        flagged = store.conn.execute("SELECT COUNT(DISTINCT passage_id) FROM flags").fetchone()[0]
    env = {**os.environ, "TRIAGE_DB": cfg.db}
    for name, extra in (("all.xlsx", []), ("flagged.csv", ["--flagged-only"])):
        proc = subprocess.run([sys.executable, "-m", "triage", "export", "--out", str(tmp_path / name), *extra],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
    frame = pd.read_excel(tmp_path / "all.xlsx")
    assert len(frame) == n and load_workbook(tmp_path / "all.xlsx").sheetnames == ["passages"]
    assert set(frame["source"]) == {f"r{i:02d}.{'txt' if i < 4 else 'pdf'}" for i in range(6)}
    assert 0 < flagged < n and len(pd.read_csv(tmp_path / "flagged.csv")) == flagged


def _cli(args: list[str], cfg: Config, **kw):  # type: ignore[no-untyped-def]
    toml = Path(cfg.db).parent / "triage.toml"
    toml.write_text(f'models_dir = "{cfg.models_dir}"\n')
    env = {**os.environ, "TRIAGE_CONFIG": str(toml), "TRIAGE_DB": cfg.db}
    return subprocess.Popen([sys.executable, "-m", "triage", "batch", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_two_runs_at_once_the_second_refuses_or_waits(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "in"
    _inbox(inbox, texts=1, pdfs=0, bad=False)
    cfg = _cfg(trained_config, tmp_path / "t.db")
    lock = _Lock(cfg.db, wait=False)  # a run in progress, as far as the store can tell
    with pytest.raises(BatchLockedError, match=f"pid {os.getpid()}"):
        run_batch([inbox], cfg)
    refused = _cli([str(inbox)], cfg)
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == 1 and err.startswith("Error: another triage batch run (pid ")
    assert "--wait" in err and "Traceback" not in err
    waiting = _cli([str(inbox), "--wait", "--workers", "1"], cfg)
    time.sleep(3)
    assert waiting.poll() is None  # still queued behind the lock
    lock.release()
    out, err = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, err
    assert "1 stored" in out


def test_sigkill_at_random_points_then_resume_stores_every_document_once(trained_config, pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "in"
    good = _inbox(inbox, texts=14, pdfs=2, bad=True)
    cfg = _cfg(trained_config, tmp_path / "t.db")
    rng = random.Random(6)
    for _ in range(4):
        before = _count_runs(cfg.db)
        proc = _cli([str(inbox), "--workers", "2"], cfg, start_new_session=True)
        # Kill at a random moment after the run has recorded itself, so the test means the same on an idle
        # machine and on a loaded CI runner, where start-up alone can take longer than any fixed sleep.
        deadline = time.monotonic() + 120
        while _count_runs(cfg.db) == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 2.5))
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers at once, as a power cut would
        proc.communicate(timeout=30)
    final = _cli([str(inbox), "--workers", "2", "--report", str(tmp_path / "run.json")], cfg)
    out, err = final.communicate(timeout=300)
    assert final.returncode in (0, 1), err  # 1 if the bad files were first met in this run
    report = json.loads((tmp_path / "run.json").read_text())
    assert report["status"] in ("ok", "failed") and report["counts"]["inputs"] == good + 4
    with open_store(cfg.db) as store:
        assert store.integrity_check() == "ok"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        runs = store.runs()
        # A run killed before it recorded itself leaves no row; one that finished before its kill ended
        # normally. Every other one is marked interrupted, with no end time, and at least one was.
        assert 2 <= len(runs) <= 5 and runs[0]["ended_at"]
        assert all((r["status"] == "interrupted") == (r["ended_at"] is None) for r in runs[1:])
        assert "interrupted" in {r["status"] for r in runs[1:]}
        docs = store.list_documents()
        assert len(docs) == good and len({d["source"] for d in docs}) == good
        assert {Path(f["source"]).name for f in store.failures()} == {
            "r01b-truncated.pdf", "r01c-empty.txt", "r02b-image.pdf"}
        for item in iter_inputs([inbox]):
            if item.name.startswith("r") and "b-" not in item.name and "c-" not in item.name:
                expected = pipeline.process_file(item.origin, source=item.name)
                stored = store.passages(expected.document.id)
                assert stored == list(expected.passages), item.name
                preds = store.conn.execute(
                    "SELECT COUNT(*) FROM predictions p JOIN passages s ON s.id = p.passage_id WHERE s.doc_id = ?",
                    (expected.document.id,)).fetchone()[0]
                assert preds == len(expected.passages)


# -- archives -----------------------------------------------------------------------------------------
def _zip(path: Path, members: dict[str, bytes]) -> bytes:
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path.read_bytes()


def _pdf_bytes(tmp: Path, i: int, body: list[str]) -> bytes:
    make_pdf(tmp / f"p{i}.pdf", [PageSpec([title(f"Archived update {i}"), *map(para, body[:3])]),
                                 PageSpec(list(map(para, body[3:])))], footer="Page {page}")
    return (tmp / f"p{i}.pdf").read_bytes()


@pytest.fixture(scope="module")
def archive_run(trained_config: Config, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A folder of archives (good, hostile, nested, a tar with a symlink) run once: (config, folder, members, report).
    `members` maps each good member's stored source to its bytes."""
    import io
    import tarfile

    tmp = tmp_path_factory.mktemp("archives")
    work, folder = tmp / "work", tmp / "in"
    work.mkdir()
    folder.mkdir()
    text = {f"r{i}.txt": ("\n\n".join(_passages(3, skip=500 + 9 * i)) + "\n").encode() for i in range(3)}
    pdfs = {f"dir/report{i}.pdf": _pdf_bytes(work, i, _passages(6, skip=700 + 13 * i)) for i in range(2)}
    # Named without an archive extension: what a file is comes from its content.
    _zip(folder / "bundle.dat", {**pdfs, "dir/notes.txt": text["r0.txt"], "dir/bad.pdf": b"%PDF-1.7\n1 0 obj <<",
                                 "dir/picture.png": b"\x89PNG\r\n\x1a\n"})
    _zip(folder / "escape.zip", {"../../outside.txt": text["r1.txt"], "fine.txt": text["r1.txt"]})
    _zip(folder / "bomb.zip", {"zeros.txt": bytes(30 << 20)})
    inner = _zip(work / "inner.zip", {"deep.txt": text["r2.txt"]})
    _zip(folder / "outer.zip", {"inner.zip": inner, "again.txt": text["r0.txt"]})  # again.txt: a duplicate
    with tarfile.open(folder / "links.tgz", "w:gz") as t:
        for name, data in (("tar/ok.txt", ("\n\n".join(_passages(2, skip=900)) + "\n").encode()),):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("tar/passwd.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        t.addfile(link)
    members = {f"bundle.dat/{k}": v for k, v in pdfs.items()} | {
        "bundle.dat/dir/notes.txt": text["r0.txt"], "escape.zip/fine.txt": text["r1.txt"],
        "outer.zip/inner.zip/deep.txt": text["r2.txt"],
        "links.tgz/tar/ok.txt": ("\n\n".join(_passages(2, skip=900)) + "\n").encode()}
    cfg = _cfg(trained_config, tmp / "a.db")
    report = run_batch([folder], cfg, BatchOptions(workers=2))
    return cfg, folder, members, report


def test_archive_members_are_processed_like_single_files(archive_run, pipeline) -> None:  # type: ignore[no-untyped-def]
    cfg, _, members, report = archive_run
    with open_store(cfg.db) as store:
        docs = {d["source"]: d["id"] for d in store.list_documents()}
        assert set(docs) == set(members)  # outer.zip/again.txt has bundle's notes.txt content: stored once
        for source, data in members.items():
            expected = pipeline.process_file(source, data=data, source=source)
            assert expected.document.id == docs[source]
            assert store.passages(docs[source]) == list(expected.passages), source
            if source.endswith(".pdf"):  # the review UI shows the page from these bytes
                assert store.source_bytes(docs[source]) == data
    assert report["counts"]["duplicates"] == 1 and report["counts"]["stored"] == len(members)


def test_every_archive_refusal_is_a_failure_with_its_reason_and_the_run_goes_on(archive_run) -> None:  # type: ignore[no-untyped-def]
    cfg, folder, members, report = archive_run
    reasons = {f["source"]: (f["kind"], f["reason"]) for f in report["failures"]}
    assert set(reasons) == {"escape.zip/../../outside.txt", "bomb.zip/zeros.txt", "links.tgz/tar/passwd.txt",
                            "bundle.dat/dir/bad.pdf"}
    assert reasons["escape.zip/../../outside.txt"][0] == "refused" and "'..'" in reasons["escape.zip/../../outside.txt"][1]
    assert "zip bomb" in reasons["bomb.zip/zeros.txt"][1]
    assert "link" in reasons["links.tgz/tar/passwd.txt"][1]
    assert reasons["bundle.dat/dir/bad.pdf"][0] == "error"
    assert not (folder.parent / "outside.txt").exists() and not (folder / "outside.txt").exists()
    with open_store(cfg.db) as store:
        where = {f["source"] for f in store.failures()}
    # Recorded where they are, through the archive, so --retry-failed can find them again.
    assert str(folder.resolve() / "bundle.dat" / "dir" / "bad.pdf") in where
    assert report["counts"]["inputs"] == len(members) + 1 + 4  # + the duplicate + the four failures


def test_archive_members_resume_and_retry_failed_after_a_damaged_member_is_replaced(archive_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    cfg, folder, members, _ = archive_run
    db = tmp_path / "again.db"
    shutil.copy(cfg.db, db)
    again = run_batch([folder], _cfg(cfg, db), BatchOptions(workers=1))
    c = again["counts"]
    assert (c["stored"], c["skipped"], c["known_failures_skipped"], c["failed"]) == (0, len(members), 4, 0)
    assert again["workers"] == {}  # stored members are recognised by content without starting a worker

    # The damaged PDF is replaced inside the archive; a retry walks the archive again for it.
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    with zipfile.ZipFile(folder / "bundle.dat") as z:
        kept = {n: z.read(n) for n in z.namelist() if n != "dir/bad.pdf"}
    good_pdf = _pdf_bytes(fixed, 9, _passages(6, skip=1100))
    shutil.copytree(folder, fixed / "in")
    _zip(fixed / "in" / "bundle.dat", {**kept, "dir/bad.pdf": good_pdf})
    with open_store(db) as store:  # the failures point at the folder that now holds the fixed archive
        store.conn.execute("UPDATE failures SET source = replace(source, ?, ?), "
                           "content_sha256 = replace(content_sha256, ?, ?)",
                           (str(folder.resolve()), str((fixed / "in").resolve())) * 2)
        store.conn.commit()
    retried = run_batch([], _cfg(cfg, db), BatchOptions(workers=1, retry_failed=True))
    assert retried["counts"]["stored"] == 1 and {f["source"] for f in retried["failures"]} == {
        "escape.zip/../../outside.txt", "bomb.zip/zeros.txt", "links.tgz/tar/passwd.txt"}
    with open_store(db) as store:
        assert {Path(f["source"]).name for f in store.failures()} == {"outside.txt", "zeros.txt", "passwd.txt"}
        assert any(d["source"] == "bundle.dat/dir/bad.pdf" for d in store.list_documents())


def test_archives_nested_too_deep_are_refused_not_opened(tmp_path) -> None:
    data = b"fine enough text for a report\n"
    for depth in range(5):
        data = _zip(tmp_path / f"z{depth}.zip", {f"level{depth}.zip" if depth else "leaf.txt": data})
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deep.zip").write_bytes(data)
    items = list(iter_inputs([tmp_path / "in"]))
    assert len(items) == 1 and "nested deeper" in items[0].refusal and items[0].name.startswith("deep.zip/")


def test_a_changed_model_file_stops_the_run_with_a_clear_error_and_stores_nothing(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The runner no longer loads the model itself (its workers do), so the integrity check reaches the
    # user from a worker: still one clear message, exit code 1, and no document stored under a bad model.
    from dataclasses import replace

    models = tmp_path / "models"
    shutil.copytree(trained_config.models_dir, models)
    version = json.loads((models / "registry.json").read_text())["active"]
    with open(models / version / "model.joblib", "ab") as f:
        f.write(b"tampered")
    inbox = tmp_path / "in"
    _inbox(inbox, texts=1, pdfs=0, bad=False)
    cfg = replace(_cfg(trained_config, tmp_path / "m.db"), models_dir=models)
    proc = _cli([str(inbox), "--workers", "1"], cfg)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 1, (out, err)
    assert err.startswith("Error: a worker could not start: ") and "will not be loaded" in err, err
    assert "Traceback" not in err
    with open_store(cfg.db) as store:
        assert store.stored_versions() == {}


def test_workers_start_under_a_foreign_main_such_as_streamlits(trained_config, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Under Streamlit, __main__ is app.py; a spawned worker must not run it (it would never answer)."""
    import types

    script = tmp_path / "ui_script.py"
    script.write_text("raise SystemExit('the UI script ran inside a batch worker')\n")
    foreign = types.ModuleType("__main__")
    foreign.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", foreign)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "short.txt").write_text("\n\n".join(_passages(2, skip=400)) + "\n", encoding="utf-8")
    report = run_batch([inbox], _cfg(trained_config, tmp_path / "f.db"), BatchOptions(workers=1))
    assert report["counts"]["stored"] == 1 and report["failures"] == []
    assert sys.modules["__main__"] is foreign
