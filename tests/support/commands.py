"""The ``careers`` command in a child process with no terminal, as cron runs it, and what
a run leaves to read: its JSON run report, the analysts' figures."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

FAST = {
    "CAREERS_LIMITS__TIMEOUT": "1",
    "CAREERS_RETRIES__BACKOFF_BASE": "0.05",
    "CAREERS_RETRIES__BACKOFF_CAP": "0.2",
}
"""Short timeouts and backoffs, for sites that fail on purpose."""


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without its ``CAREERS_*`` settings, plus ``extra``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CAREERS_")}
    environ.update(extra)
    return environ


def careers(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``careers ARGS`` from the project's root, with one parse worker."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_environment({"CAREERS_RUN__WORKERS": "1", **(env or {})}),
        timeout=120,
    )


def refresh(
    base_url: str,
    out: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``careers refresh`` of ``base_url`` into ``out`` (its working directory), with the
    ``FAST`` timeouts and eight requests in flight."""
    args = [
        sys.executable, "-m", "pipeline.cli", "refresh",
        "--base-url", base_url, "--rate", "0", "--max-in-flight", "8",
        "--db", str(out / "careers.db"), "--archive-dir", str(out / "archive"),
        "--csv-dir", str(out / "csv"), "--report-dir", str(out / "report"), *extra,
    ]  # fmt: skip
    environ = _environment({**FAST, "CAREERS_OUTPUT__RUNS_DIR": str(out / "runs"), **(env or {})})
    return subprocess.run(
        args, capture_output=True, text=True, cwd=out, env=environ, timeout=timeout
    )


def refresh_one_worker(base_url: str, out: Path) -> subprocess.CompletedProcess[str]:
    """``careers refresh`` of ``base_url`` into ``out`` through ``careers`` (one parse
    worker, from the project's root, a 2 s timeout)."""
    return careers(
        "refresh", "--base-url", base_url, "--rate", "0", "--max-in-flight", "8",
        "--db", str(out / "careers.db"), "--archive-dir", str(out / "archive"),
        "--csv-dir", str(out / "csv"), "--report-dir", str(out / "report"),
        env={"CAREERS_OUTPUT__RUNS_DIR": str(out / "runs"), "CAREERS_LIMITS__TIMEOUT": "2"},
    )  # fmt: skip


def last_run_report(out: Path) -> dict[str, Any]:
    """The JSON run report the latest run wrote under ``out/runs``."""
    reports = sorted((out / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return dict(json.loads(reports[-1].read_text()))


def latest_figures(out: Path) -> list[tuple[object, ...]]:
    """Every row of ``role_latest`` in ``out/careers.db``."""
    conn = sqlite3.connect(out / "careers.db")
    try:
        return [tuple(r) for r in conn.execute("SELECT * FROM role_latest ORDER BY 1")]
    finally:
        conn.close()
