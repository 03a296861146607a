"""One flag's decision widgets, the decision callbacks, and the keys that press those same buttons."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import streamlit as st

from triage.errors import ReviewConflictError, TriageError
from triage.framework import LABELS, Framework
from triage.review import auth, queue
from triage.review.render import chip_html
from triage.store import open_store
from triage.ui.decisions import PAST, remember
from triage.ui.session import open_document, signed_in

KEYS = "Keys: A accept · R reject · L relabel · U undo · N/P next/previous"


def decide(db: str, flag_id: str, decision: str, expected_last: int) -> None:
    """Button callback: store the decision under the signed-in account, or explain why it was refused."""
    note = st.session_state.get(f"note-{flag_id}", "")
    labels = st.session_state.get(f"relabel-{flag_id}", []) if decision == "relabel" else []
    with open_store(db) as store:
        try:
            user = auth.require(signed_in(store), "reviewer", action="deciding on a flag")
            review = store.add_review(flag_id, decision, user.name, note=note, expected_last=expected_last,
                                      labels=labels)
            remember([review], f"{PAST[decision]} {flag_id.rsplit(':', 1)[-1]}")
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


def previous_flag(current: str) -> None:
    """Button callback (and key P): the flag before `current` in the open document's reading order."""
    order: list[str] = st.session_state.get("flag_order", [])
    if current in order and order.index(current) > 0:
        st.session_state["current_flag"] = order[order.index(current) - 1]


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
    """A / R decide on the current flag, L opens its relabel list, N / P move on or back, U undoes: the keys
    click the very buttons a mouse would, so a decision goes through the same callback, role and conflict
    check. A new current flag is scrolled to the middle of the view."""
    targets = {"a": f"accept-{current}", "r": f"reject-{current}", "l": f"relabel-box-{current}",
               "n": "next-flag", "p": "prev-flag"} if current else {}
    targets["u"] = "undo"
    script = """<script>
const doc = window.parent.document, win = window.parent, targets = %s, flag = %s, relabel = %s;
// The drawn copy: while Streamlit redraws, a hidden copy of an element can sit beside it for a while.
const shown = (sel) => [...doc.querySelectorAll(sel)].find((e) => e.getClientRects().length) || null;
if (win.__triageKeys) doc.removeEventListener("keydown", win.__triageKeys);
win.__triageKeys = (ev) => {
  const typing = ev.target.closest && ev.target.closest("input, textarea, [contenteditable=true], [role=listbox]");
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const key = ev.key.toLowerCase(), cls = targets[key];
  const button = cls && shown("." + cls + " button");
  if (!button || button.disabled) return;
  ev.preventDefault();
  button.click();
  if (key === "l") {  // the list opens a moment after the click: put the cursor in it to type a label
    let n = 0;
    const t = setInterval(() => {
      const input = shown("." + relabel + " input");
      if (input) { input.focus(); input.click(); }
      if (input || ++n > 30) clearInterval(t);
    }, 100);
  }
};
doc.addEventListener("keydown", win.__triageKeys);
// The marker moved (N, P, a decision, an undo): bring the new current flag to the middle of the view, once,
// and again while the page is still being drawn around it, but only if it has been pushed out of view.
if (flag && win.__triageScrolled !== flag) {
  win.__triageScrolled = flag;
  let n = 0, done = false;
  const t = setInterval(() => {
    const el = shown("." + flag);
    if (el) {
      const r = el.getBoundingClientRect();
      if (!done || r.top < 0 || r.bottom > win.innerHeight) el.scrollIntoView({block: "center"});
      done = true;
    }
    if (++n > 25 || win.__triageScrolled !== flag) clearInterval(t);
  }, 120);
}
</script>""" % (json.dumps({k: key_class(v) for k, v in targets.items()}),
                json.dumps(key_class(f"flag-{current}") if current else None),
                json.dumps(key_class(f"relabel-{current}") if current else None))
    st.components.v1.html(script, height=0)


def render_flag(db: str, fw: Framework, flag: dict[str, Any], *, current: bool = False) -> None:
    """One flag: its risk factor, indicator, current decision, note and buttons."""
    with st.container(key=f"flag-{flag['id']}"):  # the key gives the box a class the scroll script finds
        _render_flag(db, fw, flag, current=current)


def _render_flag(db: str, fw: Framework, flag: dict[str, Any], *, current: bool) -> None:
    rf = fw.factor(flag["label"])
    review = flag["review"]
    left, right = st.columns([3, 2])
    with left:
        if current:
            st.markdown(':blue-badge[:material/keyboard: current flag — **A** accept · **R** reject · **L** relabel'
                        ' · **U** undo · **N**/**P** next/previous]')
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
        with x.container(key=f"relabel-box-{fid}"), st.popover("Relabel", use_container_width=True):
            st.multiselect("The right risk factors", LABELS, key=f"relabel-{fid}",
                           format_func=lambda lab: f"{lab} {fw.factor(lab).short_name}")
            st.button("Save relabel", key=f"relabel-btn-{fid}", on_click=decide, args=(db, fid, "relabel", last))
        if msg := st.session_state.pop(f"msg-{fid}", None):
            getattr(st, msg[0])(msg[1])
