"""Every command: --help with an example, exact exit codes, the stable JSON shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.pdfgen import PageSpec, column_break, make_pdf, para, title
from triage.cli import app
from triage.framework import LABELS

runner = CliRunner()
COMMANDS = [["scan"], ["classify"], ["train"], ["batch"], ["ui"], ["demo"], ["export"],
            ["models"], ["models", "list"], ["models", "show"], ["models", "promote"], ["models", "rollback"],
            ["evaluate"], ["queue"], ["check-unflagged"], ["backup"], ["restore"],
            ["users"], ["users", "add"], ["users", "list"], ["users", "demo"], ["brief"]]


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(cmd: list[str]) -> None:
    result = runner.invoke(app, [*cmd, "--help"])
    assert result.exit_code == 0, result.output
    if cmd not in (["models"], ["users"]):
        assert "Example:" in result.output


def _env(cfg) -> dict[str, str]:  # type: ignore[no-untyped-def]
    path = Path(cfg.db).parent / "triage.toml"
    path.write_text(f'models_dir = "{cfg.models_dir}"\n')
    return {"TRIAGE_CONFIG": str(path), "TRIAGE_DB": cfg.db}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point (python -m triage), as a user would."""
    import os

    return subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


@pytest.mark.slow
def test_classify_writes_the_documented_shape(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    infile = tmp_path / "in.jsonl"
    infile.write_text(
        json.dumps({"id": "a", "text": "Gunmen ambushed a UN convoy and abducted two aid workers."}) + "\n"
        + json.dumps({"id": 7, "text": "The ministry inaugurated a new maternity ward."}) + "\n"
    )
    out = tmp_path / "out.jsonl"
    proc = _run(["classify", str(infile), "--out", str(out)], _env(trained_config))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "7"]
    for r in rows:
        assert set(r) == {"id", "scores", "labels", "indicators"}
        assert list(r["scores"]) == list(LABELS)
        assert set(r["labels"]) <= set(LABELS)
        assert all(set(i) == {"id", "score"} for i in r["indicators"])
    assert "RF14" in rows[0]["labels"]


@pytest.mark.slow
def test_scan_json_prints_columns_in_order_with_pages(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "two-col.pdf"
    make_pdf(pdf, [
        PageSpec([title("Weekly bulletin"),
                  para("Left column first paragraph about shelling of the central market in the town."),
                  column_break(),
                  para("Right column paragraph about a vaccination campaign reaching all districts.")], columns=2),
        PageSpec([para("Second page paragraph about militia recruitment in the border villages.")]),
    ])
    proc = _run(["scan", str(pdf), "--json"], _env(trained_config))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"document", "passages"}
    assert {"id", "source", "pages"} <= set(data["document"]) and data["document"]["pages"] == 2
    texts = [p["text"] for p in data["passages"]]
    joined = " ".join(texts)
    assert joined.index("Left column") < joined.index("Right column") < joined.index("Second page")
    assert data["passages"][-1]["page"] == 2
    for p in data["passages"]:
        assert {"id", "page", "start", "end", "text", "entities", "scores", "labels"} <= set(p)
        assert list(p["scores"]) == list(LABELS)
        for e in p["entities"]:
            assert set(e) == {"text", "label", "start", "end"}
            assert p["text"][e["start"] : e["end"]] == e["text"]

    human = _run(["scan", str(pdf)], _env(trained_config))
    assert human.returncode == 0 and "2 pages" in human.stdout


def test_errors_are_one_clear_line_and_exit_1(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"%PDF-1.4\n1 0 obj <<")  # truncated
    env = {"TRIAGE_CONFIG": "", "TRIAGE_DB": str(tmp_path / "x.db")}
    proc = _run(["scan", str(bad)], {**env})
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: ")
    assert "Traceback" not in proc.stderr
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n")
    proc = _run(["classify", str(junk), "--out", str(tmp_path / "o.jsonl")], env)
    assert proc.returncode == 1 and 'expected a JSON object with "id" and "text"' in proc.stderr


def test_usage_errors_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["scan", str(tmp_path / "missing.pdf")]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


