"""``careers load``: parse stored pages (or read ``careers parse`` output) into the database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import click

from pipeline.options import exclusive, settings_from, settings_options


def _read_lines(path: str) -> Iterator[tuple[str, str]]:
    if path == "-":
        for number, line in enumerate(sys.stdin, 1):
            yield f"<stdin>:{number}", line
        return
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            yield f"{path}:{number}", line


def _records(files: tuple[str, ...]) -> Iterator[Any]:
    """``Parsed`` pages from JSON lines; a line that is not a record is a failed page."""
    from pydantic import ValidationError

    from pipeline.load.source import Parsed, from_record
    from schemas.records import ComparisonRecord

    for path in files:
        for where, line in _read_lines(path):
            if not line.strip():
                continue
            try:
                yield from_record(ComparisonRecord.model_validate_json(line))
            except ValidationError as exc:
                first = exc.errors()[0]
                message = f"not a comparison record: {first['loc']}: {first['msg']}"
                yield Parsed(None, error_kind="invalid_record", error_message=message, url=where)


@click.command("load")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--reparse",
    is_flag=True,
    help="Parse every stored page again (after a parser fix); replaces the rows each "
    "fetch produced instead of adding history, and loads pages that failed before.",
)
@settings_options("db", "archive_dir", "workers", "verbose")
def command(files: tuple[str, ...], reparse: bool, **params: Any) -> None:
    """Parse and load every fetched page not loaded yet, reading bodies from the WARC
    archive; or load FILE.jsonl... (- for standard input) as printed by `careers parse`.

    Exit status 1 when more pages failed to parse than run.failed_fraction allows, or the
    load found new data-quality failures.
    """
    from pipeline.load import load_pending, load_records
    from schemas.verdict import format_kinds
    from store.db import connect

    if files and reparse:
        raise click.UsageError("--reparse re-reads the archive; it takes no FILE")
    settings = settings_from(params)
    with exclusive(settings, "reparse" if reparse else "load"):
        conn = connect(settings.output.db)
        try:
            if files:
                report = load_records(
                    conn,
                    _records(files),
                    batch_size=settings.run.batch_size,
                    failed_fraction=settings.run.failed_fraction,
                )
            else:
                report = load_pending(conn, settings, reparse=reparse)
        finally:
            conn.close()
    verdict = report.verdict(settings.run.failed_fraction)
    if settings.run.verbose or verdict.problems:
        kinds = format_kinds(report.parse_failures)
        click.echo(
            f"careers load: {report.pages} pages, {report.records_written} observations written, "
            f"{report.unchanged} unchanged, {report.warnings} warnings, "
            f"{report.dq_failures} data-quality failures ({report.dq_new} new), "
            f"{report.failed_pages} did not parse ({kinds + '; ' if kinds else ''}"
            "see parse_issues)",
            err=bool(verdict.problems),
        )
    for problem in verdict.problems:
        click.echo(f"careers load: {problem}", err=True)
    sys.exit(int(verdict.exit_code))
