"""Agreement between the first labelling pass of the real UN paragraphs and a blind second pass.

corpus/real_labels_pass2.jsonl holds the second labeller's locators, labels and notes for a sample of the
paragraphs of corpus/real_labels.jsonl; the second labeller saw the text only, never the first labels.
Cohen's kappa per risk factor (positive vs not) over the paragraphs both passes labelled, and for "any risk
factor". The sample over-draws the rarer labels' first-pass positives (up to 14 each), so its kappas are
about the labels' boundaries, not the corpus's overall rate.

Beside kappa, the F1 of one pass against the other (2 x both / (first + second), the same either way round):
the figure a model's F1 would be held against if it labelled as well as a second careful labeller. The
sample over-draws positives and so holds few of the negatives a labeller could wrongly flag, so on the
corpus as a whole this F1 would be lower: take it as a ceiling, not a target.

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
        both = sum(x and y for x, y in zip(a, b, strict=True))
        table.append({"label": label, "kappa": round(cohen_kappa(a, b), 2), "first": sum(a), "second": sum(b),
                      "both": both, "f1": round(pair_f1(sum(a), sum(b), both), 2)})
    return table


def pair_f1(first: int, second: int, both: int) -> float:
    """F1 of one labeller against the other; 1.0 when neither gives the label (nothing to disagree on)."""
    return 1.0 if first + second == 0 else 2 * both / (first + second)


def main(
    second: Annotated[Path, typer.Option(help="Second-pass labels (locators + labels).")] = SECOND,
) -> None:
    """Print Cohen's kappa and pass-vs-pass F1 per risk factor between the two labelling passes, as a Markdown
    table. The sample over-draws positives, so the F1 is a ceiling for a model, not a corpus-wide figure."""
    rows = pairs(FIRST, second)
    typer.echo(f"{len(rows)} paragraphs labelled by both passes")
    typer.echo("| label | kappa | pass-vs-pass F1 | first pass positives | second pass positives | both |\n"
               "|---|---|---|---|---|---|")
    table = agreement(rows)
    for t in table:
        name = "any label" if t["label"] == "any" else t["label"]
        typer.echo(f"| {name} | {t['kappa']:.2f} | {t['f1']:.2f} | {t['first']} | {t['second']} | {t['both']} |")
    macro = sum(t["f1"] for t in table if t["label"] != "any") / len(LABELS)
    typer.echo(f"\nMacro pass-vs-pass F1 over the 14 factors: {macro:.2f} (a ceiling on this sample; see --help)")


if __name__ == "__main__":
    typer.run(main)
