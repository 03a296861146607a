"""OCR of scanned PDF pages: image-only PDFs made here from laid-out reports, read back with Tesseract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rapidfuzz.distance import Levenshtein
from typer.testing import CliRunner

from tests.pdfgen import PageSpec, make_image_pdf, make_pdf, para, scan_pdf, title
from triage.config import OcrSettings, load_config
from triage.errors import ConfigError, ExtractionError
from triage.read.extract import extract_document
from triage.read.pdf.ocr import parse_tsv, scan_dpi

TESSERACT = shutil.which("tesseract")
needs_tesseract = pytest.mark.skipif(TESSERACT is None, reason="Tesseract is not installed (make test installs it)")

REPORT = [
    title("Flash Update No. 7: Northern Region"),
    para("Armed groups attacked the main market in Kidal during the night, according to several witnesses. "
         "Two hundred families fled towards the river and the district council closed the schools."),
    para("Humanitarian partners could not reach the regional hospital because the northern checkpoint "
         "remained closed for the third day."),
]
FRENCH = [
    title("Rapport de situation"),
    para("Les déplacés de Ménaka témoignent : ils ont brûlé nos greniers et détruit les écoles. "
         "Les élèves n'ont plus de cours depuis février, et la sécurité se dégrade près du fleuve."),
]


def word_accuracy(truth: str, got: str) -> float:
    a, b = truth.split(), got.split()
    return 1.0 - Levenshtein.distance(a, b) / max(len(a), len(b), 1)


def scanned(tmp_path: Path, name: str, pages: list[PageSpec], **kwargs: float) -> tuple[Path, str]:
    """An image-only PDF of a laid-out report, and the report's text."""
    truth = make_pdf(tmp_path / f"{name}-born-digital.pdf", pages)
    path = tmp_path / f"{name}.pdf"
    scan_pdf(tmp_path / f"{name}-born-digital.pdf", path, **kwargs)  # type: ignore[arg-type]
    return path, truth


def two_page_mixed(tmp_path: Path) -> Path:
    """A PDF whose page 1 has a text layer and page 2 is only a picture of text."""
    import pypdfium2 as pdfium

    digital = tmp_path / "digital.pdf"
    make_pdf(digital, [PageSpec([para("The monitoring team documented the weekly food distribution in Gao.")])])
    scan, _ = scanned(tmp_path, "scan", [PageSpec(REPORT)])
    out = pdfium.PdfDocument.new()
    for source in (digital, scan):
        src = pdfium.PdfDocument(str(source))
        out.import_pages(src)
        src.close()
    path = tmp_path / "mixed.pdf"
    out.save(str(path))
    out.close()
    return path


@needs_tesseract
@pytest.mark.slow
def test_scanned_report_is_read_and_marked_with_a_confidence(tmp_path: Path) -> None:
    path, truth = scanned(tmp_path, "report", [PageSpec(REPORT)])
    doc = extract_document(path)
    assert word_accuracy(truth, doc.text) >= 0.95, doc.text
    assert "Kidal" in doc.text and "checkpoint" in doc.text
    assert [(p.ocr, p.needs_ocr) for p in doc.pages] == [(True, False)]
    meta = dict(doc.metadata)
    assert meta["ocr_pages"] == "1"
    assert 80.0 <= float(meta["ocr_confidence"]) <= 100.0
    assert doc.title.startswith("Flash Update No. 7")


@needs_tesseract
@pytest.mark.slow
def test_french_scan_keeps_its_accents(tmp_path: Path) -> None:
    path, truth = scanned(tmp_path, "rapport", [PageSpec(FRENCH)])
    doc = extract_document(path)
    for word in ("déplacés", "Ménaka", "témoignent", "brûlé", "élèves", "février", "sécurité", "dégrade"):
        assert word in doc.text, (word, doc.text)
    assert word_accuracy(truth, doc.text) >= 0.9


@needs_tesseract
@pytest.mark.slow
def test_two_column_scan_is_read_column_by_column(tmp_path: Path) -> None:
    ordinals = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
    left = " ".join(f"Amber {n} witnesses described the attack on the market." for n in ordinals)
    right = " ".join(f"Cobalt {n} families returned to the villages near the river." for n in ordinals)
    path, truth = scanned(tmp_path, "columns", [PageSpec([para(left), para(right)], columns=2)], skew=0.3)
    text = extract_document(path).text
    words = text.split()
    markers = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a in ("Amber", "Cobalt")]
    # Reading order: the whole left column, then the whole right one, never alternating line by line.
    assert markers == [f"Amber {n}" for n in ordinals] + [f"Cobalt {n}" for n in ordinals]
    assert word_accuracy(truth, text) >= 0.95


@needs_tesseract
@pytest.mark.slow
def test_scan_beside_a_text_page_is_ocred_and_the_text_page_is_not(tmp_path: Path) -> None:
    doc = extract_document(two_page_mixed(tmp_path))
    first, second = doc.pages
    assert not first.ocr and second.ocr and not second.needs_ocr
    assert "food distribution in Gao" in doc.text[first.start : first.end]
    assert "Kidal" in doc.text[second.start : second.end]
    assert dict(doc.metadata)["ocr_pages"] == "2"


