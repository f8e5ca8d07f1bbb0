"""``careers report``."""

from __future__ import annotations

from typing import Any

import click

from pipeline.options import settings_from, settings_options
from pipeline.report import write_report


@click.command("report")
@settings_options("db", "report_dir")
@click.option("--run", "run_id", help="The run to report on (default: the latest run).")
def command(run_id: str | None, **params: Any) -> None:
    """Write the analyst report (index.html with charts) from the database."""
    settings = settings_from(params)
    path = write_report(settings.output.db, settings.output.report_dir, run_id)
    click.echo(str(path))
