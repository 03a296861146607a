"""PDF bytes -> Document: the only module that opens PDFs with pdfplumber (`pdfium_words` opens them with PDFium).

Pages are read by PDFium (`pdfium_words`: glyph boxes -> words, about 10x faster than pdfminer); pdfplumber's
`extract_words` is the fallback when PDFium refuses a file and for pages of rotated text. `layout.read_page`
turns the words' boxes into lines in reading order; pages with (almost) no text layer are OCRed (`ocr`);
`across_pages` then sets footnotes and tables apart, drops running headers and footers and joins the pages.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from triage.config import OcrSettings
from triage.errors import ExtractionError
from triage.read.formats import media_type
from triage.read.normalise import clean_line, hyphenated_words
from triage.read.pdf import ocr, pdfium_words
from triage.read.pdf.across_pages import (
    assemble_pages,
    collect_tables,
    drop_running_lines,
    mend_words_across_pages,
    real_hyphens,
    take_footnotes,
)
from triage.read.pdf.layout import Line, read_page
from triage.read.pdf.vocabulary import vocabulary
from triage.read.titles import choose_title
from triage.types import Document

METADATA_KEYS = ("Title", "Author", "CreationDate")
_PDF_HEADER = re.compile(rb"%PDF-\d")
# pdfminer raises its own exceptions but also plain built-ins (KeyError, struct.error, zlib.error, ...)
# on damaged files, lazily while pages are parsed; all of them mean "this PDF is broken".
PDF_ERRORS: tuple[type[BaseException], ...] = (
    PdfminerException,
    MalformedPDFException,
    PSException,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    AssertionError,
    EOFError,
    NotImplementedError,
    RecursionError,
    OSError,
    zlib.error,
    struct.error,
)


def is_pdf(data: bytes) -> bool:
    """A PDF header within the first KB (readers allow some junk before it), in a file that is not a zip:
    a zip may store a PDF among its first bytes."""
    return not data.startswith(b"PK\x03\x04") and _PDF_HEADER.search(data[:1024]) is not None


def extract_pdf(
    data: bytes, doc_id: str, name: str, *, engine: str = "pdfium", ocr_settings: OcrSettings | None = None
) -> Document:
    """Lay out each page's words; PDFium reads them fast, pdfminer (via pdfplumber) when PDFium refuses.

    Pages with (almost) no text layer are OCRed from PDFium's rendering; the pdfminer path cannot render."""
    if engine == "pdfium":
        try:
            pdf = pdfium_words.open_pdf(data)
        except pdfium_words.PdfiumOpenError:
            # pdfminer tells a wrong password from damage and names the damage; let it explain or recover.
            return extract_pdf(data, doc_id, name, engine="pdfplumber")
        try:
            metadata = pdfium_words.metadata(pdf)
            page_lines, failures, hard, truncated, sparse = [], [], [], [], []
            pages = pdfium_words.read_pages(pdf)
            for page in pages:
                if page.words is None:
                    failures.append(f"{page.number}: {page.error}")
                    page_lines.append(None)
                    continue
                if page.truncated:
                    truncated.append(str(page.number))
                if sum(not w["upright"] for w in page.words) > len(page.words) / 2:
                    hard.append(page.number)  # mostly rotated text: pdfplumber groups it into words
                page_lines.append(
                    read_page(page.words, page.width, page.height, rules=page.rules, vocabulary=vocabulary())
                )
                if ocr.is_sparse(page.words):
                    sparse.append(page.number)
            n_pages = len(page_lines)
            scans = ocr.read_scans(pdf, sparse, ocr_settings or OcrSettings())
            for number, lines, *_ in scans.read:
                page_lines[number - 1] = lines
        except pdfium_words.PdfiumOpenError:
            return extract_pdf(data, doc_id, name, engine="pdfplumber")
        finally:
            pdf.close()
        hard = [n for n in hard if n not in {number for number, *_ in scans.read}]  # OCR read the picture
        if hard:
            _relayout_with_pdfplumber(data, hard, page_lines)
        if truncated:
            metadata["truncated_pages"] = ", ".join(truncated)  # said, so a reader knows text is missing
        if n_pages and not failures and not any(page_lines):
            raise ExtractionError(ocr.no_text_message(name, scans))
        return ocr.mark_pages(finish_pdf(page_lines, failures, metadata, n_pages, doc_id, name), scans)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDF_ERRORS as exc:
        raise _pdf_error(name, exc) from exc
    with pdf:
        try:
            pages = pdf.pages
            metadata = _pdf_metadata(pdf.metadata)
        except PDF_ERRORS as exc:
            raise _pdf_error(name, exc) from exc
        page_lines: list[list[Line] | None] = []
        failures: list[str] = []
        for page in pages:
            try:
                words = page.extract_words()
                page_lines.append(read_page(words, float(page.width), float(page.height), rules=_rules(page)))
            except PDF_ERRORS as exc:
                # One damaged page should not cost the reader the rest of the report.
                failures.append(f"{page.page_number}: {_reason(exc)}")
                page_lines.append(None)
            finally:
                page.close()  # drop cached chars so memory stays flat on long reports
    return finish_pdf(page_lines, failures, metadata, len(pages), doc_id, name)


