"""Word, web page, e-mail, Markdown: read by content (not name), with metadata and language; hostile
variants refused. Every input is generated here (python-docx writes the Word files)."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import docx
import pytest

from tests.pdfgen import PageSpec, make_pdf, para
from triage.analyse.pipeline import ScanResult
from triage.analyse.segment import split_passages
from triage.batch import inputs as batch_inputs
from triage.errors import ExtractionError
from triage.read import email_text
from triage.read.extract import detect_format, extract_document, extract_with_attachments, list_attachments
from triage.read.formats import BY_NAME, FORMATS, SUFFIXES, UPLOAD_TYPES, Format, is_supported, load
from triage.read.language import detect_language
from triage.review.export import export_rows
from triage.store import open_store

ROOT = Path(__file__).resolve().parents[1]
BODY = ("Armed men burned the granaries of three villages near the river crossing and warned the "
        "remaining families to leave before the rains.")
FRENCH = ("Des hommes armés ont incendié les greniers de trois villages près du gué et ont sommé les "
          "familles restantes de partir avant les pluies.")
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


def _docx(*, title: str = "Quarterly report on Gao", created: datetime | None = datetime(2026, 3, 14, 9, 30)) -> bytes:
    d = docx.Document()
    d.core_properties.title = title
    if created:
        d.core_properties.created = created
    d.sections[0].header.paragraphs[0].text = "RUNNING HEADER CONFIDENTIAL"
    d.sections[0].footer.paragraphs[0].text = "RUNNING FOOTER PAGE"
    d.add_heading("Situation in Gao", level=1)
    d.add_paragraph(BODY)
    table = d.add_table(rows=2, cols=3)
    for r, row in enumerate([("Village", "Houses burned", "Displaced"), ("Tin Hama", "40", "1,200")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("After the table: " + BODY.replace("three", "four"))
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes], *, extra: tuple[tuple[str, int], ...] = ()) -> bytes:
    """A copy of a zip with some members replaced and `extra` members of that many zero bytes added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, size in extra:
            with dst.open(name, "w") as f:
                for _ in range(size >> 20):
                    f.write(bytes(1 << 20))
    return out.getvalue()


def _pdf(tmp_path: Path, text: str) -> bytes:
    path = tmp_path / "attached-source.pdf"
    make_pdf(path, [PageSpec([para(text)])])
    return path.read_bytes()


PAGE = f"""<!DOCTYPE html><html lang="en"><head><title>Situation report: Gao</title>
<meta property="article:published_time" content="2026-03-14">
<style>body {{ color: red }} .STYLE_TEXT {{}}</style>
<script>var SCRIPT_TEXT = "alert(1)"; fetch("http://198.51.100.7/x");</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us NAVIGATION</a> | <a href="/donate">Donate</a></nav>
<article><h1>Situation report: Gao</h1><p>{BODY}</p>
<p>Displaced families said the militia told them the &eacute;lections would <b>not</b> be held.</p>
<table><tr><th>Village</th><th>Houses burned</th></tr><tr><td>Tin Hama</td><td>40</td></tr></table>
<script>document.write("INLINE_SCRIPT_TEXT")</script></article>
<footer>Copyright 2026 Example Org. Privacy policy. FOOTER_TEXT</footer></body></html>"""


def _mail(*, html_only: bool = False, attachments: tuple[tuple[str, bytes, str], ...] = ()) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Field Office <field@example.org>"
    msg["To"] = "desk@example.org"
    msg["Subject"] = "Flash update: attacks near Gao"
    msg["Date"] = "Sat, 14 Mar 2026 08:15:00 +0000"
    msg["Message-ID"] = "<flash-1@example.org>"
    if html_only:
        msg.set_content(f"<html><body><p>{BODY}</p><script>SCRIPT_TEXT()</script></body></html>", subtype="html")
    else:
        msg.set_content(BODY + "\n")
        msg.add_alternative(f"<html><body><p>HTML VERSION {BODY}</p></body></html>", subtype="html")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


