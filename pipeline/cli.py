"""The ``careers`` command line. Each command lives in ``pipeline/commands/<name>.py``
and is registered here; shared flags and settings plumbing are in ``pipeline.options``."""

from __future__ import annotations

import importlib

import click

COMMANDS: tuple[str, ...] = ()
"""Modules under ``pipeline.commands`` each exposing a click command named ``command``."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="careers-etl")
def cli() -> None:
    """Scrape career comparison pages into SQLite, CSV and an HTML report."""


for _name in COMMANDS:
    cli.add_command(importlib.import_module(f"pipeline.commands.{_name}").command)


def main() -> None:
    cli(prog_name="careers")
