"""The labelled corpus stays honest: valid, no templates or near-duplicates, big enough, split frozen."""

from __future__ import annotations

from collections import Counter

import pytest

from training.check_corpus import duplicate_problems, schema_problems
from training.train import load_corpus, load_test_ids
from triage.config import load_config
from triage.framework import LABELS, load_framework

CFG = load_config()


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return load_corpus(CFG.corpus_dir)


def test_every_record_is_valid(corpus) -> None:  # type: ignore[no-untyped-def]
    problems = [p for n, r in enumerate(corpus, 1) for p in schema_problems(r, f"line {n}")]
    assert problems == []


def test_indicators_exist_in_the_framework(corpus) -> None:  # type: ignore[no-untyped-def]
    known = {i.id for i in load_framework(CFG.framework_path).indicators}
    unknown = {i for r in corpus for i in r["indicators"]} - known
    assert unknown == set()


def test_no_templates_or_near_duplicates(corpus) -> None:  # type: ignore[no-untyped-def]
    assert duplicate_problems(corpus) == []


def test_the_duplicate_check_would_catch_a_template() -> None:
    a = {"id": "a", "text": "On 3 May armed men attacked the village of Kora and burned forty houses before dawn."}
    b = {"id": "b", "text": "On 3 May armed men attacked the village of Lida and burned forty houses before dawn."}
    c = {"id": "c", "text": "Teachers in the district received new books. The armed men attacked the village of Kora."}
    problems = duplicate_problems([a, b, c])
    assert any("a and b" in p for p in problems)
    assert not any(p.startswith(("a and c", "b and c")) for p in problems), problems


def test_enough_examples_of_every_label_and_of_none(corpus) -> None:  # type: ignore[no-untyped-def]
    per = Counter(lab for r in corpus for lab in r["labels"])
    assert all(per[lab] >= 25 for lab in LABELS), per
    negatives = [r for r in corpus if not r["labels"]]
    assert len(negatives) >= 150
    assert len({r["country"] for r in corpus if r["country"]}) >= 20
    assert sum(1 for r in corpus if r["lang"] == "fr") >= 30
    multi = sum(1 for r in corpus if len(r["labels"]) >= 2)
    assert multi >= 100, "real reports carry several risk factors per passage"


def test_the_frozen_test_split_covers_every_label_and_never_trains(corpus) -> None:  # type: ignore[no-untyped-def]
    test_ids = load_test_ids(CFG.corpus_dir)
    ids = {r["id"] for r in corpus}
    assert test_ids and test_ids <= ids
    for lab in LABELS:
        total = sum(1 for r in corpus if lab in r["labels"])
        held = sum(1 for r in corpus if lab in r["labels"] and r["id"] in test_ids)
        assert held >= 0.2 * total, (lab, held, total)
    # No test passage's text appears among the training passages either (copies under another id).
    train_texts = {" ".join(r["text"].lower().split()) for r in corpus if r["id"] not in test_ids}
    assert not [r["id"] for r in corpus if r["id"] in test_ids and " ".join(r["text"].lower().split()) in train_texts]
