"""Where batch work runs: worker processes on this machine, or a Dask distributed cluster.

Both take a stream of `Task`s and yield one `Outcome` per task, in completion order; the caller (the
batch runner) is the only writer to the store, so SQLite is never contended. A worker loads the
pipeline (spaCy and the risk model) once and keeps it for every file it is given.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import sys
import time
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from triage.errors import TriageError

if TYPE_CHECKING:
    from triage.analyse.pipeline import Pipeline
    from triage.config import Config
    from triage.types import ScanResult

# One BLAS/OpenMP thread per worker: the parallelism comes from the processes, and nested thread pools
# on a 2-core machine only make workers fight over the cores.
_WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Task:
    """One file's bytes to extract and analyse; `key` is its content SHA-256."""

    key: str
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one task: a result, or the kind and reason of its failure."""

    key: str
    name: str
    kind: str  # "ok" | "error" | "timeout" | "memory" | "crash"
    result: ScanResult | None = None
    reason: str = ""
    extract_seconds: float = 0.0
    analyse_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker: str = ""
    cpu_seconds: float = 0.0  # the worker's CPU time on this file: wall time means little on a shared machine


_PIPELINES: dict[tuple[Config, str], Pipeline] = {}


def _pipeline(config: Config, model_version: str) -> Pipeline:
    """The pipeline for this process, loaded on first use (a Dask worker keeps it between tasks)."""
    from triage.analyse.pipeline import Pipeline

    key = (config, model_version)
    if key not in _PIPELINES:
        pipe = Pipeline.load(config, model_version=model_version)
        # The first call compiles the name-masking regex and fills spaCy's lazy state (seconds on a busy
        # machine): pay it here, so a worker's first file is not charged for it against the time limit.
        pipe.model.predict(["warm-up"], ["A short text to warm up the worker in Geneva on 1 May."])
        list(pipe.nlp.pipe(["A short text to warm up the worker in Geneva on 1 May."]))
        _PIPELINES[key] = pipe
    return _PIPELINES[key]


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process in MB (Linux /proc), 0 where unknown."""
    return _status_kb(pid, "VmHWM") / 1024


def rss_mb(pid: int | str = "self") -> float:
    """Current resident memory of a process in MB (Linux /proc), 0 where unknown."""
    return _status_kb(pid, "VmRSS") / 1024


def _status_kb(pid: int | str, field_name: str) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def process_task(task: Task, config: Config, model_version: str) -> Outcome:
    """Extract and analyse one file; a file triage cannot read becomes an "error" outcome."""
    from triage.read.extract import extract_document

    pipe = _pipeline(config, model_version)
    who = f"{os.uname().nodename}:{os.getpid()}"
    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        doc = extract_document(task.name, data=task.data, source=task.name, ocr_settings=config.ocr_settings)
        t1 = time.perf_counter()
        result = pipe.analyse(doc)
    except TriageError as exc:
        return Outcome(task.key, task.name, "error", reason=str(exc), peak_rss_mb=peak_rss_mb(), worker=who)
    except MemoryError:
        return Outcome(task.key, task.name, "memory", reason="ran out of memory", worker=who)
    t2 = time.perf_counter()
    return Outcome(task.key, task.name, "ok", result, extract_seconds=t1 - t0, analyse_seconds=t2 - t1,
                   peak_rss_mb=peak_rss_mb(), worker=who, cpu_seconds=time.process_time() - cpu0)


# -- worker processes on this machine ----------------------------------------------------------------
def _worker_main(conn: Connection, config: Config, model_version: str) -> None:
    """A worker process: load the pipeline once, then process tasks until told to stop or orphaned."""
    try:
        _pipeline(config, model_version)
        conn.send(("ready", None))
        while (task := conn.recv()) is not None:
            conn.send(("done", process_task(task, config, model_version)))
        # Nothing is left to write, and tearing down spaCy's and scikit-learn's modules one by one takes
        # a second or more that the run would wait for at its end.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    except TriageError as exc:  # e.g. no spaCy pipeline installed: the run cannot go on
        conn.send(("fatal", str(exc)))
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        pass  # the runner went away (killed or interrupted): nothing left to report to


