"""File bytes -> Document. With `pdfium_words`, the only modules that import PDF libraries.

PDF pages are read by PDFium (`pdfium_words`: glyph boxes -> words, about 10x faster than pdfminer);
pdfplumber's `extract_words` is the fallback when PDFium refuses a file and for pages of rotated text.
`layout.layout_page` turns the words' boxes into lines in reading order (columns detected from a vertical
gutter) and marks paragraph breaks; here running headers and footers are dropped across pages and the pages
joined. The pure text clean-up lives in `normalise`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import struct
import zlib
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from .config import OcrSettings
from .errors import ExtractionError
from . import ocr, pdfium_words
from .layout import layout_page
from .normalise import clean_line, clean_text, hyphenated_words, is_line_end_hyphen, join_lines
from .types import Document, Page

PDF_MEDIA_TYPE = "application/pdf"
TEXT_MEDIA_TYPE = "text/plain"
METADATA_KEYS = ("Title", "Author", "CreationDate")

# Magic numbers of files people mistake for documents, so the error can say what the file is.
MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx/.odt file)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Microsoft Office file (.doc/.xls/.ppt)"),
    (b"\x1f\x8b", "a gzip archive"),
)
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
_JUNK_TITLE = re.compile(
    r"(\.(docx?|pdf|exe|indd|rtf|odt|qxd|tmp|wpd)$)|^(untitled|title|document\d*)$", re.IGNORECASE
)
_PDF_HEADER = re.compile(rb"%PDF-\d")
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(page\s*)?#(\s*(of|/)\s*#)?[-–—\s]*$")


def extract_document(
    path: str | Path, *, data: bytes | None = None, source: str | None = None,
    ocr_settings: OcrSettings | None = None,
) -> Document:
    """Read a PDF or plain-text file (type detected from its bytes) into a Document.

    PDF pages that are pictures are OCRed as `ocr_settings` say (default: English and French, when Tesseract is
    installed)."""
    path = Path(path)
    name = source or path.name
    if data is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ExtractionError(f"{name} does not exist; check the path and retry") from exc
        except OSError as exc:
            raise ExtractionError(
                f"{name} could not be read ({exc.strerror}); check the path and retry"
            ) from exc
    if not data:
        raise ExtractionError(f"{name} is empty (0 bytes); re-export or re-download the file and retry")
    doc_id = hashlib.sha256(data).hexdigest()
    if _PDF_HEADER.search(data[:1024]):  # the header may follow some junk bytes; readers allow 1 KB
        return _extract_pdf(data, doc_id, name, ocr_settings=ocr_settings)
    text, encoding_notes = _decode_text(data, name)
    return _text_document(text, doc_id, name, encoding_notes)


def describe_bytes(data: bytes) -> str:
    """A short guess at what a non-document file is, from its first bytes."""
    for magic, what in MAGIC:
        if data.startswith(magic):
            return what
    return "binary data, not a PDF or text file"


def _decode_text(data: bytes, name: str) -> tuple[str, list[tuple[str, str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), [("encoding", "utf-16")]
        except UnicodeDecodeError:
            pass  # a byte-order mark by chance; judge the bytes below
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise ExtractionError(
                f"{name} looks like {what}, not a PDF or text file; convert it to PDF and retry"
            )
    # Text files have almost no control bytes; binary data has many (NUL above all), even when every
    # byte happens to be ASCII and so decodes as UTF-8.
    sample = data[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f")
    if b"\x00" in sample or controls > len(sample) * 0.01:
        raise ExtractionError(
            f"{name} looks like {describe_bytes(data)}; convert it to PDF or UTF-8 text and retry"
        )
    try:
        return data.decode("utf-8-sig"), [("encoding", "utf-8")]
    except UnicodeDecodeError:
        pass
    # Files pasted together from several sources mix encodings, even within a line. Bytes that are valid
    # UTF-8 stay UTF-8 and only the invalid ones are read as cp1252, so neither part becomes mojibake.
    text = data.decode("utf-8", errors="triage-cp1252").removeprefix("\ufeff")
    if not _looks_like_utf8(data):
        note = "not valid UTF-8; decoded as cp1252 (Windows Western European), so some characters may be wrong"
        return text, [("encoding", "cp1252"), ("encoding_note", note)]
    note = "mixed encodings: the bytes that were not valid UTF-8 were read as cp1252, so a few characters may be wrong"
    return text, [("encoding", "mixed utf-8/cp1252"), ("encoding_note", note)]


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start:err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error("triage-cp1252", _cp1252_fallback)


def _looks_like_utf8(data: bytes) -> bool:
    """True when some non-ASCII bytes form valid UTF-8 sequences (so the file is partly UTF-8)."""
    return re.search(rb"[\xc2-\xf4][\x80-\xbf]+", data) is not None


def _text_document(text: str, doc_id: str, name: str, notes: list[tuple[str, str]]) -> Document:
    body = clean_text(text)
    if not body:
        raise ExtractionError(f"{name} contains no text; check that it is the right file")
    title = body.split("\n\n", 1)[0].lstrip("#").strip()[:200]
    metadata = tuple(sorted([("pages", "1"), *notes]))
    return Document(doc_id, name, body, (Page(1, 0, len(body)),), TEXT_MEDIA_TYPE, title, metadata)


# --- PDF -------------------------------------------------------------------------------------------


def _extract_pdf(
    data: bytes, doc_id: str, name: str, *, engine: str = "pdfium", ocr_settings: OcrSettings | None = None
) -> Document:
    """Lay out each page's words; PDFium reads them fast, pdfminer (via pdfplumber) when PDFium refuses.

    Pages with (almost) no text layer are OCRed from PDFium's rendering; the pdfminer path cannot render."""
    if engine == "pdfium":
        try:
            pdf = pdfium_words.open_pdf(data)
        except pdfium_words.PdfiumOpenError:
            # pdfminer tells a wrong password from damage and names the damage; let it explain or recover.
            return _extract_pdf(data, doc_id, name, engine="pdfplumber")
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
                page_lines.append(layout_page(page.words, page.width, page.height))
                if ocr.is_sparse(page.words):
                    sparse.append(page.number)
            n_pages = len(page_lines)
            scans = ocr.read_scans(pdf, sparse, ocr_settings or OcrSettings())
            for number, lines, *_ in scans.read:
                page_lines[number - 1] = lines
        except pdfium_words.PdfiumOpenError:
            return _extract_pdf(data, doc_id, name, engine="pdfplumber")
        finally:
            pdf.close()
        hard = [n for n in hard if n not in {number for number, *_ in scans.read}]  # OCR read the picture
        if hard:
            _relayout_with_pdfplumber(data, hard, page_lines)
        if truncated:
            metadata["truncated_pages"] = ", ".join(truncated)  # said, so a reader knows text is missing
        if n_pages and not failures and not any(page_lines):
            raise ExtractionError(ocr.no_text_message(name, scans))
        return ocr.mark_pages(_finish_pdf(page_lines, failures, metadata, n_pages, doc_id, name), scans)
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
        page_lines: list[list[tuple[str, bool]] | None] = []
        failures: list[str] = []
        for page in pages:
            try:
                words = page.extract_words()
                page_lines.append(layout_page(words, float(page.width), float(page.height)))
            except PDF_ERRORS as exc:
                # One damaged page should not cost the reader the rest of the report.
                failures.append(f"{page.page_number}: {_reason(exc)}")
                page_lines.append(None)
            finally:
                page.close()  # drop cached chars so memory stays flat on long reports
    return _finish_pdf(page_lines, failures, metadata, len(pages), doc_id, name)


