"""Decoded text, Word, web pages, Markdown and e-mail -> a Document of one page.

Text files are decoded here (UTF-8, UTF-16 with a byte-order mark, else cp1252 for the bytes that are not
UTF-8) and told apart once decoded: HTML (`html_text`), Markdown (`markdown_text`) or plain text, whose
wrapped lines are joined. Word (`docx_text`) and e-mail (`email_text`) bodies come already in paragraphs.
"""

from __future__ import annotations

import codecs
import re

from triage.errors import ExtractionError
from triage.read.docx_text import is_docx, office_kind, read_docx
from triage.read.email_text import read_email
from triage.read.formats import media_type
from triage.read.html_text import looks_like_html, read_html
from triage.read.markdown_text import looks_like_markdown, markdown_to_text
from triage.read.normalise import clean_line, clean_text, normalise_newlines
from triage.read.titles import choose_title
from triage.types import Document, Page

_COVER_PARAGRAPHS = 30  # the paragraphs a title is looked for in

# Magic numbers of files people mistake for documents, so the error can say what the file is.
MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx/.odt file)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Microsoft Office file (.doc/.xls/.ppt)"),
    (b"\x1f\x8b", "a gzip archive"),
)

def describe_bytes(data: bytes) -> str:
    """A short guess at what a non-document file is, from its first bytes."""
    for magic, what in MAGIC:
        if data.startswith(magic):
            return what
    return "binary data, not a PDF or text file"


def decode_text(data: bytes, name: str) -> tuple[str, list[tuple[str, str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), [("encoding", "utf-16")]
        except UnicodeDecodeError:
            pass  # a byte-order mark by chance; judge the bytes below
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise ExtractionError(
                f"{name} looks like {what}, not a PDF or text file; convert it to PDF and retry"
            )
    # Text files have almost no control bytes; binary data has many (NUL above all), even when every
    # byte happens to be ASCII and so decodes as UTF-8.
    sample = data[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f")
    if b"\x00" in sample or controls > len(sample) * 0.01:
        raise ExtractionError(
            f"{name} looks like {describe_bytes(data)}; convert it to PDF or UTF-8 text and retry"
        )
    try:
        return data.decode("utf-8-sig"), [("encoding", "utf-8")]
    except UnicodeDecodeError:
        pass
    # Files pasted together from several sources mix encodings, even within a line. Bytes that are valid
    # UTF-8 stay UTF-8 and only the invalid ones are read as cp1252, so neither part becomes mojibake.
    text = data.decode("utf-8", errors="triage-cp1252").removeprefix("\ufeff")
    if not _looks_like_utf8(data):
        note = "not valid UTF-8; decoded as cp1252 (Windows Western European), so some characters may be wrong"
        return text, [("encoding", "cp1252"), ("encoding_note", note)]
    note = "mixed encodings: the bytes that were not valid UTF-8 were read as cp1252, so a few characters may be wrong"
    return text, [("encoding", "mixed utf-8/cp1252"), ("encoding_note", note)]


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start:err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error("triage-cp1252", _cp1252_fallback)


def _looks_like_utf8(data: bytes) -> bool:
    """True when some non-ASCII bytes form valid UTF-8 sequences (so the file is partly UTF-8)."""
    return re.search(rb"[\xc2-\xf4][\x80-\xbf]+", data) is not None


def text_document(
    text: str, doc_id: str, name: str, notes: list[tuple[str, str]] | dict[str, str], *,
    media_type: str = "text/plain", title: str = "", structured: bool = False,
) -> Document:
    """One page of text. `structured` text (from Word, HTML, Markdown) already has one paragraph per block
    and keeps its single line breaks (table rows); plain text has its wrapped lines joined."""
    body = _clean_blocks(text) if structured else clean_text(text)
    if not body:
        raise ExtractionError(f"{name} contains no text; check that it is the right file")
    meta = dict(notes)
    title = choose_title(title or meta.get("Title", ""), body.split("\n\n", _COVER_PARAGRAPHS)[:_COVER_PARAGRAPHS])
    meta["pages"] = "1"  # text formats have no pages; the whole text is page 1
    metadata = tuple(sorted(meta.items()))
    return Document(doc_id, name, body, (Page(1, 0, len(body)),), media_type, title, metadata)


def _clean_blocks(text: str) -> str:
    paragraphs = normalise_newlines(text).split("\n\n")
    blocks = ("\n".join(filter(None, map(clean_line, b.split("\n")))) for b in paragraphs)
    return "\n\n".join(b for b in blocks if b)


def read_text_document(data: bytes, doc_id: str, name: str, *, ocr_settings: object = None) -> Document:
    """Plain text, Markdown or HTML, told apart once decoded."""
    text, encoding_notes = decode_text(data, name)
    if looks_like_html(text[:65536].encode("utf-8", errors="replace")):
        body, meta = read_html(text, name)
        return text_document(body, doc_id, name, {**dict(encoding_notes), **meta}, media_type=media_type("html"),
                              structured=True)
    if looks_like_markdown(text):
        body, heading = markdown_to_text(text)
        return text_document(body, doc_id, name, encoding_notes, media_type=media_type("markdown"), title=heading,
                              structured=True)
    return text_document(text, doc_id, name, encoding_notes)


def read_docx_document(data: bytes, doc_id: str, name: str, *, ocr_settings: object = None) -> Document:
    """A Word file; any other zip is refused with what it is."""
    if not is_docx(data):
        what = office_kind(data)
        if what:
            raise ExtractionError(f"{name} is {what}, not a report triage reads; save it as PDF or .docx and retry")
        raise ExtractionError(
            f"{name} looks like a ZIP archive, not a document or Word file; give it to `triage batch` "
            "(which opens archives), or unzip it, convert the files to PDF and retry"
        )
    body, meta = read_docx(data, name)
    return text_document(body, doc_id, name, meta, media_type=media_type("docx"), structured=True)


def read_email_document(data: bytes, doc_id: str, name: str, *, ocr_settings: object = None) -> Document:
    """An e-mail's message (its attachments are read as documents of their own)."""
    mail = read_email(data, name)
    meta = dict(mail.metadata)
    if mail.body_is_html and mail.body.strip():
        body, _ = read_html(mail.body, name)  # the message's subject and date, not the page's
    else:
        body = clean_text(mail.body)
    text = f"{mail.heading}\n\n{body}" if mail.heading else body
    return text_document(text, doc_id, name, meta, media_type=media_type("email"), structured=True)


def is_zip(data: bytes) -> bool:
    """A zip's magic number: a Word file, or another zip the Word reader refuses by name."""
    return data.startswith(b"PK\x03\x04")
