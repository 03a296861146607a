"""Access on the server side: every page refuses a session without an account (and a reviewer's session on an
analyst page) even when its function is called directly, sign-ins are rate-limited from the store, idle sessions
end, passwords appear nowhere, and the audit trail cannot be rewritten from the app."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from triage.errors import AuthError, LoginThrottledError
from triage.review import auth
from triage.review.auth import (
    FAILURE_WINDOW,
    MAX_FAILURES_PER_CLIENT,
    MAX_FAILURES_PER_USER,
    authenticate,
    create_user,
)
from triage.store import open_store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PASSWORD = "correct horse battery"
REVIEWER_PAGES = ("inbox_page", "document_page", "queues_page", "trends_page", "exports_page")
ANALYST_PAGES = ("models_page", "audit_page", "briefing_page")


# -- rate limiting -------------------------------------------------------------------------------------------
def _fail(store, name: str, n: int, *, client: str = "", now: datetime | None = None) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        with pytest.raises(AuthError, match="wrong user name or password"):
            authenticate(store, name, "not the password", client=client, now=now)


def test_an_account_is_locked_after_repeated_failures_even_for_the_right_password(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", PASSWORD)
        _fail(store, "amina", MAX_FAILURES_PER_USER)
        with pytest.raises(LoginThrottledError, match=r"too many failed sign-ins; wait 1[45] minutes") as locked:
            authenticate(store, "amina", PASSWORD)
        assert "wrong" not in str(locked.value)
        assert store.audit_log()[0]["action"] == "login-throttled"
        # Another account is not affected; the window passing lifts the lock.
        create_user(store, "olu", "analyst", PASSWORD)
        assert authenticate(store, "olu", PASSWORD).name == "olu"
        later = datetime.now(UTC) + FAILURE_WINDOW + timedelta(seconds=2)
        assert authenticate(store, "amina", PASSWORD, now=later).name == "amina"


def test_fewer_failures_than_the_limit_do_not_lock_and_a_sign_in_forgives_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", PASSWORD)
        _fail(store, "amina", MAX_FAILURES_PER_USER - 1)
        assert authenticate(store, "amina", PASSWORD).name == "amina"
        # Timestamps have one-second resolution: step past the sign-in so the new failures are after it.
        soon = datetime.now(UTC) + timedelta(seconds=2)
        _fail(store, "amina", MAX_FAILURES_PER_USER - 1, now=soon)
        assert authenticate(store, "amina", PASSWORD, now=soon).name == "amina"


def test_the_lock_survives_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "a.db"
    with open_store(db) as store:
        create_user(store, "amina", "reviewer", PASSWORD)
        _fail(store, "amina", MAX_FAILURES_PER_USER)
    # A new process, as after restarting the UI: the count lives in the store, not in memory.
    code = ("import sys; from triage.review.auth import authenticate; from triage.store import open_store\n"
            "from triage.errors import LoginThrottledError\n"
            f"s = open_store({str(db)!r})\n"
            f"try: authenticate(s, 'amina', {PASSWORD!r})\n"
            "except LoginThrottledError as e: print('locked:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("locked: too many failed sign-ins"), out.stdout + out.stderr


def test_one_client_guessing_many_names_is_locked_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", PASSWORD)
        per_name = MAX_FAILURES_PER_USER - 1  # no account reaches its own limit
        for i in range(-(-MAX_FAILURES_PER_CLIENT // per_name)):
            create_user(store, f"user{i}", "reviewer", PASSWORD)
            _fail(store, f"user{i}", per_name, client="203.0.113.9")
        with pytest.raises(LoginThrottledError):
            authenticate(store, "amina", PASSWORD, client="203.0.113.9")
        assert authenticate(store, "amina", PASSWORD, client="198.51.100.4").name == "amina"


def test_unknown_names_are_not_recorded_and_lock_like_real_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", PASSWORD)
        _fail(store, "amina", MAX_FAILURES_PER_USER)
        for i in range(MAX_FAILURES_PER_USER):
            _fail(store, f"ghost{i}", 1)
        messages = set()
        for name in ("amina", "ghost0", "never-tried"):
            with pytest.raises(LoginThrottledError) as locked:
                authenticate(store, name, PASSWORD)
            messages.add(str(locked.value).replace("14 minutes", "15 minutes"))
        assert len(messages) == 1  # the same words whether or not the account exists
        assert "ghost" not in repr(store.audit_log())


# -- idle sessions -------------------------------------------------------------------------------------------
def test_an_idle_session_ends_and_an_active_one_goes_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        user = create_user(store, "amina", "reviewer", PASSWORD)
        session: dict[str, object] = {}
        auth.start_session(session, user, now=1000.0)
        assert auth.session_user(store, session, idle_minutes=30, now=1000.0 + 29 * 60) == user
        # Activity moved the clock: 29 more minutes are still within the limit.
        assert auth.session_user(store, session, idle_minutes=30, now=1000.0 + 58 * 60) == user
        assert auth.session_user(store, session, idle_minutes=30, now=1000.0 + 89 * 60) is None
        assert "user" not in session and "30 minutes" in str(session["signed_out"])
        assert store.audit_log()[0]["action"] == "session-expired"
        # A session holding a name but no start time did not come from a sign-in.
        assert auth.session_user(store, {"user": "amina"}, idle_minutes=30) is None


# -- passwords never logged ----------------------------------------------------------------------------------
def test_passwords_appear_in_no_log_output_audit_line_or_database_byte(tmp_path, caplog, capfd) -> None:  # type: ignore[no-untyped-def]
    secret, wrong = "Zq7-unmistakable-secret", "Wx9-unmistakable-guess"
    db = tmp_path / "a.db"
    caplog.set_level(logging.DEBUG)
    with open_store(db) as store:
        create_user(store, "amina", "reviewer", secret)
        authenticate(store, "amina", secret)
        with pytest.raises(AuthError):
            authenticate(store, "amina", wrong)
        with pytest.raises(AuthError):
            authenticate(store, wrong, secret)  # a password typed into the name field is a known slip
        audit = repr(store.audit_log())
    cli = subprocess.run([sys.executable, "-m", "triage", "users", "add", "olu", "--role", "analyst",
                          "--password-stdin", "--db", str(db)], input=secret + "\n", capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 0, cli.stderr
    captured = capfd.readouterr()
    outputs = caplog.text + captured.out + captured.err + cli.stdout + cli.stderr + audit
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("a.db"))
    assert "login-failed" in audit  # the failures were recorded, just not what was typed
    for typed in (secret, wrong):
        assert typed not in outputs
        assert typed.encode() not in stored


# -- audit trail append-only ---------------------------------------------------------------------------------
def test_the_audit_trail_cannot_be_changed_or_deleted_from_the_app(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        store.log("amina", "login")
        store.log("amina", "export-view", detail="12 passages")
        before = store.audit_log()
        for sql in ("UPDATE audit SET actor = 'someone-else'", "DELETE FROM audit WHERE action = 'login'",
                    "DELETE FROM audit", "INSERT OR REPLACE INTO audit (id, at, actor, action) "
                                         "SELECT id, at, 'x', 'y' FROM audit"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                store.conn.execute(sql)
        assert store.audit_log() == before
        store.log("olu", "login")  # appending still works
        assert len(store.audit_log()) == 3


# -- the UI: pages and actions checked on the server ---------------------------------------------------------
REPORT = ("Date: 2026-10-14\n\nGunmen stopped a humanitarian convoy on the road to Kidal in Mali, abducted two aid "
          "workers and looted the trucks.\n")


@pytest.fixture()
def ui_store(pipeline, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    db = tmp_path / "ui.db"
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{pipeline.config.models_dir}"\nsession_idle_minutes = 30\n')
    monkeypatch.setenv("TRIAGE_DB", str(db))
    monkeypatch.setenv("TRIAGE_CONFIG", str(toml))
    with open_store(db) as store:
        store.save_result(pipeline.process_file("report.txt", data=REPORT.encode(), source="report.txt"))
        create_user(store, "amina", "reviewer", PASSWORD)
        create_user(store, "olu", "analyst", PASSWORD)
    return db


def _call_page_directly(app: str, page: str, user: str) -> None:
    """Run as a Streamlit script: the app as usual, then one page function called by hand, as if a crafted
    request had reached it without going through the navigation."""
    import runpy
    import time

    import streamlit as st

    if user:
        st.session_state["user"] = user
        st.session_state["seen_at"] = time.time()
    runpy.run_path(app)[page]()


def _everything_shown(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "title", "caption", "info", "subheader", "success")
                    for e in getattr(at, kind)) + " ".join(str(d.value) for d in at.dataframe)


@pytest.mark.slow
@pytest.mark.parametrize("page", REVIEWER_PAGES + ANALYST_PAGES)
def test_no_page_draws_anything_without_an_account(ui_store, page) -> None:  # type: ignore[no-untyped-def]
    at = AppTest.from_function(_call_page_directly, args=(APP, page, ""), default_timeout=60).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Not allowed: sign in first."]
    assert "Gunmen" not in _everything_shown(at) and not at.get("download_button")
    assert [t.value for t in at.title] == ["triage · sign in"]  # only the sign-in form was drawn


@pytest.mark.slow
@pytest.mark.parametrize("page", ANALYST_PAGES)
def test_a_reviewer_calling_an_analyst_page_is_refused(ui_store, page) -> None:  # type: ignore[no-untyped-def]
    at = AppTest.from_function(_call_page_directly, args=(APP, page, "amina"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Not allowed: this page needs the analyst role; amina is a reviewer."]
    assert [t.value for t in at.title] == ["Inbox"]  # the page the navigation drew; the analyst page drew nothing
    assert not at.dataframe and not at.get("download_button")


def _sign_in(name: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login-name").input(name)
    at.text_input(key="login-password").input(password)
    return at.button[0].click().run()


@pytest.mark.slow
def test_a_deactivated_reviewer_cannot_save_a_decision_from_an_open_page(ui_store) -> None:  # type: ignore[no-untyped-def]
    at = _sign_in("amina")
    at._page_hash = calc_hash("document")  # the page's URL, as a browser would request it
    at.run()
    accept = next(b.key for b in at.button if b.key and b.key.startswith("accept-"))
    with open_store(ui_store) as store:
        store.conn.execute("UPDATE users SET active = 0 WHERE name = 'amina'")  # an administrator's decision
    at.button(key=accept).click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["triage · sign in"]
    with open_store(ui_store) as store:
        assert store.reviews() == [] and "review" not in {r["action"] for r in store.audit_log()}


@pytest.mark.slow
def test_an_idle_session_is_signed_out_with_a_reason(ui_store) -> None:  # type: ignore[no-untyped-def]
    at = _sign_in("amina")
    assert [t.value for t in at.title] == ["Inbox"]
    at.session_state["seen_at"] = time.time() - 31 * 60
    at.run()
    assert [t.value for t in at.title] == ["triage · sign in"]
    assert "Signed out after 30 minutes without activity" in at.info[0].value
    assert "Gunmen" not in _everything_shown(at)


@pytest.mark.slow
def test_the_sign_in_form_says_how_long_to_wait_after_too_many_failures(ui_store) -> None:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login-name").input("amina")
    for _ in range(MAX_FAILURES_PER_USER):
        at.text_input(key="login-password").input("wrong password")
        at.button[0].click().run()
        assert at.error[0].value == "wrong user name or password"
    at.text_input(key="login-password").input(PASSWORD)
    at.button[0].click().run()
    assert at.error[0].value.startswith("too many failed sign-ins; wait 1")
    assert "user" not in at.session_state
