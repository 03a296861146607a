"""Sign-ins that survive a page reload: a random token per sign-in, kept in a browser cookie, looked up in a
table held by the server process. Only a hash of the token is kept, it lapses after the idle time, sign-out
revokes it, and a restart of the app forgets every one (everyone signs in again). The cookie, not the URL,
carries it, so a copied link to a document never carries someone's sign-in."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

COOKIE = "triage_session"
TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionTokens:
    """Live sign-in tokens: hash -> (account name, last seen). Thread-safe: Streamlit runs sessions in threads."""

    def __init__(self) -> None:
        self._live: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, name: str, *, now: float | None = None) -> str:
        """A new random token for `name`."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._lock:
            self._live[_digest(token)] = (name, time.time() if now is None else now)
        return token

    def resolve(self, token: str | None, *, idle_minutes: int, now: float | None = None) -> str | None:
        """The account `token` was issued to, counting this as activity; None (and the token dropped) once it
        has been idle longer than `idle_minutes`, or if it was never issued or was revoked."""
        if not token:
            return None
        now = time.time() if now is None else now
        key = _digest(token)
        with self._lock:
            found = self._live.get(key)
            if found is None:
                return None
            if not 0 <= now - found[1] <= idle_minutes * 60:
                del self._live[key]
                return None
            self._live[key] = (found[0], now)
            return found[0]

    def revoke(self, token: str | None) -> None:
        """End a sign-in: the token no longer resolves."""
        if token:
            with self._lock:
                self._live.pop(_digest(token), None)


def cookie_script(token: str | None, *, max_age: int) -> str:
    """JavaScript that sets (or, with no token, deletes) the sign-in cookie on the app's own page."""
    value, age = (token, max_age) if token else ("", 0)
    return ("<script>window.parent.document.cookie = "
            f'"{COOKIE}={value}; path=/; max-age={age}; SameSite=Strict";</script>')
