"""Words the PDF spaced wrongly, mended with a word list. Pure: word mappings in, word mappings out.

Two faults are common. A PDF that positions words instead of printing spaces can leave a gap too narrow to
read as one ("thecouncil"): `pdfium_words` marks the widest gap inside such a word (`gap_at`), and the word
is split at the fewest of those gaps that leave only words of the word list, and only when the whole is
not a word. Letter-spaced headings come out one letter per word ("S U M M A R Y"): a run of single
characters with no space glyph between them, evenly close, is joined back into one word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

LETTER_RUN = 2  # this many single characters in a row, with no space glyph between, are one word
MAX_PIECES = 12  # a word with more inner gaps than this is letter-spaced or a table row; leave it
LETTER_GAP = 1.2  # letters of one letter-spaced word sit closer than this many times their height

Word = dict[str, Any]
_GLUED = re.compile(r"[,;:!?)][^\W\d_]")


def mend_spacing(words: Sequence[Word], vocabulary: frozenset[str]) -> list[Word]:
    """Split words at a lost space and join letter-spaced runs; other words pass through unchanged.

    Only for words from `pdfium_words`, which marks space glyphs and inner gaps; an empty vocabulary
    turns mending off.
    """
    if not vocabulary:
        return list(words)
    out: list[Word] = []
    for w in _join_letters(words):
        out.extend(_split_lost_space(w, vocabulary) if w.get("gaps") else (w,))
    return out


def _split_lost_space(w: Word, vocabulary: frozenset[str]) -> tuple[Word, ...]:
    """Split at the fewest of the word's inner gaps that leave only known words; else keep it whole."""
    text = str(w["text"])
    cuts = [0, *(g for g in w["gaps"] if 0 < g < len(text)), len(text)]
    if _known(text, vocabulary) or len(cuts) > MAX_PIECES + 1:
        return (w,)
    # best[j]: the fewest pieces covering text[:cuts[j]] with known words, and the cut before the last one
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * (len(cuts) - 1)
    for j in range(1, len(cuts)):
        for i in range(j):
            prev = best[i]
            if prev is not None and _known(text[cuts[i] : cuts[j]], vocabulary):
                if best[j] is None or prev[0] + 1 < best[j][0]:  # type: ignore[index]
                    best[j] = (prev[0] + 1, i)
    if best[-1] is None:
        return (w,)
    bounds, j = [], len(cuts) - 1
    while j:
        i = best[j][1]  # type: ignore[index]
        bounds.append((cuts[i], cuts[j]))
        j = i
    x0, x1 = float(w["x0"]), float(w["x1"])
    share = (x1 - x0) / len(text)  # glyph widths are not kept; share the box out by letters
    return tuple(
        {**w, "text": text[a:b], "x0": x0 + a * share, "x1": x0 + b * share, "gaps": ()}
        for a, b in reversed(bounds)
    )


def _known(piece: str, vocabulary: frozenset[str]) -> bool:
    """Whether a piece can stand as a word: in the list, or not made of letters (a number, "3,400")."""
    core = piece.strip(".,;:!?()\"'").lower()
    if _GLUED.search(core):
        return False  # "explanation,raising": punctuation inside a word means a space was lost after it
    parts = [p for p in re.split(r"[-'’]", core) if p]
    return all(p in vocabulary or not any(c.isalpha() for c in p) for p in parts)


def _join_letters(words: Sequence[Word]) -> Iterable[Word]:
    run: list[Word] = []
    for w in words:
        if _is_letter(w) and run and _next_letter(run[-1], w):
            run.append(w)
            continue
        yield from _flush(run)
        run = [w] if _is_letter(w) else []
        if not run:
            yield w
    yield from _flush(run)


def _is_letter(w: Word) -> bool:
    text = str(w["text"])
    return len(text) == 1 and text.isalnum()


def _next_letter(a: Word, b: Word) -> bool:
    height = float(a["bottom"]) - float(a["top"])
    return (
        not a.get("spaced")
        and abs(float(a["top"]) - float(b["top"])) < 0.3 * height
        and 0 <= float(b["x0"]) - float(a["x1"]) < LETTER_GAP * height
    )


def _flush(run: list[Word]) -> list[Word]:
    if len(run) < LETTER_RUN:
        return run
    return [
        {
            **run[0],
            "text": "".join(str(w["text"]) for w in run),
            "x1": float(run[-1]["x1"]),
            "bottom": max(float(w["bottom"]) for w in run),
            "spaced": run[-1].get("spaced", False),
        }
    ]
