"""Counterfactual fairness: swap protected-group and country names in passages and count how often a
risk-factor decision flips. A name alone must never raise or lower a flag.

The names are data (corpus/fairness_names.json, >= 60 groups from every region plus countries).
Each passage that mentions a listed name is rewritten `variants` times, every mention of a name
replaced by another name of the same kind (chosen with a fixed seed), and re-scored.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from triage.analyse.classify import RiskModel
from triage.config import ROOT
from triage.framework import LABELS

NAMES_FILE = ROOT / "corpus" / "fairness_names.json"
TARGET = 0.02


@cache
def load_names(path: Path = NAMES_FILE) -> dict[str, tuple[str, ...]]:
    """{"groups": (...), "countries": (...)} from the names file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {"groups": tuple(data["groups"]), "countries": tuple(data["countries"]),
            "held_out_groups": tuple(data.get("held_out_groups", ()))}


@cache
def _pattern(kind: str) -> re.Pattern[str]:
    # Longest first, so "South Sudan" is one mention and not "South " + "Sudan".
    names = sorted(load_names()[kind], key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


def mentions(text: str) -> dict[str, list[str]]:
    """The listed names a text mentions, by kind."""
    return {kind: sorted(set(_pattern(kind).findall(text))) for kind in ("groups", "countries")}


def swap_names(text: str, rng: random.Random, *, held_out: bool = False) -> str:
    """The text with every listed group and country name replaced by another of the same kind
    (the same replacement for every mention of one name, so the passage stays coherent). With
    `held_out`, group names are replaced by names from the held-out list instead."""
    names = load_names()
    for kind in ("groups", "countries"):
        found = sorted(set(_pattern(kind).findall(text)))
        if not found:
            continue
        pool_kind = "held_out_groups" if held_out and kind == "groups" else kind
        pool = [n for n in names[pool_kind] if n not in found]
        chosen = rng.sample(pool, len(found))
        mapping = dict(zip(found, chosen, strict=True))
        text = _pattern(kind).sub(lambda m: mapping[m.group(0)], text)  # noqa: B023  (used at once, in this iteration)
    return text


def counterfactuals(
    records: Sequence[dict[str, Any]], *, variants: int = 3, seed: int = 0, held_out: bool = False
) -> list[tuple[int, str]]:
    """(index of the original record, rewritten text) for every record that mentions a listed name."""
    rng = random.Random(seed)
    out = []
    for i, rec in enumerate(records):
        found = mentions(rec["text"])
        if not (found["groups"] or found["countries"]):
            continue
        if held_out and not found["groups"]:
            continue
        out += [(i, swap_names(rec["text"], rng, held_out=held_out)) for _ in range(variants)]
    return out


def flip_rate(
    model: RiskModel, records: Sequence[dict[str, Any]], *, variants: int = 3, seed: int = 0, held_out: bool = True
) -> dict:
    """How often a label decision changes when only names change. Label flip rate: flipped
    (variant, label) decisions over all of them; passage flip rate: variants with any flip.
    With `held_out`, the same is measured for group names swapped into names the model does not mask."""
    result = _flip_rate(model, records, variants=variants, seed=seed, held_out=False)
    if held_out and load_names()["held_out_groups"]:
        result["held_out_names"] = _flip_rate(model, records, variants=variants, seed=seed, held_out=True)
    return result


def _flip_rate(
    model: RiskModel, records: Sequence[dict[str, Any]], *, variants: int, seed: int, held_out: bool
) -> dict:
    pairs = counterfactuals(records, variants=variants, seed=seed, held_out=held_out)
    if not pairs:
        return {"passages": 0, "variants": 0, "label_flip_rate": 0.0, "passage_flip_rate": 0.0, "target": TARGET}
    idx = sorted({i for i, _ in pairs})
    orig = model.score_matrix([records[i]["text"] for i in idx])
    row = {i: k for k, i in enumerate(idx)}
    swapped = model.score_matrix([t for _, t in pairs])
    thr = np.array([model.thresholds.get(lab, 0.5) for lab in LABELS])
    before = orig[[row[i] for i, _ in pairs]] >= thr
    after = swapped >= thr
    flips = before != after
    by_label = {lab: int(flips[:, j].sum()) for j, lab in enumerate(LABELS)}
    flagged = before.any(axis=1)
    return {
        "passages": len(idx),
        "variants": len(pairs),
        "flagged_variants": int(flagged.sum()),
        "unflagged_variants": int((~flagged).sum()),
        "label_flip_rate": round(float(flips.mean()), 4),
        "passage_flip_rate": round(float(flips.any(axis=1).mean()), 4),
        "flips_by_label": by_label,
        "mean_abs_score_change": round(float(np.abs(swapped - orig[[row[i] for i, _ in pairs]]).mean()), 4),
        "target": TARGET,
        "names": {k: len(v) for k, v in load_names().items() if k != ("groups" if held_out else "held_out_groups")},
    }
