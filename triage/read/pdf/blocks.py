"""Ruled regions and small print -> tables, side boxes and footnotes, set apart before reading order.

Pure geometry, like `layout`: words are mappings with `text`, `x0`, `x1`, `top`, `bottom`; rules are the
(x0, top, x1, bottom) bounds of the page's drawn lines and rectangles. A group of touching rules with lines
inside it is a table (its inner rules are the cell edges); a ruled group without inner rules is a side box.
Footnotes are the small-print rows at the foot of a page that start with a marker.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RULE = 2.0  # a drawn shape thinner than this (points) is a line, not a rectangle
SNAP = 2.5  # rule edges closer than this are the same edge
MIN_REGION = (40.0, 12.0)  # a ruled region smaller than this (width, height) is an underline or a bullet
MAX_REGION_SHARE = 0.6  # a region covering more of the page is a page frame or background, not a block
MAX_RULES = 600  # past this many shapes a page is a chart or a map; grouping them is quadratic
FOOTNOTE_SIZE = 0.9  # footnote rows are set smaller than this share of the body size
SUPERSCRIPT_SIZE = 0.8  # an in-text marker is smaller than this share of the body size
NOTE_GAP = 0.8  # rows of the footnote area are closer together than this share of their height
FOOTER_GAP = 1.5  # a last row this many sizes below the rest is a running footer, not a footnote

_MARKER = re.compile(r"^(\(?\d{1,3}[.)]?|[*†‡§¶]{1,3})$")
_GLUED_MARKER = re.compile(r"^(\d{1,3})([A-Z“\"(].*)$")  # "2A force": a raised marker read into the word

Word = dict[str, Any]
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class TableBlock:
    """A ruled table: its bounds and, per row, the words of each cell (rows and cells in reading order)."""

    box: Box
    rows: tuple[tuple[tuple[Word, ...], ...], ...]


@dataclass(frozen=True, slots=True)
class PageBlocks:
    """A page's words split into running text, tables, side boxes and footnotes (each a list of rows)."""

    words: list[Word]
    tables: list[TableBlock]
    boxes: list[list[Word]]
    footnotes: list[list[list[Word]]]  # each footnote: its rows of words, the first starting with the marker


def split_blocks(words: Sequence[Word], rules: Sequence[Box], width: float, height: float) -> PageBlocks:
    """Take tables, side boxes and footnotes out of a page's words; the rest is running text."""
    rest = list(words)
    tables: list[TableBlock] = []
    boxes: list[list[Word]] = []
    for region, xs, ys in _regions(rules, width, height):
        inside = [w for w in rest if _centre_in(w, region)]
        if not inside:
            continue
        taken = {id(w) for w in inside}
        rest = [w for w in rest if id(w) not in taken]
        if xs and ys:
            tables.append(_table(region, xs, ys, inside))
        else:
            boxes.append(inside)
    rest, footnotes = _footnotes(rest)
    return PageBlocks(rest, tables, boxes, footnotes)


