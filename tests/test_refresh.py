"""`careers refresh` end to end against the demo site: one run, one run id, the JSON run
report, exit codes, and silence under cron when all went well."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.commands import last_run_report, refresh
from support.rows import add_run

from pipeline.lock import run_lock
from schemas.columns import COUNTERS, LOAD_COUNTERS
from schemas.errors import ExitCode


def db(out: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(out / "careers.db")
    conn.row_factory = sqlite3.Row
    return conn


def test_flaky_site_is_loaded_whole_and_a_good_run_is_silent(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=30, faults="flaky", slow_seconds=2)
    proc = refresh(site.base_url, tmp_path)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""

    report = last_run_report(tmp_path)
    conn = db(tmp_path)
    row = dict(conn.execute("SELECT * FROM runs WHERE run_id = ?", (report["run_id"],)).fetchone())
    assert row["command"] == "refresh" and row["exit_code"] == 0 and row["finished_at"]
    for name in (*COUNTERS, *LOAD_COUNTERS, "started_at", "finished_at", "exit_code"):
        assert report[name] == row[name], name
    pages = len(site.site.live_paths())
    assert report["discovered"] == pages and report["new"] == pages
    assert report["retried"] > 0 and report["failed"] == 0
    assert conn.execute("SELECT count(*) FROM comparisons").fetchone()[0] == pages
    assert report["records_written"] == 2 * pages
    assert (tmp_path / "csv" / "role_latest.csv").is_file()
    assert (tmp_path / "report" / "index.html").is_file()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_second_run_is_answered_by_304s_and_a_change_by_new_history(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=20)
    assert refresh(site.base_url, tmp_path).returncode == 0
    second = refresh(site.base_url, tmp_path, "-v")
    assert second.returncode == 0, second.stderr
    assert "finished with exit code 0" in second.stdout
    report = last_run_report(tmp_path)
    assert report["not_modified"] == report["discovered"] == 21
    assert report["records_written"] == 0

    changed = site.site.change(2)
    third = refresh(site.base_url, tmp_path)
    report = last_run_report(tmp_path)
    assert report["changed"] == 2 and report["not_modified"] == 19
    assert report["records_written"] >= 2
    conn = db(tmp_path)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 3
    rows = conn.execute(
        "SELECT count(*) FROM role_observations WHERE run_id = ?", (report["run_id"],)
    ).fetchone()[0]
    assert rows == report["records_written"]
    assert len(changed) == 2

    # The changed pages now show their roles with figures other pages of this run (the
    # 304s) still show differently: new data-quality failures, exit 1 - the same verdict a
    # fresh database loading the whole changed site would reach.
    disagreeing = {
        r[0].split("|")[0]
        for r in conn.execute(
            "SELECT check_key FROM parse_issues WHERE run_id = ? AND kind = 'dq_role_disagrees'",
            (report["run_id"],),
        )
    }
    latest = {r[0] for r in conn.execute("SELECT role_slug FROM role_latest WHERE disagrees")}
    assert disagreeing and disagreeing == latest  # seed 1: a changed role is on another page
    assert third.returncode == ExitCode.DEGRADED
    assert "new data-quality failures" in third.stderr
    # a re-parse of the same pages finds the same failures, now known: exit 0
    reparse = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "load", "--reparse", "--workers", "1",
         "--db", str(tmp_path / "careers.db"), "--archive-dir", str(tmp_path / "archive")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert reparse.returncode == 0, reparse.stderr


def test_hostile_site_exits_1_and_says_what_broke(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=30, faults="hostile", slow_seconds=2)
    proc = refresh(site.base_url, tmp_path)
    assert proc.returncode == ExitCode.DEGRADED, proc.stderr
    assert "pages failed" in proc.stderr and proc.stdout == ""
    report = last_run_report(tmp_path)
    assert report["exit_code"] == 1 and report["problems"]
    assert report["gone"] > 0 and report["failed"] + report["blocked"] > 0
    loaded = db(tmp_path).execute("SELECT count(*) FROM comparisons").fetchone()[0]
    assert loaded == report["new"]


def test_unreachable_robots_is_fatal(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = refresh(f"http://127.0.0.1:{port}/", tmp_path)
    assert proc.returncode == ExitCode.FATAL
    assert "robots.txt" in proc.stderr


def test_second_run_while_one_runs_exits_3(demo_site, tmp_path):
    with run_lock(tmp_path / "careers.db", "test"):
        proc = refresh(demo_site.base_url, tmp_path)
    assert proc.returncode == ExitCode.LOCKED
    assert "holds the lock" in proc.stderr and "command=test" in proc.stderr


@pytest.mark.parametrize("bad", ["--max-in-flight=0", "--rate=-1"])
def test_bad_flag_is_fatal(demo_site, tmp_path, bad):
    proc = refresh(demo_site.base_url, tmp_path, bad)
    assert proc.returncode == ExitCode.FATAL
    assert f"command-line flag {bad.split('=')[0]}" in proc.stderr


def test_a_resumed_run_counts_what_every_invocation_loaded(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=20)
    assert refresh(site.base_url, tmp_path, "--limit", "6").returncode == 0
    assert refresh(site.base_url, tmp_path).returncode == 0
    conn = db(tmp_path)
    runs = conn.execute("SELECT run_id, records_written, new FROM runs").fetchall()
    assert len(runs) == 1  # the second invocation resumed the first run
    run_id, written, new = runs[0]
    observed = conn.execute(
        "SELECT count(*) FROM role_observations WHERE run_id = ?", (run_id,)
    ).fetchone()[0]
    assert written == observed == 2 * new == 42


def test_a_killed_run_is_closed_by_the_next_one(demo_site, tmp_path):
    assert refresh(demo_site.base_url, tmp_path).returncode == 0
    conn = db(tmp_path)
    add_run(conn, "killed", "2000-01-01T00:00:00.000Z", "load")  # a load killed by SIGKILL
    conn.commit()
    status = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "status", "--db", str(tmp_path / "careers.db")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert "unfinished run killed" in status.stdout

    assert refresh(demo_site.base_url, tmp_path).returncode == 0
    killed = conn.execute("SELECT * FROM runs WHERE run_id = 'killed'").fetchone()
    assert killed["finished_at"] and killed["exit_code"] == 2
    assert "did not finish" in killed["note"]
    assert conn.execute("SELECT count(*) FROM runs WHERE finished_at IS NULL").fetchone()[0] == 0