# -- type from content ------------------------------------------------------------------------------
def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    word = extract_document("report.pdf", data=_docx())  # a .docx saved under a .pdf name
    assert word.media_type.endswith("wordprocessingml.document") and "granaries" in word.text
    page = extract_document("notes.txt", data=PAGE.encode())
    assert page.media_type == "text/html" and "granaries" in page.text and "<p>" not in page.text
    mail = extract_document("mail.txt", data=_mail().as_bytes())
    assert mail.media_type == "message/rfc822"
    assert detect_format(b"%PDF-1.7\n") == "pdf" and detect_format(b"Just a line of text.\n") == "text"


def test_one_registry_lists_the_formats_and_each_reads_as_its_media_type(tmp_path: Path) -> None:
    assert len(SUFFIXES) == len(set(SUFFIXES)) and set(SUFFIXES) >= {".pdf", ".docx", ".eml", ".md", ".xhtml"}
    assert UPLOAD_TYPES == ("pdf", "docx", "html", "htm", "eml", "txt", "md", "markdown")  # the upload form's
    assert is_supported("inbox/REPORT.PDF") and is_supported("a.markdown") and not is_supported("sheet.xlsx")
    assert batch_inputs.SUPPORTED == SUFFIXES  # batch runs pick files up by the same list
    make_pdf(tmp_path / "r.pdf", [PageSpec([para(BODY)])])
    samples = {"pdf": (tmp_path / "r.pdf").read_bytes(), "docx": _docx(), "email": _mail().as_bytes(),
               "html": PAGE.encode(), "xhtml": PAGE.encode(), "markdown": f"# Gao\n\n**{BODY}**\n".encode(),
               "text": BODY.encode()}
    assert set(samples) == set(BY_NAME)  # a new format needs a sample here too
    for kind in FORMATS:
        doc = extract_document(f"x{kind.suffixes[0]}", data=samples[kind.name])
        assert doc.media_type == kind.media_type, kind.name
        if kind.sniff:
            assert detect_format(samples[kind.name]) == kind.name
            assert callable(load(kind.reader))


def test_a_format_entry_checks_itself() -> None:
    with pytest.raises(ValueError, match="lower case"):
        Format("odt", "application/vnd.oasis.opendocument.text", ("ODT",))
    with pytest.raises(ValueError, match="both a sniff and a reader"):
        Format("odt", "application/vnd.oasis.opendocument.text", (".odt",), sniff="triage.read.x:is_odt")


