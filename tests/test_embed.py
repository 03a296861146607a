"""Static embeddings (triage.embed) and the model parts built on them: offline, deterministic, checked on load."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from training.train import EMBEDDER, MAX_LABELS
from triage.analyse.embed import StaticEmbedder
from triage.analyse.flag import select_labels
from triage.analyse.registry import load_embedder
from triage.config import ROOT
from triage.errors import ModelIntegrityError, ModelNotFoundError

STATIC = ROOT / "models" / "static" / EMBEDDER


@pytest.fixture(scope="module")
def embedder() -> StaticEmbedder:
    return load_embedder(ROOT / "models", EMBEDDER)


def test_embeddings_are_unit_vectors_and_meaning_is_closer_than_chance(embedder: StaticEmbedder) -> None:
    texts = ["Militia fighters attacked the village and killed civilians.",
             "Armed men raided the settlement, shooting residents.",
             "The committee approved the budget for office furniture."]
    e = embedder.embed(texts)
    assert e.shape == (3, embedder.dim) and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-4)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2]) + 0.1
    assert np.array_equal(embedder.embed(texts[:1]), e[:1])  # from the cache, the same vector
    assert not embedder.embed([""]).any()  # no token: a zero row, not NaN


def test_an_embedder_pickles_as_its_folder_only(embedder: StaticEmbedder) -> None:
    blob = pickle.dumps(embedder)
    assert len(blob) < 2_000  # the vectors stay in their own files, not in every model artifact
    again = pickle.loads(blob)
    assert np.array_equal(again.embed(["a town was shelled"]), embedder.embed(["a town was shelled"]))


def test_a_changed_or_missing_static_model_is_refused(tmp_path: Path) -> None:
    models = tmp_path / "models"
    copy = models / "static" / EMBEDDER
    shutil.copytree(STATIC, copy)
    assert load_embedder(models, EMBEDDER).dim > 0
    vectors = np.load(copy / "vectors.npy")
    vectors[0, 0] += 1
    np.save(copy / "vectors.npy", vectors)
    with pytest.raises(ModelIntegrityError, match="changed"):
        load_embedder(models, EMBEDDER)
    with pytest.raises(ModelIntegrityError):
        load_embedder(models, "../../etc")
    with pytest.raises(ModelNotFoundError):
        load_embedder(models, "no-such-model")
    card = json.loads((STATIC / "card.json").read_text())
    assert card["dims"] == embedder_dims() and "all-MiniLM-L6-v2" in card["teacher"]


def embedder_dims() -> int:
    return int(np.load(STATIC / "vectors.npy", mmap_mode="r").shape[1])


def test_select_labels_keeps_the_labels_furthest_over_their_thresholds() -> None:
    th = {"RF1": 0.2, "RF5": 0.4, "RF13": 0.1}
    scores = [("RF1", 0.5), ("RF5", 0.5), ("RF13", 0.6), ("RF14", 0.9)]
    assert select_labels(scores, th) == ("RF1", "RF5", "RF13", "RF14")  # RF14 has the default threshold 0.5
    # Ratios: RF1 2.5, RF5 1.25, RF13 6.0, RF14 1.8 -> the two strongest, in the scores' order.
    assert select_labels(scores, th, max_labels=2) == ("RF1", "RF13")
    assert select_labels([("RF1", 0.1)], th, max_labels=2) == ()


def test_a_trained_model_with_embedding_heads_scores_after_a_round_trip(trained_config) -> None:  # type: ignore[no-untyped-def]
    from triage.analyse.registry import load_model, read_card

    model = load_model(trained_config.models_dir)
    card = read_card(trained_config.models_dir)
    assert model.embedder_name == EMBEDDER and model.embedder is not None and model.emb_estimators
    assert 0 < model.blend < 1 and model.max_labels == card["max_labels"] == MAX_LABELS
    text = "Soldiers shelled the camp for displaced people, killing nine children, the mission reported."
    preds = model.predict(["p"], [text])
    assert len(preds[0].labels) <= MAX_LABELS
    # Both heads count: without the embedding heads the scores move.
    tfidf_only = model.raw_score_matrix([text])
    model.blend, blend = 1.0, model.blend
    try:
        assert not np.allclose(model.raw_score_matrix([text]), tfidf_only)
    finally:
        model.blend = blend
