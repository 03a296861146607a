"""Lay out test PDFs with reportlab and return their ground-truth text.

Used by the tests, the benchmarks and demo/make_inbox.py. Only reportlab's built-in fonts are used, so the
PDFs are small and need no font files. `make_pdf` returns the body text in reading order (blocks joined by a
blank line, running header and footer left out), which extraction is compared with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 56.0
MARGIN_TOP = 64.0
MARGIN_BOTTOM = 64.0
GUTTER = 18.0
PARAGRAPH_GAP = 6.0  # extra space after a paragraph, so extraction can see the break


@dataclass(frozen=True)
class Style:
    """Font and spacing of one kind of block."""

    font: str
    size: float
    leading: float
    space_before: float
    space_after: float


STYLES = {
    "title": Style("Helvetica-Bold", 16.0, 20.0, 0.0, 10.0),
    "heading": Style("Helvetica-Bold", 11.0, 14.0, 6.0, 3.0),
    "paragraph": Style("Times-Roman", 10.0, 12.5, 0.0, PARAGRAPH_GAP),
    "table": Style("Helvetica", 9.0, 16.0, 4.0, 12.0),
    "box": Style("Helvetica", 9.0, 11.5, 4.0, 14.0),
    "footnote": Style("Times-Roman", 8.0, 9.5, 0.0, 2.0),
}


@dataclass(frozen=True)
class Block:
    """A title, heading or paragraph; titles span the page width, the rest flow in columns."""

    text: str
    kind: str = "paragraph"  # "title" | "heading" | "paragraph" | "break" | "table" | "box"
    full_width: bool | None = None  # None: titles, tables and boxes are full width, other kinds are not
    rows: tuple[tuple[str, ...], ...] = ()  # a table's cells

    @property
    def spans_page(self) -> bool:
        return self.kind in ("title", "table", "box") if self.full_width is None else self.full_width


@dataclass(frozen=True)
class PageSpec:
    """A section that starts on a new page: full-width blocks first, then blocks flowing in columns.

    Blocks that do not fit continue on further pages with the same number of columns.
    """

    blocks: Sequence[Block]
    columns: int = 1


def title(text: str) -> Block:
    """A full-width title block."""
    return Block(text, "title")


def heading(text: str) -> Block:
    """A heading that flows in the columns."""
    return Block(text, "heading")


def para(text: str) -> Block:
    """A body paragraph that flows in the columns."""
    return Block(text, "paragraph")


def table(rows: Sequence[Sequence[str]]) -> Block:
    """A ruled full-width table; its ground truth is each row's cells joined by " | ", rows in order."""
    cells = tuple(tuple(r) for r in rows)
    return Block(" ".join(" | ".join(r) for r in cells), "table", rows=cells)


def box(text: str) -> Block:
    """A framed full-width side box; its ground truth comes after the page's running text."""
    return Block(text, "box")


def column_break() -> Block:
    """Continue in the next column (or page); adds no text."""
    return Block("", "break")


