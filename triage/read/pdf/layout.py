"""Word boxes -> lines in reading order. Pure geometry: no PDF library, so any word source can feed it.

A word is a mapping with `text`, `x0`, `x1`, `top`, `bottom` (points, top-left origin) and optionally
`upright`. `layout_page` finds column gutters from where words sit, keeps full-width blocks (titles, running
headers) in place, reads each band column by column, and marks paragraph breaks.
"""

from __future__ import annotations

import re
import statistics
import struct
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

from triage.read.normalise import clean_line, join_lines
from triage.read.pdf.blocks import PageBlocks, TableBlock, rows_of, split_blocks
from triage.read.pdf.columns import find_gutters
from triage.read.pdf.spacing import mend_spacing

GAP_SPLIT = 1.0  # a horizontal gap wider than this many line heights separates two fragments of a row
BULLETS = "•●◦▪■‣⁃"  # a line starting with one of these starts a list item
SHORT_LINE = 0.2  # a line ending this share of the column width early, after a full stop, ends a paragraph

_CID = re.compile(r"\(cid:\d+\)")  # glyphs pdfminer could not map to Unicode (often bullets)
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
CELL_SEPARATOR = " | "

WordBox = tuple[str, float, float, float, float]  # (text, x0, top, x1, bottom)
_BOX = struct.Struct("<4f")


@dataclass(frozen=True, slots=True)
class Boxes:
    """A line's words and their boxes, packed (16 bytes a word besides its text): a long report's lines
    are all held until running headers are known, and tuples of floats cost about 200 bytes a word."""

    texts: tuple[str, ...] = ()
    packed: bytes = b""

    @classmethod
    def of(cls, boxes: Iterable[WordBox]) -> Boxes:
        items = list(boxes)
        return cls(tuple(b[0] for b in items), b"".join(_BOX.pack(*b[1:]) for b in items))

    def __iter__(self) -> Iterator[WordBox]:
        for text, (x0, top, x1, bottom) in zip(self.texts, _BOX.iter_unpack(self.packed), strict=False):
            yield (text, x0, top, x1, bottom)

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, part: slice) -> Boxes:
        start, stop, _ = part.indices(len(self.texts))
        return Boxes(self.texts[start:stop], self.packed[start * _BOX.size : stop * _BOX.size])


class Line(NamedTuple):
    """One output line: its text, whether it starts a paragraph, its words' boxes, and what block it is in."""

    text: str
    new_paragraph: bool
    words: Boxes | tuple[WordBox, ...] = ()
    kind: str = "body"  # "body" | "table" (one line per row) | "box" (a side box) | "footnote"
    cells: tuple[str, ...] = ()  # a table row's cells


@dataclass(slots=True)
class _Frag:
    """Words of one row with no wide gap between them; a line, or the part of one in a single column."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    column: int = -1  # -1: spans a gutter (full width)
    words: tuple[WordBox, ...] = ()
    table: TableBlock | None = None  # set on the one fragment that stands for a whole table

    @property
    def height(self) -> float:
        return self.bottom - self.top


def layout_page(words: Sequence[dict[str, Any]], width: float, height: float) -> list[tuple[str, bool]]:
    """Order a page's words into (line text, starts a new paragraph) pairs."""
    lines = read_page(words, width, height)
    return [(line.text, line.new_paragraph) for line in lines if line.kind != "footnote"]


def read_page(
    words: Sequence[dict[str, Any]],
    width: float,
    height: float,
    *,
    rules: Sequence[tuple[float, ...]] = (),
    vocabulary: frozenset[str] = frozenset(),
) -> list[Line]:
    """A page's lines in reading order with their word boxes: running text with tables in place, then
    side boxes, then footnotes (kind "footnote", which the caller keeps out of the body). With a
    `vocabulary`, words that lost a space or were letter-spaced are mended (`spacing`)."""
    words = mend_spacing(_visible_words(words, width, height), vocabulary)
    if not words:
        return []
    blocks = split_blocks(words, rules, width, height)  # type: ignore[arg-type]
    out = _order(blocks.words, [_table_frag(t) for t in blocks.tables])
    for box in blocks.boxes:
        out += [line._replace(kind="box") for line in _order(box, [])]
    out += _footnote_lines(blocks)
    return out


