"""triage: flag warning signs of atrocity crimes in situation reports, passage by passage."""

from triage.errors import (
    ExtractionError,
    ModelError,
    ModelIntegrityError,
    ModelNotFoundError,
    StoreError,
    TriageError,
)
from triage.types import Cue, Document, Entity, Flag, IndicatorScore, Page, Passage, Prediction

__all__ = [
    "Cue", "Document", "Entity", "ExtractionError", "Flag", "IndicatorScore", "ModelError",
    "ModelIntegrityError", "ModelNotFoundError", "Page", "Passage", "Prediction", "StoreError", "TriageError",
]
__version__ = "0.1.0"
