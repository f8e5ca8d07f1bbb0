"""``careers crawl``: discover and fetch comparison pages into the fetch log and archive."""

from __future__ import annotations

import sys
from typing import Any

import click

from pipeline.logs import setup_logging
from pipeline.options import CRAWL_FLAGS, exclusive, settings_from, settings_options


@click.command("crawl")
@settings_options(*CRAWL_FLAGS)
def command(**params: Any) -> None:
    """Fetch comparison pages politely; resumes an unfinished run unless --fresh."""
    from scraper.crawl import crawl  # httpx and friends: import only when run

    settings = settings_from(params)
    setup_logging(settings.run.log_format, settings.run.verbose)
    with exclusive(settings, "crawl"):
        report = crawl(settings, finalize=True)
    for problem in report.problems:
        click.echo(f"careers crawl: {problem}", err=True)
    sys.exit(int(report.exit_code or 0))
