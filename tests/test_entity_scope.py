"""The NER runs where a reviewer will read entities (flagged passages); every other passage gets the
gazetteer, and an export tags what it needs before it shows or withholds names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from triage.errors import TriageError
from triage.read.extract import extract_document
from triage.review.export import REDACTED, export_rows
from triage.service import tag_stored
from triage.store import open_store

pytestmark = pytest.mark.slow
DEMO = Path(__file__).parents[1] / "demo" / "reports"

# A report whose last paragraph is routine news naming a person: the model should not flag it, so under
# entity_scope "flagged" only the gazetteer reads it.
REPORT = (
    "Armed men from the militia burned three villages near Kidal, Mali, and executed eleven civilians "
    "accused of supporting the rebels; survivors said the attackers singled out Tuareg families.\n\n"
    "Local radio called for the expulsion of the Fulani community and described them as vermin, while "
    "leaflets listed the names of families to be driven out before the elections.\n\n"
    "The regional library in Kayes reopened on Monday after repairs to its roof. Its director, Mariam "
    "Coulibaly, thanked the volunteers who catalogued the donated books and repainted the reading room."
)


def _doc():  # type: ignore[no-untyped-def]
    return extract_document("report.txt", data=REPORT.encode(), source="report.txt")


def test_flagged_passages_get_the_same_entities_and_every_passage_keeps_its_countries(pipeline) -> None:  # type: ignore[no-untyped-def]
    docs = [extract_document(p) for p in sorted(DEMO.glob("*.md"))] + [_doc()]
    for doc in docs:
        full = pipeline.analyse(doc, entity_scope="all")
        lean = pipeline.analyse(doc, entity_scope="flagged")
        flagged = {f.passage_id for f in lean.flags}
        assert full.untagged == frozenset()
        assert lean.untagged == {p.id for p in lean.passages} - flagged
        assert [f.id for f in lean.flags] == [f.id for f in full.flags]  # classification does not read entities
        for a, b in zip(full.passages, lean.passages, strict=True):
            if a.id in flagged:
                assert b.entities == a.entities
            else:  # the gazetteer's finds are a subset of the full run's, and every country is among them
                assert set(b.entities) <= set(a.entities)
                assert {e.norm for e in b.entities if e.norm} == {e.norm for e in a.entities if e.norm}
    assert any(lean.untagged for lean in [pipeline.analyse(d) for d in docs])


def test_an_export_tags_what_the_run_left_and_withholds_the_names_there(pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = pipeline.analyse(_doc(), entity_scope="flagged")
    library = next(p for p in result.passages if "library" in p.text)
    assert library.id in result.untagged  # the premise: the routine paragraph was not flagged
    assert not any(e.label == "PERSON" for e in library.entities)
    with open_store(tmp_path / "t.db") as store:
        store.save_result(result)
        assert {p.id for p in store.untagged_passages()} == set(result.untagged)
        assert store.untagged_passages(flagged_only=True) == []
        with pytest.raises(TriageError, match="cannot be withheld"):
            export_rows(store, redact_people=True)
        # Flagged passages had the NER already: their export needs no tagging and may redact.
        assert len(export_rows(store, flagged_only=True, redact_people=True)) == len({f.passage_id for f in result.flags})

        labels = pipeline.config.entity_labels
        assert tag_stored(store, store.untagged_passages(), pipeline.nlp, labels) == len(result.untagged)
        assert store.untagged_passages() == []
        assert tag_stored(store, store.untagged_passages(), pipeline.nlp, labels) == 0
        full = {p.id: p.entities for p in pipeline.analyse(_doc(), entity_scope="all").passages}
        assert {p.id: p.entities for p in store.passages(result.document.id)} == full
        rows = export_rows(store, redact_people=True)
    [row] = [r for r in rows if r["passage_id"] == library.id]
    assert "Coulibaly" not in row["text"] + row["entities"] and REDACTED in row["text"]


def test_a_new_model_that_flags_an_untagged_passage_tags_it(pipeline) -> None:  # type: ignore[no-untyped-def]
    result = pipeline.analyse(_doc(), entity_scope="flagged")
    eager = replace(pipeline, model=replace(pipeline.model, thresholds={k: 0.0 for k in pipeline.model.thresholds}))
    again = eager.reclassify(result.document, result.passages, result.untagged)
    assert again.untagged == frozenset()
    full = pipeline.analyse(_doc(), entity_scope="all")
    assert [p.entities for p in again.passages] == [p.entities for p in full.passages]


def test_triage_export_tags_the_passages_it_needs_by_itself(pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from triage.cli import app

    db, out = tmp_path / "t.db", tmp_path / "all.csv"
    with open_store(db) as store:
        store.save_result(pipeline.analyse(_doc(), entity_scope="flagged"))
    run = CliRunner().invoke(app, ["export", "--db", str(db), "--out", str(out), "--redact-people"])
    assert run.exit_code == 0, run.output
    written = out.read_text(encoding="utf-8-sig")
    assert "Coulibaly" not in written and REDACTED in written
    with open_store(db) as store:
        assert store.untagged_passages() == []
