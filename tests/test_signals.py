"""SIGINT exits 130 and SIGTERM 143: ``careers refresh`` against the demo site, signalled
while it crawls, says so in one line, leaves its run with that exit code, ``complete=0``
and a note "interrupted by SIG…", and the next run resumes that run to the end."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schemas.errors import ExitCode


def refresh_args(base_url: str, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "pipeline.cli", "refresh", "--base-url", base_url,
        "--rate", "60", "--max-in-flight", "4",
        "--db", str(out / "careers.db"), "--archive-dir", str(out / "archive"),
        "--csv-dir", str(out / "csv"), "--report-dir", str(out / "report"), *extra,
    ]  # fmt: skip


def environ(out: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERS_")}
    env["CAREERS_OUTPUT__RUNS_DIR"] = str(out / "runs")
    return env


def fetched(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT count(*) FROM fetches").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def runs(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT run_id, exit_code, complete, finished_at, note FROM runs"
        ).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, ExitCode.SIGTERM), (signal.SIGINT, ExitCode.SIGINT)]
)
def test_a_signalled_refresh_exits_128_plus_the_signal_and_the_next_run_resumes_it(
    demo_site_factory, tmp_path: Path, signum: int, code: int
) -> None:
    site = demo_site_factory(pages=150)
    db = tmp_path / "careers.db"
    proc = subprocess.Popen(
        refresh_args(site.base_url, tmp_path), cwd=tmp_path, env=environ(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while fetched(db) < 10 and proc.poll() is None:
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.01)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    name = signal.Signals(signum).name
    assert proc.returncode == code, err
    assert out == ""
    assert err.splitlines() == [
        f"careers refresh: interrupted by {name}; the run is recorded as interrupted and "
        "the next run resumes it"
    ]
    [(run_id, exit_code, complete, finished_at, note)] = runs(db)
    assert (exit_code, complete) == (code, 0) and finished_at
    assert note.startswith(f"interrupted by {name}")

    status = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "status", "--db", str(db)],
        capture_output=True, text=True, cwd=tmp_path, env=environ(tmp_path),
    )  # fmt: skip
    assert status.returncode == 0 and f"exit={code}" in status.stdout
    assert "is running" not in status.stdout

    again = subprocess.run(
        refresh_args(site.base_url, tmp_path, "-v"), cwd=tmp_path, env=environ(tmp_path),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == ExitCode.OK, again.stderr
    assert f"of run {run_id}" in again.stderr  # "resuming N pending URLs of run R"
    [(resumed, exit_code, complete, finished_at, note)] = runs(db)
    assert (resumed, exit_code, complete, note) == (run_id, 0, 1, None)
