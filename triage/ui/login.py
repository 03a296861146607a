"""The sign-in page, the only one a session without an account can reach."""

from __future__ import annotations

import streamlit as st

from triage.errors import TriageError
from triage.review import auth
from triage.ui.session import context, sign_in


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
                sign_in(user)
                st.rerun()
