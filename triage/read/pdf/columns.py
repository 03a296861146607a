"""Column gutters: the vertical bands of a page that no line crosses, with a column's left edge beside them.

Pure geometry over row fragments (`layout` makes them from word boxes); anything with x0, x1, top and
bottom will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

MIN_COLUMN_FRACTION = 0.10  # a column narrower than this share of the text width is not split off


class Span(Protocol):
    """A row fragment's box, points from the top-left corner."""

    x0: float
    x1: float
    top: float
    bottom: float


def find_gutters(frags: Sequence[Span], size: float) -> list[tuple[float, float]]:
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


def _is_gutter(frags: Sequence[Span], cut: float, run_end: float, size: float) -> bool:
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
