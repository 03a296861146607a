"""Model artifacts on disk: models/<version>/ with model.joblib and card.json; registry.json says which is active.

joblib runs code when it loads a file, so an artifact is loaded only if its SHA-256 matches the
one recorded in the registry when it was saved.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.errors import ModelIntegrityError, ModelNotFoundError

if TYPE_CHECKING:
    from triage.analyse.classify import RiskModel

ARTIFACT = "model.joblib"
CARD = "card.json"
REGISTRY = "registry.json"
_VERSION = re.compile(r"v\d+")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    # Write then rename, so a crash never leaves a half-written registry behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes files private; cards and the registry are meant to be read
    os.replace(tmp, path)


def read_registry(models_dir: Path) -> dict[str, Any]:
    """The registry, or an empty one if none exists yet."""
    path = Path(models_dir) / REGISTRY
    if not path.exists():
        return {"active": None, "versions": {}, "history": []}
    try:
        reg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelIntegrityError(f"{path} cannot be read ({exc}); restore it from a backup or retrain") from exc
    if not isinstance(reg, dict) or not {"active", "versions", "history"} <= set(reg):
        raise ModelIntegrityError(f"{path} is not a triage model registry; restore it from a backup or retrain")
    return reg


def next_version(models_dir: Path) -> str:
    """v1, v2, ...: one more than the highest version on disk or in the registry."""
    reg = read_registry(models_dir)
    nums = [int(v[1:]) for v in reg["versions"] if v[1:].isdigit()]
    if Path(models_dir).exists():
        nums += [int(p.name[1:]) for p in Path(models_dir).iterdir() if p.is_dir() and p.name[1:].isdigit()]
    return f"v{max(nums, default=0) + 1}"


def save_model(model: RiskModel, card: dict[str, Any], models_dir: Path, *, activate: bool) -> str:
    """Write the artifact and its card, record its hash in the registry, optionally make it active."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    version = model.version or next_version(models_dir)
    model.version = version
    folder = models_dir / version
    folder.mkdir(exist_ok=False)
    import joblib

    joblib.dump(model, folder / ARTIFACT, compress=3)
    digest = sha256_file(folder / ARTIFACT)
    card = {**card, "version": version, "artifact": ARTIFACT, "artifact_sha256": digest}
    _write_json(folder / CARD, card)
    reg = read_registry(models_dir)
    reg["versions"][version] = {"sha256": digest, "created": card.get("created", _now())}
    reg["history"].append({"action": "register", "version": version, "at": _now()})
    if activate or reg["active"] is None:
        reg["active"] = version
        reg["history"].append({"action": "promote", "version": version, "at": _now()})
    _write_json(models_dir / REGISTRY, reg)
    return version


def set_active(models_dir: Path, version: str, *, action: str = "promote", note: str = "") -> None:
    """Make a registered version the active one and record why."""
    reg = read_registry(models_dir)
    if version not in reg["versions"]:
        raise ModelNotFoundError(f"no model {version} in {models_dir}; known: {sorted(reg['versions'])}")
    reg["active"] = version
    entry = {"action": action, "version": version, "at": _now()}
    reg["history"].append({**entry, "note": note} if note else entry)
    _write_json(Path(models_dir) / REGISTRY, reg)


def forced_note(worse: Sequence[str], force: bool, reason: str) -> str | None:
    """The registry note for activating a model that got `worse` (empty: nothing got worse), or None when it
    may not be activated: only `force` with a `reason` lets a worse model through, so the history tells a
    trade from an accident. `triage train --activate` and `triage models promote` share this rule."""
    if not worse:
        return ""
    if not (force and reason.strip()):
        return None
    return "forced despite: " + "; ".join(worse) + f". Reason: {reason.strip()}"


def forced_hint(version: str, force: bool) -> str:
    """What to do about a refused activation of `version` (forced or not), for the refusal's message."""
    if force:
        return "A forced activation must say why: add --reason \"...\""
    return f"Use `triage models promote {version} --force --reason \"...\"` to make it active anyway"


def record_event(models_dir: Path, action: str, version: str, note: str) -> None:
    """Add an entry to the registry's history without changing the active model (e.g. a refused promotion)."""
    reg = read_registry(models_dir)
    reg["history"].append({"action": action, "version": version, "at": _now(), "note": note})
    _write_json(Path(models_dir) / REGISTRY, reg)


# How much worse a candidate may be on the frozen split before promotion is refused: macro-F1 and ECE
# allow for rounding. A label's recall may not fall by more than two binomial standard errors of the old
# recall on that label's test passages (RECALL_TOLERANCE at least). A flat 0.05 was a single passage for the
# labels with under 40 test positives, and with 14 labels some label moved that much on almost any retraining
# (v8: RF11 27 -> 24 of 30 over threshold, while it gained a passage among the labels a reviewer sees).
F1_TOLERANCE = 0.005
RECALL_TOLERANCE = 0.05
RECALL_SE = 2.0
ECE_TOLERANCE = 0.01


def recall_tolerance(recall: float, support: int | None) -> float:
    """How far a label's frozen-split recall may fall before it counts as worse, given its test positives."""
    if not support:
        return RECALL_TOLERANCE
    return max(RECALL_TOLERANCE, RECALL_SE * math.sqrt(recall * (1.0 - recall) / support))


