"""End-to-end batch speed: pages/s with 1 and 2 workers, peak RSS per worker, pdftotext as the reference,
archive sizes 1x/2x/4x for linearity, and where the time goes (per-stage profile of a sample).

Runs `run_batch` (extract, entities, classify, store) on subsets of an archive made by make_archive.py:
size k uses the first k*BASE PDFs plus the broken files, packed into one zip (so the archive walker is part
of the figure; --folder runs on a folder of links instead). Each run writes a fresh store. The machine may be
shared, so beside wall-clock pages/s it prints pages per worker CPU-second (what one core does when it is not
taken by others) and the load average.

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
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.batch import BatchOptions, run_batch  # noqa: E402
from triage.config import load_config  # noqa: E402


def _subset(archive: Path, n: int, dest: Path, *, as_zip: bool) -> int:
    """Link the first n PDFs and every broken file into dest (zipped into dest/archive.zip if `as_zip`);
    return their page count."""
    manifest = json.loads((archive / "manifest.json").read_text())
    names = sorted(manifest["files"])[:n]
    dest.mkdir(parents=True)
    if as_zip:
        with zipfile.ZipFile(dest / "archive.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name in names + manifest["broken"]:
                z.write(archive / name, f"reports/{name}")
    else:
        for name in names + manifest["broken"]:
            (dest / name).symlink_to(archive / name)
    return sum(manifest["files"][k] for k in names)


def pdftotext_speed(pdfs: list[Path], pages: int) -> float:
    """pages/s of poppler's pdftotext over the same PDFs, one process per file (the reference limit)."""
    if not shutil.which("pdftotext"):
        return float("nan")
    t0 = time.perf_counter()
    for pdf in pdfs:
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return pages / (time.perf_counter() - t0)


def profile_stages(folder: Path, sample: int) -> tuple[dict[str, float], str]:
    """CPU milliseconds per page in each stage over `sample` PDFs, in this process with the models loaded the
    way a worker loads them, and cProfile's top functions by own time over the same work."""
    import cProfile
    import io
    import pstats

    from triage.analyse.pipeline import Pipeline
    from triage.analyse.segment import split_passages
    from triage.read.extract import extract_document
    from triage.store import open_store

    cfg = load_config()
    pipe = Pipeline.load(cfg)
    times = dict.fromkeys(("extract", "segment", "entities", "classify", "store"), 0.0)
    pages = 0
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "p.db") as store:
        pdfs = sorted(folder.glob("report-*.pdf"))
        pipe.process_file(pdfs[-1])  # warm up (regex compilation, spaCy's vocabulary) as a worker's first file does
        for pdf in pdfs[:sample]:
            profiler.enable()
            t0 = time.process_time()
            doc = extract_document(pdf)
            t1 = time.process_time()
            passages = tuple(split_passages(doc, min_chars=cfg.min_passage_chars,
                                            max_chars=cfg.max_passage_chars))
            t2 = time.process_time()
            # The order Pipeline.analyse runs them in: classify, then the NER where a flag needs it.
            bare = pipe.reclassify(doc, passages)  # nothing marked untagged: classifies, tags nothing
            t3 = time.process_time()
            flagged = {f.passage_id for f in bare.flags}
            rest = {p.id for p in passages} - flagged
            tagged = pipe.tag_passages(passages, flagged, rest)
            t4 = time.process_time()
            result = replace(bare, passages=tagged, untagged=frozenset(rest))
            store.save_result(result)
            t5 = time.process_time()
            profiler.disable()
            for k, a, b in (("extract", t0, t1), ("segment", t1, t2), ("classify", t2, t3),
                            ("entities", t3, t4), ("store", t4, t5)):
                times[k] += b - a
            pages += len(doc.pages)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    top = "\n".join(line.replace(str(ROOT), ".") for line in lines[start : start + 13])
    return {k: 1000 * v / pages for k, v in times.items()} | {"pages": pages}, top


