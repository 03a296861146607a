"""Evaluate a model on the frozen test split: per-label precision/recall/F1/support at its thresholds,
calibration (ECE and a reliability curve), confusion between related risk factors, and the indicator
top-3 hit rate. Written as JSON, as a readable table (Markdown) and as a reliability plot (PNG).

Usage: triage evaluate [VERSION] [--out DIR]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from triage.analyse.classify import RiskModel
from triage.analyse.registry import active_version, load_model
from triage.config import Config, load_config
from triage.framework import LABELS

BINS = 10
# The Framework's own grouping: common risk factors, then the ones specific to genocide, crimes
# against humanity and war crimes. Confusing two factors of one group matters less than across groups,
# but both are reported.
GROUPS = {
    "common": LABELS[:8],
    "genocide": ("RF9", "RF10"),
    "crimes_against_humanity": ("RF11", "RF12"),
    "war_crimes": ("RF13", "RF14"),
}


def expected_calibration_error(y: np.ndarray, p: np.ndarray, *, bins: int = BINS) -> tuple[float, list[dict]]:
    """ECE over equal-width bins: the count-weighted gap between mean score and observed frequency.
    Returns the ECE and the reliability curve (one dict per non-empty bin)."""
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece, curve = 0.0, []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        if not n:
            continue
        conf, freq = float(p[mask].mean()), float(y[mask].mean())
        ece += n / len(p) * abs(conf - freq)
        curve.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "mean_score": round(conf, 4),
                      "observed": round(freq, 4), "count": n})
    return round(float(ece), 4), curve


def per_label_metrics(y: np.ndarray, scores: np.ndarray, thresholds: dict[str, float]) -> dict[str, Any]:
    """Precision, recall, F1 and support per label at the given thresholds, plus macro averages."""
    out: dict[str, Any] = {}
    for j, label in enumerate(LABELS):
        pred = scores[:, j] >= thresholds.get(label, 0.5)
        tp = int((pred & (y[:, j] == 1)).sum())
        fp = int((pred & (y[:, j] == 0)).sum())
        fn = int((~pred & (y[:, j] == 1)).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[label] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": int(y[:, j].sum())}
    for key in ("precision", "recall", "f1"):
        out[f"macro_{key}"] = round(float(np.mean([out[lab][key] for lab in LABELS])), 3)
    return out


def related_confusion(y: np.ndarray, scores: np.ndarray, thresholds: dict[str, float], *, top: int = 10) -> dict:
    """For each pair (A, B): of the passages that are A and not B, the share flagged B. The matrix is
    kept whole; the worst pairs are listed, with whether A and B belong to the same Framework group."""
    pred = np.column_stack([scores[:, j] >= thresholds.get(lab, 0.5) for j, lab in enumerate(LABELS)])
    group_of = {lab: g for g, labs in GROUPS.items() for lab in labs}
    matrix: dict[str, dict[str, float]] = {}
    pairs = []
    for a, la in enumerate(LABELS):
        matrix[la] = {}
        for b, lb in enumerate(LABELS):
            if a == b:
                continue
            mask = (y[:, a] == 1) & (y[:, b] == 0)
            rate = float(pred[mask, b].mean()) if mask.any() else 0.0
            matrix[la][lb] = round(rate, 3)
            pairs.append({"true": la, "flagged": lb, "rate": round(rate, 3), "passages": int(mask.sum()),
                          "same_group": group_of[la] == group_of[lb]})
    pairs.sort(key=lambda d: -d["rate"])
    return {"note": "share of passages labelled <true> (and not <flagged>) that the model flags <flagged>",
            "worst_pairs": pairs[:top], "matrix": matrix}


def indicator_top3(model: RiskModel, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """For every gold (passage, indicator) whose risk factor is among the passage's gold labels: is the
    indicator among the model's top 3 for that factor? Chance is given beside it for honesty."""
    ids = list(getattr(model, "indicator_ids", ()) or ())
    recs = [r for r in records if r.get("indicators")]
    if not ids or not recs:
        return {"hit_rate": None, "pairs": 0, "note": "no indicator labels or no indicator model"}
    sims = model.indicator_similarity([r["text"] for r in recs])
    assert sims is not None
    hits = pairs = 0
    chance = []
    for i, rec in enumerate(recs):
        for ind in rec["indicators"]:
            prefix = ind.split(".")[0] + "."
            cands = [k for k, name in enumerate(ids) if name.startswith(prefix)]
            if ind not in ids or not cands:
                continue
            ranked = sorted(cands, key=lambda k: -sims[i, k])[:3]
            pairs += 1
            hits += ids.index(ind) in ranked
            chance.append(min(1.0, 3 / len(cands)))
    return {"hit_rate": round(hits / pairs, 3) if pairs else None, "pairs": pairs,
            "chance": round(float(np.mean(chance)), 3) if chance else None}


