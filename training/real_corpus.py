"""Real UN paragraphs for training and validation, read from the PDFs through our own extractor.

The project keeps only locators and labels (corpus/real_labels.jsonl): the document's file name and SHA-256,
a page, the paragraph's index among that page's passages, a 24-character prefix, the labels and a note in our
own words. The text itself is read at training time from `real_reports_dir` (default ../shared/un-reports
beside the checkout), segmented exactly as a scan segments it. A locator whose PDF changed or whose prefix no
longer matches stops the load with the locator named: silently training on the wrong paragraph would be worse.

Evaluation documents (../shared/evaldata: the six PDFs and the labelled files) are refused wherever they are
found, by path, by content hash and by UN symbol, so no threshold or feature is ever chosen on them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.config import MAX_PASSAGE_CHARS, MIN_PASSAGE_CHARS, ROOT, Config
from triage.errors import TriageError

LOCATORS = "real_labels.jsonl"
PREFIX_CHARS = 24
# The evaluation-only documents named by ../shared/un-reports/MANIFEST.md and ../shared/evaldata/MANIFEST.md.
EVALUATION_ONLY_SYMBOLS = frozenset({"A/80/36", "S/2025/239", "S/2025/356", "S/2025/383", "S/2025/389", "S/2025/504"})
CACHE_DIR = ROOT / ".cache" / "real-reports"
_SPACE = re.compile(r"\s+")


class RealCorpusError(TriageError):
    """A real-report locator cannot be resolved, or a file is one the training loader must never read."""


@dataclass(frozen=True)
class Locator:
    """Where one labelled paragraph is, and what we said about it (never its text)."""

    symbol: str  # UN document symbol, e.g. "S/2025/194"
    file: str  # file name in real_reports_dir
    sha256: str  # of the PDF, so a replaced file fails loudly
    page: int
    para: int  # index of the passage among the passages of that page (split_passages, 40/1200 characters)
    prefix: str  # the first PREFIX_CHARS characters of the passage, whitespace collapsed
    labels: tuple[str, ...]
    indicators: tuple[str, ...]
    note: str
    neg: str = ""  # the kind of negative (mandate, procedural, ...), empty for positives

    @property
    def id(self) -> str:
        return f"real:{self.file.removesuffix('.pdf')}:{self.page}:{self.para}"

    @property
    def group(self) -> str:
        """Split unit: a document and its revisions (S/2025/71 and S/2025/71/Rev.1) stay together."""
        return re.sub(r"/Rev\.\d+$", "", self.symbol)


def prefix_of(text: str) -> str:
    return _SPACE.sub(" ", text).strip()[:PREFIX_CHARS]


def default_reports_dir() -> Path | None:
    """../shared/un-reports beside the checkout, or $TRIAGE_REAL_REPORTS; None if neither exists."""
    env = os.environ.get("TRIAGE_REAL_REPORTS")
    path = Path(env) if env else ROOT.parent / "shared" / "un-reports"
    return path if path.is_dir() else None


def evaldata_dir() -> Path:
    return Path(os.environ.get("TRIAGE_EVALDATA", ROOT.parent / "shared" / "evaldata"))


def load_locators(corpus_dir: Path) -> list[Locator]:
    path = Path(corpus_dir) / LOCATORS
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            out.append(Locator(r["symbol"], r["file"], r["sha256"], int(r["page"]), int(r["para"]), r["prefix"],
                               tuple(r["labels"]), tuple(r.get("indicators", ())), r.get("note", ""), r.get("neg", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise RealCorpusError(f"{path}:{n}: not a valid locator ({exc})") from exc
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _evaluation_hashes(evaldata: Path) -> set[str]:
    if not evaldata.is_dir():
        return set()
    return {_sha256(p) for p in evaldata.rglob("*") if p.is_file() and p.stat().st_size < 200_000_000}


def symbol_of(file_name: str) -> str:
    """'S_2025_71_Rev.1.en.pdf' -> 'S/2025/71/Rev.1' (the repository's file naming)."""
    stem = re.sub(r"\.(en|fr|es|ru|ar|zh)?\.?pdf$", "", file_name)
    return stem.replace("_", "/")


def refuse_evaluation_files(paths: Iterable[Path], *, evaldata: Path | None = None) -> None:
    """Raise RealCorpusError if any path is, or is a copy of, an evaluation-only file."""
    evaldata = (evaldata or evaldata_dir()).resolve()
    hashes: set[str] | None = None
    for path in paths:
        resolved = Path(path).resolve()
        if resolved.is_relative_to(evaldata):
            raise RealCorpusError(f"{path} is under {evaldata}: evaluation data is never trained on")
        if symbol_of(resolved.name) in EVALUATION_ONLY_SYMBOLS:
            raise RealCorpusError(f"{path} is {symbol_of(resolved.name)}, an evaluation-only document")
        if hashes is None:
            hashes = _evaluation_hashes(evaldata)
        if resolved.is_file() and _sha256(resolved) in hashes:
            raise RealCorpusError(f"{path} is a copy of a file in {evaldata}: evaluation data is never trained on")


def read_paragraphs(pdf: Path, *, cache_dir: Path = CACHE_DIR) -> dict[tuple[int, int], str]:
    """(page, index on page) -> passage text, segmented as a scan does; cached by the PDF's SHA-256 (the
    cache holds document text, so it lives in .cache/, which git ignores)."""
    from triage.analyse.segment import split_passages
    from triage.read.extract import extract_document

    digest = _sha256(pdf)
    cached = Path(cache_dir) / f"{digest}.json"
    if cached.exists():
        rows = json.loads(cached.read_text(encoding="utf-8"))
    else:
        doc = extract_document(pdf)
        rows, per_page = [], {}
        for p in split_passages(doc, min_chars=MIN_PASSAGE_CHARS, max_chars=MAX_PASSAGE_CHARS):
            k = per_page[p.page] = per_page.get(p.page, -1) + 1
            rows.append([p.page, k, p.text])
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        tmp.replace(cached)
    return {(page, k): text for page, k, text in rows}


def load_real_corpus(
    config: Config, *, reports_dir: Path | None = None, log: Any = print, cache_dir: Path = CACHE_DIR,
) -> list[dict[str, Any]]:
    """Training records (id, text, labels, indicators, group, source) for every locator; [] (and one line
    saying so) when there is no locator file or no reports folder."""
    locators = load_locators(config.corpus_dir)
    configured = Path(config.real_reports_dir) if config.real_reports_dir else None
    reports_dir = reports_dir or configured or default_reports_dir()
    if not locators:
        return []
    if reports_dir is None or not Path(reports_dir).is_dir():
        log(f"Real UN paragraphs skipped: no reports folder (real_reports_dir or ../shared/un-reports); "
            f"training on corpus/ and reviews only ({len(locators)} locators unused)")
        return []
    reports_dir = Path(reports_dir)
    by_file: dict[str, list[Locator]] = {}
    for loc in locators:
        by_file.setdefault(loc.file, []).append(loc)
    refuse_evaluation_files([reports_dir / f for f in by_file])
    records = []
    for file, locs in sorted(by_file.items()):
        pdf = reports_dir / file
        if not pdf.is_file():
            raise RealCorpusError(f"{pdf} is missing: {len(locs)} locators point into it")
        digest = _sha256(pdf)
        if digest != locs[0].sha256:
            raise RealCorpusError(f"{pdf} has changed (SHA-256 {digest[:12]}, locators expect {locs[0].sha256[:12]})")
        paras = read_paragraphs(pdf, cache_dir=cache_dir)
        for loc in locs:
            text = paras.get((loc.page, loc.para))
            if text is None or prefix_of(text) != loc.prefix:
                found = "no such paragraph" if text is None else f"found {prefix_of(text)!r}"
                raise RealCorpusError(f"locator {loc.id} no longer matches {file}: expected {loc.prefix!r}, {found}")
            records.append({"id": loc.id, "text": text, "labels": list(loc.labels), "indicators": list(loc.indicators),
                            "group": loc.group, "source": "un-reports", "neg": loc.neg})
    log(f"Real UN paragraphs: {len(records)} from {len(by_file)} documents in {reports_dir}")
    return records
