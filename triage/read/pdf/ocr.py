"""Scanned pages -> lines, with Tesseract: the OCR step of the extract stage.

A PDF page whose text layer is empty, or nearly so (a stamped page number on a scan), but which is mostly
covered by a picture, is rendered by PDFium in grey and read by the `tesseract` command. We run the binary
ourselves rather than through pytesseract: that wrapper writes the picture to a temporary file through Pillow
and runs the same binary, while a pipe needs neither, and `subprocess.run(timeout=...)` kills a page that
takes too long. Tesseract's TSV output gives each word's box and confidence; the boxes become the word dicts
the text layer gives, so `layout.read_page` finds columns on scans as on born-digital pages.

A page that needs OCR but does not get it (OCR turned off, Tesseract missing, a page over the time limit) is
reported on the Document (`Page.needs_ocr` and the `needs_ocr` metadata), never left silently empty.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from triage.config import OcrSettings
from triage.read.pdf import pdfium_words
from triage.read.pdf.layout import Line, read_page
from triage.types import Document

if TYPE_CHECKING:
    import pypdfium2

MIN_TEXT_CHARS = 30  # a text layer shorter than this (a stamp, a page number) does not make a page born-digital
MIN_IMAGE_SHARE = 0.3  # pictures must cover this share of a page for it to be a scan worth reading
MIN_DPI = 200  # scans of lower resolution are enlarged to this for Tesseract
MIN_MARK_CONFIDENCE = 70.0  # punctuation-only "words" below this confidence are specks, not text
MAX_PIXELS = 60_000_000  # a rendered page over this (A4 at 300 dpi is 8.7 M) is rendered at a lower dpi
MAX_IMAGE_PIXELS = 400_000_000  # a picture this large is a decompression bomb, not a scan


@dataclass(frozen=True, slots=True)
class ScannedPage:
    """Tesseract's reading of one page: words as layout dicts (points, top-left origin) and their mean confidence."""

    words: tuple[dict[str, Any], ...]
    width: float
    height: float
    confidence: float  # mean word confidence, 0-100 (0 when no word was found)


@dataclass(frozen=True, slots=True)
class OcrReport:
    """What OCR did to one document: pages read (with lines and confidence) and pages left unread (with why)."""

    read: tuple[tuple[int, list[Line], float, int], ...] = ()  # (page, lines, confidence, words)
    missed: tuple[tuple[int, str], ...] = ()  # (page, reason)


class OcrUnavailable(Exception):
    """Tesseract cannot run at all here (missing, or its language data is); no later page will fare better."""


def is_sparse(words: Sequence[dict[str, Any]]) -> bool:
    """True when a page's text layer is too thin to be the page's text (none, or a stamp)."""
    return sum(len(w["text"]) for w in words) < MIN_TEXT_CHARS


def read_scans(pdf: pypdfium2.PdfDocument, numbers: Sequence[int], settings: OcrSettings) -> OcrReport:
    """OCR the pages `numbers` (1-based, with sparse text layers) that are mostly pictures."""
    read: list[tuple[int, list[Line], float, int]] = []
    missed: list[tuple[int, str]] = []
    unavailable = "" if settings.enabled else "OCR is turned off (ocr = false)"
    for number in numbers:
        scan = pdfium_words.page_scan(pdf, number)
        if scan.image_share < MIN_IMAGE_SHARE:
            continue  # no scan on this page: blank, or a small logo
        if not unavailable and not shutil.which(settings.tesseract):
            unavailable = (f"Tesseract was not found (tesseract = {settings.tesseract!r}); install Debian's "
                           "tesseract-ocr with tesseract-ocr-eng and tesseract-ocr-fra, or set `tesseract`")
        if unavailable:
            missed.append((number, unavailable))
        elif len(read) >= settings.max_pages:
            missed.append((number, f"over the limit of {settings.max_pages} OCR pages per document (ocr_max_pages)"))
        elif scan.largest_pixels > MAX_IMAGE_PIXELS:
            missed.append((number, f"its picture has {scan.largest_pixels:,} pixels, too many to be a scan"))
        else:
            try:
                page = ocr_page(pdf, number, settings, dpi=scan_dpi(scan.dpi, settings.dpi))
            except OcrUnavailable as exc:
                unavailable = str(exc)
                missed.append((number, unavailable))
            except TimeoutError as exc:
                missed.append((number, str(exc)))
            except pdfium_words.PdfiumRenderError as exc:
                missed.append((number, f"it could not be rendered for OCR ({exc})"))
            else:
                read.append((number, read_page(page.words, page.width, page.height), page.confidence,
                             len(page.words)))
    return OcrReport(tuple(read), tuple(missed))


def scan_dpi(native: float, limit: int) -> float:
    """The dpi to render a scan at: its own, so no pixels are invented, within [MIN_DPI, `limit`].

    Re-sampling a 200 dpi scan to 300 dpi cost accuracy on 7 pt print (0.97 against 0.99 at 200 dpi), and
    text below about 200 dpi is too small for Tesseract's models."""
    return float(min(limit, max(native, MIN_DPI)))