@pytest.mark.slow
def test_batch_stores_resumes_and_reports_bad_files(trained_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_pdf(inbox / "a.pdf", [PageSpec([para("Armed men looted the aid warehouse and beat two guards in the night.")])])
    (inbox / "b.txt").write_text("Gunmen shelled the market and the clinic, killing nine civilians.\n")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    env = _env(trained_config)
    env["TRIAGE_DB"] = str(tmp_path / "batch.db")
    first = _run(["batch", str(inbox)], env)
    assert first.returncode == 1  # one file failed, and the run went on
    assert "2 stored" in first.stdout and "1 failed" in first.stdout and "broken.pdf" in first.stderr
    second = _run(["batch", str(inbox)], env)
    assert "0 stored, 2 already there" in second.stdout
    from triage.store import open_store

    with open_store(env["TRIAGE_DB"]) as store:
        assert len(store.list_documents()) == 2


def test_models_commands(trained_config) -> None:  # type: ignore[no-untyped-def]
    env = _env(trained_config)
    listed = _run(["models", "list"], env)
    assert listed.returncode == 0 and "* v1" in listed.stdout
    card = json.loads(_run(["models", "show"], env).stdout)
    assert card["version"] == "v1" and set(card["thresholds"]) == set(LABELS)
    assert _run(["models", "promote", "v99"], env).returncode == 1


def _one_document_store(path: Path) -> Path:
    """A store holding one small flagged report about Mali (no model needed)."""
    from triage.analyse.flag import document_risk
    from triage.store import open_store
    from triage.types import Document, Entity, Flag, Page, Passage, Prediction, ScanResult

    text = "Gunmen looted an aid convoy near Kidal, Mali, on 3 May 2026 and abducted two drivers."
    doc = Document("b" * 64, "r.txt", text, (Page(1, 0, len(text)),), title="Report")
    passage = Passage(doc.id, 0, len(text), 1, text, (Entity("Mali", "GPE", 40, 44, norm="ML"),))
    pred = Prediction(passage.id, tuple((lab, 0.9 if lab == "RF14" else 0.01) for lab in LABELS), ("RF14",),
                      model_version="v1")
    flags = (Flag(passage.id, "RF14", 0.9, 0.4, model_version="v1"),)
    with open_store(path) as store:
        store.save_result(ScanResult(doc, (passage,), (pred,), flags, document_risk(flags), "v1"))
    return path


def test_export_and_brief_refuse_a_missing_store_and_create_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"TRIAGE_CONFIG": "", "TRIAGE_DB": ""}
    missing = tmp_path / "nowhere.db"
    for args in (["export", "--out", str(tmp_path / "x.csv"), "--db", str(missing)],
                 ["brief", "--country", "ML", "--from", "2026-01-01", "--to", "2026-12-31", "--db", str(missing),
                  "--out", str(tmp_path / "b.html")]):
        proc = _run(args, env)
        assert proc.returncode == 1, proc.stdout
        assert proc.stderr.startswith(f"Error: no store at {missing}; give the store `triage batch` filled with --db")
        assert not missing.exists()
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "b.html").exists()


def test_export_without_db_names_the_default_store_it_did_not_find(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    proc = subprocess.run([sys.executable, "-m", "triage", "export", "--out", "x.csv"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120,
                          env={**{k: v for k, v in os.environ.items() if k not in ("TRIAGE_DB", "TRIAGE_CONFIG")}})
    assert proc.returncode == 1 and proc.stderr.startswith(f"Error: no store at {tmp_path}/")
    assert "--db" in proc.stderr and list(tmp_path.iterdir()) == []


def test_export_and_brief_refuse_an_empty_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from triage.store import open_store

    empty = tmp_path / "empty.db"
    with open_store(empty):
        pass  # the schema, no document
    env = {"TRIAGE_CONFIG": "", "TRIAGE_DB": str(empty)}
    for args in (["export", "--out", str(tmp_path / "x.csv")],
                 ["brief", "--country", "ML", "--from", "2026-01-01", "--to", "2026-12-31",
                  "--out", str(tmp_path / "b.html")]):
        proc = _run(args, env)
        assert proc.returncode == 1, proc.stdout
        assert proc.stderr.startswith(f"Error: the store {empty} holds no documents; ")
        assert f"triage batch REPORTS --db {empty}" in proc.stderr
    empty.write_bytes(b"")  # a zero-byte file is no store either
    assert _run(["export", "--out", str(tmp_path / "x.csv")], env).stderr.startswith(f"Error: no store at {empty}")


def test_brief_takes_a_country_code_or_name_and_lists_close_matches_for_a_typo(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = _one_document_store(tmp_path / "one.db")
    env = {"TRIAGE_CONFIG": "", "TRIAGE_DB": str(db)}
    period = ["--from", "2026-01-01", "--to", "2026-12-31"]
    for country in ("ML", "ml", "MLI", "Mali", "mali"):
        out = tmp_path / f"{country}.html"
        proc = _run(["brief", "--country", country, *period, "--out", str(out)], env)
        assert proc.returncode == 0, proc.stderr
        assert "Briefing: Mali" in out.read_text() and "No flagged passage" not in out.read_text()
    proc = _run(["brief", "--country", "Malli", *period, "--out", str(tmp_path / "typo.html")], env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: unknown country 'Malli': give an ISO 3166 code (e.g. ML) or an English "
                                  "country name; close matches: Mali (ML)")
    assert not (tmp_path / "typo.html").exists()
    proc = _run(["brief", "--country", "Atlantis", *period], env)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: unknown country 'Atlantis'")


def test_export_of_a_filled_store_still_works(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = _one_document_store(tmp_path / "one.db")
    proc = _run(["export", "--out", str(tmp_path / "x.jsonl"), "--flagged-only", "--db", str(db)], {"TRIAGE_CONFIG": ""})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Wrote 1 passages to {tmp_path / 'x.jsonl'}"
