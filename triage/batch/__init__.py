"""Batch runs: many files into the store, resumable, in parallel, with every failure recorded.

The runner is the only writer: workers (triage/batch/workers.py) extract and analyse, the runner stores each
document in one transaction. So a run killed at any moment leaves every document either fully stored or
absent, and the next run skips what is stored under the same model version, re-classifies what is stored
under another one (reusing its extraction), and redoes the rest. One run at a time per store (a lock).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from triage.batch.inputs import (
    SUPPORTED,
    InputItem,
    archive_of,
    constant,
    expand_input,
    iter_files,
    iter_inputs,
)
from triage.batch.workers import Outcome, Task, peak_rss_mb, run_dask, run_local
from triage.config import Config
from triage.errors import InputRejectedError, StoreError, TriageError
from triage.read.email_text import is_email
from triage.store.db import is_postgres_url, redact_url

# Input discovery lives in triage.batch.inputs; these names stay importable from triage.batch.
__all__ = ["SUPPORTED", "BatchLockedError", "BatchOptions", "InputItem", "Progress", "expand_input", "iter_files",
           "iter_inputs", "run_batch"]

DEFAULT_TIME_LIMIT = 300.0  # seconds per file: a 300-page report takes well under a minute
DEFAULT_LIMIT_MB = 2048.0  # per worker: spaCy + the model use about 0.5 GB, a large PDF a few hundred MB more
REPORT_VERSION = 1


class BatchLockedError(StoreError):
    """Another batch run is writing to the same store."""


@dataclass(frozen=True)
class BatchOptions:
    """How a run is carried out; recorded with the run."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    scheduler: str | None = None  # tcp://HOST:PORT of a Dask scheduler
    time_limit: float = DEFAULT_TIME_LIMIT
    limit_mb: float = DEFAULT_LIMIT_MB
    force: bool = False  # re-process documents already stored under this model
    retry_failed: bool = False  # process only the files that failed before
    wait: bool = False  # wait for another run on the same store instead of refusing

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise TriageError(f"--workers must be at least 1, got {self.workers}")
        if self.time_limit <= 0 or self.limit_mb <= 0:
            raise TriageError("the time and memory limits must be positive")


@dataclass
class Progress:
    """A snapshot for progress bars: files done of total, pages stored, failures so far."""

    total: int
    done: int = 0
    pages: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    current: str = ""

    @property
    def pages_per_second(self) -> float:
        return self.pages / max(time.monotonic() - self.started, 1e-9)


