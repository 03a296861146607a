from hypothesis import given, settings
from hypothesis import strategies as st

from triage.analyse.segment import split_passages
from triage.types import Document, Page


def _doc(pages: list[str]) -> Document:
    text, spans, pos = "", [], 0
    for n, body in enumerate(pages, 1):
        if n > 1:
            text += "\n\n"
            pos += 2
        spans.append(Page(n, pos, pos + len(body)))
        text += body
        pos += len(body)
    return Document("doc", "t.txt", text, tuple(spans))


words = st.lists(st.sampled_from(["the", "Mission", "reported", "attacks.", "In", "Juba,", "civilians", "fled."]),
                 min_size=1, max_size=60).map(" ".join)
paragraphs = st.lists(words, min_size=1, max_size=6).map("\n\n".join)


@settings(max_examples=200)
@given(st.lists(paragraphs, min_size=1, max_size=4), st.integers(10, 100), st.integers(120, 600))
def test_passages_are_exact_slices_within_one_page(pages: list[str], min_chars: int, max_chars: int) -> None:
    doc = _doc(pages)
    passages = split_passages(doc, min_chars=min_chars, max_chars=max_chars)
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
        page = next(pg for pg in doc.pages if pg.number == p.page)
        assert page.start <= p.start < p.end <= page.end
        assert p.text == p.text.strip()
    starts = [p.start for p in passages]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(passages, passages[1:], strict=False))


def test_paragraphs_become_passages_and_headings_join_the_next_one() -> None:
    body = ("Situation overview\n\nFighting spread to three districts on 4 May and displaced 12,000 people.\n\n"
            "Access remained difficult for humanitarian partners along the main supply road.")
    passages = split_passages(_doc([body]))
    assert [p.text.split()[0] for p in passages] == ["Situation", "Access"]
    assert passages[0].text.startswith("Situation overview\n\nFighting")


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} describes an incident reported by the Mission in the east." for i in range(30)]
    doc = _doc([" ".join(sentences)])
    passages = split_passages(doc, max_chars=300)
    assert len(passages) > 5
    for p in passages:
        assert p.text.endswith(".")
        assert len(p.text) <= 300


def test_abbreviations_do_not_end_sentences() -> None:
    text = "A. " + "Mr. Dialo met Dr. Amani, e.g. in Goma. " * 12
    passages = split_passages(_doc([text.strip()]), max_chars=200)
    assert not any(p.text.endswith(("Mr.", "Dr.", "e.g.")) for p in passages)


def test_stray_page_numbers_are_dropped() -> None:
    doc = _doc(["A real paragraph of text that is long enough to keep as a passage.\n\n4", "Another page with enough words to keep it here."])
    assert [p.text[:6] for p in split_passages(doc)] == ["A real", "Anothe"]
