"""Time spent writing documents into the store: SQLite against PostgreSQL, one writer and several at once.

Shows whether the batch runner, the only writer of its run, could hold workers back: compare the
milliseconds per document here with the seconds per document that extraction and tagging take.

    python benchmarks/store_speed.py [--docs 200] [--writers 4] [--pg postgresql://...]

Without --pg a throwaway PostgreSQL server is started (Debian's postgresql package, as in the tests).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pgserver import find_bin, start_server  # noqa: E402
from tests.test_store import _result  # noqa: E402
from triage.store import open_store  # noqa: E402


def _write(db: str, first: int, n: int) -> float:
    """Store n two-passage documents; return the seconds taken."""
    with open_store(db) as store:
        t0 = time.perf_counter()
        for i in range(first, first + n):
            store.save_result(_result(f"{i:064x}", 0.9))
        return time.perf_counter() - t0


def _parallel(db: str, writers: int, n: int) -> float:
    """Seconds the slowest writer spent writing (process start and imports left out)."""
    with get_context("spawn").Pool(writers) as pool:
        return max(pool.starmap(_write, [(db, 10_000_000 * (w + 1), n) for w in range(writers)]))


def main(docs: int = 200, writers: int = 4, pg: str | None = None) -> None:
    print(f"load average: {os.getloadavg()}")
    server = None
    if pg is None:
        bin_dir = find_bin()
        if bin_dir is None:
            raise SystemExit("no PostgreSQL server binaries: apt-get install postgresql, or pass --pg URL")
        t0 = time.perf_counter()
        server = start_server(bin_dir)
        print(f"throwaway server started in {time.perf_counter() - t0:.1f} s")
        pg = server.new_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, db in (("sqlite", str(Path(tmp) / "bench.db")), ("postgresql", pg)):
                one = _write(db, 0, docs)
                print(f"{name:10s} 1 writer : {1000 * one / docs:6.2f} ms/document ({docs} documents)")
                if name == "postgresql":
                    many = _parallel(db, writers, docs)
                    print(f"{name:10s} {writers} writers: {1000 * many / (docs * writers):6.2f} ms/document "
                          f"({docs * writers} documents, {docs * writers / many:.0f} documents/s in all)")
    finally:
        if server is not None:
            server.stop()
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    typer.run(main)
