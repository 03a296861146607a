"""Predictions -> Flags: which passages a reviewer should see, and a document-level risk score."""

from __future__ import annotations

from collections.abc import Iterable

from triage.types import Flag, Prediction

# The factor mass (sum of the flagged factors' strongest scores, 0-14) at which a document's rank is 0.5.
# The Framework of Analysis reads risk from how many factors are present together, not from one alone: with 2,
# one factor, however certain, stays under 1/3; the equivalent of two certain factors reaches 0.5, six 0.75, and
# every further factor still counts (all fourteen at 1.0 give 0.875). The old rank, 1 - prod(1 - score) over
# the top passages, gave 1.00 to every report with a few strong passages. The demo reports' factor masses run
# from 0.2 to 5.3, which this spreads over 0.11-0.73 (a wider k would crowd them low, a smaller one high).
RANK_HALF = 2.0


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


def factor_strengths(flags: Iterable[Flag]) -> dict[str, float]:
    """Each flagged risk factor's strongest score in a document: a factor counts once, however many
    passages carry it."""
    best: dict[str, float] = {}
    for f in flags:
        best[f.label] = max(best.get(f.label, 0.0), f.score)
    return best


def rank_from_strengths(strengths: Iterable[float]) -> float:
    """The document rank for its factors' strongest scores: s / (s + RANK_HALF), s their sum (see RANK_HALF)."""
    s = sum(sorted(strengths))  # in a fixed order, so the store's grouped recompute gives the same float
    return round(s / (s + RANK_HALF), 4) if s > 0 else 0.0


def document_risk(flags: Iterable[Flag]) -> float:
    """A 0-1 rank for a document, from how many risk factors it shows and how strongly: the sum over the
    flagged factors of each one's strongest score, mapped by s / (s + RANK_HALF). Monotone (a flag for a new
    factor, or one above its factor's best, raises it; none lowers it), below 1.0, and read off the factors the
    Inbox lists. More passages for the same factor do not raise it; the Inbox breaks such ties by the number of
    flags."""
    return rank_from_strengths(factor_strengths(flags).values())
