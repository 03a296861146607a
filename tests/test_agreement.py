import json

import pytest

from training.agreement import FIRST, SECOND, agreement, cohen_kappa, pair_f1, pairs


def test_kappa_against_a_hand_worked_case() -> None:
    # 10 items: both yes 4, both no 4, one each way 1 -> po 0.8, pe 0.5, kappa 0.6.
    a = [True] * 5 + [False] * 5
    b = [True] * 4 + [False] + [True] + [False] * 4
    assert cohen_kappa(a, b) == pytest.approx(0.6)
    assert cohen_kappa(a, [not x for x in a]) == pytest.approx(-1.0)
    assert cohen_kappa([False] * 4, [False] * 4) == 1.0
    # The same case as F1 of one pass against the other: both 4, first 5, second 5 -> 8 / 10.
    assert pair_f1(5, 5, 4) == pytest.approx(0.8)
    assert pair_f1(3, 0, 0) == 0.0 and pair_f1(0, 0, 0) == 1.0


def test_second_pass_is_about_the_first_pass_paragraphs() -> None:
    first = {(r["file"], r["page"], r["para"]): r for r in map(json.loads, FIRST.read_text().splitlines())}
    second = [json.loads(line) for line in SECOND.read_text().splitlines()]
    assert len(second) >= 300
    for r in second:
        f = first[(r["file"], r["page"], r["para"])]
        assert f["prefix"] == r["prefix"] and f["symbol"] == r["symbol"]
        assert 3 <= len(r["note"].split()) <= 30
    table = {t["label"]: t for t in agreement(pairs())}
    assert set(table) >= {"RF1", "RF14", "any"} and table["any"]["first"] > 0


def test_a_locator_pointing_at_another_paragraph_is_refused(tmp_path) -> None:
    r = json.loads(SECOND.read_text().splitlines()[0])
    r["prefix"] = "not this paragraph at all"
    bad = tmp_path / "pass2.jsonl"
    bad.write_text(json.dumps(r) + "\n")
    with pytest.raises(ValueError, match="prefixes differ"):
        pairs(FIRST, bad)
