import pytest

from triage.analyse.classify import fit_model
from triage.analyse.registry import (
    active_version,
    load_model,
    read_card,
    read_registry,
    save_model,
    set_active,
)
from triage.errors import ModelIntegrityError, ModelNotFoundError

TEXTS = ["aid convoy looted by gunmen", "market shelled by artillery", "the school opened", "teachers trained"]
LABELS = [["RF14"], ["RF13"], [], []]


def _model():  # type: ignore[no-untyped-def]
    return fit_model(TEXTS * 2, LABELS * 2)


def test_save_load_and_hash_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotFoundError, match="triage train"):
        load_model(tmp_path)
    v1 = save_model(_model(), {"created": "now"}, tmp_path, activate=False)
    assert v1 == "v1" and active_version(tmp_path) == "v1"  # the first model becomes active
    assert read_card(tmp_path)["artifact_sha256"] == read_registry(tmp_path)["versions"]["v1"]["sha256"]
    assert load_model(tmp_path).version == "v1"


def test_a_tampered_artifact_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    save_model(_model(), {}, tmp_path, activate=True)
    artifact = tmp_path / "v1" / "model.joblib"
    artifact.write_bytes(artifact.read_bytes() + b"\x00")
    with pytest.raises(ModelIntegrityError, match="will not be loaded"):
        load_model(tmp_path)


def test_promote_and_rollback_are_recorded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    save_model(_model(), {}, tmp_path, activate=True)
    v2 = save_model(_model(), {}, tmp_path, activate=False)
    assert active_version(tmp_path) == "v1"
    set_active(tmp_path, v2)
    assert active_version(tmp_path) == "v2"
    set_active(tmp_path, "v1", action="rollback")
    assert [h["action"] for h in read_registry(tmp_path)["history"]][-2:] == ["promote", "rollback"]
    with pytest.raises(ModelNotFoundError):
        set_active(tmp_path, "v9")


def test_a_worse_model_is_activated_only_when_forced_with_a_reason() -> None:
    from triage.analyse.registry import forced_note

    assert forced_note([], False, "") == ""  # nothing got worse: no note needed
    assert forced_note(["macro-F1 0.60 -> 0.50"], False, "because") is None  # not forced
    assert forced_note(["macro-F1 0.60 -> 0.50"], True, "  ") is None  # forced without saying why
    note = forced_note(["macro-F1 0.60 -> 0.50"], True, " RF4 traded for precision ")
    assert note == "forced despite: macro-F1 0.60 -> 0.50. Reason: RF4 traded for precision"
