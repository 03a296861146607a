"""What reviewers and analysts read from the store: the queue, unflagged checks, exports and briefs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from triage.cli.common import ConfigOption, DbOption, cli_config, require_documents, require_store
from triage.config import Config
from triage.errors import TriageError
from triage.store.db import is_postgres_url


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
    cfg = cli_config(config, db)
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
    cfg = cli_config(config, db)
    if not Path(cfg.db).exists():
        raise TriageError(f"no store at {cfg.db}; run `triage batch` first")
    with open_store(cfg.db) as store:
        check = store.add_unflagged_check(passage_id, reviewer, missed=labels, note=note)
        est = miss_rate(store, check["model_version"])
    typer.echo(f"Recorded: {passage_id} missed {', '.join(labels) or 'nothing'} (model {check['model_version']}). "
               f"{est['checked']} checks so far, {est['missed']} with a miss"
               + (f": miss rate {est['rate']:.3f} (95% {est['ci95'][0]:.3f}-{est['ci95'][1]:.3f})" if est["enough"]
                  else f"; an estimate needs {est['min_checks']}."))


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

    cfg = cli_config(None, db)
    with open_store(require_store(cfg.db)) as store:
        require_documents(store, cfg.db)
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
    from triage.service import tag_stored

    with Progress(TextColumn("Tagging entities in passages the run did not flag"), BarColumn(),
                  MofNCompleteColumn(), transient=True) as bar:
        task = bar.add_task("tag", total=len(todo))
        tag_stored(store, todo, load_nlp(cfg.spacy_model, cfg.spacy_fallbacks), cfg.entity_labels,
                   progress=lambda done, _total: bar.update(task, completed=done))


def brief(
    country: Annotated[str, typer.Option("--country", help="ISO 3166 code or English name of the country, e.g. HN, ML or Mali.")],
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

    from triage.framework import load_framework
    from triage.review.brief import build_brief, html_to_pdf
    from triage.store import open_store

    try:
        start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as exc:
        raise TriageError(f"dates are YYYY-MM-DD: {exc}") from exc
    cfg = cli_config(config, db)
    with open_store(require_store(cfg.db)) as store:
        require_documents(store, cfg.db)
        page = build_brief(store, load_framework(cfg.framework_path), country=country_code(country, store),
                           date_from=start, date_to=end)
    html_path = out.with_suffix(".html")
    html_path.write_text(page, encoding="utf-8")
    if out.suffix.lower() == ".pdf":
        html_to_pdf(html_path, out)
    typer.echo(f"Wrote {out}" + (f" (and {html_path})" if out != html_path else ""))


def country_code(text: str, store: Any) -> str:
    """The ISO alpha-2 code for a code (HN, hnd) or a name ("Mali", "DRC") of a country; a clear error,
    with the close matches, for anything else (a misspelt name would otherwise brief on nothing)."""
    import difflib

    import pycountry

    from triage.analyse.gazetteer import COUNTRY_ALIASES

    wanted = text.strip()
    codes = {c.alpha_2: c.alpha_2 for c in pycountry.countries} | {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    codes.update((code, code) for code in store.place_codes())  # codes the gazetteer stored (e.g. XK)
    if wanted.upper() in codes:
        return codes[wanted.upper()]
    names: dict[str, tuple[str, str]] = {}  # casefolded name -> (name as written, code)
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            if value := getattr(c, attr, None):
                names[value.casefold()] = (value, c.alpha_2)
    for code, aliases in COUNTRY_ALIASES.items():
        names.update((alias.casefold(), (alias, code)) for alias in aliases)
    if wanted.casefold() in names:
        return names[wanted.casefold()][1]
    close = [names[n] for n in difflib.get_close_matches(wanted.casefold(), list(names), n=8, cutoff=0.6)]
    shown = list({code: f"{name} ({code})" for name, code in reversed(close)}.values())[::-1][:5]
    raise TriageError(f"unknown country {text!r}: give an ISO 3166 code (e.g. ML) or an English country name"
                      + (f"; close matches: {', '.join(shown)}" if shown else ""))
