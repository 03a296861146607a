"""Privacy: exports withhold names and contact details; nothing reaches the network at run time."""

from __future__ import annotations

import pytest

from tests.test_export import _store_with_person
from triage.export import REDACTED, REDACTED_EMAIL, REDACTED_PHONE, export_rows, redact_contacts

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
