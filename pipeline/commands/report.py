"""``careers report``."""

from __future__ import annotations

import sys
from typing import Any

import click

from pipeline.exitcodes import ExitCode
from pipeline.options import settings_from, settings_options
from pipeline.report import ReportError, write_report


@click.command("report")
@settings_options("db", "report_dir")
@click.option("--run", "run_id", help="The run to report on (default: the latest run).")
def command(run_id: str | None, **params: Any) -> None:
    """Write the analyst report (index.html with charts) from the database."""
    settings = settings_from(params)
    try:
        path = write_report(settings.output.db, settings.output.report_dir, run_id)
    except ReportError as exc:
        click.echo(f"careers report: {exc}", err=True)
        sys.exit(ExitCode.FATAL)
    click.echo(str(path))