def _relayout_with_pdfplumber(
    data: bytes, numbers: list[int], page_lines: list[list[tuple[str, bool]] | None]
) -> None:
    """Re-read the given pages with pdfplumber, whose slower word grouping handles vertical text."""
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number in numbers:
                page = pdf.pages[number - 1]
                try:
                    words = page.extract_words()
                    page_lines[number - 1] = layout_page(words, float(page.width), float(page.height))
                finally:
                    page.close()
    except PDF_ERRORS:
        pass  # keep PDFium's reading of those pages: imperfect, but text


def _finish_pdf(
    page_lines: list[list[tuple[str, bool]] | None],
    failures: list[str],
    metadata: dict[str, str],
    n_pages: int,
    doc_id: str,
    name: str,
) -> Document:
    """Drop running headers and footers, mend words across pages, and join the pages into one Document."""
    pages = range(n_pages)
    if not pages:
        raise ExtractionError(f"{name} has no pages; re-export the PDF and retry")
    if len(failures) == len(pages):
        raise ExtractionError(
            f"{name} is damaged and no page could be read ({failures[0]}); re-export or repair the PDF and retry"
        )
    texts = [[t for t, _ in lines] for lines in page_lines if lines]
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
    removed = _drop_running_lines(page_lines)
    _mend_words_across_pages(page_lines)
    texts = [[t for t, _ in lines] for lines in page_lines if lines] or texts
    keep = hyphenated_words("\n".join(t for lines in texts for t in lines))
    body, doc_pages = _assemble_pages(page_lines, blank, keep)
    meta = {k: clean_line(v) for k, v in metadata.items() if clean_line(v)}
    first_line = next(lines[0] for lines in texts if lines)
    title = meta.get("Title", "")
    if not title or _JUNK_TITLE.search(title):
        title = clean_line(first_line)[:200]
    meta["pages"] = str(len(pages))
    if removed:
        meta["running_lines_removed"] = str(removed)
    if failures:
        meta["unreadable_pages"] = "; ".join(failures)
    return Document(doc_id, name, body, doc_pages, PDF_MEDIA_TYPE, title, tuple(sorted(meta.items())))


