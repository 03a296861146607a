"""triage review UI (Streamlit). Thin: every step calls the triage library.

Run with `triage ui --db triage.db` (or `make demo`). The store is $TRIAGE_DB, the same file the CLI writes.
"""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from triage.config import Config, load_config
from triage.errors import ReviewConflictError, TriageError
from triage.framework import Framework, load_framework
from triage.pipeline import Pipeline
from triage.render import chip_html, highlight_html
from triage.store import Store, open_store
from triage.types import Cue

UPLOAD_TYPES = ["pdf", "txt", "md"]


@st.cache_resource(show_spinner="Loading the models...")
def load_pipeline(config: Config) -> Pipeline:
    return Pipeline.load(config)


def process_uploads(store: Store, config: Config, uploads: list[Any]) -> list[str]:
    """Run each new upload through the pipeline into the store; returns the ids of the documents."""
    done: dict[str, str] = st.session_state.setdefault("processed_uploads", {})
    ids = []
    for up in uploads:
        if up.file_id in done:
            ids.append(done[up.file_id])
            continue
        try:
            with st.spinner(f"Reading {up.name}..."):
                result = load_pipeline(config).process_file(up.name, data=up.getvalue(), source=up.name)
                store.save_result(result)
        except TriageError as exc:
            st.sidebar.error(f"{up.name}: {exc}")
            continue
        done[up.file_id] = result.document.id
        ids.append(result.document.id)
        st.sidebar.success(f"{up.name}: {len(result.flags)} flags")
    return ids


def decide(db: str, flag_id: str, decision: str, expected_last: int) -> None:
    """Button callback: store the decision, or explain why it was refused."""
    reviewer = st.session_state.get("reviewer", "").strip()
    note = st.session_state.get(f"note-{flag_id}", "")
    with open_store(db) as store:
        try:
            store.add_review(flag_id, decision, reviewer, note=note, expected_last=expected_last)
            st.session_state[f"msg-{flag_id}"] = ("success", f"Saved: {decision}")
        except ReviewConflictError as exc:
            st.session_state[f"msg-{flag_id}"] = ("warning", f"Not saved: {exc}")
        except TriageError as exc:
            st.session_state[f"msg-{flag_id}"] = ("error", str(exc))


def render_flag(db: str, fw: Framework, flag: dict[str, Any], reviewer: str) -> None:
    """One flag: its risk factor, indicator, current decision, note and buttons."""
    rf = fw.factor(flag["label"])
    review = flag["review"]
    left, right = st.columns([3, 2])
    with left:
        st.markdown(chip_html(rf.id, rf.short_name, flag["score"], threshold=flag["threshold"]),
                    unsafe_allow_html=True)
        st.caption(rf.description)
        if flag["indicator"] and (ind := fw.indicator(flag["indicator"])):
            st.caption(f"Points to indicator {ind.id}: {ind.text} ({ind.status})")
        if review:
            st.markdown(f"**{review.decision.title()}ed** by {html.escape(review.reviewer)} at {review.decided_at}"
                        + (f" — _{html.escape(review.note)}_" if review.note else ""))
    with right:
        st.text_input("Note", key=f"note-{flag['id']}", placeholder="optional note",
                      label_visibility="collapsed")
        a, r = st.columns(2)
        last = review.id if review else 0
        args = (db, flag["id"])
        a.button("Accept", key=f"accept-{flag['id']}", on_click=decide, args=(*args, "accept", last),
                 disabled=not reviewer, type="primary", use_container_width=True)
        r.button("Reject", key=f"reject-{flag['id']}", on_click=decide, args=(*args, "reject", last),
                 disabled=not reviewer, use_container_width=True)
        if msg := st.session_state.pop(f"msg-{flag['id']}", None):
            getattr(st, msg[0])(msg[1])


def render_document(store: Store, fw: Framework, doc_id: str, reviewer: str) -> None:
    """The flagged passages of one document, strongest first."""
    doc = store.document(doc_id)
    flags = store.flags(doc_id)
    passages = {p.id: p for p in store.passages(doc_id)}
    st.subheader(doc.title or doc.source)
    st.caption(f"{doc.source} · {len(doc.pages)} pages · {len(passages)} passages · {len(flags)} flags")
    if not flags:
        st.info("No passage in this document reached a risk factor's threshold.")
        return
    by_passage: dict[str, list[dict[str, Any]]] = {}
    for f in flags:
        by_passage.setdefault(f["passage_id"], []).append(f)
    for pid, pflags in by_passage.items():  # flags come strongest first, so passages do too
        p = passages[pid]
        cues = [Cue.from_dict(c) for f in pflags for c in f["cues"]]
        with st.container(border=True):
            st.markdown(f"**Page {p.page}** · " + " ".join(
                chip_html(f["label"], fw.factor(f["label"]).short_name, f["score"]) for f in pflags),
                unsafe_allow_html=True)
            st.markdown(f'<div class="passage" style="line-height:1.7">{highlight_html(p.text, p.entities, cues)}'
                        "</div>", unsafe_allow_html=True)
            for f in pflags:
                render_flag(store.path, fw, f, reviewer)


def main() -> None:
    st.set_page_config(page_title="triage · review", page_icon="⚑", layout="wide")
    try:
        config = load_config()
        fw = load_framework(config.framework_path)
        store = open_store(config.db)
    except TriageError as exc:
        st.error(str(exc))
        st.stop()
    st.sidebar.title("triage")
    reviewer = st.sidebar.text_input("Reviewer name", key="reviewer").strip()
    if not reviewer:
        st.sidebar.caption("Enter your name to accept or reject flags.")
    uploads = st.sidebar.file_uploader("Add reports", type=UPLOAD_TYPES, accept_multiple_files=True)
    new_ids = process_uploads(store, config, uploads or []) if uploads else []
    docs = store.list_documents()
    if not docs:
        st.info("The store is empty. Upload a report in the sidebar, or run `triage batch FOLDER`.")
        return
    ids = [d["id"] for d in docs]
    names = {d["id"]: f"{d['risk']:.2f} · {d['title'] or d['source']} ({d['flags']} flags, {d['reviewed']} reviewed)"
             for d in docs}
    default = ids.index(new_ids[-1]) if new_ids else 0
    st.sidebar.caption("Queue, riskiest first")
    doc_id = st.sidebar.radio("Document", ids, index=default, format_func=names.__getitem__,
                              label_visibility="collapsed")
    try:
        render_document(store, fw, doc_id, reviewer)
    except TriageError as exc:
        st.error(str(exc))
    finally:
        store.close()


main()
