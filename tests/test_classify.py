import numpy as np
import pytest

from triage.analyse.classify import fit_model
from triage.config import load_config
from triage.framework import LABELS, load_framework

# Tiny inline training set: enough for the plumbing, not for quality (the corpus tests do that).
EXAMPLES = [
    ("Gunmen stopped the aid convoy, abducted two drivers and looted the trucks of food.", ["RF14"]),
    ("Armed men attacked a humanitarian convoy and burned the WFP trucks near the border.", ["RF14"]),
    ("Peacekeepers came under fire at their base; the mission suspended aid deliveries.", ["RF14"]),
    ("Shelling hit the central market and the hospital, killing civilians.", ["RF13"]),
    ("Airstrikes destroyed a school and a clinic where displaced families sheltered.", ["RF13"]),
    ("The drone struck a crowded market; civilians and a health centre were hit.", ["RF13"]),
    ("Fuel prices rose and the ministry opened a new water treatment plant.", []),
    ("The football team launched an attack in the second half and won the cup.", []),
    ("The cluster meeting reviewed warehouse stock and the vaccination schedule.", []),
    ("Teachers received training on the new curriculum in twelve districts.", []),
]
TEXTS = [t for t, _ in EXAMPLES]
LABEL_SETS = [labels for _, labels in EXAMPLES]


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    fw = load_framework(load_config().framework_path)
    inds = [["14.1"] if "RF14" in ls else ["13.8"] if "RF13" in ls else [] for ls in LABEL_SETS]
    m = fit_model(TEXTS, LABEL_SETS, indicator_sets=inds, framework=fw,
                  thresholds=dict.fromkeys(LABELS, 0.5))
    m.version = "test"
    return m


def test_scores_cover_all_fourteen_labels_in_order(model) -> None:  # type: ignore[no-untyped-def]
    scores = model.score_matrix(["A convoy was looted by gunmen."])
    assert scores.shape == (1, 14)
    assert ((scores >= 0) & (scores <= 1)).all()
    pred = model.predict(["p1"], ["A convoy was looted by gunmen."])[0]
    assert [k for k, _ in pred.scores] == list(LABELS)


def test_unseen_labels_get_a_constant_zero_score(model) -> None:  # type: ignore[no-untyped-def]
    scores = model.score_matrix(["anything at all"])
    assert scores[0, LABELS.index("RF1")] == 0.0


def test_learns_the_difference_between_its_labels(model) -> None:  # type: ignore[no-untyped-def]
    s = model.score_matrix(["Gunmen looted the aid convoy and abducted the drivers.",
                            "Shelling struck the market and the hospital."])
    rf13, rf14 = LABELS.index("RF13"), LABELS.index("RF14")
    assert s[0, rf14] > s[0, rf13]
    assert s[1, rf13] > s[1, rf14]


def test_cues_point_at_their_text(model) -> None:  # type: ignore[no-untyped-def]
    text = "Last week gunmen attacked an aid convoy near the border and looted the trucks."
    pred = model.predict(["p"], [text])[0]
    assert "RF14" in pred.labels
    cues = dict(pred.cues)["RF14"]
    assert cues, "a flagged label should say which words pushed it up"
    for c in cues:
        assert text[c.start : c.end] == c.text
        assert c.weight > 0
    spans = sorted((c.start, c.end) for c in cues)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), "cues must not overlap"


def test_indicators_belong_to_predicted_labels(model) -> None:  # type: ignore[no-untyped-def]
    pred = model.predict(["p"], ["Shelling hit the hospital and the market; aid could not reach the wounded."])[0]
    for ind in pred.indicators:
        assert f"RF{ind.id.split('.')[0]}" in pred.labels
    scores = [i.score for i in pred.indicators]
    assert scores == sorted(scores, reverse=True)


def test_digits_do_not_matter(model) -> None:  # type: ignore[no-untyped-def]
    a, b = model.score_matrix(["On 3 May 12 trucks were looted.", "On 19 May 470 trucks were looted."])
    assert np.allclose(a, b)


def test_char_grams_equal_scikit_learns_char_wb_also_from_the_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # CharGramVectorizer claims scikit-learn's char_wb TF-IDF, computed faster; transform remembers each
    # word's n-grams, so a second call (answered from that cache) and a reloaded model must agree too.
    import json
    import pickle
    from pathlib import Path

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from triage.analyse.classify import CharGramVectorizer, _normalise_text

    lines = (Path(__file__).parents[1] / "corpus" / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[:400]]
    train, test = texts[:300], texts[300:]
    ours = CharGramVectorizer(_normalise_text, (2, 5), min_df=2, max_features=5000).fit(train)
    ref = TfidfVectorizer(analyzer="char_wb", preprocessor=_normalise_text, ngram_range=(2, 5), min_df=2,
                          max_features=5000, sublinear_tf=True).fit(train)
    assert ours.vocabulary_ == ref.vocabulary_
    expected = ref.transform(test).toarray()
    first = ours.transform(test).toarray()
    assert len(ours.__dict__["_row_cache"]) > 1000  # the words are remembered...
    np.testing.assert_allclose(first, expected, atol=1e-12)
    np.testing.assert_allclose(ours.transform(test).toarray(), expected, atol=1e-12)  # ...and reused exactly
    reloaded = pickle.loads(pickle.dumps(ours))
    assert "_row_cache" not in reloaded.__dict__  # the saved model holds no cache
    np.testing.assert_allclose(reloaded.transform(test[::-1]).toarray(), expected[::-1], atol=1e-12)


def test_gate_as_filter_leaves_label_scores_alone_and_drops_what_it_rejects() -> None:
    # "filter" keeps the labels' own scores for passages the gate lets through and no label at all for the
    # rest; the scores read back (flag_passages re-derives labels from them) must agree with the gate.
    import pickle

    from triage.analyse.flag import select_labels

    gate_rows = [True] * len(TEXTS)
    thresholds = dict.fromkeys(LABELS, 0.3)
    mult = fit_model(TEXTS, LABEL_SETS, thresholds=thresholds, gate_rows=gate_rows)
    filt = fit_model(TEXTS, LABEL_SETS, thresholds=thresholds, gate_rows=gate_rows, gate_mode="filter")
    assert mult.gate_mode == "multiply" and filt.gate_mode == "filter"
    probe = ["Gunmen looted the aid convoy and abducted the drivers.", "The team won the cup in the second half."]
    g = filt.relevance_scores(probe)
    assert g is not None and g[0] > g[1]
    raw_f, raw_m = filt.raw_score_matrix(probe), mult.raw_score_matrix(probe)
    np.testing.assert_allclose(raw_m, raw_f * g[:, None], rtol=1e-4)  # two separate fits; multiply is filter's scores times the gate
    filt.gate_threshold = float(g.mean())  # lets the first through, rejects the second
    s = filt.score_matrix(probe)
    np.testing.assert_allclose(s[0], raw_f[0])
    assert (s[1] < 0.3).all() and (s[1] <= raw_f[1] * g[1] + 1e-12).all()
    assert filt.decide(s)[1] == ()
    assert select_labels(zip(LABELS, map(float, s[1]), strict=True), thresholds) == ()
    # A model pickled before the gate had modes loads as the multiplying gate it was.
    state = pickle.loads(pickle.dumps(mult)).__dict__
    old = object.__new__(type(mult))
    old.__setstate__({k: v for k, v in state.items() if k not in ("gate_mode", "gate_threshold")})
    assert old.gate_mode == "multiply" and old.gate_threshold == 0.0
    with pytest.raises(ValueError):
        fit_model(TEXTS, LABEL_SETS, gate_rows=gate_rows, gate_mode="both")
