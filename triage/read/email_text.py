"""E-mail (.eml) bytes -> the message as a document, and its attachments as documents of their own.

The stdlib `email` package parses the message. The document is the subject and date (as a heading, so
the report date is found like a typed "Date:" line) followed by the body: the text/plain part if there is
one, else the HTML part read like a web page. Attachments are returned as bytes with a source path
("mail.eml/report.pdf") for the caller to extract like any file; a forwarded message (message/rfc822) is an
attachment too, and its own attachments follow it, up to MAX_DEPTH messages deep. Images are listed in the
metadata but not returned: there is no text to read in them.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime

from triage.errors import ExtractionError

MAX_DEPTH = 3  # a message forwarded inside a message inside a message, no deeper
MAX_PARTS = 500  # MIME parts in one message
MAX_ATTACHMENT_BYTES = 200 << 20  # the same ceiling as one file (Config.max_file_mb's default)
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?.*$|^[ \t]+\S.*$")  # "Name: value" or a folded continuation
_MAIL_ONLY_HEADERS = (b"message-id", b"mime-version", b"received", b"return-path", b"delivered-to",
                      b"content-type", b"dkim-signature", b"x-mailer")
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attached file: `data` to extract as a document, or `error` saying why it was not returned."""

    source: str  # "mail.eml/report.pdf", "mail.eml/fwd.eml/annex.docx"
    data: bytes | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class Mail:
    """A parsed message: the body (plain text, or HTML to be read as a page) and header metadata."""

    body: str
    body_is_html: bool
    heading: str  # "Subject: ...\nDate: 2026-11-20", placed above the body
    metadata: tuple[tuple[str, str], ...]


def is_email(data: bytes) -> bool:
    """Whether bytes start with an RFC 5322 header block that only a mail program writes."""
    head = data[:16384].replace(b"\r\n", b"\n")
    block, sep, _ = head.partition(b"\n\n")
    lines = block.split(b"\n")
    if not sep or not lines or not all(_HEADER_LINE.match(line) for line in lines):
        return False
    names = {line.split(b":", 1)[0].strip().lower() for line in lines if not line[:1].isspace()}
    # "From:" and "Date:" alone open many typed memos; a mail program also writes one of these.
    return bool(names & {b"from", b"date"}) and any(n in names for n in _MAIL_ONLY_HEADERS)


def read_email(data: bytes, name: str) -> Mail:
    """The message's body and headers (subject -> Title, date -> CreationDate, from -> From)."""
    msg = _parse(data, name)
    try:
        body_part = msg.get_body(preferencelist=("plain", "html"))
        body = _part_text(body_part) if body_part is not None else ""
        is_html = body_part is not None and body_part.get_content_subtype() == "html"
        meta, heading = _headers(msg)
        attachments = [_attachment_name(p, n) for n, p in enumerate(msg.iter_attachments(), 1)]
    except RecursionError as exc:
        raise _too_deep(name) from exc
    if attachments:
        meta["attachments"] = ", ".join(attachments)[:1000]
    return Mail(body, is_html, heading, tuple(sorted(meta.items())))


def iter_attachments(data: bytes, source: str, *, depth: int = 0) -> Iterator[Attachment]:
    """Every attachment of a message, forwarded messages opened up to MAX_DEPTH deep, with its source path."""
    msg = _parse(data, source)
    seen: set[str] = set()
    try:
        for n, part in enumerate(msg.iter_attachments(), 1):
            name = _attachment_name(part, n)
            while name in seen:  # two attachments called "report.pdf" must stay two documents
                name = f"{n}-{name}"
            seen.add(name)
            path = f"{source}/{name}"
            if part.get_content_maintype() == "image":
                continue  # listed in the message's metadata; an image has no text layer to read
            blob = _attachment_bytes(part)
            if blob is None:
                yield Attachment(path, error="has no content")
            elif len(blob) > MAX_ATTACHMENT_BYTES:
                yield Attachment(path, error=f"is larger than {MAX_ATTACHMENT_BYTES >> 20} MB; not extracted")
            elif part.get_content_type() == "message/rfc822" or is_email(blob):
                if depth + 1 >= MAX_DEPTH:
                    yield Attachment(path, error=f"is a message nested more than {MAX_DEPTH} deep; not opened")
                    continue
                yield Attachment(path, blob)
                yield from iter_attachments(blob, path, depth=depth + 1)
            else:
                yield Attachment(path, blob)
    except RecursionError as exc:
        raise _too_deep(source) from exc


def _parse(data: bytes, name: str) -> EmailMessage:
    # Counted before parsing: thousands of nested multiparts take the parser seconds to reach its limit.
    if len(_BOUNDARY.findall(data)) > MAX_PARTS:
        raise ExtractionError(
            f"{name} declares more than {MAX_PARTS} MIME parts; refused; save the attachments separately and retry"
        )
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        parts = sum(1 for _ in msg.walk())
    except RecursionError as exc:
        raise _too_deep(name) from exc
    if parts > MAX_PARTS:
        raise ExtractionError(
            f"{name} has {parts:,} MIME parts, more than the {MAX_PARTS} a message needs; refused; "
            "save the attachments separately and retry"
        )
    assert isinstance(msg, EmailMessage)  # policy.default makes EmailMessage objects
    return msg


def _too_deep(name: str) -> ExtractionError:
    return ExtractionError(f"{name} nests MIME parts too deeply to read; save its parts separately and retry")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return payload.decode("utf-8", errors="replace")  # an unknown or wrong charset label


def _attachment_bytes(part: Message) -> bytes | None:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        message = inner[0] if isinstance(inner, list) and inner else None
        return message.as_bytes() if isinstance(message, Message) else None
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) and payload else None


def _attachment_name(part: Message, n: int) -> str:
    raw = part.get_filename() or ""
    name = _UNSAFE_NAME.sub("_", raw.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .")[:120]
    if name:
        return name
    if part.get_content_type() == "message/rfc822":
        return f"attachment-{n}.eml"
    return f"attachment-{n}"


def _headers(msg: EmailMessage) -> tuple[dict[str, str], str]:
    meta: dict[str, str] = {}
    lines = []
    subject = " ".join(str(msg.get("subject", "") or "").split())
    if subject:
        meta["Title"] = subject[:300]
        lines.append(f"Subject: {subject}")
    sender = " ".join(str(msg.get("from", "") or "").split())
    if sender:
        meta["From"] = sender[:300]
    try:
        sent = parsedate_to_datetime(str(msg.get("date", "") or ""))
    except (TypeError, ValueError, IndexError):
        sent = None
    if sent is not None:
        meta["CreationDate"] = sent.strftime("D:%Y%m%d%H%M%S")  # the form the PDF path stores
        lines.append(f"Date: {sent.date().isoformat()}")
    return meta, "\n".join(lines)
