"""Train the risk-factor model from the corpus, pick per-label thresholds by cross-validation,
evaluate on the frozen test split, and register the result under models/<version>/.

Usage: python -m training.train [--activate]   (or: triage train)
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.model_selection import KFold

from training.evaluate import evaluate_model
from training.evaluate import expected_calibration_error as _ece
from training.evaluate import per_label_metrics as _per_label_metrics
from triage.classify import apply_platt, fit_model, fit_platt
from triage.config import TRAIN_FOLDS, Config, load_config
from triage.errors import TriageError
from triage.framework import LABELS, load_framework
from triage.registry import active_version, read_card, regressions, save_model

PASSAGES = "passages.jsonl"
TEST_IDS = "test_ids.txt"
FOLDS = TRAIN_FOLDS
MIN_THRESHOLD = 0.05  # below this a label would flag almost everything


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


def cross_validated_scores(
    texts: list[str], label_sets: list[list[str]], *, folds: int = FOLDS, mask_unknown_names: str = ""
) -> np.ndarray:
    """Out-of-fold scores for every passage: each is scored by a model that never saw it."""
    scores = np.zeros((len(texts), len(LABELS)))
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=0).split(texts):
        model = fit_model([texts[i] for i in train_idx], [label_sets[i] for i in train_idx],
                          mask_unknown_names=mask_unknown_names)
        scores[test_idx] = model.score_matrix([texts[i] for i in test_idx])
    return scores


def choose_thresholds(y: np.ndarray, scores: np.ndarray, recall_target: float) -> dict[str, float]:
    """Per label, the highest threshold whose recall still reaches the target (missing a warning
    sign costs more than showing a reviewer one passage too many)."""
    out = {}
    for j, label in enumerate(LABELS):
        pos = np.sort(scores[y[:, j] == 1, j])
        if len(pos) == 0:
            out[label] = 0.5
            continue
        # Keep ceil(target * n) positives above the threshold.
        k = int(np.floor((1 - recall_target) * len(pos) + 1e-9))
        out[label] = float(max(MIN_THRESHOLD, min(0.95, pos[k] - 1e-6)))
    return out


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
    keep = ("approach", "macro_f1", "ece", "train_seconds", "passages_per_second", "size_mb")
    return {"chosen": data["chosen"], "why": data["why"], "report": "models/comparison.md",
            "results": [{k: r[k] for k in keep} for r in data["results"]]}


def data_hash(records: list[dict[str, Any]]) -> str:
    """SHA-256 of the training records as canonical JSON, so a card names exactly what it learned from."""
    h = hashlib.sha256()
    for rec in records:
        h.update(json.dumps(rec, sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def train(
    config: Config | None = None,
    *,
    extra: Sequence[dict[str, Any]] = (),
    activate: bool = False,
    folds: int | None = None,
    log: Any = print,
    force: bool = False,
    fairness: bool = True,
    note: str = "",
    mask_unknown_names: str = "unseen",
) -> tuple[str, dict[str, Any]]:
    """Train, evaluate and register a model; returns (version, model card).

    `extra` are records like the corpus's (e.g. from reviews, with a `source`); `folds` defaults to the
    config's `train_folds` (the CLI and the app's Retrain button train the same way); `note` says why this
    version was trained and goes into its card; `mask_unknown_names` says which capitalised words are
    masked as names besides the listed ones ("" for none; triage.classify.fit_model says what each costs).
    With `activate`, the
    new model becomes active only if it is not worse than the active one on the frozen split
    (or with `force`)."""
    config = config or load_config()
    folds = folds or config.train_folds
    framework = load_framework(config.framework_path)
    records = load_corpus(config.corpus_dir)
    test_ids = load_test_ids(config.corpus_dir)
    train_recs = [r for r in records if r["id"] not in test_ids] + list(extra)
    test_recs = [r for r in records if r["id"] in test_ids]
    texts = [r["text"] for r in train_recs]
    label_sets = [r["labels"] for r in train_recs]
    y = label_matrix(label_sets)
    log(f"Training on {len(train_recs)} passages ({len(extra)} from reviews); {len(test_recs)} held out")

    started = time.perf_counter()
    oof_raw = cross_validated_scores(texts, label_sets, folds=folds, mask_unknown_names=mask_unknown_names)
    calibration = calibrate(y, oof_raw)
    oof = apply_calibration(oof_raw, calibration)
    thresholds = choose_thresholds(y, oof, config.recall_target)
    cv = per_label_metrics(y, oof, thresholds)
    cv_at_half = per_label_metrics(y, oof, dict.fromkeys(LABELS, 0.5))
    model = fit_model(
        texts, label_sets, thresholds=thresholds,
        indicator_sets=[r.get("indicators", []) for r in train_recs], framework=framework,
        mask_unknown_names=mask_unknown_names,
    )
    model.calibration = calibration
    train_seconds = time.perf_counter() - started

    card: dict[str, Any] = {
        "schema_version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **({"why": note} if note else {}),
        "approach": "TF-IDF word 1-2-grams + char_wb 2-5-grams, one balanced logistic regression per risk factor",
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
        },
        "recall_target": config.recall_target,
        "thresholds": {k: round(v, 4) for k, v in thresholds.items()},
        "cross_validation": {
            "folds": folds,
            "note": "out-of-fold scores; thresholds were chosen on the same scores, so these are optimistic",
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
            "at_thresholds": at_t,
            "ece": report["calibration"]["ece"],
            "indicator_top3": report["indicator_top3"],
            "worst_confusions": report["confusion"]["worst_pairs"][:5],
            "recall_cost": {
                "note": "what the recall target costs: macro precision at the chosen thresholds vs at 0.5",
                "precision_at_thresholds": at_t["macro_precision"], "recall_at_thresholds": at_t["macro_recall"],
                "precision_at_0.5": at_half["macro_precision"], "recall_at_0.5": at_half["macro_recall"],
                "f1_at_0.5": at_half["macro_f1"],
            },
        }
        if fairness:
            from training.fairness import flip_rate

            report["fairness"] = card["frozen_test"]["fairness"] = flip_rate(model, test_recs)
    worse: list[str] = []
    if activate and not force:
        try:
            worse = regressions(card, read_card(config.models_dir, active_version(config.models_dir)))
        except TriageError:
            worse = []  # no active model yet: nothing to compare with
    version = save_model(model, card, config.models_dir, activate=activate and not worse)
    card["version"] = version
    if report is not None:
        from training.evaluate import write_report

        report["model_version"] = version
        write_report(report, Path(config.models_dir) / version)
    if worse:
        log(f"Not activated: {version} is worse than the active model on the frozen split: " + "; ".join(worse)
            + f". Use `triage models promote {version} --force` to activate it anyway.")
    log(f"Saved model {version} to {config.models_dir / version} "
        f"(cross-validated macro-F1 {cv['macro_f1']:.3f}, {train_seconds:.0f} s)")
    return version, card


if __name__ == "__main__":
    import typer

    def main(activate: bool = typer.Option(False, help="Make the new model the active one.")) -> None:
        """Train a model from corpus/passages.jsonl and register it."""
        train(activate=activate)

    typer.run(main)
