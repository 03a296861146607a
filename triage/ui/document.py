"""The Document page: one report's flagged passages in reading order, a page of passages at a time."""

from __future__ import annotations

from typing import Any

import streamlit as st

from triage.config import Config
from triage.errors import TriageError
from triage.framework import Framework
from triage.review import queue
from triage.review.render import chip_html, highlight_html, plural, salient_cues
from triage.service import tag_stored
from triage.store import Store, open_store
from triage.types import Cue
from triage.ui.decisions import bulk_panel, last_action, passage_actions, undo
from triage.ui.flags import KEYS, next_flag, previous_flag, render_flag, shortcuts
from triage.ui.session import go, guard, load_pipeline, open_document

PASSAGES_PER_PAGE = 5  # flagged passages drawn at once: a long report has hundreds of flags, ~5 per passage


@st.cache_data(max_entries=64, show_spinner=False)
def page_png(db: str, doc_id: str, page: int, passage: str, start: int = 0, end: int = 0) -> bytes | None:
    """The source page with the passage outlined (cached: re-rendering on every click would be slow)."""
    from triage.read.pdf.pages import render_page

    with open_store(db) as store:
        data = store.source_bytes(doc_id)
        # The words' own boxes where extraction kept them; older documents fall back to a text search.
        boxes = store.document(doc_id).boxes_for(start, end).get(page) if data and end > start else None
    return render_page(data, page, passage=passage, boxes=boxes).png if data else None


def render_passage(store: Store, fw: Framework, doc: Any, p: Any, pflags: list[dict[str, Any]],
                   current: str | None) -> None:
    cues = salient_cues([Cue.from_dict(c) for c in f["cues"]] for f in pflags)
    with st.container(border=True):
        st.markdown(f"**Page {p.page}** · " + " ".join(
            chip_html(f["label"], fw.factor(f["label"]).short_name, f["score"]) for f in pflags),
            unsafe_allow_html=True)
        st.markdown(f'<div class="passage" style="line-height:1.7">{highlight_html(p.text, p.entities, cues)}'
                    "</div>", unsafe_allow_html=True)
        # The page picture is drawn only when asked for: rendering every page up front made a long report slow.
        if doc.media_type == "application/pdf" and st.toggle(f"Show source page {p.page}", key=f"src-{p.id}"):
            try:
                png = page_png(store.path, doc.id, p.page, p.text, p.start, p.end)
            except TriageError as exc:
                st.warning(str(exc))
            else:
                if png:
                    st.image(png, caption=f"{doc.source}, page {p.page}; the passage is outlined in red")
                else:
                    st.caption("The original file was not kept for this document (stored before this version).")
        passage_actions(store.path, p.id, pflags)
        for f in pflags:
            render_flag(store.path, fw, f, current=f["id"] == current)


