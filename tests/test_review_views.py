"""The library behind the UI pages: inbox filters, review queues, trends, source-page pictures, briefings."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from datetime import date

import pytest

from tests.pdfgen import PageSpec, column_break, make_pdf, para, title
from triage.analyse.pipeline import ScanResult
from triage.config import load_config
from triage.framework import LABELS, load_framework
from triage.read.pdf.pages import locate, render_page
from triage.review import queue, trends
from triage.review.brief import build_brief, html_to_pdf
from triage.store import open_store
from triage.types import Document, Flag, Page, Passage, Prediction

MALI = ("Date: 2026-10-14\n\nGunmen stopped a humanitarian convoy on the road to Kidal in Mali, abducted two aid "
        "workers and looted the trucks.\n\nThe water committee met to plan the maintenance of hand pumps.\n")
NEPAL = ("Date: 2026-03-02\n\nThe district water office in Nepal repaired twelve hand pumps and trained pump "
         "mechanics in three villages before the monsoon.\n")


@pytest.fixture()
def store(pipeline, tmp_path):  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "views.db") as s:
        for name, text in (("mali.txt", MALI), ("nepal.txt", NEPAL)):
            s.save_result(pipeline.process_file(name, data=text.encode(), source=name))
        yield s


def test_document_dates_come_from_the_text_then_metadata_then_arrival() -> None:
    assert queue.document_date("", "2026-11-25T10:00:00+00:00", "Report\nDate: 2026-10-14\n") == date(2026, 10, 14)
    assert queue.document_date("", "2026-11-25T10:00:00", "Dated 3 March 2025") == date(2025, 3, 3)
    assert queue.document_date("D:20240501120000", "2026-11-25T10:00:00") == date(2024, 5, 1)
    # reportlab's reproducible-file date is not a real one
    assert queue.document_date("D:20000101000000+00'00'", "2026-11-25T10:00:00") == date(2026, 11, 25)
    assert queue.document_date("D:2024-bad", "2026-11-25T10:00:00", "Date: 2026-13-40") == date(2024, 1, 1)


@pytest.mark.slow
def test_inbox_filters(store) -> None:  # type: ignore[no-untyped-def]
    names = lambda f: [r["source"] for r in queue.inbox(store, f)]  # noqa: E731
    assert names(queue.QueueFilter()) == ["mali.txt", "nepal.txt"]  # riskiest first
    assert names(queue.QueueFilter(countries=("ML",))) == ["mali.txt"]
    assert names(queue.QueueFilter(countries=("NP",))) == ["nepal.txt"]
    assert names(queue.QueueFilter(labels=("RF14",))) == ["mali.txt"]
    assert names(queue.QueueFilter(text="HAND PUMPS")) == ["mali.txt", "nepal.txt"]
    assert names(queue.QueueFilter(text="convoy")) == ["mali.txt"]
    assert names(queue.QueueFilter(date_from=date(2026, 6, 1))) == ["mali.txt"]
    assert names(queue.QueueFilter(date_to=date(2026, 6, 1))) == ["nepal.txt"]
    assert names(queue.QueueFilter(min_risk=0.3)) == ["mali.txt"]  # the rank (issue 14): RF14 and RF13 give about 0.38
    assert names(queue.QueueFilter(review_state="fully reviewed")) == []
    flag = store.flags(queue.inbox(store)[0]["id"])
    for f in flag:
        store.add_review(f["id"], "accept", "amina")
    assert names(queue.QueueFilter(review_state="fully reviewed")) == ["mali.txt"]


@pytest.mark.slow
def test_the_inbox_is_paged_in_the_store_and_flags_carry_their_latest_review(store) -> None:  # type: ignore[no-untyped-def]
    assert [(t, [r["source"] for r in rows]) for t, rows in
            (queue.inbox_page(store, size=1, page=n) for n in (1, 2, 3))] == \
        [(2, ["mali.txt"]), (2, ["nepal.txt"]), (2, [])]
    assert store.place_codes() == ["ML", "NP"]
    mali = queue.inbox(store)[0]["id"]
    first, *rest = store.flags(mali)
    store.add_review(first["id"], "accept", "amina")
    store.add_review(first["id"], "reject", "olu", note="second look")
    flags = {f["id"]: f["review"] for f in store.flags(mali)}
    assert flags[first["id"]] == store.latest_review(first["id"]) and flags[first["id"]].reviewer == "olu"
    assert all(flags[f["id"]] is None for f in rest)
    assert queue.inbox_page(store, queue.QueueFilter(review_state="partly reviewed"), size=5)[0] == (1 if rest else 0)


def _scanned(name: str, risk: float, *, flagged: bool = True) -> ScanResult:
    """A one-passage document of the given risk, flagged for RF14 or not: the inbox order without a model."""
    text = f"{name}: gunmen stopped an aid convoy." if flagged else f"{name}: the pumps were fixed."
    doc = Document(name * 64, f"{name}.txt", text, (Page(1, 0, len(text)),))
    p = Passage(doc.id, 0, len(text), 1, text)
    flags = (Flag(p.id, "RF14", risk, 0.3, model_version="v1"),) if flagged else ()
    pred = Prediction(p.id, tuple((lab, risk if lab == "RF14" else 0.01) for lab in LABELS),
                      ("RF14",) if flagged else (), model_version="v1")
    return ScanResult(doc, (p,), (pred,), flags, risk, "v1")


def test_next_document_follows_the_inbox_order_to_the_next_undecided_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(queue, "_WALK_PAGE", 2)  # so the walk crosses pages
    with open_store(tmp_path / "next.db") as s:
        for name, risk in (("a", 0.9), ("b", 0.8), ("d", 0.6), ("e", 0.5)):
            s.save_result(_scanned(name, risk))
        s.save_result(_scanned("c", 0.7, flagged=False))  # nothing to decide
        ids = {r["source"][0]: r["id"] for r in queue.inbox(s)}
        s.add_review(s.flags(ids["b"])[0]["id"], "accept", "amina")  # b is done
        names = {v: k for k, v in ids.items()}
        nxt = lambda f, after: names.get(queue.next_document(s, f, after))  # noqa: E731
        everything = queue.QueueFilter()
        assert [nxt(everything, ids[k]) for k in "abcde"] == ["d", "d", "d", "e", None]
        assert nxt(queue.QueueFilter(min_risk=0.55), ids["d"]) is None  # e is outside the filter
        assert nxt(queue.QueueFilter(max_risk=0.65), ids["a"]) == "d"  # a is outside it: start from the top
        s.add_review(s.flags(ids["d"])[0]["id"], "reject", "amina")
        # d has left the "unreviewed" inbox by being decided, but its place in the order is kept
        assert nxt(queue.QueueFilter(review_state="unreviewed"), ids["d"]) == "e"
        assert nxt(queue.QueueFilter(review_state="fully reviewed"), ids["a"]) is None
        assert queue.next_document(s, everything, "not a document") == ids["a"]


@pytest.mark.slow
def test_review_queues(store) -> None:  # type: ignore[no-untyped-def]
    rows = queue.most_uncertain(store, 50)
    margins = [abs(r["margin"]) for r in rows]
    assert rows and margins == sorted(margins)
    store.add_review(rows[0]["id"], "reject", "amina")
    assert rows[0]["id"] not in {r["id"] for r in queue.most_uncertain(store, 50)}
    flagged = {f["passage_id"] for d in store.list_documents() for f in store.flags(d["id"])}
    sample = queue.unflagged_sample(store, 10, seed=1)
    assert sample and not {r["id"] for r in sample} & flagged
    assert sample == queue.unflagged_sample(store, 10, seed=1)  # reproducible


@pytest.mark.slow
def test_trends_count_flags_by_month_country_and_status(store) -> None:  # type: ignore[no-untyped-def]
    records = trends.flag_records(store)
    assert {r["month"] for r in records if r["source"] == "mali.txt"} == {"2026-10"}
    assert {r["status"] for r in records} == {"unreviewed"}
    assert trends.flag_records(store, country="NP") == [r for r in records if r["source"] == "nepal.txt"]
    countries = trends.by_country(records)
    assert int(countries[countries.country == "ML"]["flags"].sum()) == sum(r["source"] == "mali.txt" for r in records)
    frame = trends.flag_frame(records)
    for chart in (trends.time_chart(frame), trends.status_chart(frame), trends.country_chart(countries)):
        assert chart.to_dict()["mark"]["type"] == "bar"
    changes = trends.factor_changes(records, date(2026, 6, 1))
    rf14 = next(c for c in changes if c["label"] == "RF14")
    assert (rf14["before"], rf14["after"], rf14["unreviewed"]) == (0, 1, 1)


def test_locate_ignores_line_breaks_and_hyphens() -> None:
    page = "Title\r\nThe convoy was attac-\r\nked near Kidal, and two\r\nworkers were taken.\r\nNext para."
    span = locate(page, "The convoy was attacked near Kidal, and two workers were taken.")
    assert span is not None and page[span[0]:span[1]].startswith("The convoy") and page[span[1] - 5:span[1]] == "taken"
    assert locate(page, "Nothing like this at all") is None


def test_a_pdf_page_is_rendered_with_the_passage_outlined(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    left = "Armed men looted the market in the northern town and burned forty shops during the night."
    right = "The school feeding programme reached nine thousand pupils in thirty schools this term."
    path = tmp_path / "two.pdf"
    make_pdf(path, [PageSpec([title("Update"), para(left), column_break(), para(right)], columns=2)])
    data = path.read_bytes()
    plain = Image.open(io.BytesIO(render_page(data, 1).png)).convert("RGB")
    shown = render_page(data, 1, passage=right)
    marked = Image.open(io.BytesIO(shown.png)).convert("RGB")
    assert shown.located and plain.size == marked.size
    # the outline is red and lies in the right-hand column only
    red = [(x, y) for x in range(0, marked.width, 2) for y in range(0, marked.height, 2)
           if marked.getpixel((x, y)) != plain.getpixel((x, y))]
    assert red and min(x for x, _ in red) > marked.width * 0.4
    assert not render_page(data, 1, passage="words that are not on the page").located
    with pytest.raises(Exception, match="has 1 pages, not 3"):
        render_page(data, 3)
    with pytest.raises(Exception, match="cannot render"):
        render_page(b"%PDF-1.4 broken", 1)


@pytest.mark.slow
def test_a_briefing_shows_factors_evidence_and_open_flags(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fw = load_framework(load_config().framework_path)
    rf14 = next(f for f in store.flags(queue.inbox(store)[0]["id"]) if f["label"] == "RF14")
    store.add_review(rf14["id"], "accept", "amina", note="convoy attack confirmed")
    page = build_brief(store, fw, country="ML", date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    assert "Briefing: Mali" in page and "<svg" in page
    assert "convoy attack confirmed" in page and "confirmed by amina" in page and "page 1" in page
    assert "Still unreviewed" in page and "hand pumps" not in page.split("What the reviewed")[0]
    assert "Nepal" not in page
    empty = build_brief(store, fw, country="ML", date_from=date(2025, 1, 1), date_to=date(2025, 2, 1))
    assert "No flagged passage" in empty
    with pytest.raises(Exception, match="ends .* before it starts"):
        build_brief(store, fw, country="ML", date_from=date(2026, 2, 1), date_to=date(2026, 1, 1))


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed (make test installs it)")
def test_the_brief_command_writes_html_and_pdf(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "brief.pdf"
    proc = subprocess.run([sys.executable, "-m", "triage", "brief", "--country", "ml", "--from", "2026-01-01",
                           "--to", "2026-12-31", "--out", str(out), "--db", store.path],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"%PDF") and "Briefing: Mali" in out.with_suffix(".html").read_text()
    bad = subprocess.run([sys.executable, "-m", "triage", "brief", "--country", "ML", "--from", "2026-13-01",
                          "--to", "2026-12-31", "--db", store.path], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: dates are YYYY-MM-DD")
    assert html_to_pdf  # the same function the UI's PDF button would use


def test_inbox_rows_name_the_strongest_factors_each_counted_once() -> None:
    from triage.analyse.flag import factor_strengths

    flags = lambda *pairs: [Flag(f"p{i}", lab, s, 0.5) for i, (lab, s) in enumerate(pairs)]  # noqa: E731
    assert factor_strengths(flags(("RF14", 0.99), ("RF14", 0.98))) == {"RF14": 0.99}  # once, at its strongest
    strengths = factor_strengths(flags(("RF14", 0.99), ("RF1", 0.9), ("RF9", 0.95)))
    assert queue.strongest_factors(strengths, 2) == ["RF14", "RF9"]
    assert queue.strongest_factors({"RF9": 0.9, "RF2": 0.9, "RF11": 0.9}) == ["RF2", "RF9", "RF11"]  # ties by number
