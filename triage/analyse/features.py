"""Text -> TF-IDF features: word 1-2-grams and character 2-5-grams, with names masked (sklearn transformers).

Fitted models pickle these by reference, and models saved before this module was split out name them as
triage.analyse.classify.*; classify re-exports them so both load.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix  # scipy ships with scikit-learn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion

WORD_PATTERN = r"(?u)\b\w\w+\b"
_WORD_RE = re.compile(WORD_PATTERN)
_DIGITS = re.compile(r"\d+")


def _normalise_text(text: str) -> str:
    # Dates, tolls and paragraph numbers differ in every report; the model should not learn them.
    return _DIGITS.sub("0", text.lower())


@cache
def _names_pattern() -> re.Pattern[str]:
    """Protected-group and country names: the gazetteer's, plus the fairness list's if the corpus is there."""
    from triage.analyse.gazetteer import PROTECTED_GROUP_TERMS, _country_names
    from triage.config import default_corpus_dir

    groups = set(PROTECTED_GROUP_TERMS)
    countries = {n for names in _country_names().values() for n in names}
    names_file = default_corpus_dir() / "fairness_names.json"
    if names_file.exists():
        data = json.loads(names_file.read_text(encoding="utf-8"))
        groups |= set(data["groups"])
        countries |= set(data["countries"])
    groups |= {g + "s" for g in groups if not g.endswith("s")}  # "Tutsi" and "Tutsis"
    return re.compile(r"\b(?:" + _trie_regex(sorted(groups | countries)) + r")\b")


def _trie_regex(words: Sequence[str]) -> str:
    """One regex for many literal words, shaped as a character trie: matching costs a few steps per
    position instead of one attempt per word (a flat alternation of ~700 names is 15x slower)."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        # Longer continuations first, so "South Sudan" wins over a stop after "South".
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def _normalise_masked(text: str) -> str:
    # Which group or country a passage names must not decide a flag (a fairness requirement, measured
    # by training/fairness.py): every listed name becomes the same placeholder before features are made.
    return _normalise_text(_names_pattern().sub(" zzname ", text))


# Capitalised words (Latin-1 capitals cover French) and words written in lower case.
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*")
_LOWER_WORD = re.compile(r"\b[a-zß-öø-ÿ][\w'’-]*")


_ANY_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")
# How a capitalised word is judged to be a name (training/train.py --mask-unknown-names):
# "never-lower": the training texts never write it in lower case (a proper noun, seen or not);
# "unseen": the training texts never contain it at all, so the model has no weight for it as a word.
UNKNOWN_NAME_MODES = ("never-lower", "unseen")


def lower_case_words(texts: Sequence[str]) -> frozenset[str]:
    """Every word the texts write in lower case: what a capitalised word must be to count as ordinary."""
    return frozenset(w for t in texts for w in _LOWER_WORD.findall(t))


def seen_words(texts: Sequence[str]) -> frozenset[str]:
    """Every word of the texts, in lower case."""
    return frozenset(w.lower() for t in texts for w in _ANY_WORD.findall(t))


class NameMasker:
    """The listed names, and every capitalised word the training texts never wrote in lower case, become
    one placeholder. The list alone let unlisted group names through: swapping listed names for 26
    held-out ones flipped 4% of label decisions; a proper noun is almost never written in lower case."""

    def __init__(self, known_lower: frozenset[str]) -> None:
        self.known_lower = known_lower

    def _mask(self, m: re.Match[str]) -> str:
        word = m.group(0)
        return word if word.lower() in self.known_lower else " zzname "

    def __call__(self, text: str) -> str:
        return _normalise_text(_CAPITALISED.sub(self._mask, _names_pattern().sub(" zzname ", text)))


