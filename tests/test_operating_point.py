"""The operating point: how each label's threshold is chosen on out-of-fold scores (for recall or for F1) and
how the first stage's cut limits the choice to the paragraphs a label can still be given on."""

from __future__ import annotations

import numpy as np
import pytest

from training.train import (
    held_out_decisions,
    operating_metrics,
    operating_point,
    threshold_for_f1,
    threshold_for_recall,
)
from triage.framework import LABELS


def _f1(scores: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    pred = scores >= threshold
    tp = int((pred & truth).sum())
    return 2 * tp / (pred.sum() + truth.sum()) if tp else 0.0


def test_the_f1_threshold_is_the_best_cut_of_the_scores() -> None:
    rng = np.random.default_rng(3)
    truth = rng.uniform(size=400) < 0.2
    scores = np.clip(rng.normal(0.3 + 0.3 * truth, 0.15), 0.06, 0.94)
    t = threshold_for_f1(scores, truth)
    best = max(_f1(scores, truth, s - 1e-6) for s in np.unique(scores))
    assert _f1(scores, truth, t) == pytest.approx(best)
    # Recall's threshold for 0.85 lets many more negatives through; its F1 is lower here.
    r = threshold_for_recall(scores[truth], 0.85)
    assert r < t and _f1(scores, truth, r) < best


def test_tied_scores_fall_on_one_side_of_the_f1_threshold() -> None:
    # Cutting between the two 0.6s is impossible: the best real cut keeps both (F1 2/3), not one of them.
    scores = np.array([0.6, 0.6, 0.2, 0.1])
    truth = np.array([True, False, False, False])
    t = threshold_for_f1(scores, truth)
    assert (scores >= t).tolist() == [True, True, False, False]
    assert threshold_for_f1(scores, np.zeros(4, dtype=bool)) == 0.5  # no positives: the neutral default


def test_the_f1_rule_chooses_only_among_paragraphs_the_first_stage_lets_through() -> None:
    rng = np.random.default_rng(5)
    n = 600
    y = np.zeros((n, len(LABELS)), dtype=int)
    y[:, 0] = rng.uniform(size=n) < 0.25
    raw = np.clip(rng.normal(0.35 + 0.25 * y, 0.15), 0.01, 0.99)
    is_real = np.ones(n, dtype=bool)
    # The first stage rejects half of RF1's positives, those scored lowest: they cannot be flagged anyway.
    passed = ~((y[:, 0] == 1) & (raw[:, 0] < np.median(raw[y[:, 0] == 1, 0])))
    _, every, _ = operating_point(y, raw, is_real, 0.85, rule="f1")
    _, limited, _ = operating_point(y, raw, is_real, 0.85, rule="f1", passed=passed)
    assert every["RF1"] != limited["RF1"]
    _, recall, _ = operating_point(y, raw, is_real, 0.85, rule="recall")
    assert recall["RF1"] < every["RF1"]
    with pytest.raises(ValueError, match="threshold rule"):
        operating_point(y, raw, is_real, 0.85, rule="precision")


def test_held_out_decisions_follow_the_rule() -> None:
    rng = np.random.default_rng(7)
    n = 900
    y = np.zeros((n, len(LABELS)), dtype=int)
    for j in range(3):
        y[:, j] = rng.uniform(size=n) < 0.1
    raw = np.clip(rng.normal(0.3 + 0.3 * y, 0.15), 0.01, 0.99)
    groups = np.array([f"doc{i % 30}" for i in range(n)])
    is_real = np.ones(n, dtype=bool)
    kw = dict(recall_target=0.85, max_labels=3, folds=5)
    by_recall, _ = held_out_decisions(y, raw, is_real, groups, rule="recall", **kw)
    by_f1, _ = held_out_decisions(y, raw, is_real, groups, rule="f1", **kw)
    r, f = operating_metrics(y, by_recall), operating_metrics(y, by_f1)
    assert r["RF1"]["recall"] > f["RF1"]["recall"] and r["flagged_share"] > f["flagged_share"]
    assert f["RF1"]["f1"] > r["RF1"]["f1"]
