"""Predictions -> Flags: which passages a reviewer should see, and a document-level risk score."""

from __future__ import annotations

from collections.abc import Iterable

from triage.types import Flag, Prediction

TOP_FLAGS_FOR_RISK = 5


def select_labels(scores: Iterable[tuple[str, float]], thresholds: dict[str, float], max_labels: int = 0) -> tuple[str, ...]:
    """The labels a passage is flagged with: score over the label's threshold, and with `max_labels` only that
    many, the furthest over their thresholds (score / threshold) first; returned in the scores' order."""
    scores = list(scores)
    over = [(score / max(thresholds.get(label, 0.5), 1e-6), k) for k, (label, score) in enumerate(scores)
            if score >= thresholds.get(label, 0.5)]
    if max_labels:
        over = sorted(over, key=lambda o: -o[0])[:max_labels]
    return tuple(scores[k][0] for _, k in sorted(over, key=lambda o: o[1]))


def flag_passages(predictions: Iterable[Prediction], thresholds: dict[str, float], *, max_labels: int = 0) -> list[Flag]:
    """One Flag per (passage, label) that `select_labels` keeps, strongest first."""
    flags = []
    for pred in predictions:
        cues = dict(pred.cues)
        keep = set(select_labels(pred.scores, thresholds, max_labels))
        for label, score in pred.scores:
            threshold = thresholds.get(label, 0.5)
            if label not in keep:
                continue
            indicator = next((i.id for i in pred.indicators if i.id.split(".")[0] == label[2:]), "")
            flags.append(
                Flag(
                    passage_id=pred.passage_id,
                    label=label,
                    score=score,
                    threshold=threshold,
                    indicator=indicator,
                    cues=cues.get(label, ()),
                    model_version=pred.model_version,
                )
            )
    flags.sort(key=lambda f: -f.score)
    return flags


def document_risk(flags: Iterable[Flag]) -> float:
    """A 0-1 risk score for a document: the chance that at least one of its strongest flagged
    passages is a true warning sign, treating the best flag of each passage as independent."""
    best: dict[str, float] = {}
    for f in flags:
        best[f.passage_id] = max(best.get(f.passage_id, 0.0), f.score)
    miss = 1.0
    for score in sorted(best.values(), reverse=True)[:TOP_FLAGS_FOR_RISK]:
        miss *= 1.0 - score
    return round(1.0 - miss, 4)
