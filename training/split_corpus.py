"""Freeze a stratified test split: corpus/test_ids.txt lists passages that are never trained on.

Ids already in the file stay there (the split is frozen); only passages new to the corpus are
considered, and they are added until every label, and the passages with no label, has at least
TEST_SHARE of its passages in the test split.

Usage: python -m training.split_corpus
"""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

from training.train import PASSAGES, TEST_IDS, load_corpus, load_test_ids
from triage.config import load_config
from triage.framework import LABELS

TEST_SHARE = 0.22  # a little over the 20% promised, so small labels still clear it after edits
NONE = "none"


def _keys(rec: dict) -> list[str]:
    return list(rec["labels"]) or [NONE]


def extend_split(records: list[dict], frozen: set[str], *, seed: int = 13) -> set[str]:
    """Return the frozen ids plus new ones chosen so every label reaches TEST_SHARE."""
    totals = Counter(k for r in records for k in _keys(r))
    need = {k: math.ceil(TEST_SHARE * n) for k, n in totals.items()}
    have = Counter(k for r in records if r["id"] in frozen for k in _keys(r))
    candidates = [r for r in records if r["id"] not in frozen]
    random.Random(seed).shuffle(candidates)
    chosen = set(frozen)
    # First pass: take a passage only if none of its labels is already at its quota, so frequent
    # companions (RF7 beside RF12, say) do not drag whole rare labels into the test split.
    for rec in candidates:
        if all(have[k] < need[k] for k in _keys(rec)):
            chosen.add(rec["id"])
            have.update(_keys(rec))
    # Second pass: fill what is still short, preferring passages with the fewest labels.
    for rec in sorted((r for r in candidates if r["id"] not in chosen), key=lambda r: len(_keys(r))):
        if any(have[k] < need[k] for k in _keys(rec)):
            chosen.add(rec["id"])
            have.update(_keys(rec))
    return chosen


def main() -> None:
    cfg = load_config()
    records = load_corpus(cfg.corpus_dir)
    frozen = load_test_ids(cfg.corpus_dir)
    chosen = extend_split(records, frozen)
    path = Path(cfg.corpus_dir) / TEST_IDS
    path.write_text("".join(f"{i}\n" for i in sorted(chosen)), encoding="utf-8")
    share = {lab: sum(1 for r in records if lab in _keys(r) and r["id"] in chosen) for lab in (*LABELS, NONE)}
    print(f"{len(chosen)} of {len(records)} passages in {path} ({len(chosen) - len(frozen)} new) from {PASSAGES}")
    print("  ".join(f"{k}:{v}" for k, v in share.items()))


if __name__ == "__main__":
    main()
