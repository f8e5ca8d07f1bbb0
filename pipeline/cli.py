"""The ``careers`` command line. Each command lives in ``pipeline/commands/<name>.py``
and is registered here; shared flags and settings plumbing are in ``pipeline.options``.

Commands are imported on first use, so ``careers parse`` does not pay for pandas and
httpx, and a command's heavy imports never slow down ``--help``.

This is also the one place where an error that ends a command becomes its exit code and
message (``pipeline.exitcodes.failure``): one line on stderr, no traceback unless
``--debug`` (a flag of the group and of every command), and SIGINT/SIGTERM end the
command with 130/143."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from pipeline.exitcodes import failure, interrupt_on_signals
from schemas.errors import CareersError, ExitCode

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


class _Invocation:
    """What the error handler needs to know about the command being run."""

    name: str = ""
    params: dict[str, Any] | None = None
    debug: bool = False


_invocation = _Invocation()


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _invocation.debug = True


def _debug_option() -> click.Option:
    return click.Option(
        ["--debug"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show the traceback when the command fails.",
    )


def _remembering(callback: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **params: Any) -> Any:
        _invocation.params = params
        return callback(*args, **params)

    return run


def _prepared(command: click.Command) -> click.Command:
    """``command`` with ``--debug`` and its parameters remembered for the error handler."""
    if not any(p.name == "debug" for p in command.params):
        command.params.append(_debug_option())
        if command.callback is not None:
            command.callback = _remembering(command.callback)
    return command


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name.replace("_", "-") for name in COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = cmd_name.replace("-", "_")
        if module not in COMMANDS:
            return None
        command: click.Command = importlib.import_module(f"pipeline.commands.{module}").command
        return _prepared(command)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        _invocation.name = name or ""
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an error of ours (``schemas.errors.CareersError``) ends it with
        its exit code and message here, so any caller of the group (``main``, click's
        test runner) sees the same outcome."""
        try:
            return super().invoke(ctx)
        except CareersError as exc:
            raise click.exceptions.Exit(_fail(exc)) from exc


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="careers-etl")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show the traceback when a command fails.",
)
def cli() -> None:
    """Scrape career comparison pages into SQLite, CSV and an HTML report."""


def _places(params: dict[str, Any] | None) -> tuple[Path | None, Path | None]:
    """The database and the directory the outputs share, from the command's settings,
    to name the place when an error does not; ``(None, None)`` when unknown."""
    if not params or "config" not in params:
        return None, None
    try:
        from pipeline.options import settings_from

        out = settings_from(params).output
    except (Exception, SystemExit):
        return None, None
    dirs = [out.db.parent, out.archive_dir, out.csv_dir, out.report_dir, out.runs_dir]
    try:
        return out.db, Path(os.path.commonpath([str(Path(d).absolute()) for d in dirs]))
    except ValueError:
        return out.db, None


def _fail(exc: BaseException) -> int:
    """Say in one line what ended the command; return its exit code."""
    if _invocation.debug:
        traceback.print_exception(exc)
    db, output = _places(_invocation.params)
    found = failure(exc, db, output)
    prog = f"careers {_invocation.name}".strip()
    click.echo(f"{prog}: {found.message}", err=True)
    return found.code


def main(argv: Sequence[str] | None = None) -> None:
    interrupt_on_signals()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # make_context + invoke rather than cli.main: click's main would turn our signals
        # (KeyboardInterrupt) into a bare "Aborted!"
        with cli.make_context("careers", args) as ctx:
            code = cli.invoke(ctx)
    except SystemExit:
        raise
    except click.exceptions.Exit as exc:  # --help, --version
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.Abort:  # end of input at a prompt
        click.echo("Aborted!", err=True)
        code = ExitCode.FATAL
    except BaseException as exc:  # noqa: BLE001  (the one place errors become exit codes)
        code = _fail(exc)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
