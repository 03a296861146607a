"""Extraction: reading order on laid-out PDFs with known ground truth, plain text, and clear errors."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pdfgen import (
    PageSpec,
    column_break,
    heading,
    make_image_pdf,
    make_pdf,
    para,
    paragraphs_from_text,
    title,
)
from triage.config import OcrSettings
from triage.errors import ExtractionError
from triage.read.extract import extract_document
from triage.types import Document

# CI lays shared/ beside the clone; a worktree elsewhere names it with TRIAGE_SHARED.
SHARED = Path(os.environ.get("TRIAGE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
ODD = SHARED / "evaldata" / "pdfs-odd"
SEED = SHARED / "seeds" / "000_272c5c7476da60be.txt"

EVENT = (
    "Armed groups attacked the village at dawn and burned the market. Witnesses described the killing of "
    "civilians who tried to flee towards the river crossing near the district headquarters."
)
LONG_WORDS = (
    "international humanitarian organisations documented systematic discrimination, intimidation and "
    "disappearances; investigators recommended accountability mechanisms, reparations and reconciliation."
)


def paragraphs(n: int, tag: str, body: str = EVENT) -> list:
    """Numbered paragraphs of varied length, so columns end mid-paragraph."""
    return [para(f"{tag} paragraph {i}. " + body * (1 + i % 3)) for i in range(n)]


def word_ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def check_pages(doc: Document) -> None:
    """Page offsets tile Document.text: pages in order, separated by exactly one blank line."""
    assert [p.number for p in doc.pages] == list(range(1, len(doc.pages) + 1))
    assert "\n\n".join(doc.text[p.start : p.end] for p in doc.pages) == doc.text
    for before, after in zip(doc.pages, doc.pages[1:], strict=False):
        assert after.start == before.end + 2


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available (shared/ is not beside the repo)")
    return path


# --- layout ------------------------------------------------------------------------------------------


def test_single_column_comes_back_unchanged(tmp_path: Path) -> None:
    truth = make_pdf(tmp_path / "one.pdf", [PageSpec([heading("Background"), *paragraphs(5, "Single")])])
    doc = extract_document(tmp_path / "one.pdf")
    assert doc.text == truth  # same words, same paragraph breaks, nothing split into columns
    check_pages(doc)


def test_two_columns_read_left_then_right(tmp_path: Path) -> None:
    truth = make_pdf(tmp_path / "two.pdf", [PageSpec(paragraphs(9, "Col"), columns=2)])
    doc = extract_document(tmp_path / "two.pdf")
    assert doc.text.split() == truth.split()
    starts = [doc.text.index(f"Col paragraph {i}.") for i in range(9)]
    assert starts == sorted(starts)  # left-column paragraphs before right-column ones
    assert doc.text == truth  # a paragraph cut by the column break is joined again


def test_short_columns_after_an_explicit_break(tmp_path: Path) -> None:
    left, right = paragraphs(2, "Left"), paragraphs(2, "Right")
    truth = make_pdf(
        tmp_path / "b.pdf", [PageSpec([title("Brief"), *left, column_break(), *right], columns=2)]
    )
    import pdfplumber  # to prove the two sides really sit side by side

    with pdfplumber.open(tmp_path / "b.pdf") as pdf:
        assert "village at Right paragraph 0." in pdf.pages[0].extract_text()  # interleaved there
    assert extract_document(tmp_path / "b.pdf").text == truth


def test_full_width_title_stays_above_two_columns(tmp_path: Path) -> None:
    heading_text = "Situation report: armed violence and displacement in the North District, January to March"
    truth = make_pdf(tmp_path / "t.pdf", [PageSpec([title(heading_text), *paragraphs(9, "Col")], columns=2)])
    doc = extract_document(tmp_path / "t.pdf")
    assert doc.text.split("\n\n")[0] == heading_text  # both title lines, as one paragraph, first
    assert doc.text == truth


def test_three_columns_and_headings(tmp_path: Path) -> None:
    blocks = [title("Three columns"), heading("Incidents"), *paragraphs(6, "Tri"), heading("Response")]
    truth = make_pdf(tmp_path / "three.pdf", [PageSpec([*blocks, *paragraphs(6, "More")], columns=3)])
    doc = extract_document(tmp_path / "three.pdf")
    assert doc.text == truth


@pytest.mark.parametrize("n_pages", [2, 3])
def test_running_header_and_footer_dropped(tmp_path: Path, n_pages: int) -> None:
    pages = [PageSpec(paragraphs(4, f"Page{n}"), columns=2) for n in range(n_pages)]
    truth = make_pdf(tmp_path / "h.pdf", pages, header="Flash Update No. 4 - DEMO", footer="Page {page} of 9")
    doc = extract_document(tmp_path / "h.pdf")
    assert "Flash Update" not in doc.text and "of 9" not in doc.text
    assert doc.text == truth
    assert ("running_lines_removed", str(2 * n_pages)) in doc.metadata


def test_single_page_keeps_its_header(tmp_path: Path) -> None:
    # One page gives no evidence that a first line repeats, so nothing is dropped.
    truth = make_pdf(tmp_path / "h1.pdf", [PageSpec(paragraphs(2, "P"))], header="Flash Update No. 4")
    assert extract_document(tmp_path / "h1.pdf").text == "Flash Update No. 4\n\n" + truth


@pytest.mark.parametrize("columns", [1, 2])
def test_indented_paragraphs_without_spacing(tmp_path: Path, columns: int) -> None:
    spec = PageSpec(paragraphs(7, "Ind"), columns=columns)
    truth = make_pdf(tmp_path / "ind.pdf", [spec], indent=14.0, paragraph_gap=0.0)
    assert extract_document(tmp_path / "ind.pdf").text == truth


def test_line_end_hyphens_are_joined(tmp_path: Path) -> None:
    truth = make_pdf(
        tmp_path / "hy.pdf", [PageSpec(paragraphs(6, "Hy", LONG_WORDS), columns=2)], hyphenate=True
    )
    import pdfplumber  # only to prove the fixture really breaks words at line ends

    with pdfplumber.open(tmp_path / "hy.pdf") as pdf:
        raw = pdf.pages[0].extract_text()
    assert re.search(r"[a-z]-\n[a-z]", raw)
    doc = extract_document(tmp_path / "hy.pdf")
    assert doc.text == truth


def test_real_hyphen_at_line_end_kept_when_document_uses_it(tmp_path: Path) -> None:
    # "well-known" appears inside a line elsewhere, so a break after "well-" keeps its hyphen.
    text = "a well-known pattern of well-known abuses " * 30
    make_pdf(tmp_path / "wk.pdf", [PageSpec([para(text)])])
    doc = extract_document(tmp_path / "wk.pdf")
    assert "wellknown" not in doc.text
    assert doc.text.count("well-known") == 60


def test_multi_page_offsets_and_blank_page(tmp_path: Path) -> None:
    specs = [PageSpec(paragraphs(2, "First")), PageSpec([]), PageSpec(paragraphs(3, "Third"), columns=2)]
    make_pdf(tmp_path / "m.pdf", specs, title="Quarterly report")
    doc = extract_document(tmp_path / "m.pdf")
    check_pages(doc)
    first, blank, third = doc.pages
    assert doc.text[first.start : first.end].startswith("First paragraph 0.")
    assert blank.start == blank.end and blank.needs_ocr and not first.needs_ocr
    assert doc.text[third.start : third.end].startswith("Third paragraph 0.")
    assert doc.page_at(third.start + 5) == 3
    assert doc.title == "Quarterly report"
    assert ("Title", "Quarterly report") in doc.metadata and ("pages", "3") in doc.metadata
    assert list(doc.metadata) == sorted(doc.metadata)


def test_identity_source_and_title_fallback(tmp_path: Path) -> None:
    make_pdf(tmp_path / "x.pdf", [PageSpec([title("Mali: attack on a convoy"), *paragraphs(1, "P")])])
    data = (tmp_path / "x.pdf").read_bytes()
    doc = extract_document("ignored-name.pdf", data=data, source="inbox/mali.pdf")
    assert doc.id == hashlib.sha256(data).hexdigest()
    assert doc.source == "inbox/mali.pdf" and doc.media_type == "application/pdf"
    assert doc.title == "Mali: attack on a convoy"  # no Title metadata: the first line
    assert extract_document(tmp_path / "x.pdf").source == "x.pdf"


def _with_creation_date(path: Path, stamp: str) -> bytes:
    """The PDF with reportlab's fixed creation date replaced by `stamp` (same length, so offsets hold)."""
    data = path.read_bytes()
    assert b"D:20000101000000" in data and len(stamp) == 16
    return data.replace(b"D:20000101000000", stamp.encode(), 1)