def _order(words: Sequence[dict[str, Any]], tables: list[_Frag]) -> list[Line]:
    if not words and not tables:
        return []
    sizes = [float(w["bottom"]) - float(w["top"]) for w in words]
    size = statistics.median(sizes) if sizes else 10.0
    frags = _fragments(words, size) + tables
    gutters = find_gutters(frags, size)
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
    out: list[Line] = []
    for i, lines in columns:
        after_table = False
        for j, (line, brk) in enumerate(zip(lines, _paragraph_breaks(lines, normal_gap), strict=False)):
            if line.table is not None:
                out += _table_lines(line.table)
                after_table = True
                continue
            if j == 0:
                brk = not (out and i > 0 and out[-1].kind == "body" and _continues(out[-1].text, line.text))
            out.append(Line(line.text, brk or after_table, Boxes.of(line.words)))
            after_table = False
    return out


def _table_frag(table: TableBlock) -> _Frag:
    x0, top, x1, bottom = table.box
    return _Frag(x0, x1, top, bottom, "", table=table)


def _table_lines(table: TableBlock) -> list[Line]:
    """One line per row, cells joined by CELL_SEPARATOR; the table is one paragraph of its own."""
    out = []
    for r, row in enumerate(table.rows):
        cells = tuple(_join_words(cell) for cell in row)
        boxes = Boxes.of(_box(w) for cell in row for w in cell)
        out.append(Line(CELL_SEPARATOR.join(cells), r == 0, boxes, "table", cells))
    return out


def _footnote_lines(blocks: PageBlocks) -> list[Line]:
    out = []
    for note in blocks.footnotes:
        for r, row in enumerate(note):
            out.append(Line(_join_words(row), r == 0, Boxes.of(_box(w) for w in row), "footnote"))
    return out


def _join_words(words: Sequence[dict[str, Any]]) -> str:
    """Words of a cell or note, row by row; rows joined as lines of one paragraph (de-hyphenated)."""
    return join_lines(" ".join(_clean(w) for w in row) for row in rows_of(words))


def _clean(w: dict[str, Any]) -> str:
    return _clean_text(str(w["text"]))


def _clean_text(text: str) -> str:
    # Most words are plain printable ASCII, which clean_line leaves as it is; skipping its per-character
    # pass there was the largest single cost of laying out a page (profiled: about a fifth).
    if text.isascii() and text.isprintable() and " " not in text and "(cid:" not in text:
        return text
    return clean_line(_CID.sub("", text))


def _box(w: dict[str, Any]) -> WordBox:
    return (_clean(w), float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"]))


def _visible_words(words: Sequence[dict[str, Any]], width: float, height: float) -> list[dict[str, Any]]:
    inside = [
        w
        for w in words
        if float(w["x1"]) > 0
        and float(w["x0"]) < width
        and float(w["bottom"]) > 0
        and float(w["top"]) < height
        and _clean_text(str(w["text"]))
    ]
    upright = [w for w in inside if w.get("upright", True)]
    # Rotated margin stamps are noise on a normal page; on a page that is mostly rotated, keep everything.
    return upright if len(upright) >= len(inside) / 2 else inside


def _fragments(words: Sequence[dict[str, Any]], size: float) -> list[_Frag]:
    rows = rows_of(words)
    frags: list[_Frag] = []
    for row in rows:
        current: list[dict[str, Any]] = []
        for w in row:
            if current and float(w["x0"]) - float(current[-1]["x1"]) > GAP_SPLIT * size:
                frags.append(_make_frag(current))
                current = []
            current.append(w)
        frags.append(_make_frag(current))
    return frags


def _make_frag(words: list[dict[str, Any]]) -> _Frag:
    boxes = tuple(_box(w) for w in words)
    return _Frag(
        x0=min(float(w["x0"]) for w in words),
        x1=max(float(w["x1"]) for w in words),
        top=statistics.median(float(w["top"]) for w in words),
        bottom=statistics.median(float(w["bottom"]) for w in words),
        text=" ".join(b[0] for b in boxes).strip(),
        words=tuple(b for b in boxes if b[0]),
    )


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
        if f.table is not None or (last is not None and last.table is not None):
            lines.append(f)  # a table stands alone: nothing beside it joins its rows
        elif last and f.top - last.top < 0.5 * max(min(f.height, last.height), 1.0):
            parts = sorted([last, f], key=lambda g: g.x0)
            lines[-1] = _Frag(
                min(last.x0, f.x0),
                max(last.x1, f.x1),
                last.top,
                max(last.bottom, f.bottom),
                f"{parts[0].text} {parts[1].text}",
                last.column,
                parts[0].words + parts[1].words,
            )
        else:
            lines.append(_Frag(f.x0, f.x1, f.top, f.bottom, f.text, f.column, f.words))
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
    for a, b, gap in zip(lines, lines[1:], gaps, strict=False):
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
