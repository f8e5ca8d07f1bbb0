"""``careers crawl``: discover and fetch comparison pages into the fetch log and archive."""

from __future__ import annotations

import sys
from typing import Any

import click

from pipeline.exitcodes import ExitCode
from pipeline.logs import setup_logging
from pipeline.options import CRAWL_FLAGS, exclusive, settings_from, settings_options


@click.command("crawl")
@settings_options(*CRAWL_FLAGS)
def command(**params: Any) -> None:
    """Fetch comparison pages politely; resumes an unfinished run unless --fresh."""
    from scraper.crawl import CrawlFatal, crawl  # httpx and friends: import only when run

    settings = settings_from(params)
    setup_logging(settings.run.log_format, settings.run.verbose)
    try:
        with exclusive(settings, "crawl"):
            report = crawl(settings, finalize=True)
    except CrawlFatal as exc:
        click.echo(f"careers crawl: {exc}", err=True)
        sys.exit(ExitCode.FATAL)
    for problem in report.problems:
        click.echo(f"careers crawl: {problem}", err=True)
    sys.exit(int(report.exit_code or 0))
