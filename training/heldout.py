"""Real document-held-out figures of the recipe `triage train` ships, without registering a model.

Usage: python -m training.heldout [--corpus DIR] [--same-as DIR]

When the real corpus grows, its held-out figure moves for two reasons: the model learnt more, and it is graded
on other paragraphs. `--same-as` separates them: it grades only the paragraphs whose locators are in an earlier
corpus folder, e.g. one taken from git:

    git archive 596c37b corpus | tar -x -C /tmp/before
    python -m training.heldout --same-as /tmp/before/corpus

`--corpus` trains and grades on another corpus folder (an earlier commit's, say) instead of corpus/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from training.real_corpus import load_locators, load_real_corpus
from training.train import (
    MAX_LABELS,
    held_out_decisions,
    load_corpus,
    load_test_ids,
    operating_metrics,
    out_of_fold,
    shipped_fit_kwargs,
)
from triage.config import Config, load_config
from triage.framework import LABELS

SUMMARY = ("macro_f1", "macro_precision", "macro_recall", "false_alarm_rate", "flagged_share")


def same_as_rows(records: Sequence[dict[str, Any]], earlier_corpus: Path) -> np.ndarray:
    """Which records are real paragraphs that an earlier corpus folder already held."""
    earlier = {loc.id for loc in load_locators(earlier_corpus)}
    return np.array([r["id"] in earlier for r in records], dtype=bool)


def heldout(config: Config, *, same_as: Path | None = None, log: Any = print) -> dict[str, dict[str, Any]]:
    """Operating metrics on every real paragraph and, with `same_as`, on the earlier corpus's paragraphs only."""
    test_ids = load_test_ids(config.corpus_dir)
    records = [r for r in load_corpus(config.corpus_dir) if r["id"] not in test_ids]
    records += load_real_corpus(config, log=log)
    oof = out_of_fold(records, shipped_fit_kwargs(config.models_dir), folds=config.train_folds)
    if not oof.is_real.any():
        return {}
    pred, _ = held_out_decisions(oof.y, oof.raw, oof.is_real, oof.groups, recall_target=config.recall_target,
                                 max_labels=MAX_LABELS, folds=config.train_folds, **oof.cut)
    rows = {"all real": oof.is_real}
    if same_as is not None:
        rows[f"real also in {same_as}"] = oof.is_real & same_as_rows(records, same_as)
    return {name: {"paragraphs": int(mask.sum()), **operating_metrics(oof.y[mask], pred[mask])}
            for name, mask in rows.items()}


def report(figures: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, m in figures.items():
        lines.append(f"{name} ({m['paragraphs']} paragraphs): "
                     + ", ".join(f"{k} {m[k]:.3f}" for k in SUMMARY))
        lines.append("  F1 " + " ".join(f"{lab} {m[lab]['f1']:.2f}" for lab in LABELS))
    return "\n".join(lines)


if __name__ == "__main__":
    import typer

    def main(corpus: Path = typer.Option(None, help="Corpus folder to train and grade on (default corpus/)."),
             same_as: Path = typer.Option(None, help="Also grade only the real paragraphs this earlier corpus "
                                                     "folder's real_labels.jsonl holds.")) -> None:
        """Print real document-held-out P/R/F1 and false alarms of the shipped recipe (a few minutes)."""
        config = load_config()
        if corpus is not None:
            config = replace(config, corpus_dir=corpus)
        print(report(heldout(config, same_as=same_as)))

    typer.run(main)