def main(
    archive: Path = typer.Option(Path("/tmp/triage-archive"), help="Made by benchmarks/make_archive.py."),
    base: int = typer.Option(75, help="PDFs in the 1x size."),
    sizes: list[int] = typer.Option([1, 2, 4], "--size", help="Multiples of --base to run with the most workers."),
    workers: list[int] = typer.Option([1, 2], "--workers", help="Worker counts to compare at 1x."),
    sample: int = typer.Option(5, help="PDFs in the per-stage profile."),
    folder: bool = typer.Option(False, "--folder", help="A folder of files instead of one zip archive."),
    out: Path | None = typer.Option(None, help="Also write the figures as JSON here."),
) -> None:
    """Run the benchmark and print its figures."""
    cfg = load_config()
    figures: dict[str, Any] = {"runs": []}
    cores = os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(w, 1) for w in workers] + [(max(workers), s) for s in sizes if s != 1]
        for w, size in runs:
            dest = Path(tmp) / f"in-{w}-{size}"
            pages = _subset(archive, base * size, dest, as_zip=not folder)
            db = Path(tmp) / f"{w}-{size}.db"
            report = run_batch([dest], replace(cfg, db=str(db)), BatchOptions(workers=w))
            assert report["pages"] == pages, (report["pages"], pages)
            t = report["timing"]
            row = {"workers": w, "size": size, "docs": base * size, "pages": pages,
                   "seconds": report["seconds"], "pages_per_second": report["pages_per_second"],
                   "peak_rss_mb_per_worker": max(v["peak_rss_mb"] for v in report["workers"].values()),
                   "runner_peak_rss_mb": report["runner_peak_rss_mb"], "failed": report["counts"]["failed"],
                   "timing": t,
                   # CPU time, not wall time: what the work costs, whatever else shares the cores.
                   "pages_per_worker_cpu_second": round(pages / max(t["worker_cpu_seconds"], 1e-9), 2),
                   "runner_cpu_seconds": report["runner_cpu_seconds"],
                   "cpu_ms_per_page": round(1000 * (t["worker_cpu_seconds"] + report["runner_cpu_seconds"]) / pages, 1),
                   "load_average_1min": round(os.getloadavg()[0], 1)}
            figures["runs"].append(row)
            typer.echo(f"workers {w} size {size}x: {pages} pages in {report['seconds']:.1f} s = "
                       f"{report['pages_per_second']:.1f} pages/s; {row['pages_per_worker_cpu_second']} pages per "
                       f"worker CPU-second; {row['cpu_ms_per_page']} CPU ms/page (workers + runner); peak RSS/worker "
                       f"{row['peak_rss_mb_per_worker']:.0f} MB; runner {row['runner_peak_rss_mb']:.0f} MB; "
                       f"{row['failed']} broken files recorded; load average {row['load_average_1min']} on {cores} cores")
            if size == 1 and w == max(workers):
                manifest = json.loads((archive / "manifest.json").read_text())
                pdfs = [archive / n for n in sorted(manifest["files"])[: base * size]]
                ref = pdftotext_speed(pdfs, pages)
                figures["pdftotext_pages_per_second"] = round(ref, 1)
                typer.echo(f"pdftotext over the same {pages} pages: {ref:.1f} pages/s (one process at a time, "
                           f"one per file); load average {os.getloadavg()[0]:.1f}")
        typer.echo("\nsize  docs  pages  seconds  pages/s  worker CPU s  CPU ms/page   (linear: CPU ms/page stays flat)")
        for r in figures["runs"]:
            if r["workers"] == max(workers):
                typer.echo(f"{r['size']:>3}x {r['docs']:>5} {r['pages']:>6} {r['seconds']:>8.1f} "
                           f"{r['pages_per_second']:>8.1f} {r['timing']['worker_cpu_seconds']:>13.1f} "
                           f"{r['cpu_ms_per_page']:>12.1f}")
        prof, top = profile_stages(archive, sample)
        figures["profile_cpu_ms_per_page"] = {k: round(v, 1) for k, v in prof.items() if k != "pages"}
        typer.echo(f"\nper-stage CPU time over {prof['pages']:.0f} pages, one process, ms/page: "
                   + ", ".join(f"{k} {v:.0f}" for k, v in prof.items() if k != "pages"))
        typer.echo("top functions by own time (cProfile):\n" + top)
    if out:
        out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
