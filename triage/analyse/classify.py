"""Passages -> Predictions: risk-factor scores, indicator ranking and cue terms (the only sklearn module).

The model is a word + character TF-IDF representation with one logistic regression per risk
factor. Per-label thresholds come from training (chosen on cross-validated scores for a recall
target); indicators are ranked by similarity to prototypes built from the indicator text and the
labelled passages that illustrate it; cue terms are the word n-grams that added most to a score.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import csr_matrix  # scipy ships with scikit-learn
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize

from triage.analyse.features import (  # re-exported: pickled models and training/ name them from here
    _WORD_RE,
    UNKNOWN_NAME_MODES,
    WORD_PATTERN,
    CharGramVectorizer,
    NameMasker,
    _names_pattern,
    _normalise_masked,
    _normalise_text,
    build_features,
    lower_case_words,
    seen_words,
)
from triage.analyse.flag import select_labels
from triage.framework import LABELS, Framework
from triage.types import Cue, IndicatorScore, Prediction

__all__ = [
    "UNKNOWN_NAME_MODES", "WORD_PATTERN", "CharGramVectorizer", "NameMasker", "RiskModel", "apply_platt",
    "build_estimator", "build_features", "fit_model", "fit_platt", "lower_case_words", "seen_words",
    "_names_pattern", "_normalise_masked", "_normalise_text", "_WORD_RE",
]

MAX_CUES = 6
# get_feature_names_out() builds an array of the whole vocabulary on every call; cues need it for every
# flagged label of every passage, so build it once per fitted vectorizer, split into words (it was most of
# batch time).
_FEATURE_NAMES: WeakKeyDictionary[TfidfVectorizer, list[list[str]]] = WeakKeyDictionary()
MAX_INDICATORS = 3
GATE_MODES = ("multiply", "filter")


def build_estimator(c: float = 4.0) -> LogisticRegression:
    """One binary classifier per risk factor; balanced weights because positives are rare."""
    # The dual formulation solves the same problem; with far more features than passages it converges in
    # a quarter of the primal's time (measured in benchmarks/train_speed.py).
    return LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear", dual=True)


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
    # Sentence-embedding heads (triage.embed), blended with the TF-IDF heads: raw = blend * tfidf + (1 - blend)
    # * embedding. The embedder is not pickled with the model: registry.load_model attaches models/static/<name>.
    embedder_name: str = ""
    emb_estimators: dict[str, LogisticRegression | float] = field(default_factory=dict)
    blend: float = 1.0
    embedder: Any = None
    # At most this many labels per passage, the ones furthest over their thresholds (0: every label over its
    # threshold). Real paragraphs cross several thresholds at once; a reviewer needs the ones that matter.
    max_labels: int = 0
    # Optional first stage, "does this paragraph report anything a risk factor covers?", trained on real
    # paragraphs (any label vs none); every label's score is multiplied by it before calibration.
    gate: tuple[Any, Any] | None = None  # (TF-IDF estimator, embedding estimator or None)
    # How the gate acts. "multiply" (v6): every label's score times the relevance score; on real paragraphs this
    # lowers the labels' own ranking (macro average precision on real held-out paragraphs 0.373 -> 0.341).
    # "filter": label scores are left alone and a passage whose relevance score is under `gate_threshold` gets
    # no label (training chooses the cut for a share of real paragraphs flagged).
    gate_mode: str = "multiply"
    gate_threshold: float = 0.0

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["embedder"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Models pickled before a field existed get its default.
        defaults = {"embedder_name": "", "emb_estimators": {}, "blend": 1.0, "embedder": None, "max_labels": 0,
                    "calibration": {}, "gate": None,
                    "gate_mode": "multiply", "gate_threshold": 0.0}
        self.__dict__.update({**defaults, **state})

    def embedding_input(self, texts: Sequence[str]) -> list[str]:
        """What the embedder reads: the text with names masked as the TF-IDF features mask them."""
        prep = self.features.transformer_list[0][1].preprocessor
        return [prep(t) for t in texts]

    # -- scoring ---------------------------------------------------------------------------
    def score_matrix(self, texts: Sequence[str], *, x: Any = None) -> np.ndarray:
        """Scores in [0, 1], shape (len(texts), 14), columns in RF order (calibrated if the model is).
        `x`: the texts' features if the caller already has them (they are the costliest part)."""
        raw, g = self._raw_and_relevance(texts, x)
        # getattr: models pickled before calibration existed have no such attribute.
        calibration = getattr(self, "calibration", None) or {}
        for j, label in enumerate(self.labels):
            if label in calibration:
                raw[:, j] = apply_platt(raw[:, j], calibration[label])
        if g is not None and self.gate_mode == "filter" and self.gate_threshold > 0:
            # A rejected passage keeps a score (times its relevance, as "multiply" would give it) but under
            # every threshold, so labels read back from scores (decide, flag_passages) agree with the gate.
            out = g < self.gate_threshold
            thr = np.array([self.thresholds.get(label, 0.5) for label in self.labels])
            raw[out] = np.minimum(raw[out] * g[out, None], np.nextafter(thr, 0))
        return raw

    def raw_score_matrix(self, texts: Sequence[str], *, x: Any = None) -> np.ndarray:
        """The estimators' own probabilities, before calibration (times the gate in "multiply" mode)."""
        return self._raw_and_relevance(texts, x)[0]

    def relevance_scores(self, texts: Sequence[str], *, x: Any = None) -> np.ndarray | None:
        """The gate's score per text ("does this report anything a risk factor covers?"), None without a gate."""
        return self._raw_and_relevance(texts, x)[1]

    def _raw_and_relevance(self, texts: Sequence[str], x: Any) -> tuple[np.ndarray, np.ndarray | None]:
        if x is None:
            x = self.features.transform(texts)
        out = _head_scores(self.estimators, self.labels, x, len(texts))
        e = None
        if self.emb_estimators and self.blend < 1.0:
            if self.embedder is None:
                raise ValueError(f"this model needs the static embedding model {self.embedder_name!r}, not attached")
            e = self.embedder.embed(self.embedding_input(texts))
            out = self.blend * out + (1.0 - self.blend) * _head_scores(self.emb_estimators, self.labels, e, len(texts))
        if self.gate is not None:
            g = self.gate[0].predict_proba(x)[:, 1]
            if self.gate[1] is not None and e is not None:
                g = self.blend * g + (1.0 - self.blend) * self.gate[1].predict_proba(e)[:, 1]
            if self.gate_mode == "multiply":
                out = out * g[:, None]
            return out, g
        return out, None

    def decide(self, scores: np.ndarray) -> list[tuple[str, ...]]:
        """Labels per row of a calibrated score matrix: over threshold, and at most `max_labels` of them,
        furthest over their thresholds first."""
        return [select_labels(zip(self.labels, map(float, row), strict=True), self.thresholds, self.max_labels)
                for row in scores]

    def indicator_similarity(self, texts: Sequence[str]) -> np.ndarray | None:
        """Similarity of each text to each indicator prototype (columns follow `indicator_ids`)."""
        return self._indicator_similarity(texts)

    def predict(self, ids: Sequence[str], texts: Sequence[str], *, explain: bool = True) -> list[Prediction]:
        """One Prediction per text: all 14 scores, labels over threshold, ranked indicators, cues."""
        if not texts:
            return []
        x = self.features.transform(texts).tocsr()
        scores = self.score_matrix(texts, x=x)
        decided = self.decide(scores)
        sims = self._indicator_similarity(texts)
        preds = []
        for i, (pid, text) in enumerate(zip(ids, texts, strict=True)):
            row = {lab: float(scores[i, j]) for j, lab in enumerate(self.labels)}
            labels = decided[i]
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
        # Where each word starts, so a cue is looked for only where its first word is (a passage has ~20
        # flags a page and each tries many n-grams; scanning every token for each was a third of classifying).
        starts: dict[str, list[int]] = {}
        for t, word in enumerate(norm_tokens):
            starts.setdefault(word, []).append(t)
        return tuple((lab, self._cues(text, x_row, lab, tokens, norm_tokens, starts)) for lab in labels)

    def _cues(self, text: str, x_row: Any, label: str, tokens: list[tuple[str, int, int]],
              norm_tokens: list[str], starts: dict[str, list[int]]) -> tuple[Cue, ...]:
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
            names = _FEATURE_NAMES[word_vec] = [str(n).split() for n in word_vec.get_feature_names_out()]
        cues: list[Cue] = []
        taken: set[tuple[int, int]] = set()
        for k in order:
            weight, j = weights[k], cols[k]
            gram = names[j]
            if all(g in ENGLISH_STOP_WORDS or g.isdigit() or g == "0" for g in gram):
                continue  # "and", "to the": real signal for the model, no help to a reviewer
            for t in starts.get(gram[0], ()):
                if norm_tokens[t : t + len(gram)] == gram:
                    span = (tokens[t][1], tokens[t + len(gram) - 1][2])
                    if not any(a < span[1] and span[0] < b for a, b in taken):
                        taken.add(span)
                        cues.append(Cue(text[span[0] : span[1]], span[0], span[1], float(weight)))
                    break
            if len(cues) >= MAX_CUES:
                break
        return tuple(cues)


