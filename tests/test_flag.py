from hypothesis import given
from hypothesis import strategies as st

from triage.analyse.flag import document_risk, flag_passages
from triage.framework import LABELS
from triage.types import Prediction

score_rows = st.lists(st.lists(st.floats(0, 1), min_size=14, max_size=14), min_size=1, max_size=8)


def _preds(rows: list[list[float]]) -> list[Prediction]:
    return [Prediction(f"d:{i}-{i + 1}", tuple(zip(LABELS, row, strict=True)), ()) for i, row in enumerate(rows)]


@given(score_rows, st.floats(0, 1), st.floats(0, 1))
def test_flags_never_increase_as_the_threshold_rises(rows: list[list[float]], a: float, b: float) -> None:
    low, high = sorted((a, b))
    preds = _preds(rows)
    assert len(flag_passages(preds, dict.fromkeys(LABELS, high))) <= len(flag_passages(preds, dict.fromkeys(LABELS, low)))


@given(score_rows)
def test_flags_are_sorted_and_over_threshold(rows: list[list[float]]) -> None:
    flags = flag_passages(_preds(rows), dict.fromkeys(LABELS, 0.5))
    assert all(f.score >= f.threshold for f in flags)
    assert [f.score for f in flags] == sorted((f.score for f in flags), reverse=True)
    assert 0.0 <= document_risk(flags) <= 1.0


def test_document_risk_counts_a_factor_once_however_many_passages_carry_it() -> None:
    one = flag_passages(_preds([[0.8] + [0.0] * 13]), dict.fromkeys(LABELS, 0.5))
    three = flag_passages(_preds([[0.8] + [0.0] * 13] * 3), dict.fromkeys(LABELS, 0.5))
    assert document_risk([]) == 0.0
    assert document_risk(one) == 0.2857  # 0.8 / (0.8 + 2): the rank no longer saturates (issue 14)
    # The same factor again adds nothing to the rank; the inbox puts `three` first by its number of flags.
    assert document_risk(three) == document_risk(one)
