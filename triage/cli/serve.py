"""Serving reviewers: `triage ui`, `triage demo` and the accounts (`triage users ...`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.common import ConfigOption, DbOption, cli_config
from triage.cli.models import train
from triage.cli.runs import batch
from triage.config import ROOT, demo_inbox
from triage.store.db import is_postgres_url, redact_url


def ui(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    headless: Annotated[bool, typer.Option(help="Do not try to open a browser.")] = True,
    address: Annotated[str, typer.Option(help="Interface to serve on (0.0.0.0 for the whole network).")] = "localhost",
) -> None:
    """Start the review UI (Streamlit) on http://localhost:PORT for the given store.

    Example: triage ui --db triage.db
    """
    cfg = cli_config(None, db)
    env = {**os.environ, "TRIAGE_DB": cfg.db if is_postgres_url(cfg.db) else str(Path(cfg.db).resolve())}
    cmd = [sys.executable, "-m", "streamlit", "run", str(_ui_script()), "--server.port", str(port),
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


def _ui_script() -> Path:
    """The Streamlit script inside the package (so an installed triage serves without a checkout)."""
    script = Path(__file__).resolve().parents[1] / "ui" / "main.py"
    if not script.is_file() and (ROOT / "app.py").is_file():
        return ROOT / "app.py"  # a checkout from before the UI moved into triage/ui/
    return script


def demo(db: DbOption = None, config: ConfigOption = None) -> None:
    """Prepare the demo: train a model if none exists, then store the bundled demo inbox.

    Example: triage demo --db demo.db && triage ui --db demo.db
    """
    from triage.analyse.registry import read_registry

    cfg = cli_config(config, db)
    if not read_registry(cfg.models_dir)["active"]:
        typer.echo("No trained model yet: training one (about a minute)...")
        train(activate=True, config=config)
    batch([demo_inbox()], db=cfg.db, force=False, config=config, workers=None, scheduler=None,
          time_limit=300.0, limit_mb=2048.0, retry_failed=False, wait=False, report=None)


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
    cfg = cli_config(None, db)
    with open_store(cfg.db) as store:
        user = create_user(store, name, role, password)
    typer.echo(f"Created {user.role} {user.name} in {cfg.db}")


def users_list(db: DbOption = None) -> None:
    """List accounts and their roles.

    Example: triage users list --db triage.db
    """
    from triage.store import open_store

    cfg = cli_config(None, db)
    with open_store(cfg.db) as store:
        rows = store.users()
    if not rows:
        typer.echo(f"No accounts in {cfg.db}; create one with `triage users add NAME --role reviewer`.")
    for r in rows:
        typer.echo(f"{r['name']:20} {r['role']:10} created {r['created_at']}")


def users_demo(db: DbOption = None) -> None:
    """Create (or reset) the demo accounts `reviewer` and `analyst` with fresh random passwords and print them.

    Only for a demo store. Example: triage users demo --db demo.db
    """
    import secrets

    from triage.review.auth import create_user, hash_password
    from triage.store import open_store

    cfg = cli_config(None, db)
    with open_store(cfg.db) as store:
        for name in ("reviewer", "analyst"):
            password = secrets.token_urlsafe(9)
            if store.user(name):
                store.set_password_hash(name, hash_password(password))
            else:
                create_user(store, name, name, password)
            typer.echo(f"Demo {name:8}  user: {name:9} password: {password}")
