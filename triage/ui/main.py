"""triage review UI (Streamlit): the script entry. Thin: every step calls the triage library.

Run with `triage ui --db triage.db` (or `make demo`). The store is $TRIAGE_DB, the same file the CLI writes.
Every page needs a signed-in account (`triage users add`); analyst pages are only registered for analysts and
check the role again, read from the store, before drawing anything or acting.
"""

from __future__ import annotations

import html

import streamlit as st

from triage.store import Store
from triage.ui import session
from triage.ui.audit import audit_page
from triage.ui.briefing import briefing_page
from triage.ui.document import document_page
from triage.ui.exports import exports_page
from triage.ui.inbox import inbox_page
from triage.ui.login import login_page
from triage.ui.models import models_page
from triage.ui.queues import queues_page
from triage.ui.trends import trends_page

__all__ = ["audit_page", "briefing_page", "document_page", "exports_page", "inbox_page", "login_page", "main",
           "models_page", "queues_page", "trends_page"]


REVIEWER = [(inbox_page, "Inbox", "inbox", "inbox"), (document_page, "Document", "description", "document"),
            (queues_page, "Review queues", "target", "queues"), (trends_page, "Trends", "trending_up", "trends"),
            (exports_page, "Exports", "download", "exports")]
ANALYST = [(models_page, "Models", "model_training", "models"), (audit_page, "Audit", "policy", "audit"),
           (briefing_page, "Briefing", "summarize", "briefing")]


def _pages() -> dict[str, list[st.Page]]:
    """The pages by section, built on every run (a st.Page belongs to the run that made it)."""
    session.PAGES.clear()
    pages: dict[str, list[st.Page]] = {}
    for section, specs in (("reviewer", REVIEWER), ("analyst", ANALYST)):
        for fn, title, icon, path in specs:
            page = st.Page(fn, title=title, icon=f":material/{icon}:", url_path=path, default=path == "inbox")
            session.PAGES[path] = page
            pages.setdefault(section, []).append(page)
    return pages


def main() -> None:
    """Draw one run of the app: the sign-in page, or the pages the account's role may see."""
    st.set_page_config(page_title="triage · review", page_icon="⚑", layout="wide")
    session.end_run()  # a page called by hand after the last run may have left its connection open
    _, _, store = session.context()
    try:
        run_pages(store)
    finally:
        session.end_run()


def run_pages(store: Store) -> None:
    pages = _pages()
    user = session.signed_in(store)
    session.sync_cookie()
    if user is None:
        # The sign-in form answers at every page's address, so a reload or a link to /document?doc=... signs in
        # and then lands where it pointed, instead of "Page not found".
        login = [st.Page(login_page, title="Sign in", icon=":material/login:", default=True)]
        login += [st.Page(login_page, title="Sign in", url_path=path) for path in session.PAGES]
        st.navigation(login, position="hidden").run()
        return
    with st.sidebar:
        st.markdown(f"Signed in as **{html.escape(user.name)}** ({user.role})")
        if st.button("Sign out"):
            session.sign_out(store, user)
            st.rerun()
    # Analyst pages are not even registered for a reviewer, so their URLs lead nowhere; each page also checks.
    sections = {"Review": pages["reviewer"]} | ({"Analysis": pages["analyst"]} if user.can("analyst") else {})
    st.navigation(sections).run()


if __name__ == "__main__":  # `streamlit run triage/ui/main.py` runs this file as __main__
    main()
