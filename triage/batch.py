"""Batch runs: many files into the store, resumable, in parallel, with every failure recorded.

The runner is the only writer: workers (triage/workers.py) extract and analyse, the runner stores each
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

from .config import Config
from .db import is_postgres_url, redact_url
from .errors import InputRejectedError, StoreError, TriageError
from .extract import list_attachments
from .guard import check_input_file
from .workers import Outcome, Task, peak_rss_mb, run_dask, run_local

SUPPORTED = (".pdf", ".txt", ".md", ".markdown", ".docx", ".html", ".htm", ".xhtml", ".eml")
DEFAULT_TIME_LIMIT = 300.0  # seconds per file: a 300-page report takes well under a minute
DEFAULT_LIMIT_MB = 2048.0  # per worker: spaCy + the model use about 0.5 GB, a large PDF a few hundred MB more
REPORT_VERSION = 1


class BatchLockedError(StoreError):
    """Another batch run is writing to the same store."""


@dataclass(frozen=True, slots=True)
class InputItem:
    """One file to process: the name it is stored under, where it came from, and how to read it."""

    name: str  # stored as the document's source: the path below the folder given, or the file name
    origin: str  # where to find it again (for --retry-failed): an absolute path
    read_bytes: Callable[[], bytes]


def iter_inputs(paths: Iterable[str | Path]) -> Iterator[InputItem]:
    """Every supported file under the given files and folders, folders walked in sorted order.

    Archives (zip, tar) plug in here: yield one InputItem per member."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED):
                yield InputItem(str(f.relative_to(path)), str(f.resolve()), f.read_bytes)
        else:
            yield InputItem(path.name, str(path.resolve()), path.read_bytes)


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


def _mail_file(origin: str) -> Path:
    """The e-mail file an attachment's origin ("mail:/in/x.eml/report.pdf") points into."""
    path = Path(origin.removeprefix("mail:"))
    return next((p for p in (path, *path.parents) if p.is_file()), path)


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
    from .pipeline import Pipeline
    from .registry import load_model
    from .store import open_store

    options = options or BatchOptions()
    # SQLite has one writer at a time, so runs take turns; PostgreSQL lets runs share the store (each holds
    # its own lock in the database instead, see Store.start_run).
    lock = None if is_postgres_url(config.db) else _Lock(config.db, wait=options.wait)
    try:
        model = load_model(config.models_dir)
        reclassifier = Pipeline(config, model, None)  # classification only: no spaCy in the runner
        with open_store(config.db) as store:
            return _Run(store, config, options, reclassifier, on_progress).execute(list(paths))
    finally:
        if lock is not None:
            lock.release()


