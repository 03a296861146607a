"""Generate the extraction benchmark set: PDFs with known ground-truth text, over the layouts reports use.

Usage: python benchmarks/make_extraction_set.py [OUT_DIR]   (default /tmp/triage-extraction-set)

Writes `OUT_DIR/*.pdf`, a `*.txt` ground truth beside each, and `manifest.json` listing each file's layout
class, running header/footer and page count. The text is made by a seeded generator from our own word lists
(and the shared seed report, laid out in two columns, when ../shared/seeds is present), so re-running gives
the same files.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pdfgen import (  # noqa: E402
    PageSpec,
    box,
    heading,
    make_image_pdf,
    make_pdf,
    para,
    paragraphs_from_text,
    scan_pdf,
    table,
    title,
)

SEEDS = Path(os.environ.get("TRIAGE_SHARED") or ROOT.parent / "shared") / "seeds"  # shared/ beside the clone
SUBJECTS = (
    "armed groups", "the district council", "local militias", "security forces", "displaced families",
    "the monitoring team", "community leaders", "humanitarian partners", "the provincial authorities",
    "unidentified gunmen", "the electoral commission", "aid convoys", "border guards", "village elders",
)
VERBS = (
    "reported", "restricted", "documented", "attacked", "threatened", "relocated", "detained", "announced",
    "obstructed", "negotiated", "investigated", "destroyed", "denounced", "registered", "monitored",
)
OBJECTS = (
    "the main market", "several water points", "a health centre", "two schools near the river",
    "the northern checkpoint", "access to farmland", "humanitarian deliveries", "local journalists",
    "the regional hospital", "returnees from neighbouring camps", "the weekly food distribution",
    "a peace committee", "members of a minority community", "the district headquarters",
)
TAILS = (
    "according to several witnesses", "despite earlier assurances", "during the night",
    "after a week of rising tension", "in violation of the ceasefire", "for the third time this month",
    "while negotiations continued", "as rainfall worsened road conditions", "without any explanation",
)
LONG_WORDS = (
    "accountability", "reconciliation", "intercommunal", "disproportionate", "humanitarian",
    "discrimination", "investigations", "infrastructure", "internationally", "responsibilities",
)


def sentence(rng: random.Random) -> str:
    words = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
    if rng.random() < 0.4:
        words += f", raising concerns about {rng.choice(LONG_WORDS)} and {rng.choice(LONG_WORDS)}"
    return words[0].upper() + words[1:] + "."


def paragraph(rng: random.Random, n: int | None = None) -> str:
    return " ".join(sentence(rng) for _ in range(n or rng.randint(2, 6)))


def body(rng: random.Random, n: int, *, headings: bool = True) -> list:
    blocks = []
    for i in range(n):
        if headings and i % 4 == 0:
            blocks.append(heading(f"{i // 4 + 1}. {rng.choice(OBJECTS).capitalize()}"))
        blocks.append(para(paragraph(rng)))
    return blocks


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    manifest = []

    def add(
        name: str,
        kind: str,
        truth: str,
        pages: int,
        header: str | None = None,
        footer: str | None = None,
        **extra: object,
    ):
        (out / f"{name}.txt").write_text(truth, encoding="utf-8")
        manifest.append(
            {"file": f"{name}.pdf", "class": kind, "pages": pages, "header": header, "footer": footer, **extra}
        )

    for i in range(6):
        for columns in (1, 2, 3):
            rng = random.Random(f"{columns}-{i}")
            name = f"col{columns}_{i}"
            truth = make_pdf(out / f"{name}.pdf", [PageSpec(body(rng, 8 + 4 * i), columns=columns)])
            add(name, f"{columns} column", truth, _pages(out / f"{name}.pdf"))
    for i in range(6):
        rng = random.Random(f"hf-{i}")
        header, footer = f"Situation Report No. {i + 12} | Northern Region", "Page {page}"
        name = f"headfoot_{i}"
        truth = make_pdf(
            out / f"{name}.pdf",
            [PageSpec(body(rng, 30), columns=1 + i % 3)],
            header=header,
            footer=footer,
        )
        add(name, "header/footer", truth, _pages(out / f"{name}.pdf"), header, footer)
    for i in range(6):
        rng = random.Random(f"hy-{i}")
        name = f"hyphen_{i}"
        truth = make_pdf(out / f"{name}.pdf", [PageSpec(body(rng, 16), columns=2 + i % 2)], hyphenate=True)
        add(name, "hyphenation", truth, _pages(out / f"{name}.pdf"))
    for i in range(6):
        rng = random.Random(f"ti-{i}")
        name = f"title_{i}"
        blocks = [title(f"Flash update {i + 1}: {rng.choice(OBJECTS)}"), para(paragraph(rng, 2)), *body(rng, 14)]
        truth = make_pdf(out / f"{name}.pdf", [PageSpec(blocks, columns=2 + i % 2)])
        add(name, "title over columns", truth, _pages(out / f"{name}.pdf"))
    for i in range(6):
        rng = random.Random(f"fn-{i}")
        name = f"footnote_{i}"
        notes = [sentence(rng) for _ in range(1 + i % 3)]
        truth = make_pdf(
            out / f"{name}.pdf",
            [PageSpec(body(rng, 10 + 2 * i), columns=1 + i % 3)],
            footnotes=notes,
            footer="Page {page}",
        )
        add(name, "footnotes", truth, _pages(out / f"{name}.pdf"), None, "Page {page}", footnotes=notes)
    for i in range(6):
        rng = random.Random(f"tb-{i}")
        name = f"table_{i}"
        rows = [["Location", "Incidents", "Displaced", "Access"][: 3 + i % 2]]
        for _ in range(3 + i):
            place = rng.choice(OBJECTS).split()[-1].capitalize()
            rows.append([place, str(rng.randint(1, 40)), f"{rng.randint(1, 9)},{rng.randint(100, 999)}", "limited"])
            rows[-1] = rows[-1][: len(rows[0])]
        blocks = [title(f"Incident summary {i + 1}"), table(rows), *body(rng, 6)]
        truth = make_pdf(out / f"{name}.pdf", [PageSpec(blocks, columns=1 + i % 3)])
        add(name, "tables", truth, _pages(out / f"{name}.pdf"), tables=[rows])
    for i in range(4):
        rng = random.Random(f"bx-{i}")
        name = f"sidebox_{i}"
        blocks = [title(f"Situation overview {i + 1}"), box(paragraph(rng, 2)), *body(rng, 4, headings=False)]
        truth = make_pdf(out / f"{name}.pdf", [PageSpec(blocks, columns=2 + i % 2)])
        add(name, "side boxes", truth, _pages(out / f"{name}.pdf"))
    for i in range(4):
        rng = random.Random(f"sp-{i}")
        name = f"spacing_{i}"
        heading_text = f"Summary of week {i + 20}"
        paras = [paragraph(rng) for _ in range(5)]
        _lost_spaces_pdf(out / f"{name}.pdf", heading_text, paras, rng)
        add(name, "lost spaces", "\n\n".join([heading_text, *paras]), 1)
    seed = sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []
    for path in seed[:1]:
        text = path.read_text(encoding="utf-8")
        truth = make_pdf(
            out / "seed_2col.pdf", [PageSpec(paragraphs_from_text(text), columns=2)], header="Seed report"
        )
        add("seed_2col", "seed, 2 columns", truth, _pages(out / "seed_2col.pdf"), "Seed report", None)
    for i in range(4):
        rng = random.Random(f"scan-{i}")
        lines = [sentence(rng)[:60] for _ in range(20)]
        make_image_pdf(out / f"scan_{i}.pdf", lines)
        add(f"scan_{i}", "scanned", " ".join(lines), 1)
    # Reports as a scanner gives them back: 1-3 columns of 10 pt type, 200 or 300 dpi, a little skew and dirt.
    for i in range(6):
        rng = random.Random(f"scanrep-{i}")
        name = f"scan_report_{i}"
        blocks = [title(f"Situation report {i + 1}: {rng.choice(OBJECTS)}"), *body(rng, 5)]
        truth = make_pdf(out / f"{name}-digital.pdf", [PageSpec(blocks, columns=1 + i % 3)])
        scan_pdf(out / f"{name}-digital.pdf", out / f"{name}.pdf", dpi=(200, 300)[i % 2],
                 skew=rng.uniform(-0.5, 0.5), noise=0.05, seed=i)
        (out / f"{name}-digital.pdf").unlink()
        add(name, "scanned", truth, _pages(out / f"{name}.pdf"))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    print(f"wrote {len(manifest)} PDFs with ground truth to {out}")


def _lost_spaces_pdf(path: Path, heading_text: str, paras: list[str], rng: random.Random) -> None:
    """A page whose PDF positions words instead of printing spaces, some too close to read as a space,
    under a letter-spaced heading: the faults that merge words ("thecouncil") or split them ("S u m")."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    text = canvas.beginText(56, A4[1] - 70)
    text.setFont("Helvetica-Bold", 12)
    text.setCharSpace(4)
    text.textOut(heading_text)
    text.setCharSpace(0)  # character spacing is graphics state: it would carry on into the body
    canvas.drawText(text)
    y, size, width = A4[1] - 100, 10.0, A4[0] - 112
    canvas.setFont("Times-Roman", size)
    for paragraph_text in paras:
        x = 56.0
        for word in paragraph_text.split():
            w = stringWidth(word, "Times-Roman", size)
            if x + w > 56 + width:
                x, y = 56.0, y - 12.5
            canvas.drawString(x, y, word)
            # A third of the gaps are 1.3 pt: narrower than a space, wider than kerning.
            x += w + (1.3 if rng.random() < 0.33 else 2.5)
        y -= 20
    canvas.showPage()
    canvas.save()


def _pages(path: Path) -> int:
    import pypdfium2  # only to count pages for the manifest

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/triage-extraction-set"))
