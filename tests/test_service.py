"""The shared use cases (triage.service) the CLI and the review UI call: ingest, promote, rollback."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import pytest

from triage.config import Config
from triage.errors import ExtractionError, TriageError
from triage.service import DUPLICATE, FAILED, STORED, analyse_file, ingest
from triage.store import open_store
from triage.types import Document, Passage, ScanResult

REPORT = b"Gunmen looted the aid convoy near Kidal and threatened the drivers of the convoy.\n"


@dataclass
class _Pipeline:
    """Stands in for the models: every document becomes one unflagged passage."""

    config: Config

    def analyse(self, doc: Document, *, entity_scope: str | None = None) -> ScanResult:
        passage = Passage(doc.id, 0, len(doc.text), 1, doc.text)
        return ScanResult(doc, (passage,), (), (), 0.0, "v1")


def _mail(*attachments: tuple[str, bytes]) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "field@example.org", "desk@example.org", "Flash update"
    msg.set_content("Please find the flash update attached; the convoy was looted near Kidal on Monday.")
    for name, data in attachments:
        msg.add_attachment(data, maintype="text", subtype="plain", filename=name)
    return msg.as_bytes()


def test_ingest_stores_a_mail_and_its_attachments_once_each(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pipe = _Pipeline(Config(db=str(tmp_path / "s.db")))
    mail = _mail(("a.txt", REPORT), ("copy.txt", REPORT), ("empty.txt", b""))
    with open_store(tmp_path / "s.db") as store:
        done = ingest(store, pipe, mail, source="m.eml", actor="amina")
        assert [(d.source, d.status) for d in done] == [
            ("m.eml", STORED), ("m.eml/a.txt", STORED), ("m.eml/copy.txt", DUPLICATE), ("m.eml/empty.txt", FAILED)]
        assert "empty" in done[3].reason and done[3].result is None and done[3].attachment
        assert len(store.list_documents()) == 2
        assert [r["action"] for r in store.audit_log()] == ["upload", "upload"]
        again = ingest(store, pipe, mail, source="m.eml", skip_stored=True)
        assert [d.status for d in again] == [DUPLICATE, DUPLICATE, DUPLICATE, FAILED]


def test_analyse_file_reads_a_path_and_refuses_what_it_cannot_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pipe = _Pipeline(Config(db=str(tmp_path / "s.db")))
    (tmp_path / "r.txt").write_bytes(REPORT)
    [only] = analyse_file(pipe, tmp_path / "r.txt")
    assert only.ok and only.source == "r.txt" and only.data == REPORT and not only.attachment
    with pytest.raises(ExtractionError, match="missing.txt does not exist"):
        analyse_file(pipe, tmp_path / "missing.txt")
    with pytest.raises(TriageError, match="needs a source name"):
        analyse_file(pipe, REPORT)
