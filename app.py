"""triage review UI (Streamlit). Thin: every step calls the triage library.

Run with `triage ui --db triage.db` (or `make demo`). The store is $TRIAGE_DB, the same file the CLI writes.
Every page needs a signed-in account (`triage users add`); analyst pages are only registered for analysts and
check the role again, read from the store, before drawing anything or acting.
"""

from __future__ import annotations

import html
import json
import re
import time
from datetime import date
from typing import Any

import streamlit as st

from triage.review import auth

from triage.review import queue

from triage.review import trends
from triage.config import Config, load_config
from triage.errors import PermissionDeniedError, ReviewConflictError, TriageError
from triage.framework import LABELS, Framework, load_framework
from triage.read.extract import extract_document, extract_with_attachments
from triage.analyse.pipeline import Pipeline, ScanResult, tag_stored
from triage.review.render import chip_html, highlight_html, plural, salient_cues
from triage.store import Store, open_store
from triage.types import Cue, Document

UPLOAD_TYPES = ["pdf", "docx", "html", "htm", "eml", "txt", "md", "markdown"]
QUEUE_PAGE = 50  # documents listed per inbox page; the rest are a click away


@st.cache_resource(show_spinner="Loading the models...")
def load_pipeline(config: Config) -> Pipeline:
    return Pipeline.load(config)


@st.cache_data(max_entries=64, show_spinner=False)
def page_png(db: str, doc_id: str, page: int, passage: str, start: int = 0, end: int = 0) -> bytes | None:
    """The source page with the passage outlined (cached: re-rendering on every click would be slow)."""
    from triage.read.pdf.pages import render_page

    with open_store(db) as store:
        data = store.source_bytes(doc_id)
        # The words' own boxes where extraction kept them; older documents fall back to a text search.
        boxes = store.document(doc_id).boxes_for(start, end).get(page) if data and end > start else None
    return render_page(data, page, passage=passage, boxes=boxes).png if data else None


# -- session -------------------------------------------------------------------------------------------------
_RUN: dict[str, Any] = {}  # this script run's config, framework and store connection (the script re-runs fresh)


def context() -> tuple[Config, Framework, Store]:
    if "store" not in _RUN:
        try:
            config = load_config()
            _RUN.update(config=config, fw=load_framework(config.framework_path), store=open_store(config.db))
        except TriageError as exc:
            st.error(str(exc))
            st.stop()
    return _RUN["config"], _RUN["fw"], _RUN["store"]


def signed_in(store: Store) -> auth.User | None:
    """The user of this session, re-read from the store on every run (the role is never taken from the session);
    None once the session has been idle longer than the configured `session_idle_minutes`."""
    idle = (_RUN["config"] if "config" in _RUN else load_config()).session_idle_minutes
    return auth.session_user(store, st.session_state, idle_minutes=idle)


def guard(role: str) -> tuple[Config, Framework, Store, auth.User]:
    """Every page starts here: stop unless the session's account has `role`."""
    config, fw, store = context()
    try:
        user = auth.require(signed_in(store), role)
    except PermissionDeniedError as exc:
        st.error(f"Not allowed: {exc}.")
        st.stop()
    return config, fw, store, user


