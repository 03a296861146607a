"""Document -> Passages: paragraph-sized slices with exact offsets into the document text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triage.config import MAX_PASSAGE_CHARS, MIN_PASSAGE_CHARS
from triage.read.language import detect_language
from triage.types import Document, Passage

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A sentence ends at . ! ? (maybe followed by a closing quote or bracket, or a footnote number)
# and the next one starts with a capital, digit or opening quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]?\d{0,3}\s+(?=[\"“‘(\[]?[A-Z0-9À-Ý])")
# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st no nos art arts para paras e.g i.e etc vs gen col lt maj capt sgt fig cf p pp vol".split()
)


def _spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Paragraph spans between blank lines, trimmed of surrounding whitespace."""
    pos = start
    for m in _PARAGRAPH_BREAK.finditer(text, start, end):
        yield pos, m.start()
        pos = m.end()
    yield pos, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside one paragraph, not breaking after common abbreviations."""
    spans, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        before = text[max(start, m.start() - 6) : m.start()].split()
        word = before[-1].rstrip(".!?\"'”’)]0123456789").lower() if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        spans.append((pos, m.start() + len(m.group(0).rstrip())))
        pos = m.end()
    spans.append((pos, end))
    return [_trim(text, a, b) for a, b in spans if text[a:b].strip()]


def _split_long(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Pack whole sentences into chunks of at most max_chars (a longer sentence stays whole)."""
    chunk_start = chunk_end = None
    for s, e in _sentence_spans(text, start, end):
        if chunk_start is None:
            chunk_start, chunk_end = s, e
        elif e - chunk_start <= max_chars:
            chunk_end = e
        else:
            yield chunk_start, chunk_end  # type: ignore[misc]
            chunk_start, chunk_end = s, e
    if chunk_start is not None:
        yield chunk_start, chunk_end  # type: ignore[misc]


def split_passages(
    doc: Document, *, min_chars: int = MIN_PASSAGE_CHARS, max_chars: int = MAX_PASSAGE_CHARS
) -> list[Passage]:
    """Cut a document into paragraph-sized passages, never across pages.

    A paragraph shorter than `min_chars` (a heading, say) is joined to the next paragraph on the
    same page so it gives context; one left alone at the end of a page is kept only if it has
    a few words (stray page numbers are dropped). Paragraphs longer than `max_chars` are split
    at sentence ends.
    """
    text = doc.text
    pages = doc.pages or ()
    ranges = [(p.start, p.end, p.number) for p in pages] or [(0, len(text), 1)]
    passages: list[Passage] = []
    for page_start, page_end, number in ranges:
        pending: int | None = None  # start of a short paragraph waiting to be joined
        for a, b in _spans(text, page_start, page_end):
            a, b = _trim(text, a, b)
            if a >= b:
                continue
            if pending is not None:
                a = pending
                pending = None
            if b - a < min_chars:
                pending = a
                last_end = b
                continue
            for s, e in _split_long(text, a, b, max_chars) if b - a > max_chars else [(a, b)]:
                passages.append(Passage(doc.id, s, e, number, text[s:e], lang=detect_language(text[s:e])))
        if pending is not None and len(text[pending:last_end].split()) >= 3:
            passages.append(Passage(doc.id, pending, last_end, number, text[pending:last_end],
                                    lang=detect_language(text[pending:last_end])))
    return passages
