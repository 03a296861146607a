"""Decisions on many flags at once (all of a passage's, or a selection's) and the undo of this session's last
action. Every action is one store transaction, and undo takes back a whole action, never part of one."""

from __future__ import annotations

from typing import Any

import streamlit as st

from triage.errors import ReviewConflictError, TriageError
from triage.review import auth
from triage.review.render import plural
from triage.store import open_store
from triage.store.schema import Review
from triage.ui.session import signed_in

UNDO = "undo-actions"  # this session's decisions, newest last: {"what": "...", "ids": [review ids]}
SELECTED = "bulk-selected"  # passage ids ticked for a bulk decision (kept while their page is not drawn)
PAST = {"accept": "Accepted", "reject": "Rejected", "relabel": "Relabelled"}


def remember(reviews: list[Review], what: str) -> None:
    """Put one action (one review, or a passage's or a selection's) on this session's undo list."""
    st.session_state.setdefault(UNDO, []).append({"what": what, "ids": [r.id for r in reviews]})


def last_action() -> str | None:
    actions = st.session_state.get(UNDO) or []
    return actions[-1]["what"] if actions else None


def undo(db: str) -> None:
    """Button callback (and key U): take back this session's last action, all of it, in the store."""
    actions = st.session_state.get(UNDO) or []
    if not actions:
        st.session_state["undo-msg"] = ("info", "Nothing to undo in this session")
        return
    with open_store(db) as store:
        try:
            user = auth.require(signed_in(store), "reviewer", action="undoing a decision")
            done = store.withdraw(actions[-1]["ids"], user.name)
        except ReviewConflictError as exc:
            # Someone decided since: this action can no longer be taken back, so it leaves the list.
            st.session_state["undo-msg"] = ("warning", f"Not undone: {exc}")
            actions.pop()
            return
        except TriageError as exc:
            st.session_state["undo-msg"] = ("error", str(exc))
            return
    what = actions.pop()["what"]
    st.session_state["undo-msg"] = ("success", f"Undone: {what}")
    st.session_state["current_flag"] = done[0].written.flag_id  # back to where the undone action began


def decide_many(db: str, flags: list[dict[str, Any]], decision: str, note_key: str = "") -> None:
    """Button callback: one decision on these flags in one transaction, refused whole if any was decided
    by someone since this page was drawn."""
    note = st.session_state.get(note_key, "") if note_key else ""
    expected = {f["id"]: f["review"].id if f["review"] else 0 for f in flags}
    passages = len({f["passage_id"] for f in flags})
    what = f"{PAST[decision]} {plural(len(flags), 'flag')} in {plural(passages, 'passage')}"
    with open_store(db) as store:
        try:
            user = auth.require(signed_in(store), "reviewer", action="deciding on flags")
            rows = store.add_reviews([f["id"] for f in flags], decision, user.name, note=note,
                                     expected_last=expected)
        except ReviewConflictError as exc:
            st.session_state["bulk-msg"] = ("warning", f"Nothing saved: {exc}")
            return
        except TriageError as exc:
            st.session_state["bulk-msg"] = ("error", str(exc))
            return
    remember(rows, what)
    st.session_state["bulk-msg"] = ("success", what)
    st.session_state.pop("bulk-pending", None)
    st.session_state[SELECTED] = set()


def _select(pid: str) -> None:
    chosen: set[str] = st.session_state.setdefault(SELECTED, set())
    (chosen.add if st.session_state.get(f"sel-{pid}") else chosen.discard)(pid)


def passage_actions(db: str, pid: str, pflags: list[dict[str, Any]]) -> None:
    """Under a passage: tick it for a bulk decision; with several flags, accept or reject them all at once."""
    st.session_state[f"sel-{pid}"] = pid in st.session_state.get(SELECTED, set())
    cols = st.columns([1, 3, 1, 1], vertical_alignment="center") if len(pflags) > 1 else st.columns([1, 5])
    cols[0].checkbox("Select", key=f"sel-{pid}", on_change=_select, args=(pid,),
                     help="Tick passages, then decide on all their flags in 'Decide in bulk' above")
    if len(pflags) < 2:
        return
    cols[1].text_input("Note for all", key=f"pnote-{pid}", placeholder="optional note for all its flags",
                       label_visibility="collapsed")
    n = len(pflags)
    cols[2].button(f"Accept all {n}", key=f"passage-accept-{pid}", on_click=decide_many,
                   args=(db, pflags, "accept", f"pnote-{pid}"), use_container_width=True,
                   help="Accept every flag of this passage (one action: U undoes it)")
    cols[3].button(f"Reject all {n}", key=f"passage-reject-{pid}", on_click=decide_many,
                   args=(db, pflags, "reject", f"pnote-{pid}"), use_container_width=True,
                   help="Reject every flag of this passage, e.g. boilerplate (one action: U undoes it)")


def _ask(decision: str, flags: list[dict[str, Any]]) -> None:
    st.session_state["bulk-pending"] = {"decision": decision, "flags": flags}


def bulk_panel(db: str, by_passage: dict[str, list[dict[str, Any]]]) -> None:
    """Decide on many passages' flags in one step: the ticked passages, or every unreviewed flag of this
    document under a score. A confirmation shows the count first; U undoes the whole action."""
    pending = st.session_state.get("bulk-pending")
    ours = {f["id"] for fl in by_passage.values() for f in fl}
    if pending and not {f["id"] for f in pending["flags"]} <= ours:  # asked on another document: forget it
        st.session_state.pop("bulk-pending")
        pending = None
    chosen = [pid for pid in by_passage if pid in st.session_state.get(SELECTED, set())]
    with st.expander("Decide in bulk", expanded=bool(pending or chosen), icon=":material/checklist:"):
        picked = [f for pid in chosen for f in by_passage[pid]]
        left, right = st.columns(2)
        with left:
            st.markdown(f"**Ticked passages:** {len(chosen)} ({plural(len(picked), 'flag')})")
            a, r = st.columns(2)
            a.button("Accept ticked", key="bulk-accept-ticked", on_click=_ask, args=("accept", picked),
                     disabled=not picked, use_container_width=True)
            r.button("Reject ticked", key="bulk-reject-ticked", on_click=_ask, args=("reject", picked),
                     disabled=not picked, use_container_width=True)
        with right:
            below = st.number_input("Unreviewed flags scoring below", 0.0, 1.0, 0.5, 0.05, key="bulk-below")
            low = [f for fl in by_passage.values() for f in fl if f["review"] is None and f["score"] < below]
            st.button(f"Reject {plural(len(low), 'unreviewed flag')} below {below:.2f}", key="bulk-reject-below",
                      on_click=_ask, args=("reject", low), disabled=not low, use_container_width=True)
        if pending:
            flags = pending["flags"]
            passages = len({f["passage_id"] for f in flags})
            st.warning(f"{pending['decision'].title()} {plural(len(flags), 'flag')} in "
                       f"{plural(passages, 'passage')}?")
            st.text_input("Note for all", key="bulk-note", placeholder="optional note for every one of them")
            ok, cancel = st.columns(2)
            ok.button("Confirm", key="bulk-confirm", type="primary", on_click=decide_many,
                      args=(db, flags, pending["decision"], "bulk-note"), use_container_width=True)
            cancel.button("Cancel", key="bulk-cancel", on_click=st.session_state.pop, args=("bulk-pending", None),
                          use_container_width=True)