def test_a_un_style_cover_gives_its_title_line_and_its_cover_date(tmp_path: Path) -> None:
    # Laid out as UN covers are: masthead and series letter on one line, symbol, organ, date alone, title
    # above "Report of the Secretary-General". Exported three weeks after the date on its cover.
    cover = [title("United Nations S"), para("/2031/77"), para("Security Council"), para("15 July 2031"),
             para("Original: English"), heading("Situation in the northern provinces"),
             para("Report of the Secretary-General"), *paragraphs(2, "Body")]
    make_pdf(tmp_path / "cover.pdf", [PageSpec(cover)])
    doc = extract_document("cover.pdf", data=_with_creation_date(tmp_path / "cover.pdf", "D:20310805093000"))
    meta = dict(doc.metadata)
    assert doc.title == "Situation in the northern provinces"
    assert meta["report_date"] == "2031-07-15" and meta["CreationDate"].startswith("D:20310805")


def test_without_a_cover_date_the_creation_date_is_the_report_date(tmp_path: Path) -> None:
    make_pdf(tmp_path / "plain.pdf", [PageSpec([title("Weekly field note"), *paragraphs(2, "Body")])])
    doc = extract_document("plain.pdf", data=_with_creation_date(tmp_path / "plain.pdf", "D:20310805093000"))
    assert doc.title == "Weekly field note" and dict(doc.metadata)["report_date"] == "2031-08-05"


