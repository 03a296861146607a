"""Extraction benchmark: word-order accuracy per layout class, header/footer leaks, and speed beside
pdftotext and pdfplumber's plain extract_text(), in one run on the same files.

Usage:
  python benchmarks/make_extraction_set.py /tmp/triage-extraction-set
  python benchmarks/extraction.py /tmp/triage-extraction-set [--real DIR ...]

Accuracy is 1 - (word-level Levenshtein distance / length of the longer word sequence) against the ground
truth. A header/footer leak is a page whose running header or footer text appears in the extracted body.
Footnote separation is the share of footnote words kept out of the body and found among the document's
footnotes; table cell accuracy is the share of ground-truth cells read exactly into `Document.tables`.
`--real DIR` adds real PDFs (no ground truth): speed, and whether each file reads at all.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pdfplumber
from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.config import OcrSettings  # noqa: E402
from triage.errors import ExtractionError  # noqa: E402
from triage.read.extract import extract_document  # noqa: E402


def accuracy(truth: str, got: str) -> float:
    a, b = truth.split(), got.split()
    if not a and not b:
        return 1.0
    return 1.0 - Levenshtein.distance(a, b) / max(len(a), len(b))


def ours(path: Path) -> tuple[str, list[str]]:
    """The body text and each page's text; an extraction error reads as no text."""
    try:
        doc = extract_document(path)
    except ExtractionError:
        return "", []
    return doc.text, [doc.text[p.start : p.end] for p in doc.pages]


def footnote_separation(doc_text: str, notes: list[str], found: list[str]) -> tuple[int, int]:
    """(footnote words set apart, footnote words): a note counts when it is in the notes and not the body."""
    body, kept = " ".join(doc_text.split()), " ".join(" ".join(found).split())
    apart = sum(len(n.split()) for n in notes if " ".join(n.split()) not in body and " ".join(n.split()) in kept)
    return apart, sum(len(n.split()) for n in notes)


def table_cells(truth: list[list[list[str]]], got: list[tuple[tuple[str, ...], ...]]) -> tuple[int, int]:
    """(cells read exactly, cells): tables compared in page order, cell by cell."""
    right = total = 0
    for t, g in zip(truth, [*got, *[()] * len(truth)], strict=False):
        for r, row in enumerate(t):
            for c, cell in enumerate(row):
                total += 1
                right += r < len(g) and c < len(g[r]) and " ".join(g[r][c].split()) == cell
    return right, total


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-q", str(path), "-"], capture_output=True, text=True, check=False
    ).stdout


def plumber(path: Path) -> str:
    parts = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            parts.append(page.extract_text() or "")
            page.close()
    return "\n".join(parts)


def timed(fn, paths: list[Path]) -> tuple[float, dict[Path, str]]:
    out = {}
    start = time.perf_counter()
    for path in paths:
        result = fn(path)
        out[path] = result[0] if isinstance(result, tuple) else result
    return time.perf_counter() - start, out


