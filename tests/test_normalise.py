"""Text normalisation helpers: examples for each rule, and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.read.normalise import (
    clean_line,
    clean_text,
    hyphenated_words,
    is_line_end_hyphen,
    join_lines,
    normalise_newlines,
    split_paragraphs,
)


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["the preven-", "tion of atrocities"], "the prevention of atrocities"),
        (["a well-known", "pattern"], "a well-known pattern"),  # a hyphen inside a line is untouched
        (["non-", "State armed groups"], "non-State armed groups"),  # uppercase after: keep, no space
        (["AD 2018–", "23–51"], "AD 2018–23–51"),  # en dash in a range
        (["COVID-", "19 cases"], "COVID-19 cases"),
        (["peace –", "and security"], "peace – and security"),  # a spaced dash is punctuation
        (["see https://", "www.ohchr.org"], "see https://www.ohchr.org"),
        (["soft\u00ad", "hyphen"], "softhyphen"),
        (["  spaced\tout  ", "", "lines "], "spaced out lines"),
        (["ﬁeld oﬃce"], "field office"),  # ligatures expanded
        ([], ""),
    ],
)
def test_join_lines_examples(lines: list[str], joined: str) -> None:
    assert join_lines(lines) == joined


def test_known_compounds_keep_their_hyphen() -> None:
    keep = hyphenated_words("a well-known case\nand a co-operation agreement signed")
    assert keep == frozenset({"well-known", "co-operation"})
    assert join_lines(["the well-", "known pattern"], keep_hyphen=keep) == "the well-known pattern"
    assert join_lines(["co-", "operation"], keep_hyphen=keep) == "co-operation"
    assert join_lines(["co-", "operation"]) == "cooperation"  # the simple rule without evidence


def test_hyphen_at_line_end_is_not_evidence() -> None:
    assert hyphenated_words("the preven-\ntion") == frozenset()


def test_is_line_end_hyphen() -> None:
    assert is_line_end_hyphen("preven-", "tion")
    assert not is_line_end_hyphen("Preven-", "Tion")
    assert not is_line_end_hyphen("2018-", "19")
    assert not is_line_end_hyphen("-", "x")


def test_clean_text_paragraphs_and_markdown_headings() -> None:
    raw = "# Title\r\nFirst line\r\nsecond line\r\n\r\n\r\n  \r\nNext\u2028para"
    assert clean_text(raw) == "# Title\n\nFirst line second line\n\nNext para"
    assert split_paragraphs("a\nb\n\n\n c ") == [["a", "b"], [" c "]]


def test_normalise_newlines() -> None:
    assert normalise_newlines("a\r\nb\rc\nd") == "a\nb\nc\nd"


def test_clean_line_drops_control_and_invisible_characters() -> None:
    assert clean_line("\x00a\u200bb\u00a0\u00a0c\x07") == "ab c"


# --- properties ----------------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("ab -–\u00ad\t\r\n\u2028\u00a0ﬁ#.")), st.characters(codec="utf-8")
    ),
    max_size=200,
)
_LINES = st.lists(st.text(max_size=40), max_size=8)
_PLAIN_WORDS = st.lists(
    st.lists(st.text(alphabet="abcXYZ", min_size=1, max_size=8), min_size=1, max_size=6).map(" ".join),
    max_size=8,
)


@given(_TEXT)
def test_clean_text_has_no_carriage_returns_or_extra_blank_lines(text: str) -> None:
    out = clean_text(text)
    assert "\r" not in out and "\n\n\n" not in out
    assert out == out.strip()
    for paragraph in out.split("\n\n") if out else []:
        assert paragraph and "\n" not in paragraph


@given(_TEXT)
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@given(_LINES)
def test_join_lines_is_idempotent_and_single_line(lines: list[str]) -> None:
    joined = join_lines(lines)
    assert "\n" not in joined and "\r" not in joined
    assert join_lines([joined]) == joined


@given(st.text(max_size=80))
def test_clean_line_is_idempotent(line: str) -> None:
    assert clean_line(clean_line(line)) == clean_line(line)


@given(_PLAIN_WORDS)
def test_join_lines_without_hyphens_keeps_every_word(lines: list[str]) -> None:
    assert join_lines(lines).split() == " ".join(lines).split()
