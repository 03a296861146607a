import pytest

from triage.analyse.countries import country_votes, relabel_by_context, vote_countries
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


def test_the_words_around_a_name_make_it_a_place_a_clan_or_a_gang() -> None:
    text = ("Fighting spread near Walikale and into Lubero territory; the Abgaal clan fled, and the Kraze Barye gang "
            "took the road.")
    p = _passage(0, text, ("Walikale", "PERSON", ""), ("Lubero", "ORG", ""), ("Abgaal", "PERSON", ""),
                 ("Kraze Barye", "PERSON", ""))
    [out] = relabel_by_context([p])
    assert [(e.text, e.label) for e in out.entities] == [
        ("Walikale", "GPE"), ("Lubero", "GPE"), ("Abgaal", "NORP"), ("Kraze Barye", "ORG")]


def test_a_place_found_by_its_context_is_a_place_throughout_the_document() -> None:
    passages = [
        _passage(0, "Families fled towards Oicha on Monday.", ("Oicha", "PERSON", "")),
        _passage(1, "Oicha received 4,000 people.", ("Oicha", "PERSON", "")),
        _passage(2, "Patrols resumed around Oicha.", ("Oicha", "ORG", "")),
    ]
    assert {e.label for p in relabel_by_context(passages) for e in p.entities} == {"GPE"}


def test_people_after_a_title_or_between_people_stay_people() -> None:
    text = "The envoy met President Kiir in Juba, then Riek Machar, Josephine Lagu and Benjamin Bol Mel."
    p = _passage(0, text, ("President Kiir", "PERSON", ""), ("Juba", "GPE", "SS"), ("Riek Machar", "PERSON", ""),
                 ("Josephine Lagu", "PERSON", ""), ("Benjamin Bol Mel", "PERSON", ""))
    [out] = relabel_by_context([p])
    assert out.entities == p.entities


def test_a_name_in_a_list_of_places_is_a_place() -> None:
    text = "Rockets hit Haifa, Avivim, Tsfat and Metulla overnight."
    p = _passage(0, text, ("Haifa", "GPE", "IL"), ("Avivim", "PERSON", ""), ("Tsfat", "GPE", "IL"),
                 ("Metulla", "ORG", ""))
    [out] = relabel_by_context([p])
    assert [e.label for e in out.entities] == ["GPE"] * 4


@pytest.mark.slow
def test_bodies_named_after_a_country_or_a_known_place_are_one_org(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("The Israel Defense Forces and the Armed Forces of the Democratic Republic of the Congo met the Government "
            "of Iraq, while the Jubbaland Intelligence and Security Agency arrested two men near Kismaayo.")
    [p] = find_entities([Passage("d", 0, len(text), 1, text)], nlp)
    found = {(e.text, e.label) for e in p.entities}
    assert {("Israel Defense Forces", "ORG"), ("Armed Forces of the Democratic Republic of the Congo", "ORG"),
            ("Government of Iraq", "ORG"), ("Jubbaland Intelligence and Security Agency", "ORG"),
            ("Kismaayo", "GPE")} <= found
    assert not any(e.label == "GPE" and e.norm in ("IL", "CD", "IQ") for e in p.entities)


@pytest.mark.slow
def test_armed_groups_and_document_symbols(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "M23 and Da’esh fighters were reported (see S/2024/817, para. 3); The United Nations condemned it."
    [p] = find_entities([Passage("d", 0, len(text), 1, text)], nlp)
    found = {(e.text, e.label) for e in p.entities}
    assert {("M23", "ORG"), ("Da’esh", "ORG"), ("United Nations", "ORG")} <= found
    assert not any("S/2024" in e.text for e in p.entities)