def test_a_zip_that_is_not_a_word_file_is_refused_with_the_reason() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("report.pdf", b"%PDF-1.4 not really")
    with pytest.raises(ExtractionError, match=r"box\.docx looks like a ZIP archive.*triage batch"):
        extract_document("box.docx", data=out.getvalue())
    sheet = io.BytesIO()
    with zipfile.ZipFile(sheet, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/workbook.xml", b"<workbook/>")
    with pytest.raises(ExtractionError, match=r"an Excel workbook"):
        extract_document("figures.docx", data=sheet.getvalue())


# -- Word -------------------------------------------------------------------------------------------
def test_word_body_in_order_with_heading_and_table_rows_but_no_header_or_footer() -> None:
    doc = extract_document("gao.docx", data=_docx())
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[0] == "Situation in Gao"
    assert paragraphs[1] == BODY
    assert paragraphs[2] == "Village | Houses burned | Displaced\nTin Hama | 40 | 1,200"
    assert paragraphs[3].startswith("After the table:")
    assert "RUNNING HEADER" not in doc.text and "RUNNING FOOTER" not in doc.text
    meta = dict(doc.metadata)
    assert doc.title == meta["Title"] == "Quarterly report on Gao"
    assert meta["report_date"] == "2026-03-14" and meta["CreationDate"].startswith("D:20260314")
    assert meta["language"] == "en" and meta["pages"] == "1" and len(doc.pages) == 1
    assert meta["sha256"] == doc.id


def test_a_word_file_without_a_title_takes_its_first_paragraph() -> None:
    doc = extract_document("gao.docx", data=_docx(title="", created=None))
    assert doc.title == "Situation in Gao"


def test_a_word_zip_bomb_is_refused_before_parsing() -> None:
    bomb = _rezip(_docx(), {}, extra=(("word/media/image1.bin", 80 << 20),))
    assert len(bomb) < 1 << 20  # 80 MB of zeros deflate to well under a megabyte
    with pytest.raises(ExtractionError, match=r"bomb\.docx .*zip bomb.*retry"):
        extract_document("bomb.docx", data=bomb)


def test_a_word_file_with_xml_entities_is_refused() -> None:
    original = _docx()
    with zipfile.ZipFile(io.BytesIO(original)) as z:
        body = z.read("word/document.xml")
    declaration_end = body.index(b"?>") + 2
    hostile = body[:declaration_end] + LAUGHS.encode() + body[declaration_end:].replace(b"Tin Hama", b"&lol9;")
    with pytest.raises(ExtractionError, match=r"laughs\.docx declares a DTD or XML entities in word/document\.xml"):
        extract_document("laughs.docx", data=_rezip(original, {"word/document.xml": hostile}))


def test_a_damaged_word_file_is_a_clear_error() -> None:
    broken = _rezip(_docx(), {"word/document.xml": b"<w:document><not closed"})
    with pytest.raises(ExtractionError, match=r"broken\.docx is a damaged Word file.*retry"):
        extract_document("broken.docx", data=broken)


# -- web pages --------------------------------------------------------------------------------------
def test_a_web_page_keeps_the_article_and_drops_navigation_scripts_and_styles() -> None:
    doc = extract_document("page.html", data=PAGE.encode())
    assert BODY in doc.text and "élections would not be held" in doc.text
    assert "Village | Houses burned\nTin Hama | 40" in doc.text
    for junk in ("SCRIPT_TEXT", "alert(1)", "STYLE_TEXT", "NAVIGATION", "FOOTER_TEXT", "198.51.100.7"):
        assert junk not in doc.text
    meta = dict(doc.metadata)
    assert doc.title == "Situation report: Gao" and meta["report_date"] == "2026-03-14"
    assert meta["language"] == "en"


def test_a_page_declaring_entities_is_refused() -> None:
    page = f'<?xml version="1.0"?>{LAUGHS}<html><body><p>&lol9; {BODY}</p></body></html>'
    with pytest.raises(ExtractionError, match=r"laughs\.html declares XML entities.*retry"):
        extract_document("laughs.html", data=page.encode())


def test_a_bare_fragment_still_gives_its_text() -> None:
    doc = extract_document("frag.htm", data=f"<html><body><p>{BODY}</p></body></html>".encode())
    assert doc.text == BODY


# -- Markdown and text --------------------------------------------------------------------------------
def test_markdown_markup_is_stripped_and_the_words_kept() -> None:
    md = ("# Flash update: **Gao**\n\nArmed men *burned* the [granaries](https://example.org/x) of three\n"
          "villages.\n\n- first **point**\n- second point\n\n| Village | Houses |\n|---|---|\n| Tin Hama | 40 |\n")
    doc = extract_document("update.md", data=md.encode())
    assert doc.media_type == "text/markdown"
    assert doc.text.split("\n\n") == ["Flash update: Gao", "Armed men burned the granaries of three villages.",
                                      "first point", "second point", "Village | Houses\nTin Hama | 40"]
    assert doc.title == "Flash update: Gao"


def test_plain_text_is_not_mistaken_for_markdown_or_mail() -> None:
    memo = f"From: Field office\nDate: 2026-03-14\n\n{BODY}\n"  # a typed memo, not a mail program's
    doc = extract_document("memo.txt", data=memo.encode())
    assert doc.media_type == "text/plain" and dict(doc.metadata)["report_date"] == "2026-03-14"


# -- e-mail -----------------------------------------------------------------------------------------
def test_mail_headers_become_metadata_and_the_plain_body_the_document() -> None:
    doc = extract_document("flash.eml", data=_mail().as_bytes())
    meta = dict(doc.metadata)
    assert doc.title == "Flash update: attacks near Gao"
    assert meta["From"] == "Field Office <field@example.org>"
    assert meta["report_date"] == "2026-03-14"
    assert BODY in doc.text and "HTML VERSION" not in doc.text  # text/plain preferred


def test_an_html_only_mail_is_read_like_a_page() -> None:
    doc = extract_document("flash.eml", data=_mail(html_only=True).as_bytes())
    assert BODY in doc.text and "SCRIPT_TEXT" not in doc.text and "<p>" not in doc.text


def test_attachments_are_documents_of_their_own(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, "Attached report: " + FRENCH)
    inner = _mail(attachments=(("annex.docx", _docx(), "application/octet-stream"),))
    del inner["Subject"]
    inner["Subject"] = "Forwarded"
    outer = _mail(attachments=(("report.pdf", pdf, "application/pdf"), ("logo.png", b"\x89PNG\r\n\x1a\n", "image/png")))
    outer.add_attachment(inner)
    doc, attachments = extract_with_attachments("mail.eml", data=outer.as_bytes())
    assert "report.pdf" in dict(doc.metadata)["attachments"] and "logo.png" in dict(doc.metadata)["attachments"]
    sources = [a.source for a in attachments]
    assert sources == ["mail.eml/report.pdf", "mail.eml/attachment-3.eml", "mail.eml/attachment-3.eml/annex.docx"]
    assert attachments == list_attachments(outer.as_bytes(), "mail.eml")
    docs = {a.source: extract_document(a.source, data=a.data, source=a.source) for a in attachments}
    assert docs["mail.eml/report.pdf"].media_type == "application/pdf"
    assert dict(docs["mail.eml/report.pdf"].metadata)["language"] == "fr"
    assert docs["mail.eml/attachment-3.eml"].title == "Forwarded"
    assert "Tin Hama | 40" in docs["mail.eml/attachment-3.eml/annex.docx"].text


def test_nesting_and_size_of_attachments_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    msg = _mail()
    for _depth in range(6):  # six messages, each forwarded inside the next
        outer = _mail()
        outer.add_attachment(msg)
        msg = outer
    found = list_attachments(msg.as_bytes(), "deep.eml")
    assert len(found) == email_text.MAX_DEPTH
    assert found[-1].data is None and "nested more than" in found[-1].error
    monkeypatch.setattr(email_text, "MAX_ATTACHMENT_BYTES", 1000)
    big = _mail(attachments=(("big.pdf", b"%PDF-1.4\n" + b"0" * 5000, "application/pdf"),))
    (only,) = list_attachments(big.as_bytes(), "big.eml")
    assert only.data is None and "larger than" in only.error
    assert list_attachments(b"%PDF-1.4\n", "x.pdf") == ()
    many = b"From: a@example.org\nMessage-ID: <x@y>\n\n" + b"boundary=x\n" * 600
    assert list_attachments(many, "many.eml") == ()  # unreadable as a whole: its extraction says why


# -- language --------------------------------------------------------------------------------------
def test_language_of_corpus_passages_matches_their_labels() -> None:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
    right = sum(detect_language(r["text"]) == r["lang"] for r in rows)
    assert {r["lang"] for r in rows} >= {"en", "fr"}
    assert right / len(rows) >= 0.99, f"{right} of {len(rows)}"


def test_each_passage_gets_its_language() -> None:
    doc = extract_document("mixed.txt", data=f"{BODY}\n\n{FRENCH}\n\n12 34\n".encode())
    langs = [p.lang for p in split_passages(doc)]
    assert langs[:2] == ["en", "fr"]
    assert detect_language("12 34 56") == "" and detect_language("") == ""


def test_a_store_from_the_previous_schema_gains_the_language_column(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE passages (id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, start INTEGER NOT NULL,
                               "end" INTEGER NOT NULL, page INTEGER NOT NULL, text TEXT NOT NULL);
        INSERT INTO passages VALUES ('old:0-5', 'old', 0, 5, 1, 'older');
        PRAGMA user_version = 1;""")
    conn.close()
    doc = extract_document("mixed.txt", data=f"{BODY}\n\n{FRENCH}\n".encode())
    passages = tuple(split_passages(doc))
    with open_store(db) as store:
        store.save_result(ScanResult(doc, passages, (), (), 0.0, "test"))
        assert [p.lang for p in store.passages(doc.id)] == ["en", "fr"]
        assert store.conn.execute("SELECT lang FROM passages WHERE id = 'old:0-5'").fetchone()[0] == ""
        exported = {row["passage_id"]: row["language"] for row in export_rows(store, doc_ids=[doc.id])}
        assert [exported[p.id] for p in passages] == ["en", "fr"]


# -- through the commands -------------------------------------------------------------------------------
def _mail_with_pdf(tmp_path: Path) -> bytes:
    pdf = _pdf(tmp_path, "Attached report: militias looted the aid convoy and abducted two drivers near the border.")
    return _mail(attachments=(("report.pdf", pdf, "application/pdf"),)).as_bytes()


@pytest.mark.slow
def test_scan_reads_a_mail_and_its_attachment(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    mail = tmp_path / "flash.eml"
    mail.write_bytes(_mail_with_pdf(tmp_path))
    env = {**os.environ, "TRIAGE_CONFIG": str(tmp_path / "t.toml")}
    (tmp_path / "t.toml").write_text(f'models_dir = "{trained_config.models_dir}"\n')
    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(mail), "--json"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["document"]["title"] == "Flash update: attacks near Gao" and data["document"]["language"] == "en"
    (attached,) = data["attachments"]
    assert attached["document"]["source"] == "flash.eml/report.pdf"
    assert any("aid convoy" in p["text"] for p in attached["passages"])
    assert all(p["lang"] == "en" for p in attached["passages"])


@pytest.mark.slow
def test_batch_stores_each_attachment_as_its_own_document(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from triage.batch import BatchOptions, run_batch

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    mail = email_text.email.message_from_bytes(_mail_with_pdf(tmp_path), policy=email_text.email.policy.default)
    mail.add_attachment(b"%PDF-1.4\nnot a PDF at all", maintype="application", subtype="pdf", filename="broken.pdf")
    (inbox / "flash.eml").write_bytes(mail.as_bytes())
    (inbox / "gao.docx").write_bytes(_docx())
    (inbox / "page.html").write_bytes(PAGE.encode())
    cfg = replace(trained_config, db=str(tmp_path / "b.db"))
    report = run_batch([inbox], cfg, BatchOptions(workers=1))
    assert report["counts"]["inputs"] == 5 and report["counts"]["stored"] == 4, report["failures"]
    assert [(f["source"], f["kind"]) for f in report["failures"]] == [("flash.eml/broken.pdf", "error")]
    retried = run_batch([], cfg, BatchOptions(workers=1, retry_failed=True))  # re-reads the e-mail
    assert [(f["source"], f["kind"]) for f in retried["failures"]] == [("flash.eml/broken.pdf", "error")]
    with open_store(cfg.db) as store:
        docs = {d["source"]: d for d in store.list_documents()}
        assert set(docs) == {"flash.eml", "flash.eml/report.pdf", "gao.docx", "page.html"}
        attached = docs["flash.eml/report.pdf"]["id"]
        assert store.conn.execute("SELECT COUNT(*) FROM sources WHERE doc_id = ?", (attached,)).fetchone()[0] == 1
        langs = {p.lang for p in store.passages(docs["gao.docx"]["id"])}
        assert "en" in langs and langs <= {"en", ""}  # a table row or short heading may be too short to tell
