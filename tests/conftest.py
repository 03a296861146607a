"""Shared fixtures: a model trained once per session on the real corpus, the real spaCy pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # CI lays a copy of shared/ beside the clone
sys.path.insert(0, str(ROOT))  # so tests can import tests.pdfgen

from triage.config import Config, load_config  # noqa: E402


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


@pytest.fixture(scope="session")
def trained_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A Config whose models_dir holds a model trained on the corpus (3 folds to keep it quick)."""
    from training.train import train

    models = tmp_path_factory.mktemp("models")
    cfg = load_config(models_dir=models, db=str(tmp_path_factory.mktemp("db") / "t.db"))
    train(cfg, folds=3, log=lambda *_: None)
    return cfg


@pytest.fixture(scope="session")
def nlp():  # type: ignore[no-untyped-def]
    from triage.analyse.entities import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def pipeline(trained_config: Config, nlp):  # type: ignore[no-untyped-def]
    from triage.analyse.pipeline import Pipeline
    from triage.analyse.registry import load_model

    return Pipeline(trained_config, load_model(trained_config.models_dir), nlp)
