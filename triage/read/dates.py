"""The date a report is filed under: the one its cover or first lines state, before the file's own dates.

A PDF's creation date is when someone last exported it (a UN document is often exported a week or more after
the date on its cover), so the text comes first: a date standing on a cover line of its own ("15 July 2025",
"Distr.: General 21 February 2025", "Genève, le 3 mars 2024"), else one labelled "Date:" or "Dated ..." in the
first lines; then the creation date; then the day the file arrived. English and French month names.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    **{m: i for i, m in enumerate("january february march april may june july august september october "
                                  "november december".split(), 1)},
    **{m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    "sept": 9,
    **{m: i for i, m in enumerate("janvier février mars avril mai juin juillet août septembre octobre "
                                  "novembre décembre".split(), 1)},
    "fevrier": 2, "aout": 8, "decembre": 12,  # typed without accents
}
_MONTH = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_DATE = re.compile(
    r"(?<![\w/])(?:"
    r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
    rf"|(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?P<m>{_MONTH})\.?,?\s+(?P<y>\d{{4}})"
    rf"|(?P<am>{_MONTH})\.?\s+(?P<ad>\d{{1,2}})(?:st|nd|rd|th)?,\s*(?P<ay>\d{{4}})"
    r")(?![\w/])",
    re.IGNORECASE,
)
_DATED = re.compile(r"\bdated?\s*:?\s*$", re.IGNORECASE)  # "Dated 3 March", "Date: 2024-03-03"
# A cover line's date follows at most a short label ("Distr.: General", "Security Council", "Geneva,"). One
# after these words is part of something else: a period ("from 1 to 15 July"), an event ("attack of 3 May").
_NOT_A_LABEL = re.compile(r"(?:^|\s)(?:of|since|from|to|until|till|between|and|after|before|by|du|de|depuis|au|"
                          r"entre|et|avant|après)\s*$|[\d–—-]\s*$", re.IGNORECASE)
_COVER_LINE_WORDS = 12  # a longer line is a sentence, whose dates are events
_LABEL_WORDS = 4
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")
_INVARIANT = "D:20000101"  # reportlab's fixed date for reproducible files: not a real date


def text_date(head: str) -> date | None:
    """The date the first lines of a report state: one standing on a short cover line, else one labelled
    "Date:" or "Dated" anywhere in `head` ("Letter dated 9 January 2025 from ..."); None if there is none."""
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    for line in lines:
        if len(line.split()) > _COVER_LINE_WORDS:
            continue
        for m in _DATE.finditer(line):
            label = line[: m.start()]
            if len(label.split()) <= _LABEL_WORDS and not _NOT_A_LABEL.search(label) and (found := _date(m)):
                return found
    for m in _DATE.finditer(head):
        if _DATED.search(head[max(0, m.start() - 12) : m.start()]) and (found := _date(m)):
            return found
    return None


def metadata_date(creation_date: str) -> date | None:
    """A file's own creation date ("D:20240501120000", as PDFs and our other readers store it); None when
    there is none, it is reportlab's fixed date, or it is malformed. A year alone means 1 January."""
    if not creation_date or creation_date.startswith(_INVARIANT):
        return None
    m = _PDF_DATE.match(creation_date)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        return None


def document_date(creation_date: str, added_at: str, head: str = "") -> date:
    """The date a report is filed under: the date it states at the top, else its creation date, else the day
    it was added (`added_at`, ISO)."""
    return text_date(head) or metadata_date(creation_date) or date.fromisoformat(added_at[:10])


def _date(m: re.Match[str]) -> date | None:
    try:
        if m["iy"]:
            found = date(int(m["iy"]), int(m["im"]), int(m["id"]))
        elif m["y"]:
            found = date(int(m["y"]), _MONTHS[m["m"].lower()], int(m["d"]))
        else:
            found = date(int(m["ay"]), _MONTHS[m["am"].lower()], int(m["ad"]))
    except ValueError:
        return None  # "31 February", "2026-13-40": not a date
    return found if 1900 <= found.year <= 2100 else None