@dataclass
class _Slot:
    """The runner's view of one worker process and the task it is working on."""

    proc: Any
    conn: Connection
    ready: bool = False
    task: Task | None = None
    since: float = 0.0
    files: int = 0
    peak_mb: float = 0.0
    history: list[float] = field(default_factory=list)


def _start(ctx: Any, config: Config, model_version: str) -> _Slot:
    parent, child = ctx.Pipe()
    saved = {k: os.environ.get(k) for k in _WORKER_ENV}
    os.environ.update(_WORKER_ENV)  # a spawned child copies the environment at start
    # A spawned child re-imports the parent's __main__ from its file. Under Streamlit (and its AppTest)
    # __main__ is app.py, which would render the whole UI inside the worker and never answer; an empty
    # stand-in during start() keeps the child to the worker code only.
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        proc = ctx.Process(target=_worker_main, args=(child, config, model_version), daemon=True)
        proc.start()
    finally:
        if main is not None:
            sys.modules["__main__"] = main
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    child.close()
    return _Slot(proc, parent)


def _stop(slot: _Slot) -> None:
    if slot.proc.is_alive():
        slot.proc.kill()
    slot.proc.join(5)
    slot.conn.close()


def run_local(
    tasks: Iterable[Task],
    config: Config,
    model_version: str,
    *,
    workers: int,
    time_limit: float,
    limit_mb: float,
    worker_stats: dict[str, dict[str, float]] | None = None,
) -> Iterator[Outcome]:
    """Process tasks in `workers` spawned processes; a task that runs past `time_limit` seconds or whose
    worker's memory passes `limit_mb` is stopped (its worker killed and replaced) and reported."""
    ctx = mp.get_context("spawn")  # fork would copy the parent's threads and open store into each worker
    pending = iter(tasks)
    first = next(pending, None)
    if first is None:
        return  # nothing to do: do not pay for starting workers (a resumed run that is already complete)
    pending = itertools.chain([first], pending)
    exhausted = False
    slots = [_start(ctx, config, model_version) for _ in range(max(1, workers))]

    def feed() -> bool:
        """Give every idle worker its next task; False once there are no tasks left and none running."""
        nonlocal exhausted
        for slot in slots:
            if slot.ready and slot.task is None and not exhausted:
                nxt = next(pending, None)
                if nxt is None:
                    exhausted = True
                    continue
                slot.task, slot.since = nxt, time.monotonic()
                slot.conn.send(nxt)
        return not (exhausted and all(s.task is None for s in slots))

    try:
        while feed():
            wait([s.conn for s in slots] + [s.proc.sentinel for s in slots], timeout=_POLL_SECONDS)
            done = []
            for i, slot in enumerate(slots):
                outcome = _check(slot, time_limit, limit_mb)
                if worker_stats is not None:
                    stats = worker_stats.setdefault(str(slot.proc.pid), {"files": 0, "peak_rss_mb": 0.0})
                    stats["peak_rss_mb"] = max(stats["peak_rss_mb"], peak_rss_mb(slot.proc.pid) or slot.peak_mb)
                if outcome is None:
                    continue
                slot.task = None
                if worker_stats is not None:
                    worker_stats[str(slot.proc.pid)]["files"] += 1
                if outcome.kind in ("timeout", "memory", "crash"):
                    _stop(slot)
                    slots[i] = _start(ctx, config, model_version)
                done.append(outcome)
            # Workers get their next file before the runner stores these results, so they never wait on it.
            feed()
            yield from done
    finally:
        idle = [s for s in slots if s.proc.is_alive() and s.ready and s.task is None]
        for slot in idle:  # all told first, so they exit together
            try:
                slot.conn.send(None)
            except OSError:
                pass
        for slot in idle:
            slot.proc.join(5)
        for slot in slots:
            _stop(slot)


