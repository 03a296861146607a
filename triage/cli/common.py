"""What every command shares: the --db and --config options, and the settings they give."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from triage.config import Config, load_config
from triage.errors import StoreError
from triage.store.db import is_postgres_url, redact_url

if TYPE_CHECKING:
    from triage.store import Store

DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLite file or postgresql://user@host/dbname URL (default: $TRIAGE_DB or triage.db).")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file (default: $TRIAGE_CONFIG).")]


def cli_config(config: Path | None = None, db: str | None = None) -> Config:
    """The settings for one command: the TOML file, then $TRIAGE_DB, then --db."""
    return load_config(config, db=db)


def require_store(db: str) -> str:
    """`db` if it names a store that exists; else a StoreError saying which file and what to do.

    Opening a missing SQLite file would create an empty store, and a command reading it would report
    "nothing" with exit 0 as if the reports held no warning sign."""
    if not is_postgres_url(db) and (not Path(db).is_file() or Path(db).stat().st_size == 0):
        raise StoreError(f"no store at {Path(db).resolve()}; give the store `triage batch` filled with --db "
                         "(or $TRIAGE_DB), or run `triage batch REPORTS --db FILE` first")
    return db


def require_documents(store: Store, db: str) -> None:
    """A StoreError if the store holds no document, saying which store and how to fill it."""
    if not store.stored_versions():
        shown = redact_url(db) if is_postgres_url(db) else str(Path(db).resolve())
        raise StoreError(f"the store {shown} holds no documents; give the store `triage batch` filled with --db "
                         f"(or $TRIAGE_DB), or run `triage batch REPORTS --db {redact_url(db)}` first")
