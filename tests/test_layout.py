"""Layout blocks: footnotes kept apart, tables as rows of cells, side boxes as blocks, and word boxes that
point back at the page. PDFs are laid out here with reportlab (tests/pdfgen.py)."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from tests.pdfgen import PageSpec, box, make_pdf, para, table, title
from triage.read.extract import extract_document
from triage.types import Document

BODY = (
    "Armed groups blocked the convoy near the river crossing and detained two drivers for questioning. "
    "Community leaders asked the district council to reopen the market before the rains."
)
ROWS = [("Location", "Incidents", "Displaced"), ("Riverside", "12", "3,400"), ("North gate", "7", "1,150")]


def test_footnotes_are_stored_apart_from_the_body(tmp_path: Path) -> None:
    notes = ["Figures from the district office as of early May.", "Partner estimate, not yet verified on site."]
    truth = make_pdf(
        tmp_path / "fn.pdf", [PageSpec([para(BODY), para(BODY)], columns=2)], footnotes=notes, footer="Page {page}"
    )
    doc = extract_document(tmp_path / "fn.pdf")
    assert doc.text.split() == truth.split()  # no note, and not the footer, in the body
    assert [(f.page, f.marker, f.text) for f in doc.footnotes] == [(1, "1", notes[0]), (1, "2", notes[1])]


def test_in_text_marker_of_a_footnote_leaves_the_sentence(tmp_path: Path) -> None:
    canvas = Canvas(str(tmp_path / "marker.pdf"), pagesize=A4, invariant=True)
    for i in range(12):
        text = canvas.beginText(72, 760 - 14 * i)
        text.setFont("Times-Roman", 11)
        text.textOut("The mission raised the alert," if i == 0 else f"Line {i} of the running text goes on here.")
        if i == 0:
            text.setFont("Times-Roman", 6)
            text.setRise(4)
            text.textOut("3")
            text.setRise(0)
            text.setFont("Times-Roman", 11)
            text.textOut(" and the council met.")
        canvas.drawText(text)
    canvas.setFont("Times-Roman", 8)
    canvas.drawString(72, 80, "3 Council minutes, seen by the team.")
    canvas.showPage()
    canvas.save()
    doc = extract_document(tmp_path / "marker.pdf")
    assert doc.text.startswith("The mission raised the alert, and the council met.")
    assert [(f.marker, f.text) for f in doc.footnotes] == [("3", "Council minutes, seen by the team.")]


def test_table_is_kept_as_rows_of_cells_and_read_once(tmp_path: Path) -> None:
    blocks = [title("Weekly update"), table(ROWS), para(BODY), para(BODY)]
    truth = make_pdf(tmp_path / "t.pdf", [PageSpec(blocks, columns=2)])
    doc = extract_document(tmp_path / "t.pdf")
    assert [t.rows for t in doc.tables] == [tuple(ROWS)]
    assert doc.text.split() == truth.split()
    assert doc.text.count("Riverside") == 1
    x0, top, x1, bottom = doc.tables[0].box
    assert 50 < x0 < x1 < A4[0] and 60 < top < bottom < 200  # just under the title


def test_side_box_is_its_own_block_not_mixed_into_the_columns(tmp_path: Path) -> None:
    note = "Key figures: twelve incidents in the north and seven in the south east this week."
    blocks = [title("Overview"), box(note), para(BODY), para(BODY), para(BODY)]
    truth = make_pdf(tmp_path / "b.pdf", [PageSpec(blocks, columns=3)])
    doc = extract_document(tmp_path / "b.pdf")
    assert doc.text.split() == truth.split()
    assert note in doc.text.split("\n\n")  # a paragraph of its own


def test_every_body_word_has_its_box_on_the_page(tmp_path: Path) -> None:
    canvas = Canvas(str(tmp_path / "w.pdf"), pagesize=A4, invariant=True)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(100, A4[1] - 200, "Shelling reported near Kadugli market")
    canvas.showPage()
    canvas.setFont("Helvetica", 12)
    canvas.drawString(300, A4[1] - 400, "Second page text")
    canvas.showPage()
    canvas.save()
    doc = extract_document(tmp_path / "w.pdf")
    start = doc.text.index("Kadugli")
    boxes = doc.boxes_for(start, start + len("Kadugli"))
    [(x0, top, x1, bottom)] = boxes[1]
    assert 100 < x0 < x1 < 400 and top < 200 < bottom  # baseline at 200 pt from the top
    second = doc.text.index("Second")
    assert list(doc.boxes_for(second, len(doc.text))) == [2]
    covered = {i for s, e, *_ in doc.iter_word_boxes() for i in range(s, e)}
    assert all(i in covered for i, ch in enumerate(doc.text) if ch.isalnum())
    assert Document.from_dict(doc.to_dict()) == doc


def test_word_boxes_follow_joined_hyphenation(tmp_path: Path) -> None:
    text = " ".join(["humanitarian accountability reconciliation discrimination"] * 12)
    make_pdf(tmp_path / "h.pdf", [PageSpec([para(text)], columns=3)], hyphenate=True)
    doc = extract_document(tmp_path / "h.pdf")
    assert "-" not in doc.text
    for start, end, page, *_ in doc.iter_word_boxes():
        word = doc.text[start:end]
        assert word and word.strip() == word and page == 1


def test_old_document_dicts_still_load() -> None:
    old = {"id": "d", "source": "s.pdf", "text": "abc", "pages": [{"number": 1, "start": 0, "end": 3}]}
    doc = Document.from_dict(old)
    assert doc.footnotes == () and doc.tables == () and doc.boxes_for(0, 3) == {}


def test_source_page_outlines_the_passage_from_its_word_boxes(tmp_path: Path) -> None:
    from PIL import Image

    from triage.read.pdf.pages import SCALE, render_page

    make_pdf(tmp_path / "r.pdf", [PageSpec([para(BODY), para("Second paragraph about the river market.")])])
    doc = extract_document(tmp_path / "r.pdf")
    start = doc.text.index("Second")
    [rect] = doc.boxes_for(start, len(doc.text))[1]
    image = render_page((tmp_path / "r.pdf").read_bytes(), 1, boxes=[rect])
    assert image.located
    picture = Image.open(io.BytesIO(image.png)).convert("RGB")
    red = lambda xy: (lambda p: p[0] > 150 and p[1] < 100 and p[2] < 100)(picture.getpixel(xy))  # noqa: E731
    x0, top, x1, bottom = (v * SCALE for v in rect)
    assert red((int(x0) - 3, int((top + bottom) / 2)))  # the outline's left edge
    assert not red((int(x0) - 3, int(top) - 40))  # nothing outlined above, over the first paragraph


def test_store_keeps_footnotes_tables_and_boxes(tmp_path: Path) -> None:
    from triage.analyse.pipeline import ScanResult
    from triage.store import Store

    make_pdf(
        tmp_path / "s.pdf", [PageSpec([title("Update"), table(ROWS), para(BODY)])], footnotes=["Source: partners."]
    )
    doc = extract_document(tmp_path / "s.pdf")
    assert doc.footnotes and doc.tables and doc.word_boxes
    store = Store(tmp_path / "t.db")
    try:
        store.save_result(ScanResult(doc, (), (), (), 0.0, "v1"))
        assert store.document(doc.id) == doc
        store.conn.execute("DELETE FROM layout")  # a document stored before the layout table existed
        old = store.document(doc.id)
        assert old.text == doc.text and old.footnotes == () and old.boxes_for(0, len(doc.text)) == {}
    finally:
        store.close()


def test_line_end_hyphen_is_kept_only_when_the_joined_word_is_no_word(tmp_path: Path) -> None:
    canvas = Canvas(str(tmp_path / "hy.pdf"), pagesize=A4, invariant=True)
    lines = [
        "Partners stressed the need for conflict preven-",
        "tion in the district and asked for a cross-",
        "border corridor, which the authorities refused.",
    ]
    for i, line in enumerate(lines):
        canvas.setFont("Times-Roman", 11)
        canvas.drawString(72, 760 - 14 * i, line)
    canvas.showPage()
    canvas.save()
    doc = extract_document(tmp_path / "hy.pdf")
    assert "conflict prevention in the district" in doc.text
    assert "a cross-border corridor" in doc.text


def _w(text: str, x0: float, **extra: object) -> dict[str, object]:
    return {"text": text, "x0": x0, "x1": x0 + 5 * len(text), "top": 100.0, "bottom": 111.0, **extra}


def test_lost_spaces_are_split_only_into_known_words() -> None:
    from triage.read.pdf.spacing import mend_spacing

    words = frozenset({"in", "violation", "of", "the", "ceasefire", "market"})
    merged = _w("violationoftheceasefire", 10, gaps=(9, 11, 14))
    name = _w("Kaduglimarket", 200, gaps=(7,))  # "Kadugli" is not in the list: better whole than wrong
    known = _w("ceasefire", 300, gaps=(5,))  # a wide kern inside a known word is not a space
    out = mend_spacing([merged, name, known], words)
    assert [w["text"] for w in out] == ["violation", "of", "the", "ceasefire", "Kaduglimarket", "ceasefire"]
    assert out[0]["x0"] == 10 and out[3]["x1"] == merged["x1"] and out[1]["x0"] < out[2]["x0"]
    assert mend_spacing([merged], frozenset()) == [merged]  # no word list: nothing is guessed


def test_letter_spaced_heading_is_joined_but_spaced_letters_are_not() -> None:
    from triage.read.pdf.spacing import mend_spacing

    spaced = [_w(c, 10 + 9 * i) for i, c in enumerate("SUMMARY")]
    spaced[-1]["spaced"] = True
    words = [*spaced, _w("a", 80, spaced=True), _w("b", 90, spaced=True), _w("list", 100)]
    assert [w["text"] for w in mend_spacing(words, frozenset({"list"}))] == ["SUMMARY", "a", "b", "list"]


def test_pdf_that_lost_its_spaces_reads_as_words(tmp_path: Path) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    canvas = Canvas(str(tmp_path / "sp.pdf"), pagesize=A4, invariant=True)
    canvas.setFont("Times-Roman", 10)
    x = 72.0
    for i, word in enumerate("Security forces blocked access to the regional hospital in violation of".split()):
        canvas.drawString(x, 700, word)
        x += stringWidth(word, "Times-Roman", 10) + (1.3 if i % 2 else 2.5)  # every other gap too narrow
    canvas.showPage()
    canvas.save()
    doc = extract_document(tmp_path / "sp.pdf")
    assert doc.text == "Security forces blocked access to the regional hospital in violation of"


def test_footnote_marker_read_into_the_first_word_is_split_off() -> None:
    from triage.read.pdf.blocks import split_blocks

    def row(texts: list[str], top: float, size: float) -> list[dict[str, object]]:
        return [
            {"text": t, "x0": 60.0 + 40 * i, "x1": 95.0 + 40 * i, "top": top, "bottom": top + size}
            for i, t in enumerate(texts)
        ]

    body = [w for r in range(10) for w in row(["running", "text", "of", "the", "report"], 100 + 14 * r, 11.5)]
    notes = row(["1", "First", "note."], 700, 9.2) + row(["2A", "force", "of", "guards."], 710, 9.2)
    blocks = split_blocks(body + notes, (), 595, 842)
    assert [[w["text"] for r in note for w in r] for note in blocks.footnotes] == [
        ["1", "First", "note."],
        ["2", "A", "force", "of", "guards."],
    ]
    assert len(blocks.words) == len(body)


def test_pdfplumber_fallback_finds_the_same_tables_and_footnotes(tmp_path: Path) -> None:
    from triage.read.pdf.reader import extract_pdf as _extract_pdf

    blocks = [title("Weekly update"), table(ROWS), para(BODY)]
    make_pdf(tmp_path / "f.pdf", [PageSpec(blocks)], footnotes=["Source: partners on the ground."])
    doc = _extract_pdf((tmp_path / "f.pdf").read_bytes(), "id", "f.pdf", engine="pdfplumber")
    assert [t.rows for t in doc.tables] == [tuple(ROWS)]
    assert [(f.marker, f.text) for f in doc.footnotes] == [("1", "Source: partners on the ground.")]
    assert "partners on the ground" not in doc.text and doc.word_boxes


def test_running_footer_is_dropped_even_when_a_side_box_ends_the_page(tmp_path: Path) -> None:
    specs = [PageSpec([box(f"Box {i}: key figures for week {i} of the response."), para(BODY)]) for i in range(3)]
    truth = make_pdf(tmp_path / "rf.pdf", specs, header="Flash update | Northern Region", footer="Page {page}")
    doc = extract_document(tmp_path / "rf.pdf")
    assert "Northern Region" not in doc.text and "Page 2" not in doc.text
    assert sorted(doc.text.split()) == sorted(truth.split())
