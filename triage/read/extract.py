"""File bytes -> Document, whatever the format: the one entry point the rest of triage reads files through.

The type comes from the bytes, never the file name (`detect_format`, over the registry in `formats`): PDF
(`pdf.reader`), Word, e-mail (its attachments are documents of their own), web pages, Markdown and plain
text (`text_document`). Every Document's metadata then gets the bytes' SHA-256, the page count, the language
(`language`) and the report's date (`dates`) where one is found.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from triage.config import OcrSettings
from triage.errors import ExtractionError
from triage.read.dates import metadata_date, text_date
from triage.read.email_text import Attachment, iter_attachments
from triage.read.formats import BY_NAME, FORMATS, load
from triage.read.language import detect_language
from triage.read.pdf.vocabulary import WORDS_FILE
from triage.read.text_document import MAGIC, describe_bytes, read_text_document
from triage.types import Document

__all__ = ["MAGIC", "WORDS_FILE", "describe_bytes", "detect_format", "extract_document", "extract_with_attachments",
           "list_attachments"]

HEAD_CHARS = 1500  # where a report states its date: the cover and first lines (the store reads as much)


def extract_document(
    path: str | Path, *, data: bytes | None = None, source: str | None = None,
    ocr_settings: OcrSettings | None = None,
) -> Document:
    """Read a PDF, Word, web page, e-mail, Markdown or plain-text file (type detected from its bytes).

    An e-mail becomes its message; its attachments are separate documents (`list_attachments`). PDF pages
    that are pictures are OCRed as `ocr_settings` say (default: English and French, when Tesseract is
    installed)."""
    return extract_with_attachments(path, data=data, source=source, ocr_settings=ocr_settings)[0]


def extract_with_attachments(
    path: str | Path, *, data: bytes | None = None, source: str | None = None,
    ocr_settings: OcrSettings | None = None,
) -> tuple[Document, tuple[Attachment, ...]]:
    """The file as a Document, and the attachments to read as documents of their own (e-mails only).

    Each attachment's `source` ("mail.eml/report.pdf") is the name to extract it under; one that was not
    returned (too large, nested too deep) carries the reason in `error`."""
    path = Path(path)
    name = source or path.name
    if data is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ExtractionError(f"{name} does not exist; check the path and retry") from exc
        except OSError as exc:
            raise ExtractionError(
                f"{name} could not be read ({exc.strerror}); check the path and retry"
            ) from exc
    if not data:
        raise ExtractionError(f"{name} is empty (0 bytes); re-export or re-download the file and retry")
    doc_id = hashlib.sha256(data).hexdigest()
    attachments: tuple[Attachment, ...] = ()
    kind = BY_NAME.get(detect_format(data))
    read = load(kind.reader) if kind is not None and kind.reader else read_text_document
    doc = read(data, doc_id, name, ocr_settings=ocr_settings)
    if kind is not None and kind.name == "email":
        attachments = tuple(iter_attachments(data, name))
    return _with_common_metadata(doc), attachments


def list_attachments(data: bytes, source: str) -> tuple[Attachment, ...]:
    """The attachments of an e-mail (forwarded messages opened, bounded), without extracting anything; () for
    any other file."""
    if not data or detect_format(data) != "email":
        return ()
    try:
        return tuple(iter_attachments(data, source))
    except ExtractionError:
        return ()  # the message itself cannot be read: extracting it reports why, once


def detect_format(data: bytes) -> str:
    """What the bytes are, whatever the file is called: the name of the first format in FORMATS whose
    sniff accepts them ("pdf", "docx" for any zip, "email"), else "text" (plain text, Markdown or HTML,
    told apart once decoded)."""
    for kind in FORMATS:
        if kind.sniff and load(kind.sniff)(data):
            return kind.name
    return "text"



def _with_common_metadata(doc: Document) -> Document:
    """What every document records whatever its format: the bytes' SHA-256, the page count, the language
    and the report's date (`dates`: the cover's, else the file's own) where one is found."""
    meta = dict(doc.metadata)
    meta["sha256"] = doc.id
    meta.setdefault("pages", str(len(doc.pages)))
    language = detect_language(doc.text)
    if language:
        meta["language"] = language
    found = text_date(doc.text[:HEAD_CHARS]) or metadata_date(meta.get("CreationDate", ""))
    if found:
        meta["report_date"] = found.isoformat()
    return replace(doc, metadata=tuple(sorted(meta.items())))