def test_missing_tesseract_reports_the_scan_as_needing_ocr(tmp_path: Path) -> None:
    settings = OcrSettings(tesseract=str(tmp_path / "no-such-tesseract"))
    make_image_pdf(tmp_path / "scan.pdf", ["Situation report", "Armed groups attacked the market"])
    with pytest.raises(ExtractionError, match=r"scan\.pdf has no text layer.*needs OCR.*Tesseract was not found"):
        extract_document(tmp_path / "scan.pdf", ocr_settings=settings)
    # Beside a page with text, the scan is not an error: it is marked, with the reason, never silently empty.
    doc = extract_document(two_page_mixed(tmp_path), ocr_settings=settings)
    assert [(p.ocr, p.needs_ocr) for p in doc.pages] == [(False, False), (False, True)]
    assert dict(doc.metadata)["needs_ocr"].startswith("2: Tesseract was not found")
    assert "Kidal" not in doc.text and "food distribution" in doc.text


@needs_tesseract
def test_a_page_over_the_time_limit_is_killed_and_reported(tmp_path: Path) -> None:
    # Tesseract needs far more than 10 ms to load its models, so every page runs out of time.
    settings = OcrSettings(timeout=0.01)
    doc = extract_document(two_page_mixed(tmp_path), ocr_settings=settings)
    assert [(p.ocr, p.needs_ocr) for p in doc.pages] == [(False, False), (False, True)]
    assert "longer than the 0.01 s limit" in dict(doc.metadata)["needs_ocr"]
    make_image_pdf(tmp_path / "slow.pdf", ["Situation report"])
    with pytest.raises(ExtractionError, match=r"slow\.pdf .*needs OCR.*longer than the 0\.01 s limit"):
        extract_document(tmp_path / "slow.pdf", ocr_settings=settings)


@needs_tesseract
def test_a_missing_language_is_reported(tmp_path: Path) -> None:
    make_image_pdf(tmp_path / "scan.pdf", ["Situation report"])
    with pytest.raises(ExtractionError, match=r"needs OCR.*Tesseract failed.*'zzz'"):
        extract_document(tmp_path / "scan.pdf", ocr_settings=OcrSettings(languages="zzz"))


@needs_tesseract
def test_blank_scans_fail_clearly_even_after_ocr(tmp_path: Path) -> None:
    make_image_pdf(tmp_path / "white.pdf", [], pages=2)  # white pictures: scans of empty sheets
    with pytest.raises(ExtractionError, match=r"white\.pdf has no text on any page, even after OCR of 2 scanned pages"):
        extract_document(tmp_path / "white.pdf")


def test_tsv_words_take_their_line_height_and_specks_are_dropped() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t100\t210\t60\t30\t96.0\tArmed",  # "Armed" has an ascender: taller box
        "5\t1\t1\t1\t1\t2\t170\t218\t50\t22\t91.0\tgroups",
        "5\t1\t1\t1\t1\t3\t230\t200\t4\t60\t12.0\t|",  # a speck in the margin
        "5\t1\t1\t1\t1\t4\t240\t210\t10\t30\t-1\t ",  # no text
        "4\t1\t1\t1\t1\t0\t100\t200\t150\t60\t-1\t",  # a line row, not a word
    ]
    page = parse_tsv("\n".join([header, *rows]), scale=0.5, width=1000, height=2000)
    assert [w["text"] for w in page.words] == ["Armed", "groups"]
    assert {(w["top"], w["bottom"]) for w in page.words} == {(105.0, 120.0)}
    assert page.words[1]["x0"] == 85.0 and page.words[1]["x1"] == 110.0
    assert (page.width, page.height, page.confidence) == (500.0, 1000.0, 93.5)


def test_ocr_settings_are_checked_and_read_from_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ocr_languages"):
        load_config(ocr_languages="eng fra; rm -rf /")
    with pytest.raises(ConfigError, match="ocr_dpi"):
        load_config(ocr_dpi=2000)
    path = tmp_path / "triage.toml"
    path.write_text('ocr = false\nocr_languages = "fra"\nocr_timeout = 5\ntesseract = "/opt/t"\n', encoding="utf-8")
    settings = load_config(path).ocr_settings
    assert settings == OcrSettings(enabled=False, languages="fra", timeout=5.0, tesseract="/opt/t")


@needs_tesseract
@pytest.mark.slow
def test_scan_command_shows_ocr_pages_and_pages_needing_ocr(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from triage.cli import app

    mixed = two_page_mixed(tmp_path)
    with_ocr, without = tmp_path / "ocr.toml", tmp_path / "no-ocr.toml"
    models = f'models_dir = "{trained_config.models_dir}"\n'
    with_ocr.write_text(models, encoding="utf-8")
    without.write_text(models + f'tesseract = "{tmp_path / "none"}"\n', encoding="utf-8")
    runner = CliRunner()
    human = runner.invoke(app, ["scan", str(mixed), "--config", str(with_ocr)])
    assert human.exit_code == 0, human.output
    assert "OCR: read page(s) 2 from scans, mean word confidence" in human.output
    data = json.loads(runner.invoke(app, ["scan", str(mixed), "--json", "--config", str(with_ocr)]).output)
    assert data["document"]["ocr_pages"] == [2] and data["document"]["ocr_confidence"] > 80
    assert any("Kidal" in p["text"] and p["page"] == 2 for p in data["passages"])
    result = runner.invoke(app, ["scan", str(mixed), "--config", str(without)])
    assert result.exit_code == 0, result.output
    assert "needs OCR, text missing on page 2: Tesseract was not found" in result.output


def test_scans_are_read_at_their_own_resolution_within_limits() -> None:
    assert [scan_dpi(native, 300) for native in (0.0, 150.0, 240.0, 300.0, 600.0)] == [200, 200, 240, 300, 300]
    assert scan_dpi(300.0, 150) == 150  # the configured limit wins over the floor
