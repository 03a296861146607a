from hypothesis import given
from hypothesis import strategies as st

from triage.types import Cue, Document, Entity, Flag, Page, Passage

texts = st.text(max_size=40)
ints = st.integers(min_value=0, max_value=10_000)
entities = st.builds(Entity, texts, st.sampled_from(["PERSON", "GPE", "ORG"]), ints, ints)


@given(st.builds(Passage, st.text(min_size=1, max_size=10), ints, ints, ints, texts, st.tuples(entities)))
def test_passage_round_trips(p: Passage) -> None:
    assert Passage.from_dict(p.to_dict()) == p


@given(texts, st.lists(st.builds(Page, st.integers(1, 50), ints, ints, st.booleans(), st.booleans()), max_size=3),
       st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))
def test_document_round_trips(text: str, pages: list[Page], meta: dict[str, str]) -> None:
    doc = Document("abc", "x.pdf", text, tuple(pages), metadata=tuple(sorted(meta.items())))
    assert Document.from_dict(doc.to_dict()) == doc


def test_ids_are_stable_and_readable() -> None:
    p = Passage("d" * 64, 10, 20, 2, "x" * 10)
    assert p.id == "d" * 64 + ":10-20"
    f = Flag(p.id, "RF13", 0.9, 0.4, cues=(Cue("convoy", 0, 6, 0.3),))
    assert f.id == p.id + ":RF13"
    assert f.to_dict()["cues"][0]["text"] == "convoy"


def test_page_at_finds_the_page_of_an_offset() -> None:
    doc = Document("d", "s", "aaaa\n\nbbbb", (Page(1, 0, 4), Page(2, 6, 10)))
    assert [doc.page_at(i) for i in (0, 3, 6, 9, 99)] == [1, 1, 2, 2, 2]
