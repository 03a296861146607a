"""How fast the review UI feels, measured in a real headless chromium against `streamlit run app.py`.

1. Queue: the Inbox with 10,000 documents in the store, from sign-in click to the ranked list drawn
   (target <= 2 s). The store is filled by cloning the four analysed demo reports under new ids.
2. Upload: a 30-page two-column PDF, from choosing the file to its flags drawn on the Document page (a single
   upload opens by itself), after the models are loaded by a warm-up upload (target <= 3 s).

With --profile it also profiles, in this process, the library calls behind the two pages (the inbox query and
the pipeline on the long report) and prints where their time goes.

Usage: .venv/bin/python benchmarks/ui_speed.py [--docs 10000] [--pages 30] [--profile]
Needs reportlab (dev extra), playwright and Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pdfgen import PageSpec, column_break, make_pdf, para, title  # noqa: E402
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, App  # noqa: E402
from triage.analyse.pipeline import Pipeline, ScanResult  # noqa: E402
from triage.config import load_config  # noqa: E402
from triage.review.auth import create_user  # noqa: E402
from triage.store import open_store  # noqa: E402

PASSWORD = "benchmark-password"


def clone(result: ScanResult, n: int) -> ScanResult:
    """The same analysis under a new document id (ids of passages and flags follow the document's)."""
    doc_id = hashlib.sha256(f"{result.document.id}-{n}".encode()).hexdigest()
    new_pid = {p.id: dataclasses.replace(p, doc_id=doc_id).id for p in result.passages}
    return dataclasses.replace(
        result,
        document=dataclasses.replace(result.document, id=doc_id, source=f"{n:05d}-{result.document.source}"),
        passages=tuple(dataclasses.replace(p, doc_id=doc_id) for p in result.passages),
        predictions=tuple(dataclasses.replace(p, passage_id=new_pid[p.passage_id]) for p in result.predictions),
        flags=tuple(dataclasses.replace(f, passage_id=new_pid[f.passage_id]) for f in result.flags),
    )


def long_report(path: Path, pages: int) -> None:
    texts = [p.strip() for f in sorted((ROOT / "demo" / "reports").glob("*.md"))
             for p in f.read_text().split("\n\n") if len(p.strip()) > 200 and not p.startswith(("#", "Header"))]
    specs = []
    for i in range(pages):
        chunk = [texts[(i * 4 + k) % len(texts)] for k in range(4)]
        specs.append(PageSpec([title(f"Situation report, part {i + 1}"), para(chunk[0]), para(chunk[1]),
                               column_break(), para(chunk[2]), para(chunk[3])], columns=2))
    make_pdf(path, specs)


def profile(db: Path, pipe: Pipeline, pdf: Path) -> None:
    """cProfile of what the two timed pages call, top functions by own time."""
    import cProfile
    import pstats

    from triage.review import queue

    with open_store(db) as store:
        queue.date_documents(store)  # once per document, at first sight; not part of a page view
        for name, call in (("inbox page", lambda: queue.inbox_page(store, size=50)),
                           ("pipeline on the long report", lambda: pipe.process_file(pdf))):
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.runcall(call)
            print(f"-- {name}: {time.perf_counter() - t0:.2f} s")
            pstats.Stats(prof).sort_stats("tottime").print_stats(8)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--profile", action="store_true", help="also profile the inbox query and the pipeline")
    args = ap.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    from playwright.sync_api import expect, sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="ui-speed-"))
    db = tmp / "bench.db"
    cfg = load_config(db=str(db))
    pipe = Pipeline.load(cfg)
    base = [pipe.process_file(f) for f in sorted((ROOT / "demo" / "inbox").glob("*.pdf"))]
    t0 = time.perf_counter()
    with open_store(db) as store:
        for n in range(args.docs):
            store.save_result(clone(base[n % len(base)], n))
        create_user(store, "bench", "reviewer", PASSWORD)
    print(f"filled the store with {args.docs} documents in {time.perf_counter() - t0:.0f} s")
    pdf = tmp / "long-report.pdf"
    long_report(pdf, args.pages)
    warm = tmp / "warm-up.pdf"
    long_report(warm, 1)

    if args.profile:
        profile(db, pipe, pdf)
    app = App({**os.environ, "TRIAGE_DB": str(db)})
    app.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(300_000)
            page.goto(app.url)
            page.get_by_label("User name").fill("bench")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            t0 = time.perf_counter()
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Open", exact=True).first).to_be_visible(timeout=300_000)
            first = time.perf_counter() - t0
            page.get_by_role("link", name="Trends").click()  # leave, then come back as a reviewer does
            expect(page.get_by_role("heading", name="Trends")).to_be_visible(timeout=300_000)
            t0 = time.perf_counter()
            page.get_by_role("link", name="Inbox").click()
            expect(page.get_by_role("button", name="Open", exact=True).first).to_be_visible(timeout=300_000)
            again = time.perf_counter() - t0
            print(f"queue page, {args.docs} documents: {first:.2f} s after sign-in, {again:.2f} s when coming back from another page "
                  "(target <= 2 s)")

            page.locator("input[type=file]").set_input_files(str(warm))  # loads the models once
            expect(page.get_by_role("button", name="Back to the Inbox")).to_be_visible(timeout=300_000)
            page.get_by_role("link", name="Inbox").click()  # a new page load would start a new, signed-out session
            expect(page.get_by_role("button", name="Open", exact=True).first).to_be_visible(timeout=300_000)
            t0 = time.perf_counter()
            page.locator("input[type=file]").set_input_files(str(pdf))  # one report: the app opens it itself
            expect(page.get_by_role("button", name="Accept").first).to_be_visible(timeout=300_000)
            shown = time.perf_counter() - t0
            print(f"upload of a {args.pages}-page PDF: flags displayed {shown:.2f} s after choosing the file "
                  "(target <= 3 s, models already loaded)")
            browser.close()
    finally:
        app.stop()


if __name__ == "__main__":
    main()