class _Lock:
    """An exclusive advisory lock beside the store (`<db>.lock`), released by the OS if the run dies."""

    def __init__(self, db: str, *, wait: bool) -> None:
        self.path = f"{db}.lock"
        self.file: IO[str] = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the run)
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "unknown"
            self.file.close()
            raise BatchLockedError(
                f"another triage batch run ({holder}) is writing to {db}; wait for it to finish, "
                "or pass --wait to start when it does"
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()}, started {_now()}")
        self.file.flush()

    def release(self) -> None:
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_batch(
    paths: Iterable[str | Path],
    config: Config,
    options: BatchOptions | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Process files and folders into the store at `config.db`; return the run report (also stored)."""
    from triage.analyse.registry import active_version
    from triage.store import open_store

    options = options or BatchOptions()
    # SQLite has one writer at a time, so runs take turns; PostgreSQL lets runs share the store (each holds
    # its own lock in the database instead, see Store.start_run).
    lock = None if is_postgres_url(config.db) else _Lock(config.db, wait=options.wait)
    try:
        # Only the version's name: the runner loads the model only if a stored document needs re-classifying,
        # so a run's workers start without waiting for the runner to import scikit-learn.
        version = active_version(config.models_dir)
        with open_store(config.db) as store:
            return _Run(store, config, options, version, on_progress).execute(list(paths))
    finally:
        if lock is not None:
            lock.release()


class _Run:
    """One run's state: counts, report, and the writing of outcomes."""

    def __init__(self, store: Any, config: Config, options: BatchOptions, version: str,
                 on_progress: Callable[[Progress], None] | None) -> None:
        self.store, self.config, self.options = store, config, options
        self.version = version
        self.reclassifier: Any = None
        self.on_progress = on_progress or (lambda _p: None)
        self.counts = {"inputs": 0, "stored": 0, "reclassified": 0, "skipped": 0, "duplicates": 0,
                       "failed": 0, "known_failures_skipped": 0}
        self.failures: list[dict[str, str]] = []
        self.timing = {"extract_seconds": 0.0, "analyse_seconds": 0.0, "store_seconds": 0.0,
                       "reclassify_seconds": 0.0, "worker_cpu_seconds": 0.0}
        self.workers: dict[str, dict[str, float]] = {}
        self.origins: dict[str, str] = {}
        self.failed_at: dict[str, list[str]] = {}  # source -> content keys of its unresolved failures
        self.pending: dict[str, bytes] = {}  # bytes of the files at the workers, until their outcome is written

    def execute(self, paths: list[str | Path]) -> dict[str, Any]:
        opts = asdict(self.options) | {"paths": [str(p) for p in paths], "model_version": self.version}
        self.run_id = self.store.start_run(opts)
        started, t0, cpu0 = _now(), time.monotonic(), time.process_time()
        status = "interrupted"
        try:
            known = {f["content_sha256"]: f for f in self.store.failures()}
            for k, f in known.items():
                self.failed_at.setdefault(f["source"], []).append(k)
            files = self._files(paths, known)
            self.progress = Progress(total=len(files))
            self.on_progress(self.progress)
            tasks = self._tasks(files, known)
            if self.options.scheduler:
                outcomes = run_dask(tasks, self.config, self.version, scheduler=self.options.scheduler,
                                    worker_stats=self.workers)
            else:
                outcomes = run_local(tasks, self.config, self.version, workers=self.options.workers,
                                     time_limit=self.options.time_limit, limit_mb=self.options.limit_mb,
                                     worker_stats=self.workers)
            for outcome in outcomes:
                self._write(outcome)
            status = "failed" if self.counts["failed"] else "ok"
        finally:
            seconds = time.monotonic() - t0
            pages = self.progress.pages if hasattr(self, "progress") else 0
            report = {
                "report_version": REPORT_VERSION, "run_id": self.run_id, "status": status,
                "started_at": started, "ended_at": _now(), "db": redact_url(self.config.db), "options": opts,
                "model_version": self.version, "counts": self.counts, "pages": pages,
                "seconds": round(seconds, 2), "pages_per_second": round(pages / max(seconds, 1e-9), 2),
                "timing": {k: round(v, 2) for k, v in self.timing.items()},
                "runner_peak_rss_mb": round(peak_rss_mb(), 1),
                "runner_cpu_seconds": round(time.process_time() - cpu0, 2),
                "workers": {k: {"files": int(v["files"]), "peak_rss_mb": round(v["peak_rss_mb"], 1)}
                            for k, v in self.workers.items()},
                "failures": self.failures,
            }
            self.store.finish_run(self.run_id, status, self.counts, report)
        return report

    def _files(self, paths: list[str | Path], known: dict[str, dict[str, Any]]) -> list[InputItem]:
        if not self.options.retry_failed or paths:  # with paths: the content hash picks the failed ones in _tasks
            return list(iter_files(paths))
        files: dict[str, InputItem] = {}
        for f in known.values():
            source = f["source"]
            archive = None if Path(source).is_file() else archive_of(source)
            if archive is None:  # a file (or one that is gone: it fails again as unreadable)
                files[source] = InputItem(Path(source).name, source, Path(source).read_bytes)
            else:  # a member: walk its archive again; members not failed before are skipped in _tasks
                files[str(archive)] = InputItem(archive.name, str(archive), archive.read_bytes)
        return list(files.values())

    def _tasks(self, files: list[InputItem], known: dict[str, dict[str, Any]]) -> Iterator[Task]:
        """Open each input (archives into members), then sort every item: refused, skipped, re-classified in
        place, or handed to a worker."""
        stored = self.store.stored_versions()
        seen: set[str] = set()
        for file in files:
            found = 0
            try:
                for item in expand_input(file, max_file_mb=self.config.max_file_mb):
                    found += 1
                    if found > 1:  # an archive counts as its members
                        self.progress.total += 1
                    yield from self._sort_with_attachments(item, known, stored, seen)
            except InputRejectedError as exc:
                self.counts["inputs"] += 1
                self._fail(file.name, f"path:{file.origin}", "refused", str(exc))
                continue
            except OSError as exc:
                self.counts["inputs"] += 1
                self._fail(file.name, f"path:{file.origin}", "unreadable",
                           f"{file.name} could not be read ({exc.strerror or exc}); check the path and retry")
                continue
            if not found:  # an archive with nothing to process in it
                self.progress.total -= 1
                self.on_progress(self.progress)

    def _sort(self, item: InputItem, data: bytes | None, known: dict[str, dict[str, Any]], stored: dict[str, str],
              seen: set[str]) -> Task | None:
        self.counts["inputs"] += 1
        self.progress.current = item.name
        if item.refusal:  # nothing to read: known by its path, like an unreadable file
            key = f"path:{item.origin}"
            if self.options.retry_failed != (key in known):
                self._skip("known_failures_skipped" if key in known else "skipped")
            else:
                self._fail(item.name, key, "refused", item.refusal)
            return None
        assert data is not None  # only a refused item comes without bytes
        key = hashlib.sha256(data).hexdigest()
        self.origins[key] = item.origin
        if key in seen:
            self._skip("duplicates")
            return None
        seen.add(key)
        # By content, or by place: a file fixed where it was (a damaged member replaced) is retried too.
        failed_before = key in known or f"path:{item.origin}" in known or item.origin in self.failed_at
        if self.options.retry_failed != failed_before:
            self._skip("known_failures_skipped" if failed_before else "skipped")
            return None
        if key in stored and not self.options.force:
            if stored[key] == self.version:
                self._skip("skipped")
            else:
                self._reclassify(key)
            return None
        return Task(key, item.name, data)

    def _sort_with_attachments(self, item: InputItem, known: dict[str, dict[str, Any]],
                               stored: dict[str, str], seen: set[str]) -> Iterator[Task]:
        """One item, then, for an e-mail, each attachment as a document of its own ("mail.eml/report.pdf").

        An attachment's origin runs through its e-mail as a member's runs through its archive, so
        --retry-failed finds the e-mail again with `_archive_of`."""
        data = None if item.refusal else item.read_bytes()  # read once: hashed, sent, and searched for attachments
        task = self._sort(item, data, known, stored, seen)
        if task is not None:
            self.pending[task.key] = task.data
            yield task
        if data is None or not is_email(data):  # only an e-mail has attachments; PDFs need no extractor here
            return
        from triage.read.extract import list_attachments

        for attachment in list_attachments(data, item.name):
            self.progress.total += 1
            origin = f"{item.origin}/{attachment.source.removeprefix(item.name + '/')}"
            sub = InputItem(attachment.source, origin, constant(attachment.data or b""),
                            refusal="" if attachment.data is not None else f"{attachment.source} {attachment.error}")
            # Forwarded messages' attachments are listed already, so no attachment is opened again here.
            task = self._sort(sub, attachment.data, known, stored, seen)
            if task is not None:
                self.pending[task.key] = task.data
                yield task

    def _skip(self, what: str) -> None:
        self.counts[what] += 1
        self.progress.done += 1
        self.on_progress(self.progress)

    def _reclassify(self, doc_id: str) -> None:
        t0 = time.monotonic()
        if self.reclassifier is None:
            from triage.analyse.pipeline import Pipeline
            from triage.analyse.registry import load_model

            # Classification only: spaCy loads too only if the model flags passages that never had the NER.
            self.reclassifier = Pipeline(self.config, load_model(self.config.models_dir, self.version), None)
        result = self.reclassifier.reclassify(self.store.document(doc_id), self.store.passages(doc_id),
                                     self.store.untagged_ids(doc_id))
        self.store.save_result(result)
        self.timing["reclassify_seconds"] += time.monotonic() - t0
        self._skip("reclassified")

    def _write(self, outcome: Outcome) -> None:
        data = self.pending.pop(outcome.key, None)
        if outcome.kind != "ok" or outcome.result is None:
            self._fail(outcome.name, outcome.key, outcome.kind, outcome.reason)
            return
        t0 = time.monotonic()
        self.store.save_result(outcome.result, source=data)  # a PDF's bytes too (archive members as well)
        origin = self.origins.get(outcome.key, "")
        for key in {outcome.key, f"path:{origin}", *self.failed_at.get(origin, ())}:
            self.store.resolve_failures(key)
        self.timing["store_seconds"] += time.monotonic() - t0
        self.timing["extract_seconds"] += outcome.extract_seconds
        self.timing["analyse_seconds"] += outcome.analyse_seconds
        self.timing["worker_cpu_seconds"] += outcome.cpu_seconds
        self.counts["stored"] += 1
        self.progress.pages += len(outcome.result.document.pages)
        self.progress.current = outcome.name
        self.progress.done += 1
        self.on_progress(self.progress)

    def _fail(self, name: str, key: str, kind: str, reason: str) -> None:
        origin = self.origins.get(key, key.removeprefix("path:"))
        self.store.record_failure(self.run_id, origin, key, kind, reason)
        self.failures.append({"source": name, "path": origin, "kind": kind, "reason": reason})
        self.counts["failed"] += 1
        self.progress.failed += 1
        self.progress.done += 1
        self.on_progress(self.progress)
