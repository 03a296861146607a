"""Presentation helpers shared by the UI and reports: passage text as HTML with entities and cues marked."""

from __future__ import annotations

import html
from collections.abc import Iterable

from triage.types import Cue, Entity

ENTITY_COLOURS = {
    "PERSON": "#fde2e4", "NORP": "#e2ece9", "ORG": "#dfe7fd", "GPE": "#fff1c1",
    "LOC": "#f0e6ff", "DATE": "#e8f4ea", "EVENT": "#ffe5d0", "FAC": "#e6f2ff",
}
# Cues are marked quietly: bold red underlines on every cue made a passage hard to read, and the chips above
# it already say how strong the risk is. A thin dotted line in the chips' risk red is enough to find them.
CUE_STYLE = "text-decoration:underline dotted #c0392b 1px;text-underline-offset:3px"
CUE_TITLE = "cue term: pushed a risk factor's score up"


def highlight_html(text: str, entities: Iterable[Entity] = (), cues: Iterable[Cue] = ()) -> str:
    """Escape `text` and wrap entities (soft background by type, labelled) and cue terms (dotted underline)
    in spans.

    Marks may overlap: the text is cut at every mark boundary and each piece gets every mark covering it.
    """
    ents = [e for e in entities if 0 <= e.start < e.end <= len(text)]
    cue_spans = [c for c in cues if 0 <= c.start < c.end <= len(text)]
    cuts = sorted({0, len(text), *(e.start for e in ents), *(e.end for e in ents),
                   *(c.start for c in cue_spans), *(c.end for c in cue_spans)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = html.escape(text[a:b])
        ent = next((e for e in ents if e.start <= a and b <= e.end), None)
        cue = any(c.start <= a and b <= c.end for c in cue_spans)
        if cue:
            piece = f'<span class="cue" title="{CUE_TITLE}" style="{CUE_STYLE}">{piece}</span>'
        if ent is not None:
            colour = ENTITY_COLOURS.get(ent.label, "#eeeeee")
            piece = (f'<span class="ent ent-{ent.label}" title="{ent.label}" '
                     f'style="background:{colour};border-radius:3px;padding:0 2px">{piece}</span>')
            if b == ent.end:
                piece += f'<sup style="font-size:0.6em;color:#555">{ent.label}</sup>'
        out.append(piece)
    return "".join(out)


# A passage flagged for five risk factors brought up to six cues each: thirty underlines told a reviewer
# little. Each flag now shows its strongest few, and none far weaker than its best.
CUES_PER_FLAG = 3
CUE_FLOOR = 0.3  # of the flag's strongest cue's weight


def salient_cues(per_flag: Iterable[Iterable[Cue]], *, most: int = CUES_PER_FLAG,
                 floor: float = CUE_FLOOR) -> list[Cue]:
    """The cues worth underlining in a passage: each flag's `most` strongest, dropping any under `floor`
    times that flag's strongest; a term cued by several flags is kept once."""
    kept: dict[tuple[int, int], Cue] = {}
    for cues in per_flag:
        ranked = sorted(cues, key=lambda c: -c.weight)
        for cue in ranked[:most]:
            if cue.weight >= floor * ranked[0].weight:
                kept.setdefault((cue.start, cue.end), cue)
    return sorted(kept.values(), key=lambda c: c.start)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` and `word`, plural unless n is 1: plural(1, "page") is "1 page", plural(3, "page") "3 pages"."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def chip_html(label: str, name: str, score: float, *, threshold: float | None = None) -> str:
    """A risk-factor chip: id, short name and score."""
    strength = "#c0392b" if score >= 0.75 else "#e67e22" if score >= 0.5 else "#7f8c8d"
    title = f"score {score:.2f}" + (f", threshold {threshold:.2f}" if threshold is not None else "")
    return (f'<span class="chip" title="{html.escape(title)}" style="display:inline-block;margin:2px 4px 2px 0;'
            f'padding:2px 8px;border-radius:12px;background:{strength};color:white;font-size:0.85em">'
            f"{html.escape(label)} {html.escape(name)} · {score:.2f}</span>")
