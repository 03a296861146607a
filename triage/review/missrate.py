"""How much the model misses: an estimate from reviewers' checks of randomly drawn unflagged passages.

The share of checked passages in which a reviewer found a risk factor the model did not flag is a
binomial proportion; its 95% interval is Wilson's, which stays inside [0, 1] and is honest for the small
counts and rates near zero that a review queue produces. The estimate is only as random as the sample:
it holds for passages drawn by the "random unflagged" queue, not for passages a reviewer picked.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from triage.analyse.registry import active_version, read_card
from triage.framework import LABELS
from triage.store import Store

MIN_CHECKS = 30  # below this the interval is too wide to be worth showing as the model's miss rate
Z95 = 1.959963984540054


def wilson_interval(k: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95% by default); (0, 1) when n is 0."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def miss_rate(store: Store, model_version: str | None = None, *, min_checks: int = MIN_CHECKS) -> dict[str, Any]:
    """The estimated share of unflagged passages that carry a risk factor, with a 95% Wilson interval,
    overall and per risk factor, from the checks of passages left unflagged by `model_version` (all
    versions if None). `enough` says whether there are at least `min_checks` checks."""
    checks = store.unflagged_checks(model_version)
    n = len(checks)
    k = sum(1 for c in checks if c["missed"])
    by_label = Counter(lab for c in checks for lab in c["missed"])
    lo, hi = wilson_interval(k, n)
    return {
        "model_version": model_version,
        "checked": n,
        "missed": k,
        "rate": round(k / n, 4) if n else None,
        "ci95": [round(lo, 4), round(hi, 4)],
        "enough": n >= min_checks,
        "min_checks": min_checks,
        "by_label": {lab: {"missed": by_label[lab], "rate": round(by_label[lab] / n, 4) if n else None,
                           "ci95": [round(x, 4) for x in wilson_interval(by_label[lab], n)]}
                     for lab in LABELS if by_label[lab]},
        "reviewers": len({c["reviewer"] for c in checks}),
        "method": "share of randomly drawn unflagged passages in which a reviewer found a risk factor; "
                  "95% Wilson score interval",
    }


def card_with_miss_rate(models_dir: Path, store: Store | None, version: str | None = None) -> dict[str, Any]:
    """A model card (the active model's by default) with the miss rate measured in `store` added under
    "miss_rate": the estimate once there are enough checks, else how many there are and how many are needed."""
    version = version or active_version(models_dir)
    card = read_card(models_dir, version)
    if store is None:
        return card
    est = miss_rate(store, version)
    if not est["enough"]:
        est = {key: est[key] for key in ("model_version", "checked", "missed", "enough", "min_checks")} | {
            "note": f"{est['checked']} of the {est['min_checks']} checks of random unflagged passages needed "
                    "for an estimate (`triage queue --random-unflagged N`, then `triage check-unflagged`)"}
    return {**card, "miss_rate": est}
