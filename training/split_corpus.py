"""Freeze a stratified test split: corpus/test_ids.txt lists passages that are never trained on.

Ids already in the file stay there (the split is frozen); only passages new to the corpus are
considered, and they are added until every label, and the passages with no label, has at least
TEST_SHARE of its passages in the test split.

Usage: python -m training.split_corpus [--new N]

`--new N` lets only the last N passages of passages.jsonl (the ones just appended) join the split. Without it
any passage outside the split may be drawn, including ones a registered model trained on, which would then
grade that model on its own training data.
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


def extend_split(records: list[dict], frozen: set[str], *, seed: int = 13, eligible: set[str] | None = None) -> set[str]:
    """Return the frozen ids plus new ones chosen so every label reaches TEST_SHARE; with `eligible`, only
    those ids may join (a label may then stay short, and the caller says so)."""
    totals = Counter(k for r in records for k in _keys(r))
    need = {k: math.ceil(TEST_SHARE * n) for k, n in totals.items()}
    have = Counter(k for r in records if r["id"] in frozen for k in _keys(r))
    candidates = [r for r in records if r["id"] not in frozen and (eligible is None or r["id"] in eligible)]
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


def main(new: int = 0) -> None:
    cfg = load_config()
    records = load_corpus(cfg.corpus_dir)
    frozen = load_test_ids(cfg.corpus_dir)
    eligible = {r["id"] for r in records[-new:]} if new else None
    chosen = extend_split(records, frozen, eligible=eligible)
    path = Path(cfg.corpus_dir) / TEST_IDS
    path.write_text("".join(f"{i}\n" for i in sorted(chosen)), encoding="utf-8")
    share = {lab: sum(1 for r in records if lab in _keys(r) and r["id"] in chosen) for lab in (*LABELS, NONE)}
    print(f"{len(chosen)} of {len(records)} passages in {path} ({len(chosen) - len(frozen)} new) from {PASSAGES}")
    print("  ".join(f"{k}:{v}" for k, v in share.items()))
    totals = {k: sum(1 for r in records if k in _keys(r)) for k in share}
    short = [k for k in share if share[k] < TEST_SHARE * totals[k]]
    if short:
        print(f"Still under {TEST_SHARE:.0%} (too few new passages with them): {', '.join(short)}")


if __name__ == "__main__":
    import typer

    def cli(new: int = typer.Option(0, help="Only the last N passages of passages.jsonl may join the split "
                                            "(0: any passage outside it).")) -> None:
        """Extend the frozen test split so every label has its share of test passages."""
        main(new)

    typer.run(cli)
