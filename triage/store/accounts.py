"""Accounts and the audit trail (password hashing lives in triage/review/auth.py; only SQL here)."""

from __future__ import annotations

from typing import Any

from triage.errors import StoreError
from triage.store.connection import StoreConnection
from triage.store.schema import now


class AccountRows(StoreConnection):
    """Reviewer accounts and the append-only audit trail."""

    def add_user(self, name: str, role: str, password_hash: str) -> None:
        """Create an account; refuses a name that is taken."""
        try:
            with self.transaction() as c:
                c.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES (?,?,?,?)",
                          (name, role, password_hash, now()))
                c.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
                          (now(), "system", "user-add", name, role))
        except self.conn.IntegrityError as exc:  # sqlite3's or psycopg's, whichever the store uses
            raise StoreError(f"there is already an account named {name!r}") from exc

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self.transaction() as c:
            if c.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)).rowcount == 0:
                raise StoreError(f"no account named {name!r}")

    def user(self, name: str) -> dict[str, Any] | None:
        """An account as a dict (name, role, password_hash, created_at, active), or None."""
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def users(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT name, role, created_at, active FROM users ORDER BY name")]

    def log(self, actor: str, action: str, *, target: str = "", detail: str = "", model_version: str = "") -> None:
        """Append one line to the audit trail."""
        self.conn.execute("INSERT INTO audit (at, actor, action, target, detail, model_version) VALUES (?,?,?,?,?,?)",
                          (now(), actor, action, target, detail, model_version))

    def audit_times(self, action: str, *, since: str, actor: str | None = None, detail: str | None = None
                    ) -> list[str]:
        """When `action` was logged after `since` (ISO time), newest first; by one actor and/or detail."""
        sql = "SELECT at FROM audit WHERE action = ? AND at > ?"
        args: list[Any] = [action, since]
        for column, value in (("actor", actor), ("detail", detail)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        return [r[0] for r in self.conn.execute(sql + " ORDER BY at DESC", args)]

    def audit_log(self, *, limit: int = 1000, actor: str | None = None) -> list[dict[str, Any]]:
        """The latest audit lines, newest first."""
        sql = "SELECT * FROM audit" + (" WHERE actor = ?" if actor else "") + " ORDER BY id DESC LIMIT ?"
        return [dict(r) for r in self.conn.execute(sql, (*([actor] if actor else []), limit))]
