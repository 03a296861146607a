"""A country briefing an officer can take into a meeting: which risk factors the reports show over a period
and how that changed, the reviewed passages that show them (document, page, date), and what is still
unreviewed. One self-contained HTML page (inline SVG chart, no scripts), printable to PDF with chromium."""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from triage.errors import TriageError
from triage.framework import Framework
from triage.review.trends import factor_changes, flag_records
from triage.store import Store

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EVIDENCE_PER_FACTOR = 5

_CSS = """
body{font-family:Georgia,serif;max-width:820px;margin:2em auto;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0} h2{font-size:1.15em;border-bottom:2px solid #c0392b;padding-bottom:2px;margin-top:1.6em}
.meta{color:#555;font-size:.9em} table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top} th{background:#f4f4f4}
blockquote{margin:.4em 0 .2em;padding:.3em .8em;border-left:4px solid #c0392b;background:#fbf3f2}
.src{color:#555;font-size:.85em;margin-bottom:.8em} .up{color:#c0392b;font-weight:bold} .down{color:#1e8449}
.note{font-size:.85em;color:#444} @media print{h2{break-after:avoid} blockquote{break-inside:avoid}}
"""


def country_name(code: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_2=code) or pycountry.countries.get(alpha_3=code)
    return found.name if found else code


def _chart_svg(changes: list[dict[str, Any]], first: str, second: str) -> str:
    """Paired horizontal bars per risk factor: flags in the first and the second half of the period."""
    if not changes:
        return ""
    top = max(max(c["before"], c["after"]) for c in changes) or 1
    row, width, left = 30, 460, 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{row * len(changes) + 40}" '
           'font-family="sans-serif" font-size="12" role="img" aria-label="flags per risk factor, two halves">']
    for i, c in enumerate(changes):
        y = 10 + i * row
        out.append(f'<text x="0" y="{y + 14}">{html.escape(c["label"])}</text>')
        for j, (key, colour) in enumerate((("before", "#b8b8b8"), ("after", "#c0392b"))):
            w = max(1, c[key] / top * width)
            out.append(f'<rect x="{left}" y="{y + j * 11}" width="{w:.0f}" height="10" fill="{colour}"/>'
                       f'<text x="{left + w + 4:.0f}" y="{y + j * 11 + 9}" font-size="10">{c[key]}</text>')
    y = 14 + len(changes) * row
    out.append(f'<rect x="{left}" y="{y}" width="10" height="10" fill="#b8b8b8"/><text x="{left + 14}" y="{y + 9}">'
               f'{html.escape(first)}</text><rect x="{left + 230}" y="{y}" width="10" height="10" fill="#c0392b"/>'
               f'<text x="{left + 244}" y="{y + 9}">{html.escape(second)}</text></svg>')
    return "".join(out)


