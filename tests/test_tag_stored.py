"""Deferred NER on stored passages (triage.service.tag_stored) votes each document's countries, as a scan does.

A document scanned with entity_scope "shown" has only the gazetteer's finds; the review UI and exports tag
its passages later, many documents at once. The gazetteer tags every country name, so without the vote a
victim's surname "Togo" would file a Mali report under Togo again once the NER re-read the passage."""

from __future__ import annotations

import pytest

from triage.analyse.countries import country_votes, vote_countries
from triage.analyse.entities import find_entities
from triage.analyse.segment import split_passages
from triage.read.extract import extract_document
from triage.service import tag_stored
from triage.store import open_store
from triage.types import ScanResult

pytestmark = pytest.mark.slow

MALI = (
    "Armed men attacked two villages of Bankass Cercle in Mali on Sunday, and families fled towards Mopti.\n\n"
    "Displaced people from Koro reached Sévaré, where the authorities of Mali opened a second site.\n\n"
    "Among those killed near Bandiagara was a teacher, Amadou Togo, whose school had closed in March."
)
TOGO = (
    "Refugees from Burkina Faso crossed into Togo last week, and Togo opened a reception centre.\n\n"
    "The authorities of Togo said the camp near Dapaong was full, and asked Ghana for help."
)


def _scanned(name: str, text: str, nlp):  # type: ignore[no-untyped-def]
    """A ScanResult as entity_scope "shown" stores it: the gazetteer alone on every passage, then the vote."""
    doc = extract_document(name, data=text.encode(), source=name)
    passages = vote_countries(list(find_entities(split_passages(doc, min_chars=20), nlp, gazetteer_only=True)))
    return ScanResult(doc, passages, (), (), 0.0, "test", frozenset(p.id for p in passages))


def test_tag_stored_votes_per_document(nlp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mali, togo = _scanned("mali.txt", MALI, nlp), _scanned("togo.txt", TOGO, nlp)
    with open_store(tmp_path / "t.db") as store:
        store.save_result(mali)
        store.save_result(togo)
        todo = store.untagged_passages()
        assert {p.doc_id for p in todo} == {mali.document.id, togo.document.id}  # both documents in one call
        assert tag_stored(store, todo, nlp, ("PERSON", "ORG", "GPE", "LOC", "NORP")) == len(todo)
        assert store.untagged_passages() == []
        mali_passages = store.passages(mali.document.id)
        togo_passages = store.passages(togo.document.id)
    # The Mali report stays a Mali report: the surname is a person, not a vote for Togo.
    assert "TG" not in country_votes(mali_passages)
    assert country_votes(mali_passages).most_common(1)[0][0] == "ML"
    victim = next(p for p in mali_passages if "teacher" in p.text)
    assert any(e.label == "PERSON" and e.text.endswith("Togo") for e in victim.entities)
    for p in mali_passages:
        for e in p.entities:
            assert p.text[e.start : e.end] == e.text
    # A report about Togo keeps Togo: the vote is per document, not over everything tagged at once.
    assert country_votes(togo_passages)["TG"] == 3
