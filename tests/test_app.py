"""Streamlit AppTest: sign-in is required, roles are enforced on the server, decisions are stored under the
signed-in account, and every page draws without an exception."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from triage.review.auth import create_user
from triage.store import open_store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
REPORT = ("Date: 2026-10-14\n\nGunmen stopped a humanitarian convoy on the road to Kidal in Mali, abducted two aid "
          "workers and looted the trucks.\n\nThe water committee met to plan the maintenance of hand pumps in the "
          "district.\n")
PASSWORD = "s3cret-enough"


@pytest.fixture()
def store_with_report(pipeline, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    db = tmp_path / "ui.db"
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{pipeline.config.models_dir}"\n')
    monkeypatch.setenv("TRIAGE_DB", str(db))
    monkeypatch.setenv("TRIAGE_CONFIG", str(toml))
    result = pipeline.process_file("report.txt", data=REPORT.encode(), source="report.txt")
    with open_store(db) as store:
        store.save_result(result)
        create_user(store, "amina", "reviewer", PASSWORD)
        create_user(store, "olu", "analyst", PASSWORD)
    return db, result


def _run() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def _sign_in(name: str) -> AppTest:
    at = _run()
    at.text_input(key="login-name").input(name)
    at.text_input(key="login-password").input(PASSWORD)
    return at.button[0].click().run()


def _goto(at: AppTest, url_path: str) -> AppTest:
    """Request a page by its URL, as a browser would (st.Page hashes its url_path; AppTest's own switch_page
    only knows file pages)."""
    at._page_hash = calc_hash(url_path)
    return at.run()


def _text(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "title", "caption", "info", "error", "subheader")
                    for e in getattr(at, kind))


@pytest.mark.slow
def test_nothing_is_shown_before_signing_in(store_with_report) -> None:  # type: ignore[no-untyped-def]
    at = _run()
    assert not at.exception
    assert "sign in" in at.title[0].value
    assert not [b for b in at.button if b.key and b.key.startswith("accept-")]
    at = _goto(at, "document")
    assert "sign in" in at.title[0].value and "Gunmen" not in _text(at)


@pytest.mark.slow
def test_a_wrong_password_is_refused_and_audited(store_with_report) -> None:  # type: ignore[no-untyped-def]
    db, _ = store_with_report
    at = _run()
    at.text_input(key="login-name").input("amina")
    at.text_input(key="login-password").input("wrong password")
    at.button[0].click().run()
    assert "wrong user name or password" in at.error[0].value
    assert "user" not in at.session_state
    with open_store(db) as store:
        assert store.audit_log()[0]["action"] == "login-failed"


@pytest.mark.slow
def test_a_reviewer_accepts_a_flag_and_it_is_stored_under_their_name(store_with_report) -> None:  # type: ignore[no-untyped-def]
    db, _ = store_with_report
    at = _sign_in("amina")
    assert not at.exception
    assert "Inbox" in at.title[0].value and "report.txt" in _text(at)
    at = _goto(at, "document")
    assert not at.exception
    assert at.caption[0].value.startswith("report.txt · 1 page · ")  # a one-page text, not "1 pages"
    html = " ".join(m.value for m in at.markdown)
    assert "Threats to humanitarian or peacekeeping operations" in html  # the chip names the risk factor
    assert 'class="ent' in html and 'class="cue' in html  # entities and cues highlighted
    flag_id = next(b.key for b in at.button if b.key and b.key.startswith("accept-") and b.key.endswith(":RF14"))[7:]
    at.text_input(key=f"note-{flag_id}").input("clear convoy attack").run()
    at.button(key=f"accept-{flag_id}").click().run()
    assert not at.exception
    assert any("Saved: accept" in s.value for s in at.success)
    with open_store(db) as store:
        review = store.latest_review(flag_id)
        audit = store.audit_log()
    assert review is not None
    assert (review.decision, review.reviewer, review.note) == ("accept", "amina", "clear convoy attack")
    assert (audit[0]["actor"], audit[0]["action"], audit[0]["target"]) == ("amina", "review", flag_id)
    assert audit[0]["model_version"] == review.model_version != ""


@pytest.mark.slow
def test_a_relabel_stores_the_chosen_labels(store_with_report) -> None:  # type: ignore[no-untyped-def]
    db, _ = store_with_report
    at = _goto(_sign_in("amina"), "document")
    flag_id = next(b.key for b in at.button if b.key and b.key.startswith("accept-"))[7:]
    at.multiselect(key=f"relabel-{flag_id}").select("RF13").run()
    at.button(key=f"relabel-btn-{flag_id}").click().run()
    with open_store(db) as store:
        review = store.latest_review(flag_id)
    assert review is not None and (review.decision, review.labels) == ("relabel", ("RF13",))


@pytest.mark.slow
def test_a_stale_decision_is_refused_not_overwritten(store_with_report) -> None:  # type: ignore[no-untyped-def]
    db, _ = store_with_report
    at = _goto(_sign_in("amina"), "document")
    flag_id = next(b.key for b in at.button if b.key and b.key.startswith("reject-"))[7:]
    with open_store(db) as store:  # someone else decides after amina's page was drawn
        store.add_review(flag_id, "accept", "olu")
    at.button(key=f"reject-{flag_id}").click().run()
    assert any("olu already marked" in w.value for w in at.warning)
    with open_store(db) as store:
        assert [r.reviewer for r in store.reviews()] == ["olu"]


@pytest.mark.slow
def test_a_reviewer_cannot_reach_analyst_pages(store_with_report) -> None:  # type: ignore[no-untyped-def]
    db, _ = store_with_report
    at = _sign_in("amina")
    at.session_state["role"] = "analyst"  # tampering with session keys does not matter: roles come from the store
    for page in ("models", "audit", "briefing"):
        at = _goto(at, page)
        assert not at.exception
        titles = [t.value for t in at.title]
        assert titles == ["Inbox"], f"{page}: {titles}"  # an unregistered URL falls back to the Inbox
    with open_store(db) as store:  # an account demoted while signed in loses the pages on the next run
        store.conn.execute("UPDATE users SET role = 'reviewer' WHERE name = 'olu'")
    at = _goto(_sign_in("olu"), "audit")
    assert [t.value for t in at.title] == ["Inbox"]


@pytest.mark.slow
def test_an_analyst_sees_every_page(store_with_report) -> None:  # type: ignore[no-untyped-def]
    at = _sign_in("olu")
    expected = {"inbox": "Inbox", "queues": "Review queues", "trends": "Trends", "exports": "Exports",
                "models": "Models", "audit": "Audit trail", "briefing": "Briefing"}
    for page, title in expected.items():
        at = _goto(at, page)
        assert not at.exception, (page, at.exception)
        assert at.title[0].value == title
    at = _goto(at, "audit")
    assert "login" in [str(v) for v in at.dataframe[0].value["action"]]


@pytest.mark.slow
def test_the_inbox_filters_by_risk_factor_and_text(store_with_report) -> None:  # type: ignore[no-untyped-def]
    _, result = store_with_report
    flagged = {f.label for f in result.flags}
    absent = next(lab for lab in (f"RF{i}" for i in range(1, 15)) if lab not in flagged)
    at = _sign_in("amina")
    at.text_input(key="f-text").input("hand pumps").run()
    assert "report.txt" in _text(at)
    at.text_input(key="f-text").input("no such words anywhere").run()
    assert "No document matches" in _text(at)
    at.text_input(key="f-text").input("").run()
    at.multiselect(key="f-labels").select(absent).run()
    assert "No document matches" in _text(at)
    at.multiselect(key="f-labels").select("RF14").run()  # any of the chosen factors
    assert "report.txt" in _text(at)


HATE = ("Date: 2026-10-20\n\nLocal radio hosts in Mopti called the Fulani community traitors and vermin who should "
        "be driven out, and militia leaders repeated the call at a rally attended by several hundred armed young "
        "men.\n")


@pytest.mark.slow
def test_next_on_the_last_flag_opens_the_next_document_in_the_inbox(store_with_report, pipeline) -> None:  # type: ignore[no-untyped-def]
    db, _ = store_with_report
    second = pipeline.process_file("radio.txt", data=HATE.encode(), source="radio.txt")
    assert second.flags  # there must be something left to decide in it
    with open_store(db) as store:
        store.save_result(second)
    at = _goto(_sign_in("amina"), "document")  # opens the riskiest document
    first = at.caption[0].value.split(" · ")[0]
    while at.button(key="next-flag").label == "Next flag":
        at = at.button(key="next-flag").click().run()
    assert at.caption[0].value.startswith(first)  # still on the first document, at its last flag
    at = at.button(key="next-flag").click().run()
    assert not at.exception
    opened = at.caption[0].value.split(" · ")[0]
    assert {first, opened} == {"report.txt", "radio.txt"}
    while at.button(key="next-flag").label == "Next flag":
        at = at.button(key="next-flag").click().run()
    at = at.button(key="next-flag").click().run()
    assert at.caption[0].value.startswith(opened)
    assert [i.value for i in at.info] == ["You have reached the end of the inbox"]


@pytest.mark.slow
def test_a_worse_model_is_promoted_only_with_a_reason_that_the_registry_keeps(store_with_report, pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from triage.analyse.registry import load_model, read_card, read_registry, save_model

    db, _ = store_with_report
    models = tmp_path / "models"
    shutil.copytree(pipeline.config.models_dir, models)
    (tmp_path / "triage.toml").write_text(f'models_dir = "{models}"\n')
    active = read_registry(models)["active"]
    worse = json.loads(json.dumps(read_card(models, active)))
    worse["frozen_test"]["at_decision"]["macro_f1"] -= 0.1
    model = load_model(models)
    model.version = ""
    v2 = save_model(model, worse, models, activate=False)
    at = _goto(_sign_in("olu"), "models")
    at = at.selectbox(key="compare-with").select(v2).run()
    [promote] = [b for b in at.button if b.label == f"Promote {v2}"]
    assert promote.disabled and "worse than the active model" in " ".join(w.value for w in at.warning)
    at = at.checkbox(key="force-promote").check().run()
    assert [b for b in at.button if b.label == f"Promote {v2}"][0].disabled  # no reason yet
    at = at.text_input(key="force-reason").input("checked the written split by hand").run()
    at = [b for b in at.button if b.label == f"Promote {v2}"][0].click().run()
    assert not at.exception
    reg = read_registry(models)
    assert reg["active"] == v2 and "checked the written split by hand" in reg["history"][-1]["note"]
    with open_store(db) as store:
        entry = store.audit_log()[0]
    assert entry["action"] == "model-promote" and "checked the written split" in entry["detail"]


@pytest.mark.slow
def test_an_analyst_retrains_with_the_reviews_and_a_reviewer_cannot(store_with_report, pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from triage.analyse.registry import read_card, read_registry
    from triage.framework import LABELS

    db, result = store_with_report
    models = tmp_path / "models"  # a copy: the session's trained model is shared by every test
    shutil.copytree(pipeline.config.models_dir, models)
    (tmp_path / "triage.toml").write_text(f'models_dir = "{models}"\ntrain_folds = 3\n')  # 3 folds: quicker
    with open_store(db) as store:
        flags = store.flags(result.document.id)
        for flag, decision in zip(flags[:2], ("accept", "reject"), strict=False):
            store.add_review(flag["id"], decision, "amina")
    before = set(read_registry(models)["versions"])
    at = _goto(_sign_in("olu"), "models")
    at = at.button(key="retrain").click().run(timeout=300)
    assert not at.exception
    [new] = set(read_registry(models)["versions"]) - before
    card = read_card(models, new)
    assert card["data"]["from_reviews"] == len({f["passage_id"] for f in flags[:2]})
    assert card["cross_validation"]["folds"] == 3
    for figures in (card["cross_validation"]["at_thresholds"], card["frozen_test"]["at_thresholds"]):
        assert all({"precision", "recall", "f1"} <= set(figures[lab]) for lab in LABELS)
    assert read_registry(models)["active"] != new  # registered, not promoted
    assert at.selectbox(key="compare-with").value == new  # shown beside the active model to compare
    with open_store(db) as store:
        assert (store.audit_log()[0]["action"], store.audit_log()[0]["target"]) == ("model-train", new)
    at = _goto(_sign_in("amina"), "models")
    assert [t.value for t in at.title] == ["Inbox"] and not [b for b in at.button if b.key == "retrain"]


@pytest.mark.slow
def test_one_upload_opens_itself_with_the_ner_run_on_the_passages_drawn(store_with_report) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    db, _ = store_with_report
    demo = Path(__file__).parents[1] / "demo" / "reports"
    text = "\n\n".join(f.read_text(encoding="utf-8") for f in sorted(demo.glob("*.md")))
    at = _sign_in("amina")
    at.file_uploader[0].set_value([("bulletins.txt", text.encode(), "text/plain")]).run()
    assert not at.exception, at.exception
    assert "Flagged passages: page" in " ".join(str(n.label) for n in at.number_input)  # the Document page
    with open_store(db) as store:
        [doc_id] = [d["id"] for d in store.list_documents() if d["source"] == "bulletins.txt"]
        flags = store.flags(doc_id)
        flagged = [p.id for p in store.passages(doc_id) if p.id in {f["passage_id"] for f in flags}]
        untagged = store.untagged_ids(doc_id)
    assert len(flagged) > 5  # more than one page of passages
    drawn = flagged[:5]  # PASSAGES_PER_PAGE in app.py
    assert not untagged & set(drawn)  # the first page's passages had the NER as they were drawn...
    assert set(flagged[5:]) <= untagged  # ...the later ones wait for their page (or an export)


@pytest.mark.slow
def test_inbox_filters_survive_opening_a_document_and_coming_back(store_with_report) -> None:  # type: ignore[no-untyped-def]
    at = _sign_in("amina")
    at.text_input(key="f-text").input("hand pumps").run()
    at.multiselect(key="f-labels").select("RF14").run()
    at = _goto(at, "document")
    assert at.caption[0].value.startswith("report.txt")
    at = _goto(at, "inbox")
    assert not at.exception
    assert at.text_input(key="f-text").value == "hand pumps"
    assert at.multiselect(key="f-labels").value == ["RF14"]
    assert "report.txt" in _text(at)


@pytest.mark.slow
def test_a_link_to_a_document_and_flag_signs_in_and_lands_on_that_flag(store_with_report) -> None:  # type: ignore[no-untyped-def]
    _, result = store_with_report
    doc_id = result.document.id
    with open_store(store_with_report[0]) as store:
        flag_ids = [f["id"] for f in store.flags(doc_id)]
    assert len(flag_ids) > 1
    wanted = flag_ids[-1]  # not the one a freshly opened document starts at
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["doc"] = doc_id
    at.query_params["flag"] = wanted
    at._page_hash = calc_hash("document")
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["triage · sign in"]  # the sign-in form at the link, not "Page not found"
    at.text_input(key="login-name").input("amina")
    at.text_input(key="login-password").input(PASSWORD)
    at = at.button[0].click().run()
    assert not at.exception
    assert at.caption[0].value.startswith("report.txt")  # the linked document, after signing in
    assert at.session_state["current_flag"] == wanted
    assert at.query_params["flag"] == [wanted] or at.query_params["flag"] == wanted


def test_sign_in_tokens_are_random_expire_when_idle_and_are_revoked() -> None:
    from triage.ui.tokens import SessionTokens

    table = SessionTokens()
    a, b = table.issue("amina", now=1000.0), table.issue("amina", now=1000.0)
    assert a != b and len(a) >= 40
    assert table.resolve(a, idle_minutes=10, now=1500.0) == "amina"  # activity moves the idle clock on
    assert table.resolve(a, idle_minutes=10, now=1500.0 + 599) == "amina"
    assert table.resolve(a, idle_minutes=10, now=1500.0 + 599 + 601) is None  # idle too long: gone for good
    assert table.resolve(a, idle_minutes=10, now=1500.0) is None
    table.revoke(b)
    assert table.resolve(b, idle_minutes=10, now=1000.0) is None
    assert table.resolve("made-up", idle_minutes=10) is None and table.resolve(None, idle_minutes=10) is None
