"""File bytes -> Document. With `pdfium_words`, the only modules that import PDF libraries.

The type comes from the bytes, never the file name (`detect_format`): PDF, Word (.docx, `docx_text`),
e-mail (`email_text`; its attachments are documents of their own), web pages (`html_text`), Markdown
(`markdown_text`) and plain text. Every Document's metadata then gets the bytes' SHA-256, the page count,
the language (`language`) and the report's date where one is found.

PDF pages are read by PDFium (`pdfium_words`: glyph boxes -> words, about 10x faster than pdfminer);
pdfplumber's `extract_words` is the fallback when PDFium refuses a file and for pages of rotated text.
`layout.read_page` turns the words' boxes into lines in reading order (columns detected from a vertical
gutter; tables, side boxes and footnotes set apart by `blocks`; spacing mended by `spacing`) and marks
paragraph breaks; here footnotes and tables are collected, running headers and footers dropped across
pages, and the pages joined, each word keeping its page and box. The pure text clean-up lives in `normalise`.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import io
import re
import struct
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from triage.read.pdf import ocr

from triage.read.pdf import pdfium_words
from triage.config import OcrSettings
from triage.read.docx_text import is_docx, office_kind, read_docx
from triage.read.email_text import Attachment, is_email, iter_attachments, read_email
from triage.errors import ExtractionError
from triage.read.html_text import looks_like_html, read_html
from triage.read.language import detect_language
from triage.read.pdf.layout import Line, read_page
from triage.read.markdown_text import looks_like_markdown, markdown_to_text
from triage.read.normalise import (
    clean_line, clean_text, hyphenated_words, is_line_end_hyphen, join_lines, normalise_newlines,
)
from triage.review.queue import text_date
from triage.types import WORD_BOX, Document, Footnote, Page, Table

PDF_MEDIA_TYPE = "application/pdf"
TEXT_MEDIA_TYPE = "text/plain"
MARKDOWN_MEDIA_TYPE = "text/markdown"
HTML_MEDIA_TYPE = "text/html"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EMAIL_MEDIA_TYPE = "message/rfc822"
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
_LETTERS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
WORDS_FILE = Path(__file__).parent / "pdf" / "words.txt"  # made from our corpus by training/make_wordlist.py
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?")
_INVARIANT_DATE = "D:20000101"  # reportlab's fixed date for reproducible files: not a real date
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(page\s*)?#(\s*(of|/)\s*#)?[-–—\s]*$")


def extract_document(
    path: str | Path, *, data: bytes | None = None, source: str | None = None,
    ocr_settings: OcrSettings | None = None,
) -> Document:
    """Read a PDF, Word, web page, e-mail, Markdown or plain-text file (type detected from its bytes).

    An e-mail becomes its message; its attachments are separate documents (`list_attachments`). PDF pages
    that are pictures are OCRed as `ocr_settings` say (default: English and French, when Tesseract is
    installed)."""
    return extract_with_attachments(path, data=data, source=source, ocr_settings=ocr_settings)[0]


def extract_with_attachments(
    path: str | Path, *, data: bytes | None = None, source: str | None = None,
    ocr_settings: OcrSettings | None = None,
) -> tuple[Document, tuple[Attachment, ...]]:
    """The file as a Document, and the attachments to read as documents of their own (e-mails only).

    Each attachment's `source` ("mail.eml/report.pdf") is the name to extract it under; one that was not
    returned (too large, nested too deep) carries the reason in `error`."""
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
    attachments: tuple[Attachment, ...] = ()
    kind = detect_format(data)
    if kind == "pdf":
        doc = _extract_pdf(data, doc_id, name, ocr_settings=ocr_settings)
    elif kind == "zip":
        doc = _docx_document(data, doc_id, name)
    elif kind == "email":
        doc = _email_document(data, doc_id, name)
        attachments = tuple(iter_attachments(data, name))
    else:
        doc = _plain_document(data, doc_id, name)
    return _with_common_metadata(doc), attachments


def list_attachments(data: bytes, source: str) -> tuple[Attachment, ...]:
    """The attachments of an e-mail (forwarded messages opened, bounded), without extracting anything; () for
    any other file."""
    if not data or detect_format(data) != "email":
        return ()
    try:
        return tuple(iter_attachments(data, source))
    except ExtractionError:
        return ()  # the message itself cannot be read: extracting it reports why, once


def detect_format(data: bytes) -> str:
    """What the bytes are, whatever the file is called: "pdf", "zip" (a Word file or another zip),
    "email", or "text" (plain text, Markdown or HTML, told apart once decoded)."""
    if data.startswith(b"PK\x03\x04"):  # before the PDF test: a zip may store a PDF in its first KB
        return "zip"
    if _PDF_HEADER.search(data[:1024]):  # the header may follow some junk bytes; readers allow 1 KB
        return "pdf"
    if is_email(data):
        return "email"
    return "text"


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


def _text_document(
    text: str, doc_id: str, name: str, notes: list[tuple[str, str]] | dict[str, str], *,
    media_type: str = TEXT_MEDIA_TYPE, title: str = "", structured: bool = False,
) -> Document:
    """One page of text. `structured` text (from Word, HTML, Markdown) already has one paragraph per block
    and keeps its single line breaks (table rows); plain text has its wrapped lines joined."""
    body = _clean_blocks(text) if structured else clean_text(text)
    if not body:
        raise ExtractionError(f"{name} contains no text; check that it is the right file")
    meta = dict(notes)
    title = clean_line(title or meta.get("Title", "")) or body.split("\n\n", 1)[0].lstrip("#").strip()
    meta["pages"] = "1"  # text formats have no pages; the whole text is page 1
    metadata = tuple(sorted(meta.items()))
    return Document(doc_id, name, body, (Page(1, 0, len(body)),), media_type, title[:200], metadata)


def _clean_blocks(text: str) -> str:
    paragraphs = normalise_newlines(text).split("\n\n")
    blocks = ("\n".join(filter(None, map(clean_line, b.split("\n")))) for b in paragraphs)
    return "\n\n".join(b for b in blocks if b)


def _plain_document(data: bytes, doc_id: str, name: str) -> Document:
    text, encoding_notes = _decode_text(data, name)
    if looks_like_html(text[:65536].encode("utf-8", errors="replace")):
        body, meta = read_html(text, name)
        return _text_document(body, doc_id, name, {**dict(encoding_notes), **meta}, media_type=HTML_MEDIA_TYPE,
                              structured=True)
    if looks_like_markdown(text):
        body, heading = markdown_to_text(text)
        return _text_document(body, doc_id, name, encoding_notes, media_type=MARKDOWN_MEDIA_TYPE, title=heading,
                              structured=True)
    return _text_document(text, doc_id, name, encoding_notes)


def _docx_document(data: bytes, doc_id: str, name: str) -> Document:
    if not is_docx(data):
        what = office_kind(data)
        if what:
            raise ExtractionError(f"{name} is {what}, not a report triage reads; save it as PDF or .docx and retry")
        raise ExtractionError(
            f"{name} looks like a ZIP archive, not a document or Word file; give it to `triage batch` "
            "(which opens archives), or unzip it, convert the files to PDF and retry"
        )
    body, meta = read_docx(data, name)
    return _text_document(body, doc_id, name, meta, media_type=DOCX_MEDIA_TYPE, structured=True)


def _email_document(data: bytes, doc_id: str, name: str) -> Document:
    mail = read_email(data, name)
    meta = dict(mail.metadata)
    if mail.body_is_html and mail.body.strip():
        body, _ = read_html(mail.body, name)  # the message's subject and date, not the page's
    else:
        body = clean_text(mail.body)
    text = f"{mail.heading}\n\n{body}" if mail.heading else body
    return _text_document(text, doc_id, name, meta, media_type=EMAIL_MEDIA_TYPE, structured=True)


def _with_common_metadata(doc: Document) -> Document:
    """What every document records whatever its format: the bytes' SHA-256, the page count, the language
    and the report's date (a dated line near the top, else the file's own date) where one is found."""
    meta = dict(doc.metadata)
    meta["sha256"] = doc.id
    meta.setdefault("pages", str(len(doc.pages)))
    language = detect_language(doc.text)
    if language:
        meta["language"] = language
    found = text_date(doc.text[:1500])
    stated = _PDF_DATE.match(meta.get("CreationDate", ""))
    if found:
        meta["report_date"] = found.isoformat()
    elif stated and not meta["CreationDate"].startswith(_INVARIANT_DATE):
        meta["report_date"] = "-".join(g for g in stated.groups() if g)
    return replace(doc, metadata=tuple(sorted(meta.items())))


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
                page_lines.append(
                    read_page(page.words, page.width, page.height, rules=page.rules, vocabulary=_vocabulary())
                )
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
    return _finish_pdf(page_lines, failures, metadata, len(pages), doc_id, name)


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


def _finish_pdf(
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
    footnotes = _take_footnotes(page_lines)
    tables = _tables(page_lines)
    removed = _drop_running_lines(page_lines)
    _mend_words_across_pages(page_lines)
    texts = [[line.text for line in lines] for lines in page_lines if lines] or texts
    keep = hyphenated_words("\n".join(t for lines in texts for t in lines)) | _real_hyphens(page_lines)
    body, doc_pages, boxes = _assemble_pages(page_lines, blank, keep)
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
    return Document(
        doc_id, name, body, doc_pages, PDF_MEDIA_TYPE, title, tuple(sorted(meta.items())),
        footnotes=footnotes, tables=tables, word_boxes=boxes,
    )


def _take_footnotes(page_lines: list[list[Line] | None]) -> tuple[Footnote, ...]:
    """Remove footnote lines from each page, returning the notes linked to their page."""
    notes: list[Footnote] = []
    for number, lines in enumerate(page_lines, start=1):
        if not lines or not any(line.kind == "footnote" for line in lines):
            continue
        note: list[str] = []
        for line in [line for line in lines if line.kind == "footnote"] + [Line("", True, (), "footnote")]:
            if line.new_paragraph and note:
                marker, _, text = join_lines(note).partition(" ")
                notes.append(Footnote(number, marker.strip("()."), text))
                note = []
            note.append(line.text)
        lines[:] = [line for line in lines if line.kind != "footnote"]
    return tuple(notes)


def _tables(page_lines: Sequence[list[Line] | None]) -> tuple[Table, ...]:
    """Each table's rows of cells (a table is a run of "table" lines, its first row starting a paragraph)."""
    tables: list[Table] = []
    for number, lines in enumerate(page_lines, start=1):
        rows: list[tuple[str, ...]] = []
        boxes: list[tuple[str, float, float, float, float]] = []
        for line in [*(lines or ()), Line("", True)]:
            if rows and (line.kind != "table" or line.new_paragraph):
                box = (min(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes),
                       max(b[4] for b in boxes)) if boxes else (0.0, 0.0, 0.0, 0.0)
                tables.append(Table(number, tuple(rows), box))
                rows, boxes = [], []
            if line.kind == "table":
                rows.append(line.cells)
                boxes += line.words
    return tuple(tables)


