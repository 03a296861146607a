"""The formats triage reads, listed once: the CLI, batch runs and the upload form all take their lists from here.

A file's format is told from its bytes, never its name (`triage.read.extract.detect_format`); the suffixes
only decide which files of a folder or archive are picked up and what the upload form offers. Adding a format
means one reader module and one entry here: a format told by its bytes names its `sniff` and `reader`
("module:function", imported only when a file needs it, so importing this module stays cheap); the text
formats (plain text, Markdown, HTML) are decoded first and told apart by `triage.read.text_document`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Format:
    """One kind of file: its name, the media type its Documents carry, and the file-name suffixes it uses."""

    name: str
    media_type: str
    suffixes: tuple[str, ...]  # lower case, with the dot; the first is the usual one
    uploadable: bool = True  # offered by the review UI's upload form
    sniff: str = ""  # "module:function" (bytes) -> bool; "" for the text formats, told apart once decoded
    reader: str = ""  # "module:function" (data, doc_id, name, *, ocr_settings) -> Document

    def __post_init__(self) -> None:
        if not self.suffixes or any(not s.startswith(".") or s != s.lower() for s in self.suffixes):
            raise ValueError(f"format {self.name}: suffixes must be lower case and start with a dot")
        if bool(self.sniff) != bool(self.reader):
            raise ValueError(f"format {self.name}: a format told by its bytes needs both a sniff and a reader")


# In the order the upload form lists them. Each `sniff` stands alone, so the order does not decide a format.
FORMATS: tuple[Format, ...] = (
    Format("pdf", "application/pdf", (".pdf",),
           sniff="triage.read.pdf.reader:is_pdf", reader="triage.read.pdf.reader:extract_pdf"),
    # Any zip is given to the Word reader, which names what else it is (an Excel file, an archive).
    Format("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",),
           sniff="triage.read.text_document:is_zip", reader="triage.read.text_document:read_docx_document"),
    Format("html", "text/html", (".html", ".htm")),
    # An export format that batch runs pick up from folders; people upload .html.
    Format("xhtml", "text/html", (".xhtml",), uploadable=False),
    Format("email", "message/rfc822", (".eml",),
           sniff="triage.read.email_text:is_email", reader="triage.read.text_document:read_email_document"),
    Format("text", "text/plain", (".txt",)),
    Format("markdown", "text/markdown", (".md", ".markdown")),
)
BY_NAME = {f.name: f for f in FORMATS}
SUFFIXES: tuple[str, ...] = tuple(s for f in FORMATS for s in f.suffixes)
UPLOAD_TYPES: tuple[str, ...] = tuple(s.lstrip(".") for f in FORMATS if f.uploadable for s in f.suffixes)


def is_supported(path: str | Path) -> bool:
    """Whether a file's name says it is one of the formats triage reads (its bytes decide what it is)."""
    return Path(path).suffix.lower() in SUFFIXES


def media_type(name: str) -> str:
    """The media type of a format named in FORMATS."""
    return BY_NAME[name].media_type


def load(target: str) -> Callable[..., Any]:
    """The function a "module:function" entry names."""
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)
