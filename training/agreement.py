"""Agreement between the first labelling pass of the real UN paragraphs and a blind second pass.

corpus/real_labels_pass2.jsonl holds the second labeller's locators, labels and notes for a sample of the
paragraphs of corpus/real_labels.jsonl; the second labeller saw the text only, never the first labels.
Cohen's kappa per risk factor (positive vs not) over the paragraphs both passes labelled, and for "any risk
factor". The sample over-draws the rarer labels' first-pass positives (up to 14 each), so its kappas are
about the labels' boundaries, not the corpus's overall rate.

Example: python -m training.agreement            (prints a Markdown table)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from triage.config import ROOT
from triage.framework import LABELS

FIRST = ROOT / "corpus" / "real_labels.jsonl"
SECOND = ROOT / "corpus" / "real_labels_pass2.jsonl"


def _key(r: dict[str, Any]) -> tuple[str, int, int]:
    return (r["file"], int(r["page"]), int(r["para"]))


def cohen_kappa(a: list[bool], b: list[bool]) -> float:
    """Kappa for two binary raters; 1.0 when both agree on a single class throughout (no variation to judge)."""
    n = len(a)
    if n == 0:
        raise ValueError("no paragraphs to compare")
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1.0 else (observed - expected) / (1 - expected)


def pairs(first: Path = FIRST, second: Path = SECOND) -> list[tuple[set[str], set[str]]]:
    """(first labels, second labels) per paragraph in both files; a second-pass locator whose prefix
    differs from the first pass's is an error (the two passes must be about one paragraph)."""
    firsts = {_key(r): r for r in map(json.loads, first.read_text(encoding="utf-8").splitlines()) if r}
    out = []
    for line in second.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        f = firsts.get(_key(r))
        if f is None:
            continue
        if f["prefix"] != r["prefix"]:
            raise ValueError(f"{r['file']} p{r['page']} ¶{r['para']}: prefixes differ between the passes")
        out.append((set(f["labels"]), set(r["labels"])))
    return out


def agreement(rows: list[tuple[set[str], set[str]]]) -> list[dict[str, Any]]:
    table = []
    for label in (*LABELS, "any"):
        a = [bool(f) if label == "any" else label in f for f, _ in rows]
        b = [bool(s) if label == "any" else label in s for _, s in rows]
        table.append({"label": label, "kappa": round(cohen_kappa(a, b), 2), "first": sum(a), "second": sum(b),
                      "both": sum(x and y for x, y in zip(a, b, strict=True))})
    return table


def main(
    second: Annotated[Path, typer.Option(help="Second-pass labels (locators + labels).")] = SECOND,
) -> None:
    """Print Cohen's kappa per risk factor between the two labelling passes, as a Markdown table."""
    rows = pairs(FIRST, second)
    typer.echo(f"{len(rows)} paragraphs labelled by both passes")
    typer.echo("| label | kappa | first pass positives | second pass positives | both |\n|---|---|---|---|---|")
    for t in agreement(rows):
        name = "any label" if t["label"] == "any" else t["label"]
        typer.echo(f"| {name} | {t['kappa']:.2f} | {t['first']} | {t['second']} | {t['both']} |")


if __name__ == "__main__":
    typer.run(main)