def evaluate_model(model: RiskModel, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every figure for one model on the given (held-out) records."""
    y = np.array([[lab in r["labels"] for lab in LABELS] for r in records], dtype=int)
    texts = [r["text"] for r in records]
    scores = model.score_matrix(texts)
    ece, curve = expected_calibration_error(y, scores)
    per_label_ece = {lab: expected_calibration_error(y[:, j], scores[:, j])[0] for j, lab in enumerate(LABELS)}
    return {
        "model_version": model.version,
        "passages": len(records),
        "thresholds": {k: round(v, 4) for k, v in model.thresholds.items()},
        "at_thresholds": per_label_metrics(y, scores, model.thresholds),
        "at_0.5": per_label_metrics(y, scores, dict.fromkeys(LABELS, 0.5)),
        # What a reviewer is shown: the labels the model keeps (over threshold, at most max_labels, past the
        # first stage), which thresholds alone overstate when a passage crosses several.
        "at_decision": per_label_metrics(y, np.array([[lab in d for lab in LABELS] for d in model.decide(scores)],
                                                     dtype=float), dict.fromkeys(LABELS, 0.5)),
        "calibration": {"ece": ece, "bins": BINS, "per_label_ece": per_label_ece, "reliability": curve,
                        "calibrated": bool(getattr(model, "calibration", None))},
        "confusion": related_confusion(y, scores, model.thresholds),
        "indicator_top3": indicator_top3(model, records),
    }


def table(result: dict[str, Any]) -> str:
    """The evaluation as a Markdown table a reader can skim."""
    m = result["at_thresholds"]
    half = result["at_0.5"]
    lines = [
        f"# Evaluation of model {result['model_version']} on {result['passages']} frozen test passages",
        "",
        "| label | threshold | precision | recall | F1 | support | precision at 0.5 | recall at 0.5 | ECE |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lab in LABELS:
        r, h = m[lab], half[lab]
        lines.append(f"| {lab} | {result['thresholds'].get(lab, 0.5):.3f} | {r['precision']:.3f} | {r['recall']:.3f} "
                     f"| {r['f1']:.3f} | {r['support']} | {h['precision']:.3f} | {h['recall']:.3f} "
                     f"| {result['calibration']['per_label_ece'][lab]:.3f} |")
    lines.append(f"| **macro** | | {m['macro_precision']:.3f} | {m['macro_recall']:.3f} | {m['macro_f1']:.3f} | "
                 f"| {half['macro_precision']:.3f} | {half['macro_recall']:.3f} | {result['calibration']['ece']:.3f} |")
    if "at_decision" in result:
        d = result["at_decision"]
        lines += ["", "At the labels a reviewer is shown (over threshold, at most the model's maximum per passage, "
                      f"past the first stage): macro precision {d['macro_precision']:.3f}, recall "
                      f"{d['macro_recall']:.3f}, F1 {d['macro_f1']:.3f}; per label F1 "
                      + ", ".join(f"{lab} {d[lab]['f1']:.2f}" for lab in LABELS) + "."]
    top3 = result["indicator_top3"]
    lines += ["", f"ECE (all labels, {result['calibration']['bins']} bins): {result['calibration']['ece']:.4f}",
              f"Indicator top-3 hit rate: {top3['hit_rate']} over {top3['pairs']} gold indicators "
              f"(chance {top3.get('chance')})", "", "Most confused pairs (true -> flagged, share):", ""]
    for p in result["confusion"]["worst_pairs"]:
        group = "same group" if p["same_group"] else "different groups"
        lines.append(f"- {p['true']} -> {p['flagged']}: {p['rate']:.3f} of {p['passages']} passages ({group})")
    if "fairness" in result:
        f = result["fairness"]
        lines += ["", f"Counterfactual name swaps: {f['label_flip_rate']:.4f} of label decisions flipped, "
                      f"{f['passage_flip_rate']:.4f} of passages had a flip ({f['passages']} passages)"]
    if "real_validation" in result:
        lines += ["", *real_table(result["real_validation"])]
    return "\n".join(lines) + "\n"


def real_table(rv: dict[str, Any]) -> list[str]:
    """The real document-held-out validation as Markdown lines: per label, then the recall/flagged trade-off."""
    lines = [f"## Real UN paragraphs, held out by document ({rv['paragraphs']} paragraphs, {rv['documents']} documents, "
             f"{rv['negatives']} negatives)", "", rv["note"] + ".", "",
             "| label | precision | recall | F1 | support | threshold rests on |", "|---|---|---|---|---|---|"]
    for lab in LABELS:
        r = rv[lab]
        lines.append(f"| {lab} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} "
                     f"| {rv.get('threshold_basis', {}).get(lab, '')} |")
    lines += [f"| **macro** | {rv['macro_precision']:.3f} | {rv['macro_recall']:.3f} | {rv['macro_f1']:.3f} | | |", "",
              f"Negative paragraphs flagged (false alarms): {rv['false_alarm_rate']}; paragraphs flagged: "
              f"{rv['flagged_share']}; labels per flagged paragraph: {rv['labels_per_flagged']}; ECE: {rv['ece']}; "
              f"indicator top-3 hit rate: {rv['indicator_top3'].get('hit_rate')} over "
              f"{rv['indicator_top3'].get('pairs')} gold indicators (chance {rv['indicator_top3'].get('chance')})."]
    if rv.get("tradeoff"):
        by_gate = "gate_share" in rv["tradeoff"][0]
        knob = ("share of real paragraphs the first stage lets through" if by_gate else "per-label recall target")
        lines += ["", f"What recall costs ({knob} -> what is reached on held-out documents; plot in tradeoff.png):",
                  "", f"| {'first-stage share' if by_gate else 'recall target'} | macro recall | macro precision "
                  "| macro F1 | flagged share | false alarms |", "|---|---|---|---|---|---|"]
        lines += [f"| {t['gate_share' if by_gate else 'recall_target']:.2f} | {t['macro_recall']:.3f} "
                  f"| {t['macro_precision']:.3f} | {t.get('macro_f1', float('nan')):.3f} | {t['flagged_share']:.3f} "
                  f"| {t['false_alarm_rate']:.3f} |" for t in rv["tradeoff"]]
    return lines


def plot_tradeoff(rv: dict[str, Any], path: Path) -> bool:
    """Flagged share against recall on real held-out paragraphs, one point per recall target (or per cut of a
    filtering first stage)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    pts = rv.get("tradeoff") or []
    if not pts:
        return False
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([t["flagged_share"] for t in pts], [t["macro_recall"] for t in pts], "o-", label="all paragraphs flagged")
    ax.plot([t["false_alarm_rate"] for t in pts], [t["macro_recall"] for t in pts], "s--", label="negatives flagged")
    by_gate = "gate_share" in pts[0]
    for t in pts:
        ax.annotate(f"{t['gate_share' if by_gate else 'recall_target']:.2f}", (t["flagged_share"], t["macro_recall"]),
                    fontsize=7, textcoords="offset points", xytext=(4, -8))
    ax.set_xlabel("share of paragraphs flagged")
    ax.set_ylabel("macro recall (held-out documents)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("What recall costs a reviewer (labels: " + ("first-stage share" if by_gate else "per-label target")
                 + ")", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_reliability(result: dict[str, Any], path: Path) -> bool:
    """Reliability curve as a PNG; False (and no file) if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: write files only
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    curve = result["calibration"]["reliability"]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.plot([c["mean_score"] for c in curve], [c["observed"] for c in curve], marker="o",
            label=f"model {result['model_version']} (ECE {result['calibration']['ece']:.3f})")
    for c in curve:
        ax.annotate(str(c["count"]), (c["mean_score"], c["observed"]), fontsize=7, xytext=(3, -9),
                    textcoords="offset points")
    ax.set_xlabel("mean score in bin")
    ax.set_ylabel("share of passages with the label")
    ax.set_title("Reliability on the frozen test split")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def write_report(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """evaluation.json, evaluation.md and reliability.png in out_dir; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "evaluation.json", out_dir / "evaluation.md"]
    written[0].write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    written[1].write_text(table(result), encoding="utf-8")
    if plot_reliability(result, out_dir / "reliability.png"):
        written.append(out_dir / "reliability.png")
    if "real_validation" in result and plot_tradeoff(result["real_validation"], out_dir / "tradeoff.png"):
        written.append(out_dir / "tradeoff.png")
    return written


def evaluate(
    config: Config | None = None, version: str | None = None, *, out_dir: Path | None = None, fairness: bool = True
) -> tuple[dict[str, Any], list[Path]]:
    """Evaluate a registered model (the active one by default) on the frozen split and write the report
    (by default beside the model: models/<version>/)."""
    from training.train import load_corpus, load_test_ids

    config = config or load_config()
    version = version or active_version(config.models_dir)
    model = load_model(config.models_dir, version)
    test_ids = load_test_ids(config.corpus_dir)
    records = [r for r in load_corpus(config.corpus_dir) if r["id"] in test_ids]
    if not records:
        from triage.errors import TriageError

        raise TriageError(f"no frozen test split in {config.corpus_dir} (test_ids.txt); nothing to evaluate on")
    result = evaluate_model(model, records)
    if fairness:
        from training.fairness import flip_rate

        result["fairness"] = flip_rate(model, records)
    return result, write_report(result, out_dir or Path(config.models_dir) / version)