def _centre_in(w: Word, box: Box) -> bool:
    x = (float(w["x0"]) + float(w["x1"])) / 2
    y = (float(w["top"]) + float(w["bottom"])) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _regions(rules: Sequence[Box], width: float, height: float) -> list[tuple[Box, list[float], list[float]]]:
    """Groups of touching rules as (bounds, inner vertical edges, inner horizontal edges)."""
    shapes = [r for r in rules[:MAX_RULES] if r[2] - r[0] > 0 or r[3] - r[1] > 0]
    parent = list(range(len(shapes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(shapes):
        for j in range(i):
            b = shapes[j]
            if a[0] <= b[2] + SNAP and b[0] <= a[2] + SNAP and a[1] <= b[3] + SNAP and b[1] <= a[3] + SNAP:
                parent[find(i)] = find(j)
    groups: dict[int, list[Box]] = {}
    for i, shape in enumerate(shapes):
        groups.setdefault(find(i), []).append(shape)
    out = []
    for group in groups.values():
        x0s, tops, x1s, bottoms = zip(*group, strict=False)
        box = (min(x0s), min(tops), max(x1s), max(bottoms))
        w, h = box[2] - box[0], box[3] - box[1]
        if w < MIN_REGION[0] or h < MIN_REGION[1] or w * h > MAX_REGION_SHARE * width * height:
            continue
        xs: list[float] = []
        ys: list[float] = []
        for x0, top, x1, bottom in group:
            if x1 - x0 <= RULE:
                xs.append((x0 + x1) / 2)
            elif bottom - top <= RULE:
                ys.append((top + bottom) / 2)
            else:  # a rectangle: a cell or the frame; its edges are rules too
                xs += [x0, x1]
                ys += [top, bottom]
        inner_x = _snap([x for x in xs if box[0] + SNAP < x < box[2] - SNAP])
        inner_y = _snap([y for y in ys if box[1] + SNAP < y < box[3] - SNAP])
        out.append((box, inner_x, inner_y))
    return sorted(out, key=lambda r: (r[0][1], r[0][0]))


def _snap(values: list[float]) -> list[float]:
    edges: list[float] = []
    for v in sorted(values):
        if not edges or v - edges[-1] > SNAP:
            edges.append(v)
    return edges


def _table(box: Box, xs: list[float], ys: list[float], words: list[Word]) -> TableBlock:
    cols = [box[0], *xs, box[2]]
    row_edges = [box[1], *ys, box[3]]
    grid: list[list[list[Word]]] = [[[] for _ in cols[1:]] for _ in row_edges[1:]]
    for w in words:
        x = (float(w["x0"]) + float(w["x1"])) / 2
        y = (float(w["top"]) + float(w["bottom"])) / 2
        r = sum(1 for e in row_edges[1:-1] if e < y)
        c = sum(1 for e in cols[1:-1] if e < x)
        grid[r][c].append(w)
    rows = tuple(
        tuple(tuple(_reading_order(cell)) for cell in row) for row in grid if any(cell for cell in row)
    )
    return TableBlock(box, rows)


def _reading_order(words: Sequence[Word]) -> list[Word]:
    """A cell's or footnote's words row by row, left to right."""
    return [w for row in rows_of(words) for w in row]


def rows_of(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into rows (top to bottom), each sorted left to right."""
    rows: list[list[Word]] = []
    anchor_top = anchor_height = 0.0
    for w in sorted(words, key=lambda w: (float(w["top"]), float(w["x0"]))):
        top, h = float(w["top"]), float(w["bottom"]) - float(w["top"])
        # Compare with the row's first word, so a superscript marker stays in its row.
        if rows and top - anchor_top < 0.5 * max(min(h, anchor_height), 1.0):
            rows[-1].append(w)
        else:
            rows.append([w])
            anchor_top, anchor_height = top, h
    for row in rows:
        row.sort(key=lambda w: float(w["x0"]))
    return rows


def _height(row: Sequence[Word]) -> float:
    return statistics.median(float(w["bottom"]) - float(w["top"]) for w in row)


def _footnotes(words: list[Word]) -> tuple[list[Word], list[list[list[Word]]]]:
    """Split off the small-print rows at the foot of the page that start with a marker ("1", "*")."""
    if len(words) < 8:
        return words, []
    size = statistics.median(float(w["bottom"]) - float(w["top"]) for w in words)
    rows = rows_of(words)
    end = len(rows)
    last_gap = float(rows[-1][0]["top"]) - max(float(w["bottom"]) for w in rows[-2]) if end >= 2 else 0.0
    isolated = last_gap > FOOTER_GAP * size
    if isolated and not _starts_note(rows[-1]):
        end -= 1  # an isolated last row is a running footer; running-line removal decides about it
    start = end
    while start > 1 and _height(rows[start - 1]) < FOOTNOTE_SIZE * size:
        start -= 1
    detached = {id(row): w for row in rows[start:end] if (w := _detach_marker(row)) is not None}
    while start < end and not _starts_note(rows[start]):
        start += 1
    if start >= end or start == 0:
        return words, []
    notes: list[list[list[Word]]] = []
    for prev, row in zip(rows[start - 1 : end], rows[start:end], strict=False):
        gap = float(row[0]["top"]) - max(float(w["bottom"]) for w in prev)
        if notes and gap > NOTE_GAP * _height(row):
            break  # set apart from the notes above: a footer, left to running-line removal
        if _starts_note(row) or not notes:
            notes.append([])
        notes[-1].append(row)
    markers = {_marker_key(note[0][0]["text"]) for note in notes}
    taken = {id(w) for note in notes for row in note for w in row}
    # The word split by _detach_marker goes with its note; in a row left to the body it stays whole.
    taken |= {id(detached[id(row)]) for note in notes for row in note if id(row) in detached}
    # The in-text markers of these notes are set small and raised; they are not words of the sentence.
    body = [
        w
        for w in words
        if id(w) not in taken
        and not (
            _marker_key(str(w["text"])) in markers
            and float(w["bottom"]) - float(w["top"]) < SUPERSCRIPT_SIZE * size
        )
    ]
    return body, notes


def _detach_marker(row: list[Word]) -> Word | None:
    """Split a footnote marker glued to the note's first word ("2A force" -> "2", "A force"); returns the
    word that was split, if any."""
    m = _GLUED_MARKER.match(str(row[0]["text"]))
    if not m:
        return None
    w = row[0]
    x0, x1, n = float(w["x0"]), float(w["x1"]), len(str(w["text"]))
    cut = x0 + (x1 - x0) * len(m.group(1)) / n
    row[0:1] = [{**w, "text": m.group(1), "x1": cut}, {**w, "text": m.group(2), "x0": cut}]
    return w


def _starts_note(row: Sequence[Word]) -> bool:
    return len(row) >= 2 and bool(_MARKER.match(str(row[0]["text"])))


def _marker_key(text: str) -> str:
    return text.strip("().")
