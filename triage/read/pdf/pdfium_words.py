"""PDF pages -> word boxes with pypdfium2: the fast path of the extract stage.

pdfplumber parses every character in Python (about 10 pages/s a core); PDFium does it in C. We read each
character's loose box (font ascent to descent, so every glyph of a line shares its top and bottom, as
pdfplumber's boxes do) and assemble words ourselves, because PDFium's own text rectangles break words wherever
the PDF kerns ("preven tion"). A word ends at a space, a line change, a gap wider than a fraction of the font
size, or a jump in font size (a superscript footnote marker, so "alert,5and" becomes "alert," "5" "and").
Overprinted duplicate glyphs (fake bold) are dropped.

Only this module and `extract` know the PDF libraries; both are extract-stage modules.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# Sizes are the height of a glyph's loose box (ascent to descent, about 1.15 x the font size), measured on the
# page as shown; the font size PDFium reports can be 1 when a text matrix does the scaling.
WORD_GAP = 0.18  # a gap wider than this share of the size between two glyphs separates words
SIZE_JUMP = 0.75  # a glyph smaller than this share of its neighbour's size starts a word of its own
LOST_SPACE = 0.08  # a gap inside a word wider than this share of the size may be a lost space
DUPLICATE = 0.07  # a repeated glyph within this share of its size of the last one is an overprint
# (pdfplumber uses 1 pt; "tt" in 10 pt type sits 3 pt apart, so the share must stay well below 0.25)
SOFT_HYPHENS = "\x02\xad"
_SPACES = frozenset("\u00a0\u202f\u205f\u3000\u2028\u2029\u200b" + "".join(map(chr, range(0x2000, 0x200B))))
MAX_PAGE_CHARS = 200_000  # ~50 dense pages' worth; beyond this a "page" is a data dump, read only its start
METADATA_KEYS = ("Title", "Author", "CreationDate")


MAX_MISSING_PAGES = 50
MAX_RULES = 600  # drawn shapes read per page (see blocks.MAX_RULES)


class PdfiumOpenError(Exception):
    """PDFium refused the file; the caller falls back to pdfminer, which explains the reason better."""


class PdfiumRenderError(Exception):
    """PDFium could not render a page (for OCR); the page is reported, the rest of the file is read."""


@dataclass(frozen=True, slots=True)
class PdfPage:
    number: int
    width: float
    height: float
    words: tuple[dict[str, Any], ...] | None  # None: the page could not be read
    error: str = ""
    truncated: bool = False  # the page held more than MAX_PAGE_CHARS glyphs; only the first were read
    rules: tuple[tuple[float, float, float, float], ...] = ()  # drawn lines and boxes: (x0, top, x1, bottom)


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PdfiumOpenError(str(exc)) from exc


def metadata(pdf: pdfium.PdfDocument) -> dict[str, str]:
    try:
        raw = pdf.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError:
        return {}
    return {key: raw[key] for key in METADATA_KEYS if raw.get(key)}


def read_pages(pdf: pdfium.PdfDocument) -> Iterator[PdfPage]:
    """Each page's words, in document order; a page PDFium cannot read is reported, not fatal."""
    missing = 0
    for index in range(len(pdf)):
        try:
            page = pdf[index]
        except pdfium.PdfiumError as exc:
            missing += 1
            if missing >= MAX_MISSING_PAGES:
                # PDFium trusts the page tree's /Count; a file that claims a million pages and holds one
                # would otherwise cost a failure record per page. pdfminer walks the real tree instead.
                raise PdfiumOpenError(f"{missing} pages in a row could not be loaded") from exc
            yield PdfPage(index + 1, 0.0, 0.0, None, str(exc) or "unreadable page")
            continue
        missing = 0
        try:
            width, height = page.get_size()
            textpage = page.get_textpage()
            try:
                count = pdfium_c.FPDFText_CountChars(textpage.raw)
                words = tuple(page_words(textpage, _Frame.of(page), limit=MAX_PAGE_CHARS))
            finally:
                textpage.close()
            rules = page_rules(page, _Frame.of(page)) if words else ()
            yield PdfPage(
                index + 1, float(width), float(height), words, truncated=count > MAX_PAGE_CHARS, rules=rules
            )
        except pdfium.PdfiumError as exc:
            yield PdfPage(index + 1, 0.0, 0.0, None, str(exc) or "unreadable page")
        finally:
            page.close()


