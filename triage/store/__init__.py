"""The store (SQLite; PostgreSQL by URL through triage/store/db.py): documents, passages, entities, predictions,
flags and reviewers' decisions. WAL mode and one transaction per document, so a crash never
leaves half a document, and re-storing a document never duplicates it or touches its reviews.

`Store` is composed of one class per concern (documents, reviews, inbox, runs, accounts), all sharing
the connection in triage/store/connection.py; callers import everything from here."""

from __future__ import annotations

from pathlib import Path

from triage.store.accounts import AccountRows
from triage.store.backup import backup_database, integrity_check, restore_database
from triage.store.documents import DocumentRows
from triage.store.inbox import InboxQueries
from triage.store.runs import RunRows
from triage.store.schema import DECISIONS, SCHEMA_VERSION, Review

__all__ = [
    "DECISIONS",
    "SCHEMA_VERSION",
    "Review",
    "Store",
    "backup_database",
    "integrity_check",
    "open_store",
    "restore_database",
]


class Store(DocumentRows, InboxQueries, RunRows, AccountRows):
    """A connection to one SQLite database file, or to a PostgreSQL database given by URL (triage/store/db.py)."""


def open_store(path: str | Path) -> Store:
    """Open (creating if needed) the SQLite store at `path`."""
    return Store(path)
