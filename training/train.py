"""Train the risk-factor model from the corpus, pick per-label thresholds by cross-validation,
evaluate on the frozen test split, and register the result under models/<version>/.

Usage: python -m training.train [--activate]   (or: triage train)
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.model_selection import GroupKFold, KFold

from training.evaluate import evaluate_model, indicator_top3
from training.evaluate import expected_calibration_error as _ece
from training.evaluate import per_label_metrics as _per_label_metrics
from training.real_corpus import LOCATORS, load_real_corpus
from triage.analyse.classify import RiskModel, _fit_indicators, apply_platt, fit_model, fit_platt
from triage.analyse.flag import select_labels
from triage.analyse.registry import (
    forced_hint,
    forced_note,
    load_embedder,
    load_model,
    read_card,
    regressions,
    save_model,
    set_active,
)
from triage.config import TRAIN_FOLDS, Config, load_config
from triage.errors import TriageError
from triage.framework import LABELS, load_framework

PASSAGES = "passages.jsonl"
TEST_IDS = "test_ids.txt"
FOLDS = TRAIN_FOLDS
MIN_THRESHOLD = 0.05  # below this a label would flag almost everything
# A label's threshold rests on real paragraphs alone once it has this many real positives.
MIN_REAL_POSITIVES = 20
REAL_SOURCE = "un-reports"
# The shipped approach, chosen by training/compare.py on real document-held-out paragraphs (models/comparison.md):
# TF-IDF heads blended with heads on static MiniLM embeddings, and at most MAX_LABELS labels per passage.
EMBEDDER = "minilm-m2v-256"
# TF-IDF's weight against the embeddings: 0.7 with the filtering gate (real held-out macro-F1 0.397; 0.5 gave
# 0.385 in a run with the gate learnt from real paragraphs only: train(blend=0.5, gate_on="real")).
BLEND = 0.7
# With F1 thresholds (THRESHOLD_RULE) few paragraphs cross more than two; a third, when it does cross, is
# right often enough to raise real held-out macro-F1 (v9's corpus, first stage at 0.40: held_out_decisions on
# the same out-of-fold scores gives 0.390 with 2 and 0.397 with 3, at 1.47 and 1.65 labels per flag).
MAX_LABELS = 3
# A first stage trained on real paragraphs ("does this report anything a risk factor covers?"); as v6 used it,
# multiplying every label's score, it cut false alarms on real negatives from 0.29 to 0.20 (models/comparison.md).
GATE = True
# "multiply" (v6) or "filter" (v7): the gate as a passage-level cut, over which FLAG_SHARE of real paragraphs lie
# (chosen on out-of-fold relevance scores). On 4,066 real paragraphs, document-held-out (models/comparison.md):
# multiply 0.369 macro-F1, 0.185 false alarms; filter at 0.30 0.397 and 0.080. Other cuts: the trade-off table
# of models/v7/evaluation.md (0.35: 0.396 and 0.121).
GATE_MODE = "filter"
# Which passages the gate learns from: "real" paragraphs only (v6) or "all", written ones too. With the filter,
# real-only let written reports through poorly (train(gate_on="real"): frozen written split recall 0.555,
# macro-F1 0.426); "all" keeps the real figures and the written ones (recall 0.872, macro-F1 0.495, v7's card).
GATE_ON = "all"
# The share of real paragraphs the first stage lets through; the labels' thresholds then drop some more (0.40
# lets through 0.40 and 0.29 keep a label). It was 0.30 while thresholds were set for recall (v7-v9), when
# almost every paragraph let through crossed some label's threshold.
FLAG_SHARE: float | None = 0.40
# How a label's threshold is chosen on real out-of-fold scores. "recall" (v1-v9): the highest threshold that
# keeps recall_target of its positives. "f1": the threshold of best F1 among the paragraphs the first stage lets
# through. At the ~30% of paragraphs a reviewer can read, no label reaches 0.85 recall whichever rule is used;
# there the F1 rule is better on every count, on 5,154 real paragraphs, document-held-out (v9's corpus, the
# cards of v10 and v9): flagged 0.286 against 0.294, false alarms 0.090 against 0.091, macro precision 0.411
# against 0.346, recall 0.395 against 0.390, macro-F1 0.397 against 0.363, 1.65 labels per flag against 1.89.
THRESHOLD_RULE = "f1"
THRESHOLD_RULES = ("recall", "f1")


def gate_rows(is_real: np.ndarray, gate_on: str = GATE_ON) -> list[bool]:
    """Which training passages the first stage learns from: the real paragraphs, or all (`gate_on`)."""
    if gate_on not in ("real", "all"):
        raise ValueError(f"gate_on must be 'real' or 'all', got {gate_on!r}")
    return [bool(v) for v in is_real] if gate_on == "real" else [True] * len(is_real)


def load_corpus(corpus_dir: Path) -> list[dict[str, Any]]:
    """All labelled passages in corpus/passages.jsonl."""
    path = Path(corpus_dir) / PASSAGES
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_test_ids(corpus_dir: Path) -> set[str]:
    """Ids of the frozen test split (never trained on); empty if there is none."""
    path = Path(corpus_dir) / TEST_IDS
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def label_matrix(label_sets: Sequence[Sequence[str]]) -> np.ndarray:
    """Binary matrix (n, 14) in RF order."""
    return np.array([[lab in ls for lab in LABELS] for ls in label_sets], dtype=int)


WRITTEN_GROUPS = 40


def fold_groups(records: Sequence[dict[str, Any]], *, written_groups: int = WRITTEN_GROUPS) -> np.ndarray:
    """The unit each record is split by: a real paragraph's document (never split across folds, or the model
    would be judged on the document it learnt from), a written passage's hashed id otherwise."""
    return np.array([r["group"] if r.get("group") else f"w{zlib.crc32(r['id'].encode()) % written_groups}"
                     for r in records])


