"""Training time on 10,000 passages (the corpus resampled with replacement) and scoring throughput.

Target: one model fit on 10,000 passages in <= 60 s on 2 cores. Prints figures (with the load average,
since the machine may be shared); asserts nothing.
Usage: python benchmarks/train_speed.py [--n 10000] [--folds 0]
"""

from __future__ import annotations

import argparse
import os
import random
import time

import numpy as np

from training.train import cross_validated_scores, load_corpus, shipped_fit_kwargs
from triage.analyse.classify import build_estimator, build_features, fit_model
from triage.config import load_config
from triage.framework import LABELS, load_framework


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000, help="passages to train on (resampled)")
    parser.add_argument("--folds", type=int, default=0, help="also time k-fold out-of-fold scoring (0: skip)")
    parser.add_argument("--stages", action="store_true", help="also time features and one classifier alone")
    args = parser.parse_args()
    cfg = load_config()
    records = load_corpus(cfg.corpus_dir)
    rng = random.Random(0)
    sample = [rng.choice(records) for _ in range(args.n)]
    texts = [r["text"] for r in sample]
    labels = [r["labels"] for r in sample]
    print(f"cores: {os.cpu_count()}, passages: {len(texts)} (resampled from {len(records)}), "
          f"mean length {sum(map(len, texts)) / len(texts):.0f} chars; load average {_load()}")

    if args.stages:
        started, cpu = time.perf_counter(), time.process_time()
        x = build_features().fit_transform(texts)
        print(f"  features (word + char TF-IDF): {time.perf_counter() - started:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU, {x.shape[1]} columns")
        y = np.array([LABELS[0] in ls for ls in labels], dtype=int)
        started, cpu = time.perf_counter(), time.process_time()
        build_estimator().fit(x.tocsr(), y)
        print(f"  one logistic regression (RF1): {time.perf_counter() - started:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU")

    started, cpu = time.perf_counter(), time.process_time()
    model = fit_model(texts, labels, indicator_sets=[r.get("indicators", []) for r in sample],
                      framework=load_framework(cfg.framework_path), **shipped_fit_kwargs(cfg.models_dir))  # as `triage train`
    fit_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    # CPU seconds depend far less on what else runs on the machine than wall time does.
    print(f"fit (features + 14 classifiers + indicator prototypes): {fit_s:.1f} s wall, {cpu_s:.1f} s CPU "
          f"(target <= 60 s wall on 2 cores); load average {_load()}")

    if args.folds:
        started = time.perf_counter()
        cross_validated_scores(texts, labels, folds=args.folds, **shipped_fit_kwargs(cfg.models_dir))
        print(f"{args.folds}-fold out-of-fold scoring (threshold choice): {time.perf_counter() - started:.1f} s; "
              f"load average {_load()}")

    batch = [r["text"] for r in records]
    for explain in (False, True):
        started = time.perf_counter()
        model.predict([str(i) for i in range(len(batch))], batch, explain=explain)
        rate = len(batch) / (time.perf_counter() - started)
        print(f"scoring {'with cues' if explain else 'scores only'}: {rate:.0f} passages/s; load average {_load()}")


if __name__ == "__main__":
    main()