def build_brief(store: Store, fw: Framework, *, country: str, date_from: date, date_to: date,
                author: str = "") -> str:
    """The briefing as one HTML page."""
    if date_to < date_from:
        raise TriageError(f"the period ends ({date_to}) before it starts ({date_from})")
    records = flag_records(store, country=country, date_from=date_from, date_to=date_to)
    midpoint = date_from + (date_to - date_from) / 2
    changes = factor_changes(records, midpoint)
    docs = {r["doc_id"] for r in records}
    reviewed = [r for r in records if r["status"] != "unreviewed"]
    evidence = [r for r in records if r["status"] in ("accepted", "relabelled")]
    name = country_name(country)
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Briefing: {e(name)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>Briefing: {e(name)}</h1><p class='meta'>Reports dated {date_from} to {date_to} · prepared "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC{' by ' + e(author) if author else ''} with triage "
             "(UN Framework of Analysis for Atrocity Crimes). The tool flags passages; reviewers decide.</p>",
             "<h2>In brief</h2>"]
    if not records:
        parts.append(f"<p>No flagged passage in reports naming {e(name)} in this period.</p></body></html>")
        return "".join(parts)
    accepted_factors = sorted({r["label"] for r in evidence}, key=lambda lab: int(lab[2:]))
    parts.append(
        f"<p>{len(docs)} report{'s' * (len(docs) != 1)}, {len(records)} flags; {len(reviewed)} reviewed, "
        f"{len(records) - len(reviewed)} still unreviewed. Reviewers confirmed "
        + (", ".join(f"{lab} ({e(fw.factor(lab).short_name)})" for lab in accepted_factors) or "no risk factor yet")
        + ".</p>")
    first, second = f"{date_from} – {midpoint}", f"{midpoint} – {date_to}"
    parts.append("<h2>Risk factors and how they changed</h2>" + _chart_svg(changes, first, second))
    parts.append("<table><tr><th>Risk factor</th><th>First half</th><th>Second half</th><th>Change</th>"
                 "<th>Confirmed</th><th>Unreviewed</th></tr>")
    for c in changes:
        delta = c["after"] - c["before"]
        arrow = f"<span class='up'>▲ +{delta}</span>" if delta > 0 else \
            f"<span class='down'>▼ {delta}</span>" if delta < 0 else "="
        parts.append(f"<tr><td><b>{c['label']}</b> {e(fw.factor(c['label']).short_name)}</td><td>{c['before']}</td>"
                     f"<td>{c['after']}</td><td>{arrow}</td><td>{c['accepted']}</td><td>{c['unreviewed']}</td></tr>")
    parts.append("</table><h2>What the reviewed reports show</h2>")
    if not evidence:
        parts.append("<p>No flag has been accepted yet: the factors above are the model's proposals only.</p>")
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(evidence, key=lambda r: (r["date"], r["source"], r["page"])):
        by_label[r["label"]].append(r)
    for label in accepted_factors:
        rf = fw.factor(label)
        parts.append(f"<h3>{label} {e(rf.short_name)}</h3>")
        for r in by_label[label][:EVIDENCE_PER_FACTOR]:
            parts.append(f"<blockquote>{e(r['text'])}</blockquote><div class='src'>{e(r['title'] or r['source'])}, "
                         f"page {r['page']}, {r['date']} · confirmed by {e(r['reviewer'] or '?')}"
                         + (f" — <span class='note'>{e(r['note'])}</span>" if r["note"] else "") + "</div>")
        if len(by_label[label]) > EVIDENCE_PER_FACTOR:
            parts.append(f"<p class='note'>and {len(by_label[label]) - EVIDENCE_PER_FACTOR} more.</p>")
    pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["status"] == "unreviewed":
            pending[r["doc_id"]].append(r)
    parts.append("<h2>Still unreviewed</h2>")
    if not pending:
        parts.append("<p>Every flag in this period has been reviewed.</p>")
    else:
        parts.append("<table><tr><th>Report</th><th>Date</th><th>Unreviewed flags</th><th>Risk factors</th></tr>")
        for rows in sorted(pending.values(), key=lambda rs: -len(rs)):
            r = rows[0]
            labels = sorted({x["label"] for x in rows}, key=lambda lab: int(lab[2:]))
            parts.append(f"<tr><td>{e(r['title'] or r['source'])}</td><td>{r['date']}</td><td>{len(rows)}</td>"
                         f"<td>{', '.join(labels)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def brief_pdf(page: str) -> bytes:
    """The briefing printed to PDF, as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "brief.html"
        src.write_text(page, encoding="utf-8")
        return html_to_pdf(src, Path(tmp) / "brief.pdf").read_bytes()


def html_to_pdf(html_path: Path, pdf_path: Path, *, chromium: str | None = None) -> Path:
    """Print an HTML file to PDF with headless chromium (the browser the UI tests already use)."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise TriageError("PDF output needs chromium (apt-get install chromium); the HTML briefing was written")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [exe, *CHROMIUM_ARGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
             f"--print-to-pdf={pdf_path.resolve()}", html_path.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0 or not pdf_path.exists():
        raise TriageError(f"chromium could not print the briefing: {proc.stderr.strip()[-300:]}")
    return pdf_path
