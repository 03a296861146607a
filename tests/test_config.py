"""Settings check themselves: a bad value is one clear error naming the key and its valid range."""

from __future__ import annotations

import pytest

from triage.config import TRAIN_FOLDS, load_config
from triage.errors import ConfigError


def test_train_folds_come_from_the_config_file_and_are_checked(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    assert load_config().train_folds == TRAIN_FOLDS
    toml = tmp_path / "triage.toml"
    toml.write_text("train_folds = 3\n")
    assert load_config(toml).train_folds == 3
    toml.write_text("train_folds = 1\n")  # one fold leaves no out-of-fold scores to choose thresholds on
    with pytest.raises(ConfigError, match="train_folds must be between 2 and 20, got 1"):
        load_config(toml)
