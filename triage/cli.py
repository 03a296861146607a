"""The `triage` command line: thin wrappers over the library. Errors become one `Error:` line."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from triage.config import ROOT, Config, load_config
from triage.store.db import is_postgres_url, redact_url
from triage.errors import TriageError
from triage.read.guard import check_input_file

if TYPE_CHECKING:
    from triage.framework import Framework
    from triage.analyse.pipeline import ScanResult
    from triage.types import Document

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Flag warning signs of atrocity crimes (UN Framework of Analysis, RF1-RF14) in situation reports.",
)
models_app = typer.Typer(no_args_is_help=True, help="List, inspect, promote and roll back trained models.")
app.add_typer(models_app, name="models")
users_app = typer.Typer(no_args_is_help=True, help="Create and list accounts for the review UI.")
app.add_typer(users_app, name="users")

DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLite file or postgresql://user@host/dbname URL (default: $TRIAGE_DB or triage.db).")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file (default: $TRIAGE_CONFIG).")]
SUPPORTED = (".pdf", ".txt", ".md", ".markdown", ".docx", ".html", ".htm", ".xhtml", ".eml")


def _config(config: Path | None = None, db: str | None = None) -> Config:
    return load_config(config, db=db)


def _files(paths: list[Path]) -> list[Path]:
    """Expand folders into the supported files they contain, sorted for a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED)
        else:
            out.append(p)
    return out


@app.command()
def scan(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="A PDF, Word, web page, e-mail, Markdown or text file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")] = False,
    all_passages: Annotated[bool, typer.Option("--all", help="Show unflagged passages too.")] = False,
    config: ConfigOption = None,
) -> None:
    """Read one report and show its passages with page numbers, entities and risk-factor scores.

    An e-mail's attachments are read as reports of their own (under "attachments" in --json).
    Nothing is stored. Example: triage scan report.pdf --json > report.json
    """
    from triage.read.extract import extract_with_attachments
    from triage.framework import load_framework
    from triage.analyse.pipeline import Pipeline

    # One file, read by a person, entities printed for every passage (--json, --all): tag them all.
    cfg = dataclasses.replace(_config(config), entity_scope="all")
    check_input_file(file, max_mb=cfg.max_file_mb)  # before loading models: refuse at once
    pipe = Pipeline.load(cfg)
    doc, attachments = extract_with_attachments(file, ocr_settings=cfg.ocr_settings)
    results, failures = [pipe.analyse(doc)], []
    for attachment in attachments:
        try:
            if attachment.data is None:
                raise TriageError(f"{attachment.source} {attachment.error}")
            results.append(pipe.process_file(attachment.source, data=attachment.data, source=attachment.source))
        except TriageError as exc:
            failures.append({"source": attachment.source, "error": str(exc)})
    if as_json:
        out = results[0].to_json()
        if attachments:
            out["attachments"] = [r.to_json() for r in results[1:]] + failures
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        fw = load_framework(cfg.framework_path)
        for result in results:
            _print_scan(result, fw, all_passages=all_passages)
        for failure in failures:
            typer.echo(f"Error: {failure['error']}", err=True)
    if failures:
        raise typer.Exit(1)


