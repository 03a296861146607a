"""Accounts and roles. Passwords are hashed with argon2id (argon2-cffi); the store keeps only the hash.

Roles: a `reviewer` reads reports and decides on flags; an `analyst` can also manage models, read the audit
trail and write briefs. The UI asks `require` before every analyst page and action, and looks the role up in
the store each time, so nothing a browser sends (a URL, a widget value) can raise a user's role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import AuthError, PermissionDeniedError
from .store import Store

ROLES = ("reviewer", "analyst")
RANK = {"reviewer": 1, "analyst": 2}  # an analyst may do everything a reviewer may
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the name is unknown keeps the time the same, so timing does not reveal names.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


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


def authenticate(store: Store, name: str, password: str) -> User:
    """The account if the password matches; otherwise one message that does not say which part was wrong."""
    row = store.user(name.strip())
    try:
        _HASHER.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        row = None
    if row is None or not row["active"]:
        store.log(name.strip()[:64] or "?", "login-failed")
        raise AuthError("wrong user name or password")
    if _HASHER.check_needs_rehash(row["password_hash"]):
        store.set_password_hash(row["name"], _HASHER.hash(password))
    store.log(row["name"], "login", detail=row["role"])
    return User(row["name"], row["role"])


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
