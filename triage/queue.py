"""The reviewer's queues: the inbox (documents ranked by risk, filtered) and the review queues
("most uncertain" flags, a random sample of unflagged passages). Pure filtering over rows from the store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .store import Store

REVIEW_STATES = ("any", "unreviewed", "partly reviewed", "fully reviewed")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")
_MONTHS = ("january february march april may june july august september october november december").split()
_DATED = re.compile(r"\bdated?\s*:?\s*(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,2})\s+(" + "|".join(_MONTHS)
                    + r")\s+(\d{4}))", re.IGNORECASE)
_INVARIANT = "D:20000101"  # reportlab's fixed date for reproducible files: not a real date


def text_date(head: str) -> date | None:
    """A "Date: 2026-11-20" or "Dated 20 November 2026" line near the top of a report."""
    m = _DATED.search(head)
    if not m:
        return None
    try:
        if m[1]:
            return date(int(m[1]), int(m[2]), int(m[3]))
        return date(int(m[6]), _MONTHS.index(m[5].lower()) + 1, int(m[4]))
    except ValueError:
        return None


def document_date(creation_date: str, added_at: str, head: str = "") -> date:
    """The date a report is filed under: the date it states at the top, else its PDF creation date, else the
    day it was added."""
    if found := text_date(head):
        return found
    m = _PDF_DATE.match("" if (creation_date or "").startswith(_INVARIANT) else creation_date or "")
    if m:
        try:
            return date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
        except ValueError:
            pass  # a malformed date in the file's metadata: fall back to when we received it
    return date.fromisoformat(added_at[:10])


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the inbox shows. Empty tuples and None mean "no restriction"."""

    labels: tuple[str, ...] = ()  # documents with a flag for any of these risk factors
    countries: tuple[str, ...] = ()  # ISO codes of places named in the document
    date_from: date | None = None
    date_to: date | None = None
    review_state: str = "any"
    min_risk: float = 0.0
    max_risk: float = 1.0
    text: str = ""  # full-text search, case-insensitive


def _state(row: dict[str, Any]) -> str:
    if row["reviewed"] == 0:
        return "unreviewed"
    return "fully reviewed" if row["reviewed"] >= row["flags"] else "partly reviewed"


def inbox(store: Store, f: QueueFilter = QueueFilter()) -> list[dict[str, Any]]:
    """Documents matching `f`, riskiest first, each with `date` and `state` added."""
    hits = store.search_documents(f.text.strip()) if f.text.strip() else None
    out = []
    for row in store.queue_rows():
        row["date"] = document_date(row["creation_date"], row["added_at"], row["head"])
        row["state"] = _state(row)
        risk = row["risk"] or 0.0
        if (
            (hits is not None and row["id"] not in hits)
            or (f.labels and not set(f.labels) & set(row["labels"]))
            or (f.countries and not set(f.countries) & set(row["countries"]))
            or (f.date_from and row["date"] < f.date_from)
            or (f.date_to and row["date"] > f.date_to)
            or (f.review_state != "any" and row["state"] != f.review_state)
            or not (f.min_risk <= risk <= f.max_risk)
        ):
            continue
        out.append(row)
    return out


def most_uncertain(store: Store, n: int = 20) -> list[dict[str, Any]]:
    """Unreviewed flags whose score is closest to its label's threshold: where a reviewer's call teaches most."""
    rows = [r for r in store.flag_rows() if r["decision"] is None]
    for r in rows:
        r["margin"] = r["score"] - r["threshold"]
    return sorted(rows, key=lambda r: abs(r["margin"]))[:n]


def unflagged_sample(store: Store, n: int = 20, *, seed: int = 0) -> list[dict[str, Any]]:
    """A random sample of passages the model did not flag, to spot what it misses."""
    return store.unflagged_passages(n, seed=seed)
