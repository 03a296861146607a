"""Real document-held-out figures of the recipe `triage train` ships, without registering a model.

Usage: python -m training.heldout [--corpus DIR] [--same-as DIR] [--written-groups N] [--flag-share S] [--ceiling]

When the real corpus grows, its held-out figure moves for two reasons: the model learnt more, and it is graded
on other paragraphs. `--same-as` separates them: it grades only the paragraphs whose locators are in an earlier
corpus folder, e.g. one taken from git:

    git archive 596c37b corpus | tar -x -C /tmp/before
    python -m training.heldout --same-as /tmp/before/corpus

`--corpus` trains and grades on another corpus folder (an earlier commit's, say) instead of corpus/.

The figures also depend on which documents share a fold. `--written-groups` (repeatable) re-runs with the
written passages hashed into that many groups, which moves the real documents between folds too:

    python -m training.heldout --written-groups 37 --written-groups 40 --written-groups 43

prints each arrangement and the spread of macro-F1 across them, the noise to hold a difference against.

`--flag-share` (repeatable) grades the same out-of-fold scores with the first stage letting through other
shares of real paragraphs, so choosing the share costs one training per arrangement:

    python -m training.heldout --flag-share 0.30 --flag-share 0.40 --flag-share 0.50

`--ceiling` also prints, per label, how well the out-of-fold scores rank real paragraphs: average precision
and the best F1 any single threshold could reach if it were chosen on the very paragraphs it grades. No
threshold on a label's scores can beat that F1, so it says whether a gap is in the thresholds or in the scores
(the first stage's cut is a second score; the shipped rule, which combines the two, stayed below it in every
run docs/design.md reports).
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
    WRITTEN_GROUPS,
    cut_points,
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


def ranking_ceiling(y: np.ndarray, scores: np.ndarray) -> dict[str, dict[str, float]]:
    """Per label: average precision of `scores` and the best F1 of any one threshold on these same rows
    (optimistic by construction: the threshold is chosen on what it grades). Labels without positives are left out."""
    out = {}
    for j, label in enumerate(LABELS):
        truth = y[:, j].astype(bool)
        if not truth.any():
            continue
        _, tp, kept = cut_points(scores[:, j], truth)
        recall_gained = np.diff(tp, prepend=0) / truth.sum()
        out[label] = {"average_precision": float((recall_gained * tp / kept).sum()),
                      "best_f1": float((2 * tp / (kept + truth.sum())).max())}
    return out


def heldout(config: Config, *, same_as: Path | None = None, log: Any = print,
            written_groups: int = WRITTEN_GROUPS, flag_shares: Sequence[float] = (),
            ceiling: bool = False) -> dict[str, dict[str, Any]]:
    """Operating metrics on every real paragraph and, with `same_as`, on the earlier corpus's paragraphs only.
    `flag_shares` grades the same out-of-fold scores at other first-stage shares (default: the shipped one);
    `ceiling` adds each label's ranking ceiling on the same rows (`ranking_ceiling` of the raw scores)."""
    test_ids = load_test_ids(config.corpus_dir)
    records = [r for r in load_corpus(config.corpus_dir) if r["id"] not in test_ids]
    records += load_real_corpus(config, log=log)
    oof = out_of_fold(records, shipped_fit_kwargs(config.models_dir), folds=config.train_folds,
                      written_groups=written_groups)
    if not oof.is_real.any():
        return {}
    rows = {"all real": oof.is_real}
    if same_as is not None:
        rows[f"real also in {same_as}"] = oof.is_real & same_as_rows(records, same_as)
    figures = {}
    for share in flag_shares or [None]:
        cut = {**oof.cut, "flag_share": share} if share is not None and oof.cut else oof.cut
        pred, _ = held_out_decisions(oof.y, oof.raw, oof.is_real, oof.groups, recall_target=config.recall_target,
                                     max_labels=MAX_LABELS, folds=config.train_folds, **cut)
        suffix = f", first stage passing {share:.2f}" if share is not None else ""
        figures.update({name + suffix: {"paragraphs": int(mask.sum()), **operating_metrics(oof.y[mask], pred[mask])}
                        for name, mask in rows.items()})
    if ceiling:  # the scores, not the share, set the ceiling: attach it to the first share's rows
        for mask, key in zip(rows.values(), figures, strict=False):
            figures[key]["ceiling"] = ranking_ceiling(oof.y[mask], oof.raw[mask])
    return figures


def report(figures: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, m in figures.items():
        lines.append(f"{name} ({m['paragraphs']} paragraphs): "
                     + ", ".join(f"{k} {m[k]:.3f}" for k in SUMMARY))
        lines.append("  F1 " + " ".join(f"{lab} {m[lab]['f1']:.2f}" for lab in LABELS))
        if "ceiling" in m:
            c = m["ceiling"]
            lines.append("  ranking ceiling (any one threshold, chosen on these paragraphs): mean best F1 "
                         f"{np.mean([v['best_f1'] for v in c.values()]):.3f}, mean average precision "
                         f"{np.mean([v['average_precision'] for v in c.values()]):.3f}")
            lines.append("  best F1 " + " ".join(f"{lab} {v['best_f1']:.2f}" for lab, v in c.items()))
            lines.append("  AP      " + " ".join(f"{lab} {v['average_precision']:.2f}" for lab, v in c.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    import typer

    def main(corpus: Path = typer.Option(None, help="Corpus folder to train and grade on (default corpus/)."),
             same_as: Path = typer.Option(None, help="Also grade only the real paragraphs this earlier corpus "
                                                     "folder's real_labels.jsonl holds."),
             written_groups: list[int] = typer.Option(  # noqa: B008
                 [WRITTEN_GROUPS], help="Fold arrangement(s): written passages hashed into this many groups; "
                                        "repeat it to see the spread."),
             flag_share: list[float] = typer.Option(  # noqa: B008
                 [], help="Share of real paragraphs the first stage lets through (shipped: training.train's "
                          "FLAG_SHARE); repeat it to grade the same scores at several."),
             ceiling: bool = typer.Option(False, help="Also print each label's average precision and the best F1 "
                                                      "any one threshold could reach on the same scores.")) -> None:
        """Print real document-held-out P/R/F1 and false alarms of the shipped recipe (a minute or two each)."""
        config = load_config()
        if corpus is not None:
            config = replace(config, corpus_dir=corpus)
        spread: dict[str, list[float]] = {}
        for n, groups in enumerate(written_groups):
            figures = heldout(config, same_as=same_as, written_groups=groups, flag_shares=flag_share, ceiling=ceiling,
                              log=print if n == 0 else (lambda *_: None))
            if len(written_groups) > 1:
                print(f"-- written passages in {groups} groups")
            print(report(figures))
            for name, m in figures.items():
                spread.setdefault(name, []).append(m["macro_f1"])
        if len(written_groups) > 1:
            for name, f1 in spread.items():
                print(f"{name}: macro-F1 {min(f1):.3f}-{max(f1):.3f} over {len(f1)} arrangements "
                      f"(mean {sum(f1) / len(f1):.3f})")

    typer.run(main)
