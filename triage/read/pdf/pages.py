"""Pictures of source pages for the review UI: a PDF page rendered with pypdfium2, with the passage's
lines outlined so a reviewer can check the extracted text against what the report really shows.

The outline comes from the word boxes kept at extraction (`Document.boxes_for`); documents stored before
those existed fall back to finding the passage's text on the page again (`locate`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from triage.errors import ExtractionError

SCALE = 1.5  # 108 dpi: sharp enough to read body text, small enough to send quickly
BOX_COLOUR = (192, 57, 43)


@dataclass(frozen=True, slots=True)
class PageImage:
    """A rendered page as PNG bytes, and whether the passage could be located on it."""

    png: bytes
    located: bool


def _alnum_index(text: str) -> tuple[str, list[int]]:
    """`text` reduced to lower-case letters and digits, with each kept character's index in `text`.

    Comparing on this form ignores what extraction changes on purpose: line breaks, hyphens at line ends,
    spacing and punctuation quirks."""
    kept, where = [], []
    for i, ch in enumerate(text):
        if ch.isalnum():
            kept.append(ch.lower())
            where.append(i)
    return "".join(kept), where


def locate(page_text: str, passage: str) -> tuple[int, int] | None:
    """Character range of `passage` within `page_text` (pdfium's text), or None if it is not there.

    Tries the whole passage, then its start and end separately (a passage can continue onto the next page)."""
    hay, where = _alnum_index(page_text)
    needle, _ = _alnum_index(passage)
    if not needle or not hay:
        return None
    pos = hay.find(needle)
    if pos >= 0:
        return where[pos], where[pos + len(needle) - 1] + 1
    head = needle[:60]
    pos = hay.find(head)
    if pos < 0:  # the passage began on the previous page: outline from the top to where it ends
        tail = needle[-60:]
        end = hay.find(tail)
        return (where[0], where[end + len(tail) - 1] + 1) if end >= 0 else None
    return where[pos], where[-1] + 1


def render_page(
    data: bytes,
    page_number: int,
    *,
    passage: str = "",
    boxes: Sequence[tuple[float, float, float, float]] | None = None,
    scale: float = SCALE,
) -> PageImage:
    """Render page `page_number` (1-based) of a PDF as PNG, outlining `boxes` (x0, top, x1, bottom in
    points, from the document's word boxes) or else the lines of `passage` if its text is found."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"cannot render the PDF: {exc}") from exc
    try:
        if not 1 <= page_number <= len(pdf):
            raise ExtractionError(f"the PDF has {len(pdf)} pages, not {page_number}")
        page = pdf[page_number - 1]
        image = page.render(scale=scale).to_pil().convert("RGB")
        located = False
        if boxes:
            draw = ImageDraw.Draw(image, "RGBA")
            for x0, top, x1, bottom in boxes:
                box = (x0 * scale - 3, top * scale - 2, x1 * scale + 3, bottom * scale + 2)
                draw.rectangle(box, fill=(*BOX_COLOUR, 40), outline=(*BOX_COLOUR, 255), width=2)
            located = True
        elif passage:
            textpage = page.get_textpage()
            span = locate(textpage.get_text_range(), passage)
            if span is not None:
                height = page.get_height()
                draw = ImageDraw.Draw(image, "RGBA")
                for i in range(textpage.count_rects(span[0], span[1] - span[0])):
                    left, bottom, right, top = textpage.get_rect(i)
                    box = (left * scale - 3, (height - top) * scale - 2, right * scale + 3, (height - bottom) * scale + 2)
                    draw.rectangle(box, fill=(*BOX_COLOUR, 40), outline=(*BOX_COLOUR, 255), width=2)
                located = True
        buf = io.BytesIO()
        image.save(buf, format="PNG", optimize=False)
        return PageImage(buf.getvalue(), located)
    finally:
        pdf.close()
