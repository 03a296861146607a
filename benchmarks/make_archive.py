"""Generate a benchmark archive: multi-page PDFs in mixed layouts, plus some broken files.

Text comes from our own corpus (corpus/passages.jsonl), laid out by tests/pdfgen.py in one, two or three
columns, with running headers and footers, headings and hyphenation on some. Every PDF has a unique title,
so none is a duplicate of another. A manifest.json records each file's page count.

Example: python benchmarks/make_archive.py --out /tmp/archive --docs 300
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import pypdfium2
import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pdfgen import PageSpec, heading, make_pdf, para, title  # noqa: E402

BROKEN = {
    "broken-truncated.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R",
    "broken-empty.pdf": b"",
    "broken-image.pdf": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
    "broken-zeros.pdf": bytes(4096),
}


def make_archive(out: Path, docs: int, *, seed: int = 6, min_pages: int = 7, max_pages: int = 14) -> dict:
    """Write `docs` PDFs and the broken files into `out`; return the manifest."""
    rng = random.Random(seed)
    lines = (ROOT / "corpus" / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for i in range(docs):
        columns = rng.choice((1, 1, 2, 2, 3))
        sections = []
        for s in range(rng.randint(min_pages, max_pages)):
            # About a page of text per section: fewer, longer passages in one column, more in three.
            body = [para(t) for t in rng.sample(texts, 5 + 2 * columns)]
            lead = [title(f"Situation report {i:04d}")] if s == 0 else []
            sections.append(PageSpec([*lead, heading(f"Section {s + 1}"), *body], columns=columns))
        name = f"report-{i:04d}.pdf"
        make_pdf(out / name, sections, title=f"Situation report {i:04d}", hyphenate=rng.random() < 0.3,
                 header=f"Report {i:04d}" if rng.random() < 0.5 else None,
                 footer="Page {page}" if rng.random() < 0.7 else None)
        files[name] = len(pypdfium2.PdfDocument(out / name))
    for name, data in BROKEN.items():
        (out / name).write_bytes(data)
    manifest = {"docs": docs, "pages": sum(files.values()), "files": files, "broken": sorted(BROKEN)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main(
    out: Path = typer.Option(Path("/tmp/triage-archive"), help="Folder to write."),
    docs: int = typer.Option(300, help="How many PDFs."),
    seed: int = typer.Option(6, help="Random seed (the same seed gives the same archive)."),
) -> None:
    """Generate the archive and print its size."""
    t0 = time.perf_counter()
    m = make_archive(out, docs, seed=seed)
    typer.echo(f"{m['docs']} PDFs, {m['pages']} pages, {len(m['broken'])} broken files in {out} "
               f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    typer.run(main)