def cross_validated_scores(
    texts: list[str], label_sets: list[list[str]], *, folds: int = FOLDS, groups: Sequence[str] | None = None,
    relevance: np.ndarray | None = None, **fit_kwargs: Any,
) -> np.ndarray:
    """Out-of-fold scores for every passage: each is scored by a model that never saw it (nor, with `groups`,
    anything of its group). `relevance`, if given, is filled with the gate's out-of-fold scores."""
    scores = np.zeros((len(texts), len(LABELS)))
    if groups is None:
        splits = KFold(folds, shuffle=True, random_state=0).split(texts)
    else:
        splits = GroupKFold(min(folds, len(set(groups)))).split(texts, groups=list(groups))
    gate_rows = fit_kwargs.pop("gate_rows", None)
    for train_idx, test_idx in splits:
        if gate_rows is not None:
            fit_kwargs["gate_rows"] = [gate_rows[i] for i in train_idx]
        model = fit_model([texts[i] for i in train_idx], [label_sets[i] for i in train_idx], **fit_kwargs)
        test_texts = [texts[i] for i in test_idx]
        x = model.features.transform(test_texts)
        scores[test_idx] = model.score_matrix(test_texts, x=x)
        if relevance is not None:
            g = model.relevance_scores(test_texts, x=x)
            relevance[test_idx] = 1.0 if g is None else g
    return scores


def threshold_for_recall(pos_scores: np.ndarray, recall_target: float) -> float:
    """The highest threshold whose recall over these positives' scores still reaches the target."""
    pos = np.sort(np.asarray(pos_scores))
    if len(pos) == 0:
        return 0.5
    # Keep ceil(target * n) positives above the threshold.
    k = int(np.floor((1 - recall_target) * len(pos) + 1e-9))
    return float(max(MIN_THRESHOLD, min(0.95, pos[k] - 1e-6)))


