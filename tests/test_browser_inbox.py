"""Issue 14's inbox in a real browser (Debian's chromium driven by Playwright): five reports that all scored
1.00 or close before are listed in rank order, each row with its rank and its strongest risk factors by
number, short name and score. The reports are stored by hand (tests/test_inbox_rank.py), so no model is
trained or run; the screenshot goes to test-artifacts/browser-inbox.png."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PASSWORD, ROOT, App, _sign_in
from tests.test_inbox_rank import CASES, EXPECTED_ORDER, _result
from triage.review.auth import create_user
from triage.store import open_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]
# Each row of the Inbox as drawn: its rank pill, title and factor line, in page order.
ROWS = """() => [...document.querySelectorAll(".triage-rank")].map(badge => {
  const block = badge.closest("[data-testid='stMarkdownContainer']");
  const factors = block.querySelector(".triage-factors");
  return {rank: badge.innerText.trim(), title: block.querySelector("strong").innerText.trim(),
          factors: factors ? factors.innerText.trim() : ""};
})"""


@pytest.fixture()
def inbox_app(tmp_path: Path) -> Iterator[App]:
    """The app on a store holding the five reports; the repository's models (the Inbox runs none)."""
    db = tmp_path / "inbox.db"
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{ROOT / "models"}"\n')
    with open_store(db) as store:
        for name, pairs in CASES.items():
            store.save_result(_result(name, pairs))
        create_user(store, "amina", "reviewer", PASSWORD)
    server = App({**os.environ, "TRIAGE_DB": str(db), "TRIAGE_CONFIG": str(toml)})
    server.start()
    yield server
    server.stop()


def test_the_inbox_lists_reports_by_rank_with_their_strongest_factors_named(inbox_app: App) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(inbox_app.url)
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=180_000)
            _sign_in(page, inbox_app.url)
            expect(page.get_by_text("5 documents, highest rank first")).to_be_visible(timeout=60_000)
            page.wait_for_function("() => document.querySelectorAll('.triage-rank').length === 5", timeout=30_000)
            rows = page.evaluate(ROWS)
            page.screenshot(path=str(ARTIFACTS / "browser-inbox.png"), full_page=True)
        finally:
            browser.close()
    assert [r["title"] for r in rows] == [name.title() for name in EXPECTED_ORDER]
    assert [r["rank"] for r in rows] == ["0.73", "0.72", "0.63", "0.33", "0.11"]  # apart, highest first
    assert rows[0]["factors"] == ("RF2 Record of serious violations 0.93, RF3 Weak State structures 0.75, "
                                  "RF9 Intergroup tensions / discrimination 0.73")
    assert rows[1]["factors"].startswith("RF1 Armed conflict or instability 0.90, RF14 Threats to humanitarian")
    assert rows[3]["factors"] == "RF14 Threats to humanitarian or peacekeeping operations 0.97"  # one factor only
