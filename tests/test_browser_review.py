"""Issue 14's review keys and passage decisions in a real browser (Debian's chromium driven by Playwright): N
brings the current flag into view, L opens the relabel list, U undoes in the store, and a passage's "Reject
all" rejects each of its flags. The document is stored by hand (five passages of three flags), so the
layout does not depend on what a model flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import test_browser
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _key_class, _sign_in
from triage.analyse.pipeline import ScanResult
from triage.framework import LABELS
from triage.store import open_store
from triage.store.reviews import WITHDRAWN
from triage.types import Document, Flag, Page, Passage, Prediction

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]

TEXTS = (
    "Armed men stopped a convoy of aid trucks on the road north of the town, abducted two drivers and set the "
    "cargo alight; agencies suspended road movements for a week.",
    "Radio hosts called the minority community vermin who should be driven out, and militia leaders repeated "
    "the call at a rally attended by several hundred armed young men.",
    "Security forces detained a journalist who had reported on the killings and held him without charge for "
    "three weeks; his family was not told where he was held.",
    "Villagers fleeing the attacks said that homes had been burned and that men of fighting age were taken "
    "away by uniformed men; none has been seen since.",
    "The electoral commission postponed the vote again amid reports that officials were told to register "
    "only members of one group, while opposition rallies were banned.",
)
LABELS_PER_PASSAGE = (("RF14", "RF7", "RF10"), ("RF9", "RF10", "RF5"), ("RF6", "RF2", "RF8"),
                      ("RF7", "RF9", "RF1"), ("RF3", "RF4", "RF5"))
app = test_browser.app  # the fixture: streamlit on a free port with its own store
VIEW = {"width": 1400, "height": 800}
# Which flag box shows the "current flag" marker, and where it is in the viewport (null while the page is
# redrawn and two boxes briefly show it).
CURRENT = """() => {
  const boxes = [...document.querySelectorAll("[class*='st-key-flag-']")]
    .filter(b => b.getClientRects().length && b.innerText.includes("current flag"));
  if (boxes.length !== 1) return null;
  const r = boxes[0].getBoundingClientRect();
  return {cls: [...boxes[0].classList].find(c => c.startsWith("st-key-flag-")), top: r.top, bottom: r.bottom,
          height: window.innerHeight};
}"""
RECT = """(cls) => {
  const box = [...document.querySelectorAll("." + cls)].find(b => b.getClientRects().length);
  const r = box.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, height: window.innerHeight};
}"""


def _report() -> ScanResult:
    text = "\n\n".join(TEXTS)
    doc = Document("b" * 64, "long-report.txt", text, (Page(1, 0, len(text)),), title="Long report")
    passages, start = [], 0
    for t in TEXTS:
        passages.append(Passage(doc.id, start, start + len(t), 1, t))
        start += len(t) + 2
    flags = tuple(Flag(p.id, lab, 0.95 - 0.01 * (3 * n + i), 0.3, model_version="v1")
                  for n, (p, labs) in enumerate(zip(passages, LABELS_PER_PASSAGE, strict=True)) for i, lab in enumerate(labs))
    preds = tuple(Prediction(p.id, tuple((lab, 0.8 if lab in labs else 0.01) for lab in LABELS), labs,
                             model_version="v1") for p, labs in zip(passages, LABELS_PER_PASSAGE, strict=True))
    return ScanResult(doc, tuple(passages), preds, flags, 0.95, "v1")


def _open(pw, app):  # type: ignore[no-untyped-def]
    """Store the report, sign in, open it by its link; returns (browser, page, flag ids in reading order)."""
    from playwright.sync_api import expect

    result = _report()
    with open_store(app.db) as store:
        store.save_result(result)
        flags = store.flags(result.document.id)
    order = [f"{p.id}:{lab}" for p, labs in zip(result.passages, LABELS_PER_PASSAGE, strict=True) for lab in labs]
    assert sorted(order) == sorted(f["id"] for f in flags)
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=VIEW)
    page.goto(app.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=180_000)
    _sign_in(page, app.url)
    page.goto(f"{app.url}/document?doc={result.document.id}")
    expect(page.get_by_text("Keys: A accept · R reject · L relabel · U undo · N/P next/previous")).to_be_visible(
        timeout=60_000)
    _wait_current(page, order[0])
    page.wait_for_function("() => !!window.__triageKeys", timeout=30_000)
    return browser, page, order


def _wait_current(page, flag_id: str, timeout_ms: int = 20_000) -> dict:  # type: ignore[no-untyped-def]
    """Wait until the marker is on `flag_id`'s box (and only there)."""
    want = _key_class("flag-" + flag_id)
    for _ in range(timeout_ms // 200):
        now = page.evaluate(CURRENT)
        if now and now["cls"] == want:
            return now
        page.wait_for_timeout(200)
    raise AssertionError(f"the marker never reached {flag_id}; it is at {page.evaluate(CURRENT)}")


def _in_view(page, flag_id: str) -> dict:  # type: ignore[no-untyped-def]
    """The flag's box once it sits inside the viewport (the scroll runs as the page is drawn)."""
    rect = {}
    for _ in range(25):
        rect = page.evaluate(RECT, _key_class("flag-" + flag_id))
        if 0 <= rect["top"] < rect["bottom"] <= rect["height"]:
            return rect
        page.wait_for_timeout(200)
    raise AssertionError(f"flag {flag_id} is not in the viewport: {rect}")


def test_n_scrolls_the_current_flag_into_view_and_the_marker_follows(app) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser, page, order = _open(pw, app)
        far = 10
        # On a loaded machine the page may still be drawing its later passages when _open returns.
        page.wait_for_selector("." + _key_class("flag-" + order[far]), state="visible", timeout=30_000)
        start = page.evaluate(RECT, _key_class("flag-" + order[far]))
        assert start["top"] > start["height"], f"the test needs flag {far} below the fold at first: {start}"
        for k in range(1, far + 1):
            for _ in range(3):  # a press that lands while the page is redrawn may be lost: press again then
                page.locator("body").press("n")
                try:
                    _wait_current(page, order[k], timeout_ms=4_000)
                    break
                except AssertionError:
                    if page.evaluate(CURRENT) and page.evaluate(CURRENT)["cls"] != _key_class("flag-" + order[k - 1]):
                        raise
            else:
                raise AssertionError(f"N never moved the marker to flag {k}")
            rect = _in_view(page, order[k])
            assert 0 <= rect["top"] < rect["bottom"] <= rect["height"]
        # Centred, not merely touching the edge: scrollIntoView(block "center").
        rect = _in_view(page, order[far])
        middle = (rect["top"] + rect["bottom"]) / 2
        assert abs(middle - rect["height"] / 2) < rect["height"] / 4, rect
        page.screenshot(path=str(ARTIFACTS / "browser-review-1-n-scrolled.png"))
        # P goes back, and the view follows there too.
        page.locator("body").press("p")
        _wait_current(page, order[far - 1])
        _in_view(page, order[far - 1])
        browser.close()


def test_relabel_key_undo_key_and_reject_all_of_a_passage(app) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser, page, order = _open(pw, app)
        fid = order[0]
        page.locator("body").press("l")  # opens the current flag's relabel list with the cursor in it
        labels = page.locator(f".{_key_class('relabel-' + fid)} input")
        expect(labels).to_be_focused(timeout=10_000)
        page.keyboard.type("RF13")
        page.keyboard.press("Enter")
        page.screenshot(path=str(ARTIFACTS / "browser-review-2-relabel.png"))
        page.locator(f".{_key_class('relabel-btn-' + fid)} button").click()
        expect(page.get_by_text("Saved: relabel")).to_be_visible(timeout=30_000)
        with open_store(app.db) as store:
            review = store.latest_review(fid)
        assert review is not None and (review.decision, review.labels, review.reviewer) == \
            ("relabel", ("RF13",), "amina")

        page.keyboard.press("Escape")  # close the list, so the key reaches the page
        page.wait_for_timeout(500)
        page.locator("body").press("u")
        expect(page.get_by_text("Undone: Relabelled RF14")).to_be_visible(timeout=30_000)
        with open_store(app.db) as store:
            assert store.latest_review(fid) is None  # undecided again
            assert [r.decision for r in store.reviews()] == ["relabel", WITHDRAWN]  # both kept
            assert store.list_documents()[0]["reviewed"] == 0
        _wait_current(page, fid)  # the marker goes back to the flag the undo reopened

        passage = order[3].rsplit(":", 1)[0]  # the second passage, three flags
        # The drawn button: Streamlit can keep a hidden copy of a redrawn element beside it.
        page.locator(f".{_key_class('passage-reject-' + passage)} button >> visible=true").click()
        expect(page.get_by_text("Rejected 3 flags in 1 passage")).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "browser-review-3-reject-all.png"), full_page=True)
        with open_store(app.db) as store:
            decided = {f["id"]: f["review"] for f in store.flags("b" * 64) if f["review"] is not None}
        assert sorted(decided) == sorted(order[3:6])
        assert {(r.decision, r.reviewer) for r in decided.values()} == {("reject", "amina")}
        browser.close()
