"""File bytes -> Document. The only module that imports pdfplumber.

PDF pages are read with `extract_words` once per page; `_layout_page` turns the words' boxes into lines in
reading order (columns detected from a vertical gutter) and marks paragraph breaks. The pure text clean-up
lives in `normalise`.
"""

from __future__ import annotations

import hashlib
import io
import re
import statistics
import struct
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from .errors import ExtractionError
from .normalise import clean_line, clean_text, hyphenated_words, is_line_end_hyphen, join_lines
from .types import Document, Page

PDF_MEDIA_TYPE = "application/pdf"
TEXT_MEDIA_TYPE = "text/plain"
METADATA_KEYS = ("Title", "Author", "CreationDate")
MIN_COLUMN_FRACTION = 0.10  # a column narrower than this share of the text width is not split off
GAP_SPLIT = 1.0  # a horizontal gap wider than this many line heights separates two fragments of a row
BULLETS = "•●◦▪■‣⁃"  # a line starting with one of these starts a list item
SHORT_LINE = 0.2  # a line ending this share of the column width early, after a full stop, ends a paragraph

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
_CID = re.compile(r"\(cid:\d+\)")  # glyphs pdfminer could not map to Unicode (often bullets)
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(page\s*)?#(\s*(of|/)\s*#)?[-–—\s]*$")
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")


def extract_document(path: str | Path, *, data: bytes | None = None, source: str | None = None) -> Document:
    """Read a PDF or plain-text file (type detected from its bytes) into a Document."""
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
        return _extract_pdf(data, doc_id, name)
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
    note = "not valid UTF-8; decoded as cp1252 (Windows Western European), so some characters may be wrong"
    return data.decode("cp1252", errors="replace"), [("encoding", "cp1252"), ("encoding_note", note)]


def _text_document(text: str, doc_id: str, name: str, notes: list[tuple[str, str]]) -> Document:
    body = clean_text(text)
    if not body:
        raise ExtractionError(f"{name} contains no text; check that it is the right file")
    title = body.split("\n\n", 1)[0].lstrip("#").strip()[:200]
    metadata = tuple(sorted([("pages", "1"), *notes]))
    return Document(doc_id, name, body, (Page(1, 0, len(body)),), TEXT_MEDIA_TYPE, title, metadata)


# --- PDF -------------------------------------------------------------------------------------------


def _extract_pdf(data: bytes, doc_id: str, name: str) -> Document:
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
                page_lines.append(_layout_page(words, float(page.width), float(page.height)))
            except PDF_ERRORS as exc:
                # One damaged page should not cost the reader the rest of the report.
                failures.append(f"{page.page_number}: {_reason(exc)}")
                page_lines.append(None)
            finally:
                page.close()  # drop cached chars so memory stays flat on long reports
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
            f"{name} has no text layer on any page (scanned or image-only); it needs OCR, "
            "which a later version of triage adds; run it through OCR (e.g. ocrmypdf) and retry"
        )
    # A page emptied only by dropping its running header still had a text layer, so it needs no OCR.
    blank = [lines == [] for lines in page_lines]
    removed = _drop_running_lines(page_lines)
    _mend_words_across_pages(page_lines)
    texts = [[t for t, _ in lines] for lines in page_lines if lines] or texts
    keep = hyphenated_words("\n".join(t for lines in texts for t in lines))
    body, doc_pages = _assemble_pages(page_lines, blank, keep)
    meta = dict(metadata)
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


# --- Layout: word boxes -> lines in reading order ------------------------------------------------------


