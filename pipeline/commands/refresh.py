"""``careers refresh``: the whole job as one locked, reported run."""

from __future__ import annotations

import sys
from typing import Any

import click

from pipeline.logs import setup_logging
from pipeline.options import CRAWL_FLAGS, exclusive, settings_from, settings_options
from pipeline.summary import emit


@click.command("refresh")
@settings_options(*CRAWL_FLAGS, "csv_dir", "report_dir")
def command(**params: Any) -> None:
    """Discover, fetch, parse, load, export and report, as one run."""
    from pipeline.refresh import refresh  # the whole pipeline: import only when run

    settings = settings_from(params)
    setup_logging(settings.run.log_format, settings.run.verbose)
    with exclusive(settings, "refresh"):
        result = refresh(settings, without_numpy=True)  # this process ends with the run
    emit(result.report, result.outputs, result.verdict.problems, settings.run.verbose)
    sys.exit(int(result.exit_code))
