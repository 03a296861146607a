"""Pure text clean-up shared by the extractors: line endings, whitespace, line joining, de-hyphenation.

No PDF code here, so every helper can be property-tested on plain strings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Typographic ligatures that PDF fonts often map to a single code point; readers expect the letters.
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
# Characters that carry no text: soft hyphen, zero-width space/joiners, BOM, word joiner.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Hyphen-like characters a typesetter may put at a line break.
LINE_END_HYPHENS = "-\u2010\u00ad"

_TRANSLATE = str.maketrans({**LIGATURES, **{c: None for c in INVISIBLE}})
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except newline (tabs, NBSP, thin spaces, ...)
_BLANK_LINES = re.compile(r"\n\s*\n")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def normalise_newlines(text: str) -> str:
    """Turn CRLF, CR and Unicode line/paragraph separators into "\\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")


def clean_line(line: str) -> str:
    """Expand ligatures, drop invisible and control characters, collapse runs of spaces, strip the ends."""
    line = line.translate(_TRANSLATE)
    # Control characters (other than tab, turned into a space below) come from broken font maps.
    line = "".join(c for c in line if c == "\t" or unicodedata.category(c) != "Cc")
    return _SPACES.sub(" ", line).strip()


def is_line_end_hyphen(left: str, right: str) -> bool:
    """True when `left` ends with a break hyphen between lowercase letters and `right` starts lowercase."""
    return (
        len(left) >= 2
        and left[-1] in LINE_END_HYPHENS
        and left[-2].isalpha()
        and left[-2].islower()
        and right[:1].isalpha()
        and right[:1].islower()
    )


def _glued_at_break(left: str, right: str) -> bool:
    """A dash or URL broken at a line end whose parts belong together with no space ("737–" + "9")."""
    if left.endswith("://"):
        return True
    if len(left) < 2 or left[-1] not in "-\u2010\u2013" or not left[-2].isalnum() or not right[:1].isalnum():
        return False
    # Lowercase on both sides of a hyphen is the de-hyphenation case, handled by the caller.
    return not (left[-1] != "\u2013" and left[-2].islower() and right[0].islower())


def join_lines(lines: Iterable[str], *, keep_hyphen: frozenset[str] = frozenset()) -> str:
    """Join the lines of one paragraph with single spaces, removing line-break hyphens.

    A hyphen at a line end between lowercase letters is dropped ("preven-" + "tion" -> "prevention")
    unless the hyphenated compound is in `keep_hyphen` (lowercase, e.g. "well-known"), which
    `hyphenated_words` collects from the document itself. Other dashes at a line end that touch a letter
    or digit on both sides are kept and joined without a space ("non-" + "State", "2018–" + "23").
    """
    out = ""
    soft_break = False  # the previous line ended with a soft hyphen, which only a break makes visible
    for raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        if not out:
            out = line
        elif _glued_at_break(out, line) or soft_break:
            out += line
        elif is_line_end_hyphen(out, line):
            head = _WORD.search(out[::-1])  # the fragment before the hyphen, read backwards
            left = head.group(0)[::-1] if head else ""
            right = _WORD.match(line)
            compound = f"{left}-{right.group(0) if right else ''}".lower()
            if compound in keep_hyphen:
                out = out[:-1] + "-" + line
            else:
                out = out[:-1] + line
        else:
            out = f"{out} {line}"
        soft_break = raw.rstrip().endswith("\u00ad")
    return out


def hyphenated_words(text: str) -> frozenset[str]:
    """Lowercased hyphenated compounds written inside lines of `text` (evidence the hyphen is real)."""
    found: set[str] = set()
    for line in text.split("\n"):
        # The last token of a line may be a break hyphen, so only count compounds followed by more text.
        for m in _WORD.finditer(line):
            if "-" in m.group(0) and m.end() < len(line.rstrip()):
                found.add(m.group(0).lower())
    return frozenset(found)


def split_paragraphs(text: str) -> list[list[str]]:
    """Split text into paragraphs on blank lines; each paragraph is its list of non-empty lines."""
    paragraphs = []
    for block in _BLANK_LINES.split(normalise_newlines(text)):
        lines = [line for line in block.split("\n") if clean_line(line)]
        if lines:
            paragraphs.append(lines)
    return paragraphs


def clean_text(text: str) -> str:
    """Normalise plain text: paragraphs separated by one blank line, lines of a paragraph joined."""
    text = normalise_newlines(text)
    keep = hyphenated_words(text)
    paragraphs: list[str] = []
    for lines in split_paragraphs(text):
        # A Markdown heading is its own paragraph even without a blank line after it.
        current: list[str] = []
        for line in lines:
            if line.lstrip().startswith("#"):
                if current:
                    paragraphs.append(join_lines(current, keep_hyphen=keep))
                paragraphs.append(clean_line(line))
                current = []
            else:
                current.append(line)
        if current:
            paragraphs.append(join_lines(current, keep_hyphen=keep))
    return "\n\n".join(p for p in paragraphs if p)
