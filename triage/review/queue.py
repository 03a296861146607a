"""The reviewer's queues: the inbox (documents ranked, filtered) and the review queues
("most uncertain" flags, a random sample of unflagged passages). Pure filtering over rows from the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from triage.read.dates import document_date
from triage.store import Store

REVIEW_STATES = ("any", "unreviewed", "partly reviewed", "fully reviewed")
_WALK_PAGE = 200  # inbox rows read at a time when looking for the next document: most searches end early


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the inbox shows. Empty tuples and None mean "no restriction"."""

    labels: tuple[str, ...] = ()  # documents with a flag for any of these risk factors
    countries: tuple[str, ...] = ()  # ISO codes of places named in the document
    date_from: date | None = None
    date_to: date | None = None
    review_state: str = "any"
    min_risk: float = 0.0  # on the document rank (documents.risk, triage/analyse/flag.py: document_risk)
    max_risk: float = 1.0
    text: str = ""  # full-text search, case-insensitive


def _state(row: dict[str, Any]) -> str:
    if row["reviewed"] == 0:
        return "unreviewed"
    return "fully reviewed" if row["reviewed"] >= row["flags"] else "partly reviewed"


def date_documents(store: Store) -> int:
    """Work out and store the filing date of every document that has none yet; returns how many.
    Done once per document, so the inbox can filter and show dates without reading every text."""
    dates = {r["id"]: document_date(r["creation_date"], r["added_at"], r["head"]).isoformat()
             for r in store.undated_documents()}
    store.set_document_dates(dates)
    return len(dates)


def inbox_page(store: Store, f: QueueFilter = QueueFilter(), *, page: int = 1,
               size: int | None = None) -> tuple[int, list[dict[str, Any]]]:
    """(how many documents match `f`, the `page`-th `size` of them in the inbox's order: rank, then number of
    flags, then filing date, then arrival, latest first), each with `date`, `state` and `strengths` (for
    `strongest_factors`). All matches when `size` is None. Filtering, ranking and paging happen in SQL."""
    date_documents(store)
    total, rows = store.queue_page(
        labels=f.labels, countries=f.countries, review_state=f.review_state, min_risk=f.min_risk,
        max_risk=f.max_risk, text=f.text.strip(),
        date_from=f.date_from.isoformat() if f.date_from else None,
        date_to=f.date_to.isoformat() if f.date_to else None,
        limit=size, offset=(page - 1) * size if size else 0,
    )
    for row in rows:
        row["date"] = date.fromisoformat(row["date"])
        row["state"] = _state(row)
    return total, rows


def inbox(store: Store, f: QueueFilter = QueueFilter()) -> list[dict[str, Any]]:
    """Every document matching `f`, in the inbox's order, each with `date` and `state` added."""
    return inbox_page(store, f)[1]


def _ranked(store: Store, f: QueueFilter) -> Iterator[dict[str, Any]]:
    """The inbox under `f`, in its order, read a page at a time so a search can stop early."""
    page = 1
    while rows := inbox_page(store, f, page=page, size=_WALK_PAGE)[1]:
        yield from rows
        page += 1


def next_document(store: Store, f: QueueFilter, after_doc_id: str) -> str | None:
    """The id of the first document after `after_doc_id` in the inbox's order under `f` that still has an
    undecided flag; None at the end of the inbox. If `after_doc_id` is not in that order (opened from
    elsewhere, or the filters changed), the first such document from the top."""
    # Ranked ignoring the review state: deciding a document's flags changes its state, and would otherwise
    # drop it out of an "unreviewed" inbox and lose our place in the order.
    seen, first_open = False, None
    for row in _ranked(store, replace(f, review_state="any")):
        if row["id"] == after_doc_id:
            seen = True
        elif row["reviewed"] < row["flags"] and f.review_state in ("any", row["state"]):
            if seen:
                return str(row["id"])
            first_open = first_open or str(row["id"])
    return None if seen else first_open


def most_uncertain(store: Store, n: int = 20) -> list[dict[str, Any]]:
    """Unreviewed flags whose score is closest to its label's threshold: where a reviewer's call teaches most."""
    rows = [r for r in store.flag_rows() if r["decision"] is None]
    for r in rows:
        r["margin"] = r["score"] - r["threshold"]
    return sorted(rows, key=lambda r: abs(r["margin"]))[:n]


def unflagged_sample(store: Store, n: int = 20, *, seed: int = 0) -> list[dict[str, Any]]:
    """A random sample of passages the model did not flag, to spot what it misses."""
    return store.unflagged_passages(n, seed=seed)


def strongest_factors(strengths: dict[str, float], n: int = 3) -> list[str]:
    """The `n` strongest flagged factors' ids, strongest first (ties by number)."""
    return sorted(strengths, key=lambda lab: (-strengths[lab], int(lab[2:])))[:n]
