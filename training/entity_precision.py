"""Per-type precision and recall of entity tags on real UN paragraphs, before and after the place fixes.

corpus/entities-real.jsonl holds locators (symbol, file, sha256, page, para, prefix) and our own labels
(every PERSON/ORG/GPE/LOC/NORP span of the paragraph, text and type), never the paragraphs themselves:
the text is read from the reports folder through the same extractor a scan uses.

"before" is the spaCy model with the ruler as it was; "after" adds the known places, regions and armed
groups (gazetteer.KNOWN_PLACES, REGIONS, ARMED_GROUPS_AND_ALLIANCES) and document-level country voting (countries.vote_countries, over the labelled
paragraphs of each document).

Example: python training/entity_precision.py --reports ../shared/un-reports
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from training.real_corpus import default_reports_dir, prefix_of, read_paragraphs
from triage.analyse.countries import vote_countries
from triage.analyse.entities import _OPS, _UNNEEDED, find_entities, load_nlp
from triage.analyse.gazetteer import (
    ARMED_GROUPS_AND_ALLIANCES,
    KNOWN_PLACES,
    REGIONS,
    RULER_COUNTRY_ALIASES,
    TUAREG_GROUPS,
    ruler_patterns,
)
from triage.config import ROOT, SPACY_FALLBACKS

TYPES = ("PERSON", "ORG", "GPE", "LOC", "NORP")
LABELS_FILE = ROOT / "corpus" / "entities-real.jsonl"


def _before_nlp():  # type: ignore[no-untyped-def]
    import spacy
    from thinc.api import use_ops

    # Every pattern added for issue 14: places, regions, armed groups, the Tuareg groups, the curly apostrophe.
    places = {n for names in KNOWN_PLACES.values() for n in names} | set(REGIONS) | set(ARMED_GROUPS_AND_ALLIANCES)
    places |= set(TUAREG_GROUPS) | {n for names in RULER_COUNTRY_ALIASES.values() for n in names}
    for name in ("en_core_web_sm", *SPACY_FALLBACKS):
        try:
            with use_ops("numpy", **_OPS):
                nlp = spacy.load(name, exclude=list(_UNNEEDED))
            break
        except OSError:
            continue
    ruler = nlp.add_pipe("entity_ruler", before="ner")
    ruler.add_patterns([p for p in ruler_patterns() if p["pattern"] not in places])
    return nlp


def _bare(text: str) -> str:
    # "the Security Council" and "Security Council" are one name; this measures types, not article boundaries.
    return text.removeprefix("the ")


def _score(gold: list[Counter[tuple[str, str]]], pred: list[Counter[tuple[str, str]]]) -> dict[str, tuple[float, float, int, int]]:
    out = {}
    for t in TYPES:
        hit = sum(sum((g & p)[k] for k in (g & p) if k[1] == t) for g, p in zip(gold, pred, strict=True))
        n_pred = sum(n for p in pred for k, n in p.items() if k[1] == t)
        n_gold = sum(n for g in gold for k, n in g.items() if k[1] == t)
        out[t] = (hit / n_pred if n_pred else float("nan"), hit / n_gold if n_gold else float("nan"), n_pred, n_gold)
    return out


def main(reports: Annotated[Path | None, typer.Option(help="folder of the UN report PDFs")] = None,
         labels: Path = LABELS_FILE) -> None:
    """Print per-type precision and recall before and after the gazetteer places and country voting."""
    reports = reports or default_reports_dir()
    if reports is None:
        raise typer.BadParameter("no reports folder; pass --reports")
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts, gold = [], []
    for r in rows:
        text = read_paragraphs(reports / r["file"])[(r["page"], r["para"])]
        if prefix_of(text) != r["prefix"]:
            raise typer.BadParameter(f"{r['symbol']} p{r['page']} #{r['para']}: prefix differs; the extractor changed")
        texts.append((r["file"], text))
        gold.append(Counter((_bare(e["text"]), e["label"]) for e in r["entities"]))
    from triage.types import Passage

    passages = [Passage(f, i, i + len(t), 1, t) for i, (f, t) in enumerate(texts)]
    for name, nlp, vote in (("before", _before_nlp(), False), ("after", load_nlp(), True)):
        tagged = list(find_entities(passages, nlp, labels=TYPES))
        if vote:
            by_doc: dict[str, list[int]] = {}
            for i, p in enumerate(tagged):
                by_doc.setdefault(p.doc_id, []).append(i)
            for idx in by_doc.values():
                for i, p in zip(idx, vote_countries([tagged[i] for i in idx]), strict=True):
                    tagged[i] = p
        pred = [Counter((_bare(e.text), e.label) for e in p.entities) for p in tagged]
        scores = _score(gold, pred)
        typer.echo(f"{name:6}  " + "  ".join(
            f"{t} P={p:.2f} R={r:.2f} ({np_}/{ng})" for t, (p, r, np_, ng) in scores.items()))


if __name__ == "__main__":
    typer.run(main)
