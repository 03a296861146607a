"""End to end in a real browser (Debian's chromium driven by Playwright): sign in, upload a two-column PDF,
open it, see a flagged passage with chips and highlights, accept one flag and reject another, restart the
app and find both decisions kept. Screenshots of each step go to test-artifacts/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pdfgen import PageSpec, column_break, make_pdf, para, title
from triage.review.auth import create_user
from triage.store import open_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LEFT = [
    "On 14 October 2026 armed men stopped a convoy of six trucks carrying food for the World Food Programme "
    "near Ménaka in Mali. They abducted two drivers and a humanitarian worker, looted the cargo and set two trucks "
    "alight. Aid agencies suspended road movements in the area the next day.",
    "Local radio hosts in Mopti called the Fulani community traitors and vermin who should be driven out, and "
    "militia leaders repeated the call at a rally attended by several hundred armed young men.",
]
RIGHT = [
    "In Gao, the regional water directorate completed the rehabilitation of twelve boreholes and trained "
    "forty pump mechanics, financed by a development partner.",
    "A school feeding programme resumed in thirty schools after the holidays, reaching 9,000 pupils.",
]
PASSWORD = "correct horse battery"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class App:
    """`streamlit run app.py` on a free port with its own store and models; stop() and start() again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env, self.port, self.proc = env, _free_port(), None  # type: ignore[var-annotated]
        self.db = Path(env.get("TRIAGE_DB", ""))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("streamlit did not start: " + self.proc.stderr.read().decode()[-2000:])

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture()
def app(pipeline, tmp_path) -> Iterator[App]:  # type: ignore[no-untyped-def]
    db = tmp_path / "browser.db"
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{pipeline.config.models_dir}"\n')
    with open_store(db) as store:
        create_user(store, "amina", "reviewer", PASSWORD)
    server = App({**os.environ, "TRIAGE_DB": str(db), "TRIAGE_CONFIG": str(toml)})
    server.start()
    yield server
    server.stop()


def _sign_in(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_label("User name").fill("amina")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=120_000)


