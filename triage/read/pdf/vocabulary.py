"""The words of our own corpus, which PDF reading uses to tell a broken word from two words."""

from __future__ import annotations

import functools
from pathlib import Path

WORDS_FILE = Path(__file__).parent / "words.txt"  # package data, made by training/make_wordlist.py


@functools.cache
def vocabulary() -> frozenset[str]:
    try:
        return frozenset(WORDS_FILE.read_text(encoding="utf-8").split())
    except OSError:
        return frozenset()  # without the list, the document's own words still decide
