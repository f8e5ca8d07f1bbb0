"""What a run prints: a short summary on a terminal or with ``-v``; under cron, nothing
when all went well and only what broke when it did not (cron mails any output)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from pipeline.logs import is_interactive
from schemas.columns import COUNTERS, LOAD_COUNTERS


def format_summary(report: Mapping[str, Any], outputs: Mapping[str, str]) -> str:
    counters = "  ".join(
        f"{name}={report.get(name, 0)}" for name in COUNTERS + LOAD_COUNTERS if name in report
    )
    lines = [
        f"run {report.get('run_id')} finished with exit code {report.get('exit_code')}",
        f"  {counters}",
    ]
    lines += [f"  {name}: {where}" for name, where in outputs.items()]
    return "\n".join(lines)


def emit(
    report: Mapping[str, Any],
    outputs: Mapping[str, str],
    problems: Sequence[str],
    verbose: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> None:
    out = out or sys.stdout
    err = err or sys.stderr
    if verbose or is_interactive(out):
        print(format_summary(report, outputs), file=out)
    for problem in problems:
        print(f"careers: {problem}", file=err)