def _print_scan(result: ScanResult, fw: Framework, *, all_passages: bool) -> None:
    doc = result.document
    typer.echo(f"{doc.source}: {len(doc.pages)} pages, {len(result.passages)} passages, "
               f"{len(result.flags)} flags, risk {result.risk:.2f} (model {result.model_version})")
    for line in _ocr_lines(doc):
        typer.echo(line)
    preds = {p.passage_id: p for p in result.predictions}
    for p in result.passages:
        pred = preds[p.id]
        if not pred.labels and not all_passages:
            continue
        typer.echo(f"\n[page {p.page}, chars {p.start}-{p.end}] {p.text}")
        if p.entities:
            typer.echo("  entities: " + "; ".join(f"{e.text} ({e.label})" for e in p.entities))
        top = sorted(pred.scores, key=lambda kv: -kv[1])[:3]
        typer.echo("  scores: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
        for label in pred.labels:
            cues = ", ".join(c.text for c in dict(pred.cues).get(label, ()))
            typer.echo(f"  FLAG {label} {fw.factor(label).short_name} ({pred.score(label):.2f})"
                       + (f"; cues: {cues}" if cues else ""))


def _ocr_lines(doc: Document) -> list[str]:
    """What OCR did to a document, for people: which pages it read, how sure it was, which it could not."""
    meta = dict(doc.metadata)
    lines = []
    if "ocr_pages" in meta:
        lines.append(f"OCR: read page(s) {meta['ocr_pages']} from scans, mean word confidence "
                     f"{meta['ocr_confidence']}% (per page: {meta['ocr_page_confidence']})")
    if "needs_ocr" in meta:
        lines.append(f"needs OCR, text missing on page {meta['needs_ocr']}")
    return lines


@app.command()
def classify(
    infile: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help='JSONL lines {"id", "text"}.')],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the scored JSONL.")],
    config: ConfigOption = None,
) -> None:
    """Score passages from a JSONL file: each output line has id, scores (all 14), labels, indicators.

    Example: triage classify passages.jsonl --out scored.jsonl
    """
    from triage.analyse.registry import load_model

    cfg = _config(config)
    ids, texts = [], []
    for n, line in enumerate(infile.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            ids.append(str(rec["id"]))
            texts.append(str(rec["text"]))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise TriageError(f'{infile}:{n}: expected a JSON object with "id" and "text" ({exc})') from exc
    model = load_model(cfg.models_dir)
    with out.open("w", encoding="utf-8") as f:
        for pred in model.predict(ids, texts, explain=False):
            f.write(json.dumps(pred.to_dict(), ensure_ascii=False) + "\n")
    typer.echo(f"Scored {len(ids)} passages with model {model.version} -> {out}")


@app.command()
def train(
    activate: Annotated[bool, typer.Option("--activate", help="Make the new model the active one.")] = False,
    config: ConfigOption = None,
    db: DbOption = None,
    reviews: Annotated[bool, typer.Option("--reviews/--no-reviews",
                                          help="Add reviewers' decisions from the store as examples.")] = True,
    force: Annotated[bool, typer.Option("--force", help="With --activate: activate even if worse.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why this version is trained (kept in its card).")] = "",
    mask_unknown_names: Annotated[str, typer.Option(
        "--mask-unknown-names", help="Which capitalised words are masked as names besides the listed ones: "
        "'unseen' (not in the training texts at all), 'never-lower' (never written in lower case; costs "
        "macro-F1, see models/v4/card.json) or 'none'.")] = "unseen",
) -> None:
    """Train a model from corpus/passages.jsonl plus reviewed decisions in the store; choose calibrated
    thresholds by cross-validation; register it.

    The first model trained becomes active; later ones only with --activate, and only if not worse than
    the active one on the frozen test split (unless --force).
    Example: triage train --db triage.db --activate
    """
    from training.train import train as run_training

    from triage.analyse.classify import UNKNOWN_NAME_MODES

    if mask_unknown_names not in (*UNKNOWN_NAME_MODES, "none"):
        raise typer.BadParameter(f"--mask-unknown-names must be one of {', '.join(UNKNOWN_NAME_MODES)}, none")
    cfg = _config(config, db)
    extra: list[dict] = []
    if reviews and (is_postgres_url(cfg.db) or Path(cfg.db).exists()):
        from training.reviews import review_examples
        from training.train import load_corpus, load_test_ids

        from triage.store import open_store

        test_ids = load_test_ids(cfg.corpus_dir)
        test_texts = [r["text"] for r in load_corpus(cfg.corpus_dir) if r["id"] in test_ids]
        with open_store(cfg.db) as store:
            extra = review_examples(store, exclude_texts=test_texts)
        typer.echo(f"{len(extra)} reviewed passages from {cfg.db}")
    run_training(cfg, extra=extra, activate=activate, force=force, log=typer.echo, note=note,
                 mask_unknown_names="" if mask_unknown_names == "none" else mask_unknown_names)


@app.command()
def evaluate(
    version: Annotated[str | None, typer.Argument(help="Model version (default: the active one).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the report (default: models/VERSION/).")] = None,
    config: ConfigOption = None,
) -> None:
    """Evaluate a model on the frozen test split: per-label precision, recall, F1, support; calibration (ECE,
    reliability plot); confusion between related factors; indicator top-3; name-swap flip rate.

    Writes evaluation.json, evaluation.md and reliability.png. Example: triage evaluate v2 --out reports/
    """
    from training.evaluate import evaluate as run_evaluation

    result, written = run_evaluation(_config(config), version, out_dir=out)
    m = result["at_thresholds"]
    typer.echo(f"Model {result['model_version']} on {result['passages']} frozen test passages: macro-F1 "
               f"{m['macro_f1']:.3f}, macro recall {m['macro_recall']:.3f}, macro precision {m['macro_precision']:.3f}, "
               f"ECE {result['calibration']['ece']:.3f}, indicator top-3 {result['indicator_top3']['hit_rate']}, "
               f"name-swap label flip rate {result['fairness']['label_flip_rate']:.3f}")
    for path in written:
        typer.echo(f"  wrote {path}")


@app.command()
def queue(
    uncertain: Annotated[int, typer.Option("--uncertain", help="Passages whose scores are closest to a threshold.")] = 0,
    random_unflagged: Annotated[int, typer.Option("--random-unflagged",
                                                  help="Random unflagged passages (to estimate the miss rate).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Passages worth a reviewer's time next: the ones the model is least sure of, and a random sample of
    unflagged ones whose review estimates how many warning signs the model misses.

    Example: triage queue --uncertain 20 --random-unflagged 10 --db triage.db
    """
    from triage.analyse.registry import read_card
    from triage.store import open_store

    if uncertain <= 0 and random_unflagged <= 0:
        raise typer.BadParameter("give --uncertain N and/or --random-unflagged N (N > 0)")
    cfg = _config(config, db)
    if not is_postgres_url(cfg.db) and not Path(cfg.db).exists():
        raise TriageError(f"no store at {cfg.db}; run `triage batch` first")
    rows: list[dict] = []
    with open_store(cfg.db) as store:
        if uncertain > 0:
            thresholds = read_card(cfg.models_dir)["thresholds"]
            rows += [{"queue": "uncertain", **r} for r in store.uncertain_passages(thresholds, uncertain)]
        if random_unflagged > 0:
            rows += [{"queue": "random-unflagged", **r} for r in store.random_unflagged_passages(random_unflagged)]
    for r in rows:
        if as_json:
            typer.echo(json.dumps(r, ensure_ascii=False))
            continue
        why = (f"{r['label']} score {r['score']:.2f} vs threshold {r['threshold']:.2f}" if r["queue"] == "uncertain"
               else "unflagged")
        typer.echo(f"[{r['queue']}] {r['source']} p.{r['page']} ({why}): {r['text'][:100]}")
    if not rows:
        typer.echo("Nothing to review in this store.")


@app.command()
def batch(
    paths: Annotated[list[Path] | None, typer.Argument(exists=True, help="Files or folders to process.")] = None,
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Re-process documents already stored.")] = False,
    config: ConfigOption = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", help="Worker processes (default: cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Run on a Dask cluster instead: its scheduler address, tcp://HOST:PORT.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds allowed per file.")] = 300.0,
    limit_mb: Annotated[float, typer.Option("--limit-mb", help="Memory allowed per worker, in MB.")] = 2048.0,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Retry only the files that failed before (all of them if no PATH is given).")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="If another run uses the store, wait for it.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the JSON run report here.")] = None,
) -> None:
    """Process files and folders into the store in parallel; a file that fails is recorded and the run goes on.

    Documents already stored under the active model are skipped, so a stopped run resumes; documents stored
    under an older model are only re-classified. Files that failed before are skipped until --retry-failed.
    Example: triage batch reports/ --db triage.db --workers 2 --report run.json
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from triage.batch import BatchOptions, run_batch

    cfg = _config(config, db)
    if not paths and not retry_failed:
        raise typer.BadParameter("give at least one file or folder (or --retry-failed)", param_hint="PATHS")
    options = BatchOptions(workers=workers or os.cpu_count() or 1, scheduler=scheduler, time_limit=time_limit,
                           limit_mb=limit_mb, force=force, retry_failed=retry_failed, wait=wait)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]:.1f} pages/s"), TimeRemainingColumn(),
               TextColumn("[red]{task.fields[failed]} failed"))
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("Processing", total=None, rate=0.0, failed=0)

        def show(p):  # type: ignore[no-untyped-def]
            bar.update(task, total=p.total, completed=p.done, rate=p.pages_per_second, failed=p.failed,
                       description=p.current[-40:] or "Processing")

        result = run_batch(paths or [], cfg, options, on_progress=show)
    if report:
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    c = result["counts"]
    typer.echo(f"Run {result['run_id']}: {c['inputs']} files into {redact_url(cfg.db)} in {result['seconds']:.1f} s "
               f"({result['pages']} pages, {result['pages_per_second']:.1f} pages/s): {c['stored']} stored, "
               f"{c['skipped']} already there, {c['reclassified']} re-classified, {c['duplicates']} duplicates, "
               f"{c['failed']} failed")
    if c["known_failures_skipped"]:
        typer.echo(f"{c['known_failures_skipped']} files that failed before were skipped; "
                   "`triage batch --retry-failed` retries them")
    for f in result["failures"]:
        typer.echo(f"  failed ({f['kind']}): {f['source']}: {f['reason']}", err=True)
    if result["failures"]:
        raise typer.Exit(1)


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write; the format follows its extension.")],
    db: DbOption = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, xlsx, jsonl or parquet (default: from --out).")] = None,
    flagged_only: Annotated[bool, typer.Option("--flagged-only", help="Only passages with a flag.")] = False,
    redact_people: Annotated[bool, typer.Option("--redact-people", help="Replace person names.")] = False,
) -> None:
    """Export the store, one row per passage: document, page, text, labels, scores, entities, decisions.

    Example: triage export --db triage.db --out flags.xlsx --flagged-only --redact-people
    """
    from triage.review.export import export_rows, write_export
    from triage.store import open_store

    cfg = _config(None, db)
    with open_store(cfg.db) as store:
        _finish_entities(store, cfg, flagged_only=flagged_only)
        rows = export_rows(store, flagged_only=flagged_only, redact_people=redact_people)
    write_export(rows, out, fmt)
    typer.echo(f"Wrote {len(rows)} passages to {out}")