def cut_points(scores: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every threshold that can separate these rows, highest first: the lowest score it keeps, and the true
    positives and rows it keeps. Tied scores fall on the same side of any threshold, so a cut is only where
    the next score is lower."""
    scores, truth = np.asarray(scores, dtype=float), np.asarray(truth).astype(bool)
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    cuttable = np.append(s[1:] < s[:-1], True)
    return s[cuttable], np.cumsum(truth[order])[cuttable], np.arange(1, len(s) + 1)[cuttable]


def threshold_for_f1(scores: np.ndarray, truth: np.ndarray) -> float:
    """The threshold (just under a score) at which F1 over these rows is highest; 0.5 without positives."""
    positives = int(np.asarray(truth).astype(bool).sum())
    if not positives:
        return 0.5
    s, tp, kept = cut_points(scores, truth)
    k = int(np.argmax(2 * tp / (kept + positives)))
    return float(max(MIN_THRESHOLD, min(0.95, s[k] - 1e-6)))


def choose_thresholds(y: np.ndarray, scores: np.ndarray, recall_target: float) -> dict[str, float]:
    """Per label, the highest threshold whose recall still reaches the target (missing a warning
    sign costs more than showing a reviewer one passage too many)."""
    return {label: threshold_for_recall(scores[y[:, j] == 1, j], recall_target) for j, label in enumerate(LABELS)}


def operating_point(
    y: np.ndarray, oof_raw: np.ndarray, is_real: np.ndarray, recall_target: float, *,
    rule: str = THRESHOLD_RULE, passed: np.ndarray | None = None,
) -> tuple[dict[str, tuple[float, float]], dict[str, float], dict[str, str]]:
    """Calibration and thresholds per label from out-of-fold scores of real paragraphs, where a report's
    scores will come from; a label with fewer than MIN_REAL_POSITIVES real positives uses written passages
    as well. `rule` (THRESHOLD_RULES) says how a threshold is chosen; with the "f1" rule, `passed` (the rows the
    first stage lets through) limits it to the paragraphs a label can still be given on. Returns (calibration,
    thresholds, which rows each label's choice rests on)."""
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"threshold rule must be one of {THRESHOLD_RULES}, not {rule!r}")
    calibration, thresholds, basis = {}, {}, {}
    for j, label in enumerate(LABELS):
        real_pos = int(y[is_real, j].sum())
        rows = is_real if real_pos >= MIN_REAL_POSITIVES else np.ones(len(y), dtype=bool)
        basis[label] = "real" if real_pos >= MIN_REAL_POSITIVES else f"real+written ({real_pos} real positives)"
        calibration[label] = fit_platt(oof_raw[rows, j], y[rows, j])
        cal = apply_platt(oof_raw[rows, j], calibration[label])
        if rule == "recall":
            thresholds[label] = threshold_for_recall(cal[y[rows, j] == 1], recall_target)
        else:
            keep = np.ones(len(cal), dtype=bool) if passed is None else passed[rows]
            thresholds[label] = threshold_for_f1(cal[keep], y[rows, j][keep])
    return calibration, thresholds, basis


def decisions(scores: np.ndarray, thresholds: dict[str, float], max_labels: int) -> np.ndarray:
    """(n, 14) booleans: the labels `select_labels` keeps for each row of calibrated scores."""
    out = np.zeros(scores.shape, dtype=bool)
    for i, row in enumerate(scores):
        for label in select_labels(zip(LABELS, map(float, row), strict=True), thresholds, max_labels):
            out[i, LABELS.index(label)] = True
    return out


def held_out_decisions(
    y: np.ndarray, oof_raw: np.ndarray, is_real: np.ndarray, groups: np.ndarray, *, recall_target: float,
    max_labels: int, folds: int, relevance: np.ndarray | None = None, flag_share: float | None = None,
    rule: str = THRESHOLD_RULE,
) -> tuple[np.ndarray, np.ndarray]:
    """Decisions and calibrated scores for every row, with the operating point (calibration, thresholds and,
    with `flag_share`, the relevance cut) chosen on the other folds' rows only: figures that do not grade
    thresholds on the scores that chose them."""
    pred = np.zeros(y.shape, dtype=bool)
    cal = np.zeros(y.shape)
    for tr, te in GroupKFold(min(folds, len(set(groups)))).split(y, groups=groups):
        calibration, thresholds, _, cut = gated_operating_point(
            y[tr], oof_raw[tr], is_real[tr], recall_target, rule=rule, flag_share=flag_share,
            relevance=None if relevance is None else relevance[tr])
        cal[te] = apply_calibration(oof_raw[te], calibration)
        pred[te] = decisions(cal[te], thresholds, max_labels)
        if cut is not None:
            pred[te] &= (relevance[te] >= cut)[:, None]
    return pred, cal


def gated_operating_point(
    y: np.ndarray, oof_raw: np.ndarray, is_real: np.ndarray, recall_target: float, *, rule: str = THRESHOLD_RULE,
    relevance: np.ndarray | None = None, flag_share: float | None = None,
) -> tuple[dict[str, tuple[float, float]], dict[str, float], dict[str, str], float | None]:
    """operating_point with the first stage's cut, over which `flag_share` of these real rows lie (None without
    `relevance` and `flag_share`); the rows under the cut take no part in the F1 rule's choice. Per fold for the
    held-out figures, on every row for the shipped model: (calibration, thresholds, basis, cut)."""
    cut = relevance_cut(relevance[is_real], flag_share) if relevance is not None and flag_share else None
    calibration, thresholds, basis = operating_point(y, oof_raw, is_real, recall_target, rule=rule,
                                                     passed=None if cut is None else relevance >= cut)
    return calibration, thresholds, basis, cut


def relevance_cut(relevance: np.ndarray, flag_share: float) -> float:
    """The gate score over which `flag_share` of these (real) paragraphs lie."""
    return float(np.quantile(relevance, 1.0 - flag_share))


TRADEOFF_TARGETS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
# With a filtering first stage its cut, not the per-label target, sets how much a reviewer gets back.
TRADEOFF_SHARES = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def tradeoff(y: np.ndarray, oof_raw: np.ndarray, is_real: np.ndarray, groups: np.ndarray, *, max_labels: int,
             folds: int, recall_target: float = 0.85, relevance: np.ndarray | None = None,
             flag_share: float | None = None, rule: str = THRESHOLD_RULE) -> list[dict[str, Any]]:
    """What recall costs a reviewer on real held-out paragraphs: the recall reached, the share of paragraphs
    flagged and of negatives flagged, for a range of per-label recall targets or, with a filtering first stage
    (`relevance` and `flag_share`), for a range of its cuts, thresholds chosen by `rule`."""
    gated = relevance is not None and bool(flag_share)
    knobs = ([(recall_target, share) for share in TRADEOFF_SHARES] if gated
             else [(target, None) for target in TRADEOFF_TARGETS])
    rows = []
    for target, share in knobs:
        cut = {"relevance": relevance, "flag_share": share} if share else {}
        # Without a first stage the recall target is the knob, so it must be the rule too.
        pred, _ = held_out_decisions(y, oof_raw, is_real, groups, recall_target=target, max_labels=max_labels,
                                     folds=folds, rule=rule if gated else "recall", **cut)
        m = operating_metrics(y[is_real], pred[is_real])
        rows.append({"recall_target": target, **({"gate_share": share} if share else {}),
                     "macro_recall": m["macro_recall"], "macro_precision": m["macro_precision"],
                     "macro_f1": m["macro_f1"], "flagged_share": m["flagged_share"],
                     "false_alarm_rate": m["false_alarm_rate"]})
    return rows


def operating_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """Per-label precision/recall/F1 of boolean decisions, their macro averages, and what a reviewer sees:
    the share of negative paragraphs flagged (false alarms), the share of all flagged, labels per flag."""
    out = per_label_metrics(y, pred.astype(float), dict.fromkeys(LABELS, 0.5))
    negative = y.sum(axis=1) == 0
    flagged = pred.any(axis=1)
    out["false_alarm_rate"] = round(float(flagged[negative].mean()), 3) if negative.any() else None
    out["flagged_share"] = round(float(flagged.mean()), 3)
    out["labels_per_flagged"] = round(float(pred.sum(axis=1)[flagged].mean()), 2) if flagged.any() else 0.0
    out["paragraphs"] = int(len(y))
    out["negatives"] = int(negative.sum())
    return out


def real_indicator_top3(records: list[dict[str, Any]], framework: Any, *, folds: int) -> dict[str, Any]:
    """Indicator top-3 hit rate on real paragraphs, each ranked by prototypes built without its document."""
    if not any(r.get("indicators") for r in records):
        return {"hit_rate": None, "pairs": 0}
    groups = [r["group"] for r in records]
    hits = pairs = 0.0
    chance: list[float] = []
    for tr, te in GroupKFold(min(folds, len(set(groups)))).split(records, groups=groups):
        proto = RiskModel(features=None, estimators={}, thresholds={})  # type: ignore[arg-type]
        _fit_indicators(proto, [records[i]["text"] for i in tr], [records[i].get("indicators", []) for i in tr],
                        framework)
        r = indicator_top3(proto, [records[i] for i in te])
        if r["pairs"]:
            hits += r["hit_rate"] * r["pairs"]
            pairs += r["pairs"]
            chance.append(r["chance"] * r["pairs"])
    return {"hit_rate": round(hits / pairs, 3) if pairs else None, "pairs": int(pairs),
            "chance": round(sum(chance) / pairs, 3) if pairs else None}


def per_label_metrics(y: np.ndarray, scores: np.ndarray, thresholds: dict[str, float]) -> dict[str, Any]:
    """Precision, recall, F1 and support per label at the given thresholds, plus macro averages."""
    return _per_label_metrics(y, scores, thresholds)


def calibrate(y: np.ndarray, oof: np.ndarray) -> dict[str, tuple[float, float]]:
    """Platt parameters per label from out-of-fold scores (scores of passages each model never saw)."""
    return {lab: fit_platt(oof[:, j], y[:, j]) for j, lab in enumerate(LABELS)}


def apply_calibration(scores: np.ndarray, calibration: dict[str, tuple[float, float]]) -> np.ndarray:
    """Calibrated copy of a (n, 14) score matrix."""
    return np.column_stack([apply_platt(scores[:, j], calibration[lab]) for j, lab in enumerate(LABELS)])


def _comparison_summary(models_dir: Path) -> dict[str, Any]:
    """Why this approach: the verdict of the last `python -m training.compare` run, if there is one."""
    path = models_dir / "comparison.json"
    if not path.exists():
        return {"note": "no comparison run yet (python -m training.compare)"}
    data = json.loads(path.read_text(encoding="utf-8"))
    keep = ("approach", "train_seconds", "passages_per_second", "size_mb")
    return {"chosen": data["chosen"], "why": data["why"], "report": "models/comparison.md",
            "results": [{**{k: r.get(k) for k in keep},
                         **{f"{part}_macro_f1": r[part]["macro_f1"] for part in ("real", "written") if part in r}}
                        for r in data["results"]]}


def data_hash(records: list[dict[str, Any]]) -> str:
    """SHA-256 of the training records as canonical JSON, so a card names exactly what it learned from."""
    h = hashlib.sha256()
    for rec in records:
        h.update(json.dumps(rec, sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def split_hash(test_recs: Sequence[dict[str, Any]]) -> str:
    """Which frozen split a card's figures were measured on (SHA-256 of its sorted ids)."""
    return hashlib.sha256("\n".join(sorted(r["id"] for r in test_recs)).encode()).hexdigest()


def active_on_split(config: Config, test_recs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The active model's frozen-split figures, for the promotion check: from its card when it was measured
    on this split and at the labels it keeps (`at_decision`, cards since v10), else measured now (the split grows
    when passages are added), so both sides are graded alike on the same passages."""
    card = read_card(config.models_dir)
    frozen = card.get("frozen_test", {})
    if not test_recs or (frozen.get("split") == split_hash(test_recs) and "at_decision" in frozen):
        return card
    report = evaluate_model(load_model(config.models_dir), list(test_recs))
    return {"frozen_test": {"at_thresholds": report["at_thresholds"], "at_decision": report["at_decision"],
                            "ece": report["calibration"]["ece"]}}


def shipped_fit_kwargs(models_dir: Path, *, embedder_name: str = EMBEDDER, blend: float = BLEND,
                       mask_unknown_names: str = "unseen") -> dict[str, Any]:
    """fit_model's arguments for the approach `triage train` ships (benchmarks time the same thing)."""
    embedder = load_embedder(models_dir, embedder_name) if embedder_name and blend < 1.0 else None
    return dict(mask_unknown_names=mask_unknown_names, embedder=embedder,
                embedder_name=embedder_name if embedder else "", blend=blend if embedder else 1.0)


def real_rows(records: Sequence[dict[str, Any]]) -> np.ndarray:
    """Which records are real UN paragraphs (as opposed to written passages or reviews)."""
    return np.array([r.get("source") == REAL_SOURCE for r in records], dtype=bool)


@dataclass(frozen=True)
class OutOfFold:
    """Out-of-fold scores of the training records and what the held-out figures need beside them."""

    y: np.ndarray
    is_real: np.ndarray
    groups: np.ndarray
    raw: np.ndarray  # uncalibrated label scores, each from a model that never saw the record's document
    relevance: np.ndarray  # the first stage's out-of-fold scores (ones without a gate)
    cut: dict[str, Any]  # held_out_decisions' relevance and flag_share, or {} when no filtering gate is fitted


def out_of_fold(
    records: Sequence[dict[str, Any]], fit_kwargs: dict[str, Any], *, folds: int, gate: bool = GATE,
    gate_mode: str = GATE_MODE, gate_on: str = GATE_ON, flag_share: float | None = FLAG_SHARE,
    written_groups: int = WRITTEN_GROUPS,
) -> OutOfFold:
    """Cross-validated scores, real documents never split. Adds the gate's arguments to `fit_kwargs`, since
    the final fit must learn the same first stage. `written_groups` changes how passages fall into folds
    (training.heldout uses it to show how much the figures owe to one arrangement)."""
    texts = [r["text"] for r in records]
    label_sets = [r["labels"] for r in records]
    is_real, groups = real_rows(records), fold_groups(records, written_groups=written_groups)
    if gate and is_real.any():
        fit_kwargs["gate_rows"] = gate_rows(is_real, gate_on)
        fit_kwargs["gate_mode"] = gate_mode
    relevance = np.ones(len(texts))
    raw = cross_validated_scores(texts, label_sets, folds=folds, groups=groups, relevance=relevance, **fit_kwargs)
    # The relevance cut applies only to a gate kept apart from the label scores.
    # Without real paragraphs there is no gate, hence no cut.
    cut = ({"relevance": relevance, "flag_share": flag_share}
           if gate_mode == "filter" and flag_share and "gate_rows" in fit_kwargs else {})
    return OutOfFold(label_matrix(label_sets), is_real, groups, raw, relevance, cut)


def train(
    config: Config | None = None,
    *,
    extra: Sequence[dict[str, Any]] = (),
    activate: bool = False,
    folds: int | None = None,
    log: Any = print,
    force: bool = False,
    reason: str = "",
    fairness: bool = True,
    note: str = "",
    mask_unknown_names: str = "unseen",
    use_real: bool = True,
    embedder_name: str = EMBEDDER,
    blend: float = BLEND,
    max_labels: int = MAX_LABELS,
    gate: bool = GATE,
    gate_mode: str = GATE_MODE,
    gate_on: str = GATE_ON,
    flag_share: float | None = FLAG_SHARE,
    threshold_rule: str = THRESHOLD_RULE,
) -> tuple[str, dict[str, Any]]:
    """Train, evaluate and register a model; returns (version, model card).

    `extra` are records like the corpus's (e.g. from reviews, with a `source`); `folds` defaults to the
    config's `train_folds` (the CLI and the app's Retrain button train the same way); `note` says why this
    version was trained and goes into its card; `mask_unknown_names` says which capitalised words are
    masked as names besides the listed ones ("" for none; triage.classify.fit_model says what each costs).
    With `activate`, the
    new model becomes active only if it is not worse than the active one on the frozen split, or with
    `force` and a `reason`, which the registry's history keeps with what got worse (as `triage models promote`)."""
    config = config or load_config()
    folds = folds or config.train_folds
    framework = load_framework(config.framework_path)
    records = load_corpus(config.corpus_dir)
    test_ids = load_test_ids(config.corpus_dir)
    real = load_real_corpus(config, log=log) if use_real else []
    train_recs = [r for r in records if r["id"] not in test_ids] + list(extra) + real
    test_recs = [r for r in records if r["id"] in test_ids]
    texts = [r["text"] for r in train_recs]
    label_sets = [r["labels"] for r in train_recs]
    log(f"Training on {len(train_recs)} passages ({len(extra)} from reviews, {len(real)} real UN paragraphs); "
        f"{len(test_recs)} held out")

    fit_kwargs = shipped_fit_kwargs(config.models_dir, embedder_name=embedder_name, blend=blend,
                                    mask_unknown_names=mask_unknown_names)
    embedder = fit_kwargs["embedder"]
    started = time.perf_counter()
    oof = out_of_fold(train_recs, fit_kwargs, folds=folds, gate=gate, gate_mode=gate_mode, gate_on=gate_on,
                      flag_share=flag_share)
    y, is_real, groups = oof.y, oof.is_real, oof.groups
    oof_raw, cut = oof.raw, oof.cut
    real_validation: dict[str, Any] | None = None
    if is_real.any():
        calibration, thresholds, basis, gate_cut = gated_operating_point(y, oof_raw, is_real, config.recall_target,
                                                                         rule=threshold_rule, **cut)
        pred, held_cal = held_out_decisions(y, oof_raw, is_real, groups, recall_target=config.recall_target,
                                            max_labels=max_labels, folds=folds, rule=threshold_rule, **cut)
        real_validation = {
            "note": ("real UN paragraphs, split by document: each scored by a model that never saw its document, "
                     "at calibration and thresholds chosen on the other folds' paragraphs"),
            "documents": len(set(groups[is_real])),
            **operating_metrics(y[is_real], pred[is_real]),
            "all_labels_over_threshold": {k: v for k, v in operating_metrics(
                y[is_real], held_out_decisions(y, oof_raw, is_real, groups, recall_target=config.recall_target,
                                               max_labels=0, folds=folds, rule=threshold_rule,
                                               **cut)[0][is_real]).items()
                if k.startswith(("macro", "false", "flagged", "labels"))},
            "ece": _ece(y[is_real], held_cal[is_real])[0],
            "indicator_top3": real_indicator_top3([r for r in train_recs if r.get("source") == REAL_SOURCE],
                                                  framework, folds=folds),
            "threshold_basis": basis,
            "tradeoff": tradeoff(y, oof_raw, is_real, groups, max_labels=max_labels, folds=folds,
                                 recall_target=config.recall_target, rule=threshold_rule, **cut),
        }
    else:
        gate_cut = None
        calibration = calibrate(y, oof_raw)
        thresholds = choose_thresholds(y, apply_calibration(oof_raw, calibration), config.recall_target)
    oof = apply_calibration(oof_raw, calibration)
    cv = per_label_metrics(y[~is_real], oof[~is_real], thresholds)
    cv_at_half = per_label_metrics(y[~is_real], oof[~is_real], dict.fromkeys(LABELS, 0.5))
    model = fit_model(
        texts, label_sets, thresholds=thresholds,
        indicator_sets=[r.get("indicators", []) for r in train_recs], framework=framework, **fit_kwargs,
    )
    model.calibration = calibration
    if gate_cut is not None:
        model.gate_threshold = gate_cut
    model.max_labels = max_labels
    train_seconds = time.perf_counter() - started

    card: dict[str, Any] = {
        "schema_version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **({"why": note} if note else {}),
        "approach": "TF-IDF word 1-2-grams + char_wb 2-5-grams, one balanced logistic regression per risk factor"
                    + (f", averaged ({blend:.2f} / {1 - blend:.2f}) with logistic regressions on static MiniLM "
                       f"embeddings ({embedder_name})" if embedder else "")
                    + ("; each score times a first-stage relevance score trained on real paragraphs"
                       if model.gate is not None else "")
                    + (f"; at most {max_labels} labels per passage" if max_labels else ""),
        "masking": "listed group and country names" + (
            f" + unknown capitalised words ({mask_unknown_names})" if mask_unknown_names else ""),
        "data": {
            "corpus": f"corpus/{PASSAGES}",
            "data_sha256": data_hash(train_recs),
            "train_passages": len(train_recs),
            "from_reviews": len(extra),
            "review_sources": sorted({str(r.get("source", "")) for r in extra}),
            "test_passages": len(test_recs),
            "label_counts": {lab: int(y[:, j].sum()) for j, lab in enumerate(LABELS)},
            "real_paragraphs": int(is_real.sum()),
            "real_documents": len(set(groups[is_real])),
            "real_locators": f"corpus/{LOCATORS}" if is_real.any() else None,
            "written_passages": int((~is_real).sum()) - len(extra),
            "trained_on": ("written corpus, real UN paragraphs" if is_real.any() else "written corpus only")
                          + (" and reviews" if extra else ""),
        },
        "max_labels": max_labels,
        "features": {"embedder": embedder_name if embedder is not None else None, "blend": blend,
                     "gate": model.gate_mode if model.gate is not None else None,
                     "gate_threshold": round(model.gate_threshold, 4) if model.gate_threshold else None,
                     "flag_share": flag_share if cut else None},
        **({"real_validation": real_validation} if real_validation else {}),
        "recall_target": config.recall_target,
        # Without real paragraphs there is no first stage, and the recall target sets the thresholds.
        "threshold_rule": threshold_rule if real_validation else "recall",
        "thresholds": {k: round(v, 4) for k, v in thresholds.items()},
        "cross_validation": {
            "folds": folds,
            "note": ("written passages' out-of-fold scores; thresholds were chosen on these (or, with real "
                     "paragraphs, on real ones), so they are optimistic"),
            "at_thresholds": cv,
            "at_0.5": cv_at_half,
        },
        "calibration": {
            "method": "Platt scaling per label on the logit of out-of-fold scores",
            "cv_ece_raw": _ece(y, oof_raw)[0],
            "cv_ece_calibrated": _ece(y, oof)[0],
        },
        "approach_choice": _comparison_summary(Path(config.models_dir)),
        "train_seconds": round(train_seconds, 1),
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
    }
    report = None
    if test_recs:
        report = evaluate_model(model, test_recs)
        at_t, at_half = report["at_thresholds"], report["at_0.5"]
        card["frozen_test"] = {
            "note": "never trained on; thresholds fixed before this evaluation",
            "passages": len(test_recs),
            "split": split_hash(test_recs),
            "at_thresholds": at_t,
            "at_decision": report["at_decision"],
            "ece": report["calibration"]["ece"],
            "indicator_top3": report["indicator_top3"],
            "worst_confusions": report["confusion"]["worst_pairs"][:5],
            "recall_cost": {
                "note": "macro precision and recall at the chosen thresholds vs at 0.5",
                "precision_at_thresholds": at_t["macro_precision"], "recall_at_thresholds": at_t["macro_recall"],
                "precision_at_0.5": at_half["macro_precision"], "recall_at_0.5": at_half["macro_recall"],
                "f1_at_0.5": at_half["macro_f1"],
            },
        }
        if fairness:
            from training.fairness import flip_rate

            report["fairness"] = card["frozen_test"]["fairness"] = flip_rate(model, test_recs)
    worse: list[str] = []
    if activate:
        try:
            worse = regressions(card, active_on_split(config, test_recs))
        except TriageError:
            worse = []  # no active model yet: nothing to compare with
    forced = forced_note(worse, force, reason)  # "" when nothing got worse, None when refused
    version = save_model(model, card, config.models_dir, activate=activate and not worse)
    if forced:
        set_active(config.models_dir, version, note=forced)
    card["version"] = version
    if report is not None:
        from training.evaluate import write_report

        report["model_version"] = version
        if real_validation:
            report["real_validation"] = real_validation
        write_report(report, Path(config.models_dir) / version)
    if forced:
        log(f"Activated {version}, {forced}")
    elif worse:
        log(f"Not activated: {version} is worse than the active model on the frozen split: " + "; ".join(worse)
            + f". {forced_hint(version, force)}.")
    real_line = (f"; real document-held-out macro-F1 {real_validation['macro_f1']:.3f}, recall "
                 f"{real_validation['macro_recall']:.3f}, false alarms {real_validation['false_alarm_rate']:.3f}"
                 if real_validation else "")
    log(f"Saved model {version} to {config.models_dir / version} "
        f"(written cross-validated macro-F1 {cv['macro_f1']:.3f}{real_line}, {train_seconds:.0f} s)")
    return version, card


if __name__ == "__main__":
    import typer

    def main(activate: bool = typer.Option(False, help="Make the new model the active one.")) -> None:
        """Train a model from corpus/passages.jsonl and register it."""
        train(activate=activate)

    typer.run(main)