def _rules(page: Any) -> list[tuple[float, float, float, float]]:
    """pdfplumber's drawn lines and rectangles as (x0, top, x1, bottom), for tables and side boxes."""
    shapes = [*page.lines, *page.rects]
    return [(float(o["x0"]), float(o["top"]), float(o["x1"]), float(o["bottom"])) for o in shapes]


def _relayout_with_pdfplumber(
    data: bytes, numbers: list[int], page_lines: list[list[Line] | None]
) -> None:
    """Re-read the given pages with pdfplumber, whose slower word grouping handles vertical text."""
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number in numbers:
                page = pdf.pages[number - 1]
                try:
                    words = page.extract_words()
                    page_lines[number - 1] = read_page(
                        words, float(page.width), float(page.height), rules=_rules(page)
                    )
                finally:
                    page.close()
    except PDF_ERRORS:
        pass  # keep PDFium's reading of those pages: imperfect, but text


def finish_pdf(
    page_lines: list[list[Line] | None],
    failures: list[str],
    metadata: dict[str, str],
    n_pages: int,
    doc_id: str,
    name: str,
) -> Document:
    """Set footnotes and tables apart, drop running headers and footers, mend words across pages, and join
    the pages into one Document whose words keep their boxes."""
    pages = range(n_pages)
    if not pages:
        raise ExtractionError(f"{name} has no pages; re-export the PDF and retry")
    if len(failures) == len(pages):
        raise ExtractionError(
            f"{name} is damaged and no page could be read ({failures[0]}); re-export or repair the PDF and retry"
        )
    # Lines may come as plain (text, new paragraph) pairs from a reader that knows no boxes.
    page_lines = [None if lines is None else [Line(*line) for line in lines] for lines in page_lines]
    texts = [[line.text for line in lines] for lines in page_lines if lines]
    if not texts and failures:
        raise ExtractionError(
            f"{name} is damaged: {len(failures)} of {len(pages)} pages could not be read ({failures[0]}) "
            "and the rest have no text; re-export or repair the PDF and retry"
        )
    if not texts:
        raise ExtractionError(
            f"{name} has no text layer on any page (scanned or image-only) and PDFium, which triage renders "
            "pages with for OCR, cannot open it; run it through OCR (e.g. ocrmypdf) and retry"
        )
    # A page emptied only by dropping its running header still had a text layer, so it needs no OCR.
    blank = [lines == [] for lines in page_lines]
    footnotes = take_footnotes(page_lines)
    tables = collect_tables(page_lines)
    removed = drop_running_lines(page_lines)
    mend_words_across_pages(page_lines)
    texts = [[line.text for line in lines] for lines in page_lines if lines] or texts
    keep = hyphenated_words("\n".join(t for lines in texts for t in lines)) | real_hyphens(page_lines)
    body, doc_pages, boxes = assemble_pages(page_lines, blank, keep)
    meta = {k: clean_line(v) for k, v in metadata.items() if clean_line(v)}
    # The cover's lines as paragraphs: a title set on two lines is one paragraph.
    cover = next((body[p.start : p.end] for p in doc_pages if p.end > p.start), "").split("\n\n")
    title = choose_title(meta.get("Title", ""), [*cover, next(lines[0] for lines in texts if lines)])
    meta["pages"] = str(len(pages))
    if removed:
        meta["running_lines_removed"] = str(removed)
    if failures:
        meta["unreadable_pages"] = "; ".join(failures)
    return Document(
        doc_id, name, body, doc_pages, media_type("pdf"), title, tuple(sorted(meta.items())),
        footnotes=footnotes, tables=tables, word_boxes=boxes,
    )


def _pdf_metadata(raw: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key in METADATA_KEYS:
        value = raw.get(key)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        text = clean_line(str(value)) if value is not None else ""
        if text:
            out[key] = text
    return out


def _reason(exc: BaseException) -> str:
    inner = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    detail = str(inner) or type(inner).__name__
    return detail[:160]


def _pdf_error(name: str, exc: BaseException) -> ExtractionError:
    inner = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(inner, PDFPasswordIncorrect):
        return ExtractionError(f"{name} is password-protected; remove the password and retry")
    if isinstance(inner, PDFEncryptionError):
        return ExtractionError(
            f"{name} is encrypted in a way triage cannot read ({_reason(exc)}); save an unencrypted copy and retry"
        )
    return ExtractionError(
        f"{name} is damaged or truncated and cannot be parsed as a PDF ({_reason(exc)}); "
        "re-download or re-export it and retry"
    )
