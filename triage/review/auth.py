"""Accounts and roles. Passwords are hashed with argon2id (argon2-cffi); the store keeps only the hash.

Roles: a `reviewer` reads reports and decides on flags; an `analyst` can also manage models, read the audit
trail and write briefs. The UI asks `require` before every analyst page and action, and looks the role up in
the store each time, so nothing a browser sends (a URL, a widget value) can raise a user's role.

Sign-ins are rate-limited from the audit trail itself (failed attempts per account and per client address in
a sliding window), so restarting the app does not reset the count; UI sessions end after a configured idle time.
"""

from __future__ import annotations

import re
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from triage.errors import AuthError, LoginThrottledError, PermissionDeniedError
from triage.store import Store

ROLES = ("reviewer", "analyst")
RANK = {"reviewer": 1, "analyst": 2}  # an analyst may do everything a reviewer may
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the name is unknown keeps the time the same, so timing does not reveal names.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
# Five guesses per account and twenty per client address in any 15 minutes: ample for typing mistakes, and
# at that pace a guessing attack on an 8-character password would take longer than the reports matter.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in account."""

    name: str
    role: str

    def can(self, role: str) -> bool:
        """True if this user has `role` or a higher one."""
        return RANK.get(self.role, 0) >= RANK[role]


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def create_user(store: Store, name: str, role: str, password: str) -> User:
    """Create an account with a hashed password."""
    if not _NAME.match(name):
        raise AuthError("a user name is 1-64 letters, digits or . _ @ - and starts with a letter or digit")
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    store.add_user(name, role, hash_password(password))
    return User(name, role)


def authenticate(store: Store, name: str, password: str, *, client: str = "",
                 now: datetime | None = None) -> User:
    """The account if the password matches; otherwise one message that does not say which part was wrong.

    Refused without checking the password while the account (or the `client` address, if given) has had too
    many recent failures: a correct guess during a lockout must look the same as a wrong one."""
    row = store.user(name.strip())
    # Attempts on names that are not accounts share one key: what was typed may be a password put in the
    # wrong field, which must not reach the audit trail, and they lock out together, so a lock does not reveal
    # which names exist.
    key = row["name"] if row else "?"
    now = now or datetime.now(UTC)
    wait = _lockout(store, key, client, now)
    if wait > timedelta(0):
        store.log(key, "login-throttled", detail=client)
        minutes = -(-int(wait.total_seconds()) // 60)
        raise LoginThrottledError(f"too many failed sign-ins; wait {minutes} minute{'s' * (minutes != 1)} "
                                  "and try again")
    try:
        _HASHER.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        row = None
    if row is None or not row["active"]:
        store.log(key, "login-failed", detail=client)
        raise AuthError("wrong user name or password")
    if _HASHER.check_needs_rehash(row["password_hash"]):
        store.set_password_hash(row["name"], _HASHER.hash(password))
    store.log(row["name"], "login", detail=row["role"])
    return User(row["name"], row["role"])


def _lockout(store: Store, name: str, client: str, now: datetime) -> timedelta:
    """How long sign-ins for `name` or from `client` stay refused (zero: not locked)."""
    since = (now - FAILURE_WINDOW).isoformat(timespec="seconds")
    logins = store.audit_times("login", since=since, actor=name)
    # A successful sign-in forgives the account's earlier mistakes, not the client's.
    user_failures = store.audit_times("login-failed", since=logins[0] if logins else since, actor=name)
    waits = [_wait(user_failures, MAX_FAILURES_PER_USER, now)]
    if client:
        waits.append(_wait(store.audit_times("login-failed", since=since, detail=client),
                           MAX_FAILURES_PER_CLIENT, now))
    return max(waits)


def _wait(failures: list[str], limit: int, now: datetime) -> timedelta:
    """Time until fewer than `limit` of these failures (newest first) lie inside the window."""
    if len(failures) < limit:
        return timedelta(0)
    return max(datetime.fromisoformat(failures[limit - 1]) + FAILURE_WINDOW - now, timedelta(0))


def start_session(session: MutableMapping[str, Any], user: User, *, now: float | None = None) -> None:
    """Mark a UI session as signed in to `user` (only the name is kept; the role is re-read every time)."""
    session["user"] = user.name
    session["seen_at"] = time.time() if now is None else now
    session.pop("signed_out", None)


def session_user(store: Store, session: MutableMapping[str, Any], *, idle_minutes: int,
                 now: float | None = None) -> User | None:
    """The account signed in to a UI session, or None; a session idle longer than `idle_minutes` is ended.

    Every call counts as activity. A session without a start time was not made by `start_session`, so it is
    not trusted."""
    now = time.time() if now is None else now
    user = current_user(store, session.get("user"))
    if user is None:
        return None
    seen = session.get("seen_at")
    if not isinstance(seen, (int, float)) or not 0 <= now - seen <= idle_minutes * 60:
        store.log(user.name, "session-expired")
        session.pop("user", None)
        session.pop("seen_at", None)
        session["signed_out"] = f"Signed out after {idle_minutes} minutes without activity; sign in again."
        return None
    session["seen_at"] = now
    return user


def current_user(store: Store, name: str | None) -> User | None:
    """The account named in a session, re-read from the store (a deleted or disabled account is signed out)."""
    if not name:
        return None
    row = store.user(name)
    return User(row["name"], row["role"]) if row and row["active"] else None


def require(user: User | None, role: str, *, action: str = "this page") -> User:
    """Raise unless `user` is signed in with at least `role`."""
    if user is None:
        raise PermissionDeniedError("sign in first")
    if not user.can(role):
        raise PermissionDeniedError(f"{action} needs the {role} role; {user.name} is a {user.role}")
    return user
