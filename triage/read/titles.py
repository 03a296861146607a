"""A document's title: the one it states, else a real title line from its first page.

A cover's first lines are often not its title. A UN document's start "United Nations S", then its symbol
("/2025/123"), the organ ("Security Council"), distribution and language lines, the date and the session
and agenda item; its title is the line above "Report of the Secretary-General" (or "Note by ..."), or its
"Letter dated ..." line. Those mastheads are skipped here, and so are lines too short to name anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from triage.read.dates import text_date
from triage.read.normalise import clean_line

MAX_TITLE = 200
_COVER_LINES = 30  # a title further down is not the cover's
_JUNK_TITLE = re.compile(
    r"(\.(docx?|pdf|exe|indd|rtf|odt|qxd|tmp|wpd)$)|^(untitled|title|document\d*)$", re.IGNORECASE
)
_SERIES = r"(?:\s+[A-Z]{1,6})*"  # the series printed beside the masthead: "A", "S", "A E", "CEDAW"
_MASTHEAD = re.compile(
    rf"^(?:united nations|nations unies|naciones unidas|united|nations|организация объединенных наций)"
    rf"{_SERIES}(?:\s+\S*/\S*)?$|"
    r"^(?:general assembly|security council|economic and social council|human rights council|"
    r"trusteeship council|secretariat|совет безопасности|генеральная ассамблея)(?:\s+(?:general assembly|security council))?$|"
    r"^(?:distr\.?|original|general|limited|restricted|english|french|spanish|russian|arabic|chinese)\b.{0,60}$|"
    r"^(?:\w+(?:-\w+)?\s+session|official records|agenda items?\s+\d|item\s+\d+\s+of the provisional agenda)",
    re.IGNORECASE,
)
# A symbol or job number: "S/2025/123", "/79/718- /2025/21", "24-16783 (E) 081124", "*2416783*".
_SYMBOL_TOKEN = re.compile(r"^(?:[A-Z.\-]*/[\w./\-*]*|[\d\-*()]+|\([A-Z]\)|[A-Z]\.?|[ivxIVX]+\.)$")
_INTRODUCES = re.compile(r"^(?:report|note|letter|identical letters|statement)\s+(?:of|by|from)\b", re.IGNORECASE)
_LETTER = re.compile(r"^(?:identical\s+)?letters?\s+dated\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{3,}")


def choose_title(stated: str, paragraphs: Sequence[str]) -> str:
    """The title `stated` by the file's properties unless it is junk ("Untitled", a file name, a masthead),
    else the cover's title line among the first page's `paragraphs`, else its first paragraph."""
    stated = clean_line(stated or "")
    if stated and not _JUNK_TITLE.search(stated) and not _is_masthead(stated, stated=True):
        return _shorten(stated)
    lines = [clean_line(p.lstrip("#")) for p in paragraphs[:_COVER_LINES]]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    candidates = [i for i, line in enumerate(lines) if not _is_masthead(line)]
    for i in candidates:
        if _LETTER.match(lines[i]):
            return _shorten(lines[i])  # a letter's title is its "Letter dated ..." line
    for i in candidates:
        if i + 1 < len(lines) and _INTRODUCES.match(lines[i + 1]) and not _INTRODUCES.match(lines[i]):
            return _shorten(lines[i])  # the line above "Report of the Secretary-General"
    return _shorten(lines[candidates[0]] if candidates else lines[0])


def _is_masthead(line: str, *, stated: bool = False) -> bool:
    """A line that is on a cover but names nothing: masthead, organ, symbol, distribution, date, session."""
    if _MASTHEAD.search(line):
        return True
    if all(_SYMBOL_TOKEN.match(token) for token in line.split()):
        return True
    if stated:
        return False  # a one-word subject or title property is still what its author called it
    if len(_WORD.findall(line)) < 2 and len(line) < 12:
        return True  # "A", "I.", "Summary": on a cover, too little to be its title
    return len(line.split()) <= 6 and text_date(line) is not None and len(_WORD.findall(line)) <= 4


def _shorten(title: str) -> str:
    title = title.rstrip(" *")  # a footnote's asterisk
    if len(title) <= MAX_TITLE:
        return title
    return title[:MAX_TITLE].rsplit(" ", 1)[0]
