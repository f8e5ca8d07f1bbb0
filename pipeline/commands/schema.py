"""``careers schema``: write (or check) the JSON Schema of the parsed record."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from schemas.errors import ExitCode
from schemas.jsonschema import SCHEMA_PATH, comparison_schema_text, write_schema


@click.command("schema")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default=SCHEMA_PATH,
    show_default=True,
    help="Where to write it; - prints it.",
)
@click.option("--check", is_flag=True, help="Only check that the file is current (exit 1 if not).")
def command(output: Path, check: bool) -> None:
    """Write the JSON Schema of the records that careers parse prints."""
    if str(output) == "-":
        sys.stdout.write(comparison_schema_text())
        return
    if check:
        current = output.exists() and output.read_text(encoding="utf-8") == comparison_schema_text()
        if not current:
            click.echo(f"careers schema: {output} is stale; run `careers schema`", err=True)
        sys.exit(ExitCode.OK if current else ExitCode.DEGRADED)
    changed = write_schema(output)
    click.echo(f"{'wrote' if changed else 'unchanged:'} {output}", err=True)
