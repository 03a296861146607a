"""Per-type precision and recall of entity tags on real UN paragraphs, before and after the place fixes.

corpus/entities-real.jsonl holds locators (symbol, file, sha256, page, para, prefix) and our own labels
(every PERSON/ORG/GPE/LOC/NORP span of the paragraph, text and type), never the paragraphs themselves:
the text is read from the reports folder through the same extractor a scan uses.

"before" is the spaCy model with the ruler as it was before issue 14 (countries, UN bodies, protected groups);
"after" is the shipped pipeline (triage.analyse.entities.load_nlp: known places, regions, armed groups, bodies
named after a country) plus document-level voting (countries.vote_countries, over the labelled paragraphs of
each document, grouped by file).

Each label file is scored on its own: corpus/entities-real.jsonl is the tuning set (the fixes were chosen on
it); corpus/entities-heldout.jsonl (seven other documents, labelled before tagging; see corpus/GUIDE.md §9) was
measured first and then its errors were read to choose the general fixes, so its "after" is optimistic too;
corpus/entities-fresh.jsonl (two further documents) was labelled and measured once, after the fixes were
frozen: the honest figure. A span
counts when its text (without a leading "the ") and type match a labelled span of the same paragraph.

Example: python training/entity_precision.py --reports ../shared/un-reports [--labels FILE ...] [--errors 20]
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
    PLACES_WITH_COUNTRY_NAMES,
    PROTECTED_GROUP_TERMS,
    UN_AND_REGIONAL_BODIES,
    _country_names,
)
from triage.config import ROOT, SPACY_FALLBACKS

TYPES = ("PERSON", "ORG", "GPE", "LOC", "NORP")
LABELS_FILE = ROOT / "corpus" / "entities-real.jsonl"  # tuning set: the fixes were chosen on it
HELDOUT_FILE = ROOT / "corpus" / "entities-heldout.jsonl"  # measured, then its errors chose the fixes
FRESH_FILE = ROOT / "corpus" / "entities-fresh.jsonl"  # measured once, after the fixes were frozen


def _before_nlp():  # type: ignore[no-untyped-def]
    import spacy
    from thinc.api import use_ops

    # The ruler as it was before issue 14: countries, places with a country's name, UN bodies, protected groups.
    patterns = [{"label": "GPE", "pattern": n, "id": code} for code, names in sorted(_country_names().items())
                for n in sorted(names)]
    patterns += [{"label": "LOC", "pattern": n, "id": n} for n in PLACES_WITH_COUNTRY_NAMES]
    patterns += [{"label": "ORG", "pattern": n, "id": n} for n in UN_AND_REGIONAL_BODIES]
    patterns += [{"label": "NORP", "pattern": n, "id": n} for n in PROTECTED_GROUP_TERMS]
    for name in ("en_core_web_sm", *SPACY_FALLBACKS):
        try:
            with use_ops("numpy", **_OPS):
                nlp = spacy.load(name, exclude=list(_UNNEEDED))
            break
        except OSError:
            continue
    ruler = nlp.add_pipe("entity_ruler", before="ner")
    ruler.add_patterns(patterns)
    return nlp


def _bare(text: str) -> str:
    # "the Security Council" and "Security Council" are one name; this measures types, not article boundaries.
    return text.removeprefix("the ")


def _score(gold: list[Counter[tuple[str, str]]], pred: list[Counter[tuple[str, str]]]) -> dict[str, tuple[float, float, int, int]]:
    out = {}
    for t in (*TYPES, "all"):
        hit = sum(n for g, p in zip(gold, pred, strict=True) for k, n in (g & p).items() if t in (k[1], "all"))
        n_pred = sum(n for p in pred for k, n in p.items() if t in (k[1], "all"))
        n_gold = sum(n for g in gold for k, n in g.items() if t in (k[1], "all"))
        out[t] = (hit / n_pred if n_pred else float("nan"), hit / n_gold if n_gold else float("nan"), n_pred, n_gold)
    return out


def _load(labels: Path, reports: Path) -> tuple[list[tuple[str, str]], list[Counter[tuple[str, str]]]]:
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts, gold = [], []
    for r in rows:
        text = read_paragraphs(reports / r["file"])[(r["page"], r["para"])]
        if prefix_of(text) != r["prefix"]:
            raise typer.BadParameter(f"{r['symbol']} p{r['page']} #{r['para']}: prefix differs; the extractor changed")
        texts.append((r["file"], text))
        gold.append(Counter((_bare(e["text"]), e["label"]) for e in r["entities"]))
    return texts, gold


def _tag(texts: list[tuple[str, str]], nlp, vote: bool) -> list[Counter[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    from triage.types import Passage

    if not vote:  # "before": the model's spans as they come, without the tidying find_entities does now
        return [Counter((_bare(e.text), e.label_) for e in d.ents if e.label_ in TYPES)
                for d in nlp.pipe(t for _, t in texts)]
    passages = [Passage(f, i, i + len(t), 1, t) for i, (f, t) in enumerate(texts)]
    tagged = list(find_entities(passages, nlp, labels=TYPES))
    if vote:  # per document, as a scan votes over a document's passages
        by_doc: dict[str, list[int]] = {}
        for i, p in enumerate(tagged):
            by_doc.setdefault(p.doc_id, []).append(i)
        for idx in by_doc.values():
            for i, p in zip(idx, vote_countries([tagged[i] for i in idx]), strict=True):
                tagged[i] = p
    return [Counter((_bare(e.text), e.label) for e in p.entities) for p in tagged]


def _fmt(x: float) -> str:
    return " n/a" if x != x else f"{x:.2f}"


def main(reports: Annotated[Path | None, typer.Option(help="folder of the UN report PDFs")] = None,
         labels: Annotated[list[Path] | None, typer.Option(
             help="label files to score, each on its own (default: the tuning, held-out and fresh sets)")] = None,
         errors: Annotated[int, typer.Option(help="also print the N commonest 'after' errors per file")] = 0) -> None:
    """Print per-type precision and recall before and after the gazetteer places and country voting."""
    reports = reports or default_reports_dir()
    if reports is None:
        raise typer.BadParameter("no reports folder; pass --reports")
    files = labels or [f for f in (LABELS_FILE, HELDOUT_FILE, FRESH_FILE) if f.exists()]
    models = (("before", _before_nlp(), False), ("after", load_nlp(), True))
    typer.echo(f"{'set':16} {'type':7} {'P before':>8} {'P after':>8} {'R before':>8} {'R after':>8} {'gold':>5}")
    for f in files:
        texts, gold = _load(f, reports)
        name = {LABELS_FILE: "tuning", HELDOUT_FILE: "held-out", FRESH_FILE: "fresh"}.get(f.resolve(), f.stem)
        scores = {m: _score(gold, pred := _tag(texts, nlp, vote)) for m, nlp, vote in models}
        for t in (*TYPES, "all"):
            (pb, rb, _, ng), (pa, ra, _, _) = scores["before"][t], scores["after"][t]
            typer.echo(f"{name:16} {t:7} {_fmt(pb):>8} {_fmt(pa):>8} {_fmt(rb):>8} {_fmt(ra):>8} {ng:>5}")
        if errors:
            fp, fn = Counter(), Counter()
            for g, p in zip(gold, pred, strict=True):
                fp.update(p - g)
                fn.update(g - p)
            typer.echo(f"  {name} after, spurious: " + "; ".join(f"{k[0]}/{k[1]} x{n}" for k, n in fp.most_common(errors)))
            typer.echo(f"  {name} after, missed:   " + "; ".join(f"{k[0]}/{k[1]} x{n}" for k, n in fn.most_common(errors)))


if __name__ == "__main__":
    typer.run(main)
