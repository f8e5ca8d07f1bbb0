"""``careers prune``."""

from __future__ import annotations

from typing import Any

import click

from pipeline.options import exclusive, settings_from, settings_options
from pipeline.prune import prune
from store.db import connect


@click.command("prune")
@settings_options("db", "archive_dir")
@click.option("--keep-runs", type=click.IntRange(min=1), required=True, help="Runs to keep.")
def command(keep_runs: int, **params: Any) -> None:
    """Remove archive files and fetch-log rows that only runs older than the last N need."""
    settings = settings_from(params)
    with exclusive(settings, "prune"):
        conn = connect(settings.output.db)
        try:
            result = prune(conn, settings.output.archive_dir, keep_runs)
        finally:
            conn.close()
    click.echo(
        f"kept the last {keep_runs} runs; removed {result.fetch_rows} fetch-log rows, "
        f"{result.frontier_rows} frontier rows and {result.files} archive files "
        f"({result.bytes_freed / 1e6:.1f} MB freed)"
    )
