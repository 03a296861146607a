"""What every page shares: this run's config, framework and store, the signed-in account, the role guard,
the cached pipeline, and navigation between pages by name."""

from __future__ import annotations

import threading
from typing import Any

import streamlit as st

from triage.analyse.pipeline import Pipeline
from triage.config import Config, load_config
from triage.errors import PermissionDeniedError, TriageError
from triage.framework import Framework, load_framework
from triage.review import auth
from triage.store import Store, open_store
from triage.ui.tokens import COOKIE, SessionTokens, cookie_script

# The pages by url path, filled in by triage.ui.main on every run: a page module turns to another by name,
# so it need not import the module that builds the navigation (that would be an import cycle).
PAGES: dict[str, Any] = {}


@st.cache_resource(show_spinner="Loading the models...")
def load_pipeline(config: Config) -> Pipeline:
    return Pipeline.load(config)


class _Run(threading.local):
    """This script run's config, framework and store connection. Per thread: each session's script runs in
    a thread of its own, and an SQLite connection may only be used by the thread that opened it."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}


_LOCAL = _Run()


def _current() -> dict[str, Any]:
    return _LOCAL.values


def end_run() -> None:
    """Close this run's store connection and forget its context (the next run starts fresh)."""
    run = _current()
    if "store" in run:
        run["store"].close()
    run.clear()


def context() -> tuple[Config, Framework, Store]:
    run = _current()
    if "store" not in run:
        try:
            config = load_config()
            run.update(config=config, fw=load_framework(config.framework_path), store=open_store(config.db))
        except TriageError as exc:
            st.error(str(exc))
            st.stop()
    return run["config"], run["fw"], run["store"]


@st.cache_resource
def tokens() -> SessionTokens:
    """The server's table of live sign-in tokens (one per app process)."""
    return SessionTokens()


def signed_in(store: Store) -> auth.User | None:
    """The user of this session, re-read from the store on every run (the role is never taken from the session);
    None once the session has been idle longer than the configured `session_idle_minutes`.

    A new session (a reload, a link opened in the tab) takes up the sign-in from the browser's token cookie."""
    idle = (_current().get("config") or load_config()).session_idle_minutes
    token = st.session_state.get("token")
    had_user = "user" in st.session_state
    user = auth.session_user(store, st.session_state, idle_minutes=idle)
    if user is not None:
        tokens().resolve(token, idle_minutes=idle)  # activity here keeps the cookie's sign-in alive too
        return user
    if had_user:  # just timed out (or the account went): the token ends with the session
        tokens().revoke(token)
        st.session_state.pop("token", None)
        return None
    cookie = st.context.cookies.get(COOKIE) if st.context.cookies else None
    if cookie and cookie != st.session_state.get("revoked"):
        user = auth.current_user(store, tokens().resolve(cookie, idle_minutes=idle))
        if user is not None:
            auth.start_session(st.session_state, user)
            st.session_state["token"] = cookie
            st.session_state["cookie-set"] = True
    return user


def sign_in(user: auth.User) -> None:
    """Start this session for `user`, with a token the browser keeps in a cookie for reloads."""
    auth.start_session(st.session_state, user)
    st.session_state["token"] = tokens().issue(user.name)


def sign_out(store: Store, user: auth.User) -> None:
    """End the session and revoke its token, so the cookie no longer signs anyone in."""
    token = st.session_state.get("token")
    tokens().revoke(token)
    store.log(user.name, "logout")
    st.session_state.clear()
    st.session_state["revoked"] = token  # the browser still sends the old cookie until the script deletes it
    st.session_state["clear-cookie"] = True


def sync_cookie() -> None:
    """Write the sign-in cookie once per sign-in, and delete it after signing out."""
    idle = (_current().get("config") or load_config()).session_idle_minutes
    token = st.session_state.get("token")
    if token and not st.session_state.get("cookie-set"):
        st.session_state["cookie-set"] = True
        st.components.v1.html(cookie_script(token, max_age=idle * 60), height=0)
    elif st.session_state.pop("clear-cookie", None):
        st.components.v1.html(cookie_script(None, max_age=0), height=0)


def guard(role: str) -> tuple[Config, Framework, Store, auth.User]:
    """Every page starts here: stop unless the session's account has `role`."""
    config, fw, store = context()
    try:
        user = auth.require(signed_in(store), role)
    except PermissionDeniedError as exc:
        st.error(f"Not allowed: {exc}.")
        st.stop()
    return config, fw, store, user


def go(url_path: str) -> None:
    """Switch to the page registered under `url_path`."""
    st.switch_page(PAGES[url_path])


def open_document(doc_id: str) -> None:
    """Make `doc_id` the open document; the Document page puts it (and the current flag) in the URL."""
    st.session_state["doc_id"] = doc_id
    st.query_params.from_dict({"doc": doc_id})
