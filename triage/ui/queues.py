"""The Review queues page: the flags the model is least sure of, and a sample of what it did not flag."""

from __future__ import annotations

import html

import streamlit as st

from triage.review import queue
from triage.ui.flags import render_flag
from triage.ui.session import go, guard, open_document


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
                    go("document")
