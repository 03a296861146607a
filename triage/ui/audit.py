"""The Audit page (analysts): who did what, when."""

from __future__ import annotations

import streamlit as st

from triage.ui.session import guard


def audit_page() -> None:
    _, _, store, _ = guard("analyst")
    st.title("Audit trail")
    actor = st.selectbox("Who", ["everyone", *[u["name"] for u in store.users()]])
    rows = store.audit_log(limit=2000, actor=None if actor == "everyone" else actor)
    st.dataframe(rows, hide_index=True, use_container_width=True,
                 column_order=["at", "actor", "action", "target", "detail", "model_version"])
