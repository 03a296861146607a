"""Predictions -> Flags: which passages a reviewer should see, and a document-level risk score."""

from __future__ import annotations

from collections.abc import Iterable

from .types import Flag, Prediction

TOP_FLAGS_FOR_RISK = 5


def flag_passages(predictions: Iterable[Prediction], thresholds: dict[str, float]) -> list[Flag]:
    """One Flag per (passage, label) whose score reached the label's threshold, strongest first."""
    flags = []
    for pred in predictions:
        cues = dict(pred.cues)
        for label, score in pred.scores:
            threshold = thresholds.get(label, 0.5)
            if score < threshold:
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
