"""Training and the model registry: `triage train`, `triage evaluate` and `triage models ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.common import ConfigOption, DbOption, cli_config
from triage.store.db import is_postgres_url


def train(
    activate: Annotated[bool, typer.Option("--activate", help="Make the new model the active one.")] = False,
    config: ConfigOption = None,
    db: DbOption = None,
    reviews: Annotated[bool, typer.Option("--reviews/--no-reviews",
                                          help="Add reviewers' decisions from the store as examples.")] = True,
    force: Annotated[bool, typer.Option("--force", help="With --activate and --reason: activate even if worse.")] = False,
    reason: Annotated[str, typer.Option(
        "--reason", help="Why a worse model is activated anyway (required with --force when it is worse; "
        "kept in the registry's history).")] = "",
    note: Annotated[str, typer.Option("--note", help="Why this version is trained (kept in its card).")] = "",
    mask_unknown_names: Annotated[str, typer.Option(
        "--mask-unknown-names", help="Which capitalised words are masked as names besides the listed ones: "
        "'unseen' (not in the training texts at all), 'never-lower' (never written in lower case; costs "
        "macro-F1, see models/v4/card.json) or 'none'.")] = "unseen",
) -> None:
    """Train a model from corpus/passages.jsonl plus reviewed decisions in the store; choose calibrated
    thresholds by cross-validation; register it.

    The first model trained becomes active; later ones only with --activate, and only if not worse than
    the active one on the frozen test split (unless --force with --reason, which the registry records).
    Example: triage train --db triage.db --activate
    """
    from triage.analyse.classify import UNKNOWN_NAME_MODES
    from triage.service import retrain
    from triage.store import open_store

    if mask_unknown_names not in (*UNKNOWN_NAME_MODES, "none"):
        raise typer.BadParameter(f"--mask-unknown-names must be one of {', '.join(UNKNOWN_NAME_MODES)}, none")
    cfg = cli_config(config, db)
    options = {"activate": activate, "force": force, "reason": reason, "log": typer.echo, "note": note,
               "mask_unknown_names": "" if mask_unknown_names == "none" else mask_unknown_names}
    if reviews and (is_postgres_url(cfg.db) or Path(cfg.db).exists()):
        with open_store(cfg.db) as store:
            retrain(cfg, store, **options)
    else:
        retrain(cfg, None, **options)


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

    result, written = run_evaluation(cli_config(config), version, out_dir=out)
    m = result["at_thresholds"]
    typer.echo(f"Model {result['model_version']} on {result['passages']} frozen test passages: macro-F1 "
               f"{m['macro_f1']:.3f}, macro recall {m['macro_recall']:.3f}, macro precision {m['macro_precision']:.3f}, "
               f"ECE {result['calibration']['ece']:.3f}, indicator top-3 {result['indicator_top3']['hit_rate']}, "
               f"name-swap label flip rate {result['fairness']['label_flip_rate']:.3f}")
    for path in written:
        typer.echo(f"  wrote {path}")


def models_list(config: ConfigOption = None) -> None:
    """List registered models; the active one is marked with *.

    Example: triage models list
    """
    from triage.analyse.registry import read_card, read_registry

    cfg = cli_config(config)
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

    cfg = cli_config(config, db)
    if not Path(cfg.db).exists():  # never create a store just to show a card
        typer.echo(json.dumps(card_with_miss_rate(cfg.models_dir, None, version), indent=2))
        return
    with open_store(cfg.db) as store:
        typer.echo(json.dumps(card_with_miss_rate(cfg.models_dir, store, version), indent=2))


def models_promote(version: Annotated[str, typer.Argument(help="Version to make active.")],
                   force: Annotated[bool, typer.Option("--force", help="Promote even if it is worse.")] = False,
                   reason: Annotated[str, typer.Option(
                       "--reason", help="Why a worse model is promoted anyway (required with --force when it is "
                                        "worse; recorded in the registry).")] = "",
                   config: ConfigOption = None) -> None:
    """Make a registered model the active one, unless it is worse than the active one on the frozen split.

    The refusal says what got worse; --force with --reason promotes anyway, and the registry records both.
    Example: triage models promote v2
             triage models promote v3 --force --reason "RF4 recall traded for precision; see card"
    """
    from triage.service import promote

    done = promote(cli_config(config).models_dir, version, force=force, reason=reason)
    typer.echo(f"Active model: {version}" + (" (forced; worse on: " + "; ".join(done.worse) + ")" if done.forced
                                             else ""))


def models_rollback(config: ConfigOption = None) -> None:
    """Make the previously active model active again.

    Example: triage models rollback
    """
    from triage.service import rollback

    done = rollback(cli_config(config).models_dir)
    typer.echo(f"Rolled back from {done.previous} to {done.version}")