def login_page() -> None:
    _, store = context()[1:]
    st.title("triage · sign in")
    st.caption("Accounts are created by an administrator with `triage users add NAME --role reviewer|analyst`.")
    if reason := st.session_state.get("signed_out"):
        st.info(reason)
    with st.form("login"):
        name = st.text_input("User name", key="login-name")
        password = st.text_input("Password", type="password", key="login-password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                ip = st.context.ip_address  # None when not served over a socket, a stand-in under AppTest
                user = auth.authenticate(store, name, password, client=ip if isinstance(ip, str) else "")
            except TriageError as exc:
                st.error(str(exc))
            else:
                auth.start_session(st.session_state, user)
                st.rerun()


# -- reviewing -----------------------------------------------------------------------------------------------
def decide(db: str, flag_id: str, decision: str, expected_last: int) -> None:
    """Button callback: store the decision under the signed-in account, or explain why it was refused."""
    note = st.session_state.get(f"note-{flag_id}", "")
    labels = st.session_state.get(f"relabel-{flag_id}", []) if decision == "relabel" else []
    with open_store(db) as store:
        try:
            user = auth.require(signed_in(store), "reviewer", action="deciding on a flag")
            store.add_review(flag_id, decision, user.name, note=note, expected_last=expected_last, labels=labels)
            st.session_state[f"msg-{flag_id}"] = ("success", f"Saved: {decision}")
            step_flag(flag_id)
        except ReviewConflictError as exc:
            st.session_state[f"msg-{flag_id}"] = ("warning", f"Not saved: {exc}")
        except TriageError as exc:
            st.session_state[f"msg-{flag_id}"] = ("error", str(exc))


def step_flag(after: str) -> None:
    """Make the flag after `after` in the open document's reading order the current one (keys act on it)."""
    order: list[str] = st.session_state.get("flag_order", [])
    if after in order and order.index(after) + 1 < len(order):
        st.session_state["current_flag"] = order[order.index(after) + 1]


def next_flag(db: str, doc_id: str, current: str) -> None:
    """Button callback (and key N): the next flag of the open document; past its last flag, the next document
    in the Inbox's order under the Inbox's filters that still has flags to decide, so a queue reads on."""
    order: list[str] = st.session_state.get("flag_order", [])
    if order and current != order[-1]:
        step_flag(current)
        return
    with open_store(db) as store:
        try:
            auth.require(signed_in(store), "reviewer", action="opening a document")
            found = queue.next_document(store, st.session_state.get("inbox_filter", queue.QueueFilter()), doc_id)
        except TriageError as exc:
            st.session_state["next-msg"] = ("error", str(exc))
            return
    if found:
        open_document(found)  # its first undecided flag becomes current: the old current flag is not in it
    else:
        st.session_state["next-msg"] = ("info", "You have reached the end of the inbox")


def key_class(key: str) -> str:
    """The CSS class Streamlit gives the container of the widget with this key (same character rule)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def shortcuts(current: str | None) -> None:
    """A / R decide on the current flag, N moves on: the keys click the very buttons a mouse would, so the
    decision goes through the same callback, role check and conflict check."""
    targets = {"a": f"accept-{current}", "r": f"reject-{current}", "n": "next-flag"} if current else {}
    script = """<script>
const doc = window.parent.document, targets = %s;
if (window.parent.__triageKeys) doc.removeEventListener("keydown", window.parent.__triageKeys);
window.parent.__triageKeys = (ev) => {
  const typing = ev.target.closest && ev.target.closest("input, textarea, [contenteditable=true], [role=listbox]");
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const cls = targets[ev.key.toLowerCase()];
  const button = cls && doc.querySelector("." + cls + " button");
  if (button && !button.disabled) { ev.preventDefault(); button.click(); }
};
doc.addEventListener("keydown", window.parent.__triageKeys);
</script>""" % json.dumps({k: key_class(v) for k, v in targets.items()})
    st.components.v1.html(script, height=0)


def render_flag(db: str, fw: Framework, flag: dict[str, Any], *, current: bool = False) -> None:
    """One flag: its risk factor, indicator, current decision, note and buttons."""
    rf = fw.factor(flag["label"])
    review = flag["review"]
    left, right = st.columns([3, 2])
    with left:
        if current:
            st.markdown(':blue-badge[:material/keyboard: current flag — **A** accept · **R** reject · **N** next]')
        st.markdown(chip_html(rf.id, rf.short_name, flag["score"], threshold=flag["threshold"])
                    + f' <span style="color:#666;font-size:0.8em">threshold {flag["threshold"]:.2f} · '
                      f'model {html.escape(flag["model_version"])}</span>', unsafe_allow_html=True)
        st.caption(rf.description)
        if flag["indicator"] and (ind := fw.indicator(flag["indicator"])):
            st.caption(f"Points to indicator {ind.id}: {ind.text} ({ind.status})")
        if review:
            extra = f" as {', '.join(review.labels) or 'no risk factor'}" if review.decision == "relabel" else ""
            colour = {"accept": "green", "reject": "gray", "relabel": "orange"}[review.decision]
            st.markdown(f":{colour}-badge[{review.decision.title()}ed{extra}] by {html.escape(review.reviewer)} at "
                        f"{review.decided_at}" + (f" — _{html.escape(review.note)}_" if review.note else ""))
    with right:
        fid = flag["id"]
        st.text_input("Note", key=f"note-{fid}", placeholder="optional note", label_visibility="collapsed")
        a, r, x = st.columns(3)
        last = review.id if review else 0
        # Only the current flag's Accept is coloured: a column of red buttons hid which one the keys press.
        a.button("Accept", key=f"accept-{fid}", on_click=decide, args=(db, fid, "accept", last),
                 type="primary" if current else "secondary", use_container_width=True, help="The passage shows this risk factor")
        r.button("Reject", key=f"reject-{fid}", on_click=decide, args=(db, fid, "reject", last),
                 use_container_width=True, help="The passage does not show this risk factor")
        with x.popover("Relabel", use_container_width=True):
            st.multiselect("The right risk factors", LABELS, key=f"relabel-{fid}",
                           format_func=lambda lab: f"{lab} {fw.factor(lab).short_name}")
            st.button("Save relabel", key=f"relabel-btn-{fid}", on_click=decide, args=(db, fid, "relabel", last))
        if msg := st.session_state.pop(f"msg-{fid}", None):
            getattr(st, msg[0])(msg[1])


PASSAGES_PER_PAGE = 5  # flagged passages drawn at once: a long report has hundreds of flags, ~5 per passage


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
    pages = -(-len(flagged) // PASSAGES_PER_PAGE)
    where = {f["id"]: i for i, p in enumerate(flagged) for f in by_passage[p.id]}
    at = where[current] // PASSAGES_PER_PAGE + 1
    top = st.columns([4, 1], vertical_alignment="bottom")
    # Keyed on the current flag's page, so moving the cursor past a page turns to the next one.
    page = top[0].number_input(f"Flagged passages: page (of {pages}, {PASSAGES_PER_PAGE} passages each)", 1,
                               pages, at, key=f"ppage-{doc_id}-{at}") if pages > 1 else 1
    last = current == order[-1]
    top[1].button("Next document" if last else "Next flag", key="next-flag", on_click=next_flag,
                  args=(store.path, doc_id, current), use_container_width=True,
                  help="Keyboard: N" + (". This is the last flag: opens the next document in the Inbox that has "
                                        "flags to decide" if last else ""),
                  icon=":material/arrow_forward:" if last else ":material/arrow_downward:")
    if msg := st.session_state.pop("next-msg", None):
        getattr(st, msg[0])(msg[1])
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


def open_document(doc_id: str) -> None:
    st.session_state["doc_id"] = doc_id
    st.query_params["doc"] = doc_id


# -- pages ---------------------------------------------------------------------------------------------------
def store_upload(store: Store, config: Config, user: auth.User, doc: Document, data: bytes) -> ScanResult:
    """Analyse one extracted upload (or attachment) into the store, keeping a PDF's bytes for page views."""
    result = load_pipeline(config).analyse(doc, entity_scope="shown")  # the NER runs as pages are drawn
    store.save_result(result)
    if doc.media_type == "application/pdf":
        store.save_source(doc.id, data)
    store.log(user.name, "upload", target=doc.id, detail=doc.source, model_version=result.model_version)
    return result


def process_uploads(store: Store, config: Config, uploads: list[Any], user: auth.User) -> list[str]:
    """Run each new upload through the pipeline into the store, with a progress bar; returns document ids."""
    done: dict[str, str] = st.session_state.setdefault("processed_uploads", {})
    todo = [up for up in uploads if up.file_id not in done]
    bar = st.progress(0.0, text="Reading reports...") if todo else None
    attachments_seen = False
    for i, up in enumerate(todo):
        if bar:
            bar.progress(i / len(todo), text=f"Reading {up.name} ({i + 1} of {len(todo)})")
        try:
            doc, attachments = extract_with_attachments(
                up.name, data=up.getvalue(), source=up.name, ocr_settings=config.ocr_settings)
            result = store_upload(store, config, user, doc, up.getvalue())
        except TriageError as exc:
            st.error(f"{up.name}: {exc}")
            continue
        done[up.file_id] = result.document.id
        st.success(f"{up.name}: {plural(len(result.flags), 'flag')}, risk {result.risk:.2f}")
        for attachment in attachments:  # an e-mail's attachments are reports of their own
            attachments_seen = True
            try:
                if attachment.data is None:
                    raise TriageError(f"{attachment.source} {attachment.error}")
                doc = extract_document(attachment.source, data=attachment.data, source=attachment.source,
                                       ocr_settings=config.ocr_settings)
                result = store_upload(store, config, user, doc, attachment.data)
            except TriageError as exc:
                st.error(str(exc))
                continue
            st.success(f"{attachment.source}: {plural(len(result.flags), 'flag')}, risk {result.risk:.2f}")
    if bar:
        bar.empty()
    # Exactly one document made in this run, without errors or attachments: the Inbox may open it.
    st.session_state["open_upload"] = len(todo) == 1 and todo[0].file_id in done and not attachments_seen
    return [done[up.file_id] for up in uploads if up.file_id in done]


def risk_badge(risk: float) -> str:
    colour = "#c0392b" if risk >= 0.75 else "#e67e22" if risk >= 0.5 else "#7f8c8d"
    return (f'<span title="document risk" style="display:inline-block;min-width:3em;text-align:center;'
            f'padding:1px 6px;border-radius:10px;background:{colour};color:white;font-weight:600">{risk:.2f}</span>')


def inbox_filter(store: Store) -> queue.QueueFilter:
    c1, c2, c3 = st.columns(3)
    text = c1.text_input("Search the text", key="f-text", placeholder="e.g. convoy, Kidal")
    labels = c2.multiselect("Risk factor", LABELS, key="f-labels")
    country = c3.multiselect("Country", store.place_codes(), key="f-countries")
    c4, c5, c6 = st.columns(3)
    state = c4.selectbox("Review state", queue.REVIEW_STATES, key="f-state")
    lo, hi = c5.slider("Risk score", 0.0, 1.0, (0.0, 1.0), step=0.05, key="f-risk")
    dates = c6.date_input("Report date", value=(), key="f-dates")
    d_from, d_to = (tuple(dates) + (None, None))[:2] if isinstance(dates, (tuple, list)) else (dates, dates)
    return queue.QueueFilter(tuple(labels), tuple(country), d_from, d_to, state, lo, hi, text)


def inbox_page() -> None:
    config, _, store, user = guard("reviewer")
    st.title("Inbox")
    uploads = st.file_uploader("Add reports (PDF, Word, web page, e-mail, text)", type=UPLOAD_TYPES, accept_multiple_files=True)
    if uploads:
        new_ids = process_uploads(store, config, uploads, user)
        if st.session_state.pop("open_upload", None) and len(uploads) == 1:
            # One report just read cleanly: open it, as the reviewer would next (one click less).
            open_document(new_ids[0])
            st.switch_page(DOCUMENT)
        if new_ids and st.button(f"Open {len(new_ids) == 1 and 'the new report' or 'the last new report'}",
                                 type="primary"):
            open_document(new_ids[-1])
            st.switch_page(DOCUMENT)
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
    st.caption(f"{plural(total, 'document')}, riskiest first"
               + (f" · page {page} of {pages}" if pages > 1 else ""))
    for r in rows:
        a, b = st.columns([8, 1], vertical_alignment="center")
        factors = ", ".join(sorted(r["labels"], key=lambda lab: int(lab[2:]))[:6])
        a.markdown(f"{risk_badge(r['risk'] or 0.0)} **{html.escape(r['title'] or r['source'])}**  \n"
                   f"<span style='color:#666;font-size:0.85em'>{html.escape(r['source'])} · {r['date']} · "
                   f"{plural(r['flags'], 'flag')}, {r['reviewed']} reviewed · {factors}"
                   f"{' · ' + ', '.join(r['countries']) if r['countries'] else ''}</span>", unsafe_allow_html=True)
        if b.button("Open", key=f"open-{r['id']}", use_container_width=True):
            open_document(r["id"])
            st.switch_page(DOCUMENT)
    if pages > 1:
        st.number_input("Go to page", 1, pages, key="inbox-page")


def document_page() -> None:
    config, fw, store, _ = guard("reviewer")
    wanted = st.session_state.get("doc_id") or st.query_params.get("doc")
    if not wanted or not store.has_document(wanted):
        _, first = queue.inbox_page(store, st.session_state.get("inbox_filter", queue.QueueFilter()), size=1)
        if not first:
            st.info("The store is empty. Upload a report in the Inbox.")
            return
        wanted = first[0]["id"]
    open_document(wanted)
    if st.button("Back to the Inbox", icon=":material/arrow_back:"):
        st.switch_page(PAGES["reviewer"][0])
    try:
        render_document(config, store, fw, wanted)
    except TriageError as exc:
        st.error(str(exc))


def queues_page() -> None:
    _, fw, store, _ = guard("reviewer")
    st.title("Review queues")
    uncertain, sample = st.tabs(["Most uncertain", "Random unflagged sample"])
    with uncertain:
        st.caption("Unreviewed flags whose score is nearest its threshold: the calls the model is least sure of.")
        rows = queue.most_uncertain(store, 20)
        if not rows:
            st.info("No unreviewed flags.")
        for r in rows:
            with st.container(border=True):
                st.markdown(f"**{html.escape(r['title'] or r['source'])}**, page {r['page']} · margin "
                            f"{r['margin']:+.2f}  \n{html.escape(r['text'])}")
                r["cues"], r["review"] = [], None
                render_flag(store.path, fw, r)
    with sample:
        st.caption("Passages the model did not flag, drawn at random: read them to see what it misses.")
        seed = st.number_input("Sample", 0, 10_000, 0, help="Change to draw another sample")
        for r in queue.unflagged_sample(store, 20, seed=int(seed)):
            with st.container(border=True):
                st.markdown(f"**{html.escape(r['source'])}**, page {r['page']}  \n{html.escape(r['text'])}")
                if st.button("Open document", key=f"sample-{r['id']}"):
                    open_document(r["doc_id"])
                    st.switch_page(DOCUMENT)


def trends_page() -> None:
    _, fw, store, _ = guard("reviewer")
    st.title("Trends")
    every = trends.flag_records(store)
    countries = sorted({c for r in every for c in r["doc_countries"]})
    a, b = st.columns(2)
    country = a.selectbox("Country", ["all", *countries])
    dates = b.date_input("Period", value=(), key="t-dates")
    d_from, d_to = (tuple(dates) + (None, None))[:2] if isinstance(dates, (tuple, list)) else (dates, dates)
    records = trends.flag_records(store, country=None if country == "all" else country, date_from=d_from,
                                  date_to=d_to)
    if not records:
        st.info("No flags in this selection.")
        return
    frame = trends.flag_frame(records)
    st.altair_chart(trends.time_chart(frame), use_container_width=True)
    left, right = st.columns(2)
    left.altair_chart(trends.status_chart(frame), use_container_width=True)
    right.altair_chart(trends.country_chart(trends.by_country(records)), use_container_width=True)
    st.subheader("Drill down")
    c1, c2 = st.columns(2)
    label = c1.selectbox("Risk factor", sorted(frame["label"].unique()),
                         format_func=lambda lab: f"{lab} {fw.factor(lab).short_name}")
    month = c2.selectbox("Month", ["all", *sorted(frame["month"].unique())])
    sel = frame[(frame["label"] == label) & ((frame["month"] == month) if month != "all" else True)]
    st.dataframe(sel[["source", "page", "date", "score", "status"]], hide_index=True, use_container_width=True)


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


def held_out(card: dict[str, Any]) -> dict[str, float | None]:
    """A card's figures on the frozen test split (None where the card has none)."""
    t = card.get("frozen_test", {})
    at = t.get("at_thresholds", {})
    return {"macro-F1": at.get("macro_f1"), "macro precision": at.get("macro_precision"),
            "macro recall": at.get("macro_recall"), "calibration error (ECE)": t.get("ece")}


def run_training(config: Config, store: Store) -> tuple[str, dict[str, Any]]:
    """Train with the reviews so far, showing a progress bar. Training runs in a worker thread (it cannot
    report its own progress), so the bar advances against the active model's training time."""
    from concurrent.futures import ThreadPoolExecutor

    from training.reviews import review_examples
    from training.train import load_corpus, load_test_ids, train

    from triage.analyse.registry import read_card

    test_ids = load_test_ids(config.corpus_dir)
    extra = review_examples(store, exclude_texts=[r["text"] for r in load_corpus(config.corpus_dir)
                                                  if r["id"] in test_ids])
    try:
        expected = float(read_card(config.models_dir).get("train_seconds") or 60) * 1.5 + 5
    except TriageError:
        expected = 120.0
    lines: list[str] = []
    bar = st.progress(0.0, text=f"Training with {plural(len(extra), 'reviewed passage')}...")
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(train, config, extra=extra, log=lambda *a: lines.append(" ".join(map(str, a))))
        while not job.done():
            elapsed = time.monotonic() - started
            bar.progress(min(elapsed / expected, 0.95), text=f"{lines[-1] if lines else 'Training'} "
                                                            f"({elapsed:.0f} s)")
            time.sleep(0.5)
        version, card = job.result()  # re-raises a training error here, in the script thread
    bar.progress(1.0, text=lines[-1] if lines else f"Registered {version}")
    return version, card


def models_page() -> None:
    from triage.analyse.registry import read_card, read_registry, regressions, set_active

    config, _, store, user = guard("analyst")
    st.title("Models")
    reg = read_registry(config.models_dir)
    if not reg["versions"]:
        st.info("No trained model yet: run `triage train`.")
        return
    versions = list(reg["versions"])
    active = read_card(config.models_dir, reg["active"])
    st.markdown(f"Active model: **{reg['active']}**")
    st.caption(f"{active.get('approach', '')} · created {active.get('created', '?')} · "
               f"{active['data']['train_passages']} training passages "
               f"({active['data'].get('from_reviews', 0)} from reviews)")
    if trained := st.session_state.pop("just-trained", None):  # show the new version beside the active one
        st.session_state["compare-with"] = trained
    other = st.selectbox("Compare with", ["none", *[v for v in reversed(versions) if v != reg["active"]]],
                         key="compare-with")
    other_card = read_card(config.models_dir, other) if other != "none" else None
    st.altair_chart(trends.metrics_chart(active, other_card), use_container_width=True)
    if rv := active.get("real_validation"):
        st.markdown(f"**Real UN paragraphs, held out by document** ({rv['paragraphs']} paragraphs from "
                    f"{rv['documents']} documents): macro-F1 {rv['macro_f1']:.2f}, recall {rv['macro_recall']:.2f}, "
                    f"negatives flagged {rv['false_alarm_rate']:.2f}, labels per flagged paragraph "
                    f"{rv['labels_per_flagged']}")
        st.dataframe([{"label": lab, **{k: rv[lab][k] for k in ("precision", "recall", "f1", "support")}}
                      for lab in LABELS], hide_index=True, use_container_width=False)
        if (chart := trends.tradeoff_chart(active)) is not None:
            st.altair_chart(chart, use_container_width=True)
    else:
        st.caption("This model was trained without real UN paragraphs (no ../shared/un-reports): no real validation.")
    if other_card is not None:
        st.markdown("**Held-out test split** (never trained on)")
        st.dataframe([{"figure": k, f"{reg['active']} (active)": v, other: held_out(other_card)[k]}
                      for k, v in held_out(active).items()], hide_index=True, use_container_width=False)
        worse = regressions(other_card, active)
        if worse:
            st.warning(f"{other} is worse than the active model on: " + "; ".join(worse))
        force = st.checkbox("Promote even though it is worse", key="force-promote") if worse else False
        if st.button(f"Promote {other}", type="primary", disabled=bool(worse) and not force):
            auth.require(signed_in(store), "analyst")
            set_active(config.models_dir, other, note=("forced despite: " + "; ".join(worse)) if worse else "")
            store.log(user.name, "model-promote", target=other, detail="forced" if worse else "")
            load_pipeline.clear()
            st.rerun()
    if st.button("Roll back to the previous model"):
        auth.require(signed_in(store), "analyst")
        promoted = [h["version"] for h in reg["history"] if h["action"] in ("promote", "rollback")]
        previous = [v for v in reversed(promoted) if v != reg["active"]]
        if previous:
            set_active(config.models_dir, previous[0], action="rollback")
            store.log(user.name, "model-rollback", target=previous[0])
            load_pipeline.clear()
            st.rerun()
        st.warning("There is no earlier active model to roll back to.")
    st.subheader("Retrain")
    st.caption("Trains on corpus/ plus every reviewed passage so far, chooses thresholds by cross-validation and "
               "registers a new version. It is not made active: compare it above, then promote it.")
    if st.button("Retrain now", key="retrain"):
        auth.require(signed_in(store), "analyst")
        try:
            version, _ = run_training(config, store)
        except TriageError as exc:
            st.error(str(exc))
            st.stop()
        store.log(user.name, "model-train", target=version)
        st.session_state["just-trained"] = version
        st.rerun()


def audit_page() -> None:
    _, _, store, _ = guard("analyst")
    st.title("Audit trail")
    actor = st.selectbox("Who", ["everyone", *[u["name"] for u in store.users()]])
    rows = store.audit_log(limit=2000, actor=None if actor == "everyone" else actor)
    st.dataframe(rows, hide_index=True, use_container_width=True,
                 column_order=["at", "actor", "action", "target", "detail", "model_version"])


def briefing_page() -> None:
    from triage.review.brief import brief_pdf, build_brief

    _, fw, store, user = guard("analyst")
    st.title("Briefing")
    countries = sorted({c for r in trends.flag_records(store) for c in r["doc_countries"]})
    if not countries:
        st.info("No flagged document names a country yet.")
        return
    a, b, c = st.columns(3)
    country = a.selectbox("Country", countries)
    d_from = b.date_input("From", value=date(date.today().year, 1, 1))
    d_to = c.date_input("To", value=date.today())
    page = build_brief(store, fw, country=country, date_from=d_from, date_to=d_to)
    name = f"brief-{country}-{d_from}-{d_to}"
    h, p = st.columns(2)
    h.download_button("Download the briefing (HTML)", page.encode(), f"{name}.html", "text/html",
                      on_click="ignore", type="primary")
    if p.button("Make a PDF"):
        try:
            p.download_button("Download the PDF", brief_pdf(page), f"{name}.pdf", "application/pdf",
                              on_click="ignore")
            store.log(user.name, "brief", target=country, detail=f"{d_from} to {d_to}")
        except TriageError as exc:
            st.error(str(exc))
    st.components.v1.html(page, height=900, scrolling=True)


PAGES = {
    "reviewer": [st.Page(inbox_page, title="Inbox", icon=":material/inbox:", url_path="inbox", default=True),
                 st.Page(document_page, title="Document", icon=":material/description:", url_path="document"),
                 st.Page(queues_page, title="Review queues", icon=":material/target:", url_path="queues"),
                 st.Page(trends_page, title="Trends", icon=":material/trending_up:", url_path="trends"),
                 st.Page(exports_page, title="Exports", icon=":material/download:", url_path="exports")],
    "analyst": [st.Page(models_page, title="Models", icon=":material/model_training:", url_path="models"),
                st.Page(audit_page, title="Audit", icon=":material/policy:", url_path="audit"),
                st.Page(briefing_page, title="Briefing", icon=":material/summarize:", url_path="briefing")],
}
DOCUMENT = PAGES["reviewer"][1]


def main() -> None:
    st.set_page_config(page_title="triage · review", page_icon="⚑", layout="wide")
    _, _, store = context()
    try:
        run_pages(store)
    finally:
        store.close()
        _RUN.clear()


def run_pages(store: Store) -> None:
    user = signed_in(store)
    if user is None:
        st.navigation([st.Page(login_page, title="Sign in", icon=":material/login:")], position="hidden").run()
        return
    with st.sidebar:
        st.markdown(f"Signed in as **{html.escape(user.name)}** ({user.role})")
        if st.button("Sign out"):
            store.log(user.name, "logout")
            st.session_state.clear()
            st.rerun()
    # Analyst pages are not even registered for a reviewer, so their URLs lead nowhere; each page also checks.
    sections = {"Review": PAGES["reviewer"]} | ({"Analysis": PAGES["analyst"]} if user.can("analyst") else {})
    st.navigation(sections).run()


main()