def _head_scores(estimators: dict[str, Any], labels: Sequence[str], x: Any, n: int) -> np.ndarray:
    out = np.zeros((n, len(labels)))
    for j, label in enumerate(labels):
        est = estimators.get(label, 0.0)
        out[:, j] = est if isinstance(est, float) else est.predict_proba(x)[:, 1]
    return out


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
    mask_unknown_names: str = "",
    embedder: Any = None,
    embedder_name: str = "",
    blend: float = 1.0,
    emb_c: float = 2.0,
    gate_rows: Sequence[bool] | None = None,
    gate_mode: str = "multiply",
) -> RiskModel:
    """Fit features and one estimator per label; thresholds default to 0.5 until training sets them.
    `mask_unknown_names` also masks capitalised words as names (NameMasker; see UNKNOWN_NAME_MODES). On the
    frozen split, held-out-names flip rate / macro-F1: none 4.1% / 0.560 (v3), "never-lower" 0.05% / 0.546
    with RF9 recall 0.788 -> 0.731 (v4, refused), "unseen" 0.41% / 0.561 (v5, what `triage train` uses)."""
    if gate_mode not in GATE_MODES:
        raise ValueError(f"gate_mode must be one of {GATE_MODES}")
    if mask_unknown_names and mask_unknown_names not in UNKNOWN_NAME_MODES:
        raise ValueError(f"mask_unknown_names must be one of {UNKNOWN_NAME_MODES} or empty")
    known = None
    if mask_names and mask_unknown_names:
        known = (lower_case_words if mask_unknown_names == "never-lower" else seen_words)(texts)
    features = build_features(mask_names=mask_names, known_lower=known)
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
    if embedder is not None and blend < 1.0:
        model.embedder, model.embedder_name, model.blend = embedder, embedder_name, blend
        e = embedder.embed(model.embedding_input(texts))
        model.emb_estimators = {}
        for label, y in todo:
            # lbfgs on a dense 256-column matrix: seconds for all labels; balanced for the same reason as above.
            model.emb_estimators[label] = LogisticRegression(C=emb_c, class_weight="balanced", max_iter=3000).fit(e, y)
        model.emb_estimators = {label: model.emb_estimators.get(label, estimators[label]) for label in LABELS}
    if gate_rows is not None and any(gate_rows):
        rows = np.flatnonzero(np.asarray(gate_rows, dtype=bool))
        any_label = np.array([bool(label_sets[i]) for i in rows], dtype=int)
        if 0 < any_label.sum() < len(rows):
            g_emb = None
            if model.emb_estimators:
                g_emb = LogisticRegression(C=emb_c, class_weight="balanced", max_iter=3000).fit(
                    embedder.embed(model.embedding_input([texts[i] for i in rows])), any_label)
            model.gate = (build_estimator(c).fit(x[rows], any_label), g_emb)
            model.gate_mode = gate_mode
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
    both = vec.fit_transform(list(texts) + [i.text for i in inds])  # one pass over the texts, not two
    doc_m, desc_m = both[: len(texts)], both[len(texts) :]
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
    model.indicator_vectorizer = vec
    model.indicator_ids = tuple(i.id for i in inds)
    model.indicator_matrix = csr_matrix(np.vstack(rows))