def _check(slot: _Slot, time_limit: float, limit_mb: float) -> Outcome | None:
    """Read a worker's message, or notice that it died, ran out of time or grew past its memory limit."""
    task = slot.task
    if task is not None and slot.proc.is_alive():
        used = rss_mb(slot.proc.pid)  # checked first: a worker over its limit is stopped even if it just finished
        slot.peak_mb = max(slot.peak_mb, used)
        if used > limit_mb:
            return Outcome(task.key, task.name, "memory", reason=(
                f"needed more than the {limit_mb:g} MB memory limit per worker ({used:.0f} MB); stopped"))
    try:
        if slot.conn.poll():
            kind, payload = slot.conn.recv()
            if kind == "fatal":
                raise TriageError(f"a worker could not start: {payload}")
            if kind == "ready":
                slot.ready = True
                return None
            slot.peak_mb = max(slot.peak_mb, payload.peak_rss_mb)
            return payload  # type: ignore[no-any-return]
    except (EOFError, OSError):
        pass  # the worker died; reported below
    if task is None:
        if not slot.proc.is_alive() and not slot.ready:
            raise TriageError(f"a worker process stopped while starting (exit code {slot.proc.exitcode})")
        return None
    if not slot.proc.is_alive():
        return Outcome(task.key, task.name, "crash",
                       reason=f"the worker stopped unexpectedly (exit code {slot.proc.exitcode}) while reading it")
    elapsed = time.monotonic() - slot.since
    if elapsed > time_limit:
        return Outcome(task.key, task.name, "timeout",
                       reason=f"took longer than the {time_limit:g} s limit per file; stopped")
    return None


# -- a Dask distributed cluster ----------------------------------------------------------------------
def run_dask(
    tasks: Iterable[Task],
    config: Config,
    model_version: str,
    *,
    scheduler: str,
    worker_stats: dict[str, dict[str, float]] | None = None,
) -> Iterator[Outcome]:
    """Send tasks to the Dask scheduler at `scheduler`, keeping about two per worker thread in flight so
    a large archive is never all in memory. Workers need triage installed and the same models directory.
    Per-file memory limits are the Dask workers' own (`--memory-limit`); a worker that dies on a file
    becomes a "crash" outcome."""
    try:
        from distributed import Client, as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker
    except ImportError as exc:
        raise TriageError("--scheduler needs Dask: pip install 'triage[dask]' (or distributed)") from exc
    try:
        client = Client(scheduler, set_as_default=False, timeout="20s")
    except OSError as exc:
        raise TriageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    with client:
        in_flight = max(1, sum(client.nthreads().values())) * 2
        pending = iter(tasks)
        names: dict[str, Task] = {}

        def submit() -> Any:
            task = next(pending, None)
            if task is None:
                return None
            fut = client.submit(process_task, task, config, model_version, pure=False, retries=0)
            names[fut.key] = task
            return fut

        first = [f for f in (submit() for _ in range(in_flight)) if f is not None]
        if not first:
            return
        running = as_completed(first, loop=client.loop)  # our client, not a process-wide default one
        for fut in running:
            task = names.pop(fut.key)
            try:
                outcome: Outcome = fut.result()
            except (KilledWorker, FutureCancelledError) as exc:
                outcome = Outcome(task.key, task.name, "crash", reason=f"the Dask worker stopped on it ({exc})")
            fut.release()
            if worker_stats is not None and outcome.worker:
                stats = worker_stats.setdefault(outcome.worker, {"files": 0, "peak_rss_mb": 0.0})
                stats["files"] += 1
                stats["peak_rss_mb"] = max(stats["peak_rss_mb"], outcome.peak_rss_mb)
            yield outcome
            if (nxt := submit()) is not None:
                running.add(nxt)
