"""The pipeline's data: small frozen dataclasses with character offsets and stable ids. No I/O here."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
# One word's place in Document.text and on its page: start, end, page, x0, top, x1, bottom (points, top-left
# origin). Packed, 26 bytes a word, so a 1,000-page report's boxes take a few MB rather than hundreds.
WORD_BOX = struct.Struct("<IIH4f")
Rect = tuple[float, float, float, float]  # x0, top, x1, bottom in points on the shown page


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a document: where its text sits in `Document.text`."""

    number: int  # 1-based, as printed by a PDF viewer
    start: int  # offsets into Document.text
    end: int
    ocr: bool = False  # True when the text came from OCR rather than a text layer
    needs_ocr: bool = False  # True when the page had no text and was not OCRed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Page:
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Footnote:
    """A footnote, kept out of the body text: its page, its marker ("3", "*") and its text."""

    page: int
    marker: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Footnote:
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Table:
    """A table as rows of cell texts; its text also appears once in the body, rows as " | "-joined lines."""

    page: int
    rows: tuple[tuple[str, ...], ...]
    box: Rect = (0.0, 0.0, 0.0, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "rows": [list(r) for r in self.rows], "box": list(self.box)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Table:
        box = tuple(d.get("box", (0.0, 0.0, 0.0, 0.0)))
        return cls(d["page"], tuple(tuple(r) for r in d["rows"]), box)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Document:
    """A whole extracted file. `id` is the SHA-256 of its bytes, so it survives renames and re-runs."""

    id: str
    source: str  # file name (or archive member path) as given
    text: str  # normalised body text, pages separated by blank lines
    pages: tuple[Page, ...]
    media_type: str = "application/pdf"
    title: str = ""
    metadata: tuple[tuple[str, str], ...] = ()  # sorted (key, value) pairs; tuple keeps it hashable
    footnotes: tuple[Footnote, ...] = ()
    tables: tuple[Table, ...] = ()
    word_boxes: bytes = field(default=b"", repr=False)  # WORD_BOX records in text order; empty for text files

    def iter_word_boxes(self) -> Iterator[tuple[int, int, int, float, float, float, float]]:
        """(start, end, page, x0, top, x1, bottom) for each word of the text that has a box, in text order."""
        return WORD_BOX.iter_unpack(self.word_boxes)  # type: ignore[return-value]

    def boxes_for(self, start: int, end: int) -> dict[int, list[Rect]]:
        """The boxes of the text between two offsets, per page, merged into one rectangle per printed line."""
        size = WORD_BOX.size
        lo, hi = 0, len(self.word_boxes) // size
        while lo < hi:  # first word ending after `start` (records are in text order)
            mid = (lo + hi) // 2
            if WORD_BOX.unpack_from(self.word_boxes, mid * size)[1] <= start:
                lo = mid + 1
            else:
                hi = mid
        out: dict[int, list[Rect]] = {}
        for i in range(lo, len(self.word_boxes) // size):
            w_start, _, page, x0, top, x1, bottom = WORD_BOX.unpack_from(self.word_boxes, i * size)
            if w_start >= end:
                break
            rects = out.setdefault(page, [])
            last = rects[-1] if rects else None
            # The same printed line: overlapping vertically and moving right.
            if last and top < last[3] and bottom > last[1] and x0 >= last[0] - 1.0:
                rects[-1] = (last[0], min(last[1], top), max(last[2], x1), max(last[3], bottom))
            else:
                rects.append((x0, top, x1, bottom))
        return out

    def page_at(self, offset: int) -> int:
        """The page number holding a character offset (the last page if past the end)."""
        for page in self.pages:
            if offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages else 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["pages"] = [p.to_dict() for p in self.pages]
        d["metadata"] = dict(self.metadata)
        d["footnotes"] = [f.to_dict() for f in self.footnotes]
        d["tables"] = [t.to_dict() for t in self.tables]
        d["word_boxes"] = base64.b64encode(self.word_boxes).decode("ascii")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        d = dict(d)
        d["pages"] = tuple(Page.from_dict(p) for p in d["pages"])
        d["metadata"] = tuple(sorted(d.get("metadata", {}).items()))
        # Documents written before footnotes, tables and boxes were kept have none of these keys.
        d["footnotes"] = tuple(Footnote.from_dict(f) for f in d.get("footnotes", ()))
        d["tables"] = tuple(Table.from_dict(t) for t in d.get("tables", ()))
        d["word_boxes"] = base64.b64decode(d.get("word_boxes", ""))
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity; offsets are relative to the passage's text."""

    text: str
    label: str  # spaCy label: PERSON, NORP, ORG, GPE, LOC, DATE, EVENT, FAC
    start: int
    end: int
    norm: str = ""  # a normalised id where one is known: ISO 3166 alpha-2 for countries

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entity:
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Passage:
    """A contiguous slice of a Document's text: `doc.text[p.start:p.end] == p.text`."""

    doc_id: str
    start: int
    end: int
    page: int
    text: str
    entities: tuple[Entity, ...] = ()
    lang: str = ""  # ISO 639-1 code of the passage's language ("" when too short to tell)

    @property
    def id(self) -> str:
        return f"{self.doc_id}:{self.start}-{self.end}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "page": self.page,
            "text": self.text,
            "entities": [e.to_dict() for e in self.entities],
            "lang": self.lang,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Passage:
        return cls(
            doc_id=d["doc_id"],
            start=d["start"],
            end=d["end"],
            page=d["page"],
            text=d["text"],
            entities=tuple(Entity.from_dict(e) for e in d.get("entities", ())),
            lang=d.get("lang", ""),
        )


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """How strongly a passage points to one Framework indicator (e.g. "13.1")."""

    id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class Cue:
    """A term that pushed a label's score up, located in the passage text."""

    text: str
    start: int
    end: int
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "weight": round(self.weight, 4)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cue:
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Prediction:
    """The classifier's view of one passage: a score per risk factor, the labels over threshold."""

    passage_id: str
    scores: tuple[tuple[str, float], ...]  # (label, score) for all 14 risk factors, in RF order
    labels: tuple[str, ...]  # labels whose score reached their threshold
    indicators: tuple[IndicatorScore, ...] = ()
    cues: tuple[tuple[str, tuple[Cue, ...]], ...] = ()  # (label, cues) for each flagged label
    model_version: str = ""

    def score(self, label: str) -> float:
        return dict(self.scores).get(label, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.passage_id,
            "scores": {k: round(v, 4) for k, v in self.scores},
            "labels": list(self.labels),
            "indicators": [i.to_dict() for i in self.indicators],
        }


@dataclass(frozen=True, slots=True)
class Flag:
    """A passage a reviewer should look at, with the label that crossed its threshold and why."""

    passage_id: str
    label: str
    score: float
    threshold: float
    indicator: str = ""  # the best-ranked indicator of this risk factor, if any
    cues: tuple[Cue, ...] = field(default=())
    model_version: str = ""

    @property
    def id(self) -> str:
        return f"{self.passage_id}:{self.label}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "passage_id": self.passage_id,
            "label": self.label,
            "score": round(self.score, 4),
            "threshold": round(self.threshold, 4),
            "indicator": self.indicator,
            "cues": [c.to_dict() for c in self.cues],
            "model_version": self.model_version,
        }


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything the pipeline learned about one document. It lives here, with the other light types, so the
    batch runner can unpickle a worker's result without importing the models' libraries."""

    document: Document
    passages: tuple[Passage, ...]
    predictions: tuple[Prediction, ...]
    flags: tuple[Flag, ...]
    risk: float
    model_version: str
    # Passages that only had the gazetteer (entity_scope "flagged": nobody reads them entity by entity yet);
    # the store marks them so an export can finish them before it shows or redacts their names.
    untagged: frozenset[str] = frozenset()

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