def wrap(text: str, font: str, size: float, width: float, *, hyphenate: bool = False) -> list[str]:
    """Greedy line wrap; with `hyphenate`, long lowercase words are split at the line end with "-"."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if stringWidth(candidate, font, size) <= width or not line:
            line = candidate
            continue
        split = _hyphen_split(line, word, font, size, width) if hyphenate else None
        if split:
            lines.append(split[0])
            line = split[1]
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _hyphen_split(line: str, word: str, font: str, size: float, width: float) -> tuple[str, str] | None:
    core = word.rstrip(".,;:!?)")
    # Only plain lowercase words, so the extractor's "lowercase-hyphen-lowercase" rule is what is tested.
    if len(core) < 8 or not (core.isalpha() and core.islower()):
        return None
    for k in range(len(core) - 3, 2, -1):
        head = f"{line} {word[:k]}-"
        if stringWidth(head, font, size) <= width:
            return head, word[k:]
    return None


class _Writer:
    """Draws lines on pages, handling columns, page breaks, header and footer."""

    def __init__(
        self,
        canvas: Canvas,
        header: str | None,
        footer: str | None,
        indent: float,
        paragraph_gap: float,
        footnotes: Sequence[str] = (),
    ) -> None:
        self.footnotes = footnotes
        self.bottom = MARGIN_BOTTOM
        self.canvas = canvas
        self.header = header
        self.footer = footer
        self.indent = indent
        self.paragraph_gap = paragraph_gap
        self.page = 0
        self.started = False

    def new_page(self) -> None:
        if self.started:
            self.canvas.showPage()
        self.started = True
        self.page += 1
        for text, y in ((self.header, PAGE_HEIGHT - 36), (self.footer, 30.0)):
            if text:
                self.canvas.setFont("Helvetica", 8)
                self.canvas.drawString(MARGIN_X, y, text.format(page=self.page))
        self.y = PAGE_HEIGHT - MARGIN_TOP
        self.bottom = MARGIN_BOTTOM
        if self.page == 1 and self.footnotes:
            self.bottom = self._draw_footnotes()

    def _draw_footnotes(self) -> float:
        """Footnotes in small type at the foot of the first page, under a short rule; returns their top."""
        style = STYLES["footnote"]
        width = PAGE_WIDTH - 2 * MARGIN_X
        lines = [
            line
            for i, note in enumerate(self.footnotes, start=1)
            for line in wrap(f"{i} {note}", style.font, style.size, width)
        ]
        y = 46.0 + style.leading * len(lines)
        self.canvas.line(MARGIN_X, y + 8, MARGIN_X + 120, y + 8)
        self.canvas.setFont(style.font, style.size)
        for i, line in enumerate(lines):
            self.canvas.drawString(MARGIN_X, y - style.leading * (i + 1) + style.leading, line)
        return y + 20

    def draw_table(self, block: Block) -> None:
        style = STYLES[block.kind]
        width = PAGE_WIDTH - 2 * MARGIN_X
        n = max(len(r) for r in block.rows)
        col = width / n
        top = self.y - style.space_before
        bottom = top - style.leading * len(block.rows)
        self.canvas.setFont(style.font, style.size)
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row):
                self.canvas.drawString(MARGIN_X + c * col + 3, top - style.leading * (r + 1) + 5, cell)
        for r in range(len(block.rows) + 1):
            self.canvas.line(MARGIN_X, top - style.leading * r, MARGIN_X + width, top - style.leading * r)
        for c in range(n + 1):
            self.canvas.line(MARGIN_X + c * col, top, MARGIN_X + c * col, bottom)
        self.y = bottom - style.space_after

    def draw_box(self, block: Block) -> None:
        style = STYLES[block.kind]
        width = PAGE_WIDTH - 2 * MARGIN_X
        lines = wrap(block.text, style.font, style.size, width - 16)
        top = self.y - style.space_before
        bottom = top - style.leading * len(lines) - 10
        self.canvas.rect(MARGIN_X, bottom, width, top - bottom)
        self.canvas.setFont(style.font, style.size)
        for i, line in enumerate(lines):
            self.canvas.drawString(MARGIN_X + 8, top - 5 - style.leading * (i + 1) + 2, line)
        self.y = bottom - style.space_after

    def draw_full(self, block: Block, *, hyphenate: bool) -> None:
        if block.kind == "table":
            return self.draw_table(block)
        if block.kind == "box":
            return self.draw_box(block)
        style = STYLES[block.kind]
        width = PAGE_WIDTH - 2 * MARGIN_X
        for line in wrap(block.text, style.font, style.size, width, hyphenate=hyphenate):
            if self.y - style.leading < self.bottom:
                self.new_page()
            self.y -= style.leading
            self.canvas.setFont(style.font, style.size)
            self.canvas.drawString(MARGIN_X, self.y, line)
        self.y -= style.space_after

    def draw_columns(self, blocks: Sequence[Block], columns: int, *, hyphenate: bool) -> None:
        width = (PAGE_WIDTH - 2 * MARGIN_X - (columns - 1) * GUTTER) / columns
        top, col, y = self.y, 0, self.y
        for block in blocks:
            if block.kind == "break":
                y = self.bottom  # the next line no longer fits, so it moves on
                continue
            style = STYLES[block.kind]
            indent = self.indent if block.kind == "paragraph" else 0.0
            if y != top:
                y -= style.space_before
            lines = wrap(block.text, style.font, style.size, width - indent, hyphenate=hyphenate)
            for i, line in enumerate(lines):
                if y - style.leading < self.bottom:
                    col += 1
                    if col == columns:
                        self.new_page()
                        col = 0
                        top = self.y
                    y = top
                y -= style.leading
                self.canvas.setFont(style.font, style.size)
                x = MARGIN_X + col * (width + GUTTER) + (indent if i == 0 else 0.0)
                self.canvas.drawString(x, y, line)
            y -= self.paragraph_gap if block.kind == "paragraph" else style.space_after


def make_pdf(
    path: str | Path,
    pages: Sequence[PageSpec],
    *,
    title: str | None = None,
    author: str | None = None,
    header: str | None = None,
    footer: str | None = None,
    encrypt_password: str | None = None,
    owner_password: str = "owner-secret",
    hyphenate: bool = False,
    indent: float = 0.0,
    paragraph_gap: float = PARAGRAPH_GAP,
    footnotes: Sequence[str] = (),
) -> str:
    """Write a PDF laid out from `pages` and return its body text in reading order.

    `header`/`footer` may contain "{page}". With `encrypt_password` the file is encrypted ("" gives a
    file that opens without a password but is still encrypted). `indent` indents the first line of each
    column paragraph; `paragraph_gap` is the extra space after one (0 leaves only the indent to see).
    `footnotes` are set in small type, numbered from 1, at the foot of the first page; they are not part of
    the returned body text. Side boxes' text comes after the rest of their section's text.
    """
    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    if title:
        canvas.setTitle(title)
    if author:
        canvas.setAuthor(author)
    if encrypt_password is not None:
        canvas.setEncrypt(StandardEncryption(encrypt_password, owner_password, strength=128))
    writer = _Writer(canvas, header, footer, indent, paragraph_gap, footnotes)
    truth: list[str] = []
    for spec in pages:
        writer.new_page()
        blocks = list(spec.blocks)
        while blocks and blocks[0].spans_page:
            writer.draw_full(blocks.pop(0), hyphenate=hyphenate)
        if any(b.spans_page for b in blocks):
            raise ValueError("full-width blocks must come before the column blocks of a PageSpec")
        writer.draw_columns(blocks, spec.columns, hyphenate=hyphenate)
        ordered = sorted(spec.blocks, key=lambda b: b.kind == "box")  # boxes are read after the running text
        truth.extend(" ".join(b.text.split()) for b in ordered if b.kind != "break")
    canvas.save()
    return "\n\n".join(truth)


def make_image_pdf(path: str | Path, lines: Sequence[str], *, pages: int = 1) -> str:
    """Write a scanned-like PDF: each page holds only a picture of `lines`, no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1240, 1754), color=255)  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=28)
    for i, line in enumerate(lines):
        draw.text((120, 150 + i * 44), line, fill=0, font=font)
    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    for _ in range(pages):
        canvas.drawImage(ImageReader(image), 0, 0, width=PAGE_WIDTH, height=PAGE_HEIGHT)
        canvas.showPage()
    canvas.save()
    return str(path)


