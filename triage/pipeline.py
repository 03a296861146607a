"""Composes the stages: file -> Document -> Passages (+entities) -> Predictions -> Flags."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .classify import RiskModel
from .config import Config, load_config
from .entities import find_entities, load_nlp
from .errors import TriageError
from .extract import extract_document
from .flag import document_risk, flag_passages
from .registry import load_model
from .segment import split_passages
from .types import Document, Flag, Passage, Prediction


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything the pipeline learned about one document."""

    document: Document
    passages: tuple[Passage, ...]
    predictions: tuple[Prediction, ...]
    flags: tuple[Flag, ...]
    risk: float
    model_version: str

    def to_json(self) -> dict[str, Any]:
        """The `triage scan --json` shape (a stable interface: keep its keys)."""
        preds = {p.passage_id: p for p in self.predictions}
        return {
            "document": {
                "id": self.document.id,
                "source": self.document.source,
                "pages": len(self.document.pages),
                "title": self.document.title,
                "language": dict(self.document.metadata).get("language", ""),
                "risk": self.risk,
                "model_version": self.model_version,
                "ocr_pages": [p.number for p in self.document.pages if p.ocr],
                "ocr_confidence": float(dict(self.document.metadata).get("ocr_confidence", 0.0)),
                "needs_ocr_pages": [p.number for p in self.document.pages if p.needs_ocr],
            },
            "passages": [
                {
                    "id": p.id,
                    "page": p.page,
                    "start": p.start,
                    "end": p.end,
                    "text": p.text,
                    "lang": p.lang,
                    "entities": [{"text": e.text, "label": e.label, "start": e.start, "end": e.end}
                                 for e in p.entities],
                    "scores": {k: round(v, 4) for k, v in preds[p.id].scores},
                    "labels": list(preds[p.id].labels),
                    "indicators": [i.to_dict() for i in preds[p.id].indicators],
                }
                for p in self.passages
            ],
        }


@dataclass
class Pipeline:
    """Holds the loaded models so many files can be processed without reloading them."""

    config: Config
    model: RiskModel
    nlp: Any

    @classmethod
    def load(cls, config: Config | None = None, *, model_version: str | None = None) -> Pipeline:
        """Load the spaCy pipeline and the active (or named) risk model."""
        config = config or load_config()
        return cls(config, load_model(config.models_dir, model_version),
                   load_nlp(config.spacy_model, config.spacy_fallbacks))

    def analyse(self, doc: Document) -> ScanResult:
        """Run every stage after extraction on one document."""
        passages = split_passages(
            doc, min_chars=self.config.min_passage_chars, max_chars=self.config.max_passage_chars
        )
        passages = list(find_entities(passages, self.nlp, labels=self.config.entity_labels))
        predictions = self.model.predict([p.id for p in passages], [p.text for p in passages])
        flags = flag_passages(predictions, self.model.thresholds)
        return ScanResult(doc, tuple(passages), tuple(predictions), tuple(flags),
                          document_risk(flags), self.model.version)

    def reclassify(self, doc: Document, passages: Iterable[Passage]) -> ScanResult:
        """Classify and flag already extracted passages (with their entities) under this pipeline's model.

        A new model version only changes classification, so a batch re-run reuses stored extraction."""
        passages = tuple(passages)
        predictions = self.model.predict([p.id for p in passages], [p.text for p in passages])
        flags = flag_passages(predictions, self.model.thresholds)
        return ScanResult(doc, passages, tuple(predictions), tuple(flags), document_risk(flags), self.model.version)

    def process_file(self, path: str | Path, *, data: bytes | None = None, source: str | None = None) -> ScanResult:
        """Extract and analyse one file."""
        return self.analyse(extract_document(path, data=data, source=source, ocr_settings=self.config.ocr_settings))

    def process_many(self, paths: Iterable[Path]) -> Iterator[tuple[Path, ScanResult | TriageError]]:
        """Process files one by one; a file that fails yields its error and the run goes on."""
        for path in paths:
            try:
                yield path, self.process_file(path)
            except TriageError as exc:
                yield path, exc
