"""Language detection on the corpus's labelled passages (corpus/passages.jsonl, field `lang`).

Prints accuracy per language and overall for triage's function-word profiles, and, when langdetect is
installed (`pip install langdetect`; not a dependency), for langdetect seeded to be deterministic. Also the
passages per second of each, measured under whatever load the machine has (printed beside it).
Usage: python benchmarks/language.py
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from triage.read.language import detect_language

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "passages.jsonl"


def _langdetect() -> Callable[[str], str] | None:
    try:
        from langdetect import DetectorFactory, LangDetectException, detect
    except ImportError:
        return None
    DetectorFactory.seed = 0  # langdetect samples at random; seeded, it answers the same every time

    def run(text: str) -> str:
        try:
            return str(detect(text))
        except LangDetectException:
            return ""

    return run


def _score(name: str, detector: Callable[[str], str], rows: list[dict[str, str]]) -> None:
    t0 = time.perf_counter()
    guesses = [detector(r["text"]) for r in rows]
    seconds = time.perf_counter() - t0
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong: Counter[tuple[str, str]] = Counter()
    for row, guess in zip(rows, guesses, strict=True):
        total[row["lang"]] += 1
        if guess == row["lang"]:
            right[row["lang"]] += 1
        else:
            wrong[(row["lang"], guess or "unknown")] += 1
    per_lang = "  ".join(f"{lang} {right[lang]}/{n} = {right[lang] / n:.3f}" for lang, n in sorted(total.items()))
    overall = sum(right.values()) / len(rows)
    print(f"| {name} | {overall:.4f} ({sum(right.values())}/{len(rows)}) | {per_lang} | "
          f"{len(rows) / seconds:,.0f} | {dict(wrong)} |")


def main() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"load average {os.getloadavg()[0]:.2f} (1 min); {len(rows)} passages")
    print("| detector | accuracy | per language | passages/s | errors (true, guessed) |")
    print("|---|---|---|---|---|")
    _score("triage.read.language (function words)", detect_language, rows)
    other = _langdetect()
    if other is None:
        print("| langdetect | not installed (pip install langdetect) | | | |")
    else:
        _score("langdetect 1.0.9 (seed 0)", other, rows)


if __name__ == "__main__":
    main()
