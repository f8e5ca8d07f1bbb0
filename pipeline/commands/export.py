"""``careers export``: one CSV (and Parquet, with pyarrow) per table and view."""

from __future__ import annotations

import sys
from typing import Any

import click

from pipeline.options import settings_from, settings_options
from schemas.errors import EnvironmentFailure, ExitCode


@click.command("export")
@settings_options("db", "csv_dir", "verbose")
def command(**params: Any) -> None:
    """Write every table and view of the database as CSV (default output/csv/).

    Text cells a spreadsheet would run as formulas get a leading '; files appear whole
    (written to a temporary name, then renamed)."""
    from pipeline.export import export_all

    settings = settings_from(params)
    db = settings.output.db
    if not db.exists():
        raise EnvironmentFailure(f"no database at {db}; run `careers refresh` first")
    written = export_all(db, settings.output.csv_dir, without_numpy=True)
    if settings.run.verbose:
        click.echo(f"careers export: {len(written)} files in {settings.output.csv_dir}")
    sys.exit(ExitCode.OK)