def _drop_running_lines(page_lines: list[list[Line] | None]) -> int:
    """Remove running headers/footers (same first or last line on many pages, digits aside) and page numbers.

    Returns how many lines were removed.
    """
    pages = [lines for lines in page_lines if lines]
    removed = 0
    for _ in range(2):  # a header may be two rows (title, then date or page number)
        pages = [lines for lines in pages if _ends(lines)]
        keys = Counter(key for lines in pages for key in {_bag_key(lines[i].text) for i in _ends(lines)})
        for lines in pages:
            # The first and last lines of running text: side boxes and tables are read after or among it.
            for end in ("first", "last"):
                ends = _ends(lines)
                if not ends:
                    break
                index = ends[0] if end == "first" else ends[-1]
                body = [i for i, line in enumerate(lines) if line.kind == "body"]
                following = body[body.index(index) + 1] if body.index(index) + 1 < len(body) else None
                # Headers and footers stand alone; a line that runs on into a paragraph is body text.
                if end == "last":
                    alone = lines[index].new_paragraph
                else:
                    alone = following is None or lines[following].new_paragraph
                if not alone:
                    continue
                key = _running_key(lines[index].text)
                # On a single page nothing repeats, but an isolated "Page 1" is still a page number.
                repeated = len(pages) > 1 and keys[_bag_key(lines[index].text)] >= max(min(len(pages), 3), 0.3 * len(pages))
                if repeated or _PAGE_NUMBER.match(key):
                    lines.pop(index)
                    removed += 1
                    if end == "first" and following is not None:
                        lines[following - 1] = lines[following - 1]._replace(new_paragraph=True)
    return removed


