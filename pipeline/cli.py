"""The ``careers`` command line. Each command lives in ``pipeline/commands/<name>.py``
and is registered here; shared flags and settings plumbing are in ``pipeline.options``.

Commands are imported on first use, so ``careers parse`` does not pay for pandas and
httpx, and a command's heavy imports never slow down ``--help``."""

from __future__ import annotations

import importlib

import click

COMMANDS: tuple[str, ...] = (
    "refresh",
    "status",
    "prune",
    "parse",
    "schema",
    "load",
    "export",
    "crawl",
    "demo_site",
    "report",
)
"""Modules under ``pipeline.commands`` each exposing a click command named ``command``;
the command's name is the module's with ``_`` as ``-``."""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name.replace("_", "-") for name in COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = cmd_name.replace("-", "_")
        if module not in COMMANDS:
            return None
        command: click.Command = importlib.import_module(f"pipeline.commands.{module}").command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="careers-etl")
def cli() -> None:
    """Scrape career comparison pages into SQLite, CSV and an HTML report."""


def main() -> None:
    cli(prog_name="careers")


if __name__ == "__main__":
    main()
