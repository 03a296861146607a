"""Word (.docx) bytes -> body text and properties. The only module that imports python-docx.

A .docx is a zip of XML parts, so two attacks come with it: a zip bomb (a few KB that inflate to
gigabytes) and XML entity expansion ("billion laughs"). Both are refused before python-docx sees the
file: member sizes and compression ratios are read from the zip directory (zipfile stops reading a
member at its declared size and fails its CRC if the header lied), and every XML part is checked for a
DTD, which Word never writes. python-docx's own parser also leaves entities unresolved.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from triage.errors import ExtractionError
from triage.read.zipped import OPEN_ERRORS, READ_ERRORS, open_zip

MAX_MEMBERS = 2_000
MAX_MEMBER_BYTES = 64 << 20  # one XML part; a 1,000-page report's document.xml is a few MB
MAX_TOTAL_BYTES = 256 << 20
MAX_RATIO = 200.0  # XML deflates 5-20:1; bombs are 1,000:1 and more
CELL_SEPARATOR = " | "
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_XML_SUFFIXES = (".xml", ".rels")
_PAGES = re.compile(rb"<(?:\w+:)?Pages>\s*(\d{1,6})\s*</")


def is_docx(data: bytes) -> bool:
    """Whether a zip's directory names a Word body part (the test python-docx itself relies on)."""
    return "word/document.xml" in _names(data)


def office_kind(data: bytes) -> str:
    """What a zip-based office file other than .docx is ("" if it is not one), so errors can name it."""
    names = _names(data)
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook (.xlsx)"
    if any(n.startswith("ppt/") for n in names):
        return "a PowerPoint presentation (.pptx)"
    if "mimetype" in names:
        return "an OpenDocument file (.odt/.ods)"
    return ""


def _names(data: bytes) -> set[str]:
    try:
        archive, infos = open_zip(data)
    except OPEN_ERRORS:
        return set()
    archive.close()
    return {i.filename for i in infos}


def read_docx(data: bytes, name: str) -> tuple[str, dict[str, str]]:
    """Body text of a .docx in reading order (paragraphs, headings, tables as rows), and its properties.

    Headers and footers are left out: they repeat on every page and are not the report.
    """
    _check_package(data, name)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(document))
        meta = _properties(document)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise ExtractionError(
            f"{name} is a damaged Word file ({str(exc)[:160] or type(exc).__name__}); re-save it in Word and retry"
        ) from exc
    meta.update(_stated_pages(data))
    return "\n\n".join(b for b in blocks if b), meta


def _check_package(data: bytes, name: str) -> None:
    try:
        archive, infos = open_zip(data)
    except OPEN_ERRORS as exc:
        raise ExtractionError(f"{name} is a damaged Word file ({exc}); re-save it in Word and retry") from exc
    with archive:
        if len(infos) > MAX_MEMBERS:
            raise ExtractionError(
                f"{name} holds {len(infos):,} parts, more than the {MAX_MEMBERS:,} a Word file has; "
                "refused as a possible zip bomb; re-save it in Word and retry"
            )
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES or (
                ratio > MAX_RATIO and info.file_size > 1 << 20
            ):
                raise ExtractionError(
                    f"{name} would inflate to {info.file_size >> 20} MB in {info.filename} (ratio {ratio:.0f}:1); "
                    "refused as a zip bomb; re-save it in Word and retry"
                )
        for info in infos:
            if not info.filename.endswith(_XML_SUFFIXES):
                continue
            try:
                part = archive.read(info)
            except READ_ERRORS as exc:
                raise ExtractionError(
                    f"{name} is a damaged Word file ({info.filename}: {exc}); re-save it in Word and retry"
                ) from exc
            if any(marker in part for marker in _DTD_MARKERS):
                raise ExtractionError(
                    f"{name} declares a DTD or XML entities in {info.filename}, which Word never writes; "
                    "refused (entity expansion can exhaust memory); re-save it in Word and retry"
                )


def _blocks(document: Any) -> Iterator[str]:
    """Paragraphs and tables of the body, in the order they appear."""
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            yield _clean(item.text)
        elif isinstance(item, Table):
            yield _table_text(item)


def _table_text(table: Table) -> str:
    """One line per row, cells joined by " | "; a merged cell (repeated by python-docx) is written once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # noqa: SLF001 (the XML element is how a merged cell is recognised)
                continue
            seen.add(id(cell._tc))  # noqa: SLF001
            cells.append(_clean(cell.text))
        if any(cells):
            rows.append(CELL_SEPARATOR.join(cells))
    return "\n".join(rows)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _properties(document: Any) -> dict[str, str]:
    props = document.core_properties
    meta = {"Title": _clean(props.title or ""), "Author": _clean(props.author or "")}
    when = props.created or props.modified
    if isinstance(when, datetime):
        meta["CreationDate"] = when.strftime("D:%Y%m%d%H%M%S")  # the form the PDF path stores
    return {k: v for k, v in meta.items() if v}


def _stated_pages(data: bytes) -> dict[str, str]:
    """Word's own page count from docProps/app.xml (as of its last save): .docx text has no pages."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("docProps/app.xml")  # sizes and DTDs were checked in _check_package
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    found = _PAGES.search(xml)
    return {"stated_pages": found.group(1).decode()} if found else {}