def render_document(config: Config, store: Store, fw: Framework, doc_id: str) -> None:
    """The flagged passages of one document in reading order, a page of passages at a time."""
    doc = store.document(doc_id)
    flags = store.flags(doc_id)
    passages = store.passages(doc_id)
    reviewed = sum(f["review"] is not None for f in flags)
    st.subheader(doc.title or doc.source)
    language = dict(doc.metadata).get("language", "")
    st.caption(f"{doc.source} · {plural(len(doc.pages), 'page')} · {plural(len(passages), 'passage')} · "
               f"{plural(len(flags), 'flag')} · {reviewed} reviewed"
               + (f" · language: {language}" if language else ""))
    meta = dict(doc.metadata)
    if "ocr_pages" in meta:  # OCRed text can hold misread words: say so where the reviewer reads it
        st.caption(f"Scanned: page(s) {meta['ocr_pages']} read by OCR, mean word confidence {meta['ocr_confidence']}%")
    if "needs_ocr" in meta:
        st.warning(f"Text missing, these pages need OCR: {meta['needs_ocr']}")
    if not flags:
        st.info("No passage in this document reached a risk factor's threshold.")
        return
    st.progress(reviewed / len(flags), text=f"{reviewed} of {plural(len(flags), 'flag')} decided")
    st.caption(KEYS)
    by_passage: dict[str, list[dict[str, Any]]] = {}
    for f in flags:
        by_passage.setdefault(f["passage_id"], []).append(f)
    flagged = [p for p in passages if p.id in by_passage]  # reading order
    order = [f["id"] for p in flagged for f in by_passage[p.id]]
    st.session_state["flag_order"] = order
    decided = {f["id"] for f in flags if f["review"] is not None}
    current = st.session_state.get("current_flag")
    if current not in order:  # a newly opened document starts at its first undecided flag
        current = next((fid for fid in order if fid not in decided), order[0])
    st.session_state["current_flag"] = current
    # The address names the document and the flag, so a reload or a copied link comes back to this very place.
    st.query_params.from_dict({"doc": doc_id, "flag": current})
    st.session_state["linked"] = (doc_id, current)
    pages = -(-len(flagged) // PASSAGES_PER_PAGE)
    where = {f["id"]: i for i, p in enumerate(flagged) for f in by_passage[p.id]}
    at = where[current] // PASSAGES_PER_PAGE + 1
    top = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
    # Keyed on the current flag's page, so moving the cursor past a page turns to the next one.
    page = top[0].number_input(f"Flagged passages: page (of {pages}, {PASSAGES_PER_PAGE} passages each)", 1,
                               pages, at, key=f"ppage-{doc_id}-{at}") if pages > 1 else 1
    last = current == order[-1]
    top[1].button("Next document" if last else "Next flag", key="next-flag", on_click=next_flag,
                  args=(store.path, doc_id, current), use_container_width=True,
                  help="Keyboard: N" + (". This is the last flag: opens the next document in the Inbox that has "
                                        "flags to decide" if last else ""),
                  icon=":material/arrow_forward:" if last else ":material/arrow_downward:")
    top[2].button("Previous flag", key="prev-flag", on_click=previous_flag, args=(current,),
                  disabled=current == order[0], use_container_width=True, help="Keyboard: P",
                  icon=":material/arrow_upward:")
    undoable = last_action()
    top[3].button("Undo", key="undo", on_click=undo, args=(store.path,), disabled=undoable is None,
                  use_container_width=True, icon=":material/undo:",
                  help=f"Keyboard: U. Takes back: {undoable}" if undoable else "Nothing to undo in this session")
    for name in ("next-msg", "undo-msg", "bulk-msg"):
        if msg := st.session_state.pop(name, None):
            getattr(st, msg[0])(msg[1])
    bulk_panel(store.path, {p.id: by_passage[p.id] for p in flagged})
    shortcuts(current if page == at else None)
    shown = flagged[(page - 1) * PASSAGES_PER_PAGE: page * PASSAGES_PER_PAGE]
    ids = [p.id for p in shown]
    if todo := store.untagged_passages(passage_ids=ids):  # read first: a batch-run document needs no spaCy here
        # Uploads leave the NER to this moment (entity_scope "shown"): these passages now carry it.
        tag_stored(store, todo, load_pipeline(config).nlp, config.entity_labels)
        tagged = {p.id: p for p in store.passages(doc_id)}
        shown = [tagged[p.id] for p in shown]
    for p in shown:
        render_passage(store, fw, doc, p, by_passage[p.id], current)


def document_page() -> None:
    config, fw, store, _ = guard("reviewer")
    link = (st.query_params.get("doc"), st.query_params.get("flag"))
    if link[0] and st.session_state.get("linked") != link:  # a link (?doc=...&flag=...) not followed yet
        st.session_state["linked"] = link
        st.session_state["doc_id"] = link[0]
        if link[1]:
            st.session_state["current_flag"] = link[1]
    wanted = st.session_state.get("doc_id")
    if not wanted or not store.has_document(wanted):
        _, first = queue.inbox_page(store, st.session_state.get("inbox_filter", queue.QueueFilter()), size=1)
        if not first:
            st.info("The store is empty. Upload a report in the Inbox.")
            return
        wanted = first[0]["id"]
    open_document(wanted)
    if st.button("Back to the Inbox", icon=":material/arrow_back:"):
        go("inbox")
    try:
        render_document(config, store, fw, wanted)
    except TriageError as exc:
        st.error(str(exc))
