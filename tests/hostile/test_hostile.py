"""Hostile input through every path we own: extraction (one child process per case, with a timeout and
an address-space limit), the CLI `scan` and `batch`, and the store.

Each case must end in a clear per-file error or a bounded correct result; a batch run goes on past
every bad file; nothing already stored changes. conftest.py prints the tally at the end of the session.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.hostile.cases import BODY, CASES, HOSTILE_NAMES, Case
from triage.errors import TriageError
from triage.read.extract import extract_document
from triage.store import integrity_check, open_store

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 1536 << 20  # address space for a child: enough for pdfminer + numpy, not for a bomb
TIMEOUT = 60


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _child(args: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT, memory: bool = True,
           timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **(env or {})}, preexec_fn=_limit_memory if memory else None)


def _probe(path: Path, *, timeout: float = TIMEOUT) -> dict[str, object]:
    proc = _child(["-m", "tests.hostile.probe", str(path)], timeout=timeout)
    assert proc.returncode == 0, f"crashed instead of a clear error:\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def _params() -> list[object]:
    return [pytest.param(c, id=c.filename, marks=[
        *([pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []),
        *([pytest.mark.slow] if c.seconds > TIMEOUT else [])]) for c in CASES]


@pytest.mark.parametrize("case", _params())
def test_extraction_case(case: Case, hostile_files, record_outcome) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    got = _probe(hostile_files[case.name], timeout=case.seconds)
    assert time.monotonic() - start < case.seconds
    if got["outcome"] == "error":
        assert case.expect in ("error", "either"), f"expected a result, got: {got['message']}"
        message = str(got["message"])
        assert message.startswith(case.filename) and "retry" in message  # names the file, says what to do
        assert re.search(case.error_match, message), message
        record_outcome("clear error")
    else:
        assert case.expect in ("ok", "either"), f"expected an error, got text {str(got['text'])[:80]!r}"
        assert case.contains in str(got["text"])
        record_outcome("correct result")


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)  # no blocks written: 2 GB on paper, nothing on disk
    return path


def test_a_2gb_sparse_file_is_refused_at_once_by_scan(tmp_path, record_outcome) -> None:  # type: ignore[no-untyped-def]
    big = _sparse(tmp_path / "huge.pdf", 2 << 30)
    no_models = tmp_path / "triage.toml"  # were models loaded first, this would fail with "no trained model"
    no_models.write_text(f'models_dir = "{tmp_path / "none"}"\n')
    proc = _child(["-m", "triage", "scan", str(big)], env={"TRIAGE_CONFIG": str(no_models)}, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: huge.pdf is 2,048 MB, over the 200 MB limit"), proc.stderr
    record_outcome("refused")


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_devices_and_pipes_are_refused_not_read(kind, tmp_path, record_outcome) -> None:  # type: ignore[no-untyped-def]
    if kind == "device":
        path = Path("/dev/zero")  # read_bytes() on it would never end
    else:
        path = tmp_path / "pipe.txt"
        os.mkfifo(path)  # opening it would block forever with no writer
    got = _probe(path)
    assert got["outcome"] == "error" and "not a regular file" in str(got["message"])
    record_outcome("refused")


def test_a_file_that_changes_while_it_is_read(tmp_path, record_outcome) -> None:  # type: ignore[no-untyped-def]
    """Rewritten in place, over and over, while it is extracted: each read is one consistent snapshot
    (the id is the hash of exactly the text returned) or a clear error, never a crash."""
    path = tmp_path / "moving.txt"
    versions = [(BODY + "\n\n") * 40, ("Other words entirely, about the convoy. " * 20 + "\n\n") * 30]
    path.write_text(versions[0])
    snapshots = {hashlib.sha256(v[:k].encode()).hexdigest(): v[:k].encode()
                 for v in versions for k in [*range(4096, len(v), 4096), len(v)]}
    stop = threading.Event()

    def rewrite() -> None:
        n = 0
        while not stop.is_set():
            with open(path, "w", encoding="utf-8") as f:  # truncate, then write in pieces
                text = versions[n % 2]
                for i in range(0, len(text), 4096):
                    f.write(text[i : i + 4096])
                    f.flush()
                    time.sleep(0.0005)  # let the reader in between pieces, as another process would
            n += 1
            # A whole version stays put for a moment, as a saved file would; without this pause a busy
            # 2-core CI machine can schedule every read straight after a truncate, so none sees a whole file.
            time.sleep(0.003)

    writer = threading.Thread(target=rewrite)
    writer.start()
    seen = {"ok": 0, "error": 0}
    try:
        for i in range(60):
            time.sleep(0.0007 * (i % 5))  # reads land at varied points of the writer's cycle
            try:
                doc = extract_document(path)
            except TriageError as exc:
                assert "moving.txt" in str(exc)
                seen["error"] += 1
                continue
            # Written in 4,096-character pieces after a truncate, so every state of the file is a prefix
            # ending at a piece boundary: the document must be exactly one of those states.
            state = snapshots.get(doc.id)
            assert state is not None, "the document mixes bytes from different moments"
            assert doc == extract_document(path, data=state)
            seen["ok"] += 1
    finally:
        stop.set()
        writer.join()
    assert seen["ok"] > 0
    record_outcome("consistent snapshots")


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in ("documents", "passages", "flags", "predictions", "reviews")}
    finally:
        conn.close()


@pytest.mark.slow
def test_batch_goes_on_past_every_hostile_file_and_changes_nothing_stored(  # type: ignore[no-untyped-def]
    pipeline, hostile_files, tmp_path, record_outcome
) -> None:
    env_file = tmp_path / "triage.toml"
    env_file.write_text(f'models_dir = "{pipeline.config.models_dir}"\n')
    db = tmp_path / "hostile.db"
    env = {"TRIAGE_CONFIG": str(env_file), "TRIAGE_DB": str(db)}
    # Already stored, with a reviewer's decision: the hostile run must not touch any of it.
    earlier = "Militias looted the aid convoy and abducted two drivers near the border.\n"
    with open_store(db) as store:
        store.save_result(pipeline.process_file("earlier.txt", data=earlier.encode(), source="earlier.txt"))
        flag = store.conn.execute("SELECT id FROM flags LIMIT 1").fetchone()
        assert flag, "the earlier report should raise a flag to review"
        store.add_review(flag[0], "accept", "amina", note="kept through the hostile run")
    before = _snapshot(db)

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    expected_fail, expected_ok = set(), set()
    for case in CASES:
        if case.xfail or not case.in_batch:
            continue  # a crash inside extract.py is tested (and routed) above
        (inbox / case.filename).write_bytes(hostile_files[case.name].read_bytes())
        (expected_fail if case.expect == "error" else expected_ok).add(case.filename)
    for n, name in enumerate(HOSTILE_NAMES):
        (inbox / name).write_text(f"Report {n}: {BODY}\n")
        expected_ok.add(name)
    _sparse(inbox / "sparse-2gb.txt", 2 << 30)
    expected_fail.add("sparse-2gb.txt")
    proc = _child(["-m", "triage", "batch", str(inbox)], env=env, cwd=tmp_path, timeout=400)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 1  # some files failed, and the run said so at the end
    assert f"{len(expected_fail) + len(expected_ok)} files into" in proc.stdout
    stored, failed = (int(re.search(rf"(\d+) {what}", proc.stdout)[1]) for what in ("stored", "failed"))
    # "either" cases may end stored or refused; every file is one or the other, none is lost.
    assert stored + failed == len(expected_fail) + len(expected_ok) and failed >= len(expected_fail)
    for name in expected_fail:
        assert re.search(rf"failed \(\w+\): {re.escape(name)}: ", proc.stderr), name
    assert not list(tmp_path.rglob("PWNED*"))  # no name was ever handed to a shell
    assert integrity_check(db) == []
    after = _snapshot(db)
    for table, rows in before.items():
        assert set(rows) <= set(after[table]), f"{table}: a row stored before the hostile run changed"
    with open_store(db) as store:
        sources = {d["source"] for d in store.list_documents()}
    assert set(HOSTILE_NAMES) <= sources  # stored under their exact names, however odd
    assert not expected_fail & sources
    record_outcome("run went on")


@pytest.mark.slow
def test_scan_takes_a_hostile_file_name_as_a_name(trained_config, tmp_path, record_outcome) -> None:  # type: ignore[no-untyped-def]
    """Newline, shell syntax and a right-to-left override in one name: scanned, reported under exactly that
    name, and nothing handed to a shell."""
    name = "$(touch PWNED)\n`touch PWNED2`; a\u202etxt.exe.txt"
    path = tmp_path / name
    path.write_text(BODY + "\n")
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{trained_config.models_dir}"\n')
    proc = _child(["-m", "triage", "scan", str(path), "--json"], env={"TRIAGE_CONFIG": str(toml)}, cwd=tmp_path,
                  memory=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["document"]["source"] in (name, str(path))
    assert "granaries" in got["passages"][0]["text"]
    assert not list(tmp_path.rglob("PWNED*"))
    record_outcome("correct result")
