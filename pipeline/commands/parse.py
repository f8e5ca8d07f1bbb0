"""``careers parse FILE... [--url URL]``: pages on disk -> one JSON record per line."""

from __future__ import annotations

import sys

import click

from schemas.errors import ExitCode
from scraper.document import parse_body
from scraper.parse import ParseError


def _read(path: str) -> bytes:
    """The file's bytes: decoding is ``parse_body``'s (BOM, ``<meta>``, else UTF-8)."""
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


@click.command("parse")
@click.argument("files", nargs=-1, required=True)
@click.option("--url", help="Where the page came from (only with a single FILE).")
def command(files: tuple[str, ...], url: str | None) -> None:
    """Parse saved comparison pages (FILE, or - for standard input) and print one JSON
    record per page. Exit status 1 when any file did not parse, 2 when any could not be
    read (every file is tried, each failure said on its own line)."""
    if url is not None and len(files) > 1:
        raise click.UsageError("--url applies to a single FILE")
    code = ExitCode.OK
    out = sys.stdout
    for path in files:
        try:
            record = parse_body(_read(path), url).record
        except OSError as exc:
            code = max(code, ExitCode.FATAL)
            click.echo(f"careers parse: {path}: cannot read it: {exc.strerror or exc}", err=True)
            continue
        except ParseError as exc:
            code = max(code, ExitCode.DEGRADED)
            click.echo(f"careers parse: {path}: {exc}", err=True)
            continue
        out.write(record.model_dump_json() + "\n")
    out.flush()
    sys.exit(code)
