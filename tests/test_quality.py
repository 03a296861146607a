"""Trustworthy classifiers: calibration, evaluation report, fairness, reviews -> training, promotion
gate, active-learning queues. Uses the session model from conftest (trained once, 3 folds)."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from training.evaluate import expected_calibration_error, write_report
from training.fairness import TARGET, counterfactuals, flip_rate, load_names, mentions, swap_names
from training.train import active_on_split, load_corpus, load_test_ids
from triage.analyse.registry import load_model, read_card, read_registry, regressions, save_model, split_note
from triage.cli import app
from triage.framework import LABELS

runner = CliRunner()


def _test_records(cfg):  # type: ignore[no-untyped-def]
    ids = load_test_ids(cfg.corpus_dir)
    return [r for r in load_corpus(cfg.corpus_dir) if r["id"] in ids]


def _toml(cfg, tmp_path: Path, models_dir: Path | None = None) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "triage.toml"
    path.write_text(f'models_dir = "{models_dir or cfg.models_dir}"\n')
    return str(path)


# -- calibration -----------------------------------------------------------------------------
def test_ece_is_small_for_calibrated_scores_and_large_for_overconfident_ones() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20000)
    y = rng.uniform(0, 1, 20000) < p  # outcomes drawn with exactly the stated probability
    good, curve = expected_calibration_error(y, p)
    bad, _ = expected_calibration_error(y, np.clip(p * 1.8, 0, 1))
    assert good < 0.02 and bad > 0.1
    assert sum(c["count"] for c in curve) == 20000


@pytest.mark.slow
def test_the_trained_model_is_calibrated_and_its_card_has_every_figure(trained_config) -> None:  # type: ignore[no-untyped-def]
    card = read_card(trained_config.models_dir)
    test = card["frozen_test"]
    assert test["ece"] <= 0.05  # the target, on passages the model never saw
    assert card["calibration"]["cv_ece_calibrated"] < card["calibration"]["cv_ece_raw"]
    assert set(LABELS) <= set(test["at_thresholds"]) and 0 < test["at_thresholds"]["macro_f1"] < 1
    assert test["indicator_top3"]["hit_rate"] > test["indicator_top3"]["chance"]
    assert test["recall_cost"]["precision_at_0.5"] >= test["recall_cost"]["precision_at_thresholds"]
    assert test["fairness"]["label_flip_rate"] <= TARGET
    if card["data"]["real_paragraphs"]:
        # The first stage filters passages: it lets FLAG_SHARE of real held-out paragraphs through and the
        # labels' thresholds drop some more; the cut it learnt is stored with the model.
        assert card["features"]["gate"] == "filter" and card["features"]["gate_threshold"] > 0
        assert 0.05 < card["real_validation"]["flagged_share"] <= card["features"]["flag_share"] + 0.05
        assert card["threshold_rule"] == "f1"
        # Its trade-off is shown over the cut: letting more paragraphs through flags more of them.
        curve = card["real_validation"]["tradeoff"]
        assert all("gate_share" in t for t in curve) and curve[0]["flagged_share"] < curve[-1]["flagged_share"]
    folder = Path(trained_config.models_dir) / card["version"]
    assert (folder / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((folder / "evaluation.json").read_text())["model_version"] == card["version"]


@pytest.mark.slow
def test_evaluate_command_writes_json_table_and_plot(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report"
    result = runner.invoke(app, ["evaluate", "--out", str(out), "--config", _toml(trained_config, tmp_path)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "ECE" in result.output
    data = json.loads((out / "evaluation.json").read_text())
    assert data["passages"] == len(load_test_ids(trained_config.corpus_dir))
    assert all(data["at_thresholds"][lab]["support"] > 0 for lab in LABELS)
    assert data["confusion"]["matrix"]["RF10"]["RF9"] >= 0
    table = (out / "evaluation.md").read_text()
    assert "| RF14 |" in table and "ECE" in table
    assert (out / "reliability.png").stat().st_size > 1000


def test_write_report_without_fairness_still_writes_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = {"model_version": "vX", "passages": 1, "thresholds": dict.fromkeys(LABELS, 0.5),
              "at_thresholds": {**{lab: {"precision": 1, "recall": 1, "f1": 1, "support": 1} for lab in LABELS},
                                "macro_precision": 1, "macro_recall": 1, "macro_f1": 1},
              "calibration": {"ece": 0.1, "bins": 10, "per_label_ece": dict.fromkeys(LABELS, 0.1),
                              "reliability": [{"mean_score": 0.5, "observed": 0.4, "count": 3}]},
              "confusion": {"worst_pairs": []}, "indicator_top3": {"hit_rate": None, "pairs": 0}}
    result["at_0.5"] = result["at_thresholds"]
    paths = write_report(result, tmp_path)
    assert {p.name for p in paths} == {"evaluation.json", "evaluation.md", "reliability.png"}


# -- fairness --------------------------------------------------------------------------------
def test_name_lists_are_large_and_swaps_change_only_names() -> None:
    names = load_names()
    assert len(names["groups"]) >= 60 and len(names["countries"]) >= 40
    text = "Militia fighters attacked Masalit villages in Sudan; Masalit families fled to Chad."
    swapped = swap_names(text, random.Random(1))
    assert "Masalit" not in swapped and "Sudan" not in swapped
    found = mentions(swapped)
    assert len(found["groups"]) == 1 and swapped.count(found["groups"][0]) == 2  # one name, both mentions
    assert swapped.split()[0:3] == text.split()[0:3]
    assert counterfactuals([{"text": "No names here at all."}]) == []


def test_unlisted_names_are_masked_so_they_cannot_move_a_score() -> None:
    from triage.analyse.classify import fit_model

    texts = ["Soldiers burned the villages of the farmers and shot them.", "Fighters shot civilians near the river.",
             "Radio hosts called the herders vermin to be cleared.", "The market reopened and trade resumed.",
             "Officials opened a new school for the children.", "The harvest was good this year in the valley.",
             "Militias shot farmers and burned houses.", "The choir sang at the festival."] * 2
    labels = [["RF7"], ["RF7"], ["RF9"], [], [], [], ["RF7"], []] * 2
    model = fit_model(texts, labels, mask_unknown_names="never-lower")
    # Neither name is listed nor ever written in lower case in training: both become the same placeholder.
    a, b = (model.score_matrix([f"The militias shot {name} farmers near the river."]) for name in ("Zande", "Mixtec"))
    assert np.array_equal(a, b)
    # An ordinary word that training saw in lower case still counts, capitalised or not.
    c = model.score_matrix(["The militias shot Farmers near the river."])
    d = model.score_matrix(["The militias shot Herders near the river."])
    assert not np.array_equal(c, d)
    unseen = fit_model(texts, labels, mask_unknown_names="unseen")  # masks only words training never saw
    assert np.array_equal(*(unseen.score_matrix([f"The militias shot {n} farmers."]) for n in ("Zande", "Mixtec")))
    assert not np.array_equal(*(unseen.score_matrix([f"The militias shot {n}."]) for n in ("Farmers", "Herders")))
    plain = fit_model(texts, labels)  # the default masks listed names only
    assert not np.array_equal(*(plain.score_matrix([f"The militias shot {n} farmers."]) for n in ("Zande", "Mixtec")))


@pytest.mark.slow
def test_swapping_group_and_country_names_rarely_flips_a_label(trained_config) -> None:  # type: ignore[no-untyped-def]
    model = load_model(trained_config.models_dir)
    sample = [r for r in _test_records(trained_config) if any(mentions(r["text"]).values())]
    sample = random.Random(0).sample(sample, min(60, len(sample)))
    result = flip_rate(model, sample, variants=2, seed=1, held_out=False)
    assert result["flagged_variants"] > 0 and result["unflagged_variants"] > 0  # both kinds were tried
    assert result["label_flip_rate"] <= TARGET


# -- reviews -> training, promotion gate -----------------------------------------------------
@pytest.fixture
def reviewed_store(pipeline, tmp_path):  # type: ignore[no-untyped-def]
    from triage.store import open_store

    src = tmp_path / "report.txt"
    src.write_text(
        "Armed men attacked the camp at dawn, burned shelters and shot residents as they fled towards the river.\n\n"
        "The regional football league final drew a record crowd; fans celebrated peacefully late into the night.\n\n"
        "Local officials broadcast calls on the radio to drive out the newcomers, calling them vermin to be cleared.\n",
        encoding="utf-8",
    )
    result = pipeline.process_file(src)
    store = open_store(tmp_path / "r.db")
    store.save_result(result)
    yield store, result
    store.close()


@pytest.mark.slow
def test_reviews_become_examples_and_change_the_retrained_model(trained_config, reviewed_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from training.reviews import review_examples
    from training.train import train

    store, result = reviewed_store
    assert result.flags, "the text should raise at least one flag"
    flag_id = store.flags(result.document.id)[0]["id"]
    first = store.flags(result.document.id)[0]
    pid, label = first["passage_id"], first["label"]
    store.add_review(flag_id, "reject", "amina")
    others = [f for f in store.flags(result.document.id) if f["id"] != flag_id]
    for f in others[:1]:
        store.add_review(f["id"], "relabel", "tomas", labels=["RF12"])
    examples = review_examples(store)
    by_id = {e["id"]: e for e in examples}
    rejected = by_id[f"review:{pid}"]
    assert label not in rejected["labels"] and rejected["source"] in ("review:amina", "review:tomas")
    if others:
        assert "RF12" in by_id[f"review:{others[0]['passage_id']}"]["labels"]
    assert review_examples(store, exclude_texts=[rejected["text"]]) != examples  # test texts never leak

    # A small corpus keeps this quick: the same records with and without the reviews, so only they differ.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(trained_config.framework_path, corpus / "framework.yaml")
    records = load_corpus(trained_config.corpus_dir)
    test_ids = load_test_ids(trained_config.corpus_dir)
    small = [r for r in records if r["id"] not in test_ids][:400] + [r for r in records if r["id"] in test_ids][:60]
    (corpus / "passages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in small))
    (corpus / "test_ids.txt").write_text("".join(r["id"] + "\n" for r in small[400:]))
    models = tmp_path / "models"
    cfg = replace(trained_config, models_dir=models, corpus_dir=corpus)
    quiet = {"folds": 2, "log": lambda *_: None, "fairness": False}
    v_old, _ = train(cfg, **quiet)
    version, card = train(cfg, extra=examples * 3, **quiet)
    old, new = load_model(models, v_old), load_model(models, version)
    j = LABELS.index(label)
    text = rejected["text"]
    assert new.raw_score_matrix([text])[0, j] < old.raw_score_matrix([text])[0, j] - 0.02
    assert card["data"]["from_reviews"] == len(examples) * 3 and "review:amina" in card["data"]["review_sources"]
    assert any(h["action"] == "register" and h["version"] == version for h in read_registry(models)["history"])


def test_regressions_name_what_got_worse() -> None:
    def card(f1: float, r1: float, ece: float) -> dict:
        return {"frozen_test": {"ece": ece, "at_thresholds": {"macro_f1": f1, "RF1": {"recall": r1}}}}

    assert regressions(card(0.6, 0.9, 0.02), card(0.6, 0.9, 0.02)) == []
    worse = regressions(card(0.5, 0.7, 0.08), card(0.6, 0.9, 0.02))
    assert any("macro-F1" in w for w in worse) and any("RF1 recall" in w for w in worse)
    assert any("ECE" in w for w in worse)
    assert regressions({}, card(0.6, 0.9, 0.02)) == []  # nothing to compare with


def test_regressions_compare_the_labels_a_reviewer_is_shown_when_both_cards_have_them() -> None:
    def card(over_threshold: float, decided: float) -> dict:
        return {"frozen_test": {"at_thresholds": {"macro_f1": 0.5, "RF1": {"recall": over_threshold}},
                                "at_decision": {"macro_f1": 0.5, "RF1": {"recall": decided}}}}

    # A higher threshold (another rule) loses recall over threshold but none among the labels kept: not worse.
    assert regressions(card(0.6, 0.7), card(0.9, 0.7)) == []
    assert any("RF1 recall 0.700 -> 0.500" in w for w in regressions(card(0.9, 0.5), card(0.9, 0.7)))
    # An older card holds only the figures over threshold: those are compared.
    old = {"frozen_test": {"at_thresholds": {"macro_f1": 0.5, "RF1": {"recall": 0.9}}}}
    assert any("RF1 recall 0.900 -> 0.600" in w for w in regressions(card(0.6, 0.7), old))


def test_a_labels_recall_may_fall_within_its_noise_but_not_beyond() -> None:
    def card(hits: int, support: int) -> dict:
        recall = round(hits / support, 3)
        return {"frozen_test": {"at_thresholds": {"macro_f1": 0.5, "RF11": {"recall": recall, "support": support}}}}

    # 30 test positives at recall 0.9: two standard errors are 0.11, so three passages are noise, four are not.
    assert regressions(card(24, 30), card(27, 30)) == []
    assert any("RF11 recall" in w for w in regressions(card(23, 30), card(27, 30)))
    # Many positives: the tolerance does not shrink below the flat 0.05 (9 of 200 passes, 13 does not).
    assert regressions(card(181, 200), card(190, 200)) == []
    assert any("RF11 recall" in w for w in regressions(card(177, 200), card(190, 200)))
    # A card without supports (older cards) keeps the flat tolerance.
    assert any("RF1 recall" in w for w in regressions(
        {"frozen_test": {"at_thresholds": {"macro_f1": 0.5, "RF1": {"recall": 0.8}}}},
        {"frozen_test": {"at_thresholds": {"macro_f1": 0.5, "RF1": {"recall": 0.9}}}}))


def test_split_note_says_when_two_cards_were_graded_on_different_splits() -> None:
    def card(passages: int, split: str = "") -> dict:
        return {"frozen_test": {"passages": passages, **({"split": split} if split else {})}}

    assert split_note(card(444, "a"), card(444, "a")) == ""
    assert "588 and 444 passages" in split_note(card(588, "b"), card(444, "a"))
    assert split_note(card(444, "b"), card(444, "a")) != ""  # same size, other passages
    assert split_note(card(588), card(444)) != "" and split_note(card(444), card(444)) == ""  # older cards
    assert split_note({}, card(444)) == ""


@pytest.mark.slow
def test_the_promotion_check_grades_the_active_model_on_the_current_split(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    test_ids = load_test_ids(trained_config.corpus_dir)
    test = [r for r in load_corpus(trained_config.corpus_dir) if r["id"] in test_ids]
    card = read_card(trained_config.models_dir)
    assert active_on_split(trained_config, test) == card  # measured on this split: the card is used as it is
    # A card from before at_decision existed is graded again, so both sides are compared at their decisions.
    models = tmp_path / "models"
    shutil.copytree(trained_config.models_dir, models)
    older = {**card, "frozen_test": {k: v for k, v in card["frozen_test"].items() if k != "at_decision"}}
    (models / card["version"] / "card.json").write_text(json.dumps(older))
    again = active_on_split(replace(trained_config, models_dir=models), test)["frozen_test"]
    assert again["at_decision"] == card["frozen_test"]["at_decision"]
    # The split grew (or, here, changed): the active model is graded again on the passages the candidate gets.
    half = test[::2]
    again = active_on_split(trained_config, half)["frozen_test"]["at_thresholds"]
    assert again["RF1"]["support"] == sum("RF1" in r["labels"] for r in half)
    assert again["RF1"]["support"] != card["frozen_test"]["at_thresholds"]["RF1"]["support"]


def _copy_of_models(trained_config, tmp_path: Path) -> tuple[Path, str, dict]:  # type: ignore[no-untyped-def]
    """A copy of the trained models folder to change freely: (folder, active version, its card)."""
    models = tmp_path / "models"
    shutil.copytree(trained_config.models_dir, models)
    active = read_registry(models)["active"]
    return models, active, read_card(models, active)


@pytest.mark.slow
def test_promote_refuses_a_worse_model_unless_forced(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    models, active, good = _copy_of_models(trained_config, tmp_path)
    worse_card = json.loads(json.dumps(good))
    worse_card["frozen_test"]["at_decision"]["macro_f1"] -= 0.1
    worse_card["frozen_test"]["at_decision"]["RF10"]["recall"] -= 0.2
    model = load_model(models)
    model.version = ""
    v2 = save_model(model, worse_card, models, activate=False)
    cfg = _toml(trained_config, tmp_path, models)

    refused = runner.invoke(app, ["models", "promote", v2, "--config", cfg])
    assert refused.exit_code != 0
    assert "macro-F1" in str(refused.exception) and "RF10 recall" in str(refused.exception)
    reg = read_registry(models)
    assert reg["active"] == active and reg["history"][-1]["action"] == "refused"

    unexplained = runner.invoke(app, ["models", "promote", v2, "--force", "--config", cfg])
    assert unexplained.exit_code != 0 and "--reason" in str(unexplained.exception)
    assert read_registry(models)["active"] == active

    forced = runner.invoke(app, ["models", "promote", v2, "--force", "--reason", "RF10 traded for precision",
                                 "--config", cfg])
    assert forced.exit_code == 0, forced.output
    reg = read_registry(models)
    note = reg["history"][-1]["note"]
    assert reg["active"] == v2 and "forced" in note and "RF10 recall" in note and "RF10 traded" in note


@pytest.mark.slow
def test_train_activate_force_needs_a_reason_to_replace_a_better_model(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from training.train import train

    models, active, card = _copy_of_models(trained_config, tmp_path)
    card["frozen_test"]["at_decision"]["macro_f1"] = 0.99  # no retraining can match this
    (models / active / "card.json").write_text(json.dumps(card))
    cfg = replace(trained_config, models_dir=models)
    lines: list[str] = []
    quick = {"folds": 2, "fairness": False, "use_real": False, "log": lines.append}

    unexplained, _ = train(cfg, activate=True, force=True, **quick)
    assert read_registry(models)["active"] == active
    assert any(line.startswith(f"Not activated: {unexplained}") and "--reason" in line for line in lines)

    forced, _ = train(cfg, activate=True, force=True, reason="a test of the rule", **quick)
    reg = read_registry(models)
    assert reg["active"] == forced and reg["history"][-1]["action"] == "promote"
    assert "macro-F1" in reg["history"][-1]["note"] and "Reason: a test of the rule" in reg["history"][-1]["note"]


# -- active learning -------------------------------------------------------------------------
@pytest.mark.slow
def test_queues_serve_uncertain_and_random_unflagged_passages(trained_config, reviewed_store) -> None:  # type: ignore[no-untyped-def]
    store, result = reviewed_store
    thresholds = read_card(trained_config.models_dir)["thresholds"]
    rows = store.uncertain_passages(thresholds, 2)
    assert 1 <= len(rows) <= 2
    scores = {p.passage_id: dict(p.scores) for p in result.predictions}
    margins = sorted(min(abs(s[lab] - thresholds[lab]) for lab in LABELS) for s in scores.values())
    assert [r["margin"] for r in rows] == pytest.approx(margins[: len(rows)])
    flagged = {f.passage_id for f in result.flags}
    unflagged = store.random_unflagged_passages(10)
    assert {r["id"] for r in unflagged} == {p.id for p in result.passages} - flagged

    store.add_review(store.flags(result.document.id)[0]["id"], "accept", "amina")
    reviewed = store.flags(result.document.id)[0]["passage_id"]
    assert reviewed not in {r["id"] for r in store.uncertain_passages(thresholds, 10)}


def test_the_first_stage_learns_from_real_paragraphs_or_from_all() -> None:
    import numpy as np

    from training.train import gate_rows

    is_real = np.array([True, False, True])
    assert gate_rows(is_real, "real") == [True, False, True]
    assert gate_rows(is_real, "all") == [True, True, True]
    with pytest.raises(ValueError, match="gate_on"):
        gate_rows(is_real, "written")
