"""A document's title is a real title line: not a masthead, symbol, distribution line or date."""

from __future__ import annotations

import pytest

from triage.read.titles import MAX_TITLE, choose_title

UN_COVER = ["United Nations S", "/2031/123", "Security Council", "Distr.: General 15 July 2031",
            "Original: English", "Situation in the northern provinces", "Report of the Secretary-General",
            "I. Introduction", "1. The present report covers the period since my last report."]


def test_a_un_cover_skips_the_masthead_for_the_title_above_report_of() -> None:
    assert choose_title("", UN_COVER) == "Situation in the northern provinces"


def test_a_letter_is_titled_by_its_letter_line() -> None:
    cover = ["United Nations A S", "/86/12- /2031/40", "General Assembly Security Council",
             "Eighty-sixth session Agenda item 12", "Protection of civilians",
             "Identical letters dated 2 May 2031 from the Permanent Representative of Ruritania"]
    assert choose_title("", cover) == cover[-1]


@pytest.mark.parametrize("stated", ["Untitled", "report_final.docx", "S/2031/123", "United Nations S", ""])
def test_a_junk_or_masthead_property_is_not_the_title(stated: str) -> None:
    assert choose_title(stated, UN_COVER) == "Situation in the northern provinces"


def test_a_stated_title_is_kept_even_when_short() -> None:
    assert choose_title("Forwarded", ["Body text of the message."]) == "Forwarded"


def test_an_ordinary_report_keeps_its_first_line() -> None:
    assert choose_title("", ["Mali: attack on a convoy", "Armed men stopped the convoy."]) == "Mali: attack on a convoy"
    assert choose_title("", ["# Flash update", "Text."]) == "Flash update"


def test_a_cover_of_mastheads_only_still_gives_something() -> None:
    assert choose_title("", ["United Nations", "S/2031/1"]) == "United Nations"
    assert choose_title("", []) == ""


def test_a_long_first_paragraph_is_cut_at_a_word() -> None:
    title = choose_title("", ["word " * 100])
    assert len(title) <= MAX_TITLE and not title.endswith(" ") and title.split() == ["word"] * len(title.split())
