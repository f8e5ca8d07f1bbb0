"""Flags shared by the ``careers`` commands, and the one place they become ``Settings``.

A command declares the flags it takes with ``@settings_options("db", "rate", ...)`` and
calls ``settings_from(params)`` once; the result is passed down, never re-read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline.config import load_settings
from pipeline.lock import run_lock
from schemas.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

#: flag name -> (dotted settings key, click option)
_FLAGS: dict[str, tuple[str | None, Callable[[F], F]]] = {
    "config": (
        None,
        click.option(
            "--config",
            "config",
            type=click.Path(path_type=Path, dir_okay=False),
            help="careers.toml to read (default: $CAREERS_CONFIG, else ./careers.toml).",
        ),
    ),
    "base_url": (
        "site.base_url",
        click.option(
            "--base-url", help="The site's root; robots.txt and sitemaps are found there."
        ),
    ),
    "db": (
        "output.db",
        click.option("--db", type=click.Path(path_type=Path, dir_okay=False), help="SQLite file."),
    ),
    "archive_dir": (
        "output.archive_dir",
        click.option(
            "--archive-dir", type=click.Path(path_type=Path, file_okay=False), help="WARC archive."
        ),
    ),
    "csv_dir": (
        "output.csv_dir",
        click.option(
            "--csv-dir",
            type=click.Path(path_type=Path, file_okay=False),
            help="Where the CSV (and Parquet) exports go.",
        ),
    ),
    "report_dir": (
        "output.report_dir",
        click.option(
            "--report-dir",
            type=click.Path(path_type=Path, file_okay=False),
            help="Where the HTML report (index.html) goes.",
        ),
    ),
    "max_in_flight": (
        "politeness.max_in_flight",
        click.option("--max-in-flight", type=int, help="Requests in flight per host."),
    ),
    "rate": (
        "politeness.rate",
        click.option("--rate", type=float, help="Requests per second per host; 0 for no delay."),
    ),
    "limit": (
        "run.limit",
        click.option("--limit", type=int, help="Fetch at most N pages this run."),
    ),
    "fresh": (
        "run.fresh",
        click.option("--fresh", is_flag=True, default=None, help="Start a new run; do not resume."),
    ),
    "workers": (
        "run.workers",
        click.option("--workers", type=int, help="Parse processes (default: number of cores)."),
    ),
    "log_format": (
        "run.log_format",
        click.option("--log-format", type=click.Choice(["text", "json"]), help="Log line format."),
    ),
    "verbose": (
        "run.verbose",
        click.option("-v", "--verbose", is_flag=True, default=None, help="Print a summary."),
    ),
}


CRAWL_FLAGS: tuple[str, ...] = (
    "base_url",
    "db",
    "archive_dir",
    "max_in_flight",
    "rate",
    "limit",
    "fresh",
    "log_format",
    "verbose",
)
"""The flags of ``careers crawl``; ``careers refresh`` takes every one of them too."""


def settings_options(*names: str) -> Callable[[F], F]:
    """Add the named shared flags (and always ``--config``) to a click command."""
    wanted = ("config", *names)
    unknown = [n for n in wanted if n not in _FLAGS]
    if unknown:
        raise KeyError(f"unknown shared flags: {unknown}")

    def decorate(func: F) -> F:
        for name in reversed(wanted):
            func = _FLAGS[name][1](func)
        return func

    return decorate


def settings_from(params: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the file, the environment and the shared flags in ``params``.

    A configuration error (``ConfigError``, exit code 2) names the key and its source.
    """
    given = [(name, dotted) for name, (dotted, _) in _FLAGS.items() if dotted and name in params]
    overrides = {dotted: params[name] for name, dotted in given}
    flags = {dotted: "--" + name.replace("_", "-") for name, dotted in given}
    return load_settings(params.get("config"), environ, overrides, flags)


@contextmanager
def exclusive(settings: Settings, command: str) -> Iterator[None]:
    """Hold the run lock beside the database for the block; when another run holds it,
    ``LockHeld`` (exit code 3) says who, before anything is done."""
    with run_lock(settings.output.db, command):
        yield
