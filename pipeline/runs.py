"""The ``runs`` table as the rest of the pipeline sees it: finishing a run, judging it,
and the JSON run report written beside the database's row."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.exitcodes import ExitCode
from schemas.database import COUNTERS, LOAD_COUNTERS, failed_share


@dataclass
class Verdict:
    """How a run went: its exit code and, when it is not 0, what broke (one line each)."""

    exit_code: ExitCode = ExitCode.OK
    problems: list[str] = field(default_factory=list)

    def worsen(self, code: ExitCode, problem: str) -> None:
        self.exit_code = max(self.exit_code, code)
        self.problems.append(problem)


def judge_pages(
    failed: int, tried: int, dq_new: int, failed_fraction: float, detail: str = ""
) -> Verdict:
    """Exit 1 when ``failed`` pages exceed ``failed_fraction`` of the ``tried`` ones, or
    when the load found data-quality failures that the previous run did not have."""
    verdict = Verdict()
    if tried and failed / tried > failed_fraction:
        verdict.worsen(
            ExitCode.DEGRADED,
            f"{failed} of {tried} pages failed ({failed / tried:.1%} > {failed_fraction:.1%})"
            + (f": {detail}" if detail else ""),
        )
    if dq_new:
        verdict.worsen(ExitCode.DEGRADED, f"{dq_new} new data-quality failures")
    return verdict


def judge(
    counters: Mapping[str, int], failed_parses: int, dq_new: int, failed_fraction: float
) -> Verdict:
    """``judge_pages`` for a crawl's counters plus the pages its load could not parse."""
    failed, tried = failed_share(counters, failed_parses)
    detail = (
        f"{counters.get('failed', 0)} fetch failures, {counters.get('blocked', 0)} blocked, "
        f"{failed_parses} did not parse"
    )
    return judge_pages(failed, tried, dq_new, failed_fraction, detail)


def run_row(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise KeyError(f"no run {run_id!r} in the database")
    return dict(row)


def run_report(row: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The JSON run report: the run's row (counters under their own names) plus ``extra``."""
    report: dict[str, Any] = {
        "run_id": row["run_id"],
        "command": row.get("command"),
        "base_url": row.get("base_url"),
        "started_at": row["started_at"],
        "finished_at": row.get("finished_at"),
        "exit_code": row.get("exit_code"),
        "complete": bool(row.get("complete")),
    }
    for name in COUNTERS + LOAD_COUNTERS:
        report[name] = int(row.get(name) or 0)
    report.update(extra)
    return report


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