def _ends(lines: list[Line] | None) -> tuple[int, ...]:
    """Indices of the first and last lines of running text on a page (empty if it has none)."""
    body = [i for i, line in enumerate(lines or ()) if line.kind == "body"]
    return (body[0], body[-1]) if body else ()


@functools.cache
def _vocabulary() -> frozenset[str]:
    try:
        return frozenset(WORDS_FILE.read_text(encoding="utf-8").split())
    except OSError:
        return frozenset()  # without the list, the document's own words still decide


def _real_hyphens(page_lines: Sequence[list[Line] | None]) -> frozenset[str]:
    """Compounds broken at a line-end hyphen that is real: joined they make no word, apart both are words.

    Words are those of our corpus and those the document prints whole inside a line ("cross-" + "border"
    keeps its hyphen; "preven-" + "tion" is joined, since "prevention" is a word and "tion" is not).
    """
    lines = [line.text for page in page_lines if page for line in page]
    words = set(_vocabulary())
    for text in lines:
        inner = text.split()[1:-1]  # a line's first and last tokens may be halves of a broken word
        for token in inner:
            words.update(part for m in _LETTERS.finditer(token.lower()) for part in m.group(0).split("-"))
    keep = set()
    for a, b in pairwise(lines):
        if not is_line_end_hyphen(a, b):
            continue
        head, tail = _LETTERS.search(a[::-1]), _LETTERS.match(b)
        if not head or not tail:
            continue
        left, right = head.group(0)[::-1].lower(), tail.group(0).lower()
        last = left.rsplit("-", 1)[-1]
        if last + right not in words and last in words and right.split("-")[0] in words:
            keep.add(f"{left}-{right}")
    return frozenset(keep)


