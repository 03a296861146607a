"""Build triage/read/pdf/words.txt: the lowercase words of our own corpus, which extraction uses to tell a line-break
hyphen ("preven-" + "tion") from a real one ("cross-" + "border").

Usage: python -m training.make_wordlist [corpus/passages.jsonl] [triage/read/pdf/words.txt]
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
MIN_COUNT = 1  # the corpus is small (about 95,000 words); rare words are still words
SINGLE_LETTER_WORDS = ("a", "i")


def main(
    corpus: Path = ROOT / "corpus" / "passages.jsonl", out: Path = ROOT / "triage" / "read" / "pdf" / "words.txt"
) -> None:
    """Write every lowercase word (parts of hyphenated compounds too) seen at least MIN_COUNT times."""
    counts: Counter[str] = Counter()
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            for m in _WORD.finditer(json.loads(line)["text"].lower()):
                parts = m.group(0).split("-")
                counts.update(p for p in parts if len(p) >= 2 or p in SINGLE_LETTER_WORDS)
    words = sorted(w for w, n in counts.items() if n >= MIN_COUNT)
    out.write_text("\n".join(words) + "\n", encoding="utf-8")
    typer.echo(f"wrote {len(words)} words to {out}")


if __name__ == "__main__":
    typer.run(main)
