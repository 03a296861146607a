"""Passages -> Predictions: risk-factor scores, indicator ranking and cue terms (the only sklearn module).

The model is a word + character TF-IDF representation with one logistic regression per risk
factor. Per-label thresholds come from training (chosen on cross-validated scores for a recall
target); indicators are ranked by similarity to prototypes built from the indicator text and the
labelled passages that illustrate it; cue terms are the word n-grams that added most to a score.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from joblib import Parallel, delayed
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize

from .framework import LABELS, Framework
from .types import Cue, IndicatorScore, Prediction

WORD_PATTERN = r"(?u)\b\w\w+\b"
_WORD_RE = re.compile(WORD_PATTERN)
_DIGITS = re.compile(r"\d+")
MAX_CUES = 6
# get_feature_names_out() builds an array of the whole vocabulary on every call; cues need it for every
# flagged label of every passage, so build it once per fitted vectorizer (it was most of batch time).
_FEATURE_NAMES: WeakKeyDictionary[TfidfVectorizer, np.ndarray] = WeakKeyDictionary()
MAX_INDICATORS = 3


def _normalise_text(text: str) -> str:
    # Dates, tolls and paragraph numbers differ in every report; the model should not learn them.
    return _DIGITS.sub("0", text.lower())


@cache
def _names_pattern() -> re.Pattern[str]:
    """Protected-group and country names: the gazetteer's, plus the fairness list's if the corpus is there."""
    from .config import ROOT
    from .gazetteer import PROTECTED_GROUP_TERMS, _country_names

    groups = set(PROTECTED_GROUP_TERMS)
    countries = {n for names in _country_names().values() for n in names}
    names_file = ROOT / "corpus" / "fairness_names.json"
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


def build_features(*, mask_names: bool = True) -> FeatureUnion:
    """Word 1-2-grams (readable cues) plus character 2-5-grams (robust to spelling and inflection)."""
    prep = _normalise_masked if mask_names else _normalise_text
    word = TfidfVectorizer(
        preprocessor=prep, token_pattern=WORD_PATTERN, ngram_range=(1, 2),
        min_df=2, sublinear_tf=True, max_features=60000,
    )
    char = TfidfVectorizer(
        preprocessor=prep, analyzer="char_wb", ngram_range=(2, 5),
        min_df=2, sublinear_tf=True, max_features=120000,
    )
    return FeatureUnion([("word", word), ("char", char)])


def build_estimator(c: float = 4.0) -> LogisticRegression:
    """One binary classifier per risk factor; balanced weights because positives are rare."""
    return LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear")


@dataclass
class RiskModel:
    """A fitted multi-label model: features, one estimator per label, thresholds, indicator prototypes."""

    features: FeatureUnion
    estimators: dict[str, LogisticRegression | float]  # a float is a constant score (label never seen)
    thresholds: dict[str, float]
    indicator_vectorizer: TfidfVectorizer | None = None
    indicator_ids: tuple[str, ...] = ()
    indicator_matrix: Any = None  # rows: L2-normalised prototypes, one per indicator id
    version: str = ""
    labels: tuple[str, ...] = LABELS
    extra: dict[str, Any] = field(default_factory=dict)
    # Platt parameters (a, b) per label, fitted on out-of-fold scores: p = sigmoid(a * logit(raw) + b).
    # Balanced class weights push raw scores up; this maps them back to observed frequencies.
    calibration: dict[str, tuple[float, float]] = field(default_factory=dict)

    # -- scoring ---------------------------------------------------------------------------
    def score_matrix(self, texts: Sequence[str], *, x: Any = None) -> np.ndarray:
        """Scores in [0, 1], shape (len(texts), 14), columns in RF order (calibrated if the model is).
        `x`: the texts' features if the caller already has them (they are the costliest part)."""
        raw = self.raw_score_matrix(texts, x=x)
        # getattr: models pickled before calibration existed have no such attribute.
        calibration = getattr(self, "calibration", None) or {}
        for j, label in enumerate(self.labels):
            if label in calibration:
                raw[:, j] = apply_platt(raw[:, j], calibration[label])
        return raw

    def raw_score_matrix(self, texts: Sequence[str], *, x: Any = None) -> np.ndarray:
        """The estimators' own probabilities, before calibration."""
        if x is None:
            x = self.features.transform(texts)
        out = np.zeros((len(texts), len(self.labels)))
        for j, label in enumerate(self.labels):
            est = self.estimators.get(label, 0.0)
            out[:, j] = est if isinstance(est, float) else est.predict_proba(x)[:, 1]
        return out

    def indicator_similarity(self, texts: Sequence[str]) -> np.ndarray | None:
        """Similarity of each text to each indicator prototype (columns follow `indicator_ids`)."""
        return self._indicator_similarity(texts)

    def predict(self, ids: Sequence[str], texts: Sequence[str], *, explain: bool = True) -> list[Prediction]:
        """One Prediction per text: all 14 scores, labels over threshold, ranked indicators, cues."""
        if not texts:
            return []
        x = self.features.transform(texts).tocsr()
        scores = self.score_matrix(texts, x=x)
        sims = self._indicator_similarity(texts)
        preds = []
        for i, (pid, text) in enumerate(zip(ids, texts, strict=True)):
            row = {lab: float(scores[i, j]) for j, lab in enumerate(self.labels)}
            labels = tuple(lab for lab in self.labels if row[lab] >= self.thresholds.get(lab, 0.5))
            indicators = self._rank_indicators(labels, sims[i] if sims is not None else None, row)
            cues = self._explain(text, x[i], labels) if explain and labels else ()
            preds.append(
                Prediction(
                    passage_id=pid,
                    scores=tuple(row.items()),
                    labels=labels,
                    indicators=indicators,
                    cues=cues,
                    model_version=self.version,
                )
            )
        return preds

    # -- indicators ------------------------------------------------------------------------
    def _indicator_similarity(self, texts: Sequence[str]) -> np.ndarray | None:
        if self.indicator_vectorizer is None or not self.indicator_ids:
            return None
        v = self.indicator_vectorizer.transform(texts)
        return np.asarray((v @ self.indicator_matrix.T).todense())

    def _rank_indicators(
        self, labels: tuple[str, ...], sims: np.ndarray | None, scores: dict[str, float]
    ) -> tuple[IndicatorScore, ...]:
        if sims is None:
            return ()
        ranked: list[IndicatorScore] = []
        for label in labels:
            prefix = label[2:] + "."
            cands = [(sims[k], ind) for k, ind in enumerate(self.indicator_ids) if ind.startswith(prefix)]
            cands.sort(reverse=True)
            # Weighted by the risk factor's own score so indicators of stronger labels come first.
            ranked += [IndicatorScore(ind, float(s) * scores[label]) for s, ind in cands[:MAX_INDICATORS] if s > 0]
        ranked.sort(key=lambda i: -i.score)
        return tuple(ranked)

    # -- cues --------------------------------------------------------------------------------
    def _explain(self, text: str, x_row: Any, labels: tuple[str, ...]) -> tuple[tuple[str, tuple[Cue, ...]], ...]:
        """Cues for each flagged label of one passage; the passage's tokens are found once for all labels."""
        tokens = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD_RE.finditer(text)]
        norm_tokens = [_normalise_text(t) for t, _, _ in tokens]
        return tuple((lab, self._cues(text, x_row, lab, tokens, norm_tokens)) for lab in labels)

    def _cues(self, text: str, x_row: Any, label: str, tokens: list[tuple[str, int, int]],
              norm_tokens: list[str]) -> tuple[Cue, ...]:
        est = self.estimators.get(label)
        if est is None or isinstance(est, float):
            return ()
        word_vec: TfidfVectorizer = self.features.transformer_list[0][1]
        n_word = len(word_vec.vocabulary_)
        coef = est.coef_[0]
        cols, vals = x_row.indices, x_row.data
        keep = (cols < n_word) & (coef[cols] > 0)
        cols = cols[keep]
        weights = vals[keep] * coef[cols]
        # Strongest first, ties by the higher column: the order a descending sort of (weight, column) gives.
        order = np.lexsort((cols, weights))[::-1]
        names = _FEATURE_NAMES.get(word_vec)
        if names is None:
            names = _FEATURE_NAMES[word_vec] = word_vec.get_feature_names_out()
        cues: list[Cue] = []
        taken: set[tuple[int, int]] = set()
        for k in order:
            weight, j = weights[k], cols[k]
            gram = str(names[j]).split()
            if all(g in ENGLISH_STOP_WORDS or g.isdigit() or g == "0" for g in gram):
                continue  # "and", "to the": real signal for the model, no help to a reviewer
            for t in range(len(tokens) - len(gram) + 1):
                if norm_tokens[t : t + len(gram)] == gram:
                    span = (tokens[t][1], tokens[t + len(gram) - 1][2])
                    if not any(a < span[1] and span[0] < b for a, b in taken):
                        taken.add(span)
                        cues.append(Cue(text[span[0] : span[1]], span[0], span[1], float(weight)))
                    break
            if len(cues) >= MAX_CUES:
                break
        return tuple(cues)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling on the logit of a score: fitted on out-of-fold scores, so it learns how
    over-confident the model is on passages it has not seen."""
    y = np.asarray(y, dtype=int)
    if y.min() == y.max():
        return (1.0, 0.0)
    lr = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    lr.fit(_logit(raw).reshape(-1, 1), y)
    return (float(lr.coef_[0, 0]), float(lr.intercept_[0]))


def apply_platt(raw: np.ndarray, params: tuple[float, float]) -> np.ndarray:
    """Calibrated probability from a raw score and Platt parameters (a, b)."""
    a, b = params
    return 1.0 / (1.0 + np.exp(-(a * _logit(raw) + b)))


def fit_model(
    texts: Sequence[str],
    label_sets: Sequence[Sequence[str]],
    *,
    thresholds: dict[str, float] | None = None,
    indicator_sets: Sequence[Sequence[str]] | None = None,
    framework: Framework | None = None,
    c: float = 4.0,
    mask_names: bool = True,
) -> RiskModel:
    """Fit features and one estimator per label; thresholds default to 0.5 until training sets them."""
    features = build_features(mask_names=mask_names)
    x = features.fit_transform(texts)
    estimators: dict[str, LogisticRegression | float] = {}
    todo = []
    for label in LABELS:
        y = np.array([label in ls for ls in label_sets], dtype=int)
        if y.min() == y.max():
            estimators[label] = float(y.max())  # nothing to learn from: constant score
            continue
        todo.append((label, y))
    # liblinear releases the GIL, so threads fit the 14 labels on every core without copying the matrix.
    # They share it read-only only if it is already canonical: otherwise each fit's np.max(x) calls
    # sum_duplicates(), which rewrites the arrays in place while another thread reads them.
    x = x.tocsr()
    x.sum_duplicates()
    x.sort_indices()
    fitted = Parallel(n_jobs=min(len(todo), os.cpu_count() or 1) or 1, prefer="threads")(
        delayed(build_estimator(c).fit)(x, y) for _, y in todo
    )
    estimators.update({label: est for (label, _), est in zip(todo, fitted, strict=True)})
    estimators = {label: estimators[label] for label in LABELS}  # keep RF order
    model = RiskModel(features=features, estimators=estimators, thresholds=dict(thresholds or {}))
    if framework is not None:
        _fit_indicators(model, texts, indicator_sets or [() for _ in texts], framework)
    return model


def _fit_indicators(
    model: RiskModel, texts: Sequence[str], indicator_sets: Sequence[Sequence[str]], framework: Framework
) -> None:
    """Prototype per indicator: its description plus the passages labelled with it, averaged."""
    inds = framework.indicators
    vec = TfidfVectorizer(
        preprocessor=_normalise_text, token_pattern=WORD_PATTERN, ngram_range=(1, 2),
        sublinear_tf=True, stop_words="english",
    )
    vec.fit(list(texts) + [i.text for i in inds])
    doc_m = vec.transform(texts)
    desc_m = vec.transform([i.text for i in inds])
    rows = []
    for k, ind in enumerate(inds):
        members = [n for n, s in enumerate(indicator_sets) if ind.id in s]
        proto = desc_m[k]
        if members:
            # The description counts as much as all examples together, so rare indicators keep their meaning.
            mean = doc_m[members].mean(axis=0)
            proto = normalize(np.asarray(mean)) + proto.toarray()
        else:
            proto = proto.toarray()
        rows.append(normalize(np.asarray(proto))[0])
    from scipy.sparse import csr_matrix  # scipy ships with scikit-learn

    model.indicator_vectorizer = vec
    model.indicator_ids = tuple(i.id for i in inds)
    model.indicator_matrix = csr_matrix(np.vstack(rows))
