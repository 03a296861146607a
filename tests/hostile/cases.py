"""Hostile inputs, generated on the spot (nothing is downloaded or committed).

`raw_pdf` writes a PDF by hand so that every hostile structure (JavaScript actions, embedded files,
bombs, loops, absurd nesting) is exactly what the case says and nothing more.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.pdfgen import PageSpec, make_pdf, para

BODY = ("Armed men burned the granaries of three villages near the river crossing and warned the "
        "remaining families to leave before the rains.")


def _content(text: str) -> bytes:
    return f"BT /F1 11 Tf 72 720 Td ({text}) Tj ET".encode()


def raw_pdf(*, content: bytes | None = None, extra_catalog: str = "", extra_objects: tuple[bytes, ...] = (),
            filters: str = "", pages_dict: str | None = None, media_box: str = "[0 0 612 792]") -> bytes:
    """A one-page PDF with Helvetica text; objects 1-5 are fixed, `extra_objects` become 6, 7, ..."""
    stream = content if content is not None else _content(BODY)
    objs = [
        f"<< /Type /Catalog /Pages 2 0 R {extra_catalog} >>".encode(),
        (pages_dict or "<< /Type /Pages /Kids [3 0 R] /Count 1 >>").encode(),
        f"<< /Type /Page /Parent 2 0 R /MediaBox {media_box} /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>".encode(),
        f"<< /Length {len(stream)} {filters} >>\nstream\n".encode() + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    ]
    return _serialise(objs, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


def _serialise(objs: list[bytes], header: bytes) -> bytes:
    """Numbered objects (the first is the catalog), a cross-reference table and a trailer after `header`."""
    out = bytearray(header)
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _good_pdf(tmp: Path) -> bytes:
    path = tmp / "good-source.pdf"
    make_pdf(path, [PageSpec([para(BODY), para(BODY.replace("three", "four"))])])
    return path.read_bytes()


def _encrypted_pdf(tmp: Path, password: str) -> bytes:
    path = tmp / "enc-source.pdf"
    make_pdf(path, [PageSpec([para(BODY)])], encrypt_password=password)
    return path.read_bytes()


def _flate_bomb(size: int) -> bytes:
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    return b"".join(comp.compress(chunk) for _ in range(size >> 20)) + comp.flush()


def _nested_pages(depth: int) -> tuple[str, tuple[bytes, ...]]:
    """Pages 2 -> 6 -> 7 -> ... -> the real page 3: a page tree `depth` levels deep."""
    first = 6
    objs = []
    for i in range(depth):
        n = first + i
        kid = f"{n + 1} 0 R" if i < depth - 1 else "3 0 R"
        objs.append(f"<< /Type /Pages /Kids [{kid}] /Count 1 >>".encode())
    return f"<< /Type /Pages /Kids [{first} 0 R] /Count 1 >>", tuple(objs)


def _tag(i: int) -> str:
    """A made-up place name per page: identical lines on every page would be dropped as a running header."""
    letters = ""
    for _ in range(4):
        letters += "bcdfghjklmnpqrstvwxz"[i % 20]
        i //= 20
    return letters.title()


def many_pages(n: int) -> bytes:
    """A PDF of `n` pages, each with its own short content stream."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                         b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for i in range(n):
        stream = _content(f"At {_tag(i)} armed men burned the granaries near the river crossing.")
        objs.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objs)} 0 R "
                    "/Resources << /Font << /F1 3 0 R >> >> >>".encode())
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {n} >>".encode()
    return _serialise(objs, b"%PDF-1.7\n")


@dataclass(frozen=True)
class Case:
    """One hostile file: how to make it, and what a good outcome is.

    expect: "error" (a clear per-file error), "ok" (a bounded correct result: `contains` is in the text),
    or "either" (the file is damaged in a way some readers repair: an error or a correct result)."""

    name: str
    filename: str
    make: Callable[[Path], bytes]
    expect: str
    contains: str = ""
    error_match: str = ""
    xfail: str = ""  # a known bug in extract.py, routed to its owner; kept so the fix is noticed
    in_batch: bool = True  # False: too slow to classify in the suite's budget (extraction is still probed)
    seconds: int = 60  # time allowed for extraction; over 60 marks the case slow


