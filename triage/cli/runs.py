"""Filling and keeping the store: `triage batch`, `triage backup`, `triage restore`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.common import ConfigOption, DbOption, cli_config
from triage.store.db import redact_url


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

    cfg = cli_config(config, db)
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


def backup(
    out: Annotated[Path, typer.Option("--out", "-o", help="The backup file to write (one SQLite file).")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Copy the store to one file, consistently, even while the UI or a batch run is writing to it.

    Example: triage backup --db triage.db --out backups/triage-2026-05-01.db
    """
    from triage.store import backup_database

    cfg = cli_config(None, db)
    counts = backup_database(cfg.db, out, force=force)
    typer.echo(f"Backed up {cfg.db} to {out} (integrity ok): " + ", ".join(f"{n} {t}" for t, n in counts.items()))


def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `triage backup`.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a store that already holds data.")] = False,
) -> None:
    """Bring a backup back as the store, after checking its integrity; refuses to overwrite data without --force.

    Example: triage restore backups/triage-2026-05-01.db --db triage.db --force
    """
    from triage.store import restore_database

    cfg = cli_config(None, db)
    counts = restore_database(backup_file, cfg.db, force=force)
    typer.echo(f"Restored {backup_file} into {cfg.db}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
