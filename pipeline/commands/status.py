"""``careers status``."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from pipeline.options import settings_from, settings_options
from pipeline.status import collect, format_status
from schemas.errors import EnvironmentFailure
from store.db import connect


@click.command("status")
@settings_options("db", "archive_dir")
@click.option("--runs", "last", type=int, default=10, show_default=True, help="Runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def command(last: int, as_json: bool, **params: Any) -> None:
    """The last runs, pending URLs of an unfinished run, the lock holder, sizes."""
    settings = settings_from(params)
    db = settings.output.db
    if not db.exists():  # and create none: status only looks
        raise EnvironmentFailure(f"no database at {db}; run `careers refresh` first")
    conn = connect(db)
    try:
        status = collect(conn, settings.output.db, settings.output.archive_dir, last)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(status), indent=2, default=str))
    else:
        click.echo(format_status(status))
