"""Check a labelled corpus file (JSONL) for schema errors and near-duplicates.

Usage: python training/check_corpus.py corpus/passages.jsonl [more.jsonl ...]

Exits 1 and lists every problem found. The same rules are enforced by
tests/test_corpus.py, so a writer can check a draft before it is merged.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

LABELS = tuple(f"RF{i}" for i in range(1, 15))
LANGS = ("en", "fr")
REQUIRED = ("id", "text", "labels", "indicators", "lang", "source", "register", "country")
OPENING_WORDS = 6        # two passages may not share their first six words
MAX_SHARED_5GRAMS = 0.8  # nor more than 80% of their word 5-grams
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation dropped."""
    return [w.lower() for w in _WORD.findall(text)]


def five_grams(text: str) -> set[tuple[str, ...]]:
    """The set of word 5-grams of a text."""
    w = words(text)
    return {tuple(w[i : i + 5]) for i in range(max(0, len(w) - 4))}


def schema_problems(rec: dict, where: str) -> list[str]:
    """Schema errors in one record."""
    out = [f"{where}: missing field {k!r}" for k in REQUIRED if k not in rec]
    if out:
        return out
    if not isinstance(rec["text"], str) or len(rec["text"].split()) < 5:
        out.append(f"{where}: text must be a string of at least 5 words")
    bad = [lab for lab in rec["labels"] if lab not in LABELS]
    if bad or len(set(rec["labels"])) != len(rec["labels"]):
        out.append(f"{where}: bad or repeated labels {rec['labels']}")
    for ind in rec["indicators"]:
        rf = "RF" + str(ind).split(".")[0]
        if rf not in rec["labels"]:
            out.append(f"{where}: indicator {ind} without its risk factor {rf}")
    if rec["lang"] not in LANGS:
        out.append(f"{where}: lang must be one of {LANGS}")
    return out


def duplicate_problems(recs: list[dict]) -> list[str]:
    """Pairs of passages that share an opening or most of their 5-grams."""
    out = []
    ids = Counter(r["id"] for r in recs)
    out += [f"id {i!r} used {n} times" for i, n in ids.items() if n > 1]
    openings: dict[tuple[str, ...], str] = {}
    for r in recs:
        key = tuple(words(r["text"])[:OPENING_WORDS])
        if key in openings:
            out.append(f"{openings[key]} and {r['id']} open with the same words: {' '.join(key)!r}")
        else:
            openings[key] = r["id"]
    grams = [(r["id"], five_grams(r["text"])) for r in recs]
    # An inverted index keeps this near-linear: only pairs sharing a 5-gram are compared.
    index: dict[tuple[str, ...], list[int]] = {}
    for n, (_, g) in enumerate(grams):
        for gram in g:
            index.setdefault(gram, []).append(n)
    shared: Counter[tuple[int, int]] = Counter()
    for members in index.values():
        if len(members) > 1:
            for a, b in combinations(members, 2):
                shared[(a, b)] += 1
    for (a, b), n in shared.items():
        smaller = min(len(grams[a][1]), len(grams[b][1]))
        if smaller and n / smaller > MAX_SHARED_5GRAMS:
            out.append(f"{grams[a][0]} and {grams[b][0]} share {n}/{smaller} word 5-grams")
    return out


def load(paths: list[Path]) -> tuple[list[dict], list[str]]:
    """Read records from JSONL files, reporting lines that are not valid JSON."""
    recs, problems = [], []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path}:{n}: not JSON ({exc})")
                continue
            problems += schema_problems(rec, f"{path}:{n}")
            recs.append(rec)
    return recs, problems


def summary(recs: list[dict]) -> str:
    """Counts per label, negatives, languages and countries."""
    per = Counter(lab for r in recs for lab in r.get("labels", []))
    neg = sum(1 for r in recs if not r.get("labels"))
    langs = Counter(r.get("lang") for r in recs)
    countries = {r.get("country") for r in recs if r.get("country")}
    lines = [f"{len(recs)} passages; {neg} with no risk factor; languages {dict(langs)}; "
             f"{len(countries)} countries"]
    lines.append("  ".join(f"{lab}:{per.get(lab, 0)}" for lab in LABELS))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    recs, problems = load([Path(a) for a in argv])
    problems += duplicate_problems([r for r in recs if "id" in r and "text" in r])
    print(summary(recs))
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
