"""Web page bytes -> main text and metadata. The only module that imports trafilatura.

trafilatura finds the article in a page and drops navigation, banners, footers, comments, scripts and
styles; in published comparisons of main-content extractors it is among the most accurate, it is
maintained, and it runs offline (no request is made unless given a URL, which we never pass). Its
metadata step finds the title and the publication date (htmldate). Its XML output keeps the structure
(headings, paragraphs, list items, table rows and cells), which we turn into paragraphs here.

Pages are refused if they declare XML entities (<!ENTITY>): HTML never needs them, and an expanding
entity is how a "billion laughs" file exhausts memory. lxml's HTML parser does not expand them either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from triage.errors import ExtractionError

MAX_HTML_BYTES = 20_000_000  # trafilatura's own ceiling (MAX_FILE_SIZE): larger pages come back empty
CELL_SEPARATOR = " | "
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HTML_ELEMENT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_HTML_TAGS = re.compile(rb"<(?:p|div|br|a\s|table|h[1-6]|span|li)[\s>/]", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def looks_like_html(head: bytes) -> bool:
    """Whether the start of a file is a web page: markup with an <html>/<head>/<body> element (after any
    prolog), or a fragment full of HTML tags."""
    if head.lstrip().startswith(b"<") and _HTML_ELEMENT.search(head):
        return True
    return len(_HTML_TAGS.findall(head[:4096])) >= 5


def read_html(html: str, name: str) -> tuple[str, dict[str, str]]:
    """The main text of a page (paragraphs separated by blank lines, tables as rows) and its metadata."""
    if _ENTITY_DECLARATION.search(html.encode("utf-8", errors="replace")):
        raise ExtractionError(
            f"{name} declares XML entities (<!ENTITY>), which web pages never need; refused "
            "(entity expansion can exhaust memory); save the page again from a browser and retry"
        )
    if len(html) > MAX_HTML_BYTES:
        raise ExtractionError(
            f"{name} is a web page of {len(html) >> 20} MB, over the {MAX_HTML_BYTES // 1_000_000} MB "
            "limit; save the article alone (or print it to PDF) and retry"
        )
    # Imported here: it takes a quarter of a second (it loads an HTTP stack), which every batch worker and
    # CLI start paid for PDFs alone.
    import trafilatura

    result = trafilatura.bare_extraction(
        html, with_metadata=True, include_tables=True, include_comments=False, include_links=False,
        include_images=False, favor_recall=True, deduplicate=False,
    )
    blocks: list[str] = []
    meta: dict[str, str] = {}
    if result is not None:
        body = getattr(result, "body", None)
        if body is not None:
            blocks = [b for b in _blocks(body) if b]
        meta = _metadata(result)
    if not blocks:
        # No article found (a bare fragment or a short notice): keep the page's visible text rather than
        # nothing; trafilatura's html2txt still leaves out scripts and styles.
        text = _clean(trafilatura.html2txt(html))
        blocks = [text] if text else []
    return "\n\n".join(blocks), meta


def _blocks(body: Any) -> Iterator[str]:
    """Paragraph-sized blocks from trafilatura's XML: headings, paragraphs, quotes, list items, tables."""
    for element in body:
        tag = element.tag
        if tag == "table":
            yield _table_text(element)
        elif tag == "list":
            for item in element.iter("item"):
                yield _clean(_text(item))
        elif tag in ("head", "p", "quote", "code", "div", "item"):
            yield _clean(_text(element))
        elif tag not in ("graphic", "ref"):
            yield _clean(_text(element))


def _table_text(table: Any) -> str:
    rows = []
    for row in table.iter("row"):
        cells = [_clean(_text(cell)) for cell in row.iter("cell")]
        if any(cells):
            rows.append(CELL_SEPARATOR.join(cells))
    return "\n".join(rows)


def _text(element: Any) -> str:
    parts = [element.text or ""]
    for child in element.iterdescendants():
        # <lb/> (a <br> in the page) has no text of its own; keep the words on either side apart.
        parts += [" " if child.tag == "lb" else "", child.text or "", child.tail or ""]
    return "".join(parts)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _metadata(result: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    for key, attr in (("Title", "title"), ("Author", "author"), ("site", "sitename")):
        value = _clean(str(getattr(result, attr, None) or ""))
        if value:
            meta[key] = value[:300]
    date = _DATE.match(str(getattr(result, "date", None) or ""))
    if date:
        meta["CreationDate"] = "D:" + "".join(date.groups())  # the form the PDF path stores
    return meta
