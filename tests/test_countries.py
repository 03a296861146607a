import pytest

from triage.analyse.countries import country_votes, vote_countries
from triage.analyse.entities import find_entities
from triage.types import Entity, Passage


def _passage(i: int, text: str, *ents: tuple[str, str, str]) -> Passage:
    found = []
    for word, label, norm in ents:
        start = text.index(word)
        found.append(Entity(word, label, start, start + len(word), norm))
    return Passage("d", i * 1000, i * 1000 + len(text), 1, text, tuple(found))


VICTIM = "Among the dead was Amadou Togo, a teacher."


def test_a_surname_that_is_a_country_loses_to_the_documents_country() -> None:
    passages = [
        _passage(0, "Attacks in Mali continued around Mopti and Bamako.",
                 ("Mali", "GPE", "ML"), ("Mopti", "GPE", "ML"), ("Bamako", "GPE", "ML")),
        _passage(1, VICTIM, ("Togo", "GPE", "TG")),
    ]
    out = vote_countries(passages)
    assert country_votes(out) == {"ML": 3}
    assert ("Amadou Togo", "PERSON", "") in {(e.text, e.label, e.norm) for e in out[1].entities}
    for p in out:
        for e in p.entities:
            assert p.text[e.start : e.end] == e.text


def test_a_country_named_as_a_place_keeps_its_vote() -> None:
    passages = [
        _passage(0, "Attacks in Mali continued around Mopti.", ("Mali", "GPE", "ML"), ("Mopti", "GPE", "ML")),
        _passage(1, "Refugees crossed into Togo last week.", ("Togo", "GPE", "TG")),
        _passage(2, "In Togo, camps are full.", ("Togo", "GPE", "TG")),
    ]
    assert country_votes(vote_countries(passages)) == {"ML": 2, "TG": 2}


def test_the_leading_country_is_never_demoted() -> None:
    [p] = vote_countries([_passage(0, VICTIM, ("Togo", "GPE", "TG"))])
    assert [(e.label, e.norm) for e in p.entities] == [("GPE", "TG")]


@pytest.mark.slow
def test_mali_towns_and_cercles_are_places_of_mali(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Gunmen attacked villages in Bankass Cercle and near Koro, and displaced families reached Sévaré "
            "on Tuesday.")
    [p] = find_entities([Passage("d", 0, len(text), 1, text)], nlp)
    found = {(e.text, e.label, e.norm) for e in p.entities}
    for place in ("Bankass Cercle", "Koro", "Sévaré"):
        assert (place, "GPE", "ML") in found


@pytest.mark.slow
def test_regions_armed_groups_and_the_curly_apostrophe_are_not_people(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("In the Sahel, Jama‘a Nusrat ul-Islam wa al-Muslimin and Boko Haram attacked posts, and refugees "
            "from Côte d’Ivoire reached Bissau.")
    [p] = find_entities([Passage("d", 0, len(text), 1, text)], nlp)
    found = {(e.text, e.label) for e in p.entities}
    assert {("Sahel", "LOC"), ("Jama‘a Nusrat ul-Islam wa al-Muslimin", "ORG"), ("Boko Haram", "ORG"),
            ("Côte d’Ivoire", "GPE"), ("Bissau", "GPE")} <= found
    assert not any(e.label == "PERSON" for e in p.entities)
