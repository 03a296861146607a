"""Render the demo reports (demo/reports/*.md) as PDFs in demo/inbox/, laid out with tests/pdfgen.py.

Report format: `# Title`, then `Date: YYYY-MM-DD`, optional `Layout: two-column|one-column`, optional
`Header: running header text`, then `## Heading` lines and paragraphs separated by blank lines.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # pdfgen is a test helper, not part of the triage package
sys.path.insert(0, str(ROOT))

from pdfgen import Block, PageSpec, heading, make_pdf, para, title  # noqa: E402  (after the path set-up)

LAYOUTS = {"one-column": 1, "two-column": 2, "three-column": 3}


@dataclass
class Report:
    """A parsed demo report."""

    title: str
    date: str = ""
    columns: int = 2
    header: str | None = None
    blocks: list[Block] = field(default_factory=list)


def parse_report(text: str, name: str) -> Report:
    """Parse one Markdown report; raise ValueError naming the file when the format is wrong."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{name}: the first line must be '# Title'")
    report = Report(title=lines[0][2:].strip())
    body_start = 1
    for i, line in enumerate(lines[1:], start=1):
        key, _, value = line.partition(":")
        if key in ("Date", "Layout", "Header") and value.strip():
            value = value.strip()
            if key == "Date":
                report.date = value
            elif key == "Header":
                report.header = value
            elif value not in LAYOUTS:
                raise ValueError(f"{name}: Layout must be one of {', '.join(LAYOUTS)}, not {value!r}")
            else:
                report.columns = LAYOUTS[value]
            body_start = i + 1
        elif line.strip():
            break
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            report.blocks.append(para(" ".join(paragraph)))
            paragraph.clear()

    for line in lines[body_start:]:
        stripped = line.strip()
        if stripped.startswith("## "):
            flush()
            report.blocks.append(heading(stripped[3:].strip()))
        elif not stripped:
            flush()
        elif stripped.startswith(("- ", "* ")):
            flush()  # a list item is a paragraph of its own
            paragraph.append(stripped[2:])
        else:
            paragraph.append(stripped)
    flush()
    return report


def render_report(report: Report, out: Path) -> str:
    """Write the report as a PDF and return its ground-truth body text."""
    top = [title(report.title)]
    if report.date:
        top.append(Block(f"Date: {report.date}", full_width=True))
    return make_pdf(
        out,
        [PageSpec([*top, *report.blocks], columns=report.columns)],
        title=report.title,
        author="triage demo",
        header=report.header,
        footer="Page {page}",
    )


def main(
    reports: Annotated[Path, typer.Option(help="Folder of Markdown reports.")] = ROOT / "demo" / "reports",
    out: Annotated[Path, typer.Option(help="Folder the PDFs are written to.")] = ROOT / "demo" / "inbox",
    verify: Annotated[
        bool, typer.Option(help="Extract each PDF again and report word-order similarity.")
    ] = False,
) -> None:
    """Render demo/reports/*.md as PDFs in demo/inbox/ (same file stem).

    Example: python demo/make_inbox.py --verify
    """
    sources = sorted(reports.glob("*.md"))
    if not sources:
        typer.echo(f"Error: no .md reports in {reports}", err=True)
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for source in sources:
        try:
            report = parse_report(source.read_text(encoding="utf-8"), source.name)
        except (ValueError, UnicodeDecodeError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            failed += 1
            continue
        pdf = out / f"{source.stem}.pdf"
        truth = render_report(report, pdf)
        line = f"{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}"
        if verify:
            from triage.read.extract import extract_document

            doc = extract_document(pdf)
            ratio = difflib.SequenceMatcher(None, truth.split(), doc.text.split(), autojunk=False).ratio()
            line += f"  {len(doc.pages)} page(s), word-order similarity {ratio:.3f}"
        typer.echo(line)
    typer.echo(f"Rendered {len(sources) - failed} of {len(sources)} reports")
    if failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
