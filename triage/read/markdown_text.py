"""Markdown -> plain text: markup removed, the words kept (heading text, emphasised words, link text,
image alt text, code), one paragraph per block and table rows as lines of cells.

markdown-it-py is a CommonMark-compliant parser already installed with typer (through rich), so a real
parser decides what is markup instead of our own regexes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

CELL_SEPARATOR = " | "
_FEATURES = (
    re.compile(r"^#{1,6} \S", re.MULTILINE),  # ATX headings
    re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"),  # [text](url)
    re.compile(r"(\*\*|__)\S[^\n]*?\S\1"),  # **strong**
    re.compile(r"^```", re.MULTILINE),  # fenced code
    re.compile(r"^\s{0,3}[-*+] \S", re.MULTILINE),  # bullet items
    re.compile(r"^\|.*\|\s*$\n^\|?\s*:?-{3,}", re.MULTILINE),  # a table header rule
    re.compile(r"^>\s", re.MULTILINE),  # block quotes
)
_PARSER = MarkdownIt("commonmark").enable("table")
_HTML_TAG = re.compile(r"<[^>]{0,200}>")


def looks_like_markdown(text: str) -> bool:
    """Two or more kinds of Markdown markup near the top: plain reports rarely use any."""
    head = text[:20_000]
    return sum(1 for pattern in _FEATURES if pattern.search(head)) >= 2


def markdown_to_text(text: str) -> tuple[str, str]:
    """The text without markup (blocks separated by blank lines), and the first heading's text."""
    tokens = _PARSER.parse(text)
    blocks: list[str] = []
    heading = ""
    row: list[str] = []
    rows: list[str] = []
    in_table = in_heading = False
    for token in tokens:
        if token.type == "table_open":
            in_table, rows = True, []
        elif token.type == "table_close":
            in_table = False
            blocks.append("\n".join(rows))
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            if any(row):
                rows.append(CELL_SEPARATOR.join(row))
        elif token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline":
            words = _inline_text(token.children or ())
            if in_table:
                row.append(words)
            else:
                blocks.append(words)
                if in_heading and not heading:
                    heading = words
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.strip("\n"))
        elif token.type == "html_block":
            blocks.append(" ".join(_HTML_TAG.sub(" ", token.content).split()))
    return "\n\n".join(b for b in blocks if b.strip()), heading


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(_inline_text(child.children or ()))  # the alt text
    return "".join(parts).strip()