def _truncated(tmp: Path) -> bytes:
    good = _good_pdf(tmp)
    return good[: len(good) // 2]


def _deep_array(depth: int) -> bytes:
    return raw_pdf(extra_catalog=f"/Junk {'[' * depth}1{']' * depth}")


def _pages_loop() -> bytes:
    # The page tree's only kid is the tree itself.
    return raw_pdf(pages_dict="<< /Type /Pages /Kids [2 0 R] /Count 1 >>")


def _mixed_encoding(_: Path) -> bytes:
    return ("Rapport de la mission à Gao : les déplacés ".encode() + "dénoncent les exactions".encode("cp1252")
            + b"\n\n" + BODY.encode())


CASES: tuple[Case, ...] = (
    Case("empty file", "empty.pdf", lambda t: b"", "error", error_match="empty"),
    Case("PDF header only", "header-only.pdf", lambda t: b"%PDF-1.4\n", "error", error_match="damaged|no pages"),
    Case("truncated PDF", "truncated.pdf", _truncated, "either", contains="granaries",
         error_match="damaged|truncated"),
    Case("garbage after the PDF header", "garbage.pdf", lambda t: b"%PDF-1.7\n" + bytes(range(256)) * 400,
         "error", error_match="damaged|no pages"),
    Case("password-protected PDF", "locked.pdf", lambda t: _encrypted_pdf(t, "s3cret"), "error",
         error_match="password-protected"),
    Case("encrypted PDF with an empty user password", "owner-only.pdf", lambda t: _encrypted_pdf(t, ""), "ok",
         contains="granaries"),
    Case("PDF with a JavaScript OpenAction", "javascript.pdf", lambda t: raw_pdf(
        extra_catalog="/OpenAction 6 0 R /Names << /JavaScript << /Names [(x) 6 0 R] >> >>",
        extra_objects=(b"<< /S /JavaScript /JS (app.launchURL\\('http://198.51.100.7/x'\\);) >>",)),
        "ok", contains="granaries"),
    Case("PDF with an embedded executable file", "embedded.pdf", lambda t: raw_pdf(
        extra_catalog="/Names << /EmbeddedFiles << /Names [(run.exe) 6 0 R] >> >>",
        extra_objects=(b"<< /Type /Filespec /F (run.exe) /EF << /F 7 0 R >> >>",
                       b"<< /Type /EmbeddedFile /Length 4 >>\nstream\nMZ\x90\x00\nendstream")),
        "ok", contains="granaries"),
    Case("decompression bomb in an embedded stream (256 KB -> 256 MB)", "bomb-embedded.pdf", lambda t: raw_pdf(
        extra_catalog="/Names << /EmbeddedFiles << /Names [(big.bin) 6 0 R] >> >>",
        extra_objects=(b"<< /Type /Filespec /F (big.bin) /EF << /F 7 0 R >> >>",
                       (lambda z: f"<< /Type /EmbeddedFile /Filter /FlateDecode /Length {len(z)} >>\nstream\n"
                        .encode() + z + b"\nendstream")(_flate_bomb(256 << 20)))),
        "ok", contains="granaries"),
    Case("decompression bomb as the page content (200 KB -> 200 MB)", "bomb-content.pdf",
         lambda t: raw_pdf(content=_flate_bomb(200 << 20), filters="/Filter /FlateDecode"),
         "error", error_match="no text|damaged|too large|limit"),
    Case("array nested 100,000 deep", "deep-array.pdf", lambda t: _deep_array(100_000), "either",
         contains="granaries", error_match="damaged"),
    Case("page tree nested 3,000 deep", "deep-pages.pdf",
         lambda t: raw_pdf(pages_dict=_nested_pages(3000)[0], extra_objects=_nested_pages(3000)[1]),
         "either", contains="granaries", error_match="damaged|no pages"),
    # pdfminer notices the loop and falls back to finding /Type /Page objects: either outcome is fine.
    Case("page tree that contains itself", "pages-loop.pdf", lambda t: _pages_loop(), "either",
         contains="granaries", error_match="damaged|no pages"),
    Case("page with a zero-size MediaBox", "zero-box.pdf", lambda t: raw_pdf(media_box="[0 0 0 0]"), "either",
         contains="granaries", error_match="damaged|no text"),
    Case("page count that lies (1,000,000)", "count-lie.pdf",
         lambda t: raw_pdf(pages_dict="<< /Type /Pages /Kids [3 0 R] /Count 1000000 >>"), "ok",
         contains="granaries"),
    Case("cp1252 text (not UTF-8)", "windows.txt",
         lambda t: "Les déplacés de Ménaka témoignent: « ils ont brûlé nos greniers ».\n".encode("cp1252"),
         "ok", contains="déplacés"),
    Case("mixed UTF-8 and cp1252 in one file", "mixed.txt", _mixed_encoding, "ok", contains="à Gao : les déplacés"),
    Case("UTF-16 with a byte-order mark", "utf16.txt", lambda t: ("\ufeff" + BODY).encode("utf-16-le"), "ok",
         contains="granaries"),
    Case("binary bytes named .txt", "binary.txt", lambda t: bytes(range(256)) * 64, "error",
         error_match="binary|convert"),
    Case("a ZIP named .pdf", "archive.pdf", lambda t: b"PK\x03\x04" + b"\x00" * 200, "error",
         error_match="convert|not a PDF|damaged"),
    # Extraction and segmentation are linear (0.2 s for 200 KB); classifying its 2,000 passages with cue
    # explanations takes minutes, so the batch run leaves it out.
    Case("a 2 MB single line of text", "one-line.txt", lambda t: (BODY + " ").encode() * 16_000, "ok",
         contains="granaries", in_batch=False),
    # Linear in pages: 33 s and 71 MB peak for the 10,000 pages on a 2-core machine at load 23.
    Case("10,000-page PDF", "ten-thousand-pages.pdf", lambda t: many_pages(10_000), "ok", contains="At Bbbb armed",
         in_batch=False, seconds=240),
    Case("NUL bytes in text", "nul.txt", lambda t: BODY.encode() + b"\x00" * 50 + BODY.encode(), "error",
         error_match="binary|convert"),
)

# Names that have broken other tools: path pieces, newlines, shell syntax, right-to-left override.
HOSTILE_NAMES = (
    "..\\..\\windows-style.txt",
    "..%2F..%2Fetc%2Fpasswd.txt",
    "line\nbreak.txt",
    "$(touch PWNED); `touch PWNED2` | rm -rf x & y.txt",
    "report\u202etxt.exe.txt",
    "-rf --db=other.db.txt",
    "'quote\" and \\backslash.txt",
)


# -- Word, web pages, e-mail (issue 3's formats) -------------------------------------------------------
_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
           + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)) + "]>")


