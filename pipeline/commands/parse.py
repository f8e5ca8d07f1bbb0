"""``careers parse FILE... [--url URL]``: pages on disk -> one JSON record per line."""

from __future__ import annotations

import sys

import click

from pipeline.exitcodes import ExitCode
from scraper.parse import ParseError, parse_page


def _read(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as handle:
            data = handle.read()
    return data.decode("utf-8", errors="replace")


@click.command("parse")
@click.argument("files", nargs=-1, required=True)
@click.option("--url", help="Where the page came from (only with a single FILE).")
def command(files: tuple[str, ...], url: str | None) -> None:
    """Parse saved comparison pages (FILE, or - for standard input) and print one JSON
    record per page. Exit status 1 when any file did not parse."""
    if url is not None and len(files) > 1:
        raise click.UsageError("--url applies to a single FILE")
    failed = 0
    out = sys.stdout
    for path in files:
        try:
            record = parse_page(_read(path), url)
        except (OSError, ParseError) as exc:
            failed += 1
            click.echo(f"careers parse: {path}: {exc}", err=True)
            continue
        out.write(record.model_dump_json() + "\n")
    out.flush()
    sys.exit(ExitCode.DEGRADED if failed else ExitCode.OK)
