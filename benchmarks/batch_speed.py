"""End-to-end batch speed: pages/s with 1 and 2 workers, peak RSS per worker, pdftotext as the reference,
archive sizes 1x/2x/4x for linearity, and where the time goes (per-stage profile of a sample).

Runs `run_batch` (extract, entities, classify, store) on subsets of an archive made by make_archive.py:
size k uses the first k*BASE PDFs plus the broken files. Each run writes a fresh store.

Example: python benchmarks/batch_speed.py --archive /tmp/triage-archive --base 75 --workers 1 --workers 2
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.batch import BatchOptions, run_batch  # noqa: E402
from triage.config import load_config  # noqa: E402


def _subset(archive: Path, n: int, dest: Path) -> int:
    """Link the first n PDFs and every broken file into dest; return their page count."""
    manifest = json.loads((archive / "manifest.json").read_text())
    names = sorted(manifest["files"])[:n]
    dest.mkdir(parents=True)
    for name in names + manifest["broken"]:
        (dest / name).symlink_to(archive / name)
    return sum(manifest["files"][k] for k in names)


def pdftotext_speed(folder: Path, pages: int) -> float:
    """pages/s of poppler's pdftotext over the same PDFs, one process per file (the reference limit)."""
    if not shutil.which("pdftotext"):
        return float("nan")
    t0 = time.perf_counter()
    for pdf in sorted(folder.glob("report-*.pdf")):
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return pages / (time.perf_counter() - t0)


def profile_stages(folder: Path, sample: int) -> dict[str, float]:
    """Seconds per page in each stage, in this process, over `sample` PDFs (models already loaded)."""
    from triage.entities import find_entities
    from triage.extract import extract_document
    from triage.pipeline import Pipeline
    from triage.segment import split_passages
    from triage.store import open_store

    cfg = load_config()
    pipe = Pipeline.load(cfg)
    times = dict.fromkeys(("extract", "segment", "entities", "classify", "store"), 0.0)
    pages = 0
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "p.db") as store:
        for pdf in sorted(folder.glob("report-*.pdf"))[:sample]:
            t0 = time.perf_counter()
            doc = extract_document(pdf)
            t1 = time.perf_counter()
            passages = split_passages(doc, min_chars=cfg.min_passage_chars, max_chars=cfg.max_passage_chars)
            t2 = time.perf_counter()
            passages = list(find_entities(passages, pipe.nlp, labels=cfg.entity_labels))
            t3 = time.perf_counter()
            result = pipe.reclassify(doc, passages)
            t4 = time.perf_counter()
            store.save_result(result)
            t5 = time.perf_counter()
            for k, a, b in (("extract", t0, t1), ("segment", t1, t2), ("entities", t2, t3),
                            ("classify", t3, t4), ("store", t4, t5)):
                times[k] += b - a
            pages += len(doc.pages)
    return {k: v / pages for k, v in times.items()} | {"pages": pages}


def main(
    archive: Path = typer.Option(Path("/tmp/triage-archive"), help="Made by benchmarks/make_archive.py."),
    base: int = typer.Option(75, help="PDFs in the 1x size."),
    sizes: list[int] = typer.Option([1, 2, 4], "--size", help="Multiples of --base to run with the most workers."),
    workers: list[int] = typer.Option([1, 2], "--workers", help="Worker counts to compare at 1x."),
    sample: int = typer.Option(5, help="PDFs in the per-stage profile."),
    out: Path | None = typer.Option(None, help="Also write the figures as JSON here."),
) -> None:
    """Run the benchmark and print its figures."""
    cfg = load_config()
    figures: dict[str, object] = {"runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(w, 1) for w in workers] + [(max(workers), s) for s in sizes if s != 1]
        for w, size in runs:
            folder = Path(tmp) / f"in-{w}-{size}"
            pages = _subset(archive, base * size, folder)
            db = Path(tmp) / f"{w}-{size}.db"
            report = run_batch([folder], replace(cfg, db=str(db)), BatchOptions(workers=w))
            assert report["pages"] == pages, (report["pages"], pages)
            ref = pdftotext_speed(folder, pages) if size == 1 and w == max(workers) else None
            row = {"workers": w, "size": size, "docs": base * size, "pages": pages,
                   "seconds": report["seconds"], "pages_per_second": report["pages_per_second"],
                   "peak_rss_mb_per_worker": max(v["peak_rss_mb"] for v in report["workers"].values()),
                   "runner_peak_rss_mb": report["runner_peak_rss_mb"], "failed": report["counts"]["failed"],
                   "timing": report["timing"],
                   # Pages per second of worker busy time: the rate once workers are up, without their start.
                   "pages_per_worker_second": round(
                       pages / max(report["timing"]["extract_seconds"] + report["timing"]["analyse_seconds"], 1e-9), 2),
                   "load_average_1min": round(os.getloadavg()[0], 1)}
            figures["runs"].append(row)  # type: ignore[union-attr]
            typer.echo(f"workers {w} size {size}x: {pages} pages in {report['seconds']:.1f} s = "
                       f"{report['pages_per_second']:.1f} pages/s; peak RSS/worker "
                       f"{row['peak_rss_mb_per_worker']:.0f} MB; runner {row['runner_peak_rss_mb']:.0f} MB; "
                       f"{row['failed']} broken files recorded; worker time: {report['timing']} "
                       f"({row['pages_per_worker_second']} pages per worker-second); "
                       f"load average {row['load_average_1min']} on {os.cpu_count()} cores")
            if ref is not None:
                figures["pdftotext_pages_per_second"] = round(ref, 1)
                typer.echo(f"pdftotext over the same {pages} pages: {ref:.1f} pages/s (one process per file)")
        prof = profile_stages(archive, sample)
        figures["profile_ms_per_page"] = {k: round(v * 1000, 1) for k, v in prof.items() if k != "pages"}
        typer.echo(f"per-stage time over {prof['pages']:.0f} pages, one process, ms/page: "
                   + ", ".join(f"{k} {v * 1000:.0f}" for k, v in prof.items() if k != "pages"))
    if out:
        out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