def test_a_letter_is_titled_by_its_letter_line_and_dated_by_its_cover() -> None:
    text = ("United Nations A S\n\n/86/412-\n\n/2031/90\n\nGeneral Assembly\n\nDistr.: General 2 May 2031\n\n"
            "Eighty-sixth session Agenda item 31\n\nProtection of civilians in the river districts\n\n"
            "Letter dated 30 April 2031 from the Permanent Representative of Ruritania to the United Nations "
            "addressed to the Secretary-General\n\nI have the honour to report on the attacks of last week.\n")
    doc = extract_document("letter.txt", data=text.encode())
    assert doc.title.startswith("Letter dated 30 April 2031 from the Permanent Representative of Ruritania")
    assert dict(doc.metadata)["report_date"] == "2031-05-02"


def test_a_french_cover_date_is_read() -> None:
    text = "Rapport de situation hebdomadaire\n\nGenève, le 3 mars 2031\n\nDes hommes armés ont incendié les greniers.\n"
    doc = extract_document("rapport.txt", data=text.encode())
    assert doc.title == "Rapport de situation hebdomadaire" and dict(doc.metadata)["report_date"] == "2031-03-03"


def test_seed_report_as_two_columns_keeps_word_order(tmp_path: Path) -> None:
    blocks = paragraphs_from_text(need(SEED).read_text(encoding="utf-8"))
    spec = PageSpec([title("UN Perspectives: The Future of Civilian Protection and R2P"), *blocks], columns=2)
    truth = make_pdf(
        tmp_path / "seed.pdf", [spec], header="Workshop Outcome - May 2016", footer="Page {page}"
    )
    doc = extract_document(tmp_path / "seed.pdf")
    assert len(doc.pages) >= 3
    assert word_ratio(truth, doc.text) >= 0.97
    check_pages(doc)


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=14)
_PARAGRAPH = st.lists(_WORD, min_size=3, max_size=60).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_PARAGRAPH, min_size=1, max_size=14), columns=st.sampled_from([1, 2]))
def test_any_paragraphs_come_back_in_order(tmp_path: Path, texts: list[str], columns: int) -> None:
    truth = make_pdf(
        tmp_path / "h.pdf", [PageSpec([para(t) for t in texts], columns=columns)], hyphenate=True
    )
    assert extract_document(tmp_path / "h.pdf").text.split() == truth.split()


# --- plain text --------------------------------------------------------------------------------------


def test_utf8_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"  # the name lies; the content decides
    path.write_bytes(
        "\ufeff# Côte d’Ivoire update\r\n\r\nLine one\r\nline two\r\n\r\n\r\nNext para.\r\n".encode()
    )
    doc = extract_document(path)
    assert doc.media_type == "text/plain"
    assert doc.text == "# Côte d’Ivoire update\n\nLine one line two\n\nNext para."
    assert doc.pages[0].start == 0 and doc.pages[0].end == len(doc.text) and len(doc.pages) == 1
    assert doc.title == "Côte d’Ivoire update"
    assert ("encoding", "utf-8") in doc.metadata


def test_utf16_text_file(tmp_path: Path) -> None:
    doc = extract_document("memo.txt", data="Réfugiés\r\n\r\nà Goma".encode("utf-16"))
    assert doc.text == "Réfugiés\n\nà Goma" and ("encoding", "utf-16") in doc.metadata


def test_text_mentioning_pdf_is_still_text() -> None:
    doc = extract_document("notes.txt", data=b"Convert the report to %PDF format before sending.")
    assert doc.media_type == "text/plain"


