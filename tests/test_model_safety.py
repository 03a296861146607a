"""Models: only an artifact whose SHA-256 matches the registry is ever unpickled."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from tests.test_registry import _model
from triage.analyse.registry import load_model, save_model, sha256_file
from triage.errors import ModelError, ModelIntegrityError


class _RunsCode:
    """Unpickling this calls os.system: what an attacker would put in a swapped model file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_model_file_that_would_run_code_is_never_loaded(tmp_path: Path) -> None:
    save_model(_model(), {}, tmp_path, activate=True)
    marker = tmp_path / "code-ran"
    (tmp_path / "v1" / "model.joblib").write_bytes(pickle.dumps(_RunsCode(marker)))
    with pytest.raises(ModelIntegrityError, match="will not be loaded"):
        load_model(tmp_path)
    assert not marker.exists()


def test_a_tampered_registry_hash_is_refused(tmp_path: Path) -> None:
    save_model(_model(), {}, tmp_path, activate=True)
    reg_path = tmp_path / "registry.json"
    reg = json.loads(reg_path.read_text())
    reg["versions"]["v1"]["sha256"] = "0" * 64
    reg_path.write_text(json.dumps(reg))
    with pytest.raises(ModelIntegrityError, match="will not be loaded"):
        load_model(tmp_path)


def test_a_damaged_registry_is_a_clear_error(tmp_path: Path) -> None:
    save_model(_model(), {}, tmp_path, activate=True)
    (tmp_path / "registry.json").write_text("{ not json")
    with pytest.raises(ModelError, match="registry.json"):
        load_model(tmp_path)


def test_a_registry_pointing_outside_models_is_refused(tmp_path: Path) -> None:
    models = tmp_path / "models"
    save_model(_model(), {}, models, activate=True)
    outside = tmp_path / "evil"
    outside.mkdir()
    marker = tmp_path / "code-ran"
    (outside / "model.joblib").write_bytes(pickle.dumps(_RunsCode(marker)))
    reg = json.loads((models / "registry.json").read_text())
    reg["versions"]["../evil"] = {"sha256": sha256_file(outside / "model.joblib")}
    reg["active"] = "../evil"
    (models / "registry.json").write_text(json.dumps(reg))
    with pytest.raises(ModelIntegrityError, match="not a model version name"):
        load_model(models)
    assert not marker.exists()
