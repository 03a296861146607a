"""A file that changes while a batch run has it: the run reads each file's bytes once, hashes them and hands
exactly those bytes to a worker, so the stored document is one consistent version. Whatever else is stored
for it must come from the same bytes, never from a second read of a file that has moved on."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from tests.pdfgen import PageSpec, make_pdf, para
from triage.batch import BatchOptions, run_batch
from triage.store import Store, open_store

FIRST = "Armed men burned the granaries of three villages near the river crossing before dawn."
SECOND = "The district water committee met to plan the repair of four hand pumps next month."


@pytest.mark.slow
def test_a_pdf_rewritten_during_a_batch_run_is_stored_as_one_version(  # type: ignore[no-untyped-def]
    trained_config, tmp_path, monkeypatch, record_outcome
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    target = inbox / "moving.pdf"
    make_pdf(target, [PageSpec([para(FIRST)])])
    other = tmp_path / "other.pdf"
    make_pdf(other, [PageSpec([para(SECOND)])])
    save_result = Store.save_result

    def save_then_rewrite(self, result, **kwargs):  # type: ignore[no-untyped-def]
        # Another process replaces the file after it was read and processed, just before the run finishes
        # writing: the moment a second read would see different bytes.
        save_result(self, result, **kwargs)  # the PDF bytes go in with the result
        target.write_bytes(other.read_bytes())

    monkeypatch.setattr(Store, "save_result", save_then_rewrite)
    cfg = replace(trained_config, db=str(tmp_path / "moving.db"))
    report = run_batch([inbox], cfg, BatchOptions(workers=1))
    assert report["counts"]["stored"] == 1
    with open_store(cfg.db) as store:
        (doc,) = store.list_documents()
        assert FIRST in store.document(doc["id"]).text and SECOND not in store.document(doc["id"]).text
        source = store.source_bytes(doc["id"])
    record_outcome("one consistent version")
    assert source is not None and hashlib.sha256(source).hexdigest() == doc["id"], \
        "the source copy kept for the UI is a different file from the document stored"