def page_rules(page: pdfium.PdfPage, frame: _Frame, *, limit: int = MAX_RULES) -> tuple[tuple[float, ...], ...]:
    """Bounds of the page's drawn shapes (table rules, box frames), as the page is shown; at most `limit`."""
    out = []
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=1):
        if len(out) >= limit:
            break  # a chart or a map, not ruled text: the first shapes are enough to tell
        left, bottom, right, top = obj.get_bounds()
        x0, x1, y0, y1 = frame.box(left, bottom, right, top)
        out.append((x0, y0, x1, y1))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PageScan:
    """How much of a page is covered by pictures, and the largest picture's size in pixels."""

    image_share: float  # of the page area, 0..1
    largest_pixels: int
    dpi: float  # the largest picture's own resolution as placed on the page (0 when there is none)


def page_scan(pdf: pdfium.PdfDocument, number: int) -> PageScan:
    """Measure the pictures on page `number` (1-based): a scan is one picture covering the page."""
    try:
        page = pdf[number - 1]
    except pdfium.PdfiumError:
        return PageScan(0.0, 0, 0.0)  # read_pages has reported this page already
    try:
        left, bottom, right, top = page.get_cropbox()
        area = max((right - left) * (top - bottom), 1e-6)
        covered, largest, dpi = 0.0, 0, 0.0
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
            try:
                x0, y0, x1, y1 = obj.get_bounds()
                w, h = obj.get_px_size()
            except pdfium.PdfiumError:
                continue
            # Only the part inside the crop box is shown, so only that part can hold readable text.
            covered += max(0.0, min(x1, right) - max(x0, left)) * max(0.0, min(y1, top) - max(y0, bottom))
            if w * h > largest:
                largest, dpi = w * h, 72 * w / max(x1 - x0, 1e-6)
        return PageScan(min(covered / area, 1.0), largest, dpi)
    except pdfium.PdfiumError:
        return PageScan(0.0, 0, 0.0)
    finally:
        page.close()


def render_grey(
    pdf: pdfium.PdfDocument, number: int, dpi: float, *, max_pixels: int
) -> tuple[int, int, bytes, float]:
    """Page `number` as shown (crop box, rotation) in 8-bit grey: (width, height, rows of pixels, dpi).

    A page too large for `max_pixels` at `dpi` is rendered at the dpi that fits, so memory stays bounded.
    """
    try:
        page = pdf[number - 1]
        try:
            width, height = page.get_size()
            dpi = min(dpi, 72 * (max_pixels / max(width * height, 1e-6)) ** 0.5)
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            try:
                width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
                raw = bytes(bitmap.buffer)
            finally:
                bitmap.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise PdfiumRenderError(str(exc) or "PDFium could not render the page") from exc
    if channels == 1 and stride == width:
        return width, height, raw, dpi
    # Rows may be padded, and some PDFium builds give grey as BGR(x): keep one byte per pixel.
    rows = (raw[r * stride : r * stride + width * channels : channels] for r in range(height))
    return width, height, b"".join(rows), dpi


@dataclass(frozen=True, slots=True)
class _Frame:
    """Maps PDF user space (y up, unrotated) to the page as a viewer shows it (crop box, rotation, y down)."""

    left: float
    bottom: float
    width: float  # of the crop box before rotation
    height: float
    rotation: int  # clockwise degrees: 0, 90, 180 or 270

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> _Frame:
        try:
            left, bottom, right, top = page.get_cropbox()
            rotation = page.get_rotation() % 360
        except pdfium.PdfiumError:
            left, bottom, (right, top), rotation = 0.0, 0.0, page.get_size(), 0
        return cls(float(left), float(bottom), float(right - left), float(top - bottom), rotation)

    def point(self, x: float, y: float) -> tuple[float, float]:
        x, y = x - self.left, y - self.bottom
        if self.rotation == 90:
            return y, x
        if self.rotation == 180:
            return self.width - x, y
        if self.rotation == 270:
            return self.height - y, self.width - x
        return x, self.height - y

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """(x0, x1, top, bottom) on the shown page."""
        ax, ay = self.point(left, bottom)
        bx, by = self.point(right, top)
        return min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)


