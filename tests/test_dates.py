"""The date a report is filed under: its cover's, then a labelled date, then the file's, then its arrival."""

from __future__ import annotations

from datetime import date

import pytest

from triage.read.dates import document_date, metadata_date, text_date


@pytest.mark.parametrize(("head", "expected"), [
    ("Field note\n15 July 2025\nArmed men burned the market.", date(2025, 7, 15)),  # alone on a cover line
    ("Distr.: General 21 February 2025\nOriginal: English", date(2025, 2, 21)),
    ("Security Council 10 January 2025", date(2025, 1, 10)),
    ("Dated 3 March 2024", date(2024, 3, 3)),
    ("Date: 2026-10-14", date(2026, 10, 14)),
    ("Bulletin\nJuly 15, 2025", date(2025, 7, 15)),
    ("Genève, le 3 mars 2024", date(2024, 3, 3)),
    ("Bamako, 1er février 2024", date(2024, 2, 1)),
    ("Attaque du 12 aout 2024", None),  # "du": the date of an event the line is about
    ("Note\n14 Mar 2026 09:00", date(2026, 3, 14)),
])
def test_cover_dates(head: str, expected: date | None) -> None:
    assert text_date(head) == expected


def test_a_cover_line_wins_over_an_earlier_letter_date() -> None:
    head = ("Security Council 10 January 2025\nLetter dated 9 January 2025 from the Permanent Representative of "
            "a Member State to the United Nations addressed to the Secretary-General")
    assert text_date(head) == date(2025, 1, 10)


def test_a_labelled_date_in_a_long_line_is_the_fallback() -> None:
    head = ("Letter dated 9 January 2025 from the Permanent Representative of a Member State to the United "
            "Nations addressed to the Secretary-General")
    assert text_date(head) == date(2025, 1, 9)


@pytest.mark.parametrize("head", [
    "On 8 May 2025, armed men attacked the market of a town near the border and burned all its stalls.",
    "Twenty-third session, 15–19 April 2024",  # the end of a period, not the report's date
    "Attack of 3 May 2025",  # an event named in a heading
    "From 1 to 15 July 2025",
    "31 February 2025",  # no such day
    "Date: 2026-13-40",
    "Reference 2024/15 July 2025",
])
def test_dates_that_are_not_the_reports(head: str) -> None:
    assert text_date(head) is None


@pytest.mark.parametrize(("stamp", "expected"), [
    ("D:20240501120000", date(2024, 5, 1)),
    ("D:2024", date(2024, 1, 1)),
    ("D:20000101000000+00'00'", None),  # reportlab's fixed date for reproducible files
    ("D:20241340", None),
    ("", None),
])
def test_metadata_dates(stamp: str, expected: date | None) -> None:
    assert metadata_date(stamp) == expected


def test_document_date_prefers_the_text_then_the_file_then_arrival() -> None:
    assert document_date("D:20250801000000", "2026-01-01T00:00:00", "Note\n15 July 2025\n") == date(2025, 7, 15)
    assert document_date("D:20250801000000", "2026-01-01T00:00:00", "No date here") == date(2025, 8, 1)
    assert document_date("", "2026-01-01T10:00:00+00:00", "No date here") == date(2026, 1, 1)