def ocr_page(pdf: pypdfium2.PdfDocument, number: int, settings: OcrSettings, *, dpi: float | None = None) -> ScannedPage:
    """Render page `number` (at `dpi`, else `settings.dpi`) and read it with Tesseract.

    Raises TimeoutError past `settings.timeout`, OcrUnavailable when Tesseract cannot run, PdfiumRenderError.
    """
    width, height, pixels, dpi = pdfium_words.render_grey(pdf, number, dpi or settings.dpi, max_pixels=MAX_PIXELS)
    tsv = run_tesseract(_pgm(width, height, pixels), settings, dpi=round(dpi))
    return parse_tsv(tsv, scale=72 / dpi, width=width, height=height)


def _pgm(width: int, height: int, pixels: bytes) -> bytes:
    """A binary PGM picture: a header and the raw grey bytes, which Leptonica reads from a pipe as they are."""
    return b"P5\n%d %d\n255\n" % (width, height) + pixels


def run_tesseract(image: bytes, settings: OcrSettings, *, dpi: int) -> str:
    """Tesseract's TSV for one picture, read from stdin; bounded by `settings.timeout`."""
    command = [settings.tesseract, "stdin", "stdout", "-l", settings.languages, "--dpi", str(dpi), "--psm", "3", "tsv"]
    # One thread per page: with OpenMP's default of one thread per core, parallel batch workers fight over
    # the cores: a page took 25 s instead of 6 s on our busy 2-core machine.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(command, input=image, capture_output=True, timeout=settings.timeout, env=env,
                              check=False)
    except subprocess.TimeoutExpired as exc:  # run() has killed Tesseract by now
        raise TimeoutError(f"OCR took longer than the {settings.timeout:g} s limit (ocr_timeout)") from exc
    except OSError as exc:  # not executable, vanished since the PATH lookup
        raise OcrUnavailable(f"Tesseract could not be started ({settings.tesseract!r}: {exc.strerror})") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrUnavailable(f"Tesseract failed ({detail[-1] if detail else f'exit status {done.returncode}'}); "
                             f"check that the language data for {settings.languages!r} is installed")
    return done.stdout.decode("utf-8", "replace")


def parse_tsv(tsv: str, *, scale: float, width: int, height: int) -> ScannedPage:
    """Words from Tesseract's TSV, as layout word dicts in points; each line's words share its top and bottom.

    Tesseract boxes each word tightly ("a" is shorter than "Thy"); the text layer gives every glyph of a line
    the font's full height, and `read_page` groups rows by that, so each word takes its line's extent.
    """
    lines: dict[tuple[str, str, str, str], list[list[str]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != 12 or cells[0] != "5" or not cells[11].strip():
            continue
        if float(cells[10]) < MIN_MARK_CONFIDENCE and not any(ch.isalnum() for ch in cells[11]):
            continue  # a speck or a rule read as "|", "_" or "."; in a gutter it would join the columns
        lines.setdefault((cells[1], cells[2], cells[3], cells[4]), []).append(cells)
    words: list[dict[str, Any]] = []
    confidences: list[float] = []
    for cells_of_line in lines.values():
        top = min(int(c[7]) for c in cells_of_line)
        bottom = max(int(c[7]) + int(c[9]) for c in cells_of_line)
        for c in cells_of_line:
            left, box_width, confidence = int(c[6]), int(c[8]), float(c[10])
            words.append({"text": c[11].strip(), "x0": left * scale, "x1": (left + box_width) * scale,
                          "top": top * scale, "bottom": bottom * scale, "upright": True})
            confidences.append(max(confidence, 0.0))
    mean = statistics.fmean(confidences) if confidences else 0.0
    return ScannedPage(tuple(words), width * scale, height * scale, round(mean, 1))


def no_text_message(name: str, report: OcrReport) -> str:
    """Why a PDF with no text on any page gave none, and what to do."""
    if report.read:
        return (f"{name} has no text on any page, even after OCR of {len(report.read)} scanned "
                f"page{'s' if len(report.read) > 1 else ''}; check that it is the right file and the scan is legible, "
                "and retry")
    if report.missed:
        return (f"{name} has no text layer on any page (scanned or image-only) and needs OCR, which could not "
                f"run: {report.missed[0][1]}; fix that, or run it through OCR (e.g. ocrmypdf), and retry")
    return (f"{name} has no text layer on any page and no scanned picture to OCR (it looks blank); "
            "check that it is the right file and retry")


def mark_pages(doc: Document, report: OcrReport) -> Document:
    """Mark OCRed pages and pages still needing OCR on `doc`, with confidences and reasons in its metadata."""
    if not report.read and not report.missed:
        return doc
    read = {number: confidence for number, _, confidence, _ in report.read}
    missed = dict(report.missed)
    pages = tuple(
        replace(p, ocr=p.number in read, needs_ocr=p.number in missed or (p.needs_ocr and p.number not in read))
        for p in doc.pages
    )
    meta = dict(doc.metadata)
    if read:
        counted = sum(n for *_, n in report.read)
        mean = sum(c * n for _, _, c, n in report.read) / counted if counted else 0.0
        meta["ocr_pages"] = ", ".join(map(str, read))
        meta["ocr_confidence"] = f"{mean:.1f}"  # mean word confidence over all OCRed words, 0-100
        meta["ocr_page_confidence"] = ", ".join(f"{n}: {c:.1f}" for n, c in read.items())
    if missed:
        meta["needs_ocr"] = "; ".join(f"{n}: {why}" for n, why in missed.items())
    return replace(doc, pages=pages, metadata=tuple(sorted(meta.items())))
