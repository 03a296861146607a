"""Miss-rate estimate from reviewers' checks of random unflagged passages, in a real SQLite store."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training.reviews import review_examples
from triage.analyse.pipeline import ScanResult
from triage.analyse.registry import save_model
from triage.cli import app
from triage.errors import StoreError
from triage.review.missrate import Z95, card_with_miss_rate, miss_rate, wilson_interval
from triage.store import open_store
from triage.types import Document, Flag, Page, Passage, Prediction

runner = CliRunner()


def _result(n: int, *, flagged: int, version: str, doc: str = "d1") -> ScanResult:
    """A stored-shape document of n passages, the first `flagged` of them flagged RF1 by `version`."""
    texts = [f"Passage number {i} about routine matters in the district." for i in range(n)]
    text = "\n\n".join(texts)
    passages, start = [], 0
    for t in texts:
        passages.append(Passage(doc, start, start + len(t), 1, t))
        start += len(t) + 2
    scores = lambda s: tuple((f"RF{k}", s if k == 1 else 0.01) for k in range(1, 15))  # noqa: E731
    preds = tuple(Prediction(p.id, scores(0.9 if i < flagged else 0.02), ("RF1",) if i < flagged else (),
                             model_version=version) for i, p in enumerate(passages))
    flags = tuple(Flag(p.id, "RF1", 0.9, 0.2, model_version=version) for p in passages[:flagged])
    document = Document(doc, f"{doc}.txt", text, (Page(1, 0, len(text)),), media_type="text/plain")
    return ScanResult(document, tuple(passages), preds, flags, 0.9 if flagged else 0.0, version)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(tmp_path / "t.db")
    s.save_result(_result(60, flagged=5, version="v7"))
    yield s
    s.close()


def test_wilson_interval_matches_its_closed_form_and_covers_the_true_rate() -> None:
    lo, hi = wilson_interval(0, 30)
    assert lo == 0.0 and hi == pytest.approx(Z95**2 / (30 + Z95**2))  # k = 0 has a closed form
    lo, hi = wilson_interval(30, 30)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(30 / (30 + Z95**2))
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(5, 100)[1] - wilson_interval(5, 100)[0] < wilson_interval(1, 20)[1] - wilson_interval(1, 20)[0]
    rng = random.Random(0)
    covered = 0
    for _ in range(2000):
        k = sum(rng.random() < 0.08 for _ in range(50))
        lo, hi = wilson_interval(k, 50)
        covered += lo <= 0.08 <= hi
    assert 0.92 <= covered / 2000 <= 0.99  # a 95% interval covers the true rate about 95% of the time


def test_checks_of_unflagged_passages_estimate_the_miss_rate(store) -> None:  # type: ignore[no-untyped-def]
    unflagged = store.random_unflagged_passages(100)
    assert len(unflagged) == 55
    with pytest.raises(StoreError, match="flagged"):
        store.add_unflagged_check("d1:0-56", "amina")  # the first passage is flagged
    with pytest.raises(StoreError, match="no passage"):
        store.add_unflagged_check("d1:nope", "amina")
    missed_ids = {r["id"] for r in unflagged[:4]}
    for r in unflagged[:40]:
        store.add_unflagged_check(r["id"], "amina", missed=["RF7"] if r["id"] in missed_ids else [])
    # A second look at one passage replaces the first: it is counted once, with the latest verdict.
    store.add_unflagged_check(unflagged[0]["id"], "tomas", missed=["RF7", "RF2"])
    est = miss_rate(store, "v7")
    assert (est["checked"], est["missed"], est["enough"]) == (40, 4, True)
    assert est["rate"] == pytest.approx(0.1)
    assert est["ci95"] == pytest.approx([round(x, 4) for x in wilson_interval(4, 40)])
    assert est["by_label"]["RF7"]["missed"] == 4 and est["by_label"]["RF2"]["missed"] == 1
    assert miss_rate(store, "v8")["checked"] == 0  # checks belong to the model that left the passage unflagged
    # Checked passages leave the random queue, and become training examples with their provenance.
    assert len(store.random_unflagged_passages(100)) == 15
    examples = {e["id"]: e for e in review_examples(store)}
    assert examples[f"review:{unflagged[0]['id']}"]["labels"] == ["RF2", "RF7"]
    assert examples[f"review:{unflagged[-15 - 1]['id']}"]["labels"] == []
    assert any(a["action"] == "unflagged-check" for a in store.audit_log())


def test_card_shows_the_miss_rate_only_once_enough_checks_exist(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sklearn.dummy import DummyClassifier

    from triage.analyse.classify import RiskModel

    models = tmp_path / "models"
    model = RiskModel(features=DummyClassifier(), estimators={}, thresholds={}, version="v7")
    save_model(model, {"frozen_test": {"ece": 0.01}}, models, activate=True)
    (tmp_path / "t.toml").write_text(f'models_dir = "{models}"\n')
    args = ["--config", str(tmp_path / "t.toml"), "--db", str(store.path)]
    unflagged = store.random_unflagged_passages(100)

    for r in unflagged[:3]:
        out = runner.invoke(app, ["check-unflagged", r["id"], "--reviewer", "amina", *args])
        assert out.exit_code == 0, out.output
    shown = json.loads(runner.invoke(app, ["models", "show", *args]).output)
    assert shown["miss_rate"]["checked"] == 3 and not shown["miss_rate"]["enough"] and "rate" not in shown["miss_rate"]

    out = runner.invoke(app, ["check-unflagged", unflagged[3]["id"], "--reviewer", "amina", "--missed", "RF99", *args])
    assert out.exit_code == 2  # unknown risk factor: a usage error, nothing recorded
    for r in unflagged[3:30]:
        runner.invoke(app, ["check-unflagged", r["id"], "--reviewer", "amina", *args])
    out = runner.invoke(app, ["check-unflagged", unflagged[30]["id"], "--reviewer", "amina", "--missed", "rf9", *args])
    assert "miss rate 0.032" in out.output
    card = card_with_miss_rate(models, store)
    assert card["miss_rate"]["enough"] and card["miss_rate"]["missed"] == 1 and card["miss_rate"]["checked"] == 31
    assert json.loads(runner.invoke(app, ["models", "show", *args]).output)["miss_rate"] == card["miss_rate"]
    assert card_with_miss_rate(models, None)["frozen_test"] == {"ece": 0.01}  # no store: the card as saved
