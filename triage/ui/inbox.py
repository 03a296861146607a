"""The Inbox page: upload reports, filter and search the store, open a document."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from triage.config import Config
from triage.errors import TriageError
from triage.framework import LABELS, Framework
from triage.review import auth, queue
from triage.review.render import plural
from triage.service import ingest
from triage.store import Store
from triage.ui.session import go, guard, load_pipeline, open_document

UPLOAD_TYPES = ["pdf", "docx", "html", "htm", "eml", "txt", "md", "markdown"]
QUEUE_PAGE = 50  # documents listed per inbox page; the rest are a click away


def process_uploads(store: Store, config: Config, uploads: list[Any], user: auth.User) -> list[str]:
    """Run each new upload (and its e-mail attachments) through the service into the store, with a progress
    bar; returns document ids. The NER waits for the pages to be drawn (entity_scope "shown")."""
    done: dict[str, str] = st.session_state.setdefault("processed_uploads", {})
    todo = [up for up in uploads if up.file_id not in done]
    bar = st.progress(0.0, text="Reading reports...") if todo else None
    attachments_seen = False
    for i, up in enumerate(todo):
        if bar:
            bar.progress(i / len(todo), text=f"Reading {up.name} ({i + 1} of {len(todo)})")
        try:
            got = ingest(store, load_pipeline(config), up.getvalue(), source=up.name, actor=user.name,
                         entity_scope="shown")
        except TriageError as exc:
            st.error(f"{up.name}: {exc}")
            continue
        for item in got:  # the file first, then an e-mail's attachments, reports of their own
            attachments_seen = attachments_seen or item.attachment
            if item.result is None:
                st.error(item.reason)
                continue
            if not item.attachment:
                done[up.file_id] = item.result.document.id
            st.success(f"{item.source}: {plural(len(item.result.flags), 'flag')}, rank {item.result.risk:.2f}")
    if bar:
        bar.empty()
    # Exactly one document made in this run, without errors or attachments: the Inbox may open it.
    st.session_state["open_upload"] = len(todo) == 1 and todo[0].file_id in done and not attachments_seen
    return [done[up.file_id] for up in uploads if up.file_id in done]


def risk_badge(risk: float) -> str:
    """The document's rank as a coloured pill. With triage/analyse/flag.py's RANK_HALF of 2, orange (0.5) takes
    the equivalent of two certain risk factors and red (0.75) of six; one factor alone stays grey."""
    colour = "#c0392b" if risk >= 0.75 else "#e67e22" if risk >= 0.5 else "#7f8c8d"
    return (f'<span class="triage-rank" title="document rank: its risk factors\' strongest scores added up, '
            f's / (s + 2)" style="display:inline-block;min-width:3em;text-align:center;padding:1px 6px;'
            f'border-radius:10px;background:{colour};color:white;font-weight:600">{risk:.2f}</span>')


def factor_summary(fw: Framework, strengths: dict[str, float], n: int = 3) -> str:
    """The `n` strongest flagged factors of a row, each with its number, short name and best score."""
    return ", ".join(f"{lab} {fw.factor(lab).short_name} {strengths[lab]:.2f}"
                     for lab in queue.strongest_factors(strengths, n))


FILTER_KEYS = ("f-text", "f-labels", "f-countries", "f-state", "f-risk", "f-dates", "inbox-page")
_KEPT = "inbox-kept"  # not a widget key: Streamlit drops a widget's state on a page that does not draw it


def _restore_filters() -> None:
    """Put back the filters the Inbox had when the reviewer left it (opening a document drops them)."""
    for key, value in st.session_state.get(_KEPT, {}).items():
        if key not in st.session_state:
            st.session_state[key] = value


def _keep_filters() -> None:
    st.session_state[_KEPT] = {k: st.session_state[k] for k in FILTER_KEYS if k in st.session_state}


def _default(key: str, value: object) -> dict[str, object]:
    """A widget's default, unless its state was just restored (both at once makes Streamlit warn)."""
    return {} if key in st.session_state else {"value": value}


def inbox_filter(store: Store) -> queue.QueueFilter:
    _restore_filters()
    c1, c2, c3 = st.columns(3)
    text = c1.text_input("Search the text", key="f-text", placeholder="e.g. convoy, Kidal")
    labels = c2.multiselect("Risk factor", LABELS, key="f-labels")
    country = c3.multiselect("Country", store.place_codes(), key="f-countries")
    c4, c5, c6 = st.columns(3)
    state = c4.selectbox("Review state", queue.REVIEW_STATES, key="f-state")
    lo, hi = c5.slider("Risk rank", 0.0, 1.0, step=0.05, key="f-risk", **_default("f-risk", (0.0, 1.0)))
    dates = c6.date_input("Report date", key="f-dates", **_default("f-dates", ()))
    d_from, d_to = (tuple(dates) + (None, None))[:2] if isinstance(dates, (tuple, list)) else (dates, dates)
    _keep_filters()
    return queue.QueueFilter(tuple(labels), tuple(country), d_from, d_to, state, lo, hi, text)


def inbox_page() -> None:
    config, fw, store, user = guard("reviewer")
    st.title("Inbox")
    uploads = st.file_uploader("Add reports (PDF, Word, web page, e-mail, text)", type=UPLOAD_TYPES, accept_multiple_files=True)
    if uploads:
        new_ids = process_uploads(store, config, uploads, user)
        if st.session_state.pop("open_upload", None) and len(uploads) == 1:
            # One report just read cleanly: open it, as the reviewer would next (one click less).
            open_document(new_ids[0])
            go("document")
        if new_ids and st.button(f"Open {len(new_ids) == 1 and 'the new report' or 'the last new report'}",
                                 type="primary"):
            open_document(new_ids[-1])
            go("document")
    f = inbox_filter(store)
    st.session_state["inbox_filter"] = f
    page = st.session_state.get("inbox-page", 1)
    total, rows = queue.inbox_page(store, f, page=page, size=QUEUE_PAGE)
    if not total:
        st.info("No document matches these filters." if f != queue.QueueFilter() else
                "The store is empty. Upload a report above, or run `triage batch FOLDER`.")
        return
    pages = -(-total // QUEUE_PAGE)
    if page > pages:  # the filters shrank the list under the page we were on
        page = st.session_state["inbox-page"] = 1
        total, rows = queue.inbox_page(store, f, page=1, size=QUEUE_PAGE)
    st.caption(f"{plural(total, 'document')}, highest rank first (then more flags, then newer)"
               + (f" · page {page} of {pages}" if pages > 1 else ""))
    for r in rows:
        a, b = st.columns([8, 1], vertical_alignment="center")
        # The strongest factors by name and score (read for the whole page in one query by queue_page): a
        # list of RF numbers told a reviewer little, and they are what the rank adds up.
        factors = html.escape(factor_summary(fw, r["strengths"]))
        a.markdown(f"{risk_badge(r['risk'] or 0.0)} **{html.escape(r['title'] or r['source'])}**  \n"
                   f"<span style='color:#666;font-size:0.85em'>{html.escape(r['source'])} · {r['date']} · "
                   f"{plural(r['flags'], 'flag')}, {r['reviewed']} reviewed"
                   f"{' · ' + ', '.join(r['countries']) if r['countries'] else ''}</span>"
                   + (f"  \n<span class='triage-factors' style='font-size:0.85em'>{factors}</span>" if factors else ""),
                   unsafe_allow_html=True)
        if b.button("Open", key=f"open-{r['id']}", use_container_width=True):
            open_document(r["id"])
            go("document")
    if pages > 1:
        st.number_input("Go to page", 1, pages, key="inbox-page")
        _keep_filters()
