"""`triage scan` and `triage classify`: read one report, or score passages, without storing anything."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from triage.cli.common import ConfigOption, cli_config
from triage.errors import TriageError
from triage.read.guard import check_input_file

if TYPE_CHECKING:
    from triage.framework import Framework
    from triage.types import Document, ScanResult

def scan(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="A PDF, Word, web page, e-mail, Markdown or text file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")] = False,
    all_passages: Annotated[bool, typer.Option("--all", help="Show unflagged passages too.")] = False,
    config: ConfigOption = None,
) -> None:
    """Read one report and show its passages with page numbers, entities and risk-factor scores.

    An e-mail's attachments are read as reports of their own (under "attachments" in --json).
    Nothing is stored. Example: triage scan report.pdf --json > report.json
    """
    from triage.analyse.pipeline import Pipeline
    from triage.framework import load_framework
    from triage.service import analyse_file

    # One file, read by a person, entities printed for every passage (--json, --all): tag them all.
    cfg = dataclasses.replace(cli_config(config), entity_scope="all")
    check_input_file(file, max_mb=cfg.max_file_mb)  # before loading models: refuse at once
    analyses = analyse_file(Pipeline.load(cfg), file)
    results = [a.result for a in analyses if a.result is not None]
    failures = [{"source": a.source, "error": a.error} for a in analyses if a.result is None]
    attachments = analyses[1:]
    if as_json:
        out = results[0].to_json()
        if attachments:
            out["attachments"] = [r.to_json() for r in results[1:]] + failures
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        fw = load_framework(cfg.framework_path)
        for result in results:
            _print_scan(result, fw, all_passages=all_passages)
        for failure in failures:
            typer.echo(f"Error: {failure['error']}", err=True)
    if failures:
        raise typer.Exit(1)


def _print_scan(result: ScanResult, fw: Framework, *, all_passages: bool) -> None:
    doc = result.document
    typer.echo(f"{doc.source}: {len(doc.pages)} pages, {len(result.passages)} passages, "
               f"{len(result.flags)} flags, rank {result.risk:.2f} (model {result.model_version})")
    for line in _ocr_lines(doc):
        typer.echo(line)
    preds = {p.passage_id: p for p in result.predictions}
    for p in result.passages:
        pred = preds[p.id]
        if not pred.labels and not all_passages:
            continue
        typer.echo(f"\n[page {p.page}, chars {p.start}-{p.end}] {p.text}")
        if p.entities:
            typer.echo("  entities: " + "; ".join(f"{e.text} ({e.label})" for e in p.entities))
        top = sorted(pred.scores, key=lambda kv: -kv[1])[:3]
        typer.echo("  scores: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
        for label in pred.labels:
            cues = ", ".join(c.text for c in dict(pred.cues).get(label, ()))
            typer.echo(f"  FLAG {label} {fw.factor(label).short_name} ({pred.score(label):.2f})"
                       + (f"; cues: {cues}" if cues else ""))


def _ocr_lines(doc: Document) -> list[str]:
    """What OCR did to a document, for people: which pages it read, how sure it was, which it could not."""
    meta = dict(doc.metadata)
    lines = []
    if "ocr_pages" in meta:
        lines.append(f"OCR: read page(s) {meta['ocr_pages']} from scans, mean word confidence "
                     f"{meta['ocr_confidence']}% (per page: {meta['ocr_page_confidence']})")
    if "needs_ocr" in meta:
        lines.append(f"needs OCR, text missing on page {meta['needs_ocr']}")
    return lines


def classify(
    infile: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help='JSONL lines {"id", "text"}.')],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the scored JSONL.")],
    config: ConfigOption = None,
) -> None:
    """Score passages from a JSONL file: each output line has id, scores (all 14), labels, indicators.

    Example: triage classify passages.jsonl --out scored.jsonl
    """
    from triage.analyse.registry import load_model

    cfg = cli_config(config)
    ids, texts = [], []
    for n, line in enumerate(infile.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            ids.append(str(rec["id"]))
            texts.append(str(rec["text"]))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise TriageError(f'{infile}:{n}: expected a JSON object with "id" and "text" ({exc})') from exc
    model = load_model(cfg.models_dir)
    with out.open("w", encoding="utf-8") as f:
        for pred in model.predict(ids, texts, explain=False):
            f.write(json.dumps(pred.to_dict(), ensure_ascii=False) + "\n")
    typer.echo(f"Scored {len(ids)} passages with model {model.version} -> {out}")