@dataclass(slots=True)
class _Frag:
    """Words of one row with no wide gap between them; a line, or the part of one in a single column."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    column: int = -1  # -1: spans a gutter (full width)

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _layout_page(words: Sequence[dict[str, Any]], width: float, height: float) -> list[tuple[str, bool]]:
    """Order a page's words into (line text, starts a new paragraph) pairs."""
    words = _visible_words(words, width, height)
    if not words:
        return []
    size = statistics.median(float(w["bottom"]) - float(w["top"]) for w in words)
    frags = _fragments(words, size)
    gutters = _find_gutters(frags, size)
    for f in frags:
        # Spanning means reaching into the columns on both sides, not just overhanging into the gutter.
        spans = any(f.x0 < start and f.x1 > end for start, end in gutters)
        f.column = -1 if spans else sum(1 for start, end in gutters if (start + end) / 2 <= f.x0)
    if gutters:
        _mark_header_footer(frags, size)
        _extend_spanning_blocks(frags)
    # (index of the column within its band, its lines top to bottom), in reading order
    columns = [
        (i, _lines([f for f in band if f.column == col]))
        for band in _bands(frags)
        for i, col in enumerate(sorted({f.column for f in band}))
    ]
    # The usual gap between lines of a paragraph, measured over the whole page (a column may hold only
    # headings) between lines of one size; a low percentile, since pages of short paragraphs have more
    # paragraph gaps than line gaps.
    pairs = [(a, b) for _, lines in columns for a, b in pairwise(lines)]
    gaps = sorted(b.top - a.bottom for a, b in pairs if abs(a.height - b.height) <= 0.5)
    normal_gap = gaps[len(gaps) // 5] if gaps else 0.0
    if len(gaps) < 5:  # too few lines to trust; assume ordinary leading
        normal_gap = min(normal_gap, 0.3 * size)
    out: list[tuple[str, bool]] = []
    for i, lines in columns:
        for j, (line, brk) in enumerate(zip(lines, _paragraph_breaks(lines, normal_gap))):
            if j == 0:
                brk = not (out and i > 0 and _continues(out[-1][0], line.text))
            out.append((line.text, brk))
    return out


def _visible_words(words: Sequence[dict[str, Any]], width: float, height: float) -> list[dict[str, Any]]:
    inside = [
        w
        for w in words
        if float(w["x1"]) > 0
        and float(w["x0"]) < width
        and float(w["bottom"]) > 0
        and float(w["top"]) < height
        and clean_line(_CID.sub("", str(w["text"])))
    ]
    upright = [w for w in inside if w.get("upright", True)]
    # Rotated margin stamps are noise on a normal page; on a page that is mostly rotated, keep everything.
    return upright if len(upright) >= len(inside) / 2 else inside


def _fragments(words: Sequence[dict[str, Any]], size: float) -> list[_Frag]:
    rows: list[list[dict[str, Any]]] = []
    anchor_top = anchor_height = 0.0
    for w in sorted(words, key=lambda w: (float(w["top"]), float(w["x0"]))):
        top, h = float(w["top"]), float(w["bottom"]) - float(w["top"])
        # Compare with the row's first word, not its growing extent, so misaligned columns do not chain.
        if rows and top - anchor_top < 0.5 * max(min(h, anchor_height), 1.0):
            rows[-1].append(w)
        else:
            rows.append([w])
            anchor_top, anchor_height = top, h
    frags: list[_Frag] = []
    for row in rows:
        row.sort(key=lambda w: float(w["x0"]))
        current: list[dict[str, Any]] = []
        for w in row:
            if current and float(w["x0"]) - float(current[-1]["x1"]) > GAP_SPLIT * size:
                frags.append(_make_frag(current))
                current = []
            current.append(w)
        frags.append(_make_frag(current))
    return frags


def _make_frag(words: list[dict[str, Any]]) -> _Frag:
    return _Frag(
        x0=min(float(w["x0"]) for w in words),
        x1=max(float(w["x1"]) for w in words),
        top=statistics.median(float(w["top"]) for w in words),
        bottom=statistics.median(float(w["bottom"]) for w in words),
        text=" ".join(clean_line(_CID.sub("", str(w["text"]))) for w in words).strip(),
    )


def _find_gutters(frags: Sequence[_Frag], size: float) -> list[tuple[float, float]]:
    """Column gutters as (start, end) x ranges: low-coverage vertical bands with a column edge on the right."""
    if len(frags) < 6:
        return []
    left, right = min(f.x0 for f in frags), max(f.x1 for f in frags)
    origin, n_bins = int(left), int(right - int(left)) + 2
    diff = [0] * (n_bins + 1)
    for f in frags:  # coverage by a difference array: linear in fragments plus bins
        diff[int(f.x0) - origin] += 1
        diff[int(f.x1) - origin + 1] -= 1
    coverage, running = [], 0
    for d in diff[:n_bins]:
        running += d
        coverage.append(running)
    margin = int((right - left) * MIN_COLUMN_FRACTION)
    interior = range(margin, n_bins - margin)
    if len(interior) < 2:
        return []
    floor = min(coverage[i] for i in interior)
    slack = max(1, len(frags) // 20)
    gutters: list[tuple[float, float]] = []
    i = interior.start
    while i < interior.stop:
        if coverage[i] > floor + slack:
            i += 1
            continue
        j = i
        while j < interior.stop and coverage[j] <= floor + slack:
            j += 1
        lowest = min(coverage[i:j])
        core = [k for k in range(i, j) if coverage[k] == lowest]
        cut = origin + (core[0] + core[-1]) / 2 + 0.5
        if j - i >= max(4.0, 0.5 * size) and _is_gutter(frags, cut, origin + j, size):
            gutters.append((origin + i, origin + j))
        i = j
    return gutters


def _is_gutter(frags: Sequence[_Frag], cut: float, run_end: float, size: float) -> bool:
    lefts = [f for f in frags if f.x1 <= cut]
    rights = [f for f in frags if f.x0 >= cut]
    crossing = len(frags) - len(lefts) - len(rights)
    if len(lefts) < 3 or len(rights) < 2 or crossing > 0.5 * (len(lefts) + len(rights)):
        return False
    # The right-hand column must have a left edge: many lines starting at the same x just after the gap.
    # (Counted near the gap only: with three columns, the far column's edge may be the more common one.)
    tolerance = max(3.0, 0.5 * size)
    aligned = sum(1 for f in rights if abs(f.x0 - run_end) <= tolerance)
    if aligned < max(2, 0.2 * len(rights)):
        return False
    if aligned < 3:
        # A column of one or two lines (the tail of a last page) only counts beside a full column of
        # text, not beside short lines such as a heading with a date set to the right.
        run_start = max(f.x1 for f in lefts)
        reach = run_start - 0.2 * (run_start - min(f.x0 for f in lefts))
        if sum(1 for f in lefts if f.x1 >= reach) < 0.5 * len(lefts):
            return False
    # The two sides must stand side by side, not one above the other.
    top = max(min(f.top for f in lefts), min(f.top for f in rights))
    bottom = min(max(f.bottom for f in lefts), max(f.bottom for f in rights))
    shorter = min(max(f.bottom for f in s) - min(f.top for f in s) for s in (lefts, rights))
    return bottom - top >= 0.5 * shorter


def _mark_header_footer(frags: list[_Frag], size: float) -> None:
    """Treat an isolated first or last row (running header, footer) as full width, so it keeps its place."""
    ordered = sorted(frags, key=lambda f: f.top)
    for row_of, neighbour_gap in ((ordered[0], _gap_below), (ordered[-1], _gap_above)):
        row = [f for f in frags if abs(f.top - row_of.top) < 0.5 * max(row_of.height, 1.0)]
        if neighbour_gap(row, frags) > 1.5 * size:
            for f in row:
                f.column = -1


def _extend_spanning_blocks(frags: list[_Frag]) -> None:
    """A short last line of a full-width block (a title's second line) belongs to that block, not a column."""
    ordered = sorted(frags, key=lambda f: f.top)
    for i, f in enumerate(ordered):
        if f.column == -1:
            continue
        alone = all(
            abs(g.top - f.top) >= 0.5 * max(f.height, 1.0)
            for g in ordered[max(0, i - 3) : i + 4]
            if g is not f
        )
        above = [
            g for g in ordered[max(0, i - 3) : i] if g.bottom <= f.top + 1.0 and g.x0 < f.x1 and f.x0 < g.x1
        ]
        if not alone or not above:
            continue
        prev = max(above, key=lambda g: g.bottom)
        if prev.column == -1 and abs(prev.height - f.height) <= 0.5 and f.top - prev.bottom <= 0.6 * f.height:
            f.column = -1


def _gap_below(row: list[_Frag], frags: Sequence[_Frag]) -> float:
    bottom = max(f.bottom for f in row)
    below = [f.top for f in frags if f.top >= bottom - 0.5 and f not in row]
    return min(below) - bottom if below else 0.0


def _gap_above(row: list[_Frag], frags: Sequence[_Frag]) -> float:
    top = min(f.top for f in row)
    above = [f.bottom for f in frags if f.bottom <= top + 0.5 and f not in row]
    return top - max(above) if above else 0.0


def _bands(frags: Sequence[_Frag]) -> list[list[_Frag]]:
    """Split the page top to bottom at full-width fragments; column fragments between them form a band."""
    bands: list[list[_Frag]] = []
    spanning = False
    for f in sorted(frags, key=lambda f: (f.top, f.x0)):
        is_span = f.column == -1
        if not bands or is_span != spanning:
            bands.append([])
            spanning = is_span
        bands[-1].append(f)
    return bands


def _lines(frags: Sequence[_Frag]) -> list[_Frag]:
    """Merge fragments of one column that sit on the same row into lines, top to bottom."""
    lines: list[_Frag] = []
    for f in sorted(frags, key=lambda f: (f.top, f.x0)):
        last = lines[-1] if lines else None
        if last and f.top - last.top < 0.5 * max(min(f.height, last.height), 1.0):
            parts = sorted([last, f], key=lambda g: g.x0)
            lines[-1] = _Frag(
                min(last.x0, f.x0),
                max(last.x1, f.x1),
                last.top,
                max(last.bottom, f.bottom),
                f"{parts[0].text} {parts[1].text}",
                last.column,
            )
        else:
            lines.append(_Frag(f.x0, f.x1, f.top, f.bottom, f.text, f.column))
    return lines


def _paragraph_breaks(lines: Sequence[_Frag], normal_gap: float) -> list[bool]:
    """For each line, whether it starts a paragraph: a wider gap, a size change, an indent, a bullet,
    or a short line after a full stop."""
    if not lines:
        return []
    gaps = [b.top - a.bottom for a, b in pairwise(lines)]
    left = Counter(round(line.x0) for line in lines).most_common(1)[0][0]
    right = max(line.x1 for line in lines)
    width = max(right - left, 1.0)
    breaks = [True]
    for a, b, gap in zip(lines, lines[1:], gaps):
        size = min(a.height, b.height)
        indent_a, indent_b = a.x0 - left, b.x0 - left
        breaks.append(
            gap > max(normal_gap, 0.0) + 0.4 * size
            or abs(a.height - b.height) > 0.5
            or (indent_b > 0.5 * size and indent_b < 0.35 * width and indent_a < 0.5 * size)
            or (a.x1 < right - SHORT_LINE * width and bool(_SENTENCE_END.search(a.text)))
            or b.text[:1] in BULLETS
        )
    return breaks


def _continues(previous: str, line: str) -> bool:
    """Whether the first line of a column carries on the paragraph that ended the previous column."""
    return not _SENTENCE_END.search(previous) and line[:1].islower()
