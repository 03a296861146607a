"""Composes the stages: file -> Document -> Passages (+entities) -> Predictions -> Flags."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.analyse.classify import RiskModel
from triage.analyse.countries import vote_countries
from triage.analyse.entities import find_entities, load_nlp
from triage.analyse.flag import document_risk, flag_passages
from triage.analyse.registry import load_model
from triage.analyse.segment import split_passages
from triage.config import Config, load_config
from triage.errors import TriageError
from triage.read.extract import extract_document
from triage.types import Document, Passage, ScanResult


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

    def analyse(self, doc: Document, *, entity_scope: str | None = None) -> ScanResult:
        """Run every stage after extraction on one document.

        Classification reads only the text, so it runs first and tells the NER where it is needed."""
        passages = tuple(split_passages(
            doc, min_chars=self.config.min_passage_chars, max_chars=self.config.max_passage_chars
        ))
        predictions = self.model.predict([p.id for p in passages], [p.text for p in passages])
        flags = flag_passages(predictions, self.model.thresholds, max_labels=self.model.max_labels)
        scope = entity_scope or self.config.entity_scope
        if scope == "all":
            needed = {p.id for p in passages}
        elif scope == "flagged":
            needed = {f.passage_id for f in flags}
        else:  # "shown": the review UI tags each page of passages as it draws it (triage.service.tag_stored)
            needed = set()
        gazetteer = {p.id for p in passages} - needed
        return ScanResult(doc, self.tag_passages(passages, needed, gazetteer), tuple(predictions), tuple(flags),
                          document_risk(flags), self.model.version, frozenset(gazetteer))

    def reclassify(self, doc: Document, passages: Iterable[Passage],
                   untagged: Iterable[str] = ()) -> ScanResult:
        """Classify and flag already extracted passages (with their entities) under this pipeline's model.

        A new model version only changes classification, so a batch re-run reuses stored extraction; only
        passages it newly flags that never had the NER (`untagged`) are tagged now."""
        passages = tuple(passages)
        predictions = self.model.predict([p.id for p in passages], [p.text for p in passages])
        flags = flag_passages(predictions, self.model.thresholds, max_labels=self.model.max_labels)
        untagged = set(untagged)
        needed = {f.passage_id for f in flags} & untagged
        return ScanResult(doc, self.tag_passages(passages, needed, set()), tuple(predictions), tuple(flags),
                          document_risk(flags), self.model.version, frozenset(untagged - needed))

    def tag_passages(self, passages: tuple[Passage, ...], needed: set[str], gazetteer: set[str]) -> tuple[Passage, ...]:
        """Full NER on the passages in `needed`, the gazetteer alone on those in `gazetteer`; the others keep
        their entities. Reading order is kept."""
        if not (needed or gazetteer):
            return passages
        if self.nlp is None:  # a classify-only pipeline (the batch runner) loads spaCy when first needed
            self.nlp = load_nlp(self.config.spacy_model, self.config.spacy_fallbacks)
        labels = self.config.entity_labels
        done = {p.id: p for p in find_entities([p for p in passages if p.id in needed], self.nlp, labels=labels)}
        done.update((p.id, p) for p in find_entities([p for p in passages if p.id in gazetteer], self.nlp,
                                                     labels=labels, gazetteer_only=True))
        # The document's country is decided over all its passages, so one surname cannot outvote them.
        return vote_countries([done.get(p.id, p) for p in passages])

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