def _finish_entities(store: Any, cfg: Config, *, flagged_only: bool) -> None:
    """Tag the passages a batch run left to the gazetteer (entity_scope "flagged") before they are exported."""
    todo = store.untagged_passages(flagged_only=flagged_only)
    if not todo:
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from triage.analyse.entities import load_nlp
    from triage.analyse.pipeline import tag_stored

    with Progress(TextColumn("Tagging entities in passages the run did not flag"), BarColumn(),
                  MofNCompleteColumn(), transient=True) as bar:
        task = bar.add_task("tag", total=len(todo))
        tag_stored(store, todo, load_nlp(cfg.spacy_model, cfg.spacy_fallbacks), cfg.entity_labels,
                   progress=lambda done, _total: bar.update(task, completed=done))


@app.command()
def backup(
    out: Annotated[Path, typer.Option("--out", "-o", help="The backup file to write (one SQLite file).")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Copy the store to one file, consistently, even while the UI or a batch run is writing to it.

    Example: triage backup --db triage.db --out backups/triage-2026-05-01.db
    """
    from triage.store import backup_database

    cfg = _config(None, db)
    counts = backup_database(cfg.db, out, force=force)
    typer.echo(f"Backed up {cfg.db} to {out} (integrity ok): " + ", ".join(f"{n} {t}" for t, n in counts.items()))


@app.command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `triage backup`.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a store that already holds data.")] = False,
) -> None:
    """Bring a backup back as the store, after checking its integrity; refuses to overwrite data without --force.

    Example: triage restore backups/triage-2026-05-01.db --db triage.db --force
    """
    from triage.store import restore_database

    cfg = _config(None, db)
    counts = restore_database(backup_file, cfg.db, force=force)
    typer.echo(f"Restored {backup_file} into {cfg.db}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))


@app.command()
def ui(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    headless: Annotated[bool, typer.Option(help="Do not try to open a browser.")] = True,
    address: Annotated[str, typer.Option(help="Interface to serve on (0.0.0.0 for the whole network).")] = "localhost",
) -> None:
    """Start the review UI (Streamlit) on http://localhost:PORT for the given store.

    Example: triage ui --db triage.db
    """
    cfg = _config(None, db)
    env = {**os.environ, "TRIAGE_DB": cfg.db if is_postgres_url(cfg.db) else str(Path(cfg.db).resolve())}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.headless", str(headless).lower(), "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "viewer",  # no developer menu or "Deploy" button for reviewers
           # With no address Streamlit looks up this machine's public IP (checkip.amazonaws.com) and
           # probes 8.8.8.8 to print "Network URL"s: outward traffic the privacy test caught.
           "--server.address", address]
    typer.echo(f"Review UI on http://localhost:{port} (store: {redact_url(env['TRIAGE_DB'])}); Ctrl+C stops it")
    sys.stdout.flush()
    # Become the server rather than wait on it: a SIGTERM (a service manager's stop, a test's terminate) then
    # reaches Streamlit itself, where a waiting parent would die and leave the server running on its port.
    os.execve(sys.executable, cmd, env)


@app.command()
def demo(db: DbOption = None, config: ConfigOption = None) -> None:
    """Prepare the demo: train a model if none exists, then store the bundled demo inbox.

    Example: triage demo --db demo.db && triage ui --db demo.db
    """
    from triage.analyse.registry import read_registry

    cfg = _config(config, db)
    if not read_registry(cfg.models_dir)["active"]:
        typer.echo("No trained model yet: training one (about a minute)...")
        train(activate=True, config=config)
    batch([ROOT / "demo" / "inbox"], db=cfg.db, force=False, config=config, workers=None, scheduler=None,
          time_limit=300.0, limit_mb=2048.0, retry_failed=False, wait=False, report=None)


@models_app.command("list")
def models_list(config: ConfigOption = None) -> None:
    """List registered models; the active one is marked with *.

    Example: triage models list
    """
    from triage.analyse.registry import read_card, read_registry

    cfg = _config(config)
    reg = read_registry(cfg.models_dir)
    if not reg["versions"]:
        typer.echo(f"No models in {cfg.models_dir}; run `triage train`.")
        return
    for version in reg["versions"]:
        card = read_card(cfg.models_dir, version)
        cv = card.get("cross_validation", {}).get("at_thresholds", {})
        test = card.get("frozen_test", {}).get("at_thresholds", {})
        mark = "*" if version == reg["active"] else " "
        typer.echo(f"{mark} {version}  created {card.get('created', '?')}  "
                   f"train {card['data']['train_passages']}  cv macro-F1 {cv.get('macro_f1', '?')}  "
                   f"test macro-F1 {test.get('macro_f1', '-')}")


@models_app.command("show")
def models_show(
    version: Annotated[str | None, typer.Argument(help="Version (default: the active one).")] = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Print a model card as JSON, with the miss rate estimated from the store's checks of random
    unflagged passages ("miss_rate": the estimate and its 95% interval once there are enough checks).

    Example: triage models show v1 --db triage.db
    """
    from triage.review.missrate import card_with_miss_rate
    from triage.store import open_store

    cfg = _config(config, db)
    if not Path(cfg.db).exists():  # never create a store just to show a card
        typer.echo(json.dumps(card_with_miss_rate(cfg.models_dir, None, version), indent=2))
        return
    with open_store(cfg.db) as store:
        typer.echo(json.dumps(card_with_miss_rate(cfg.models_dir, store, version), indent=2))


@app.command("check-unflagged")
def check_unflagged(
    passage_id: Annotated[str, typer.Argument(help="Id of an unflagged passage (from `triage queue --random-unflagged`).")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who read the passage.")],
    missed: Annotated[list[str] | None, typer.Option("--missed", help="A risk factor the model missed (repeat); "
                                                     "none: the passage carries no warning sign.")] = None,
    note: Annotated[str, typer.Option("--note", help="Why.")] = "",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Record the check of a randomly drawn unflagged passage: the risk factors it carries (--missed), or
    none. These checks estimate the model's miss rate (`triage models show`) and become training examples.

    Example: triage check-unflagged 'DOC:120-480' --reviewer ana --missed RF7 --db triage.db
    """
    from triage.framework import LABELS
    from triage.review.missrate import miss_rate
    from triage.store import open_store

    labels = sorted({m.strip().upper() for m in missed or [] if m.strip()})
    if unknown := [m for m in labels if m not in LABELS]:
        raise typer.BadParameter(f"unknown risk factor(s) {', '.join(unknown)}; use RF1..RF14")
    cfg = _config(config, db)
    if not Path(cfg.db).exists():
        raise TriageError(f"no store at {cfg.db}; run `triage batch` first")
    with open_store(cfg.db) as store:
        check = store.add_unflagged_check(passage_id, reviewer, missed=labels, note=note)
        est = miss_rate(store, check["model_version"])
    typer.echo(f"Recorded: {passage_id} missed {', '.join(labels) or 'nothing'} (model {check['model_version']}). "
               f"{est['checked']} checks so far, {est['missed']} with a miss"
               + (f": miss rate {est['rate']:.3f} (95% {est['ci95'][0]:.3f}-{est['ci95'][1]:.3f})" if est["enough"]
                  else f"; an estimate needs {est['min_checks']}."))


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="Version to make active.")],
                   force: Annotated[bool, typer.Option("--force", help="Promote even if it is worse.")] = False,
                   config: ConfigOption = None) -> None:
    """Make a registered model the active one, unless it is worse than the active one on the frozen split.

    The refusal says what got worse; --force promotes anyway (the registry records it).
    Example: triage models promote v2
    """
    from triage.analyse.registry import active_version, read_card, read_registry, record_event, regressions, set_active

    cfg = _config(config)
    worse: list[str] = []
    if read_registry(cfg.models_dir)["active"]:
        current = active_version(cfg.models_dir)
        worse = regressions(read_card(cfg.models_dir, version), read_card(cfg.models_dir, current))
    if worse and not force:
        record_event(cfg.models_dir, "refused", version, "; ".join(worse))
        raise TriageError(f"{version} is worse than the active model {current} on the frozen split: "
                          + "; ".join(worse) + f". Use `triage models promote {version} --force` to promote it anyway")
    set_active(cfg.models_dir, version, note=("forced despite: " + "; ".join(worse)) if worse else "")
    typer.echo(f"Active model: {version}" + (" (forced; worse on: " + "; ".join(worse) + ")" if worse else ""))


@models_app.command("rollback")
def models_rollback(config: ConfigOption = None) -> None:
    """Make the previously active model active again.

    Example: triage models rollback
    """
    from triage.analyse.registry import read_registry, set_active

    cfg = _config(config)
    reg = read_registry(cfg.models_dir)
    promoted = [h["version"] for h in reg["history"] if h["action"] in ("promote", "rollback")]
    previous = [v for v in reversed(promoted) if v != reg["active"]]
    if not previous:
        raise TriageError("there is no earlier active model to roll back to")
    set_active(cfg.models_dir, previous[0], action="rollback")
    typer.echo(f"Rolled back from {reg['active']} to {previous[0]}")


@app.command()
def brief(
    country: Annotated[str, typer.Option("--country", help="ISO 3166 code of the country, e.g. HN or ML.")],
    date_from: Annotated[str, typer.Option("--from", help="First report date, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last report date, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="brief.html, or brief.pdf to also print it with chromium.")] = Path(
        "brief.html"),
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a country briefing: risk factors over the period (with a chart), reviewed evidence, open flags.

    Example: triage brief --country HN --from 2026-01-01 --to 2026-12-31 --out brief.pdf
    """
    from datetime import date

    from triage.review.brief import build_brief, html_to_pdf
    from triage.framework import load_framework
    from triage.store import open_store

    try:
        start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as exc:
        raise TriageError(f"dates are YYYY-MM-DD: {exc}") from exc
    cfg = _config(config, db)
    with open_store(cfg.db) as store:
        page = build_brief(store, load_framework(cfg.framework_path), country=country.upper(), date_from=start,
                           date_to=end)
    html_path = out.with_suffix(".html")
    html_path.write_text(page, encoding="utf-8")
    if out.suffix.lower() == ".pdf":
        html_to_pdf(html_path, out)
    typer.echo(f"Wrote {out}" + (f" (and {html_path})" if out != html_path else ""))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="reviewer (decides on flags) or analyst (also models, "
                                      "audit, briefs).")] = "reviewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input (for scripts).")] = False,
    db: DbOption = None,
) -> None:
    """Create an account; the password is asked for twice (or read from stdin) and stored only as an argon2 hash.

    Example: triage users add amina --role analyst --db triage.db
    """
    from triage.review.auth import create_user
    from triage.store import open_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    cfg = _config(None, db)
    with open_store(cfg.db) as store:
        user = create_user(store, name, role, password)
    typer.echo(f"Created {user.role} {user.name} in {cfg.db}")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """List accounts and their roles.

    Example: triage users list --db triage.db
    """
    from triage.store import open_store

    cfg = _config(None, db)
    with open_store(cfg.db) as store:
        rows = store.users()
    if not rows:
        typer.echo(f"No accounts in {cfg.db}; create one with `triage users add NAME --role reviewer`.")
    for r in rows:
        typer.echo(f"{r['name']:20} {r['role']:10} created {r['created_at']}")


@users_app.command("demo")
def users_demo(db: DbOption = None) -> None:
    """Create (or reset) the demo accounts `reviewer` and `analyst` with fresh random passwords and print them.

    Only for a demo store. Example: triage users demo --db demo.db
    """
    import secrets

    from triage.review.auth import create_user, hash_password
    from triage.store import open_store

    cfg = _config(None, db)
    with open_store(cfg.db) as store:
        for name in ("reviewer", "analyst"):
            password = secrets.token_urlsafe(9)
            if store.user(name):
                store.set_password_hash(name, hash_password(password))
            else:
                create_user(store, name, name, password)
            typer.echo(f"Demo {name:8}  user: {name:9} password: {password}")


def main() -> None:
    """Entry point: run the app and turn our errors into one clear line and exit code 1."""
    try:
        app()
    except TriageError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