def _drop_running_lines(page_lines: list[list[tuple[str, bool]] | None]) -> int:
    """Remove running headers/footers (same first or last line on many pages, digits aside) and page numbers.

    Returns how many lines were removed.
    """
    pages = [lines for lines in page_lines if lines]
    if len(pages) < 2:
        return 0
    removed = 0
    for _ in range(2):  # a header may be two rows (title, then date or page number)
        pages = [lines for lines in pages if lines]
        keys = Counter(
            key for lines in pages for key in {_running_key(lines[0][0]), _running_key(lines[-1][0])}
        )
        for lines in pages:
            for index in (0, -1):
                if not lines:
                    break
                # Headers and footers stand alone; a line that runs on into a paragraph is body text.
                alone = lines[index][1] if index == -1 else len(lines) == 1 or lines[1][1]
                if not alone:
                    continue
                key = _running_key(lines[index][0])
                repeated = keys[key] >= max(min(len(pages), 3), 0.3 * len(pages))
                if repeated or _PAGE_NUMBER.match(key):
                    lines.pop(index)
                    removed += 1
                    if index == 0 and lines:
                        lines[0] = (lines[0][0], True)
    return removed


def _running_key(line: str) -> str:
    return _DIGITS.sub("#", line.lower()).strip()


def _mend_words_across_pages(page_lines: list[list[tuple[str, bool]] | None]) -> None:
    """Move the tail of a word hyphenated across a page break back to the page where it starts."""
    for before, after in pairwise(page_lines):
        if not before or not after or not is_line_end_hyphen(before[-1][0], after[0][0]):
            continue
        tail, _, rest = after[0][0].partition(" ")
        before.append((tail, False))  # join_lines then removes the hyphen
        if rest:
            after[0] = (rest, after[0][1])
        else:
            del after[0]
            if after:
                after[0] = (after[0][0], True)


def _assemble_pages(
    page_lines: Sequence[list[tuple[str, bool]] | None], blank: Sequence[bool], keep: frozenset[str]
) -> tuple[str, tuple[Page, ...]]:
    parts: list[str] = []
    pages: list[Page] = []
    offset = 0
    for number, lines in enumerate(page_lines, start=1):
        paragraphs: list[list[str]] = []
        for text, new_paragraph in lines or ():
            if new_paragraph or not paragraphs:
                paragraphs.append([])
            paragraphs[-1].append(text)
        text = "\n\n".join(p for p in (join_lines(ls, keep_hyphen=keep) for ls in paragraphs) if p)
        if parts:
            offset += 2  # the "\n\n" between pages
        pages.append(Page(number, offset, offset + len(text), needs_ocr=blank[number - 1]))
        parts.append(text)
        offset += len(text)
    return "\n\n".join(parts), tuple(pages)


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
