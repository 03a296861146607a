"""Privacy: exports withhold names and contact details; nothing reaches the network at run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_export import _store_with_person
from triage.review.export import REDACTED, REDACTED_EMAIL, REDACTED_PHONE, export_rows, redact_contacts

CONTACTS = [
    ("Call the witness on +223 76 12 34 56 before noon.", "+223 76 12 34 56"),
    ("Reach him via 00 33 6 12 34 56 78 after dark.", "00 33 6 12 34 56 78"),
    ("The hotline (212) 555-0199 was cut.", "(212) 555-0199"),
    ("Her number, 076-123-4567, was shared.", "076-123-4567"),
    ("Office line 01.23.45.67.89 only.", "01.23.45.67.89"),
    ("Write to a.diallo+urgent@relief-mail.org today.", "a.diallo+urgent@relief-mail.org"),
    ("Sources: k.mensah@un.example.int.", "k.mensah@un.example.int"),
]
NOT_CONTACTS = [
    "Some 12 500 000 people were displaced between 2019-2020.",
    "The attack on 03.05.2024 killed 3 400 civilians.",
    "Resolution 2417 (2018) was adopted on 2018-05-24.",
    "Version 1.2.3 of the form; grid reference 34-56.",
    "Casualties rose 15% to 1,250 in May.",
]


@pytest.mark.parametrize(("text", "contact"), CONTACTS)
def test_contact_details_are_withheld(text: str, contact: str) -> None:
    out = redact_contacts(text)
    assert contact not in out
    assert (REDACTED_EMAIL if "@" in contact else REDACTED_PHONE) in out
    assert out.split("[")[0] == text.split(contact)[0]  # the words around it stay


@pytest.mark.parametrize("text", NOT_CONTACTS)
def test_figures_and_dates_are_not_mistaken_for_phones(text: str) -> None:
    assert redact_contacts(text) == text


def test_exports_redact_names_contacts_and_notes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = _store_with_person(tmp_path)
    flag = store.flags("a" * 64)[0]["id"]
    store.add_review(flag, "accept", "amina", note="source: +223 76 12 34 56, mail kone@example.org")
    plain = export_rows(store, flagged_only=True)[0]
    assert "+223 76 12 34 56" in plain["notes"] and "Amadou Kone" in plain["text"]
    row = export_rows(store, flagged_only=True, redact_people=True)[0]
    assert "Amadou" not in row["text"] and REDACTED in row["text"]
    assert "+223" not in row["notes"] and "kone@example.org" not in row["notes"]
    assert REDACTED_PHONE in row["notes"] and REDACTED_EMAIL in row["notes"]
    names_only = export_rows(store, flagged_only=True, redact_people=True, redact_contacts_too=False)[0]
    assert "+223 76 12 34 56" in names_only["notes"] and "Amadou" not in names_only["text"]


NETGUARD = Path(__file__).resolve().parent / "netguard"


def _guarded_env(tmp_path: Path, cfg) -> dict[str, str]:  # type: ignore[no-untyped-def]
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{cfg.models_dir}"\n')
    return {**os.environ, "PYTHONPATH": str(NETGUARD), "TRIAGE_NETGUARD_LOG": str(tmp_path / "net.log"),
            "TRIAGE_CONFIG": str(toml), "TRIAGE_DB": str(tmp_path / "p.db")}


@pytest.mark.slow
def test_the_cli_and_the_ui_server_make_no_outward_connection(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = _guarded_env(tmp_path, trained_config)
    report = tmp_path / "r.txt"
    report.write_text("Gunmen looted the aid convoy near Kidal and threatened the drivers.\n")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": "a", "text": "Militias burned the market."}) + "\n")
    for args in (["scan", str(report), "--json"], ["classify", str(jsonl), "--out", str(tmp_path / "o.jsonl")],
                 ["batch", str(report)], ["export", "--out", str(tmp_path / "x.csv"), "--redact-people"]):
        proc = subprocess.run([sys.executable, "-m", "triage", *args], env=env, capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr[-1500:])
    port = 8600 + os.getpid() % 300
    server = subprocess.Popen([sys.executable, "-m", "triage", "ui", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the review UI did not start")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200
        time.sleep(2)  # give any start-up telemetry its chance to try
    finally:
        server.terminate()
        server.wait(timeout=30)
    with pytest.raises(OSError):  # stopping `triage ui` stopped the server: nothing is left on the port
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    loaded = (tmp_path / "net.log.loaded").read_text().split()
    assert len(loaded) >= 5  # the guard really was in every process (CLI runs and the server)
    log = tmp_path / "net.log"
    assert not log.exists(), log.read_text()[:3000]