def regressions(new_card: dict[str, Any], old_card: dict[str, Any]) -> list[str]:
    """What got worse from old_card to new_card on the frozen split, in words (empty: not worse).
    Compared at the labels a reviewer is shown when both cards have them (`at_decision`), else over each
    label's threshold: two models whose thresholds are chosen by different rules differ over threshold by
    design. Cards without frozen-test figures cannot be compared and give no regression."""
    new, old = new_card.get("frozen_test", {}), old_card.get("frozen_test", {})
    key = "at_decision" if "at_decision" in new and "at_decision" in old else "at_thresholds"
    n_t, o_t = new.get(key, {}), old.get(key, {})
    if not n_t or not o_t:
        return []
    out = []
    if n_t["macro_f1"] < o_t["macro_f1"] - F1_TOLERANCE:
        out.append(f"macro-F1 {o_t['macro_f1']:.3f} -> {n_t['macro_f1']:.3f}")
    for label, o in o_t.items():
        if not isinstance(o, dict) or label not in n_t:
            continue
        if n_t[label]["recall"] < o["recall"] - recall_tolerance(o["recall"], o.get("support")):
            out.append(f"{label} recall {o['recall']:.3f} -> {n_t[label]['recall']:.3f}")
    if "ece" in new and "ece" in old and new["ece"] > old["ece"] + ECE_TOLERANCE:
        out.append(f"ECE {old['ece']:.3f} -> {new['ece']:.3f}")
    return out


def split_note(new_card: dict[str, Any], old_card: dict[str, Any]) -> str:
    """A caveat when two cards' frozen-split figures come from different splits ("" when they do not).
    `triage train --activate` re-grades the active model on the current split; promoting a stored version
    can only compare what the cards hold."""
    new, old = new_card.get("frozen_test", {}), old_card.get("frozen_test", {})
    if not new or not old:
        return ""
    if new.get("split") and old.get("split"):
        differ = new["split"] != old["split"]
    else:
        differ = new.get("passages") != old.get("passages")
    return (f" (measured on different frozen splits: {new.get('passages')} and {old.get('passages')} passages)"
            if differ else "")


def read_card(models_dir: Path, version: str | None = None) -> dict[str, Any]:
    """The model card of a version (the active one by default)."""
    version = version or active_version(models_dir)
    path = Path(models_dir) / version / CARD
    if not path.exists():
        raise ModelNotFoundError(f"no model card at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def active_version(models_dir: Path) -> str:
    """The active version's name, or a clear error telling how to train one."""
    reg = read_registry(models_dir)
    if not reg["active"]:
        raise ModelNotFoundError(f"no trained model in {models_dir}; run `triage train` first")
    return str(reg["active"])


_STATIC_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*")


def load_model(models_dir: Path, version: str | None = None) -> RiskModel:
    """Load a version (the active one by default), refusing an artifact whose hash has changed."""
    models_dir = Path(models_dir)
    version = version or active_version(models_dir)
    reg = read_registry(models_dir)
    if version not in reg["versions"]:
        raise ModelNotFoundError(f"model {version} is not registered in {models_dir / REGISTRY}")
    if not _VERSION.fullmatch(version):
        # The registry names a folder; a name like "../x" would let an edited registry load any file.
        raise ModelIntegrityError(f"{version!r} in {models_dir / REGISTRY} is not a model version name (v1, v2, ...)")
    path = models_dir / version / ARTIFACT
    if not path.exists():
        raise ModelNotFoundError(f"model file {path} is missing; retrain with `triage train`")
    expected = reg["versions"][version]["sha256"]
    actual = sha256_file(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"{path} has SHA-256 {actual[:16]}..., but the registry recorded {expected[:16]}...; "
            "the file was changed after training and will not be loaded (retrain, or restore the file)"
        )
    # Imported here: reading the registry (which version is active) should not load scikit-learn.
    import joblib

    from triage.analyse import classify
    from triage.analyse.classify import RiskModel

    # Models saved before the package was split into layers name their classes triage.classify.*;
    # the alias lets them (and any older version a reviewer may roll back to) load unchanged.
    sys.modules.setdefault("triage.classify", classify)
    model = joblib.load(path)
    if not isinstance(model, RiskModel):
        raise ModelIntegrityError(f"{path} does not hold a triage model")
    if model.embedder_name:
        model.embedder = load_embedder(models_dir, model.embedder_name)
    return model


STATIC_DIR = "static"


def load_embedder(models_dir: Path, name: str) -> Any:
    """The static embedding model <models_dir>/static/<name>/ (or the repository's or the package's bundled one,
    so a models folder of its own need not copy it), checked against the hashes in its card."""
    if not _STATIC_NAME.fullmatch(name):
        raise ModelIntegrityError(f"{name!r} is not a static embedding model name")
    folder = Path(models_dir) / STATIC_DIR / name
    if not folder.exists():
        from triage.config import BUNDLED, ROOT

        folder = next((f for f in (ROOT / "models" / STATIC_DIR / name, BUNDLED / "models" / STATIC_DIR / name)
                       if f.exists()), folder)
    try:
        card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(f"static embedding model {folder} is missing or has no card.json: {exc}") from exc
    for file, expected in card.get("sha256", {}).items():
        if not (folder / file).exists():
            raise ModelNotFoundError(f"{folder / file} is missing")
        if sha256_file(folder / file) != expected:
            raise ModelIntegrityError(f"{folder / file} was changed after it was distilled; restore it")
    from triage.analyse.embed import StaticEmbedder

    return StaticEmbedder(folder)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
