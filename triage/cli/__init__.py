"""The `triage` command line: thin wrappers over the library. Errors become one `Error:` line.

Each command lives in the module for what it works on (scan, models, review, runs, serve); they are
registered here, in the order `triage --help` lists them.
"""

from __future__ import annotations

import sys

import typer

from triage.cli import models, review, runs, scan, serve
from triage.errors import TriageError

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

for command in (scan.scan, scan.classify, models.train, models.evaluate, review.queue, runs.batch, review.export,
                runs.backup, runs.restore, serve.ui, serve.demo):
    app.command()(command)
app.command("check-unflagged")(review.check_unflagged)
app.command()(review.brief)
models_app.command("list")(models.models_list)
models_app.command("show")(models.models_show)
models_app.command("promote")(models.models_promote)
models_app.command("rollback")(models.models_rollback)
users_app.command("add")(serve.users_add)
users_app.command("list")(serve.users_list)
users_app.command("demo")(serve.users_demo)


def main() -> None:
    """Entry point: run the app and turn our errors into one clear line and exit code 1."""
    try:
        app()
    except TriageError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