def test_cp1252_text_file_is_decoded_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Réfugiés – “déplacés” à Goma\n\nSecond paragraph.".encode("cp1252"))
    doc = extract_document(path)
    assert doc.text == "Réfugiés – “déplacés” à Goma\n\nSecond paragraph."
    meta = dict(doc.metadata)
    assert meta["encoding"] == "cp1252" and "not valid UTF-8" in meta["encoding_note"]


# --- errors ------------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(ExtractionError, match=r"empty\.pdf is empty \(0 bytes\)"):
        extract_document(tmp_path / "empty.pdf")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match="nope.pdf does not exist"):
        extract_document(tmp_path / "nope.pdf")


def test_truncated_pdf(tmp_path: Path) -> None:
    make_pdf(tmp_path / "full.pdf", [PageSpec(paragraphs(3, "T"))])
    cut = (tmp_path / "full.pdf").read_bytes()[:400]
    for data in (cut, b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"):
        with pytest.raises(ExtractionError, match=r"cut\.pdf is damaged or truncated.*retry"):
            extract_document("cut.pdf", data=data)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4, "JPEG image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "PNG image"),
        (b"PK\x03\x04" + bytes(100), "ZIP archive"),
        (bytes(range(256)) * 8, "binary data"),
        (bytes(range(128)) * 8, "binary data"),  # all ASCII, so valid UTF-8, but full of control bytes
        (b"\xff\xfe\x00", "binary data"),  # a UTF-16 byte-order mark that is not followed by text
    ],
)
def test_non_documents_say_what_they_look_like(data: bytes, what: str) -> None:
    with pytest.raises(ExtractionError, match=rf"report\.pdf looks like (an? )?{what}"):
        extract_document("report.pdf", data=data)


def test_encrypted_pdf(tmp_path: Path) -> None:
    make_pdf(tmp_path / "locked.pdf", [PageSpec(paragraphs(1, "S"))], encrypt_password="s3cret")
    with pytest.raises(
        ExtractionError, match="locked.pdf is password-protected; remove the password and retry"
    ):
        extract_document(tmp_path / "locked.pdf")


def test_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    truth = make_pdf(tmp_path / "open.pdf", [PageSpec(paragraphs(2, "O"))], encrypt_password="")
    assert extract_document(tmp_path / "open.pdf").text == truth


def test_image_only_pdf_needs_ocr_when_ocr_is_off(tmp_path: Path) -> None:
    # With OCR on, this scan is read (tests/test_ocr.py); turned off, it must fail clearly, not come out empty.
    make_image_pdf(tmp_path / "scan.pdf", ["Situation report", "Scanned page"], pages=2)
    with pytest.raises(ExtractionError, match=r"scan\.pdf has no text layer.*needs OCR.*turned off"):
        extract_document(tmp_path / "scan.pdf", ocr_settings=OcrSettings(enabled=False))


# --- real odd PDFs (pdfplumber's own test files) --------------------------------------------------------


def test_real_password_protected_pdf() -> None:
    with pytest.raises(ExtractionError, match="password-example.pdf is password-protected"):
        extract_document(need(ODD / "password-example.pdf"))


def test_real_empty_pdf() -> None:
    with pytest.raises(ExtractionError, match="empty.pdf is empty"):
        extract_document(need(ODD / "empty.pdf"))


def test_real_malformed_pdf_fails_cleanly_or_reads() -> None:
    try:
        doc = extract_document(need(ODD / "malformed-from-issue-932.pdf"))
    except ExtractionError as exc:
        assert "malformed-from-issue-932.pdf" in str(exc)
    else:
        check_pages(doc)


def test_real_three_column_federal_register() -> None:
    doc = extract_document(need(ODD / "federal-register-2020-17221.pdf"))
    assert len(doc.pages) == 15 and len(doc.text.split()) > 5000
    check_pages(doc)
    # Column order on page 1: the preamble's left column, then the middle column's addresses.
    first = doc.text[: doc.pages[0].end]
    assert first.index("the adoption of the final rules") < first.index("Federal eRulemaking Portal")
    assert "Federal Register/Vol. 85" not in doc.text  # the running header is dropped


@pytest.mark.parametrize(
    "name",
    [
        "issue-1054-example.pdf",
        "issue-33-lorem-ipsum.pdf",
        "issue-71-duplicate-chars.pdf",
        "issue-842-example.pdf",
        "nics-background-checks-2015-11-rotated.pdf",
        "scotus-transcript-p1.pdf",
    ],
)
def test_other_real_pdfs_read(name: str) -> None:
    doc = extract_document(need(ODD / name))
    assert doc.text.strip() and doc.title
    check_pages(doc)
