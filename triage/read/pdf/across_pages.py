"""What PDF reading mends across pages, once every page is laid out: footnotes and tables set apart, running
headers, footers and page numbers dropped, words hyphenated across a line or page break joined or kept, and
the pages joined into one text whose words keep their boxes.

Works on each page's `Line`s from `layout.read_page`; no PDF library.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from triage.read.normalise import is_line_end_hyphen, join_lines
from triage.read.pdf.layout import Line
from triage.read.pdf.vocabulary import vocabulary
from triage.types import WORD_BOX, Footnote, Page, Table

_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(page\s*)?#(\s*(of|/)\s*#)?[-–—\s]*$")


def take_footnotes(page_lines: list[list[Line] | None]) -> tuple[Footnote, ...]:
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


def collect_tables(page_lines: Sequence[list[Line] | None]) -> tuple[Table, ...]:
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


def drop_running_lines(page_lines: list[list[Line] | None]) -> int:
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


def real_hyphens(page_lines: Sequence[list[Line] | None]) -> frozenset[str]:
    """Compounds broken at a line-end hyphen that is real: joined they make no word, apart both are words.

    Words are those of our corpus and those the document prints whole inside a line ("cross-" + "border"
    keeps its hyphen; "preven-" + "tion" is joined, since "prevention" is a word and "tion" is not).
    """
    lines = [line.text for page in page_lines if page for line in page]
    words = set(vocabulary())
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


def mend_words_across_pages(page_lines: list[list[Line] | None]) -> None:
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


def assemble_pages(
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
