"""``careers demo-site``: serve the bundled demo site on 127.0.0.1 until interrupted."""

from __future__ import annotations

import asyncio
import contextlib

import click

from demosite.faults import PROFILES
from demosite.server import DEFAULT_PORT, DEFAULT_SLOW_SECONDS, serve_forever
from demosite.site import DEFAULT_PAGES, MARKUPS, MIXED, Site


@click.command("demo-site")
@click.option(
    "--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port on 127.0.0.1."
)
@click.option(
    "--pages",
    type=click.IntRange(min=4),
    default=DEFAULT_PAGES,
    show_default=True,
    help="Comparison pages besides the seed page (rendered on request).",
)
@click.option(
    "--faults",
    type=click.Choice(sorted(PROFILES)),
    default="clean",
    show_default=True,
    help="clean: none; flaky: transient faults only; hostile: all of them.",
)
@click.option(
    "--markup",
    type=click.Choice(MARKUPS),
    default=MIXED,
    show_default=True,
    help="Grid markup of every comparison page; mixed spreads the families over the pages.",
)
@click.option("--crawl-delay", type=float, default=None, help="Crawl-delay for robots.txt.")
@click.option("--seed", type=int, default=1, show_default=True, help="Which site to generate.")
@click.option(
    "--slow-seconds",
    type=float,
    default=DEFAULT_SLOW_SECONDS,
    show_default=True,
    help="How long a 'slow' fault stalls (beyond the crawler's default 30 s timeout).",
)
def command(
    port: int,
    pages: int,
    faults: str,
    markup: str,
    crawl_delay: float | None,
    seed: int,
    slow_seconds: float,
) -> None:
    """Serve a seeded local copy of the comparison site, with fault switches; prints its
    base URL. Admin endpoints: /_admin/ (stats, faults, change, remove, redesign; see
    demosite/README.md)."""
    site = Site(seed=seed, pages=pages, faults=faults, crawl_delay=crawl_delay, markup=markup)

    def announce(base_url: str) -> None:
        click.echo(base_url, nl=True)
        click.echo(
            f"demo site: {pages + 1} comparison pages, faults={faults}, markup={markup}, "
            f"seed={seed}; "
            "Ctrl-C stops it",
            err=True,
        )

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(site, port=port, slow_seconds=slow_seconds, announce=announce))