def _word(*, extra_zeros: int = 0, laughs: bool = False) -> bytes:
    """A real .docx (python-docx), optionally with a member of `extra_zeros` bytes or a billion-laughs DTD."""
    import io
    import zipfile

    import docx

    d = docx.Document()
    d.add_paragraph(BODY)
    raw = io.BytesIO()
    d.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info)
            if laughs and info.filename == "word/document.xml":
                end = part.index(b"?>") + 2
                part = part[:end] + _LAUGHS.encode() + part[end:].replace(b"granaries", b"&lol9;")
            dst.writestr(info.filename, part)
        if extra_zeros:
            with dst.open("word/media/image1.bin", "w") as f:
                for _ in range(extra_zeros >> 20):
                    f.write(bytes(1 << 20))
    return out.getvalue()


def _mail_with(attachments: tuple[tuple[str, bytes], ...], *, nest: int = 0) -> bytes:
    """A message whose body is BODY, with the given attachments, forwarded inside `nest` more messages."""
    from email.message import EmailMessage

    def message(subject: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["Subject"] = "field@example.org", subject
        msg["Date"], msg["Message-ID"] = "Sat, 14 Mar 2026 08:15:00 +0000", f"<{subject}@example.org>"
        msg.set_content(BODY + "\n")
        return msg

    msg = message("innermost")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    for depth in range(nest):
        outer = message(f"forward-{depth}")
        outer.add_attachment(msg)
        msg = outer
    return msg.as_bytes()


_SCRIPTED_PAGE = (f"<!DOCTYPE html><html><head><title>t</title><script>alert('SCRIPT_RAN')</script></head>"
                  f"<body onload=\"alert('ONLOAD')\"><p>{BODY}</p><script>document.write('WRITTEN')</script>"
                  "<img src=x onerror=\"alert('IMG')\"><iframe src=\"javascript:alert('FRAME')\"></iframe></body></html>")
# E-mails with attachments become several inputs in a batch run, which the batch test's arithmetic does not
# count; their attachments are checked in tests/test_formats.py instead.
CASES += (
    Case("a .docx zip bomb (80 MB of zeros in one member)", "bomb.docx", lambda t: _word(extra_zeros=80 << 20),
         "error", error_match="zip bomb"),
    Case("XML entity expansion (billion laughs) in a .docx", "laughs.docx", lambda t: _word(laughs=True),
         "error", error_match="DTD or XML entities"),
    Case("XML entity expansion (billion laughs) in a web page", "laughs.html",
         lambda t: f'<?xml version="1.0"?>{_LAUGHS}<html><body><p>&lol9; {BODY}</p></body></html>'.encode(),
         "error", error_match="declares XML entities"),
    Case("a web page full of scripts (none may run or show)", "scripted.html", lambda t: _SCRIPTED_PAGE.encode(),
         "ok", contains="granaries"),
    Case("an e-mail forwarded 40 messages deep", "deep-forward.eml", lambda t: _mail_with((), nest=40), "ok",
         contains="granaries", in_batch=False),
    Case("an e-mail with 5,000 nested MIME parts", "deep-mime.eml",
         lambda t: ("From: a@example.org\nDate: Sat, 14 Mar 2026 08:15:00 +0000\nMIME-Version: 1.0\n"
                    + "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(5000))
                    + f"Content-Type: text/plain\n\n{BODY}\n").encode(),
         "error", error_match="MIME parts"),
    Case("an e-mail whose attachment is a .docx zip bomb", "bomb-attached.eml",
         lambda t: _mail_with((("bomb.docx", _word(extra_zeros=80 << 20)),)), "ok", contains="granaries",
         in_batch=False),
)