def scan_pdf(source: str | Path, path: str | Path, *, dpi: int = 200, skew: float = 0.0, noise: float = 0.0,
             seed: int = 0) -> str:
    """Write an image-only copy of the PDF `source`, as a scanner would: each page rendered in grey at `dpi`.

    `skew` turns each page by that many degrees and `noise` (0-1) speckles it, like a copier's output.
    """
    import random

    import pypdfium2 as pdfium
    from PIL import Image

    rng = random.Random(seed)
    pdf = pdfium.PdfDocument(str(source))
    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
            if skew:
                image = image.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
            if noise:
                pixels = image.load()
                for _ in range(int(noise * image.width * image.height / 50)):
                    x, y = rng.randrange(image.width), rng.randrange(image.height)
                    pixels[x, y] = rng.choice((0, 96, 160))
            canvas.drawImage(ImageReader(image), 0, 0, width=PAGE_WIDTH, height=PAGE_HEIGHT)
            canvas.showPage()
    finally:
        pdf.close()
    canvas.save()
    return str(path)


def paragraphs_from_text(text: str) -> list[Block]:
    """Blocks from plain text: one paragraph per blank-line-separated block, lines joined with spaces."""
    blocks = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        joined = " ".join(chunk.split())
        if joined:
            blocks.append(para(joined))
    return blocks