def _press_until(page, key: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Press `key` until `text` shows (the shortcut listener arrives in a component a moment after the page)."""
    from playwright.sync_api import expect

    for _ in range(10):
        page.locator("body").press(key)
        try:
            expect(page.get_by_text(text)).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            continue
    raise AssertionError(f"pressing {key!r} never showed {text!r}")


def test_review_in_a_real_browser(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    pdf = tmp_path / "mali-flash-update.pdf"
    make_pdf(pdf, [PageSpec([title("Mali: Flash Update No. 3"), *map(para, LEFT), column_break(),
                             *map(para, RIGHT)], columns=2)])
    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda page, name: page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"), full_page=True)  # noqa: E731
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app.url)
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=180_000)  # first run imports everything
        shot(page, "1-sign-in")
        _sign_in(page, app.url)

        page.locator("input[type=file]").set_input_files(str(pdf))
        # One report uploaded: the app reads it and opens it at once.
        expect(page.get_by_text("Mali: Flash Update No. 3").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Page 1").first).to_be_visible(timeout=30_000)
        shot(page, "2-uploaded-and-opened")
        expect(page.get_by_role("button", name="Accept").first).to_be_visible(timeout=30_000)
        # Waiting assertions: the page is still streaming in when the first Accept shows (and, opened straight
        # from the upload, may be drawn twice), so a count() taken at that instant can see none.
        expect(page.locator(".chip").nth(1)).to_be_visible(timeout=30_000)
        expect(page.locator(".ent").first).to_be_visible(timeout=30_000)
        expect(page.locator(".cue").first).to_be_visible(timeout=30_000)
        assert "Threats to humanitarian" in page.content()
        shot(page, "3-document")

        # Keyboard only: A accepts the current flag, which moves the cursor on; R rejects the next one.
        expect(page.get_by_text("current flag")).to_have_count(1)
        _press_until(page, "a", "Saved: accept")
        _press_until(page, "r", "Saved: reject")
        note = page.get_by_placeholder("optional note").last
        note.focus()  # typing a note must not decide anything
        page.keyboard.press("a")
        page.wait_for_timeout(1500)
        note.fill("")
        with open_store(app.db) as store:
            decided = [(r.decision, r.reviewer) for r in store.reviews()]
            assert len({r.flag_id for r in store.reviews()}) == 2
        assert decided == [("accept", "amina"), ("reject", "amina")]
        page.get_by_text("Accepted").first.scroll_into_view_if_needed()
        shot(page, "4-decided")

        app.stop()
        app.start()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _sign_in(page, app.url)
        # The inbox row's own button (Streamlit marks keyed widgets with st-key-<key>); a filter's dropdown
        # toggle is also a button called "Open", and clicking it opened the filter instead.
        row_open = page.locator("[class*='st-key-open-'] button").first
        expect(row_open).to_be_visible(timeout=60_000)
        row_open.click()
        expect(page.get_by_text("Accepted").first).to_be_visible(timeout=30_000)
        assert page.get_by_text("by amina at").count() == 2
        expect(page.get_by_text("Rejected").first).to_be_visible()
        shot(page, "5-after-restart")
        browser.close()


def test_reload_and_links_keep_the_place_and_the_sign_in(app, pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: a reload or a link to a document and flag neither says "Page not found" nor signs the reviewer
    out; the Inbox's search survives opening a document and coming back."""
    from playwright.sync_api import expect, sync_playwright

    pdf = tmp_path / "mali-flash-update.pdf"
    make_pdf(pdf, [PageSpec([title("Mali: Flash Update No. 3"), *map(para, LEFT), column_break(),
                             *map(para, RIGHT)], columns=2)])
    result = pipeline.process_file(pdf)
    with open_store(app.db) as store:
        store.save_result(result)
        flag_ids = [f["id"] for f in store.flags(result.document.id)]
    assert len(flag_ids) > 1
    wanted = flag_ids[-1]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        link = f"{app.url}/document?doc={result.document.id}&flag={wanted}"
        page.goto(link)
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=180_000)
        page.get_by_label("User name").fill("amina")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # Signed in, on the linked document, its last flag current.
        expect(page.get_by_text("Signed in as")).to_be_visible(timeout=120_000)
        current = page.locator(f".{_key_class('accept-' + wanted)} button").first  # may be drawn twice while streaming
        expect(current).to_be_visible(timeout=60_000)
        expect(current).to_have_attribute("kind", "primary")  # only the current flag's Accept is coloured
        expect(page.get_by_text("current flag")).to_have_count(1)
        assert page.get_by_text("Page not found").count() == 0
        assert f"flag={wanted}".replace(":", "%3A") in page.url or f"flag={wanted}" in page.url
        page.screenshot(path=str(ARTIFACTS / "browser-6-deep-link.png"), full_page=True)

        page.reload()  # a new Streamlit session: the sign-in comes back from the cookie, the place from the URL
        expect(page.get_by_text("Signed in as")).to_be_visible(timeout=60_000)
        expect(current).to_be_visible(timeout=60_000)
        expect(current).to_have_attribute("kind", "primary")
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_role("button", name="Sign in").count() == 0

        page.get_by_role("button", name="Back to the Inbox").click()
        search = page.get_by_label("Search the text")
        expect(search).to_be_visible(timeout=30_000)
        search.fill("convoy")
        search.press("Enter")
        row_open = page.locator("[class*='st-key-open-'] button").first
        expect(row_open).to_be_visible(timeout=30_000)
        row_open.click()
        expect(page.get_by_role("button", name="Back to the Inbox")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Back to the Inbox").click()
        expect(page.get_by_label("Search the text")).to_have_value("convoy", timeout=30_000)

        page.get_by_role("button", name="Sign out").click()  # revokes the token: a reload no longer signs in
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1000)
        page.reload()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
        assert page.get_by_text("Signed in as").count() == 0
        browser.close()


def _key_class(key: str) -> str:
    import re

    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())
