"""Accounts: argon2 hashes only, one vague message for any failed sign-in, roles ranked, and the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from triage.errors import AuthError, PermissionDeniedError
from triage.review.auth import authenticate, create_user, current_user, require
from triage.store import open_store


def test_a_password_is_stored_only_as_an_argon2_hash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", "long enough pw")
        row = store.user("amina")
        assert row is not None and row["password_hash"].startswith("$argon2id$")
        assert "long enough pw" not in row["password_hash"]
        assert authenticate(store, "amina", "long enough pw").role == "reviewer"


@pytest.mark.parametrize("name,password", [("amina", "wrong password"), ("nobody", "long enough pw")])
def test_a_failed_sign_in_does_not_say_which_part_was_wrong(tmp_path, name, password) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", "long enough pw")
        with pytest.raises(AuthError, match="^wrong user name or password$"):
            authenticate(store, name, password)
        assert store.audit_log()[0]["action"] == "login-failed"


@pytest.mark.parametrize("name,role,password,message", [
    ("amina", "admin", "long enough pw", "role must be one of"),
    ("amina", "reviewer", "short", "at least 8"),
    ("bad name!", "reviewer", "long enough pw", "user name is"),
])
def test_bad_accounts_are_refused_clearly(tmp_path, name, role, password, message) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        with pytest.raises(AuthError, match=message):
            create_user(store, name, role, password)
        assert store.users() == []


def test_a_taken_name_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", "long enough pw")
        with pytest.raises(Exception, match="already an account named 'amina'"):
            create_user(store, "amina", "analyst", "another long pw")
        assert store.user("amina")["role"] == "reviewer"  # type: ignore[index]


def test_roles_are_ranked_and_read_from_the_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "a.db") as store:
        create_user(store, "amina", "reviewer", "long enough pw")
        create_user(store, "olu", "analyst", "long enough pw")
        amina, olu = current_user(store, "amina"), current_user(store, "olu")
        assert require(olu, "reviewer") == olu and require(olu, "analyst") == olu
        with pytest.raises(PermissionDeniedError, match="needs the analyst role"):
            require(amina, "analyst")
        with pytest.raises(PermissionDeniedError, match="sign in"):
            require(current_user(store, "ghost"), "reviewer")
        store.conn.execute("UPDATE users SET active = 0 WHERE name = 'olu'")
        assert current_user(store, "olu") is None
        with pytest.raises(AuthError):
            authenticate(store, "olu", "long enough pw")


def test_the_users_commands_create_list_and_make_demo_accounts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "cli.db")
    run = lambda *args, stdin="": subprocess.run(  # noqa: E731
        [sys.executable, "-m", "triage", "users", *args, "--db", db], input=stdin, capture_output=True, text=True,
        timeout=120)
    made = run("add", "olu", "--role", "analyst", "--password-stdin", stdin="a good password\n")
    assert made.returncode == 0, made.stderr
    assert "Created analyst olu" in made.stdout
    short = run("add", "x", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and short.stderr.startswith("Error: a password needs at least 8")
    assert "olu" in run("list").stdout and "analyst" in run("list").stdout
    demo = run("demo")
    creds = dict(line.split()[3:6:2] for line in demo.stdout.splitlines())
    assert set(creds) == {"reviewer", "analyst"}
    with open_store(db) as store:
        for name, password in creds.items():
            assert authenticate(store, name, password).role == name