def page_words(textpage: Any, frame: _Frame, *, limit: int = MAX_PAGE_CHARS) -> Iterator[dict[str, Any]]:
    """Assemble words from one text page's glyph boxes (top-left origin of the shown page, points).

    This loop runs once per glyph, so it keeps to local names and one C call per glyph where it can.
    """
    turn = math.radians(frame.rotation)
    raw = textpage.raw
    count = min(pdfium_c.FPDFText_CountChars(raw), limit)
    text = _page_text(raw, count)
    rect = pdfium_c.FS_RECTF()
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    generated = pdfium_c.FPDFText_IsGenerated
    rect_ref = ctypes.byref(rect)
    plain = frame.rotation == 0
    left0, bottom0, height0 = frame.left, frame.bottom, frame.height
    chars: list[str] = []
    x0 = x1 = top = bottom = size = 0.0
    upright = True
    last_char, last_x0, last_top = "", 0.0, 0.0  # the previous glyph, to spot overprints
    lost = 0.0  # a gap inside the current word wider than this may be a lost space
    gaps: list[int] = []  # before which glyphs of the current word such gaps fall
    for i in range(count):
        char = text[i]
        if char == "\ufffe":  # FPDFText_GetText's stand-in for a line-end hyphen (and for unknowns)
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            char = chr(code) if 0 < code < 0x110000 else char
        if char in SOFT_HYPHENS:
            char = "-"  # PDFium reports a hyphen that ends a line as a soft hyphen; it was printed
        elif char <= " " or char in _SPACES:
            # A space ends a word. PDFium's own inserted spaces and line breaks (generated) do not:
            # our geometry decides there, since PDFium inserts them where the PDF merely kerns.
            if chars and generated(raw, i) != 1:
                yield _word(chars, x0, x1, top, bottom, upright, gaps, spaced=True)
                chars = []
            continue
        elif char == "\ufffe":
            continue
        if not get_box(raw, i, rect_ref):
            if chars:
                chars.append(char)  # a glyph without a box (part of a ligature) stays in its word
            continue
        if plain:
            c_x0, c_x1 = rect.left - left0, rect.right - left0
            c_top, c_bottom = height0 - (rect.top - bottom0), height0 - (rect.bottom - bottom0)
        else:
            c_x0, c_x1, c_top, c_bottom = frame.box(rect.left, rect.bottom, rect.right, rect.top)
        c_size = c_bottom - c_top
        if c_size < 0.1:
            c_size = 0.1
        if (
            char == last_char
            and abs(c_x0 - last_x0) < DUPLICATE * c_size
            and abs(c_top - last_top) < DUPLICATE * c_size
        ):
            continue  # the same glyph printed again over itself (fake bold, shadow)
        last_char, last_x0, last_top = char, c_x0, c_top
        if chars:
            big, small = (size, c_size) if size > c_size else (c_size, size)
            if (
                c_x0 - x1 > WORD_GAP * big
                or c_x1 < x0  # went back to the left: a new line drawn at the same height
                or small < SIZE_JUMP * big
                or not (top <= (c_top + c_bottom) / 2 <= bottom or c_top <= (top + bottom) / 2 <= c_bottom)
            ):
                yield _word(chars, x0, x1, top, bottom, upright, gaps)
                chars = []
            else:
                if c_x0 - x1 > lost:
                    gaps.append(len(chars))
                if c_x1 > x1:
                    x1 = c_x1
                if c_top < top:
                    top = c_top
                if c_bottom > bottom:
                    bottom = c_bottom
        if not chars:
            x0, x1, top, bottom, size = c_x0, c_x1, c_top, c_bottom, c_size
            lost, gaps = LOST_SPACE * c_size, []
            # One angle per word: rotated text also breaks the geometric tests above, so a word rarely
            # mixes directions, and asking per glyph would cost a C call each.
            angle = pdfium_c.FPDFText_GetCharAngle(raw, i)  # clockwise, in user space; -1 when unknown
            shown = (angle + turn) % (2 * math.pi)
            upright = angle < 0 or shown < 0.01 or shown > 2 * math.pi - 0.01
        chars.append(char)
    if chars:
        yield _word(chars, x0, x1, top, bottom, upright, gaps)


def _page_text(raw: Any, count: int) -> str:
    """All glyphs' characters, one per index: one C call, or one per glyph if the page has astral ones."""
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    pdfium_c.FPDFText_GetText(raw, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    text = buffer.raw[: count * 2].decode("utf-16-le", errors="surrogatepass")
    if len(text) == count and not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    get_unicode = pdfium_c.FPDFText_GetUnicode
    codes = (get_unicode(raw, i) for i in range(count))
    return "".join(chr(code) if 0 < code < 0x110000 else "\ufffe" for code in codes)


def _word(
    chars: list[str],
    x0: float,
    x1: float,
    top: float,
    bottom: float,
    upright: bool,
    gaps: list[int] | None = None,
    *,
    spaced: bool = False,
) -> dict[str, Any]:
    word = {"text": "".join(chars), "x0": x0, "x1": x1, "top": top, "bottom": bottom, "upright": upright}
    if gaps:
        word["gaps"] = tuple(gaps)  # where a space may have been lost: `spacing` asks the word list
    if spaced:
        word["spaced"] = True  # a space glyph followed: letter-spaced text ends a word here
    return word
