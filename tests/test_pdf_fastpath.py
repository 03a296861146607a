"""The PDFium fast path: word assembly (footnote markers, fake bold, kerning) and hostile PDFs that must
give a bounded, correct result or a clear error quickly. Big PDFs are written as raw objects, not laid out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from tests.pdfgen import PageSpec, make_pdf, para
from triage.errors import ExtractionError
from triage.read.extract import extract_document
from triage.read.pdf.reader import extract_pdf as _extract_pdf

SENTENCE = "Armed groups blocked the convoy near the river crossing and detained two drivers."


def raw_pdf(page_streams: list[bytes], *, share: bool = False) -> bytes:
    """A minimal valid PDF with one page per content stream (Helvetica as /F1), xref offsets computed.

    With `share`, every page uses the first stream object, so thousands of pages cost a few bytes each.
    """
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages, filled in below
    font = len(objects) + 1
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    stream_ids = []
    for stream in page_streams[:1] if share else page_streams:
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        stream_ids.append(len(objects))
    kids = []
    for i in range(len(page_streams)):
        content = stream_ids[0] if share else stream_ids[i]
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content, font)
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_footnote_marker_is_detached_from_the_word(tmp_path: Path) -> None:
    canvas = Canvas(str(tmp_path / "fn.pdf"), pagesize=A4, invariant=True)
    text = canvas.beginText(72, 700)
    text.setFont("Times-Roman", 11)
    text.textOut("The mission raised the alert,")
    text.setFont("Times-Roman", 6)
    text.setRise(4)
    text.textOut("5")
    text.setRise(0)
    text.setFont("Times-Roman", 11)
    text.textOut("and the council met the next day.")
    canvas.drawText(text)
    canvas.showPage()
    canvas.save()
    doc = extract_document(tmp_path / "fn.pdf")
    assert "alert,5and" not in doc.text
    assert doc.text.split() == "The mission raised the alert, 5 and the council met the next day.".split()


def test_fake_bold_overprint_is_read_once(tmp_path: Path) -> None:
    canvas = Canvas(str(tmp_path / "bold.pdf"), pagesize=A4, invariant=True)
    canvas.setFont("Helvetica", 12)
    for dx in (0.0, 0.3, 0.6):  # the same line printed three times, slightly offset, to look bold
        canvas.drawString(72 + dx, 700, "Emergency Response Plan")
    canvas.drawString(72, 680, SENTENCE)
    canvas.showPage()
    canvas.save()
    assert extract_document(tmp_path / "bold.pdf").text.split() == ["Emergency", "Response", "Plan", *SENTENCE.split()]


def test_double_letters_are_not_taken_for_overprints(tmp_path: Path) -> None:
    truth = make_pdf(tmp_path / "ll.pdf", [PageSpec([para("Attacks committed at the hill village: all battle reports.")])])
    assert extract_document(tmp_path / "ll.pdf").text == truth


def test_fast_path_agrees_with_pdfplumber_on_a_laid_out_report(tmp_path: Path) -> None:
    truth = make_pdf(tmp_path / "r.pdf", [PageSpec([para(SENTENCE * 3)] * 40, columns=2)], header="Update {page}")
    data = (tmp_path / "r.pdf").read_bytes()
    fast = _extract_pdf(data, "id", "r.pdf")
    assert len(fast.pages) > 1  # so the running header is recognised and dropped
    slow = _extract_pdf(data, "id", "r.pdf", engine="pdfplumber")
    assert fast.text.split() == truth.split()  # (a paragraph broken by the page end stays split in both)
    assert fast.text == slow.text
    assert fast.pages == slow.pages


def test_rotated_page_is_read_upright(tmp_path: Path) -> None:
    canvas = Canvas(str(tmp_path / "rot.pdf"), pagesize=A4, invariant=True)
    canvas.setFont("Helvetica", 12)
    canvas.rotate(90)  # drawn turned a quarter anticlockwise on a page shown a quarter clockwise: upright
    canvas.drawString(72, -100, SENTENCE)
    canvas.setPageRotation(90)
    canvas.showPage()
    canvas.save()
    assert extract_document(tmp_path / "rot.pdf").text == SENTENCE


def test_corrupt_xref_is_repaired_or_refused_clearly(tmp_path: Path) -> None:
    stream = b"BT /F1 12 Tf 72 700 Td (" + SENTENCE.encode() + b") Tj ET"
    data = bytearray(raw_pdf([stream]))
    xref = data.rindex(b"xref\n")
    data[xref + 30 : xref + 80] = b"9" * 50  # offsets now point nowhere
    doc = extract_document(tmp_path / "x.pdf", data=bytes(data), source="x.pdf")
    assert doc.text == SENTENCE


def test_five_thousand_blank_pages_fail_fast_and_clearly(tmp_path: Path) -> None:
    data = raw_pdf([b""] * 5000, share=True)
    start = time.perf_counter()
    with pytest.raises(ExtractionError, match=r"blank\.pdf has no text layer on any page"):
        extract_document(tmp_path / "blank.pdf", data=data, source="blank.pdf")
    assert time.perf_counter() - start < 30


def test_five_thousand_pages_with_one_text_page(tmp_path: Path) -> None:
    text = b"BT /F1 12 Tf 72 700 Td (" + SENTENCE.encode() + b") Tj ET"
    data = raw_pdf([text] + [b""] * 4999)
    doc = extract_document(tmp_path / "long.pdf", data=data, source="long.pdf")
    assert len(doc.pages) == 5000
    assert doc.text.strip() == SENTENCE
    assert doc.pages[1].needs_ocr  # blank pages are reported as needing OCR, never silently empty


def test_page_with_millions_of_characters_is_bounded(tmp_path: Path) -> None:
    line = b"(" + b"abcdefghij " * 100 + b") Tj 0 -1 Td "
    stream = b"BT /F1 1 Tf 1 841 Td " + line * 2000 + b"ET"  # 2.2 million glyphs on one page
    data = raw_pdf([stream])
    start = time.perf_counter()
    doc = extract_document(tmp_path / "dump.pdf", data=data, source="dump.pdf")
    elapsed = time.perf_counter() - start
    assert dict(doc.metadata)["truncated_pages"] == "1"
    words = doc.text.split()
    assert 10_000 < len(words) <= 200_000 // 10
    assert set(words) == {"abcdefghij"}
    assert elapsed < 60


def test_a_page_count_that_lies_gives_the_real_pages() -> None:
    from tests.hostile.cases import raw_pdf

    data = raw_pdf(pages_dict="<< /Type /Pages /Kids [3 0 R] /Count 1000000 >>")
    doc = extract_document("count-lie.pdf", data=data)
    assert len(doc.pages) == 1
    assert "granaries" in doc.text