def leaks(pages: list[str], header: str | None, footer: str | None) -> int:
    count = 0
    for number, text in enumerate(pages, start=1):
        marks = [m.replace("{page}", str(number)) for m in (header, footer) if m]
        flat = " ".join(text.split())
        # A footer "Page 3" leaks if it shows up as such; bare numbers are too common to count.
        if any(re.search(re.escape(m), flat) for m in marks):
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--real", type=Path, action="append", default=[], help="a folder of real PDFs")
    args = parser.parse_args()
    manifest = json.loads((args.set_dir / "manifest.json").read_text(encoding="utf-8"))
    entries = [(args.set_dir / m["file"], m) for m in manifest]
    paths = [p for p, _ in entries]
    have_pdftotext = shutil.which("pdftotext") is not None

    # Accuracy and leaks (from our run, which also gives our timing).
    t_ours, texts = timed(ours, paths)
    page_texts = {p: ours(p)[1] for p in paths}
    by_class: dict[str, list[float]] = defaultdict(list)
    other: dict[str, dict[str, list[float]]] = {"pdftotext": defaultdict(list), "pdfplumber": defaultdict(list)}
    t_pt, pt_texts = timed(pdftotext, paths) if have_pdftotext else (float("nan"), {})
    t_pl, pl_texts = timed(plumber, paths)
    leak_pages = hf_pages = 0
    notes_apart = notes_total = cells_right = cells_total = 0
    for path, m in entries:
        if m.get("footnotes") or m.get("tables"):
            doc = extract_document(path)
            a, b = footnote_separation(doc.text, m.get("footnotes", []), [f.text for f in doc.footnotes])
            c, d = table_cells(m.get("tables", []), [t.rows for t in doc.tables])
            notes_apart, notes_total, cells_right, cells_total = (
                notes_apart + a, notes_total + b, cells_right + c, cells_total + d
            )
        truth = (path.with_suffix(".txt")).read_text(encoding="utf-8")
        by_class[m["class"]].append(accuracy(truth, texts[path]))
        if have_pdftotext:
            other["pdftotext"][m["class"]].append(accuracy(truth, pt_texts[path]))
        other["pdfplumber"][m["class"]].append(accuracy(truth, pl_texts[path]))
        if m["header"] or m["footer"]:
            hf_pages += m["pages"]
            leak_pages += leaks(page_texts[path], m["header"], m["footer"])

    print(f"Extraction benchmark: {len(paths)} generated PDFs, {sum(m['pages'] for _, m in entries)} pages")
    print(f"{'layout class':22} {'files':>5} {'triage':>8} {'pdftotext':>10} {'pdfplumber':>11}")
    for kind, scores in by_class.items():
        row = [statistics.mean(scores)]
        row += [statistics.mean(other[k][kind]) if other[k][kind] else float("nan") for k in other]
        print(f"{kind:22} {len(scores):5d} {row[0]:8.4f} {row[1]:10.4f} {row[2]:11.4f}")
    digital = [s for k, v in by_class.items() if k != "scanned" for s in v]
    print(f"{'born-digital, all':22} {len(digital):5d} {statistics.mean(digital):8.4f}")
    print(f"header/footer leak: {leak_pages} of {hf_pages} pages ({100 * leak_pages / max(hf_pages, 1):.1f}%)")
    print(f"footnote separation: {notes_apart} of {notes_total} footnote words kept out of the body "
          f"({notes_apart / max(notes_total, 1):.4f})")
    print(f"table cell accuracy: {cells_right} of {cells_total} cells ({cells_right / max(cells_total, 1):.4f})")

    scanned_rows([(p, m) for p, m in entries if m["class"] == "scanned"])

    pages = sum(m["pages"] for _, m in entries if m["class"] != "scanned")
    digital_paths = [p for p, m in entries if m["class"] != "scanned"]
    speed_rows = [("generated", digital_paths, pages)]
    for folder in args.real:
        real = sorted(folder.glob("*.pdf"))
        n = 0
        for path in real:
            try:
                n += len(extract_document(path).pages)
                status = "ok"
            except ExtractionError as exc:
                status = f"error: {str(exc)[:70]}"
            print(f"  real {path.name[:40]:40} {status}")
        speed_rows.append((folder.name, [p for p in real if p.stat().st_size], n))
    print(f"\n{'speed (pages/s)':22} {'pages':>6} {'triage':>8} {'pdftotext':>10} {'pdfplumber':>11} "
          f"{'pdftotext/triage':>17} {'triage/pdfplumber':>18}")
    for label, files, _n in speed_rows:
        ok = []
        for p in files:
            try:
                extract_document(p)
                ok.append(p)
            except ExtractionError:
                pass
        t1, _ = timed(ours, ok)
        t2, _ = timed(pdftotext, ok) if have_pdftotext else (float("nan"), None)
        t3, _ = timed(_safe_plumber, ok)
        n_ok = sum(_count_pages(p) for p in ok)
        r1, r2, r3 = n_ok / t1, n_ok / t2, n_ok / t3
        print(f"{label:22} {n_ok:6d} {r1:8.1f} {r2:10.1f} {r3:11.1f} {r2 / r1:17.1f}x {r1 / r3:17.1f}x")


def scanned_rows(entries: list[tuple[Path, dict]]) -> None:
    """OCR accuracy, confidence and speed on the scanned files, at each rendering dpi (one core per page).

    Pages/s depends on the machine's load; CPU seconds per page (ours plus Tesseract's) does not."""
    if not entries or shutil.which("tesseract") is None:
        print("scanned: Tesseract is not installed, so scans are not OCRed (they are reported as needing OCR)")
        return
    n_pages = sum(m["pages"] for _, m in entries)
    print(f"\n{'scanned, max OCR dpi':22} {'pages':>6} {'accuracy':>9} {'min':>6} {'confidence':>11} {'pages/s':>8}"
          f" {'CPU s/page':>11}   load average {os.getloadavg()[0]:.1f}")
    for dpi in (200, 300):
        settings = OcrSettings(dpi=dpi)
        scores, confidences = [], []
        start, cpu = time.perf_counter(), _cpu_seconds()
        for path, _ in entries:
            truth = path.with_suffix(".txt").read_text(encoding="utf-8")
            try:
                doc = extract_document(path, ocr_settings=settings)
            except ExtractionError:
                scores.append(0.0)
                continue
            scores.append(accuracy(truth, doc.text))
            confidences.append(float(dict(doc.metadata).get("ocr_confidence", 0.0)))
        elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        print(f"{dpi:22d} {n_pages:6d} {statistics.mean(scores):9.4f} {min(scores):6.3f} "
              f"{statistics.mean(confidences or [0.0]):11.1f} {n_pages / elapsed:8.2f} {cpu / n_pages:11.2f}")


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Tesseract runs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _safe_plumber(path: Path) -> str:
    try:
        return plumber(path)
    except Exception:  # noqa: BLE001 - a baseline that fails on a file is simply not timed on it
        return ""


def _count_pages(path: Path) -> int:
    try:
        return len(extract_document(path).pages)
    except ExtractionError:
        return 0


if __name__ == "__main__":
    main()