def _running_key(line: str) -> str:
    return _DIGITS.sub("#", line.lower()).strip()


def _bag_key(line: str) -> str:
    # Free of order and spacing: pages that go through pdfplumber (mostly rotated text) space and order a
    # header's words differently from PDFium ("Federal 47705 Register/Vol." against "47700 Federal
    # Register/ Vol."), yet it is the same running header. Its letters, counted, still tell it apart.
    return "".join(sorted(c for c in _running_key(line) if c.isalnum() or c == "#"))


def _mend_words_across_pages(page_lines: list[list[Line] | None]) -> None:
    """Move the tail of a word hyphenated across a page break back to the page where it starts."""
    for before, after in pairwise(page_lines):
        if not before or not after or not is_line_end_hyphen(before[-1].text, after[0].text):
            continue
        tail, _, rest = after[0].text.partition(" ")
        words = after[0].words
        before.append(Line(tail, False, words[:1]))  # join_lines then removes the hyphen
        if rest:
            after[0] = after[0]._replace(text=rest, words=words[1:])
        else:
            del after[0]
            if after:
                after[0] = after[0]._replace(new_paragraph=True)


def _assemble_pages(
    page_lines: Sequence[list[Line] | None], blank: Sequence[bool], keep: frozenset[str]
) -> tuple[str, tuple[Page, ...], bytes]:
    """The body text, its pages, and each word's box packed as WORD_BOX records."""
    parts: list[str] = []
    pages: list[Page] = []
    boxes = bytearray()
    offset = 0
    for number, lines in enumerate(page_lines, start=1):
        paragraphs: list[list[Line]] = []
        for line in lines or ():
            if line.new_paragraph or not paragraphs:
                paragraphs.append([])
            paragraphs[-1].append(line)
        if parts:
            offset += 2  # the "\n\n" between pages
        texts: list[str] = []
        at = offset
        for paragraph in paragraphs:
            text = join_lines((line.text for line in paragraph), keep_hyphen=keep)
            if not text:
                continue
            if texts:
                at += 2
            _pack_boxes(boxes, text, at, number, (w for line in paragraph for w in line.words))
            texts.append(text)
            at += len(text)
        text = "\n\n".join(texts)
        pages.append(Page(number, offset, offset + len(text), needs_ocr=blank[number - 1]))
        parts.append(text)
        offset += len(text)
    return "\n\n".join(parts), tuple(pages), bytes(boxes)


def _pack_boxes(out: bytearray, text: str, base: int, page: int, words: Any) -> None:
    """Find each word in its joined paragraph, in order, and record where it landed with its box.

    Joining lines moves words (spaces collapse, line-end hyphens go), so positions are found, not counted;
    a word that cannot be found near where the previous one ended (rare) simply has no box.
    """
    cursor = 0
    for word, x0, top, x1, bottom in words:
        for token in (word, word.rstrip("-\u00ad\u2010")):
            if not token:
                continue
            pos = text.find(token, cursor, cursor + len(token) + 8)
            if pos >= 0:
                end = pos + len(token)
                out += WORD_BOX.pack(base + pos, base + end, page, x0, top, x1, bottom)
                cursor = end
                break


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