class CharGramVectorizer(TransformerMixin, BaseEstimator):
    """TF-IDF over the character n-grams of `TfidfVectorizer(analyzer="char_wb")` (each word padded with one
    space either side), with the same vocabulary, min_df, max_features and weights, built as a product of
    two sparse matrices: documents x words times words x n-grams. scikit-learn counts every n-gram of every
    token in a Python loop, which was most of the time to train on 10,000 passages; here each distinct
    word is cut into n-grams once."""

    def __init__(
        self, preprocessor: Callable[[str], str] = _normalise_text, ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 2, max_features: int | None = None, sublinear_tf: bool = True,
    ) -> None:
        self.preprocessor = preprocessor
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _word_counts(self, texts: Sequence[str]) -> tuple[csr_matrix, list[str]]:
        words: dict[str, int] = {}
        indptr, indices, counts = [0], [], []
        for text in texts:
            for word, n in Counter(self.preprocessor(text).split()).items():
                indices.append(words.setdefault(word, len(words)))
                counts.append(n)
            indptr.append(len(indices))
        shape = (len(texts), len(words))
        return csr_matrix((np.array(counts, dtype=np.int64), indices, indptr), shape=shape), list(words)

    def _gram_matrix(self, words: list[str]) -> tuple[csr_matrix, dict[str, int]]:
        """words x n-grams counts, growing the n-gram vocabulary as it goes (for fitting)."""
        vocab: dict[str, int] = {}
        indptr, indices, counts = [0], [], []
        for word in words:
            for gram, n in Counter(_padded_grams(word, *self.ngram_range)).items():
                indices.append(vocab.setdefault(gram, len(vocab)))
                counts.append(n)
            indptr.append(len(indices))
        shape = (len(words), len(vocab))
        return csr_matrix((np.array(counts, dtype=np.int64), indices, indptr), shape=shape), vocab

    # Words seen by `transform`, with their n-grams' columns and counts: a batch run meets the same words in
    # every report, and cutting them into n-grams again was a fifth of the classifier's time.
    _CACHE_WORDS = 50_000

    def _known_grams(self, words: list[str]) -> csr_matrix:
        """words x n-grams counts over the fitted vocabulary, each word's row cut once and then remembered."""
        cache: dict[str, tuple[list[int], list[int]]] = self.__dict__.setdefault("_row_cache", {})
        if len(cache) > self._CACHE_WORDS:
            cache.clear()
        vocab = self.vocabulary_
        indptr, indices, counts = [0], [], []
        for word in words:
            row = cache.get(word)
            if row is None:
                hits = [(vocab[g], n) for g, n in Counter(_padded_grams(word, *self.ngram_range)).items()
                        if g in vocab]
                row = cache[word] = ([k for k, _ in hits], [n for _, n in hits])
            indices += row[0]
            counts += row[1]
            indptr.append(len(indices))
        return csr_matrix((np.array(counts, dtype=np.int64), indices, indptr), shape=(len(words), len(vocab)))

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()  # type: ignore[misc]
        state.pop("_row_cache", None)  # a cache, not part of the model: keep it out of the saved file
        return state

    def fit_transform(self, texts: Sequence[str], y: Any = None) -> csr_matrix:
        """Learn the vocabulary and IDF weights; return the TF-IDF matrix of `texts`."""
        doc_words, words = self._word_counts(texts)
        word_grams, vocab = self._gram_matrix(words)
        # Same order and the same cut as scikit-learn: n-grams sorted, then min_df, then the most frequent.
        names = sorted(vocab)
        rank = np.empty(len(names), dtype=word_grams.indices.dtype)
        rank[[vocab[g] for g in names]] = np.arange(len(names))
        word_grams.indices = rank[word_grams.indices]  # renumber the n-grams in sorted order
        x = (doc_words @ word_grams).tocsr()
        x.sort_indices()
        df = np.bincount(x.indices, minlength=x.shape[1])
        mask = df >= self.min_df
        if self.max_features is not None and mask.sum() > self.max_features:
            tfs = np.asarray(x.sum(axis=0)).ravel()
            keep = np.where(mask)[0][(-tfs[mask]).argsort()[: self.max_features]]
            mask = np.zeros_like(mask)
            mask[keep] = True
        kept = np.where(mask)[0]
        self.vocabulary_ = {names[k]: i for i, k in enumerate(kept)}
        self.__dict__.pop("_row_cache", None)  # rows over the old vocabulary
        x = x[:, kept]
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(x)
        return self.tfidf_.transform(x)

    def fit(self, texts: Sequence[str], y: Any = None) -> CharGramVectorizer:
        """Learn the vocabulary and IDF weights."""
        self.fit_transform(texts)
        return self

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """TF-IDF matrix of `texts` over the fitted vocabulary."""
        doc_words, words = self._word_counts(texts)
        x = (doc_words @ self._known_grams(words)).tocsr()
        x.sort_indices()
        return self.tfidf_.transform(x)


def _padded_grams(word: str, lo: int, hi: int) -> list[str]:
    w = f" {word} "
    grams = []
    for n in range(lo, hi + 1):
        if n >= len(w):
            grams.append(w)  # like scikit-learn: a word shorter than n counts once, whole
            break
        grams += [w[k : k + n] for k in range(len(w) - n + 1)]
    return grams


def build_features(*, mask_names: bool = True, known_lower: frozenset[str] | None = None) -> FeatureUnion:
    """Word 1-2-grams (readable cues) plus character 2-5-grams (robust to spelling and inflection).
    With `known_lower` (the training texts' lower-case words), unknown capitalised words are masked too."""
    prep: Callable[[str], str] = _normalise_masked if mask_names else _normalise_text
    if mask_names and known_lower is not None:
        prep = NameMasker(known_lower)
    word = TfidfVectorizer(
        preprocessor=prep, token_pattern=WORD_PATTERN, ngram_range=(1, 2),
        min_df=2, sublinear_tf=True, max_features=60000,
    )
    char = CharGramVectorizer(prep, (2, 5), min_df=2, max_features=120000)
    return FeatureUnion([("word", word), ("char", char)])