class _Run:
    """One run's state: counts, report, and the writing of outcomes."""

    def __init__(self, store: Any, config: Config, options: BatchOptions, reclassifier: Any,
                 on_progress: Callable[[Progress], None] | None) -> None:
        self.store, self.config, self.options = store, config, options
        self.pipe = reclassifier
        self.version: str = reclassifier.model.version
        self.on_progress = on_progress or (lambda _p: None)
        self.counts = {"inputs": 0, "stored": 0, "reclassified": 0, "skipped": 0, "duplicates": 0,
                       "failed": 0, "known_failures_skipped": 0}
        self.failures: list[dict[str, str]] = []
        self.timing = {"extract_seconds": 0.0, "analyse_seconds": 0.0, "store_seconds": 0.0,
                       "reclassify_seconds": 0.0}
        self.workers: dict[str, dict[str, float]] = {}
        self.origins: dict[str, str] = {}
        self.attachments: dict[str, bytes] = {}  # e-mail attachments' bytes until stored (no file to re-read)

    def execute(self, paths: list[str | Path]) -> dict[str, Any]:
        opts = asdict(self.options) | {"paths": [str(p) for p in paths], "model_version": self.version}
        self.run_id = self.store.start_run(opts)
        started, t0 = _now(), time.monotonic()
        status = "interrupted"
        try:
            known = {f["content_sha256"]: f for f in self.store.failures()}
            items = self._items(paths, known)
            self.progress = Progress(total=len(items))
            self.on_progress(self.progress)
            tasks = self._tasks(items, known)
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
                "workers": {k: {"files": int(v["files"]), "peak_rss_mb": round(v["peak_rss_mb"], 1)}
                            for k, v in self.workers.items()},
                "failures": self.failures,
            }
            self.store.finish_run(self.run_id, status, self.counts, report)
        return report

    def _items(self, paths: list[str | Path], known: dict[str, dict[str, Any]]) -> list[InputItem]:
        if not self.options.retry_failed:
            return list(iter_inputs(paths))
        if paths:  # only the failed ones among these inputs; the content hash decides in _tasks
            return list(iter_inputs(paths))
        items = {}
        for f in known.values():
            path = _mail_file(f["source"]) if f["source"].startswith("mail:") else Path(f["source"])
            items[str(path)] = InputItem(path.name, str(path), path.read_bytes)
        return list(items.values())  # a failed attachment is retried by re-reading its e-mail

    def _tasks(self, items: list[InputItem], known: dict[str, dict[str, Any]]) -> Iterator[Task]:
        """Read, hash and sort each input: skip, re-classify in place, or hand it to a worker."""
        stored = self.store.stored_versions()
        seen: set[str] = set()
        for item in items:
            self.counts["inputs"] += 1
            self.progress.current = item.name
            try:
                if item.origin and not item.origin.startswith(("zip:", "tar:", "mail:")) and Path(item.origin).exists():
                    # Devices, pipes and huge files are refused before a byte is read.
                    check_input_file(item.origin, max_mb=self.config.max_file_mb)
                data = item.read_bytes()
            except InputRejectedError as exc:
                self._fail(item.name, f"path:{item.origin}", "refused", str(exc))
                continue
            except OSError as exc:
                self._fail(item.name, f"path:{item.origin}", "unreadable",
                           f"{item.name} could not be read ({exc.strerror or exc}); check the path and retry")
                continue
            yield from self._sort(item.name, item.origin, data, stored, known, seen)
            # An e-mail's attachments are documents of their own: "mail.eml/report.pdf".
            for attachment in list_attachments(data, item.name):
                self.counts["inputs"] += 1
                self.progress.total += 1
                origin = f"mail:{item.origin}/{attachment.source.removeprefix(item.name + '/')}"
                if attachment.data is None:
                    self._fail(attachment.source, f"path:{origin}", "refused",
                               f"{attachment.source} {attachment.error}")
                    continue
                self.attachments[hashlib.sha256(attachment.data).hexdigest()] = attachment.data
                yield from self._sort(attachment.source, origin, attachment.data, stored, known, seen)

    def _sort(self, name: str, origin: str, data: bytes, stored: dict[str, str],
              known: dict[str, dict[str, Any]], seen: set[str]) -> Iterator[Task]:
        """Skip, re-classify in place, or hand one file's bytes to a worker."""
        key = hashlib.sha256(data).hexdigest()
        self.origins[key] = origin
        if key in seen:
            self._skip("duplicates")
            return
        seen.add(key)
        failed_before = key in known or f"path:{origin}" in known
        if self.options.retry_failed != failed_before:
            self._skip("known_failures_skipped" if failed_before else "skipped")
            return
        if key in stored and not self.options.force:
            if stored[key] == self.version:
                self._skip("skipped")
            else:
                self._reclassify(key)
            return
        yield Task(key, name, data)

    def _skip(self, what: str) -> None:
        self.counts[what] += 1
        self.progress.done += 1
        self.on_progress(self.progress)

    def _reclassify(self, doc_id: str) -> None:
        t0 = time.monotonic()
        result = self.pipe.reclassify(self.store.document(doc_id), self.store.passages(doc_id))
        self.store.save_result(result)
        self.timing["reclassify_seconds"] += time.monotonic() - t0
        self._skip("reclassified")

    def _write(self, outcome: Outcome) -> None:
        if outcome.kind != "ok" or outcome.result is None:
            self._fail(outcome.name, outcome.key, outcome.kind, outcome.reason)
            return
        t0 = time.monotonic()
        self.store.save_result(outcome.result)
        origin = Path(self.origins.get(outcome.key, ""))
        attached = self.attachments.pop(outcome.key, None)
        if outcome.result.document.media_type == "application/pdf" and (attached or origin.is_file()):
            # Kept so the review UI can show the source page beside the passage.
            self.store.save_source(outcome.result.document.id, attached or origin.read_bytes())
        self.store.resolve_failures(outcome.key)
        self.store.resolve_failures(f"path:{self.origins.get(outcome.key, '')}")
        self.timing["store_seconds"] += time.monotonic() - t0
        self.timing["extract_seconds"] += outcome.extract_seconds
        self.timing["analyse_seconds"] += outcome.analyse_seconds
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
