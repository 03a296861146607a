"""Reviewers' decisions -> training examples, with provenance.

For each reviewed passage the labels start from what the model predicted for it (the flags the
reviewer saw), then the latest decision on each flag is applied: accept keeps the label, reject
removes it (a negative for that label), relabel removes it and adds the labels the reviewer chose.
Labels the reviewer did not decide on stay as predicted; every other label is negative, as in the corpus.
A checked unflagged passage (`triage check-unflagged`) carries exactly the labels the reviewer found missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from triage.framework import LABELS
from triage.store import Store


def review_examples(store: Store, *, exclude_texts: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Training records {"id", "text", "labels", "source": "review:<name>", "reviewers"} from the store.
    Passages whose text is in `exclude_texts` (the frozen test split) are left out, so they never leak."""
    excluded = {t.strip() for t in exclude_texts}
    out = []
    for rec in store.reviewed_passages():
        if rec["text"].strip() in excluded:
            continue
        labels = set(rec["predicted"])
        for d in rec["decisions"]:
            if d["decision"] == "accept":
                labels.add(d["label"])
            elif d["decision"] == "reject":
                labels.discard(d["label"])
            elif d["decision"] == "relabel":
                labels.discard(d["label"])
                labels.update(d["labels"])
        last = max(rec["decisions"], key=lambda d: d["decided_at"])
        out.append({
            "id": f"review:{rec['id']}",
            "text": rec["text"],
            "labels": [lab for lab in LABELS if lab in labels],
            "source": f"review:{last['reviewer']}",
            "reviewers": sorted({d["reviewer"] for d in rec["decisions"]}),
        })
    seen = {rec["id"] for rec in out}
    for check in store.unflagged_checks():
        if check["text"].strip() in excluded or f"review:{check['passage_id']}" in seen:
            continue  # a passage flagged since it was checked: its flags' decisions are newer
        out.append({
            "id": f"review:{check['passage_id']}",
            "text": check["text"],
            "labels": [lab for lab in LABELS if lab in check["missed"]],
            "source": f"review:{check['reviewer']}",
            "reviewers": [check["reviewer"]],
        })
    return out
