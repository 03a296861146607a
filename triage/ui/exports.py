"""The Exports page: the Inbox's current view as CSV, XLSX or JSONL."""

from __future__ import annotations

import streamlit as st

from triage.review import queue
from triage.review.render import plural
from triage.service import tag_stored
from triage.ui.session import guard, load_pipeline


def exports_page() -> None:
    from triage.review.export import export_bytes, export_rows

    config, _, store, user = guard("reviewer")
    st.title("Exports")
    f = st.session_state.get("inbox_filter", queue.QueueFilter())
    ids = [r["id"] for r in queue.inbox(store, f)]
    st.caption(f"The Inbox's current view: {plural(len(ids), 'document')}. "
               "Change the filters there to change the export.")
    flagged = st.checkbox("Flagged passages only", value=True)
    redact = st.checkbox("Withhold people's names", value=False)
    if not ids:
        st.info("Nothing to export.")
        return
    if todo := store.untagged_passages(flagged_only=flagged, doc_ids=ids):
        # Batch runs leave unflagged passages to the gazetteer; an export shows (or withholds) every name.
        bar = st.progress(0.0, text=f"Tagging entities in {len(todo)} unflagged passages...")
        tag_stored(store, todo, load_pipeline(config).nlp, config.entity_labels,
                   progress=lambda done, total: bar.progress(done / total, text=f"Tagged {done} of {total} passages"))
        bar.empty()
    rows = export_rows(store, flagged_only=flagged, doc_ids=ids, redact_people=redact)
    st.caption(plural(len(rows), "passage"))
    mime = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "jsonl": "application/jsonl"}
    for col, fmt in zip(st.columns(3), mime, strict=True):
        col.download_button(f"Download {fmt.upper()}", export_bytes(rows, fmt), f"triage-export.{fmt}", mime[fmt],
                            key=f"dl-{fmt}", on_click="ignore")
    store.log(user.name, "export-view", detail=f"{len(rows)} passages, redact={redact}")
