"""The real-report loader: locators resolve through our extractor, stale locators fail loudly, and evaluation
documents are refused however they are offered."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.pdfgen import PageSpec, make_pdf, para
from training.real_corpus import (
    LOCATORS,
    RealCorpusError,
    load_locators,
    load_real_corpus,
    prefix_of,
    read_paragraphs,
    refuse_evaluation_files,
    symbol_of,
)
from triage.config import ROOT, load_config

ATTACK = ("On 3 March, armed men of a local militia attacked the market of a river town, killing eleven civilians "
          "and burning forty shops, according to witnesses interviewed by the mission.")
BUDGET = ("The Committee recommends approval of the proposed resources for the biennium, amounting to a total of "
          "four million dollars before recosting, for the staffing table described below.")


def _report(folder: Path, name: str = "S_2099_1.en.pdf", *, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / name
    make_pdf(pdf, [PageSpec([para(ATTACK), para(BUDGET + extra)])])
    return pdf


def _locators(corpus: Path, pdf: Path, cache: Path, *, labels: list[list[str]] | None = None) -> list[dict]:
    paras = read_paragraphs(pdf, cache_dir=cache)
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    rows = []
    for k, ((page, idx), text) in enumerate(sorted(paras.items())):
        rows.append({"symbol": symbol_of(pdf.name), "file": pdf.name, "sha256": digest, "page": page, "para": idx,
                     "prefix": prefix_of(text), "labels": (labels or [["RF13"], []])[k % 2], "indicators": [],
                     "note": "test locator", **({"neg": "budget"} if k % 2 else {})})
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "corpus" / "framework.yaml", corpus / "framework.yaml")
    (corpus / LOCATORS).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


def test_locators_resolve_to_the_paragraphs_through_the_extractor(tmp_path: Path) -> None:
    pdf = _report(tmp_path / "reports")
    rows = _locators(tmp_path / "corpus", pdf, tmp_path / "cache")
    cfg = load_config(corpus_dir=tmp_path / "corpus", real_reports_dir=str(tmp_path / "reports"))
    recs = load_real_corpus(cfg, cache_dir=tmp_path / "cache", log=lambda *_: None)
    assert len(recs) == len(rows) == 2
    assert "militia attacked the market" in recs[0]["text"] and recs[0]["labels"] == ["RF13"]
    assert "biennium" in recs[1]["text"] and recs[1]["labels"] == []
    assert {r["group"] for r in recs} == {"S/2099/1"} and all(r["source"] == "un-reports" for r in recs)
    # The committed locator file holds no document sentence: the prefix is all it keeps of the text.
    assert all("attacked the market" not in line for line in (tmp_path / "corpus" / LOCATORS).read_text().splitlines())


def test_a_locator_that_no_longer_matches_fails_loudly(tmp_path: Path) -> None:
    pdf = _report(tmp_path / "reports")
    rows = _locators(tmp_path / "corpus", pdf, tmp_path / "cache")
    rows[1]["prefix"] = "Something else entirely."
    (tmp_path / "corpus" / LOCATORS).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cfg = load_config(corpus_dir=tmp_path / "corpus", real_reports_dir=str(tmp_path / "reports"))
    with pytest.raises(RealCorpusError, match="no longer matches"):
        load_real_corpus(cfg, cache_dir=tmp_path / "cache", log=lambda *_: None)
    rows[1]["para"] = 40  # a paragraph the page does not have
    rows[1]["prefix"] = rows[0]["prefix"]
    (tmp_path / "corpus" / LOCATORS).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(RealCorpusError, match="no such paragraph"):
        load_real_corpus(cfg, cache_dir=tmp_path / "cache", log=lambda *_: None)


def test_a_changed_pdf_fails_loudly(tmp_path: Path) -> None:
    pdf = _report(tmp_path / "reports")
    _locators(tmp_path / "corpus", pdf, tmp_path / "cache")
    make_pdf(pdf, [PageSpec([para(BUDGET), para(ATTACK)])])
    cfg = load_config(corpus_dir=tmp_path / "corpus", real_reports_dir=str(tmp_path / "reports"))
    with pytest.raises(RealCorpusError, match="has changed"):
        load_real_corpus(cfg, cache_dir=tmp_path / "cache", log=lambda *_: None)


def test_without_the_reports_folder_training_says_so_in_one_line(tmp_path: Path) -> None:
    pdf = _report(tmp_path / "reports")
    _locators(tmp_path / "corpus", pdf, tmp_path / "cache")
    lines: list[str] = []
    cfg = load_config(corpus_dir=tmp_path / "corpus", real_reports_dir=str(tmp_path / "nowhere"))
    assert load_real_corpus(cfg, cache_dir=tmp_path / "cache", log=lines.append) == []
    assert len(lines) == 1 and "corpus/ and reviews only" in lines[0]


def test_the_loader_refuses_evaluation_files(tmp_path: Path) -> None:
    evaldata = tmp_path / "evaldata"
    pdfs = evaldata / "pdfs"
    held = _report(pdfs, "X_1.en.pdf")
    (evaldata / "labeled").mkdir()
    (evaldata / "labeled" / "events.tsv").write_text("id\ttext\n1\tsomething happened\n", encoding="utf-8")
    # Inside the evaluation folder, whatever its name.
    with pytest.raises(RealCorpusError, match="evaluation data"):
        refuse_evaluation_files([held], evaldata=evaldata)
    with pytest.raises(RealCorpusError, match="evaluation data"):
        refuse_evaluation_files([evaldata / "labeled" / "events.tsv"], evaldata=evaldata)
    # A byte-for-byte copy elsewhere.
    copy = tmp_path / "pool" / "S_2099_7.en.pdf"
    copy.parent.mkdir()
    shutil.copy(held, copy)
    with pytest.raises(RealCorpusError, match="copy of a file"):
        refuse_evaluation_files([copy], evaldata=evaldata)
    # One of the six evaluation reports by its UN symbol, even re-saved with other bytes.
    renamed = _report(tmp_path / "pool2", "S_2025_239.en.pdf")
    with pytest.raises(RealCorpusError, match="evaluation-only"):
        refuse_evaluation_files([renamed], evaldata=evaldata)
    refuse_evaluation_files([_report(tmp_path / "pool3", extra=" Other words.")], evaldata=evaldata)  # an ordinary report passes


def test_load_real_corpus_refuses_a_reports_folder_inside_evaldata(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    evaldata = tmp_path / "evaldata"
    pdf = _report(evaldata / "pdfs")
    _locators(tmp_path / "corpus", pdf, tmp_path / "cache")
    monkeypatch.setenv("TRIAGE_EVALDATA", str(evaldata))
    cfg = load_config(corpus_dir=tmp_path / "corpus", real_reports_dir=str(evaldata / "pdfs"))
    with pytest.raises(RealCorpusError, match="never trained on"):
        load_real_corpus(cfg, cache_dir=tmp_path / "cache", log=lambda *_: None)


def test_the_shipped_locators_never_point_at_evaluation_documents_and_hold_no_text() -> None:
    locs = load_locators(ROOT / "corpus")
    assert len(locs) >= 500
    assert not {loc.symbol for loc in locs} & {"A/80/36", "S/2025/239", "S/2025/356", "S/2025/383", "S/2025/389",
                                               "S/2025/504"}
    assert all(len(loc.prefix) <= 24 and len(loc.note.split()) <= 30 for loc in locs)
    assert all(not loc.labels or loc.neg == "" for loc in locs) and all(loc.labels or loc.neg for loc in locs)


def test_the_shipped_locators_match_the_real_reports(shared_dir: Path) -> None:
    """Every committed locator still finds its paragraph in ../shared/un-reports (the slow part is cached)."""
    cfg = replace(load_config(), real_reports_dir=str(shared_dir / "un-reports"))
    recs = load_real_corpus(cfg, log=lambda *_: None)
    assert len(recs) == len(load_locators(ROOT / "corpus"))


def test_no_note_copies_six_words_of_its_paragraph(shared_dir: Path) -> None:
    """The notes are our own words: none shares a six-word run with the paragraph it describes (both passes)."""

    def runs(text: str) -> set[tuple[str, ...]]:
        w = re.findall(r"\w+", text.lower())
        return {tuple(w[i : i + 6]) for i in range(len(w) - 5)}

    pages: dict[str, dict[tuple[int, int], str]] = {}
    copied = []
    for name in ("real_labels.jsonl", "real_labels_pass2.jsonl"):
        for line in (ROOT / "corpus" / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["file"] not in pages:
                pages[r["file"]] = read_paragraphs(shared_dir / "un-reports" / r["file"])
            if runs(r["note"]) & runs(pages[r["file"]][(r["page"], r["para"])]):
                copied.append(f"{name}: {r['symbol']} p{r['page']} ¶{r['para']}")
    assert not copied, copied


def test_same_as_grades_only_the_paragraphs_an_earlier_corpus_held(tmp_path: Path) -> None:
    from training.heldout import same_as_rows

    lines = (ROOT / "corpus" / LOCATORS).read_text(encoding="utf-8").splitlines()
    (tmp_path / LOCATORS).write_text(lines[0] + "\n", encoding="utf-8")
    kept = load_locators(tmp_path)[0].id
    other = next(loc.id for loc in load_locators(ROOT / "corpus") if loc.id != kept)
    records = [{"id": kept}, {"id": other}, {"id": "w1-0001"}]
    assert same_as_rows(records, tmp_path).tolist() == [True, False, False]


def test_another_fold_arrangement_moves_written_passages_but_never_splits_a_document() -> None:
    from training.train import fold_groups

    records = [{"id": f"w-{i}", "text": "", "labels": []} for i in range(200)]
    records += [{"id": f"r-{i}", "text": "", "labels": [], "group": f"doc{i % 7}"} for i in range(70)]
    a, b = fold_groups(records), fold_groups(records, written_groups=37)
    assert len(set(a[:200])) == 40 and len(set(b[:200])) == 37
    assert list(a[200:]) == list(b[200:]) == [f"doc{i % 7}" for i in range(70)]


def test_the_ranking_ceiling_is_average_precision_and_the_best_single_threshold_f1() -> None:
    import numpy as np
    from sklearn.metrics import average_precision_score

    from training.heldout import ranking_ceiling
    from triage.framework import LABELS

    rng = np.random.default_rng(7)
    y = np.zeros((40, len(LABELS)), dtype=bool)
    y[rng.choice(40, 6, replace=False), 0] = True
    scores = np.round(rng.random((40, len(LABELS))), 1)  # ties: no threshold separates equal scores
    scores[y[:, 0], 0] += 0.3
    ceiling = ranking_ceiling(y, scores)
    assert list(ceiling) == [LABELS[0]]  # labels without positives have no ceiling
    assert abs(ceiling[LABELS[0]]["average_precision"] - average_precision_score(y[:, 0], scores[:, 0])) < 1e-9
    best = max(2 * (y[:, 0] & (scores[:, 0] >= t)).sum() / ((scores[:, 0] >= t).sum() + 6) for t in scores[:, 0])
    assert abs(ceiling[LABELS[0]]["best_f1"] - best) < 1e-9
